"""Session parameters a template leaves empty take the system settings in force when the run starts.

Read at run start (``netcron.system.models.current()``, re-read at most every few seconds), so an
administrator's change applies to the next run in every worker without a restart.
"""

from __future__ import annotations

from typing import TypeVar

from netcron.executors.base import Params

P = TypeVar("P", bound=Params)

# Parameter name -> the system setting that fills it when the parameter is empty (None).
SESSION_DEFAULTS = {
    "parallel_tasks": "default_parallelism",
    "connect_timeout": "ssh_connect_timeout",
    "command_timeout": "ssh_command_timeout",
}


def with_system_defaults(ctx, params: P) -> P:
    """`params` with each empty session parameter set from the system settings; the values used are logged."""
    from netcron.system.models import current

    empty = [name for name in SESSION_DEFAULTS if hasattr(params, name) and getattr(params, name) is None]
    if not empty:
        return params
    settings = current()
    filled = {name: getattr(settings, SESSION_DEFAULTS[name]) for name in empty}
    ctx.log("system settings: " + ", ".join(f"{name} {value:g}" for name, value in filled.items()))
    return params.model_copy(update=filled)
