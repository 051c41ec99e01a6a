"""A test URLconf mounting the configs router the way netcron/api/__init__.py will, plus the real API."""

from django.urls import path
from ninja import NinjaAPI

from netcron.api import api as main_api
from netcron.api import configs
from netcron.api.auth import AUTH

api = NinjaAPI(title="configs test", version="configs-test", auth=AUTH, urls_namespace="configs-test")
api.add_router("/", configs.router)

urlpatterns = [path("api/", api.urls), path("main-api/", main_api.urls)]
