"""Lab faults map to the driver's typed errors within their timeouts; host key policies hold."""

from __future__ import annotations

import asyncio
import time

import pytest

from netcron.lab import generate
from netcron.lab.testing import driver_spec, free_port, running_lab
from netcron.lib.hostkeys import FileHostKeyStore, MemoryHostKeyStore
from netcron.lib.ssh import (
    AuthFailed,
    ConnectionDropped,
    DeviceError,
    HostKeyMismatch,
    HostKeyUnknown,
    Timeout,
    Unreachable,
    connect,
)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    port = free_port("127.0.1.101")
    devices = generate(16, ["cisco_ios", "arista_eos"], port=port, base_address="127.0.1.101", slow_latency=0.3)
    with running_lab(devices, tmp_path_factory.mktemp("lab")) as lab:
        yield lab


@pytest.fixture
def device(lab):
    """A fresh device per test; its faults are cleared afterwards."""
    used = lab.__dict__.setdefault("_used", set())
    d = next(d for d in lab.specs if d.name not in used)
    used.add(d.name)
    yield d
    lab.clear_faults(d.name)


def run(coro):
    return asyncio.run(coro)


async def show_version(spec):
    async with connect(spec) as s:
        return await s.send_command("show version")


def timed(fn):
    started = time.monotonic()
    try:
        fn()
    finally:
        timed.elapsed = time.monotonic() - started


def test_down_device_raises_unreachable(lab, device):
    lab.set_fault(device.name, "down")
    with pytest.raises(Unreachable, match="refused"):
        run(show_version(driver_spec(device)))


def test_auth_fail_raises_auth_failed_without_leaking_the_password(lab, device):
    lab.set_fault(device.name, "auth_fail")
    with pytest.raises(AuthFailed) as info:
        run(show_version(driver_spec(device)))
    assert device.password not in str(info.value)
    assert "authentication failed" in str(info.value)


def test_slow_device_times_out_on_a_short_timeout_and_works_on_a_long_one(lab, device):
    lab.set_fault(device.name, "slow")
    with pytest.raises(Timeout):
        timed(lambda: run(show_version(driver_spec(device, connect_timeout=0.2, command_timeout=0.2))))
    assert timed.elapsed < 2
    assert device.name in run(show_version(driver_spec(device, connect_timeout=5, command_timeout=5)))


def test_hang_after_login_raises_timeout_within_the_connect_timeout(lab, device):
    lab.set_fault(device.name, "hang")
    with pytest.raises(Timeout, match="no prompt"):
        timed(lambda: run(show_version(driver_spec(device, connect_timeout=1.0))))
    assert timed.elapsed < 3


def test_drop_mid_output_raises_connection_dropped(lab, device):
    lab.set_fault(device.name, "drop")

    async def go():
        async with connect(driver_spec(device)) as s:
            return await s.send_command("show running-config")

    with pytest.raises(ConnectionDropped):
        run(go())


def test_tofu_records_the_key_on_first_use_and_accepts_it_again(lab, device):
    store = MemoryHostKeyStore()
    spec = driver_spec(device, host_key_policy="tofu", host_keys=store)
    run(show_version(spec))
    recorded = store.lookup(device.host, device.port)
    assert list(recorded) == ["ssh-ed25519"]
    assert recorded == lab.host_key_store().lookup(device.host, device.port)
    run(show_version(spec))


def test_wrong_hostkey_is_refused_in_tofu_mode_after_first_use(lab, device):
    store = MemoryHostKeyStore()
    spec = driver_spec(device, host_key_policy="tofu", host_keys=store)
    run(show_version(spec))
    lab.set_fault(device.name, "wrong_hostkey")
    with pytest.raises(HostKeyMismatch):
        run(show_version(spec))
    assert store.lookup(device.host, device.port) == lab.host_key_store().lookup(device.host, device.port)


def test_wrong_hostkey_is_refused_in_strict_mode(lab, device):
    lab.set_fault(device.name, "wrong_hostkey")
    spec = driver_spec(device, host_key_policy="strict", host_keys=lab.host_key_store())
    with pytest.raises(HostKeyMismatch):
        run(show_version(spec))


def test_strict_mode_refuses_a_device_it_has_no_key_for(lab, device):
    spec = driver_spec(device, host_key_policy="strict", host_keys=MemoryHostKeyStore())
    with pytest.raises(HostKeyUnknown):
        run(show_version(spec))


def test_strict_mode_accepts_the_recorded_key(lab, device):
    spec = driver_spec(device, host_key_policy="strict", host_keys=lab.host_key_store())
    assert "Serial" in run(show_version(spec)) or "Processor board ID" in run(show_version(spec))


def test_file_store_keeps_tofu_keys_across_instances(lab, device, tmp_path):
    path = tmp_path / "known_hosts.json"
    run(show_version(driver_spec(device, host_key_policy="tofu", host_keys=FileHostKeyStore(path))))
    lab.set_fault(device.name, "wrong_hostkey")
    with pytest.raises(HostKeyMismatch):
        run(show_version(driver_spec(device, host_key_policy="tofu", host_keys=FileHostKeyStore(path))))


def test_ignore_policy_accepts_a_changed_key(lab, device):
    lab.set_fault(device.name, "wrong_hostkey")
    run(show_version(driver_spec(device, host_key_policy="ignore")))


def test_every_fault_error_is_a_device_error_with_a_short_message(lab):
    for cls in (Unreachable, AuthFailed, Timeout, ConnectionDropped, HostKeyMismatch, HostKeyUnknown):
        assert issubclass(cls, DeviceError)
