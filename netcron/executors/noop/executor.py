from netcron.executors.noop.params import NoopParams


def execute(ctx, params: NoopParams) -> dict:
    if params.message:
        ctx.log(params.message)
    total = len(ctx.devices)
    for done, device in enumerate(ctx.devices, start=1):
        if ctx.is_cancelled():
            break
        if device.name in params.fail_devices:
            ctx.device_result(device, "failed", "failed on request (fail_devices)")
        else:
            ctx.device_result(device, "ok", "nothing to do")
        ctx.progress(done, total)
    return {"devices": total}
