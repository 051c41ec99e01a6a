"""A device's config history: versions, one version's text, a unified or side-by-side diff of any two,
and the latest command outputs. Reads through the configs app (netcron.configs.history), never git directly."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from netcron.configs import history
from netcron.inventory.models import Device
from netcron.jobs.models import DeviceResult, JobRun
from netcron.ui import diffs
from netcron.ui.views.common import INVENTORY_READ, JOBS_READ, needs

PANEL_VERSIONS = 10
PAGE_SIZE = 50
CONTEXT_CHOICES = (3, 10, 50)
MAX_CONTENT_CHARS = 2_000_000  # one version shown inline; the raw link serves any size
MAX_OUTPUT_CHARS = 20_000  # per command on the device page


def _kind(request) -> str:
    kind = request.GET.get("kind", "running")
    return kind if kind in history.KINDS else "running"


def _visible_runs(user, versions) -> set[int]:
    """Ids of the versions' runs the user may open (one query; none without jobs:read)."""
    ids = {v["run_id"] if isinstance(v, dict) else v.run_id for v in versions if v}
    ids.discard(None)
    if not ids or not user.has_perm(JOBS_READ):
        return set()
    return set(JobRun.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))


def _listing(request, device, versions: list, kind: str) -> dict:
    """What the version table with its two pickers needs; the newest two are preselected."""
    return {
        "device": device, "versions": versions, "kind": kind, "runs": _visible_runs(request.user, versions),
        "kinds": sorted(set(history.versions(device).values_list("kind", flat=True).distinct())),
        "to_commit": request.GET.get("to") or (versions[0].commit if versions else ""),
        "from_commit": request.GET.get("from") or (versions[1].commit if len(versions) > 1 else ""),
    }


def config_panel(request, device: Device) -> dict:
    """The device page's config panel: the newest versions of one kind with the diff picker."""
    kind = _kind(request)
    qs = history.versions(device, kind).order_by("-id")
    versions = list(qs[:PANEL_VERSIONS + 1])
    context = _listing(request, device, versions[:PANEL_VERSIONS], kind)
    context["more"] = len(versions) > PANEL_VERSIONS
    return context


def command_panel(request, device: Device) -> dict | None:
    """The outputs of the newest run_commands run that touched the device (runs the user may see)."""
    if not request.user.has_perm(JOBS_READ):
        return None
    result = (DeviceResult.objects.filter(device=device, run__job_type="run_commands",
                                          run__in=JobRun.objects.visible_to(request.user))
              .select_related("run").defer("run__params", "run__result", "run__target_device_ids")
              .order_by("-run_id").first())
    if result is None:
        return None
    commands = []
    for entry in (result.data or {}).get("commands") or []:
        output = str(entry.get("output") or "")
        commands.append({**entry, "output": output[:MAX_OUTPUT_CHARS], "clipped": len(output) > MAX_OUTPUT_CHARS})
    return {"result": result, "commands": commands}


@needs(INVENTORY_READ)
def version_list(request, pk: int):
    device = get_object_or_404(Device, pk=pk)
    kind = _kind(request)
    page = Paginator(history.versions(device, kind).order_by("-id"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "ui/configs/list.html", {**_listing(request, device, list(page), kind), "page": page})


def _version_or_error(device, commit: str, kind: str):
    try:
        version = history.resolve(device, commit, kind)
        return version, history.content(version), None, 200
    except history.BadQuery as exc:
        return None, "", str(exc), 422
    except history.NotFound as exc:
        return None, "", str(exc), 404


@needs(INVENTORY_READ)
def version_detail(request, pk: int, commit: str):
    device = get_object_or_404(Device, pk=pk)
    kind = _kind(request)
    version, text, error, status = _version_or_error(device, commit, kind)
    return render(request, "ui/configs/version.html", {
        "device": device, "kind": kind, "version": version, "error": error,
        "content": text[:MAX_CONTENT_CHARS], "clipped": len(text) > MAX_CONTENT_CHARS,
        "lines": text.count("\n") + (1 if text and not text.endswith("\n") else 0),
        "run_visible": bool(version and _visible_runs(request.user, [version])),
    }, status=status)


def _context_lines(raw: str | None) -> int:
    try:
        value = int(raw or "")
    except ValueError:
        return CONTEXT_CHOICES[0]
    return min(max(value, 0), 100)


@needs(INVENTORY_READ)
def version_diff(request, pk: int):
    """Two versions of one kind (default: the latest against the one before), unified or side by side."""
    device = get_object_or_404(Device, pk=pk)
    kind = _kind(request)
    view = "unified" if request.GET.get("view") == "unified" else "split"
    context_lines = _context_lines(request.GET.get("lines"))
    page = {"device": device, "kind": kind, "view": view, "context_lines": context_lines,
            "context_choices": CONTEXT_CHOICES, "max_rows": diffs.MAX_ROWS}
    try:
        result = history.diff(device, kind, request.GET.get("from") or None, request.GET.get("to") or None,
                              context=context_lines)
    except history.BadQuery as exc:
        return render(request, "ui/configs/diff.html", {**page, "error": str(exc)}, status=422)
    except history.NotFound as exc:
        return render(request, "ui/configs/diff.html", {**page, "error": str(exc)}, status=404)
    parsed = diffs.parse(result["diff"])
    runs = _visible_runs(request.user, [result["from"], result["to"]])
    return render(request, "ui/configs/diff.html", {
        **page, "diff": result, "parsed": parsed, "clipped": parsed.clipped or result["truncated"], "runs": runs,
        "from_commit": result["from"]["commit"] if result["from"] else "", "to_commit": result["to"]["commit"],
    })
