import time

from netcron.executors.base import JobFailed
from netcron.executors.sleep.params import SleepParams


def execute(ctx, params: SleepParams) -> dict:
    step = params.seconds / params.steps
    for done in range(1, params.steps + 1):
        if ctx.is_cancelled():
            return {"slept_steps": done - 1}
        if step > 0:
            time.sleep(step)
        ctx.progress(done, params.steps)
    if params.fail:
        raise JobFailed("failed on request (fail=true)")
    return {"slept_seconds": params.seconds}
