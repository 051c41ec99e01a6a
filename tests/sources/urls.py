"""A test URLconf mounting the sources and monitoring routers the way netcron/api/__init__.py will."""

from django.urls import path
from ninja import NinjaAPI

from netcron.api import monitoring, sources
from netcron.api.auth import AUTH

api = NinjaAPI(title="sources test", version="sources-test", auth=AUTH, urls_namespace="sources-test")
api.add_router("/job-runs/dashboard", monitoring.router)
api.add_router("/monitoring", monitoring.sd_router)
api.add_router("/sources", sources.router)

urlpatterns = [path("api/", api.urls)]
