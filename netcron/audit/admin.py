from django.contrib import admin

from netcron.audit.models import AuditEntry


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: entries are never added, changed or deleted by hand."""

    list_display = ["ts", "actor_name", "via", "action", "object_type", "object_id", "object_repr"]
    list_filter = ["action", "object_type", "via"]
    search_fields = ["actor_name", "object_repr", "object_id"]
    date_hierarchy = "ts"
    show_full_result_count = False
    readonly_fields = [f.name for f in AuditEntry._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
