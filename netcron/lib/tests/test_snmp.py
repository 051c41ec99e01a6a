"""SNMP get / walk (v2c and v3) against the lab agent."""

from __future__ import annotations

import asyncio

import pytest

from netcron.lab import generate
from netcron.lab.testing import free_port, running_lab
from netcron.lib.snmp import SnmpError, SnmpTarget, snmp_get, snmp_walk
from netcron.lib.ssh import Timeout

SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_NAME = (f"1.3.6.1.2.1.1.{n}.0" for n in (1, 2, 3, 5))
IF_DESCR = "1.3.6.1.2.1.2.2.1.2"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    port = free_port("127.0.1.171")
    devices = generate(3, ["cisco_ios", "arista_eos", "mikrotik_routeros"], port=port,
                       base_address="127.0.1.171", snmp_port=free_port("127.0.1.171"))
    with running_lab(devices, tmp_path_factory.mktemp("lab")) as lab:
        yield lab


def test_v2c_get_returns_the_system_group_of_each_device(lab):
    for d in lab.specs:
        target = SnmpTarget(d.host, d.snmp_port)
        values = asyncio.run(snmp_get(target, [SYS_DESCR, SYS_OBJECT_ID, SYS_UPTIME, SYS_NAME]))
        assert values[SYS_NAME] == d.name
        facts = lab.device(d.name).facts
        assert facts.version in values[SYS_DESCR] or facts.model in values[SYS_DESCR]
        assert values[SYS_OBJECT_ID].startswith("1.3.6.1.4.1.")
        assert values[SYS_UPTIME] > 0


def test_v2c_walk_lists_the_interface_table(lab):
    d = lab.specs[1]
    rows = asyncio.run(snmp_walk(SnmpTarget(d.host, d.snmp_port), IF_DESCR))
    names = [v for _, v in rows]
    assert names == [i.name for i in lab.device(d.name).new_cli().interfaces()]
    assert all(oid.startswith(IF_DESCR + ".") for oid, _ in rows)


def test_v3_authpriv_get_works(lab):
    d = lab.specs[2]
    target = SnmpTarget(d.host, d.snmp_port, version="3", user=d.snmp_v3_user, auth_key=d.snmp_v3_auth_key,
                        priv_key=d.snmp_v3_priv_key)
    assert asyncio.run(snmp_get(target, [SYS_NAME]))[SYS_NAME] == d.name


def test_wrong_community_gets_no_answer_and_times_out(lab):
    d = lab.specs[0]
    with pytest.raises(Timeout):
        asyncio.run(snmp_get(SnmpTarget(d.host, d.snmp_port, community="nope", timeout=0.3, retries=0), [SYS_NAME]))


def test_down_device_does_not_answer_snmp(lab):
    d = lab.specs[0]
    lab.set_fault(d.name, "down")
    try:
        with pytest.raises(Timeout):
            asyncio.run(snmp_get(SnmpTarget(d.host, d.snmp_port, timeout=0.3, retries=0), [SYS_NAME]))
    finally:
        lab.clear_faults(d.name)


def test_v1_get_and_walk_work(lab):
    d = lab.specs[0]
    target = SnmpTarget(d.host, d.snmp_port, version="1")
    assert asyncio.run(snmp_get(target, [SYS_NAME]))[SYS_NAME] == d.name
    rows = asyncio.run(snmp_walk(target, IF_DESCR))
    assert [v for _, v in rows] == [i.name for i in lab.device(d.name).new_cli().interfaces()]


def test_a_v1_error_status_raises_snmp_error_with_its_name(lab):
    d = lab.specs[0]
    with pytest.raises(SnmpError, match="noSuchName at index 2"):
        asyncio.run(snmp_get(SnmpTarget(d.host, d.snmp_port, version="1"), [SYS_NAME, "1.3.6.1.9.9.9"]))


def test_a_walk_stops_at_the_end_of_the_mib_and_at_max_rows(lab):
    d = lab.specs[0]
    target = SnmpTarget(d.host, d.snmp_port)
    last_column = "1.3.6.1.2.1.31.1.1.1.18"  # ifAlias: the last object the lab serves
    count = len(lab.device(d.name).new_cli().interfaces())
    assert len(asyncio.run(snmp_walk(target, last_column))) == count
    assert len(asyncio.run(snmp_walk(target, "1.3.6.1.2.1", max_rows=30))) == 30


def test_v2c_values_keep_their_types(lab):
    d = lab.specs[0]
    values = asyncio.run(snmp_get(SnmpTarget(d.host, d.snmp_port), [
        "1.3.6.1.2.1.2.2.1.6.1", "1.3.6.1.2.1.2.2.1.5.1", "1.3.6.1.2.1.1.7.0", "1.3.6.1.2.1.1.9.0"]))
    mac, speed, services, missing = values.values()
    assert isinstance(mac, bytes) and len(mac) == 6  # ifPhysAddress: not printable, so bytes
    assert isinstance(speed, int) and speed > 0 and services == 6 and missing is None


def test_v2c_needs_no_pysnmp_engine(lab):
    from netcron.lib import snmp

    d = lab.specs[1]

    async def get_and_check():
        values = await snmp_get(SnmpTarget(d.host, d.snmp_port), [SYS_NAME])
        return values, asyncio.get_running_loop() in snmp._engines

    values, engine_built = asyncio.run(get_and_check())
    assert values[SYS_NAME] == d.name and not engine_built


def test_an_agent_that_is_not_there_times_out_after_the_retries(lab):
    d = lab.specs[0]
    with pytest.raises(Timeout, match=r"no SNMP response within 0\.2s"):
        asyncio.run(snmp_get(SnmpTarget(d.host, free_port(d.host), timeout=0.2, retries=1), [SYS_NAME]))
