from django.contrib import admin
from django.urls import include, path

from netcron.api import api
from netcron.api.metrics import metrics_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("metrics", metrics_view, name="metrics"),
    path("", include("netcron.ui.urls")),
]
