"""System settings: read with jobs:read, change as a superuser or with system:change_settings."""

from __future__ import annotations

from ninja import Router, Schema
from ninja.errors import HttpError
from pydantic import ConfigDict, Field, ValidationError, create_model

from netcron.api.auth import JOBS_READ, user_of
from netcron.api.common import iso
from netcron.system import spec
from netcron.system.models import SystemSettings

router = Router(tags=["system"])
CHANGE_SETTINGS = "system.change_settings"

# Every setting optional: the ones sent are changed, null resets one to its default.
SettingsIn = create_model(
    "SettingsIn", __config__=ConfigDict(extra="forbid"),
    **{name: (field.annotation | None, Field(None, description=field.description))
       for name, field in spec.SettingsSpec.model_fields.items()},
)


class SettingsOut(Schema):
    values: dict
    overridden: list[str]
    defaults: dict
    updated_at: str | None
    updated_by: str | None


def settings_out(row: SystemSettings) -> dict:
    return {
        "values": row.effective().model_dump(mode="json"), "overridden": sorted(row.values),
        "defaults": spec.defaults(), "updated_at": iso(row.updated_at) if row.pk and row.updated_at else None,
        "updated_by": row.updated_by.username if row.updated_by else None,
    }


def may_read(user) -> bool:
    return user.has_perm(JOBS_READ) or user.has_perm(CHANGE_SETTINGS)


@router.get("", response=SettingsOut, summary="The settings in force, which ones are set, and the defaults")
def get_settings(request):
    if not may_read(user_of(request)):
        raise HttpError(403, "permission jobs:read required")
    return settings_out(SystemSettings.load())


@router.put("", response=SettingsOut, summary="Change settings: fields sent are set, null resets one to its default")
def put_settings(request, payload: SettingsIn):
    user = user_of(request)
    if not user.has_perm(CHANGE_SETTINGS):
        raise HttpError(403, "permission system:change_settings required")
    row = SystemSettings.load()
    try:
        row.change(payload.model_dump(exclude_unset=True), user=user)
    except ValidationError as exc:
        raise HttpError(422, [{"loc": ["body", "payload", *e["loc"]], "msg": e["msg"], "type": e["type"]}
                              for e in exc.errors()]) from None
    return settings_out(row)
