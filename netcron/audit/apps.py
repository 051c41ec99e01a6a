from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "netcron.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        from netcron.audit.tracking import connect_all

        connect_all()
