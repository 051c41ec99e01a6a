"""Send commands (or configuration) to devices over SSH and keep each command's output and timing."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from netcron.configs.repos import RepositoryError, local_path
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
from netcron.executors.run_commands.output import Parser, entry, shrink
from netcron.executors.run_commands.params import RunCommandsParams
from netcron.jobs.choices import DeviceStatus
from netcron.lib.concurrency import Cancelled
from netcron.lib.ssh import CommandError, connect
from netcron.lib.templating import RenderError, compile_template, render


def execute(ctx, params: RunCommandsParams) -> dict:
    params = with_system_defaults(ctx, params)
    renderers = _renderers(params)
    tags = tags_by_device(ctx.devices)
    devices = ctx.devices if params.dry_run else lock_devices(ctx, ctx.devices)
    planned: list[tuple[object, list[str]]] = []
    for device in devices:
        try:
            commands = _render(renderers, template_context(device, tags[device.pk]))
        except RenderError as exc:
            ctx.device_result(device, DeviceStatus.FAILED, f"template: {exc}", detail="template_error")
            continue
        if not commands:
            ctx.device_result(device, DeviceStatus.SKIPPED, "the template rendered no commands for this device")
            continue
        planned.append((device, commands))
    if params.dry_run:
        return _dry_run(ctx, planned)
    return _run(ctx, params, planned)


def _renderers(params: RunCommandsParams) -> list:
    if params.commands:
        return [("one", compile_template(c)) for c in params.commands]
    source = params.command_template or _load_named_template(params)
    try:
        return [("lines", compile_template(source))]
    except RenderError as exc:
        raise JobFailed(f"command_template_name: {exc}") from None


def _render(renderers: list, context: dict) -> list[str]:
    commands = []
    for mode, template in renderers:
        text = render(template, context)
        lines = [text] if mode == "one" else text.splitlines()
        commands += [line.strip() for line in lines if line.strip()]
    return commands


def _load_named_template(params: RunCommandsParams) -> str:
    """The named file from the template repository: its committed HEAD version if it is a git repository."""
    import pygit2

    try:
        root = local_path(params.template_repository or "templates")
    except RepositoryError as exc:
        raise JobFailed(str(exc).replace("repository_path", "template_repository")) from None
    name = params.command_template_name
    if (root / ".git").exists() or (root / "HEAD").exists():
        repo = pygit2.Repository(str(root))
        try:
            return repo[repo.head.peel(pygit2.Commit).tree[name].id].data.decode("utf-8")
        except (KeyError, pygit2.GitError):
            raise JobFailed(f"command_template_name: {name} is not committed in {root}") from None
        except UnicodeDecodeError:
            raise JobFailed(f"command_template_name: {name} is not UTF-8 text") from None
    path = (root / name).resolve()
    if root.resolve() not in path.parents or not path.is_file():
        raise JobFailed(f"command_template_name: {name} not found in {root}")
    return Path(path).read_text(encoding="utf-8")


def _dry_run(ctx, planned: list) -> dict:
    for done, (device, commands) in enumerate(planned, start=1):
        ctx.device_result(device, DeviceStatus.OK, f"dry run: {len(commands)} command(s) rendered",
                          detail="dry_run", data={"commands": [{"command": c} for c in commands]})
        ctx.progress(done, len(planned))
    return {"dry_run": True, "devices": len(planned)}


def _run(ctx, params: RunCommandsParams, planned: list) -> dict:
    targets, host_keys = [], run_host_keys()
    for device, commands in planned:
        try:
            spec = device_spec(device, login_credential(ctx, device), connect_timeout=params.connect_timeout,
                               command_timeout=params.command_timeout, host_keys=host_keys)
        except ValueError as exc:
            ctx.device_result(device, DeviceStatus.FAILED, str(exc), detail="invalid")
            continue
        targets.append(Target(device, spec, {"commands": commands, "entries": []}))
    parse = Parser(params.parse_output, lambda m, level: ctx.log(m, level))
    counts = {"ok": 0, "failed": 0}

    def on_finished(outcome: Finished) -> None:
        if isinstance(outcome.error, Cancelled):
            return
        target = outcome.target
        entries = target.extra["entries"]
        for record in entries:
            parse(target.spec.platform, record, params.max_output_bytes)
        errors = [r["error"] for r in entries if not r["ok"]]
        if outcome.error is not None:
            errors.append(error_message(outcome.error))
        status = DeviceStatus.FAILED if errors else DeviceStatus.OK
        counts["failed" if errors else "ok"] += 1
        message = errors[0] if errors else f"{len(entries)} command(s) ok"
        detail = getattr(outcome.error, "kind", "error") if outcome.error else ("command_error" if errors else "ok")
        ctx.device_result(target.device, status, message, detail=detail,
                          data={"commands": shrink(entries, params.max_output_bytes),
                                "not_run": len(target.extra["commands"]) - _ran(entries)},
                          started_at=datetime.fromtimestamp(outcome.started_at, UTC))

    try:
        run_fleet(ctx, targets, _worker(params), limit=params.parallel_tasks, timeout=params.device_timeout,
                  on_finished=on_finished)
    finally:
        host_keys.flush()
    return {"devices": len(planned), **counts, "config_mode": params.config_mode}


def _ran(entries: list[dict]) -> int:
    """Commands (or config lines) that were sent, whatever their outcome."""
    return sum(r.get("lines", 1) for r in entries if not r.get("save"))


def _worker(params: RunCommandsParams):
    async def work(target: Target) -> None:
        commands, entries = target.extra["commands"], target.extra["entries"]
        async with connect(target.spec) as session:
            if params.config_mode:
                await _configure(session, commands, entries, params)
                return
            for command in commands:
                started = time.perf_counter()
                try:
                    output = await session.send_command(command, timeout=params.command_timeout)
                except CommandError as exc:
                    entries.append(entry(command, exc.output, time.perf_counter() - started, ok=False,
                                         error=exc.message))
                    if params.stop_on_error:
                        return
                    continue
                entries.append(entry(command, output, time.perf_counter() - started, ok=True))

    return work


async def _configure(session, commands: list[str], entries: list[dict], params: RunCommandsParams) -> None:
    started = time.perf_counter()
    label = f"(config mode: {len(commands)} line(s))"
    try:
        output = await session.send_config(commands, timeout=params.command_timeout)
    except CommandError as exc:
        entries.append({**entry(label, exc.output, time.perf_counter() - started, ok=False, error=exc.message),
                        "lines": len(commands), "config": commands})
        return
    entries.append({**entry(label, output, time.perf_counter() - started, ok=True), "lines": len(commands),
                    "config": commands})
    if params.save_config:
        started = time.perf_counter()
        try:
            output = await session.save_config(timeout=params.command_timeout)
        except CommandError as exc:
            entries.append({**entry("(save config)", exc.output, time.perf_counter() - started, ok=False,
                                    error=exc.message), "save": True})
            return
        entries.append({**entry("(save config)", output, time.perf_counter() - started, ok=True), "save": True})
