"""Registry of job types: adding a type is one folder under executors/ and one line here."""

from __future__ import annotations

from importlib import import_module

from netcron.executors.base import JobType

JOB_TYPE_MODULES = [
    "netcron.executors.noop",
    "netcron.executors.sleep",
    "netcron.executors.cleanup_history",
    "netcron.executors.worker_health",
    "netcron.executors.sync_inventory",
    "netcron.executors.compare_devices",
    "netcron.executors.sync_devices",
    "netcron.executors.backup",
    "netcron.executors.run_commands",
    "netcron.executors.reachability",
    "netcron.executors.scan_prefixes",
]


class UnknownJobType(KeyError):
    def __str__(self) -> str:
        return f"unknown job type {self.args[0]!r}; known types: {', '.join(sorted(job_types()))}"


_registry: dict[str, JobType] | None = None


def job_types() -> dict[str, JobType]:
    global _registry
    if _registry is None:
        loaded = [import_module(module).JOB_TYPE for module in JOB_TYPE_MODULES]
        _registry = {job_type.name: job_type for job_type in loaded}
    return _registry


def get_job_type(name: str) -> JobType:
    try:
        return job_types()[name]
    except KeyError:
        raise UnknownJobType(name) from None
