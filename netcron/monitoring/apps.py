from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "netcron.monitoring"
    label = "monitoring"
    verbose_name = "Monitoring"
