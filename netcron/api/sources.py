"""Inventory sources over the API: CSV export and import (upload).

Mount: `api.add_router("/sources", sources.router)`.
"""

from __future__ import annotations

from django.http import HttpResponse
from ninja import Router, Status

from netcron.api.auth import INVENTORY_READ, INVENTORY_WRITE, require
from netcron.sources.csv_devices import COLUMNS, export_devices, import_devices

router = Router(tags=["inventory"])


@router.get("/csv", summary="Export devices as CSV", description="Columns: " + ", ".join(
    c for c in COLUMNS if c not in ("username", "password", "enable_secret")) + ". Secrets are never exported.")
def export_csv(request):
    require(request, INVENTORY_READ)
    response = HttpResponse(export_devices(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="devices.csv"'
    return response


@router.post("/csv", response={200: dict, 422: dict}, summary="Import devices from CSV",
             description="Send the CSV as the body (`Content-Type: text/csv`) or as the multipart field `file`. "
                         "Columns: " + ", ".join(COLUMNS) + ". Every row is checked first; with any invalid row "
                         "nothing is imported (422 with the errors by line) unless `skip_invalid=true`.")
def import_csv(request, skip_invalid: bool = False):
    require(request, INVENTORY_WRITE)
    if request.content_type == "multipart/form-data":
        upload = request.FILES.get("file")
        if upload is None:
            return Status(422, {"imported": False, "created": 0, "updated": 0,
                                "errors": ["send the CSV in the multipart field `file`"]})
        raw = upload.read()
    else:
        raw = request.body
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return Status(422, {"imported": False, "created": 0, "updated": 0, "errors": ["the file is not UTF-8 text"]})
    report = import_devices(text, skip_invalid=skip_invalid)
    body = {"imported": report.imported, "created": report.created, "updated": report.updated,
            "errors": report.errors}
    return Status(200 if report.imported else 422, body)
