"""Talk to many devices at once from a synchronous executor (shared by backup and run_commands).

The SSH work runs in ONE asyncio event loop on a helper thread, bounded by ``run_bounded``. The
executor's own thread keeps every database call (Django's ORM is synchronous, and the run's
transaction and connection live there): it receives each device's outcome as soon as it is known,
reports progress and polls for cancellation, which it passes to the loop.
"""

from __future__ import annotations

import asyncio
import queue
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction

from netcron.jobs.choices import DeviceStatus
from netcron.lib import concurrency
from netcron.lib.concurrency import Cancelled, ItemTimeout, run_bounded
from netcron.lib.hostkeys import FileHostKeyStore
from netcron.lib.ssh import DeviceSpec


@dataclass
class Target:
    """One device's work order: the ORM object stays on the executor thread, the loop only sees ``spec``."""

    device: Any
    spec: DeviceSpec
    extra: dict = field(default_factory=dict)


@dataclass
class Finished:
    target: Target
    result: Any = None
    error: BaseException | None = None
    started_at: float = 0.0  # time.time()
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None


def known_hosts_path() -> Path:
    """The SSH host key store of this machine's processes (workers, ``netcron hostkeys``, the API)."""
    return Path(settings.DATA_DIR) / "ssh_known_hosts.json"


def run_host_keys() -> FileHostKeyStore:
    """The store as one run sees it: keys learned under trust-on-first-use are written once, by ``flush()``."""
    return FileHostKeyStore(known_hosts_path(), deferred=True)


def login_credential(ctx, device):
    """The run's credential (template or schedule) if set, else the device's own."""
    run = getattr(ctx, "run", None)
    return getattr(run, "credential", None) or device.credential


def device_spec(device, credential, *, connect_timeout: float, command_timeout: float,
                host_keys: FileHostKeyStore) -> DeviceSpec:
    """A DeviceSpec for ``device``; secrets are decrypted here, on the executor thread."""
    if credential is None:
        raise ValueError("no credential: set one on the device or on the job template")
    secrets = credential.get_secrets()
    policy = credential.host_key_policy
    return DeviceSpec(
        host=device.host, port=device.port, platform=device.platform, username=credential.username,
        password=secrets.get("password", ""), enable_secret=secrets.get("enable_secret") or None,
        name=device.name, connect_timeout=connect_timeout, command_timeout=command_timeout,
        host_key_policy=policy, host_keys=None if policy == "ignore" else host_keys,
    )


def lock_devices(ctx, devices: list) -> list:
    """Take each device's per-job-type lock; busy devices are reported skipped and left out."""
    free, busy = [], []
    with transaction.atomic():  # one transaction, not one per device
        for device in devices:
            holder = ctx.lock_device(device)
            (free.append(device) if holder is None else busy.append((device, holder)))
    for device, holder in busy:
        ctx.device_result(device, DeviceStatus.SKIPPED,
                          f"busy: run #{holder} of the same job type is working on this device")
    return free


def run_fleet(ctx, targets: list[Target], work: Callable[[Target], Awaitable[Any]], *, limit: int,
              timeout: float | None, on_finished: Callable[[Finished], None]) -> bool:
    """Run ``work`` for every target in one event loop; ``on_finished`` is called on this thread for each
    finished target (devices never started because of a cancel get no call). Returns True if cancelled."""
    finished: queue.SimpleQueue[Finished | None] = queue.SimpleQueue()
    cancel = threading.Event()
    crash: list[BaseException] = []

    async def one(target: Target) -> None:
        started, clock = time.time(), time.perf_counter()
        outcome = Finished(target, started_at=started)
        try:
            async with asyncio.timeout(timeout):
                outcome.result = await work(target)
        except TimeoutError as exc:
            # Our own deadline; a driver's typed Timeout is a DeviceError and passes through as is.
            outcome.error = ItemTimeout(f"timed out after {timeout:g}s") if type(exc) is TimeoutError else exc
        except asyncio.CancelledError:
            outcome.error = Cancelled("cancelled while running")
            raise
        except Exception as exc:
            outcome.error = exc
        finally:
            outcome.seconds = time.perf_counter() - clock
            finished.put(outcome)

    def loop_thread() -> None:
        try:
            concurrency.run(run_bounded(one, targets, limit=limit, cancel=cancel.is_set, poll_interval=0.1))
        except BaseException as exc:  # surfaced on the executor thread below
            crash.append(exc)
        finally:
            finished.put(None)

    thread = threading.Thread(target=loop_thread, name=f"fleet-run-{ctx.run_id}", daemon=True)
    thread.start()
    done, total = 0, len(targets)
    try:
        while True:
            try:
                item = finished.get(timeout=0.2)
            except queue.Empty:
                item = False
            if item is None:
                break
            if item:
                done += 1
                on_finished(item)
                ctx.progress(done, total)
            if not cancel.is_set() and ctx.is_cancelled():
                cancel.set()
    except BaseException:
        # Soft time limit, database error...: close the sessions before giving up the run.
        cancel.set()
        thread.join(timeout=10)
        raise
    thread.join()
    if crash:
        raise crash[0]
    return cancel.is_set()


def error_message(error: BaseException) -> str:
    """One line for a device result: the driver's message, or the error type if it has none."""
    text = getattr(error, "message", None) or str(error)
    return text if text else type(error).__name__


def tags_by_device(devices: list) -> dict[int, list[str]]:
    """Tag names of every device in one query."""
    from netcron.inventory.models import Device

    out: dict[int, list[str]] = {d.pk: [] for d in devices}
    rows = Device.tags.through.objects.filter(device_id__in=list(out)).values_list("device_id", "tag__name")
    for device_id, name in rows:
        out[device_id].append(name)
    return {k: sorted(v) for k, v in out.items()}


def template_context(device, tags: list[str]) -> dict:
    """What templates see of a device: plain data only, never the model (no methods, no credential)."""
    import copy

    location = device.location
    where = {"name": location.name, "description": location.description} if location else {"name": "",
                                                                                               "description": ""}
    return {
        "device": {"id": device.pk, "name": device.name, "host": device.host, "port": device.port,
                   "platform": device.platform, "role": device.role, "serial": device.serial,
                   "description": device.description, "location": location.name if location else ""},
        "location": where,
        "tags": list(tags),
        "custom_fields": copy.deepcopy(device.custom_fields or {}),
    }
