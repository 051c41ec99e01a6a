from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "netcron.jobs"
    label = "jobs"
    verbose_name = "Jobs"
