from django.contrib.auth import views as auth_views
from django.urls import path

from netcron.ui.views import audit, dashboard, devices, runs, schedules, system_settings, templates, tokens

app_name = "ui"

urlpatterns = [
    path("", dashboard.dashboard, name="home"),
    path("dashboard/active", dashboard.active_partial, name="dashboard-active"),
    path("dashboard/workers", dashboard.workers_partial, name="dashboard-workers"),
    path("login/", auth_views.LoginView.as_view(template_name="ui/login.html", redirect_authenticated_user=True),
         name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page="ui:login"), name="logout"),
    path("templates/", templates.template_list, name="template-list"),
    path("templates/new", templates.template_new, name="template-new"),
    path("templates/params", templates.template_params, name="template-params"),
    path("templates/<int:pk>/", templates.template_detail, name="template-detail"),
    path("templates/<int:pk>/edit", templates.template_edit, name="template-edit"),
    path("templates/<int:pk>/delete", templates.template_delete, name="template-delete"),
    path("templates/<int:pk>/run", templates.template_run, name="template-run"),
    path("schedules/", schedules.schedule_list, name="schedule-list"),
    path("schedules/new", schedules.schedule_new, name="schedule-new"),
    path("schedules/preview", schedules.schedule_preview, name="schedule-preview"),
    path("schedules/<int:pk>/", schedules.schedule_detail, name="schedule-detail"),
    path("schedules/<int:pk>/edit", schedules.schedule_edit, name="schedule-edit"),
    path("schedules/<int:pk>/toggle", schedules.schedule_toggle, name="schedule-toggle"),
    path("schedules/<int:pk>/delete", schedules.schedule_delete, name="schedule-delete"),
    path("schedules/<int:pk>/run", schedules.schedule_run, name="schedule-run"),
    path("runs/", runs.run_list, name="run-list"),
    path("runs/<int:pk>/", runs.run_detail, name="run-detail"),
    path("runs/<int:pk>/live", runs.run_live, name="run-live"),
    path("runs/<int:pk>/log", runs.run_log, name="run-log"),
    path("runs/<int:pk>/cancel", runs.run_cancel, name="run-cancel"),
    path("runs/<int:pk>/retry", runs.run_retry, name="run-retry"),
    path("devices/", devices.device_list, name="device-list"),
    path("devices/<int:pk>/", devices.device_detail, name="device-detail"),
    path("audit/", audit.audit_list, name="audit-list"),
    path("settings/", system_settings.settings_page, name="settings"),
    path("account/tokens/", tokens.token_list, name="token-list"),
    path("account/tokens/<int:pk>/revoke", tokens.token_revoke, name="token-revoke"),
]
