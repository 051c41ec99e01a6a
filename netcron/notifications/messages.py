"""What a notification says: what ran, what failed (counts, first errors, device names), a link."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from netcron.jobs.choices import DeviceStatus, RunStatus
from netcron.notifications.models import Event

MAX_FAILED_NAMES = 20
MAX_ERRORS = 5


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    payload: dict


def run_url(run_id: int) -> str:
    return f"{settings.BASE_URL.rstrip('/')}/runs/{run_id}/"


def run_event(run) -> str | None:
    """success, failure, or None for runs no rule is told about (cancelled, still going)."""
    if run.status == RunStatus.FAILED or (run.status == RunStatus.COMPLETED and run.count_failed > 0):
        return Event.FAILURE
    if run.status == RunStatus.COMPLETED:
        return Event.SUCCESS
    return None


def for_run(run, event: str) -> Message:
    failed = list(run.device_results.filter(status=DeviceStatus.FAILED).order_by("device_name")
                  .values_list("device_name", "message")[:MAX_FAILED_NAMES + 1])
    names = [name for name, _ in failed[:MAX_FAILED_NAMES]]
    errors = [f"{name}: {message.splitlines()[0][:300] if message else 'failed'}" for name, message in
              failed[:MAX_ERRORS]]
    if run.error:
        errors.insert(0, run.error.splitlines()[0][:500])
    link = run_url(run.pk)
    outcome = "failed" if run.status == RunStatus.FAILED else \
        f"completed with {run.count_failed} failed device(s)" if run.count_failed else "completed"
    subject = f"[netcron] {run.job_name}: {outcome} (run #{run.pk})"
    schedule = f", schedule {run.schedule.name}" if run.schedule else ""
    lines = [
        f"Job: {run.job_name} ({run.job_type})",
        f"Run: #{run.pk}, triggered by {run.triggered_by}{schedule}",
        f"Status: {run.status}",
        f"Devices: {run.count_ok} ok, {run.count_failed} failed, {run.count_skipped} skipped",
    ]
    if names:
        more = " and more" if len(failed) > MAX_FAILED_NAMES else ""
        lines.append(f"Failed devices: {', '.join(names)}{more}")
    if errors:
        lines += ["", "First errors:", *[f"  - {e}" for e in errors]]
    lines += ["", f"Details: {link}"]
    payload = {
        "event": f"run.{event}", "run": {
            "id": run.pk, "job_name": run.job_name, "job_type": run.job_type, "status": run.status,
            "triggered_by": run.triggered_by, "template_id": run.template_id, "schedule_id": run.schedule_id,
            "started_at": _iso(run.started_at), "finished_at": _iso(run.finished_at),
            "counts": {"ok": run.count_ok, "failed": run.count_failed, "skipped": run.count_skipped},
            "error": run.error[:1000], "failed_devices": names, "first_errors": errors, "url": link,
        },
    }
    return Message(subject[:300], "\n".join(lines), payload)


def for_state_change(device, old: str, new: str, run=None) -> Message:
    subject = f"[netcron] {device.name} is {new} (was {old})"
    lines = [f"Device: {device.name} ({device.host})", f"State: {old} -> {new}"]
    payload = {"event": "device.state_changed",
               "device": {"id": device.pk, "name": device.name, "host": device.host},
               "old_state": old, "new_state": new, "run": None}
    if run is not None:
        lines.append(f"Seen by run #{run.pk} ({run.job_name}): {run_url(run.pk)}")
        payload["run"] = {"id": run.pk, "job_name": run.job_name, "url": run_url(run.pk)}
    return Message(subject[:300], "\n".join(lines), payload)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None
