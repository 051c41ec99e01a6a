"""Config history: a device's backed-up versions, one version's content, diffs and a search over the
current configs of every device. Mount with ``api.add_router("/", configs.router)`` (paths are absolute:
/devices/{id}/configs..., /configs/search)."""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Query, Router, Schema
from ninja.errors import HttpError
from pydantic import Field

from netcron.api.auth import INVENTORY_READ, require
from netcron.api.common import checked_id, get_or_404, paginate
from netcron.configs import history
from netcron.inventory.models import Device

router = Router(tags=["configs"])


class VersionOut(Schema):
    commit: str
    kind: str
    committed_at: str
    run_id: int | None
    path: str
    changed_lines: int
    line_count: int
    size_bytes: int
    content_hash: str
    repository: str


class ContentOut(Schema):
    device_id: int
    device: str
    version: VersionOut
    content: str


class DiffOut(Schema):
    device_id: int
    device: str
    kind: str
    from_: VersionOut | None = Field(None, alias="from")
    to: VersionOut
    lines_added: int
    lines_removed: int
    diff: str
    truncated: bool


def _device(device_id: int) -> Device:
    return get_or_404(Device, checked_id("device_id", device_id), "device")


def _call(fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except history.BadQuery as exc:
        raise HttpError(422, str(exc)) from None
    except history.NotFound as exc:
        raise HttpError(404, str(exc)) from None


@router.get("/devices/{device_id}/configs", summary="A device's config versions, newest first")
def list_versions(request, device_id: int, kind: str | None = None, page: int = 1, page_size: int = 100):
    require(request, INVENTORY_READ)
    device = _device(device_id)
    qs = _call(history.versions, device, kind).order_by("-id")
    return paginate(qs, page, page_size, history.version_out)


@router.get("/devices/{device_id}/configs/diff", response=DiffOut, by_alias=True,
            summary="Unified diff of two versions (default: the latest against the one before)")
def diff_versions(request, device_id: int, kind: str = "running", from_: str | None = Query(None, alias="from"),
                  to: str | None = None, context: int = 3):
    require(request, INVENTORY_READ)
    return _call(history.diff, _device(device_id), kind, from_, to, context)


@router.get("/devices/{device_id}/configs/{commit}", response=ContentOut,
            summary="One version's content (commit id, unique prefix or 'latest'); ?raw=true for text/plain")
def get_version(request, device_id: int, commit: str, kind: str = "running", raw: bool = False):
    require(request, INVENTORY_READ)
    device = _device(device_id)
    version = _call(history.resolve, device, commit, _call(history.check_kind, kind))
    text = _call(history.content, version)
    if raw:
        return HttpResponse(text, content_type="text/plain; charset=utf-8")
    return {"device_id": device.pk, "device": device.name, "version": history.version_out(version), "content": text}


@router.get("/configs/search", summary="Devices whose current config contains a string or regex")
def search_configs(request, q: str, regex: bool = False, kind: str = "running", ignore_case: bool = False,
                   max_devices: int = 200, max_lines: int = 20):
    require(request, INVENTORY_READ)
    if not 1 <= max_devices <= 1000:
        raise HttpError(422, "max_devices: must be between 1 and 1000")
    if not 1 <= max_lines <= 200:
        raise HttpError(422, "max_lines: must be between 1 and 200")
    return _call(history.search, q, regex=regex, kind=kind, ignore_case=ignore_case, max_devices=max_devices,
                 max_lines=max_lines)
