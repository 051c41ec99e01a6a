"""Folders, activation of pending changes and service discovery of the fake CheckMK site."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from netcron.sources.testing.checkmk_wire import folder_path, hash_of, if_match, problem
from netcron.sources.testing.server import Reply, Request


class FoldersAndActivation:
    """Mixed into FakeCheckmk, which provides folders, hosts, pending and the helpers used here."""

    # -- folders -----------------------------------------------------------------------------

    def list_folders(self, request: Request) -> Reply:
        parent = folder_path(request.arg("parent", "~"))
        if parent not in self.folders:
            return problem(400, "Bad Request", "These fields have problems: parent",
                           {"parent": [f"The folder {parent!r} could not be found."]})
        recursive = request.arg("recursive", "false") == "true"
        prefix = parent.rstrip("/") + "/"
        value = []
        for path in sorted(self.folders):
            if path == "/" or not path.startswith(prefix):
                continue
            if not recursive and "/" in path[len(prefix):]:
                continue
            value.append({"domainType": "folder_config", "id": path.replace("/", "~"),
                          "title": self.folders[path]["title"], "members": {}, "links": [],
                          "extensions": {"path": path, "attributes": self.folders[path]["attributes"]}})
        return Reply(200, {"id": "folder", "domainType": "folder_config", "links": [], "value": value})

    def create_folder(self, request: Request) -> Reply:
        body = request.body or {}
        parent = folder_path(body.get("parent", ""))
        if "parent" not in body or "title" not in body:
            missing = {k: ["Missing data for required field."] for k in ("parent", "title") if k not in body}
            return problem(400, "Bad Request", f"These fields have problems: {', '.join(missing)}", missing)
        if parent not in self.folders:
            return problem(400, "Bad Request", "These fields have problems: parent",
                           {"parent": [f"The folder {body['parent']!r} could not be found."]})
        name = body.get("name") or re.sub(r"\W+", "_", body["title"]).lower()
        path = parent.rstrip("/") + "/" + name
        if path in self.folders:
            return problem(400, "A problem occurred.", f"A folder with name {name!r} already exists.")
        self.folders[path] = {"title": body["title"], "attributes": body.get("attributes") or {}}
        self.mutations.append(("folder", path))
        self._change("new-folder", f"Created new folder {path}.")
        return Reply(200, {"domainType": "folder_config", "id": path.replace("/", "~"), "title": body["title"],
                           "members": {}, "links": [], "extensions": {"path": path, "attributes": {}}},
                     {"ETag": f'"{hash_of(self.folders[path])}"'})

    # -- activation and discovery ------------------------------------------------------------

    def pending_changes(self, request: Request) -> Reply:
        return Reply(200, {"id": "activation_run", "domainType": "activation_run", "links": [],
                           "value": list(self.pending.values())}, {"ETag": f'"{self.pending_etag()}"'})

    def activate(self, request: Request) -> Reply:
        tags = if_match(request)
        if tags is None:
            return problem(428, "Precondition required", "If-Match header required for this operation. "
                           "See documentation.")
        if self.change_during_activation > 0:
            self.change_during_activation -= 1
            self._change("edit-host", "A change by another user.")
        if not ("*" in tags or self.pending_etag() in tags):
            return problem(412, "Precondition failed", f"ETag didn't match. Expected {self.pending_etag()}. "
                           "Probable cause: Object changed by another user.")
        if not self.pending:
            return problem(422, "Unprocessable Entity", "Currently there are no changes to activate.")
        body = request.body or {}
        ident = uuid.uuid4().hex
        run = {"id": ident, "sites": body.get("sites") or sorted(self.sites), "changes": len(self.pending),
               "force_foreign_changes": bool(body.get("force_foreign_changes"))}
        self.activations.append(run)
        self.pending.clear()
        self.mutations.append(("activate", run["changes"]))
        return Reply(200, {"domainType": "activation_run", "id": ident, "title": "Activation status: In progress.",
                           "members": {}, "links": [],
                           "extensions": {"sites": run["sites"], "is_running": True,
                                          "force_foreign_changes": run["force_foreign_changes"],
                                          "time_started": datetime.now(UTC).isoformat(), "changes": []}})

    def wait(self, request: Request, ident: str) -> Reply:
        if not any(a["id"] == ident for a in self.activations):
            return problem(404, "The requested activation was not found",
                           f"Could not find an activation with id {ident!r}.")
        return Reply(204)

    def discover(self, request: Request) -> Reply:
        body = request.body or {}
        name = body.get("host_name")
        if name not in self.hosts:
            return problem(400, "Bad Request", "These fields have problems: host_name",
                           {"host_name": [f"Host not found: {name!r}"]})
        self.discoveries.append({"host_name": name, "mode": body.get("mode", "fix_all")})
        return Reply(302, None, {"Location": f"/{self.site}/check_mk/api/1.0/objects/service_discovery_run/"
                                             f"{name}/actions/wait-for-completion/invoke"})
