"""Per-device results for jobs that touch thousands of devices in a few API calls."""

from __future__ import annotations


def report_results(ctx, results: list[dict]) -> None:
    """Record [{device, status, message, detail, data}] in one bulk write and mark the run's progress done."""
    ctx.device_results(results)
    ctx.progress(len(results), len(results))
