"""The project-wide SecretBox, keyed from settings (NETCRON_SECRET_KEY plus optional old keys)."""

from __future__ import annotations

from functools import cache

from django.conf import settings

from netcron import conf
from netcron.lib.secretbox import SecretBox


@cache
def secret_box() -> SecretBox:
    old = [k.strip() for k in conf.env_str("NETCRON_OLD_SECRET_KEYS", "").split(",") if k.strip()]
    return SecretBox([settings.SECRET_KEY, *old])
