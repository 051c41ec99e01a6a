from django.contrib import admin

from netcron.monitoring.models import Comparison


@admin.register(Comparison)
class ComparisonAdmin(admin.ModelAdmin):
    list_display = ["id", "target", "target_name", "created_at", "in_sync", "different", "missing_in_monitoring",
                    "missing_in_source"]
    list_filter = ["target"]
