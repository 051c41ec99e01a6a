"""What every job type provides, and the context the runner hands to it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict


class Params(BaseModel):
    """Base of every job type's parameters: unknown keys are errors, so typos never pass silently."""

    model_config = ConfigDict(extra="forbid")


class JobFailed(Exception):
    """The job as a whole failed for a reason worth showing the user (no traceback)."""


class RetryableJobError(JobFailed):
    """A failure that may succeed on a later attempt (e.g. a source of truth briefly down)."""


class RunContext(Protocol):
    run_id: int
    devices: list  # inventory.Device instances (credential and location loaded)

    def log(self, message: str, level: str = "info", device=None) -> None: ...
    def progress(self, done: int, total: int | None = None) -> None: ...
    def device_result(self, device, status: str, message: str = "", *, detail: str = "",
                      data: dict | None = None, artifact: str = "", started_at=None) -> None: ...
    def device_results(self, results: list[dict]) -> None: ...
    def is_cancelled(self) -> bool: ...
    def lock_device(self, device) -> int | None: ...
    def each_device(self) -> Iterator: ...


@dataclass(frozen=True)
class JobType:
    """A job type: one folder under executors/ exports one of these as JOB_TYPE."""

    name: str
    label: str
    description: str
    queue: str
    params: type[Params]
    execute: Callable[[RunContext, Any], dict | None]
    uses_devices: bool = True
    system: bool = False

    def validate_params(self, raw: dict | None) -> Params:
        return self.params.model_validate(raw or {})

    def params_schema(self) -> dict:
        return self.params.model_json_schema()
