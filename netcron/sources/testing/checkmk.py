"""A fake CheckMK site following the REST API v1.0 (modelled on Checkmk 2.3) over real HTTP.

Faithful where netcron depends on it: `Authorization: Bearer <user> <secret>`; problem bodies
`{title, status, detail, fields}`; ETags over a host's attributes (without meta_data), 428 without
If-Match and 412 on a stale one; folders must exist before hosts go in them; bulk-create validates the
whole batch first (400 `fields.entries`) and reports per-host failures as "Some actions failed";
every change is a pending change until activate-changes, which needs the pending-changes ETag.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from netcron.sources.testing.checkmk_activation import FoldersAndActivation
from netcron.sources.testing.checkmk_wire import folder_path, hash_of, if_match, problem
from netcron.sources.testing.server import FakeServer, Reply, Request

API = r"/(?P<site>[^/]+)/check_mk/api/1\.0"
HOST_NAME = re.compile(r"^[-0-9a-zA-Z_.]+$")
HOST_ATTRIBUTES = {"ipaddress", "ipv6address", "alias", "site", "labels", "parents", "snmp_community",
                   "management_address", "management_protocol", "additional_ipv4addresses", "locked_by",
                   "locked_attributes", "inventory_failed", "waiting_for_discovery", "network_scan"}
TAG_GROUPS = {
    "tag_agent": {"cmk-agent", "all-agents", "special-agents", "no-agent"},
    "tag_snmp_ds": {"no-snmp", "snmp-v1", "snmp-v2"},
    "tag_address_family": {"ip-v4-only", "ip-v6-only", "ip-v4v6", "no-ip"},
    "tag_criticality": {"prod", "critical", "test", "offline"},
    "tag_networking": {"lan", "wan", "dmz"},
}


class FakeCheckmk(FoldersAndActivation, FakeServer):
    def __init__(self, site: str = "cmk", username: str = "automation", secret: str = "cmk-secret",  # noqa: S107
                 sites: tuple[str, ...] = ("cmk",)):
        super().__init__()
        self.site, self.username, self.secret, self.sites = site, username, secret, set(sites)
        self.hosts: dict[str, dict] = {}
        self.folders: dict[str, dict] = {"/": {"title": "Main", "attributes": {}}}
        self.pending: dict[str, dict] = {}
        self.activations: list[dict] = []
        self.discoveries: list[dict] = []
        self.mutations: list[tuple] = []
        self.stale_etag_once: set[str] = set()  # hosts whose next If-Match loses to "another user"
        self.change_during_activation: int = 0  # activations that first see a new foreign change
        self.reject_hosts: dict[str, str] = {}  # per-host failures inside bulk calls
        for method, path, handler in [
            ("GET", "/domain-types/host_config/collections/all", self.list_hosts),
            ("POST", "/domain-types/host_config/collections/all", self.create_host),
            ("GET", "/objects/host_config/(?P<name>[^/]+)", self.show_host),
            ("PUT", "/objects/host_config/(?P<name>[^/]+)", self.update_host),
            ("DELETE", "/objects/host_config/(?P<name>[^/]+)", self.delete_host),
            ("POST", "/objects/host_config/(?P<name>[^/]+)/actions/move/invoke", self.move_host),
            ("POST", "/domain-types/host_config/actions/bulk-create/invoke", self.bulk_create),
            ("PUT", "/domain-types/host_config/actions/bulk-update/invoke", self.bulk_update),
            ("POST", "/domain-types/host_config/actions/bulk-delete/invoke", self.bulk_delete),
            ("GET", "/domain-types/folder_config/collections/all", self.list_folders),
            ("POST", "/domain-types/folder_config/collections/all", self.create_folder),
            ("GET", "/domain-types/activation_run/collections/pending_changes", self.pending_changes),
            ("POST", "/domain-types/activation_run/actions/activate-changes/invoke", self.activate),
            ("GET", "/objects/activation_run/(?P<ident>[^/]+)/actions/wait-for-completion/invoke", self.wait),
            ("POST", "/domain-types/service_discovery_run/actions/start/invoke", self.discover),
        ]:
            self.route(method, API + path, self._guarded(handler))

    @property
    def url(self) -> str:
        return f"{self.address}/{self.site}"

    # -- helpers for tests -------------------------------------------------------------------

    def add_folder(self, path: str, title: str = "") -> None:
        path = folder_path(path)
        parts = path.strip("/").split("/")
        for depth in range(1, len(parts) + 1):
            sub = "/" + "/".join(parts[:depth])
            self.folders.setdefault(sub, {"title": title if sub == path and title else parts[depth - 1],
                                          "attributes": {}})

    def add_host(self, name: str, folder: str = "/", **attributes) -> None:
        self.add_folder(folder)
        self.hosts[name] = {"folder": folder_path(folder), "attributes": {**attributes, "meta_data": self._meta()}}

    def etag_of(self, name: str) -> str:
        host = self.hosts[name]
        attributes = {k: v for k, v in host["attributes"].items() if k != "meta_data"}
        return hash_of({"name": name, "attributes": attributes, "cluster_nodes": None})

    def pending_etag(self) -> str:
        return hash_of(self.pending)

    # -- plumbing ----------------------------------------------------------------------------

    def _guarded(self, handler):
        def serve(request: Request, site: str, **kwargs) -> Reply:
            if site != self.site:
                return Reply(404, {"title": "Not Found", "status": 404, "detail": f"Unknown site {site!r}"})
            auth = request.headers.get("authorization", "")
            if not auth:
                return problem(401, "Unauthorized", "You need to be authenticated to use the REST API.")
            if auth != f"Bearer {self.username} {self.secret}":
                return problem(401, "Unauthorized", "Wrong credentials (Bearer header)")
            return handler(request, **kwargs)
        return serve

    def failure_body(self, status: int) -> object:
        return {"title": "Service Unavailable" if status == 503 else "Internal Server Error", "status": status,
                "detail": "injected failure"}

    def not_found(self, request: Request) -> Reply:
        return problem(404, "Not Found", "The requested URL was not found on the server.")

    def _meta(self) -> dict:
        now = datetime.now(UTC).timestamp()
        return {"created_at": now, "updated_at": now, "created_by": self.username}

    def _change(self, action: str, text: str) -> None:
        ident = str(uuid.uuid4())
        self.pending[ident] = {"id": ident, "user_id": self.username, "action_name": action, "text": text,
                               "time": datetime.now(UTC).isoformat()}

    def _host_object(self, name: str, effective: bool = False) -> dict:
        host = self.hosts[name]
        effective_attributes = None
        if effective:
            effective_attributes = {}
            path = host["folder"].strip("/").split("/") if host["folder"] != "/" else []
            for depth in range(len(path) + 1):
                effective_attributes.update(self.folders["/" + "/".join(path[:depth])]["attributes"])
            effective_attributes.update(host["attributes"])
        return {
            "links": [{"domainType": "link", "rel": "self", "href": f"{self.url}/check_mk/api/1.0/objects/"
                       f"host_config/{name}", "method": "GET", "type": "application/json"}],
            "domainType": "host_config", "id": name, "title": name, "members": {},
            "extensions": {"folder": host["folder"], "attributes": host["attributes"],
                           "effective_attributes": effective_attributes, "is_cluster": False,
                           "is_offline": False, "cluster_nodes": None},
        }

    def _serve_host(self, name: str) -> Reply:
        return Reply(200, self._host_object(name), {"ETag": f'"{self.etag_of(name)}"'})

    def _attribute_errors(self, attributes) -> dict:
        if not isinstance(attributes, dict):
            return {"_schema": ["Invalid input type."]}
        errors = {}
        for key, value in attributes.items():
            if key.startswith("tag_"):
                if key not in TAG_GROUPS:
                    errors[key] = [f"Unknown tag group {key[4:]!r}"]
                elif value not in TAG_GROUPS[key]:
                    errors[key] = [f"Unknown tag ID {value!r} for tag group {key[4:]!r}"]
            elif key not in HOST_ATTRIBUTES:
                errors[key] = ["Unknown field."]
            elif key == "site" and value not in self.sites:
                errors[key] = [f"Unknown site {value!r}"]
            elif key == "labels" and not (isinstance(value, dict) and all(
                    isinstance(k, str) and isinstance(v, str) and v for k, v in value.items())):
                errors[key] = ["Labels must map strings to non-empty strings"]
        return {"attributes": errors} if errors else {}

    def _create_errors(self, entry, names_in_batch: set[str]) -> dict:
        if not isinstance(entry, dict):
            return {"_schema": ["Invalid input type."]}
        name, errors = entry.get("host_name", ""), {}
        if not isinstance(name, str) or not HOST_NAME.match(name):
            errors["host_name"] = [f"{name!r} does not match pattern '^[-0-9a-zA-Z_.]+$'."]
        elif name in self.hosts or name in names_in_batch:
            errors["host_name"] = [f"Host {name!r} already exists."]
        if folder_path(entry.get("folder", "/")) not in self.folders:
            errors["folder"] = [f"The folder {entry.get('folder')!r} could not be found."]
        errors.update(self._attribute_errors(entry.get("attributes", {})))
        return errors

    def _check_etag(self, request: Request, name: str) -> Reply | None:
        tags = if_match(request)
        if tags is None:
            return problem(428, "Precondition required", "If-Match header required for this operation. "
                           "See documentation.")
        if name in self.stale_etag_once:
            self.stale_etag_once.discard(name)  # another user edits the host right now
            self.hosts[name]["attributes"]["alias"] = "edited by another user"
            self._change("edit-host", f"Modified attributes of host {name}.")
        expected = self.etag_of(name)
        if "*" in tags or expected in tags:
            return None
        return problem(412, "Precondition failed",
                       f"ETag didn't match. Expected {expected}. Probable cause: Object changed by another user.")

    def _host_missing(self, name: str) -> Reply:
        return problem(404, "Not Found", "These fields have problems: host_name",
                       {"host_name": [f"Host not found: {name!r}"]})

    def _create(self, entry: dict) -> None:
        name, folder = entry["host_name"], folder_path(entry.get("folder", "/"))
        self.hosts[name] = {"folder": folder, "attributes": {**entry.get("attributes", {}), "meta_data": self._meta()}}
        self.mutations.append(("create", name, folder, entry.get("attributes", {})))
        self._change("create-host", f"Created new host {name}.")

    def _update(self, name: str, entry: dict) -> None:
        attributes = self.hosts[name]["attributes"]
        if "attributes" in entry:
            attributes = {**entry["attributes"], "meta_data": attributes.get("meta_data", {})}
        attributes.update(entry.get("update_attributes") or {})
        for key in entry.get("remove_attributes") or []:
            attributes.pop(key, None)
        self.hosts[name]["attributes"] = attributes
        self.mutations.append(("update", name, {k: v for k, v in entry.items() if k != "host_name"}))
        self._change("edit-host", f"Modified attributes of host {name}.")

    # -- hosts -------------------------------------------------------------------------------

    def list_hosts(self, request: Request) -> Reply:
        effective = request.arg("effective_attributes", "false") == "true"
        return Reply(200, {"links": [], "id": "host", "domainType": "host_config", "extensions": {},
                           "value": [self._host_object(n, effective) for n in sorted(self.hosts)]})

    def show_host(self, request: Request, name: str) -> Reply:
        if name not in self.hosts:
            return self._host_missing(name)
        return self._serve_host(name)

    def create_host(self, request: Request) -> Reply:
        errors = self._create_errors(request.body or {}, set())
        if errors:
            return problem(400, "Bad Request", f"These fields have problems: {', '.join(errors)}", errors)
        self._create(request.body)
        return self._serve_host(request.body["host_name"])

    def update_host(self, request: Request, name: str) -> Reply:
        if name not in self.hosts:
            return self._host_missing(name)
        stale = self._check_etag(request, name)
        if stale:
            return stale
        errors = self._attribute_errors((request.body or {}).get("attributes")
                                        or (request.body or {}).get("update_attributes") or {})
        if errors:
            return problem(400, "Bad Request", "These fields have problems: attributes", errors)
        self._update(name, request.body or {})
        return self._serve_host(name)

    def move_host(self, request: Request, name: str) -> Reply:
        if name not in self.hosts:
            return self._host_missing(name)
        stale = self._check_etag(request, name)
        if stale:
            return stale
        target = folder_path((request.body or {}).get("target_folder", ""))
        if target not in self.folders:
            return problem(400, "Bad Request", "These fields have problems: target_folder",
                           {"target_folder": [f"The folder {target!r} could not be found."]})
        if target == self.hosts[name]["folder"]:
            return problem(400, "Invalid move action", "The host is already part of the specified target folder")
        self.hosts[name]["folder"] = target
        self.mutations.append(("move", name, target))
        self._change("move-host", f"Moved host {name} to {target}.")
        return self._serve_host(name)

    def delete_host(self, request: Request, name: str) -> Reply:
        if name not in self.hosts:
            return self._host_missing(name)
        del self.hosts[name]
        self.mutations.append(("delete", name))
        self._change("delete-host", f"Deleted host {name}.")
        return Reply(204)

    # -- bulk --------------------------------------------------------------------------------

    def _entries(self, request: Request) -> list | None:
        entries = (request.body or {}).get("entries") if isinstance(request.body, dict) else None
        return entries if isinstance(entries, list) else None

    def _bulk_reply(self, failed: dict[str, str], succeeded: list[str]) -> Reply:
        collection = {"id": "host", "domainType": "host_config", "links": [],
                      "value": [self._host_object(n) for n in succeeded]}
        if failed:
            return problem(400, "Some actions failed", "Some of the actions were performed but the following were "
                           f"faulty and were skipped: {' ,'.join(failed)}.",
                           ext={"succeeded_hosts": collection, "failed_hosts": failed})
        return Reply(200, collection)

    def bulk_create(self, request: Request) -> Reply:
        entries = self._entries(request)
        if entries is None:
            return problem(400, "Bad Request", "These fields have problems: entries",
                           {"entries": ["Missing data for required field."]})
        errors, names = {}, set()
        for index, entry in enumerate(entries):
            entry_errors = self._create_errors(entry, names)
            if entry_errors:
                errors[str(index)] = entry_errors
            names.add(entry.get("host_name") if isinstance(entry, dict) else None)
        if errors:
            return problem(400, "Bad Request", "These fields have problems: entries", {"entries": errors})
        failed, succeeded = {}, []
        for entry in entries:
            if entry["host_name"] in self.reject_hosts:
                failed[entry["host_name"]] = f"Validation failed: {self.reject_hosts[entry['host_name']]}"
                continue
            self._create(entry)
            succeeded.append(entry["host_name"])
        return self._bulk_reply(failed, succeeded)

    def bulk_update(self, request: Request) -> Reply:
        entries = self._entries(request)
        if entries is None:
            return problem(400, "Bad Request", "These fields have problems: entries",
                           {"entries": ["Missing data for required field."]})
        errors = {}
        for index, entry in enumerate(entries):
            name = entry.get("host_name") if isinstance(entry, dict) else None
            entry_errors = {} if name in self.hosts else {"host_name": [f"Host not found: {name!r}"]}
            entry_errors.update(self._attribute_errors(entry.get("attributes") or entry.get("update_attributes")
                                                       or {}) if isinstance(entry, dict) else {})
            if entry_errors:
                errors[str(index)] = entry_errors
        if errors:
            return problem(400, "Bad Request", "These fields have problems: entries", {"entries": errors})
        failed, succeeded = {}, []
        for entry in entries:
            if entry["host_name"] in self.reject_hosts:
                failed[entry["host_name"]] = self.reject_hosts[entry["host_name"]]
                continue
            self._update(entry["host_name"], entry)
            succeeded.append(entry["host_name"])
        return self._bulk_reply(failed, succeeded)

    def bulk_delete(self, request: Request) -> Reply:
        entries = self._entries(request)
        missing = {str(i): [f"Host not found: {n!r}"] for i, n in enumerate(entries or []) if n not in self.hosts}
        if entries is None or missing:
            return problem(400, "Bad Request", "These fields have problems: entries",
                           {"entries": missing or ["Missing data for required field."]})
        for name in entries:
            del self.hosts[name]
            self.mutations.append(("delete", name))
            self._change("delete-host", f"Deleted host {name}.")
        return Reply(204)
