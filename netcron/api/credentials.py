"""Credentials: secrets are write-only — accepted on create/update, never returned or logged."""

from __future__ import annotations

from ninja import Router, Schema, Status
from pydantic import Field

from netcron.api.auth import INVENTORY_READ, INVENTORY_WRITE, require, user_of
from netcron.api.common import get_or_404, iso, paginate
from netcron.inventory.models import Credential

router = Router(tags=["inventory"])


class CredentialIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    username: str = Field("", max_length=100)
    description: str = Field("", max_length=200)
    host_key_policy: str = Field("tofu", pattern="^(strict|tofu|ignore)$")
    snmp_version: str = Field("2c", pattern="^(2c|3)$")
    snmp_auth_protocol: str = Field("", pattern="^(|MD5|SHA|SHA224|SHA256|SHA384|SHA512)$")
    snmp_priv_protocol: str = Field("", pattern="^(|DES|3DES|AES|AES128|AES192|AES256)$")
    # Write-only secrets: omitted or null keeps the stored value, "" clears it.
    password: str | None = Field(None, max_length=1024)
    enable_secret: str | None = Field(None, max_length=1024)
    private_key: str | None = Field(None, max_length=16384)
    snmp_community: str | None = Field(None, max_length=256)
    snmp_auth_key: str | None = Field(None, max_length=256)
    snmp_priv_key: str | None = Field(None, max_length=256)
    token: str | None = Field(None, max_length=4096)


class CredentialOut(Schema):
    id: int
    name: str
    username: str
    description: str
    host_key_policy: str
    snmp_version: str
    snmp_auth_protocol: str
    snmp_priv_protocol: str
    has_password: bool
    has_enable_secret: bool
    has_private_key: bool
    has_snmp_community: bool
    has_snmp_auth_key: bool
    has_snmp_priv_key: bool
    has_token: bool
    device_count: int
    created_at: str | None
    updated_at: str | None


PLAIN_FIELDS = ("name", "username", "description", "host_key_policy", "snmp_version", "snmp_auth_protocol",
                "snmp_priv_protocol")


def credential_out(credential: Credential) -> dict:
    return {
        "id": credential.pk, **{f: getattr(credential, f) for f in PLAIN_FIELDS}, **credential.secret_flags(),
        "device_count": credential.devices.count(), "created_at": iso(credential.created_at),
        "updated_at": iso(credential.updated_at),
    }


def apply(credential: Credential, payload: CredentialIn) -> Credential:
    for field in PLAIN_FIELDS:
        setattr(credential, field, getattr(payload, field))
    credential.set_secrets(**{name: getattr(payload, name) for name in Credential.SECRET_FIELDS})
    credential.save()
    return credential


@router.get("", summary="List credentials (secrets are never returned)")
def list_credentials(request, q: str = "", page: int = 1, page_size: int = 100):
    require(request, INVENTORY_READ)
    qs = Credential.objects.all()
    if q:
        qs = qs.filter(name__icontains=q)
    return paginate(qs, page, page_size, credential_out)


@router.post("", response={201: CredentialOut})
def create_credential(request, payload: CredentialIn):
    require(request, INVENTORY_WRITE)
    return Status(201, credential_out(apply(Credential(owner=user_of(request)), payload)))


@router.get("/{credential_id}", response=CredentialOut)
def get_credential(request, credential_id: int):
    require(request, INVENTORY_READ)
    return credential_out(get_or_404(Credential, credential_id, "credential"))


@router.put("/{credential_id}", response=CredentialOut)
def update_credential(request, credential_id: int, payload: CredentialIn):
    require(request, INVENTORY_WRITE)
    return credential_out(apply(get_or_404(Credential, credential_id, "credential"), payload))


@router.delete("/{credential_id}", response={204: None})
def delete_credential(request, credential_id: int):
    require(request, INVENTORY_WRITE)
    get_or_404(Credential, credential_id, "credential").delete()
    return Status(204, None)
