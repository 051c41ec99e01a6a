from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "netcron.jobs"
    label = "jobs"
    verbose_name = "Jobs"

    def ready(self) -> None:
        # Make netcron's Celery app the current one in every process (web, scheduler, CLI), so
        # shared tasks publish to NETCRON_BROKER_URL rather than Celery's default broker.
        import netcron.celery  # noqa: F401
