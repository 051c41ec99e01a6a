from __future__ import annotations

from django.conf import settings
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone

from netcron import audit


class Event(models.TextChoices):
    FAILURE = "failure", "Run failed or had failed devices"
    SUCCESS = "success", "Run completed without failures"
    STATE_CHANGE = "state_change", "A device changed state"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Webhook"


class RuleQuerySet(models.QuerySet):
    def visible_to(self, user) -> RuleQuerySet:
        """Rules of templates and schedules the user can see; rules for everything only for superusers."""
        if user.is_superuser:
            return self
        from netcron.jobs.models import JobSchedule, JobTemplate

        templates = JobTemplate.objects.visible_to(user).values("pk")
        schedules = JobSchedule.objects.visible_to(user).values("pk")
        return self.filter(Q(template__isnull=True) | Q(template__in=templates),
                           Q(schedule__isnull=True) | Q(schedule__in=schedules),
                           Q(template__isnull=False) | Q(schedule__isnull=False))

    def matching(self, event: str, template_id: int | None, schedule_id: int | None) -> RuleQuerySet:
        """Active rules for `event` on this template or schedule, plus the rules for everything."""
        scope = Q(template__isnull=True, schedule__isnull=True)
        if template_id is not None:
            scope |= Q(template_id=template_id, schedule__isnull=True)
        if schedule_id is not None:
            scope |= Q(schedule_id=schedule_id)
        return self.filter(scope, is_active=True, **{EVENT_FIELDS[event]: True})


EVENT_FIELDS = {Event.FAILURE: "on_failure", Event.SUCCESS: "on_success", Event.STATE_CHANGE: "on_state_change"}


class NotificationRule(models.Model):
    """Send `events` of a template's or schedule's runs to one email list or webhook.

    A rule with neither template nor schedule applies to every run (superusers only).
    """

    name = models.CharField(max_length=100)
    template = models.ForeignKey("jobs.JobTemplate", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="notification_rules")
    schedule = models.ForeignKey("jobs.JobSchedule", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="notification_rules")
    on_failure = models.BooleanField(default=True, help_text="A run failed or had failed devices")
    on_success = models.BooleanField(default=False, help_text="A run completed without failures")
    on_state_change = models.BooleanField(default=False, help_text="A device changed state (reachability)")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    target = models.CharField(max_length=2000, blank=True, default="",
                              help_text="Comma-separated addresses or a URL; empty: the system default")
    credential = models.ForeignKey("inventory.Credential", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", help_text="Webhook: its token secret signs the body")
    is_active = models.BooleanField(default=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = RuleQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def any_active_sql(cls) -> str:
        """SQL expression: is any rule active? (The runner's final statement asks it too.)"""
        return f"EXISTS (SELECT 1 FROM {cls._meta.db_table} WHERE is_active)"  # noqa: S608 - table name only

    @classmethod
    def any_active(cls) -> bool:
        """Whether any rule is active: asked after every run, and most installations have few rules or
        none, so this is one plain query (~0.2 ms) where matching through the ORM costs ~1 ms."""
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {cls.any_active_sql()}")
            return bool(cursor.fetchone()[0])

    def set_active(self, active: bool) -> None:
        """Enable or disable the rule; audited as a toggle (like pausing a schedule)."""
        self.is_active = active
        with audit.as_action("toggle"):
            self.save(update_fields=["is_active", "updated_at"])

    @property
    def events(self) -> list[str]:
        return [str(event) for event, field in EVENT_FIELDS.items() if getattr(self, field)]

    def recipients(self, defaults) -> list[str]:
        if self.target.strip():
            return [a.strip() for a in self.target.split(",") if a.strip()]
        return list(defaults.notify_email_recipients)

    def url(self, defaults) -> str:
        return self.target.strip() or defaults.notify_webhook_url

    def credential_id_for_webhook(self, defaults) -> int | None:
        return self.credential_id or defaults.notify_webhook_credential_id


class DeliveryStatus(models.TextChoices):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"


class NotificationDelivery(models.Model):
    """One message to one channel, with its attempts; written before sending, so nothing is lost unseen."""

    rule = models.ForeignKey(NotificationRule, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="deliveries")
    run = models.ForeignKey("jobs.JobRun", null=True, blank=True, on_delete=models.CASCADE,
                            related_name="notifications")
    event = models.CharField(max_length=20, choices=Event.choices)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    target = models.CharField(max_length=2000)
    credential = models.ForeignKey("inventory.Credential", null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    subject = models.CharField(max_length=300)
    body = models.TextField()
    payload = models.JSONField(default=dict)
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "notification deliveries"
        indexes = [models.Index(fields=["run", "id"]), models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.event} via {self.channel} to {self.target[:60]}: {self.status}"

    def finish(self, ok: bool, attempts: int, error: str = "") -> None:
        self.status = DeliveryStatus.SENT if ok else DeliveryStatus.FAILED
        self.attempts = attempts
        self.last_error = error[:500]
        self.sent_at = timezone.now() if ok else None
        self.save(update_fields=["status", "attempts", "last_error", "sent_at"])
