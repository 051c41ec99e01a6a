from netcron.executors.compare_devices.params import CompareDevicesParams
from netcron.monitoring.models import Comparison
from netcron.sources.errors import as_job_errors
from netcron.sources.monitors import build_monitor
from netcron.sources.reconcile import IN_SYNC, counts
from netcron.sources.results import report_results


def execute(ctx, params: CompareDevicesParams) -> dict:
    with as_job_errors():
        monitor = build_monitor(params, ctx)
        try:
            ctx.log(f"comparing {len(ctx.devices)} device(s) with {monitor.describe()}")
            items = monitor.compare(ctx.devices)
        finally:
            monitor.close()
    comparison = Comparison.record(ctx.run_id, monitor.kind, monitor.describe(), items)
    by_name = {item.name: item for item in items}
    report_results(ctx, [{"device": d, "status": "ok", "message": by_name[d.name].summary(),
                          "detail": by_name[d.name].status, "data": {"diff": by_name[d.name].diff}}
                         for d in ctx.devices])
    summary = counts(items)
    extra = [f"{n} {status.replace('_', ' ')}" for status, n in summary.items() if status != IN_SYNC and n]
    ctx.log(f"{summary[IN_SYNC]} in sync" + (", " + ", ".join(extra) if extra else ""))
    return {"comparison_id": comparison.pk, "target": monitor.kind, **summary}
