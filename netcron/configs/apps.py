from django.apps import AppConfig


class ConfigsConfig(AppConfig):
    name = "netcron.configs"
    label = "configs"
    verbose_name = "Config history"
