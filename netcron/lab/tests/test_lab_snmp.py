"""The lab's SNMP agent: its own v1/v2c responder, v3 through pysnmp, and a third-party manager (net-snmp)."""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess

import pytest

from netcron.lab import generate
from netcron.lab.snmp_agent import MAX_RESPONSE
from netcron.lab.testing import free_port, running_lab
from netcron.lib import snmp_ber as ber
from netcron.lib.snmp import SnmpTarget, snmp_get, snmp_walk
from netcron.lib.ssh import Timeout

SYS_NAME = (1, 3, 6, 1, 2, 1, 1, 5, 0)
SYS_UPTIME = (1, 3, 6, 1, 2, 1, 1, 3, 0)
IF_DESCR = (1, 3, 6, 1, 2, 1, 2, 2, 1, 2)
IF_ALIAS = "1.3.6.1.2.1.31.1.1.1.18"
BASE = "127.0.7.1"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    devices = generate(3, ["cisco_ios", "juniper_junos", "linux"], port=free_port(BASE), base_address=BASE,
                       snmp_port=free_port(BASE))
    with running_lab(devices, tmp_path_factory.mktemp("lab")) as lab:
        yield lab


def ask(d, message: bytes, timeout: float = 2.0) -> bytes | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(message, (d.host, d.snmp_port))
        try:
            return s.recv(70000)
        except TimeoutError:
            return None


def request(pdu: int, oids, *, version: int = ber.V2C, community: bytes = b"public", a: int = 0, b: int = 0):
    return ber.request(version, community, pdu, 4242, list(oids), a, b)


def test_the_codec_encodes_oids_and_integers_as_pyasn1_does():
    from pyasn1.codec.ber import encoder
    from pyasn1.type import univ

    for oid in [(1, 3, 6, 1), (1, 3, 6, 1, 4, 1, 2636, 1, 1, 1, 2, 157), (2, 999, 128, 16384, 2**32 - 1), (0, 0)]:
        assert ber.tlv(ber.OID, ber.oid_value(oid)) == encoder.encode(univ.ObjectIdentifier(oid))
        assert ber.decode_oid(ber.oid_value(oid)) == oid
    for value in (0, 127, 128, 255, 256, 2**31 - 1, 2**32 - 1):
        assert ber.integer(value) == encoder.encode(univ.Integer(value))
    for value in (-1, -128, -129):  # minimal two's complement (pyasn1 pads -128 to two octets)
        _, start, end = ber.read_tlv(ber.integer(value), 0)
        assert int.from_bytes(ber.integer(value)[start:end], "big", signed=True) == value
    assert ber.tlv(ber.OCTET_STRING, b"x" * 300) == encoder.encode(univ.OctetString(b"x" * 300))


def test_a_v2c_get_answers_with_the_request_id_and_typed_values(lab):
    d = lab.specs[0]
    request_id, status, _, rows = ber.parse_response(ask(d, request(ber.GET, [SYS_NAME, SYS_UPTIME, (1, 3, 9)])))
    assert (request_id, status) == (4242, 0)
    assert rows[0] == (SYS_NAME, ber.OCTET_STRING, d.name.encode())
    assert rows[1][1] == ber.TIMETICKS and int.from_bytes(rows[1][2], "big") > 0
    assert rows[2] == ((1, 3, 9), 0x81, b"")  # noSuchInstance


def test_a_v1_get_of_a_missing_object_is_a_no_such_name_error(lab):
    d = lab.specs[0]
    _, status, index, rows = ber.parse_response(ask(d, request(ber.GET, [SYS_NAME, (1, 3, 9)], version=ber.V1)))
    assert (status, index) == (ber.NO_SUCH_NAME, 2)
    assert [r[1] for r in rows] == [ber.NULL, ber.NULL]


def test_getbulk_returns_max_repetitions_rows_then_end_of_mib_view(lab):
    d = lab.specs[2]  # linux: three interfaces
    _, status, _, rows = ber.parse_response(ask(d, request(ber.GETBULK, [IF_DESCR], a=0, b=3)))
    assert status == 0 and [r[0] for r in rows] == [(*IF_DESCR, i) for i in (1, 2, 3)]
    last_alias = (1, 3, 6, 1, 2, 1, 31, 1, 1, 1, 18, 3)
    _, _, _, rows = ber.parse_response(ask(d, request(ber.GETBULK, [last_alias], b=5)))
    assert [r[1] for r in rows] == [0x82]  # endOfMibView


def test_getbulk_puts_non_repeaters_first_then_the_repeaters_row_by_row(lab):
    d = lab.specs[2]
    if_type = (1, 3, 6, 1, 2, 1, 2, 2, 1, 3)
    _, _, _, rows = ber.parse_response(ask(d, request(ber.GETBULK, [(1, 3, 6, 1, 2, 1, 1, 4), IF_DESCR, if_type],
                                                      a=1, b=2)))
    assert [r[0] for r in rows] == [(1, 3, 6, 1, 2, 1, 1, 4, 0), (*IF_DESCR, 1), (*if_type, 1), (*IF_DESCR, 2),
                                    (*if_type, 2)]


def test_a_getbulk_reply_is_cut_to_fit_one_datagram(lab):
    d = lab.specs[0]
    reply = ask(d, request(ber.GETBULK, [(1, 3)] * 20, b=10_000))
    _, status, _, rows = ber.parse_response(reply)
    assert status == 0 and len(reply) <= MAX_RESPONSE and 100 < len(rows) < 20 * 284


def test_wrong_community_garbage_and_set_requests_get_no_answer_and_the_agent_keeps_serving(lab):
    d = lab.specs[0]
    assert ask(d, request(ber.GET, [SYS_NAME], community=b"private"), timeout=0.3) is None
    assert ask(d, b"\x30\x84garbage", timeout=0.3) is None
    assert ask(d, request(ber.SET, [SYS_NAME]), timeout=0.3) is None
    assert ber.parse_response(ask(d, request(ber.GET, [SYS_NAME])))[3][0][2] == d.name.encode()


def test_a_config_change_shows_in_sysname_and_ifalias(lab):
    d = lab.specs[0]
    target = SnmpTarget(d.host, d.snmp_port)
    before = asyncio.run(snmp_walk(target, IF_ALIAS))  # the interface rows are cached now
    lab.configure(d.name, ["hostname renamed-by-test", "interface GigabitEthernet1/0/1",
                           "description alias-by-test"])
    try:
        assert asyncio.run(snmp_get(target, ["1.3.6.1.2.1.1.5.0"]))["1.3.6.1.2.1.1.5.0"] == "renamed-by-test"
        after = dict(asyncio.run(snmp_walk(target, IF_ALIAS)))
        assert after[IF_ALIAS + ".1"] == "alias-by-test" != dict(before)[IF_ALIAS + ".1"]
    finally:
        lab.reset(d.name)


def test_a_hanging_device_does_not_answer_snmp(lab):
    d = lab.specs[1]
    lab.set_fault(d.name, "hang")
    try:
        with pytest.raises(Timeout):
            asyncio.run(snmp_get(SnmpTarget(d.host, d.snmp_port, timeout=0.3, retries=0), ["1.3.6.1.2.1.1.5.0"]))
    finally:
        lab.clear_faults(d.name)


def test_v3_and_v2c_are_served_on_the_same_device_socket(lab):
    d = lab.specs[1]
    v3 = SnmpTarget(d.host, d.snmp_port, version="3", user=d.snmp_v3_user, auth_key=d.snmp_v3_auth_key,
                    priv_key=d.snmp_v3_priv_key)
    rows = asyncio.run(snmp_walk(v3, "1.3.6.1.2.1.2.2.1.2"))
    assert [v for _, v in rows] == [i.name for i in lab.device(d.name).new_cli().interfaces()]
    assert asyncio.run(snmp_get(SnmpTarget(d.host, d.snmp_port), ["1.3.6.1.2.1.1.5.0"]))["1.3.6.1.2.1.1.5.0"] == d.name


net_snmp = pytest.mark.skipif(not shutil.which("snmpget"), reason="net-snmp tools not installed (apt: snmp)")


def net_snmp_run(*argv: str) -> str:
    done = subprocess.run(["/usr/bin/env", "MIBS=", *argv], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


@net_snmp
def test_net_snmp_snmpget_and_snmpwalk_read_the_agent(lab):
    d = lab.specs[0]
    addr = f"{d.host}:{d.snmp_port}"
    out = net_snmp_run("snmpget", "-v2c", "-c", "public", "-On", addr, "1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.2.0")
    assert f'.1.3.6.1.2.1.1.5.0 = STRING: "{d.name}"' in out
    assert ".1.3.6.1.2.1.1.2.0 = OID: .1.3.6.1.4.1.9.1.2494" in out
    walked = net_snmp_run("snmpwalk", "-v2c", "-c", "public", "-On", addr, "1.3.6.1.2.1.2.2.1.2").splitlines()
    names = [i.name for i in lab.device(d.name).new_cli().interfaces()]
    assert walked == [f'.1.3.6.1.2.1.2.2.1.2.{n} = STRING: "{name}"' for n, name in enumerate(names, 1)]
    v1 = net_snmp_run("snmpwalk", "-v1", "-c", "public", "-On", addr, "1.3.6.1.2.1.1").splitlines()
    assert len(v1) == 7 and v1[-1] == ".1.3.6.1.2.1.1.7.0 = INTEGER: 6"


@net_snmp
def test_net_snmp_snmpget_v3_authpriv_reads_the_agent(lab):
    d = lab.specs[2]
    out = net_snmp_run("snmpget", "-v3", "-l", "authPriv", "-u", d.snmp_v3_user, "-a", "SHA", "-A",
                       d.snmp_v3_auth_key, "-x", "AES", "-X", d.snmp_v3_priv_key, "-On",
                       f"{d.host}:{d.snmp_port}", "1.3.6.1.2.1.1.5.0")
    assert out.strip() == f'.1.3.6.1.2.1.1.5.0 = STRING: "{d.name}"'
