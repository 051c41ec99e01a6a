"""Simulated network devices (SSH CLI, NETCONF, SNMP) for tests, benchmarks and demos."""

from .lab import Lab, LabThread
from .model import (
    FAULTS,
    PLATFORMS,
    LabDeviceSpec,
    LabSpec,
    generate,
    inventory_csv,
    inventory_json,
    load_lab_file,
    write_inventory,
)

__all__ = [
    "FAULTS",
    "PLATFORMS",
    "Lab",
    "LabDeviceSpec",
    "LabSpec",
    "LabThread",
    "generate",
    "inventory_csv",
    "inventory_json",
    "load_lab_file",
    "main",
    "run_lab",
    "write_inventory",
]


def __getattr__(name: str):
    # The CLI entry points pull in argparse/signal handling only when asked for.
    if name in ("main", "run_lab"):
        from . import cli

        return getattr(cli, name)
    raise AttributeError(name)
