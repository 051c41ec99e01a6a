"""Back up device configs into git: fetch over SSH in one event loop, one commit per run, index versions."""

from __future__ import annotations

from datetime import UTC, datetime

from netcron.configs.repos import RepositoryError, local_path, remote, repository_row
from netcron.executors.backup.normalize import command_for, normalise, volatile_re
from netcron.executors.backup.params import BackupParams
from netcron.executors.backup.record import previous_paths, record_results
from netcron.executors.base import JobFailed
from netcron.executors.defaults import with_system_defaults
from netcron.executors.fleet import (
    Finished,
    Target,
    device_spec,
    error_message,
    lock_devices,
    login_credential,
    run_fleet,
    run_host_keys,
    tags_by_device,
    template_context,
)
from netcron.jobs.choices import DeviceStatus, LogLevel
from netcron.lib.concurrency import Cancelled
from netcron.lib.gitstore import Change, GitStore, GitStoreError
from netcron.lib.hostkeys import FileHostKeyStore
from netcron.lib.ssh import connect
from netcron.lib.templating import RenderError, check_relative_path, compile_template, render


def execute(ctx, params: BackupParams) -> dict:
    params = with_system_defaults(ctx, params)
    store, repository = _store(params)
    host_keys = run_host_keys()
    plans = _plan(ctx, params, lock_devices(ctx, ctx.devices), host_keys)
    fetched: dict[int, tuple[Target, Finished]] = {}

    def on_finished(outcome: Finished) -> None:
        if isinstance(outcome.error, Cancelled):
            return  # the runner marks it cancelled
        device = outcome.target.device
        if outcome.ok:
            fetched[device.pk] = (outcome.target, outcome)
        else:
            ctx.device_result(device, DeviceStatus.FAILED, error_message(outcome.error),
                              detail=getattr(outcome.error, "kind", "error"), started_at=_ts(outcome))

    try:
        cancelled = run_fleet(ctx, plans, _fetcher(params), limit=params.parallel_tasks,
                              timeout=params.device_timeout, on_finished=on_finished)
    finally:
        host_keys.flush()
    if cancelled:
        ctx.log(f"cancel requested: committing the {len(fetched)} device(s) fetched so far", LogLevel.WARNING)
    return _commit(ctx, params, store, repository, fetched)


def _store(params: BackupParams) -> tuple[GitStore, object]:
    from netcron.inventory.models import Credential

    try:
        path = local_path(params.repository_path, params.remote_url, params.branch)
    except RepositoryError as exc:
        raise JobFailed(str(exc)) from None
    credential = None
    if params.push_credential_id is not None:
        credential = Credential.objects.filter(pk=params.push_credential_id).first()
        if credential is None:
            raise JobFailed(f"push_credential_id: credential {params.push_credential_id} does not exist")
    rem = remote(params.remote_url, credential) if params.remote_url else None
    return GitStore(path, branch=params.branch, remote=rem), repository_row(path, params.remote_url, params.branch,
                                                                             credential)


def _plan(ctx, params: BackupParams, devices: list, host_keys: FileHostKeyStore) -> list[Target]:
    """Per device: login spec and (kind, command, path) to fetch; a device whose plan fails is reported."""
    templates = {kind: compile_template(params.path_template(kind), seed_style=True) for kind in params.kinds}
    tags = tags_by_device(devices)
    owners: dict[str, str] = {}
    plans = []
    for device in devices:
        try:
            files = []
            for kind in params.kinds:
                command = command_for(device.platform, kind, params.commands)
                if command is None:
                    continue  # e.g. Junos, RouterOS: no separate startup config
                context = {**template_context(device, tags[device.pk]), "kind": kind}
                path = check_relative_path(render(templates[kind], context))
                if owners.setdefault(path, device.name) != device.name:
                    raise RenderError(f"path {path} is also the path of device {owners[path]}")
                files.append((kind, command, path))
            if not files:
                raise RenderError(f"platform {device.platform} has no {params.configs} config to back up")
            spec = device_spec(device, login_credential(ctx, device), connect_timeout=params.connect_timeout,
                               command_timeout=params.command_timeout, host_keys=host_keys)
        except (RenderError, ValueError) as exc:
            message = f"path template: {exc}" if isinstance(exc, RenderError) else str(exc)
            ctx.device_result(device, DeviceStatus.FAILED, message, detail="invalid")
            continue
        plans.append(Target(device, spec, {"files": files}))
    return plans


def _fetcher(params: BackupParams):
    volatile: dict[str, object] = {}

    async def fetch(target: Target) -> list[tuple[str, str, bytes]]:
        platform = target.spec.platform
        if platform not in volatile:
            volatile[platform] = volatile_re(platform, params.strip_volatile, params.volatile_lines)
        out = []
        async with connect(target.spec) as session:
            for kind, command, path in target.extra["files"]:
                text = normalise(await session.send_command(command, timeout=params.command_timeout),
                                 volatile[platform])
                if not text.strip():
                    raise ValueError(f"{command!r} returned an empty {kind} config; not overwriting the last backup")
                out.append((kind, path, text.encode()))
        return out

    return fetch


def _commit(ctx, params: BackupParams, store: GitStore, repository, fetched: dict) -> dict:
    moved_from = previous_paths(repository, fetched)
    changes, owner = [], {}
    for device_id, (_, outcome) in fetched.items():
        for kind, path, data in outcome.result:
            old = moved_from.get((device_id, kind))
            changes.append(Change(path, data, replaces=(old,) if old and old != path else ()))
            owner[path] = device_id
    message = _message_renderer(ctx, params, fetched, owner)
    failed_before = _failed_count(ctx)
    if not changes:
        return {"repository": str(store.path), "commit": None, "changed": 0, "unchanged": 0,
                "failed": failed_before}
    try:
        with store.locked():
            result = store.commit(changes, message)
    except GitStoreError as exc:
        ctx.log(f"commit failed: {exc}", LogLevel.ERROR)
        for target, outcome in fetched.values():
            ctx.device_result(target.device, DeviceStatus.FAILED, f"fetched, but the commit failed: {exc}",
                              detail="commit_failed", started_at=_ts(outcome))
        return {"repository": str(store.path), "commit": None, "error": str(exc)}
    for problem in (result.sync_error, result.push_error):
        if problem:
            ctx.log(problem, LogLevel.ERROR)
    if result.worktree_error:
        ctx.log(result.worktree_error, LogLevel.WARNING)
    summary = record_results(ctx, params, repository, result, fetched)
    if result.commit:
        ctx.log(f"committed {result.commit[:10]}: {summary['changed']} changed, {summary['unchanged']} unchanged")
    else:
        ctx.log("no config changed: nothing committed")
    return {"repository": str(store.path), "commit": result.commit, **summary, "failed": _failed_count(ctx),
            "pushed": result.pushed, "push_error": result.push_error or result.sync_error}


def _message_renderer(ctx, params: BackupParams, fetched: dict, owner: dict[str, int]):
    template = compile_template(params.commit_message)
    names = {device_id: target.device.name for device_id, (target, _) in fetched.items()}

    def message(files: dict) -> str:
        changed = sorted({names[owner[p]] for p, f in files.items() if f.status != "unchanged"})
        context = {"run_id": ctx.run_id, "job_name": getattr(getattr(ctx, "run", None), "job_name", ""),
                   "changed": len(changed), "unchanged": len(names) - len(changed), "failed": _failed_count(ctx),
                   "devices": changed}
        try:
            text = render(template, context).strip()
        except RenderError as exc:
            ctx.log(f"commit_message: {exc}; using the default message", LogLevel.WARNING)
            text = ""
        body = "\n".join(f"- {name}" for name in changed[:1000])
        return (text or f"backup run #{ctx.run_id}") + ("\n\n" + body if body else "") + "\n"

    return message


def _failed_count(ctx) -> int:
    from netcron.jobs.models import DeviceResult

    return DeviceResult.objects.filter(run_id=ctx.run_id, status=DeviceStatus.FAILED).count()


def _ts(outcome: Finished) -> datetime:
    return datetime.fromtimestamp(outcome.started_at, UTC)
