"""NETCONF get-config / get through ncclient against the lab's NETCONF subsystem."""

from __future__ import annotations

import asyncio

import pytest
from lxml import etree

from netcron.lab import generate
from netcron.lab.testing import driver_spec, free_port, running_lab
from netcron.lib.hostkeys import MemoryHostKeyStore
from netcron.lib.netconf import get, get_config
from netcron.lib.ssh import AuthFailed, HostKeyMismatch, Unreachable

IF_NS = "urn:ietf:params:xml:ns:yang:ietf-interfaces"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    port = free_port("127.0.1.151")
    devices = generate(6, ["juniper_junos", "cisco_ios"], port=port, base_address="127.0.1.151")
    with running_lab(devices, tmp_path_factory.mktemp("lab")) as lab:
        yield lab


def test_get_config_returns_the_running_config_and_capabilities(lab):
    d = lab.specs[0]
    result = asyncio.run(get_config(driver_spec(d)))
    root = etree.fromstring(result.xml.encode())
    names = root.findall(f".//{{{IF_NS}}}interface/{{{IF_NS}}}name")
    assert len(names) > 3
    assert d.name in result.xml
    assert "urn:ietf:params:netconf:base:1.1" in result.capabilities


def test_get_config_sees_config_changes(lab):
    d = lab.specs[1]
    lab.configure(d.name, ["interface GigabitEthernet1/0/1", "description netconf-visible"])
    assert "netconf-visible" in asyncio.run(get_config(driver_spec(d))).xml


def test_get_includes_operational_state(lab):
    assert "<oper-status>" in asyncio.run(get(driver_spec(lab.specs[0]))).xml


def test_netconf_auth_failure_and_down_device_raise_typed_errors(lab):
    d, e = lab.specs[2], lab.specs[3]
    with pytest.raises(AuthFailed):
        asyncio.run(get_config(driver_spec(d, password="wrong")))
    lab.set_fault(e.name, "down")
    try:
        with pytest.raises(Unreachable):
            asyncio.run(get_config(driver_spec(e)))
    finally:
        lab.clear_faults(e.name)


def test_netconf_tofu_records_the_key_and_refuses_a_changed_one(lab):
    d = lab.specs[4]
    store = MemoryHostKeyStore()
    asyncio.run(get_config(driver_spec(d, host_key_policy="tofu", host_keys=store)))
    assert store.lookup(d.host, d.port) == lab.host_key_store().lookup(d.host, d.port)
    lab.set_fault(d.name, "wrong_hostkey")
    try:
        with pytest.raises(HostKeyMismatch):
            asyncio.run(get_config(driver_spec(d, host_key_policy="tofu", host_keys=store)))
    finally:
        lab.clear_faults(d.name)
