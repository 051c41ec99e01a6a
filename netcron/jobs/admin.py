from django.contrib import admin

from netcron.jobs.models import DeviceResult, JobRun, JobSchedule, JobTemplate, RunLog, WorkerHeartbeat


@admin.register(JobTemplate)
class JobTemplateAdmin(admin.ModelAdmin):
    list_display = ["name", "job_type", "queue", "is_global", "owner", "updated_at"]
    list_filter = ["job_type", "is_global"]
    search_fields = ["name", "description"]


@admin.register(JobSchedule)
class JobScheduleAdmin(admin.ModelAdmin):
    list_display = ["name", "template", "kind", "cron_expr", "timezone", "is_active", "next_fire_at", "last_fire_at"]
    list_filter = ["kind", "is_active", "is_global", "misfire_policy", "overlap_policy"]
    search_fields = ["name", "template__name"]
    list_select_related = ["template"]
    readonly_fields = ["next_fire_at", "last_fire_at", "skipped_count"]


class DeviceResultInline(admin.TabularInline):
    model = DeviceResult
    extra = 0
    fields = ["device_name", "status", "detail", "message", "started_at", "finished_at"]
    readonly_fields = fields
    can_delete = False


@admin.register(JobRun)
class JobRunAdmin(admin.ModelAdmin):
    list_display = ["id", "job_name", "job_type", "status", "triggered_by", "queued_at", "started_at",
                    "finished_at", "executed_by", "count_ok", "count_failed"]
    list_filter = ["status", "job_type", "triggered_by", "queue"]
    search_fields = ["job_name", "executed_by", "error"]
    date_hierarchy = "queued_at"
    inlines = [DeviceResultInline]
    raw_id_fields = ["template", "schedule", "retry_of", "credential", "requested_by", "owner"]
    show_full_result_count = False


@admin.register(RunLog)
class RunLogAdmin(admin.ModelAdmin):
    list_display = ["run", "ts", "level", "device", "message"]
    list_filter = ["level"]
    raw_id_fields = ["run", "device"]
    show_full_result_count = False


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["name", "hostname", "pid", "queues", "last_seen_at", "active_runs", "processed"]
