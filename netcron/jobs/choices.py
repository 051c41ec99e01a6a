from django.db import models


class RunStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @classmethod
    def finished(cls) -> list[str]:
        return [cls.COMPLETED, cls.FAILED, cls.CANCELLED]

    @classmethod
    def active(cls) -> list[str]:
        return [cls.PENDING, cls.RUNNING]


class TriggeredBy(models.TextChoices):
    SCHEDULE = "schedule"
    MANUAL = "manual"
    API = "api"
    RETRY = "retry"
    SYSTEM = "system"


class ScheduleKind(models.TextChoices):
    CRON = "cron"
    INTERVAL = "interval"
    HOURLY = "hourly"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    ONCE = "once"
    SOLAR = "solar"


class MisfirePolicy(models.TextChoices):
    SKIP = "skip"
    RUN_ONCE = "run_once"
    RUN_ALL = "run_all"


class OverlapPolicy(models.TextChoices):
    SKIP = "skip"
    QUEUE_ONE = "queue_one"
    ALLOW = "allow"


class DeviceStatus(models.TextChoices):
    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class LogLevel(models.TextChoices):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


class SolarEvent(models.TextChoices):
    """The sun events a solar schedule can fire at (the names django-celery-beat uses)."""

    SUNRISE = "sunrise", "Sunrise"
    SUNSET = "sunset", "Sunset"
    SOLAR_NOON = "solar_noon", "Solar noon"
    DAWN_CIVIL = "dawn_civil", "Civil dawn"
    DUSK_CIVIL = "dusk_civil", "Civil dusk"
    DAWN_NAUTICAL = "dawn_nautical", "Nautical dawn"
    DUSK_NAUTICAL = "dusk_nautical", "Nautical dusk"
    DAWN_ASTRONOMICAL = "dawn_astronomical", "Astronomical dawn"
    DUSK_ASTRONOMICAL = "dusk_astronomical", "Astronomical dusk"
