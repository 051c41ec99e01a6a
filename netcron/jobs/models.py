from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, models, transaction
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone
from django.utils.timezone import now

from netcron import audit
from netcron.jobs.choices import (
    DeviceStatus,
    LogLevel,
    MisfirePolicy,
    OverlapPolicy,
    RunStatus,
    ScheduleKind,
    SolarEvent,
    TriggeredBy,
)
from netcron.lib.cron import Timing


class OwnedQuerySet(models.QuerySet):
    def visible_to(self, user) -> OwnedQuerySet:
        """Global objects plus the user's own private ones; superusers see everything."""
        if user.is_superuser:
            return self
        return self.filter(Q(is_global=True) | Q(owner=user))


class JobTemplate(models.Model):
    """A saved job of one type with validated parameters and a target selection."""

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=500, blank=True, default="")
    job_type = models.CharField(max_length=50, db_index=True)
    params = models.JSONField(default=dict, blank=True)
    targets = models.JSONField(default=dict, blank=True)
    is_global = models.BooleanField(default=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="job_templates")
    credential = models.ForeignKey("inventory.Credential", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    queue = models.CharField(max_length=20, blank=True, default="", help_text="Empty: the job type's queue")
    timeout_seconds = models.PositiveIntegerField(default=3600)
    max_retries = models.PositiveSmallIntegerField(default=0)
    max_concurrent_runs = models.PositiveSmallIntegerField(default=0, help_text="0 means no limit")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        permissions = [("read", "Can read jobs (jobs:read)"), ("write", "Can write jobs (jobs:write)")]

    def __str__(self) -> str:
        return self.name

    @property
    def job_type_spec(self):
        from netcron.executors import get_job_type

        return get_job_type(self.job_type)

    def effective_queue(self) -> str:
        from netcron.executors import job_types

        if self.queue:
            return self.queue
        spec = job_types().get(self.job_type)
        return spec.queue if spec else "default"


class JobSchedule(models.Model):
    """When a template runs. next_fire_at is the single source of truth for the scheduler."""

    name = models.CharField(max_length=100)
    # PROTECT: deleting a template must not silently delete other users' (possibly private) schedules.
    template = models.ForeignKey(JobTemplate, on_delete=models.PROTECT, related_name="schedules")
    kind = models.CharField(max_length=10, choices=ScheduleKind.choices, default=ScheduleKind.CRON)
    cron_expr = models.CharField(max_length=256, blank=True, default="")
    interval_seconds = models.PositiveIntegerField(null=True, blank=True)
    time_of_day = models.TimeField(null=True, blank=True)
    run_at = models.DateTimeField(null=True, blank=True)
    minute = models.PositiveSmallIntegerField(null=True, blank=True, help_text="hourly: minute of the hour")
    weekdays = models.JSONField(default=list, blank=True, help_text="weekly: 0=Monday ... 6=Sunday")
    day_of_month = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="monthly: 1-31; a day the month lacks is its last day")
    solar_event = models.CharField(max_length=20, blank=True, default="", choices=SolarEvent.choices,
                                   help_text="solar: the sun event that fires the schedule")
    latitude = models.FloatField(null=True, blank=True, help_text="solar: degrees, -90 to 90 (north positive)")
    longitude = models.FloatField(null=True, blank=True, help_text="solar: degrees, -180 to 180 (east positive)")
    timezone = models.CharField(max_length=64, default="UTC")
    start_at = models.DateTimeField(null=True, blank=True)
    end_at = models.DateTimeField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    is_global = models.BooleanField(default=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="job_schedules")
    credential = models.ForeignKey("inventory.Credential", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    param_overrides = models.JSONField(default=dict, blank=True)
    misfire_policy = models.CharField(max_length=10, choices=MisfirePolicy.choices,
                                      default=MisfirePolicy.RUN_ONCE)
    misfire_grace_seconds = models.PositiveIntegerField(default=300)
    overlap_policy = models.CharField(max_length=10, choices=OverlapPolicy.choices, default=OverlapPolicy.SKIP)
    next_fire_at = models.DateTimeField(null=True, blank=True)
    last_fire_at = models.DateTimeField(null=True, blank=True)
    skipped_count = models.PositiveIntegerField(default=0)
    is_system = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=now, editable=False)  # `timezone` is a field here
    updated_at = models.DateTimeField(auto_now=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        indexes = [
            models.Index(fields=["next_fire_at"], condition=Q(is_active=True), name="jobschedule_due_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def timing(self) -> Timing:
        return Timing(
            kind=self.kind,
            timezone=self.timezone,
            cron_expr=self.cron_expr,
            interval_seconds=self.interval_seconds,
            time_of_day=self.time_of_day,
            start_at=self.start_at,
            end_at=self.end_at,
            run_at=self.run_at,
            minute=self.minute,
            weekdays=tuple(self.weekdays or ()),
            day_of_month=self.day_of_month,
            solar_event=self.solar_event,
            latitude=self.latitude,
            longitude=self.longitude,
        )

    def next_fire_after(self, after: datetime) -> datetime | None:
        return self.timing().next_after(after)

    def set_active(self, active: bool) -> bool:
        """Pause or resume and save; False (nothing saved) when resuming a schedule with no future fire."""
        previous = self.is_active, self.next_fire_at
        self.is_active = active
        self.reset_next_fire()
        if active and self.next_fire_at is None:
            self.is_active, self.next_fire_at = previous
            return False
        with audit.as_action("toggle"):
            self.save(update_fields=["is_active", "next_fire_at", "updated_at"])
        return True

    def reset_next_fire(self, now: datetime | None = None) -> None:
        """Point next_fire_at at the first slot after now (used on create, edit and re-activation)."""
        now = now or timezone.now()
        self.next_fire_at = self.next_fire_after(now) if self.is_active else None


class JobRun(models.Model):
    """One execution of a template: the database row, not the broker, is the truth about it."""

    # Indexes of this table are chosen in Meta (see there): no implicit index per foreign key.
    template = models.ForeignKey(JobTemplate, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="runs", db_index=False)
    schedule = models.ForeignKey(JobSchedule, null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="runs", db_index=False)
    scheduled_for = models.DateTimeField(null=True, blank=True)
    job_name = models.CharField(max_length=100)
    job_type = models.CharField(max_length=50)
    status = models.CharField(max_length=10, choices=RunStatus.choices, default=RunStatus.PENDING)
    triggered_by = models.CharField(max_length=10, choices=TriggeredBy.choices)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                     on_delete=models.SET_NULL, related_name="+", db_index=False)
    is_global = models.BooleanField(default=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", db_index=False)
    executed_by = models.CharField(max_length=200, blank=True, default="")
    celery_task_id = models.CharField(max_length=64, blank=True, default="")
    queue = models.CharField(max_length=20)
    params = models.JSONField(default=dict, blank=True)
    credential = models.ForeignKey("inventory.Credential", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", db_index=False)
    target_device_ids = models.JSONField(null=True, blank=True,
                                         help_text="Snapshot of resolved device ids; null until resolved")
    retry_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retries",
                                 db_index=False)
    attempt = models.PositiveSmallIntegerField(default=1)
    queued_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    count_ok = models.PositiveIntegerField(default=0)
    count_failed = models.PositiveIntegerField(default=0)
    count_skipped = models.PositiveIntegerField(default=0)
    cancel_requested = models.BooleanField(default=False)
    error = models.TextField(blank=True, default="")
    result = models.JSONField(default=dict, blank=True)

    objects = OwnedQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "scheduled_for"], name="jobrun_once_per_slot"),
        ]
        # A run's row is updated twice (claimed, finished) and both change the status, so PostgreSQL
        # writes a new entry into every index each time (no HOT update): only what is read is indexed.
        # The run lists (by status, type, trigger, template; newest first), the schedule's slot (the unique
        # constraint, which also serves schedule lookups). Partial indexes cover the rows only some runs
        # have: pending runs by queue time (reaper, metrics), running runs by heartbeat (the lease check),
        # and the optional foreign keys (deletes of users, credentials, retried runs look them up).
        indexes = [
            models.Index(fields=["status", "-id"]),
            models.Index(fields=["job_type", "-id"]),
            models.Index(fields=["triggered_by", "-id"]),
            models.Index(fields=["template", "-id"]),
            models.Index(fields=["queued_at"], condition=models.Q(status="pending"), name="jobrun_pending_idx"),
            models.Index(fields=["heartbeat_at"], condition=models.Q(status="running"), name="jobrun_lease_idx"),
            models.Index(fields=["requested_by"], condition=models.Q(requested_by__isnull=False),
                         name="jobrun_requested_by_idx"),
            models.Index(fields=["owner"], condition=models.Q(owner__isnull=False), name="jobrun_owner_idx"),
            models.Index(fields=["credential"], condition=models.Q(credential__isnull=False),
                         name="jobrun_credential_idx"),
            models.Index(fields=["retry_of"], condition=models.Q(retry_of__isnull=False), name="jobrun_retry_of_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.job_name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in RunStatus.finished()

    @property
    def duration(self) -> timedelta | None:
        if not self.started_at:
            return None
        return (self.finished_at or timezone.now()) - self.started_at

    def mark_running(self, worker: str, task_id: str = "") -> bool:
        """Claim the run for a worker; False means another delivery already took it."""
        now = timezone.now()
        claimed = JobRun.objects.filter(pk=self.pk, status=RunStatus.PENDING).update(
            status=RunStatus.RUNNING, executed_by=worker, celery_task_id=task_id, started_at=now, heartbeat_at=Now()
        )
        if claimed:
            self.status, self.executed_by, self.started_at, self.heartbeat_at = (
                RunStatus.RUNNING, worker, now, now)
            self.celery_task_id = task_id
        return bool(claimed)

    def claim(self, worker: str, task_id: str = "", defer_seconds: int = 5) -> str:
        """Start the run unless the template's concurrency cap is reached.

        Returns "claimed", "duplicate" (another delivery already took it) or "deferred" (at capacity:
        the run stays pending and the reaper publishes it again after `defer_seconds`).
        """
        cap = self.template.max_concurrent_runs if self.template else 0
        with transaction.atomic():
            if cap:
                # Locking the template row serialises claims of its runs, so the count below stays true.
                list(JobTemplate.objects.select_for_update().filter(pk=self.template_id).values_list("pk"))
                running = JobRun.objects.filter(template_id=self.template_id, status=RunStatus.RUNNING).count()
                if running >= cap:
                    JobRun.objects.filter(pk=self.pk, status=RunStatus.PENDING).update(
                        queued_at=timezone.now() + timedelta(seconds=defer_seconds), published_at=None)
                    return "deferred"
            return "claimed" if self.mark_running(worker, task_id) else "duplicate"

    def beat(self, done: int | None = None, total: int | None = None) -> None:
        """Heartbeat (and progress) of a running run; never resurrects a finished one."""
        values: dict = {"heartbeat_at": Now()}  # the database's clock: the reaper compares with it, not ours
        if done is not None:
            values["progress_done"] = done
        if total is not None:
            values["progress_total"] = total
        JobRun.objects.filter(pk=self.pk, status=RunStatus.RUNNING).update(**values)

    def cancel_is_requested(self) -> bool:
        return JobRun.objects.filter(pk=self.pk, cancel_requested=True).exists()

    def request_cancel(self) -> bool:
        """Ask a run to stop. A pending run is cancelled at once; a running one stops between devices."""
        now = timezone.now()
        if JobRun.objects.filter(pk=self.pk, status=RunStatus.PENDING).update(
            status=RunStatus.CANCELLED, cancel_requested=True, finished_at=now, error="cancelled before start"
        ):
            self.refresh_from_db()
            audit.record("cancel", self, object_type="run", details={"was": RunStatus.PENDING})
            return True
        changed = JobRun.objects.filter(pk=self.pk, status=RunStatus.RUNNING).update(cancel_requested=True)
        self.refresh_from_db()
        if changed:
            audit.record("cancel", self, object_type="run", details={"was": RunStatus.RUNNING})
        return bool(changed)

    def finish(self, status: str, error: str = "", result: dict | None = None) -> bool:
        """Move a running run to a final status with counts from its device results."""
        counts = self.device_results.aggregate(
            ok=models.Count("id", filter=Q(status=DeviceStatus.OK)),
            failed=models.Count("id", filter=Q(status=DeviceStatus.FAILED)),
            skipped=models.Count("id", filter=Q(status__in=[DeviceStatus.SKIPPED, DeviceStatus.CANCELLED])),
        )
        values = {
            "status": status,
            "finished_at": timezone.now(),
            "error": error[:10000],
            "count_ok": counts["ok"],
            "count_failed": counts["failed"],
            "count_skipped": counts["skipped"],
        }
        if result is not None:
            values["result"] = result
        done = JobRun.objects.filter(pk=self.pk, status=RunStatus.RUNNING).update(**values)
        DeviceLock.release(self.pk)
        if done:
            JobRun.objects.filter(pk=self.pk, progress_done__lt=F("progress_total"), status=RunStatus.COMPLETED
                                  ).update(progress_done=F("progress_total"))
        self.refresh_from_db()
        return bool(done)

    def log(self, message: str, level: str = LogLevel.INFO, device=None) -> None:
        RunLog.objects.create(run=self, level=level, device=device, message=message[:4000])


class DeviceResult(models.Model):
    """What one run did to one device."""

    run = models.ForeignKey(JobRun, on_delete=models.CASCADE, related_name="device_results")
    device = models.ForeignKey("inventory.Device", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="job_results")
    device_name = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=DeviceStatus.choices)
    detail = models.CharField(max_length=30, blank=True, default="",
                              help_text="Type-specific outcome, e.g. changed/unchanged")
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True, default="")
    data = models.JSONField(default=dict, blank=True)
    artifact = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["device_name"]
        constraints = [models.UniqueConstraint(fields=["run", "device"], name="deviceresult_once_per_run")]
        indexes = [models.Index(fields=["run", "status"])]

    def __str__(self) -> str:
        return f"{self.device_name}: {self.status}"


class RunLog(models.Model):
    """Append-only log lines of a run, read page by page."""

    # Every run writes at least two lines: only the indexes that are read. (run, id) serves the run's log
    # pages and the foreign key; device is set on few lines (a partial index, for SET NULL on delete).
    run = models.ForeignKey(JobRun, on_delete=models.CASCADE, related_name="logs", db_index=False)
    ts = models.DateTimeField(default=timezone.now)
    level = models.CharField(max_length=10, choices=LogLevel.choices, default=LogLevel.INFO)
    device = models.ForeignKey("inventory.Device", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", db_index=False)
    message = models.TextField()

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["run", "id"]),
            models.Index(fields=["device"], condition=models.Q(device__isnull=False), name="runlog_device_idx"),
        ]

    def __str__(self) -> str:
        return f"run {self.run_id} {self.level}: {self.message[:60]}"


class DeviceLock(models.Model):
    """While a run works on a device, no other run of the same job type may touch that device."""

    device = models.ForeignKey("inventory.Device", on_delete=models.CASCADE, related_name="+")
    job_type = models.CharField(max_length=50)
    run = models.ForeignKey(JobRun, on_delete=models.CASCADE, related_name="device_locks")
    acquired_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["device", "job_type"], name="devicelock_one_holder")]

    def __str__(self) -> str:
        return f"{self.job_type} on device {self.device_id} held by run {self.run_id}"

    @classmethod
    def acquire(cls, run: JobRun, device) -> int | None:
        """Take the lock; returns None on success, or the id of the live run that holds it."""
        for _ in range(2):
            try:
                with transaction.atomic():
                    cls.objects.create(device=device, job_type=run.job_type, run=run)
                return None
            except IntegrityError:
                holder = cls.objects.filter(device=device, job_type=run.job_type).select_related("run").first()
                if holder is None:
                    continue  # released in between: try again
                if holder.run_id == run.pk:
                    return None
                if holder.run.status not in RunStatus.active():
                    cls.objects.filter(pk=holder.pk, run_id=holder.run_id).delete()  # left by a dead run
                    continue
                return holder.run_id
        return None if cls.objects.filter(device=device, job_type=run.job_type, run=run).exists() else -1

    @classmethod
    def release(cls, run_id: int, device_id: int | None = None) -> None:
        locks = cls.objects.filter(run_id=run_id)
        if device_id is not None:
            locks = locks.filter(device_id=device_id)
        locks.delete()


class WorkerHeartbeat(models.Model):
    """Each worker writes its row every few seconds; a worker missing ~3 beats is shown as down."""

    name = models.CharField(max_length=200, unique=True)
    hostname = models.CharField(max_length=200)
    pid = models.PositiveIntegerField()
    queues = models.JSONField(default=list)
    started_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    active_runs = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    info = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def is_alive(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return (now - self.last_seen_at).total_seconds() < 3 * settings.NETCRON_HEARTBEAT_SECONDS + 2


class SchedulerTick(models.Model):
    """Counters written by scheduler processes, for /metrics and the dashboard."""

    name = models.CharField(max_length=200, unique=True)
    last_tick_at = models.DateTimeField(default=timezone.now)
    ticks = models.PositiveBigIntegerField(default=0)
    runs_created = models.PositiveBigIntegerField(default=0)
    last_tick_ms = models.FloatField(default=0)

    def __str__(self) -> str:
        return self.name
