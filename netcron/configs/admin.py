from django.contrib import admin

from netcron.configs.models import ConfigRepository, ConfigVersion


@admin.register(ConfigRepository)
class ConfigRepositoryAdmin(admin.ModelAdmin):
    list_display = ["path", "remote_url", "branch", "created_at"]


@admin.register(ConfigVersion)
class ConfigVersionAdmin(admin.ModelAdmin):
    list_display = ["device_name", "kind", "short_commit", "committed_at", "changed_lines", "run"]
    list_filter = ["kind"]
    search_fields = ["device_name", "commit"]
    raw_id_fields = ["device", "run", "repository"]
