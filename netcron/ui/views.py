from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from netcron.jobs.models import JobRun, JobSchedule


@login_required
def home(request):
    runs = JobRun.objects.visible_to(request.user).select_related("requested_by")[:20]
    schedules = (JobSchedule.objects.visible_to(request.user).filter(is_active=True)
                 .select_related("template").order_by("next_fire_at")[:10])
    return render(request, "ui/home.html", {"runs": runs, "schedules": schedules})
