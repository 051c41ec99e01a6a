from __future__ import annotations

from django.db import connection
from django.utils import timezone
from ninja import Router, Status

from netcron import __version__

router = Router(tags=["system"])


@router.get("/health", auth=None, response={200: dict, 503: dict},
            summary="Liveness and database check (no authentication)")
def health(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:
        database = "unavailable"
    status = 200 if database == "ok" else 503
    body = {"status": "ok" if status == 200 else "degraded", "database": database, "version": __version__,
            "time": timezone.now().isoformat()}
    return Status(status, body)
