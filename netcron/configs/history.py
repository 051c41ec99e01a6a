"""Reading the config history: list a device's versions, show one, diff two, search current configs.

Shared by the API and the CLI; errors are ``NotFound`` (404 / exit 2) and ``BadQuery`` (422 / exit 2)
with messages meant for users.
"""

from __future__ import annotations

import re
import time

from django.db.models import Max, QuerySet

from netcron.configs.models import ConfigKind, ConfigVersion
from netcron.configs.search import check_pattern, search_texts
from netcron.lib.gitstore import GitStoreError, diff_blobs

KINDS = [k.value for k in ConfigKind]
MAX_DIFF_CHARS = 2_000_000
MAX_SCAN_BYTES = 512 * 1024 * 1024


class BadQuery(ValueError):
    """Input the caller can fix (bad kind, bad regex, ambiguous commit)."""


class NotFound(LookupError):
    """No such version."""


def check_kind(kind: str) -> str:
    if kind not in KINDS:
        raise BadQuery(f"kind: must be one of {', '.join(KINDS)}")
    return kind


def versions(device, kind: str | None = None) -> QuerySet:
    """A device's versions, newest first (one indexed query; no git access)."""
    qs = ConfigVersion.objects.filter(device=device).select_related("repository")
    return qs.filter(kind=check_kind(kind)) if kind else qs


def resolve(device, ref: str | None, kind: str) -> ConfigVersion:
    """The version named by a commit id (or unique prefix of 4+ hex digits); None/"latest" is the newest."""
    qs = versions(device, kind).order_by("-id")
    if ref in (None, "", "latest", "HEAD"):
        version = qs.first()
        if version is None:
            raise NotFound(f"{device.name} has no backed-up {kind} config yet")
        return version
    if not re.fullmatch(r"[0-9a-fA-F]{4,40}", ref):
        raise BadQuery(f"commit: {ref!r} is not a commit id (4 to 40 hex digits) or 'latest'")
    found = list(qs.filter(commit__startswith=ref.lower())[:2])
    if not found:
        raise NotFound(f"no {kind} config of {device.name} at commit {ref}")
    if len(found) > 1:
        raise BadQuery(f"commit: {ref} is ambiguous; give more digits")
    return found[0]


def content(version: ConfigVersion) -> str:
    try:
        return version.content().decode("utf-8", "replace")
    except GitStoreError as exc:
        raise NotFound(str(exc)) from None


def version_out(version: ConfigVersion | None) -> dict | None:
    if version is None:
        return None
    return {"commit": version.commit, "kind": version.kind, "committed_at": version.committed_at.isoformat(),
            "run_id": version.run_id, "path": version.path, "changed_lines": version.changed_lines,
            "line_count": version.line_count, "size_bytes": version.size_bytes,
            "content_hash": version.content_hash, "repository": str(version.repository)}


def diff(device, kind: str, from_ref: str | None = None, to_ref: str | None = None, context: int = 3) -> dict:
    """Unified diff between two versions; defaults: to = latest, from = the version before ``to``."""
    check_kind(kind)
    to = resolve(device, to_ref, kind)
    old = resolve(device, from_ref, kind) if from_ref else to.previous()
    old_text = content(old).encode() if old is not None else None
    old_label = f"{old.path}@{old.commit[:10]}" if old is not None else to.path
    text, added, removed = diff_blobs(old_text, content(to).encode(), old_label, f"{to.path}@{to.commit[:10]}",
                                      context=max(0, min(context, 100)))
    truncated = len(text) > MAX_DIFF_CHARS
    if truncated:
        text = text[:MAX_DIFF_CHARS] + "\n[... diff truncated ...]\n"
    return {"device_id": device.pk, "device": device.name, "kind": kind, "from": version_out(old),
            "to": version_out(to), "lines_added": added, "lines_removed": removed, "diff": text,
            "truncated": truncated}


def current_versions(kind: str = "running") -> QuerySet:
    """Each existing device's newest version of ``kind``."""
    latest = (ConfigVersion.objects.filter(kind=check_kind(kind), device__isnull=False)
              .values("device_id").annotate(last=Max("id")).values("last"))
    return ConfigVersion.objects.filter(id__in=latest).select_related("repository").order_by("device_name")


def search(pattern: str, *, regex: bool = False, kind: str = "running", ignore_case: bool = False,
           max_devices: int = 200, max_lines: int = 20, time_budget: float = 5.0) -> dict:
    """Which devices' current config contains ``pattern``, with matching lines (1-based line numbers).

    Bounded: at most ``max_devices`` devices and ``max_lines`` lines each, MAX_SCAN_BYTES of config and
    ``time_budget`` seconds (regexes run in a child process that is killed when the time is up).
    """
    try:
        check_pattern(pattern, regex=regex, ignore_case=ignore_case)
    except ValueError as exc:
        raise BadQuery(f"q: {exc}") from None
    started = time.monotonic()
    candidates, texts, reason = [], [], ""
    repos: dict[int, object] = {}
    scanned = 0
    for version in current_versions(kind).iterator(chunk_size=500):
        if time.monotonic() - started > time_budget / 2 or scanned > MAX_SCAN_BYTES:
            reason = "too many configs to search; narrow the search"
            break
        data = _read(repos, version)
        if data is None:
            continue
        scanned += len(data)
        candidates.append(version)
        texts.append(data)
    found, stopped = search_texts(texts, pattern, regex=regex, ignore_case=ignore_case, max_lines=max_lines,
                                  max_matches=max_devices, timeout=time_budget - (time.monotonic() - started))
    matches = [{"device_id": candidates[f.index].device_id, "device": candidates[f.index].device_name,
                "commit": candidates[f.index].commit, "committed_at": candidates[f.index].committed_at.isoformat(),
                "path": candidates[f.index].path, "lines": f.lines, "more_lines": f.more} for f in found]
    reason = stopped or reason
    return {"pattern": pattern, "regex": regex, "kind": kind, "devices_searched": len(texts),
            "devices_matched": len(matches), "matches": matches, "truncated": bool(reason), "reason": reason,
            "seconds": round(time.monotonic() - started, 3)}


def _read(repos: dict, version: ConfigVersion) -> bytes | None:
    """A version's content through one open repository per ConfigRepository."""
    if version.repository_id not in repos:
        try:
            repos[version.repository_id] = version.repository.store().open_for_read()
        except GitStoreError:
            repos[version.repository_id] = None
    repo = repos[version.repository_id]
    if repo is None:
        return None
    try:
        return repo[version.content_hash].data
    except (KeyError, ValueError):
        try:
            return version.content()
        except GitStoreError:
            return None
