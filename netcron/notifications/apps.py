from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "netcron.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self) -> None:
        # Register the delivery task in every process (workers import apps, not this module).
        import netcron.notifications.tasks  # noqa: F401
