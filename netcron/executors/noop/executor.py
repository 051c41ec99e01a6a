from netcron.executors.noop.params import NoopParams


def execute(ctx, params: NoopParams) -> dict:
    if params.message:
        ctx.log(params.message)
    for device in ctx.each_device():
        if device.name in params.fail_devices:
            ctx.device_result(device, "failed", "failed on request (fail_devices)")
        else:
            ctx.device_result(device, "ok", "nothing to do")
    return {"devices": len(ctx.devices)}
