from netcron.executors.sync_inventory.params import SyncInventoryParams
from netcron.sources.credentials import required_token, resolve_credential, run_credential
from netcron.sources.dcim import CLIENTS
from netcron.sources.errors import as_job_errors
from netcron.sources.inventory_sync import SyncOptions, sync_inventory
from netcron.sources.platforms import PlatformMapper


def execute(ctx, params: SyncInventoryParams) -> dict:
    with as_job_errors():
        token = required_token(resolve_credential(params.credential, run_credential(ctx)))
        device_credential = resolve_credential(params.device_credential) if params.device_credential else None
        extra = {"location_from": params.location_from} if params.source == "netbox" else {}
        client = CLIENTS[params.source](
            params.url, token, page_size=params.page_size, verify_tls=params.verify_tls,
            timeout=params.timeout_seconds, retries=params.retries, backoff=params.retry_backoff_seconds, **extra)
        filters = params.filters()
        shown = "; ".join(f"{key}={','.join(values)}" for key, values in filters.items())
        ctx.log(f"reading devices from {client.label} {params.url}" + (f" ({shown})" if shown else ""))
        try:
            records = list(client.devices(filters))
        finally:
            client.http.close()
    options = SyncOptions(source_name=params.source_name or params.source, mapper=PlatformMapper(params.platform_map),
                          without_primary_ip=params.without_primary_ip, custom_fields=params.custom_fields,
                          deactivate_missing=params.deactivate_missing, device_credential=device_credential)
    report = sync_inventory(records, options)
    ctx.progress(report.fetched, report.fetched)
    for warning in report.warnings:
        ctx.log(warning, "warning")
    for reason, names in sorted(report.skipped.items()):
        shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
        ctx.log(f"skipped {len(names)} device(s): {reason}: {shown}", "warning")
    if report.deactivated:
        ctx.log(f"deactivated {len(report.deactivated)} device(s) no longer in the source: "
                + ", ".join(report.deactivated[:20]))
    result = report.as_result()
    ctx.log(f"{result['fetched']} fetched in {client.http.log.count} request(s): {result['created']} created, "
            f"{result['updated']} updated, {result['unchanged']} unchanged, {result['deactivated']} deactivated, "
            f"{result['skipped']} skipped")
    return {"source": params.source, "url": params.url, **result}
