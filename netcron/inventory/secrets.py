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


def rotate_all() -> tuple[int, list[str]]:
    """Re-encrypt every credential under the current key; returns (rotated, names that failed)."""
    from netcron.inventory.models import Credential
    from netcron.lib.secretbox import SecretDecryptError

    box = secret_box()
    rotated, failed = 0, []
    for credential in Credential.objects.exclude(secrets_sealed="").only("pk", "name", "secrets_sealed"):
        try:
            sealed = box.rotate(credential.secrets_sealed)
        except SecretDecryptError:
            failed.append(credential.name)
            continue
        Credential.objects.filter(pk=credential.pk).update(secrets_sealed=sealed)
        rotated += 1
    return rotated, failed
