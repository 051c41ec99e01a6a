from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from pydantic import Field, field_validator

from netcron import audit
from netcron.api.auth import INVENTORY_READ, INVENTORY_WRITE, require
from netcron.api.common import get_or_404, iso, paginate, split_values
from netcron.inventory.models import PLATFORM_CHOICES, Credential, Device, Location, Tag

router = Router(tags=["inventory"])
PLATFORMS = [p for p, _ in PLATFORM_CHOICES]


class DeviceIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    host: str = Field(min_length=1, max_length=255)
    port: int = Field(22, ge=1, le=65535)
    platform: str
    role: str = Field("", max_length=50)
    location_id: int | None = None
    tags: list[str] = Field(default_factory=list, description="Tag names (must exist)")
    credential_id: int | None = None
    is_active: bool = True
    serial: str = Field("", max_length=100)
    description: str = Field("", max_length=200)
    custom_fields: dict = Field(default_factory=dict)

    @field_validator("platform")
    @classmethod
    def known_platform(cls, value: str) -> str:
        if value not in PLATFORMS:
            raise ValueError(f"unknown platform {value!r}; choose from {', '.join(PLATFORMS)}")
        return value


class DeviceStatusOut(Schema):
    state: str
    since: datetime | None
    last_check_at: datetime | None
    last_latency_ms: float | None
    last_error: str
    last_backup_at: datetime | None


class DeviceOut(Schema):
    id: int
    name: str
    host: str
    port: int
    platform: str
    role: str
    location_id: int | None
    location: str | None
    tags: list[str]
    credential_id: int | None
    credential: str | None
    is_active: bool
    serial: str
    description: str
    custom_fields: dict
    source: str
    state: str
    created_at: str | None
    updated_at: str | None


def device_out(device: Device) -> dict:
    status = getattr(device, "runtime_status", None)  # reverse one-to-one: AttributeError when absent
    return {
        "id": device.pk, "name": device.name, "host": device.host, "port": device.port,
        "platform": device.platform, "role": device.role, "location_id": device.location_id,
        "location": device.location.name if device.location else None,
        "tags": sorted(t.name for t in device.tags.all()), "credential_id": device.credential_id,
        "credential": device.credential.name if device.credential else None, "is_active": device.is_active,
        "serial": device.serial, "description": device.description, "custom_fields": device.custom_fields,
        "source": device.source, "state": status.state if status else "unknown",
        "created_at": iso(device.created_at), "updated_at": iso(device.updated_at),
    }


def device_queryset():
    return Device.objects.select_related("location", "credential", "runtime_status").prefetch_related("tags")


def apply(device: Device, payload: DeviceIn) -> Device:
    """Copy a validated payload onto a device, resolving references with 422s that name the field."""
    location = credential = None
    if payload.location_id is not None:
        location = Location.objects.filter(pk=payload.location_id).first()
        if location is None:
            raise HttpError(422, f"location_id: location {payload.location_id} does not exist")
    if payload.credential_id is not None:
        credential = Credential.objects.filter(pk=payload.credential_id).first()
        if credential is None:
            raise HttpError(422, f"credential_id: credential {payload.credential_id} does not exist")
    tags = list(Tag.objects.filter(name__in=payload.tags))
    missing = sorted(set(payload.tags) - {t.name for t in tags})
    if missing:
        raise HttpError(422, f"tags: unknown tag(s) {', '.join(missing)}")
    for field in ("name", "host", "port", "platform", "role", "is_active", "serial", "description",
                  "custom_fields"):
        setattr(device, field, getattr(payload, field))
    device.location, device.credential = location, credential
    with transaction.atomic(), audit.grouped(device):  # one audit entry for the device and its tags
        device.save()
        device.tags.set(tags)
    return device


@router.get("", summary="List devices", description="Filters take comma-separated values.")
def list_devices(request, q: str = "", platform: str | None = None, role: str | None = None,
                 location: str | None = None, tag: str | None = None, state: str | None = None,
                 is_active: bool | None = None, page: int = 1, page_size: int = 100):
    require(request, INVENTORY_READ)
    qs = device_queryset()
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(host__icontains=q) | Q(serial__icontains=q))
    if values := split_values("platform", platform, PLATFORMS):
        qs = qs.filter(platform__in=values)
    if values := split_values("role", role):
        qs = qs.filter(role__in=values)
    if values := split_values("location", location):
        qs = qs.filter(location__name__in=values)
    if values := split_values("tag", tag):
        qs = qs.filter(tags__name__in=values).distinct()
    if values := split_values("state", state, ["unknown", "up", "degraded", "down"]):
        unknown = Q(runtime_status__isnull=True) if "unknown" in values else Q(pk__in=[])
        qs = qs.filter(Q(runtime_status__state__in=values) | unknown)
    if is_active is not None:
        qs = qs.filter(is_active=is_active)
    return paginate(qs, page, page_size, device_out)


@router.post("", response={201: DeviceOut})
def create_device(request, payload: DeviceIn):
    require(request, INVENTORY_WRITE)
    device = apply(Device(), payload)
    return Status(201, device_out(device_queryset().get(pk=device.pk)))


@router.get("/{device_id}", response=DeviceOut)
def get_device(request, device_id: int):
    require(request, INVENTORY_READ)
    return device_out(get_or_404(device_queryset(), device_id, "device"))


@router.put("/{device_id}", response=DeviceOut)
def update_device(request, device_id: int, payload: DeviceIn):
    require(request, INVENTORY_WRITE)
    device = apply(get_or_404(Device, device_id, "device"), payload)
    return device_out(device_queryset().get(pk=device.pk))


@router.delete("/{device_id}", response={204: None})
def delete_device(request, device_id: int):
    require(request, INVENTORY_WRITE)
    get_or_404(Device, device_id, "device").delete()
    return Status(204, None)


@router.get("/{device_id}/status", response=DeviceStatusOut)
def device_status(request, device_id: int):
    require(request, INVENTORY_READ)
    device = get_or_404(device_queryset(), device_id, "device")
    status = getattr(device, "runtime_status", None)
    if status is None:
        return {"state": "unknown", "since": None, "last_check_at": None, "last_latency_ms": None,
                "last_error": "", "last_backup_at": None}
    return status
