"""The snmp check against an agent we did not write: Net-SNMP's snmpd (Debian package `snmpd`).

Started on 127.0.0.1 with a throw-away config and persistent directory; skipped when snmpd is missing.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time

import pytest

from netcron.inventory.models import Credential, Device
from netcron.lab.testing import free_port
from netcron.lib.snmp import SnmpTarget, snmp_get
from netcron.lib.ssh import Timeout
from tests.reachability.conftest import results, run_job

pytestmark = [pytest.mark.django_db, pytest.mark.slow]  # starts a real snmpd process
COMMUNITY, V3_USER, AUTH, PRIV = "nc-real-community", "ncv3", "nc-auth-pass-1", "nc-priv-pass-1"
SYS_NAME = "netcron-real-snmpd"


@pytest.fixture(scope="module")
def snmpd(tmp_path_factory):
    binary = shutil.which("snmpd", path="/usr/sbin:/usr/bin:/usr/local/sbin")
    if binary is None:
        pytest.skip("Net-SNMP snmpd is not installed (apt-get install -y snmpd)")
    home = tmp_path_factory.mktemp("snmpd")
    port = free_port("127.0.0.1")
    (home / "snmpd.conf").write_text(
        f"agentAddress udp:127.0.0.1:{port}\n"
        f"rocommunity {COMMUNITY} 127.0.0.1\n"
        f"sysName {SYS_NAME}\nsysLocation netcron-tests\n"
        f'createUser {V3_USER} SHA "{AUTH}" AES "{PRIV}"\n'
        f"rouser {V3_USER} priv\n")
    log = (home / "snmpd.log").open("w")
    proc = subprocess.Popen(
        [binary, "-f", "-Lo", "-C", "-c", str(home / "snmpd.conf"), "-p", str(home / "snmpd.pid"), "-M", str(home)],
        stdout=log, stderr=subprocess.STDOUT, env={"SNMP_PERSISTENT_DIR": str(home / "persist"), "PATH": "/usr/bin"})
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                asyncio.run(snmp_get(SnmpTarget("127.0.0.1", port, community=COMMUNITY, timeout=0.5, retries=0),
                                     ["1.3.6.1.2.1.1.5.0"]))
                break
            except Timeout:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"snmpd did not start: {(home / 'snmpd.log').read_text()[-2000:]}")
        yield port
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def agent_device(credential: Credential) -> Device:
    return Device.objects.create(name="real-agent", host="127.0.0.1", port=22, platform="linux", credential=credential)


def test_snmp_v2c_reads_sysname_and_uptime_from_net_snmp(snmpd):
    credential = Credential(name="v2c")
    credential.set_secrets(snmp_community=COMMUNITY)
    credential.save()
    device = agent_device(credential)
    run = run_job("reachability", {"checks": ["snmp"], "snmp_port": snmpd, "timeout_s": 10})
    result = results(run)[device.name]
    assert result.detail == "up", result.message
    assert result.data["snmp"]["sys_name"] == SYS_NAME and result.data["snmp"]["uptime_s"] >= 0


def test_snmp_v3_auth_priv_works_against_net_snmp_and_a_wrong_key_fails(snmpd):
    credential = Credential(name="v3", username=V3_USER, snmp_version="3", snmp_auth_protocol="SHA",
                            snmp_priv_protocol="AES")
    credential.set_secrets(snmp_auth_key=AUTH, snmp_priv_key=PRIV)
    credential.save()
    device = agent_device(credential)
    ok = results(run_job("reachability", {"checks": ["snmp"], "snmp_port": snmpd, "timeout_s": 10}))[device.name]
    assert ok.detail == "up" and ok.data["snmp"]["sys_name"] == SYS_NAME, ok.message
    credential.set_secrets(snmp_priv_key="not-the-priv-key")
    credential.save()
    bad = results(run_job("reachability", {"checks": ["snmp"], "snmp_port": snmpd, "timeout_s": 2}))[device.name]
    assert bad.detail == "down" and bad.data["checks"]["snmp"]["error"]


def test_a_community_net_snmp_does_not_know_is_a_timeout(snmpd):
    credential = Credential(name="wrong")
    credential.set_secrets(snmp_community="guess")
    credential.save()
    device = agent_device(credential)
    result = results(run_job("reachability", {"checks": ["snmp"], "snmp_port": snmpd, "timeout_s": 1}))[device.name]
    assert result.detail == "down" and "timeout" in result.message
