"""Monitoring targets as compare_devices and sync_devices see them: compare, plan, apply.

A plan is plain JSON, stored in the run result by a dry run; applying it sends exactly what it lists.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from netcron.inventory.models import Device, Location
from netcron.sources.checkmk import CheckmkClient, to_path
from netcron.sources.credentials import CredentialError, required_token, resolve_credential, run_credential
from netcron.sources.http import AuthError, HttpError
from netcron.sources.inventory_sync import CHUNK, chunks
from netcron.sources.mapping import CheckmkMapping, PrometheusMapping, location_chain
from netcron.sources.monitor_params import CheckmkTarget, MonitorParams, PrometheusTarget
from netcron.sources.prometheus import group, read_groups, records_from_groups, sd_directory, write_groups
from netcron.sources.reconcile import DIFFERENT, MISSING_IN_MONITORING, MISSING_IN_SOURCE, Item, Record, reconcile


@dataclass
class Outcome:
    done: dict[str, list[str]] = field(default_factory=dict)  # name → actions (created, moved, updated, deleted)
    failed: dict[str, str] = field(default_factory=dict)
    cancelled: bool = False

    def mark(self, names, action: str) -> None:
        for name in names:
            self.done.setdefault(name, []).append(action)

    @property
    def changed(self) -> bool:
        return bool(self.done)


def device_context(devices: list[Device]) -> tuple[dict[int, list[str]], dict[int, tuple[str, int | None]]]:
    """Tag names per device and the location tree, in a few queries for any number of devices."""
    tags: dict[int, list[str]] = {}
    through = Device.tags.through
    for part in chunks([d.pk for d in devices], CHUNK):
        for device_id, name in through.objects.filter(device_id__in=part).values_list("device_id", "tag__name"):
            tags.setdefault(device_id, []).append(name)
    parents = {pk: (name, parent) for pk, name, parent in Location.objects.values_list("pk", "name", "parent_id")}
    return {k: sorted(v) for k, v in tags.items()}, parents


def active_names() -> set[str]:
    return set(Device.objects.filter(is_active=True).values_list("name", flat=True))


class CheckmkMonitor:
    kind = "checkmk"

    def __init__(self, target: CheckmkTarget, username: str, secret: str):
        self.target, self.prefix = target, target.label_prefix
        self.mapping = CheckmkMapping(target.folder_template, target.site, target.label_prefix, target.tag_attributes)
        self.client = CheckmkClient(target.url, username, secret, verify_tls=target.verify_tls,
                                    timeout=target.timeout_seconds, retries=target.retries,
                                    backoff=target.retry_backoff_seconds)
        self.scope = to_path(target.scope_folder) if target.scope_folder else None

    def describe(self) -> str:
        return f"CheckMK {self.target.url}"

    @property
    def requests(self) -> int:
        return self.client.http.log.count

    def close(self) -> None:
        self.client.close()

    def compare(self, devices: list[Device]) -> list[Item]:
        tags, parents = device_context(devices)
        desired = [self.mapping.record(d, tags.get(d.pk, []), location_chain(d, parents)) for d in devices]
        actual = {h.name: Record(h.name, h.folder, h.attributes) for h in self.client.list_hosts()}
        return reconcile(desired, actual, active_names=active_names(), in_scope=self.in_scope,
                         label_prefix=self.prefix)

    def in_scope(self, record: Record) -> bool:
        if self.scope:
            return self.scope == "/" or record.folder == self.scope or record.folder.startswith(self.scope + "/")
        return (record.fields.get("labels") or {}).get(f"{self.prefix}managed") == "yes"

    def plan(self, items: list[Item], delete_missing: bool) -> dict:
        creates = [i for i in items if i.status == MISSING_IN_MONITORING]
        moves = [i for i in items if i.status == DIFFERENT and "folder" in i.diff]
        updates = [i for i in items if i.status == DIFFERENT and set(i.diff) - {"folder"}]
        return {
            "folders": self._missing_folders([i.desired for i in creates + moves]),
            "create": [{"host_name": i.name, "folder": i.desired.folder, "attributes": i.desired.fields}
                       for i in creates],
            "move": [{"host_name": i.name, "target_folder": i.desired.folder} for i in moves],
            "update": [{"host_name": i.name, "update_attributes": self._update_attributes(i)} for i in updates],
            "delete": [i.name for i in items if i.status == MISSING_IN_SOURCE] if delete_missing else [],
        }

    def _missing_folders(self, records: list[Record]) -> list[dict]:
        if not records:
            return []
        titles: dict[str, str] = {}
        for record in records:
            parts = [p for p in record.folder.split("/") if p]
            for depth in range(1, len(parts) + 1):
                path = "/" + "/".join(parts[:depth])
                titles.setdefault(path, record.folder_titles.get(path, parts[depth - 1]))
        if not titles:  # everything goes into the main folder, which always exists
            return []
        existing = self.client.list_folders()
        return [{"path": p, "title": titles[p]} for p in sorted(titles, key=lambda p: (p.count("/"), p))
                if p not in existing]

    def _update_attributes(self, item: Item) -> dict:
        attributes = {key: item.desired.fields[key] for key in item.diff if key != "folder"}
        if "labels" in attributes:  # `labels` is replaced whole: keep the labels netcron does not manage
            found = item.actual.fields.get("labels") or {}
            others = {k: v for k, v in found.items() if not k.startswith(self.prefix)}
            attributes["labels"] = {**others, **item.desired.fields["labels"]}
        return attributes

    def apply(self, plan: dict, batch_size: int, is_cancelled) -> Outcome:
        outcome = Outcome()
        for folder in plan["folders"]:
            self.client.create_folder(folder["path"], folder["title"])
        steps = [("created", plan["create"], self.client.bulk_create),
                 ("moved", plan["move"], None),
                 ("updated", plan["update"], self.client.bulk_update),
                 ("deleted", plan["delete"], self.client.bulk_delete)]
        for action, entries, bulk in steps:
            for batch in chunks(entries, batch_size):
                if is_cancelled():
                    outcome.cancelled = True
                    return outcome
                if bulk is None:
                    self._move(batch, outcome)
                    continue
                result = bulk(batch)
                outcome.mark(result.succeeded, action)
                outcome.failed.update(result.failed)
        return outcome

    def _move(self, moves: list[dict], outcome: Outcome) -> None:
        for move in moves:
            name, folder = move["host_name"], move["target_folder"]
            try:
                self.client.with_etag(name, lambda etag, n=name, f=folder: self.client.move_host(n, etag, f))
            except AuthError:
                raise
            except HttpError as exc:
                if exc.status >= 500:
                    raise
                outcome.failed[name] = str(exc)
            else:
                outcome.mark([name], "moved")

    def discover(self, names: list[str]) -> dict[str, str]:
        """Start service discovery on each host; returns the hosts where it could not start."""
        failed = {}
        for name in names:
            try:
                self.client.start_discovery(name)
            except AuthError:
                raise
            except HttpError as exc:
                failed[name] = str(exc)
        return failed


class PrometheusMonitor:
    kind = "prometheus"
    prefix = None
    requests = 0

    def __init__(self, target: PrometheusTarget):
        self.target = target
        self.path: Path = sd_directory() / target.file
        self.mapping = PrometheusMapping(target.port, target.labels)
        self._items: list[Item] = []
        self._actual: dict[str, Record] = {}
        self._foreign: list[dict] = []

    def describe(self) -> str:
        return f"Prometheus file {self.path}"

    def close(self) -> None:
        pass

    def compare(self, devices: list[Device]) -> list[Item]:
        tags, parents = device_context(devices)
        desired = [self.mapping.record(d, tags.get(d.pk, []), location_chain(d, parents)) for d in devices]
        self._actual, self._foreign = records_from_groups(read_groups(self.path))
        self._items = reconcile(desired, self._actual, active_names=active_names(), in_scope=lambda r: True,
                                label_prefix=None)
        return self._items

    def plan(self, items: list[Item], delete_missing: bool) -> dict:
        return {"file": str(self.path),
                "add": [i.name for i in items if i.status == MISSING_IN_MONITORING],
                "change": [i.name for i in items if i.status == DIFFERENT],
                "remove": [i.name for i in items if i.status == MISSING_IN_SOURCE] if delete_missing else []}

    def apply(self, plan: dict, batch_size: int, is_cancelled) -> Outcome:
        outcome = Outcome()
        wanted = {i.name: i.desired for i in self._items if i.desired is not None}
        removed = set(plan["remove"])
        kept = [group(r) for name, r in sorted(self._actual.items()) if name not in wanted and name not in removed]
        groups = [group(wanted[name]) for name in sorted(wanted)] + kept + self._foreign
        if plan["add"] or plan["change"] or plan["remove"]:
            write_groups(self.path, groups)
        outcome.mark(plan["add"], "created")
        outcome.mark(plan["change"], "updated")
        outcome.mark(plan["remove"], "deleted")
        return outcome


def build_monitor(params: MonitorParams, ctx):
    if params.checkmk is not None:
        credential = resolve_credential(params.checkmk.credential, run_credential(ctx))
        if not credential.username:
            raise CredentialError(f"credential {credential.name!r} has no username (the CheckMK automation user)")
        return CheckmkMonitor(params.checkmk, credential.username, required_token(credential))
    return PrometheusMonitor(params.prometheus)
