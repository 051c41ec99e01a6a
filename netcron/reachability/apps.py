from django.apps import AppConfig


class ReachabilityConfig(AppConfig):
    name = "netcron.reachability"
    label = "reachability"
    verbose_name = "Reachability"
