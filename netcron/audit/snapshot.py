"""How a tracked object looks in the audit log: JSON-safe field values with every secret redacted.

Credential secrets are compared by a keyed digest that lives only in memory; what is stored says
"***" (was set) or "***changed***" (set to a new value), never the value, its digest or the sealed text.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.serializers.json import DjangoJSONEncoder

MASK = "***"
CHANGED = "***changed***"
# Keys inside JSON fields (params, custom fields) that look like they hold a secret.
SECRET_KEY = re.compile(r"pass(word|wd|phrase)?$|secret|token|private_key|community|api_?key|auth_key|priv_key",
                        re.IGNORECASE)
ALWAYS_EXCLUDED = frozenset({"created_at", "updated_at"})
_DIGEST_KEY = secrets.token_bytes(32)


@dataclass(frozen=True)
class Tracked:
    """How one model is audited."""

    object_type: str
    exclude: frozenset[str] = frozenset()  # never shown (sealed secrets, engine-managed fields)
    secrets: tuple[str, ...] = ()  # secret names compared by digest, shown as *** / ***changed***
    m2m: tuple[str, ...] = ()  # many-to-many fields shown as sorted names
    custom: Callable[[object], dict] | None = None  # replaces the field values (e.g. effective settings)
    secret_loader: Callable[[object], dict] | None = field(default=None, repr=False)


def _digest(value: str) -> str:
    return hashlib.blake2b(value.encode(), key=_DIGEST_KEY, digest_size=16).hexdigest()


def mask_nested(value):
    """Replace values under secret-looking keys, at any depth."""
    if isinstance(value, dict):
        return {k: (MASK if value[k] not in ("", None) else value[k]) if isinstance(k, str) and SECRET_KEY.search(k)
                else mask_nested(value[k]) for k in value}
    if isinstance(value, list):
        return [mask_nested(v) for v in value]
    return value


def jsonable(data: dict) -> dict:
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder, default=str))


def snapshot(instance, tracked: Tracked, *, with_m2m: bool = True) -> dict:
    """The object's audited values; secret fields hold an in-memory digest until redact() runs."""
    if tracked.custom is not None:
        return mask_nested(jsonable(tracked.custom(instance)))
    excluded = ALWAYS_EXCLUDED | tracked.exclude
    data = {f.attname: f.value_from_object(instance) for f in instance._meta.concrete_fields
            if f.name not in excluded and f.attname not in excluded}
    if with_m2m and instance.pk is not None:
        for name in tracked.m2m:
            data[name] = sorted(str(o) for o in getattr(instance, name).all())
    elif tracked.m2m:
        data.update({name: [] for name in tracked.m2m})
    data = mask_nested(jsonable(data))
    if tracked.secret_loader is not None:
        present = tracked.secret_loader(instance)
        for name in tracked.secrets:
            data[name] = _digest(present[name]) if present.get(name) else ""
    return data


def diff(before: dict | None, after: dict | None, tracked: Tracked) -> tuple[dict | None, dict | None]:
    """(before, after) reduced to what changed, secrets redacted; create and delete keep every field."""
    if before is None or after is None:
        return _redact_whole(before, tracked, MASK), _redact_whole(after, tracked, CHANGED)
    keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
    old = {k: before.get(k) for k in keys}
    new = {k: after.get(k) for k in keys}
    for name in tracked.secrets:
        if name in old:
            old[name] = MASK if old[name] else ""
            new[name] = CHANGED if new[name] else ""
    return old, new


def _redact_whole(values: dict | None, tracked: Tracked, shown: str) -> dict | None:
    if values is None:
        return None
    return {k: (shown if v else "") if k in tracked.secrets else v for k, v in values.items()}
