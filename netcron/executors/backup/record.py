"""After the commit: per-device results, the ConfigVersion index and the last-backup stamps."""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from netcron.configs.models import ConfigVersion
from netcron.inventory.models import Device, DeviceRuntimeStatus
from netcron.jobs.choices import DeviceStatus


def previous_paths(repository, fetched: dict) -> dict[tuple[int, str], str]:
    """(device id, kind) -> path of the device's latest version in this repository (to move it)."""
    latest = (ConfigVersion.objects.filter(repository=repository, device_id__in=list(fetched))
              .values("device_id", "kind").annotate(last=Max("id")).values_list("last", flat=True))
    rows = ConfigVersion.objects.filter(id__in=list(latest)).values_list("device_id", "kind", "path")
    return {(device_id, kind): path for device_id, kind, path in rows}


def record_results(ctx, params, repository, result, fetched: dict) -> dict:
    """Write what the commit did for every fetched device; returns changed/unchanged counts."""
    now = timezone.now()
    with transaction.atomic():  # one transaction for the run's results, not several per device
        versions, counts = _device_results(ctx, repository, result, fetched)
        ConfigVersion.objects.bulk_create(versions, batch_size=500, ignore_conflicts=True)
    _stamp(list(fetched), now, params)
    return counts


def _device_results(ctx, repository, result, fetched: dict) -> tuple[list[ConfigVersion], dict]:
    versions: list[ConfigVersion] = []
    counts = {"changed": 0, "unchanged": 0}
    where = result.commit or result.head or ""
    for device_id, (target, outcome) in fetched.items():
        device = target.device
        files = []
        for kind, path, _ in outcome.result:
            f = result.files[path]
            files.append({"kind": kind, "path": path, "status": f.status, "blob": f.blob,
                          "lines_added": f.lines_added, "lines_removed": f.lines_removed,
                          "line_count": f.line_count})
            if f.status != "unchanged" and result.commit:
                versions.append(ConfigVersion(
                    repository=repository, device_id=device_id, device_name=device.name, kind=kind,
                    commit=result.commit, path=path, committed_at=result.committed_at, run_id=ctx.run_id,
                    changed_lines=f.lines_added + f.lines_removed, line_count=f.line_count, size_bytes=f.size,
                    content_hash=f.blob))
        is_changed = any(f["status"] != "unchanged" for f in files)
        counts["changed" if is_changed else "unchanged"] += 1
        ctx.device_result(device, DeviceStatus.OK, _describe(files), detail="changed" if is_changed else "unchanged",
                          data={"commit": where, "files": files}, artifact=f"{where}:{files[0]['path']}"[:300],
                          started_at=datetime.fromtimestamp(outcome.started_at, UTC))
    return versions, counts


def _describe(files: list[dict]) -> str:
    parts = []
    for f in files:
        if f["status"] == "added":
            parts.append(f"{f['kind']}: new, {f['line_count']} lines")
        elif f["status"] == "modified":
            parts.append(f"{f['kind']}: +{f['lines_added']} -{f['lines_removed']} lines")
        else:
            parts.append(f"{f['kind']}: unchanged")
    return "; ".join(parts)


def _stamp(device_ids: list[int], now: datetime, params) -> None:
    """Last backup time on the runtime status, and in a custom field when asked (without lost updates:
    the rows are locked and re-read inside the transaction)."""
    if not device_ids:
        return
    DeviceRuntimeStatus.objects.bulk_create([DeviceRuntimeStatus(device_id=i) for i in device_ids],
                                            ignore_conflicts=True)
    DeviceRuntimeStatus.objects.filter(device_id__in=device_ids).update(last_backup_at=now)
    if not params.write_timestamp_to_custom_field:
        return
    name, stamp = params.timestamp_custom_field_name, now.isoformat(timespec="seconds")
    with transaction.atomic():
        rows = list(Device.objects.select_for_update().filter(pk__in=device_ids).only("pk", "custom_fields"))
        for row in rows:
            row.custom_fields = {**(row.custom_fields or {}), name: stamp}
        Device.objects.bulk_update(rows, ["custom_fields"], batch_size=500)
