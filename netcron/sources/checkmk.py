"""CheckMK REST API v1.0 client (hosts, folders, bulk calls, activation, discovery). No Django here.

Auth is `Authorization: Bearer <automation user> <automation secret>`. Single-object edits carry the
object's ETag in If-Match; a 412 (someone changed the host meanwhile) refetches and retries once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import quote

from netcron.sources.http import HttpClient, HttpError, SourceError, flatten

API_PATH = "/check_mk/api/1.0"
T = TypeVar("T")


def to_slug(path: str) -> str:
    """Folder path `/network/berlin` → `~network~berlin` (the form URLs and bodies use)."""
    return "~" + "~".join(p for p in path.split("/") if p)


def to_path(slug: str) -> str:
    return "/" + "/".join(p for p in slug.replace("\\", "/").replace("~", "/").split("/") if p)


@dataclass
class CheckmkHost:
    name: str
    folder: str
    attributes: dict


@dataclass
class BulkResult:
    succeeded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    def merge(self, other: BulkResult) -> BulkResult:
        return BulkResult(self.succeeded + other.succeeded, {**self.failed, **other.failed})


class CheckmkClient:
    def __init__(self, url: str, username: str, secret: str, *, verify_tls: bool = True, timeout: float = 60.0,
                 retries: int = 3, backoff: float = 1.0, sleep: Callable[[float], None] = time.sleep):
        base = url.rstrip("/")
        base = base[: -len(API_PATH)] if base.endswith(API_PATH) else base
        self.sleep = sleep
        self.http = HttpClient(base + API_PATH, service="CheckMK",
                               headers={"Authorization": f"Bearer {username} {secret}"}, secrets=[secret],
                               verify_tls=verify_tls, timeout=timeout, retries=retries, backoff=backoff, sleep=sleep)

    def close(self) -> None:
        self.http.close()

    # -- hosts -------------------------------------------------------------------------------

    def list_hosts(self, effective_attributes: bool = False) -> list[CheckmkHost]:
        params = {"effective_attributes": "true"} if effective_attributes else None
        data = self.http.get_json("/domain-types/host_config/collections/all", params=params)
        if not isinstance(data, dict) or not isinstance(data.get("value"), list):
            raise SourceError("CheckMK: the host list has an unexpected shape (no `value` list)")
        return [_host(item) for item in data["value"]]

    def get_host(self, name: str) -> tuple[CheckmkHost, str]:
        response = self.http.request("GET", f"/objects/host_config/{quote(name, safe='')}")
        return _host(response.json()), response.etag

    def create_host(self, name: str, folder: str, attributes: dict) -> str:
        response = self.http.request("POST", "/domain-types/host_config/collections/all",
                                     body={"host_name": name, "folder": to_slug(folder), "attributes": attributes})
        return response.etag

    def update_host(self, name: str, etag: str, *, update_attributes: dict | None = None,
                    remove_attributes: list[str] | None = None) -> str:
        body = {k: v for k, v in (("update_attributes", update_attributes),
                                  ("remove_attributes", remove_attributes)) if v}
        response = self.http.request("PUT", f"/objects/host_config/{quote(name, safe='')}", body=body,
                                     headers={"If-Match": etag})
        return response.etag

    def move_host(self, name: str, etag: str, folder: str) -> str:
        response = self.http.request("POST", f"/objects/host_config/{quote(name, safe='')}/actions/move/invoke",
                                     body={"target_folder": to_slug(folder)}, headers={"If-Match": etag})
        return response.etag

    def delete_host(self, name: str) -> None:
        self.http.request("DELETE", f"/objects/host_config/{quote(name, safe='')}", expect=(204,))

    def with_etag(self, name: str, action: Callable[[str], T]) -> T:
        """Run `action(etag)` with the host's current ETag; on 412 refetch it and try once more."""
        _, etag = self.get_host(name)
        try:
            return action(etag)
        except HttpError as exc:
            if exc.status != 412:
                raise
        _, etag = self.get_host(name)
        return action(etag)

    # -- bulk --------------------------------------------------------------------------------

    def bulk_create(self, entries: list[dict]) -> BulkResult:
        """entries: {host_name, folder (path), attributes}."""
        wire = [{**e, "folder": to_slug(e["folder"])} for e in entries]
        return self._bulk("POST", "bulk-create", wire, [e["host_name"] for e in entries])

    def bulk_update(self, entries: list[dict]) -> BulkResult:
        """entries: {host_name, update_attributes}. No ETag: CheckMK cannot lock bulk updates."""
        return self._bulk("PUT", "bulk-update", entries, [e["host_name"] for e in entries])

    def bulk_delete(self, names: list[str]) -> BulkResult:
        return self._bulk("POST", "bulk-delete", list(names), list(names))

    def _bulk(self, method: str, action: str, entries: list, names: list[str], resend: bool = True) -> BulkResult:
        if not entries:
            return BulkResult()
        path = f"/domain-types/host_config/actions/{action}/invoke"
        response = self.http.request(method, path, body={"entries": entries}, expect=(200, 204, 400))
        if response.status in (200, 204):
            return BulkResult(list(names))
        body = response.json() or {}
        ext = body.get("ext") or {}
        if isinstance(ext.get("failed_hosts"), dict):  # "Some actions failed": the rest was applied
            failed = {str(k): self.http.scrub(str(v)) for k, v in ext["failed_hosts"].items()}
            return BulkResult([n for n in names if n not in failed], failed)
        invalid = (body.get("fields") or {}).get("entries")
        if resend and isinstance(invalid, dict) and all(str(k).isdigit() for k in invalid):
            # The whole batch was refused for a few bad entries: report those, send the rest again.
            bad = {int(k): self.http.scrub(flatten(v)) for k, v in invalid.items() if int(k) < len(entries)}
            failed = BulkResult([], {names[i]: message for i, message in bad.items()})
            rest = [i for i in range(len(entries)) if i not in bad]
            return failed.merge(self._bulk(method, action, [entries[i] for i in rest], [names[i] for i in rest],
                                           resend=False))
        raise self.http.error(method, path, response)

    # -- folders -----------------------------------------------------------------------------

    def list_folders(self) -> set[str]:
        """Every folder path, root included."""
        data = self.http.get_json("/domain-types/folder_config/collections/all",
                                  params={"parent": "~", "recursive": "true"})
        paths = {"/"}
        for item in (data or {}).get("value", []):
            ext = item.get("extensions") or {}
            paths.add(to_path(ext.get("path") or item.get("id", "")))
        return paths

    def create_folder(self, path: str, title: str) -> None:
        parent, _, name = path.rstrip("/").rpartition("/")
        self.http.request("POST", "/domain-types/folder_config/collections/all",
                          body={"name": name, "title": title, "parent": to_slug(parent or "/")})

    # -- activation and discovery ------------------------------------------------------------

    def pending_changes(self) -> tuple[list[dict], str]:
        response = self.http.request("GET", "/domain-types/activation_run/collections/pending_changes")
        return list((response.json() or {}).get("value") or []), response.etag

    def activate_changes(self, sites: Iterable[str] = (), force_foreign_changes: bool = False,
                         wait_seconds: float = 120.0) -> dict | None:
        """Activate all pending changes once; None when there was nothing to activate."""
        path = "/domain-types/activation_run/actions/activate-changes/invoke"
        for attempt in (1, 2):
            changes, etag = self.pending_changes()
            if not changes:
                return None
            response = self.http.request(
                "POST", path, headers={"If-Match": etag or "*"}, expect=(200, 412, 422),
                body={"redirect": False, "sites": list(sites), "force_foreign_changes": force_foreign_changes})
            if response.status == 412 and attempt == 1:
                continue  # the pending changes moved on between our read and the activation
            if response.status == 422:
                return None
            if response.status != 200:
                raise self.http.error("POST", path, response)
            ident = (response.json() or {}).get("id", "")
            return {"activation_id": ident, "changes": len(changes), "completed": self._wait(ident, wait_seconds)}
        return None  # pragma: no cover - the loop always returns or raises

    def _wait(self, ident: str, wait_seconds: float) -> bool:
        deadline = time.monotonic() + wait_seconds
        path = f"/objects/activation_run/{quote(ident, safe='')}/actions/wait-for-completion/invoke"
        while True:
            response = self.http.request("GET", path, expect=(204, 302))
            if response.status == 204:
                return True
            if time.monotonic() >= deadline:
                return False
            self.sleep(1.0)

    def start_discovery(self, name: str, mode: str = "fix_all") -> None:
        self.http.request("POST", "/domain-types/service_discovery_run/actions/start/invoke",
                          body={"host_name": name, "mode": mode}, expect=(200, 302))


def _host(item: dict) -> CheckmkHost:
    ext = item.get("extensions") or {}
    return CheckmkHost(name=str(item.get("id") or item.get("title") or ""), folder=to_path(ext.get("folder") or "/"),
                       attributes=dict(ext.get("attributes") or {}))
