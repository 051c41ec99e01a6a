"""Settings apply on the next use in every process: the reaper, new schedules, the history cleanup."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from netcron.audit.models import AuditEntry
from netcron.jobs import dispatch
from netcron.jobs.models import JobRun, RunLog
from netcron.system import models as system
from netcron.system.models import SystemSettings, current
from tests.factories import make_template

pytestmark = pytest.mark.django_db


def running_run(beat_seconds_ago: int) -> JobRun:
    stale = timezone.now() - timedelta(seconds=beat_seconds_ago)
    run = dispatch.new_run(make_template(), "manual")
    run.status, run.executed_by, run.started_at, run.heartbeat_at = "running", "w@h-1", stale, stale
    run.save()
    return run


def test_the_environment_is_the_default_when_nothing_is_set(settings):
    settings.NETCRON_LEASE_SECONDS = 17
    assert current().lease_seconds == 17


def test_the_reaper_uses_the_lease_from_the_settings_on_its_next_call(settings, admin):
    settings.NETCRON_LEASE_SECONDS = 60
    run = running_run(beat_seconds_ago=40)
    assert dispatch.reap()["lost"] == 0
    SystemSettings.load().change({"lease_seconds": 30}, user=admin)
    assert dispatch.reap()["lost"] == 1
    run.refresh_from_db()
    assert run.status == "failed" and run.error.startswith("lost worker")


def test_the_reaper_republishes_after_the_time_from_the_settings(settings):
    settings.NETCRON_REPUBLISH_AFTER_SECONDS = 600
    from netcron.celery import app

    run = dispatch.new_run(make_template(), "manual")
    run.published_at = run.queued_at = timezone.now() - timedelta(seconds=120)
    run.save()
    with app.connection_for_write() as conn:  # its message is gone (as with a broker restart), not queued
        conn.default_channel.queue_purge(run.queue)
    assert dispatch.reap()["republished"] == 0
    SystemSettings.load().change({"republish_after_seconds": 60})
    assert dispatch.reap()["republished"] == 1


def test_another_process_sees_a_change_once_its_cached_copy_expires(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(system, "_clock", lambda: clock[0])
    monkeypatch.setattr(system, "_in_transaction", lambda: False)  # as the engine's loops run
    assert current().lease_seconds != 42
    # Another process writes the row; this one keeps its cached copy for a few seconds...
    SystemSettings.objects.filter(pk=1).update(values={"lease_seconds": 42})
    assert current().lease_seconds != 42
    clock[0] += system.CACHE_SECONDS + 0.1
    assert current().lease_seconds == 42


def test_inside_a_transaction_the_settings_are_read_fresh_and_not_cached():
    from django.db import transaction

    with transaction.atomic():
        SystemSettings.objects.filter(pk=1).update(values={"lease_seconds": 42})
        assert current().lease_seconds == 42
    assert system._cache is None


def test_a_stored_value_that_is_no_longer_valid_falls_back_to_its_default(settings):
    SystemSettings.objects.filter(pk=1).update(values={"lease_seconds": 0, "logs_retention_days": 5})
    values = current()
    assert values.lease_seconds == settings.NETCRON_LEASE_SECONDS and values.logs_retention_days == 5


def test_a_new_schedule_without_a_time_zone_gets_the_default_from_the_settings(api_as, alice):
    SystemSettings.load().change({"default_timezone": "Europe/Berlin"})
    template = make_template(owner=alice)
    client = api_as(alice)
    made = client.post("/api/job-schedules", json={"name": "s", "template_id": template.pk, "kind": "cron",
                                                   "cron_expr": "0 3 * * *"})
    assert made.status_code == 201, made.content
    assert made.json()["timezone"] == "Europe/Berlin"
    explicit = client.post("/api/job-schedules", json={"name": "s2", "template_id": template.pk, "kind": "cron",
                                                       "cron_expr": "0 3 * * *", "timezone": "UTC"})
    assert explicit.json()["timezone"] == "UTC"


def old_runs(days: int) -> JobRun:
    run = dispatch.new_run(make_template(name=f"t{days}"), "manual")
    run.status, run.finished_at = "completed", timezone.now() - timedelta(days=days)
    run.save()
    RunLog.objects.create(run=run, message="x", ts=run.finished_at)
    return run


def cleanup(params: dict | None = None) -> dict:
    from netcron.executors.cleanup_history.executor import execute
    from netcron.executors.cleanup_history.params import CleanupParams

    class Ctx:
        def log(self, *args, **kwargs):
            pass

        def progress(self, *args, **kwargs):
            pass

    return execute(Ctx(), CleanupParams.model_validate(params or {}))


def test_the_cleanup_job_keeps_history_as_long_as_the_settings_say():
    kept, gone = old_runs(20), old_runs(40)
    SystemSettings.load().change({"runs_retention_days": 30, "logs_retention_days": 30})
    result = cleanup()
    assert result["retention_days"]["runs"] == 30
    assert JobRun.objects.filter(pk=kept.pk).exists() and not JobRun.objects.filter(pk=gone.pk).exists()


def test_the_cleanup_jobs_own_parameters_win_over_the_settings():
    old_runs(20)
    SystemSettings.load().change({"runs_retention_days": 30})
    assert cleanup({"runs_days": 10})["deleted"]["runs"] == 1


def test_the_cleanup_job_leaves_the_audit_log_alone_unless_a_retention_is_set(api_as, admin):
    AuditEntry.objects.create(via="api", action="create", object_type="tag", ts=timezone.now() - timedelta(days=400))
    assert "audit" not in cleanup()["deleted"]
    assert AuditEntry.objects.filter(object_type="tag").exists()
    SystemSettings.load().change({"audit_retention_days": 365})
    assert cleanup()["deleted"]["audit"] == 1
    assert not AuditEntry.objects.filter(object_type="tag").exists()
    assert AuditEntry.objects.filter(object_type="settings").exists()


def test_the_cleanup_job_forgets_old_config_versions_but_keeps_each_devices_newest():
    from django.apps import apps

    from netcron.inventory.models import Device

    if not apps.is_installed("netcron.configs"):
        pytest.skip("the configs app is not installed")
    repository = apps.get_model("configs", "ConfigRepository").objects.create(path="/tmp/nc-i10-repo")
    version = apps.get_model("configs", "ConfigVersion")
    device = Device.objects.create(name="r1", host="192.0.2.1", platform="cisco_ios")

    def make(commit: str, days: int):
        return version.objects.create(repository=repository, device=device, device_name="r1", commit=commit,
                                      path="r1.cfg", committed_at=timezone.now() - timedelta(days=days))

    oldest, older, newest_but_old = make("a" * 40, 300), make("b" * 40, 200), make("c" * 40, 100)
    assert "config_versions" not in cleanup()["deleted"]
    SystemSettings.load().change({"config_versions_retention_days": 30})
    assert cleanup()["deleted"]["config_versions"] == 2
    assert list(version.objects.values_list("pk", flat=True)) == [newest_but_old.pk]
    assert not version.objects.filter(pk__in=[oldest.pk, older.pk]).exists()
