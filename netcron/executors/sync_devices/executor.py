from netcron.executors.sync_devices.params import SyncDevicesParams
from netcron.sources.errors import as_job_errors
from netcron.sources.monitors import Outcome, build_monitor
from netcron.sources.reconcile import IN_SYNC, MISSING_IN_MONITORING, Item
from netcron.sources.results import report_results

PLANNED = {MISSING_IN_MONITORING: "would_create", IN_SYNC: "unchanged"}
MAX_FAILURES_IN_RESULT = 100


def execute(ctx, params: SyncDevicesParams) -> dict:
    with as_job_errors():
        monitor = build_monitor(params, ctx)
        try:
            return sync(ctx, params, monitor)
        finally:
            monitor.close()


def sync(ctx, params: SyncDevicesParams, monitor) -> dict:
    ctx.log(f"{'planning' if params.dry_run else 'syncing'} {len(ctx.devices)} device(s) with {monitor.describe()}")
    items = monitor.compare(ctx.devices)
    plan = monitor.plan(items, params.delete_missing)
    planned = {key: len(value) for key, value in plan.items() if isinstance(value, list)}
    ctx.log("plan: " + ", ".join(f"{n} {key}" for key, n in planned.items()))
    result = {"target": monitor.kind, "dry_run": params.dry_run, "plan": plan, "planned": planned}
    if params.dry_run:
        report_devices(ctx, items, None)
        return {**result, "requests": monitor.requests}
    outcome = monitor.apply(plan, params.batch_size, ctx.is_cancelled)
    report_devices(ctx, items, outcome)
    log_hosts_without_device(ctx, items, outcome)
    result.update(applied=applied_counts(outcome),
                  failed=dict(list(outcome.failed.items())[:MAX_FAILURES_IN_RESULT]), activation=None)
    if outcome.cancelled:
        ctx.log("cancelled between batches; changes made so far are not activated", "warning")
    elif monitor.kind == "checkmk":
        result["activation"] = finish_checkmk(ctx, params, monitor, outcome)
    return {**result, "requests": monitor.requests}


def finish_checkmk(ctx, params: SyncDevicesParams, monitor, outcome: Outcome) -> dict | None:
    created = [name for name, actions in outcome.done.items() if "created" in actions]
    if params.discover_services and created:
        for name, error in monitor.discover(created).items():
            ctx.log(f"{name}: service discovery did not start: {error}", "warning")
        ctx.log(f"service discovery started on {len(created)} new host(s)")
    if not params.activate_changes_after_sync:
        return None
    if not outcome.changed:
        ctx.log("no changes; nothing to activate")
        return None
    activation = monitor.client.activate_changes(force_foreign_changes=params.force_foreign_changes,
                                                 wait_seconds=params.activation_timeout_seconds)
    if activation is None:
        ctx.log("no pending changes in CheckMK; nothing to activate")
    elif activation["completed"]:
        ctx.log(f"activated {activation['changes']} pending change(s) (activation {activation['activation_id']})")
    else:
        ctx.log(f"activation {activation['activation_id']} still running after "
                f"{params.activation_timeout_seconds:g} s", "warning")
    return activation


def report_devices(ctx, items: list[Item], outcome: Outcome | None) -> None:
    by_name = {item.name: item for item in items}
    results = []
    for device in ctx.devices:
        item = by_name[device.name]
        result = {"device": device, "status": "ok", "message": item.summary(), "data": {"diff": item.diff}}
        if outcome is None:
            result["detail"] = PLANNED.get(item.status, "would_update")
        elif device.name in outcome.failed:
            result.update(status="failed", message=outcome.failed[device.name])
        elif device.name in outcome.done:
            result["detail"] = ",".join(outcome.done[device.name])
        elif item.status == IN_SYNC:
            result["detail"] = "unchanged"
        else:
            continue  # not reached before a cancel: the runner marks it cancelled
        results.append(result)
    report_results(ctx, results)


def log_hosts_without_device(ctx, items: list[Item], outcome: Outcome) -> None:
    deleted = [name for name, actions in outcome.done.items() if "deleted" in actions]
    if deleted:
        ctx.log(f"deleted {len(deleted)} host(s) netcron does not know: {', '.join(deleted[:50])}")
    devices = {item.name for item in items if item.desired is not None}
    for name, error in outcome.failed.items():
        if name not in devices:
            ctx.log(f"{name}: {error}", "error")


def applied_counts(outcome: Outcome) -> dict[str, int]:
    counts = dict.fromkeys(("created", "moved", "updated", "deleted"), 0)
    for actions in outcome.done.values():
        for action in actions:
            counts[action] += 1
    return {**counts, "failed": len(outcome.failed)}
