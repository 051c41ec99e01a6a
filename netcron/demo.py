"""Demo data for `netcron up --demo`: a simulated device lab, its inventory, templates and schedules."""

from __future__ import annotations

import sys
from pathlib import Path

from django.conf import settings
from django.db import transaction

from netcron.inventory.models import Device
from netcron.jobs.models import JobSchedule, JobTemplate
from netcron.sources.csv_devices import import_devices

LAB_DEVICES = 20
LAB_SSH_PORT = 2222  # above 1024, and clear of a real sshd listening on port 22
LAB_SNMP_PORT = 1161


def lab_dir() -> Path:
    return settings.DATA_DIR / "lab"


def lab_argv(ssh_port: int = LAB_SSH_PORT, snmp_port: int = LAB_SNMP_PORT) -> list[str]:
    """The command that serves the demo lab (a supervised child of `netcron up --demo`)."""
    return [sys.executable, "-m", "netcron.lab", "--devices", str(LAB_DEVICES), "--port", str(ssh_port),
            "--snmp-port", str(snmp_port), "--data-dir", str(lab_dir())]


def lab_inventory_csv(ssh_port: int = LAB_SSH_PORT, snmp_port: int = LAB_SNMP_PORT) -> str:
    """The same devices the lab process generates (generation is deterministic)."""
    from netcron.lab.model import generate, inventory_csv

    return inventory_csv(generate(LAB_DEVICES, port=ssh_port, snmp_port=snmp_port))


DEMO_TEMPLATES = [
    # name, job type, params, targets
    ("demo: touch every device", "noop", {"message": "demo run"}, {"all": True}),
    ("demo: slow job (20 s)", "sleep", {"seconds": 20, "steps": 20}, {}),
    ("demo: reachability", "reachability",
     {"checks": ["ping", "tcp", "snmp", "ssh"], "tcp_ports": [LAB_SSH_PORT], "snmp_port": LAB_SNMP_PORT},
     {"tags": ["lab"]}),
    ("demo: config backup", "backup", {"configs": "both",
                                       "backup_running_config_path": "{location.name}/{device_name}.running.cfg",
                                       "backup_startup_config_path": "{location.name}/{device_name}.startup.cfg"},
     {"tags": ["lab"]}),
    ("demo: show version", "run_commands", {"commands": ["show version"]}, {"platforms": ["cisco_ios"]}),
]
DEMO_SCHEDULES = [
    # name, template name, timing
    ("demo: every minute", "demo: touch every device", {"kind": "cron", "cron_expr": "* * * * *"}),
    ("demo: reachability every minute", "demo: reachability", {"kind": "cron", "cron_expr": "* * * * *"}),
    ("demo: backup every 15 minutes", "demo: config backup", {"kind": "cron", "cron_expr": "*/15 * * * *"}),
]


@transaction.atomic
def seed_demo(ssh_port: int = LAB_SSH_PORT, snmp_port: int = LAB_SNMP_PORT) -> str:
    """Import the lab's devices and create demo templates/schedules. Idempotent."""
    report = import_devices(lab_inventory_csv(ssh_port, snmp_port), source="lab")
    if report.errors:
        raise RuntimeError(f"demo lab inventory did not import: {report.errors[0]}")
    for name, job_type, params, targets in DEMO_TEMPLATES:
        JobTemplate.objects.get_or_create(name=name, defaults={"job_type": job_type, "params": params,
                                                               "targets": targets})
    for name, template_name, timing in DEMO_SCHEDULES:
        if not JobSchedule.objects.filter(name=name).exists():
            schedule = JobSchedule(name=name, template=JobTemplate.objects.get(name=template_name), **timing)
            schedule.reset_next_fire()
            schedule.save()
    return (f"demo data ready: {Device.objects.count()} devices (lab on 127.0.1.1-{LAB_DEVICES} "
            f"port {ssh_port}), {JobTemplate.objects.count()} templates")
