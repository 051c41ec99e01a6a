"""A test URLconf mounting the reachability router the way netcron/api/__init__.py will (at the API root)."""

from django.urls import path
from ninja import NinjaAPI

from netcron.api import reachability
from netcron.api.auth import AUTH

api = NinjaAPI(title="reachability test", version="reachability-test", auth=AUTH, urls_namespace="reach-test")
api.add_router("/", reachability.router)

urlpatterns = [path("api/", api.urls)]
