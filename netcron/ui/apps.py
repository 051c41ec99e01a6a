from django.apps import AppConfig


class UiConfig(AppConfig):
    name = "netcron.ui"
    label = "ui"
    verbose_name = "Web UI"
