from django.contrib import admin

from netcron.notifications.models import NotificationDelivery, NotificationRule


@admin.register(NotificationRule)
class NotificationRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "template", "schedule", "channel", "target", "on_failure", "on_success",
                    "on_state_change", "is_active"]
    list_filter = ["channel", "is_active", "on_failure", "on_success", "on_state_change"]
    search_fields = ["name", "target"]
    raw_id_fields = ["template", "schedule", "credential", "owner"]


@admin.register(NotificationDelivery)
class NotificationDeliveryAdmin(admin.ModelAdmin):
    list_display = ["id", "created_at", "event", "channel", "target", "status", "attempts", "last_error", "run"]
    list_filter = ["status", "channel", "event"]
    raw_id_fields = ["rule", "run", "credential"]
    readonly_fields = ["rule", "run", "event", "channel", "target", "credential", "subject", "body", "payload",
                       "status", "attempts", "last_error", "created_at", "sent_at"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False
