from django.contrib import admin

from netcron.accounts.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["user", "name", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at"]
    fields = ["user", "name", "prefix", "expires_at", "revoked_at", "created_at", "last_used_at"]

    def has_add_permission(self, request) -> bool:
        return False  # tokens are issued by `netcron createuser --token` or the UI, which show them once
