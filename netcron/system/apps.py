from django.apps import AppConfig


class SystemConfig(AppConfig):
    name = "netcron.system"
    label = "system"
    verbose_name = "System settings"
