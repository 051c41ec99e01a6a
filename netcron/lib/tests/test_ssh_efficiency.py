"""What keeps an SSH session cheap for the client: gathered writes, typed-ahead terminal settings, uvloop."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys

import pytest

from netcron.lab import generate
from netcron.lab.testing import driver_spec, free_port, running_lab
from netcron.lib.concurrency import run, run_bounded
from netcron.lib.ssh import SshSession, connect, get_platform
from netcron.lib.ssh.transport import GATHERING
from netcron.lib.ssh.wire import skip_packet_log as _skip_packet_log

BASE = "127.0.6.101"


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    devices = generate(4, ["cisco_ios", "juniper_junos", "arista_eos", "cisco_ios"], port=free_port(BASE),
                       base_address=BASE, config_lines=120)
    devices[3].latency = 0.05  # every reply flushed on its own, then a pause
    with running_lab(devices, tmp_path_factory.mktemp("lab")) as lab:
        yield lab


def test_packets_written_in_one_loop_turn_leave_in_one_socket_write(lab):
    d = lab.specs[0]

    async def writes_when_closing():
        s = await connect(driver_spec(d))
        gathering = s._conn._transport
        socket_transport = gathering._transport
        writes = []
        original = socket_transport.write
        socket_transport.write = lambda data: (writes.append(data), original(data))
        assert "Cisco IOS XE Software" in await s.send_command("show version")
        await s.close()
        return writes

    writes = asyncio.run(writes_when_closing())
    # Every write holds whole AES-GCM packets (clear 4-byte length, body, 16-byte tag); the close writes
    # CHANNEL_CLOSE and DISCONNECT in the same turn: they leave together.
    assert writes and all(packets(w) for w in writes)
    assert len(packets(writes[-1])) >= 2, [packets(w) for w in writes]


def sent_packets(monkeypatch) -> list[tuple[int, bytes]]:
    """Every packet the driver's connections send from now on: (type, payload)."""
    from netcron.lib.ssh import session

    sent: list[tuple[int, bytes]] = []

    def record(handler):
        handler.log_sent_packet = lambda pkttype, pktid, payload, note="": sent.append((pkttype, payload))

    monkeypatch.setattr(session, "quiet_packet_log", record)
    return sent


def test_the_client_sends_no_ssh_msg_ignore_packets_with_aead_ciphers(lab, monkeypatch):
    sent = sent_packets(monkeypatch)

    async def backup():
        async with connect(driver_spec(lab.specs[0])) as s:
            assert s._conn.get_extra_info("send_cipher") == "aes128-gcm@openssh.com"
            return await s.send_command("show running-config")

    assert "hostname" in asyncio.run(backup())
    types = [t for t, _ in sent]
    assert 94 in types and 2 not in types, types  # CHANNEL_DATA sent, no IGNORE


def test_a_cbc_cipher_keeps_the_ignore_packets_that_protect_it(lab):
    from netcron.lib.ssh.wire import MSG_IGNORE, drop_ignore_packets

    class Conn:
        def __init__(self, cipher):
            self.cipher, self.sent = cipher, []

        def send_packet(self, pkttype, *args, handler=None):
            self.sent.append(pkttype)

        def get_extra_info(self, name, default=None):
            return self.cipher if name == "send_cipher" else default

    gcm, cbc = Conn("aes128-gcm@openssh.com"), Conn("aes128-cbc")
    for conn in (gcm, cbc):
        drop_ignore_packets(conn)
        conn.send_packet(MSG_IGNORE, b"")
        conn.send_packet(94, b"data")
    assert gcm.sent == [94] and cbc.sent == [MSG_IGNORE, 94]


def test_login_sends_the_password_at_once_without_a_none_auth_probe(lab, monkeypatch):
    sent = sent_packets(monkeypatch)

    async def login():
        async with connect(driver_spec(lab.specs[0])) as s:
            return s.prompt

    assert asyncio.run(login()).endswith("#")
    auth_requests = [payload for t, payload in sent if t == 50]  # SSH_MSG_USERAUTH_REQUEST
    assert len(auth_requests) == 1 and b"password" in auth_requests[0] and b"none" not in auth_requests[0]


def packets(write: bytes) -> list[int]:
    sizes, pos = [], 0
    while pos < len(write):
        size = int.from_bytes(write[pos : pos + 4], "big")
        sizes.append(size)
        pos += 4 + size + 16
    assert pos == len(write)
    return sizes


def test_the_gathering_connector_hands_asyncssh_its_own_connection(lab):
    d = lab.specs[0]

    async def peer():
        async with connect(driver_spec(d)) as s:
            return s._conn.get_extra_info("peername"), repr(GATHERING)

    (host, port), label = asyncio.run(peer())
    assert (host, port) == (d.host, d.port) and label == "direct TCP"


@pytest.mark.parametrize("index", [0, 1, 3], ids=["ios", "junos", "ios-with-latency"])
def test_terminal_settings_are_typed_ahead_in_one_write_and_both_are_applied(lab, index):
    d = lab.specs[index]
    state = lab.device(d.name)
    lab.reset(d.name)

    platform = get_platform(d.platform)

    async def login_and_backup():
        s = SshSession(driver_spec(d, auto_enable=False), platform)
        written = []
        original = s._write
        s._write = lambda text: (written.append(text), original(text))
        async with await s.open():
            after_login = state.commands_run
            out = await s.send_command("show version")
            return written, after_login, s.prompt, out

    written, after_login, prompt, out = asyncio.run(login_and_backup())
    assert written[0] == platform.line_end.join(platform.paging_off) and len(platform.paging_off) == 2
    assert after_login == 2  # both reached the device
    assert prompt.startswith(d.name if d.platform != "juniper_junos" else f"{d.username}@{d.name}")
    assert "--More--" not in out and "---(more" not in out


def test_concurrency_run_uses_uvloop_when_installed():
    pytest.importorskip("uvloop")

    async def loop_class():
        return type(asyncio.get_running_loop()).__module__

    assert run(loop_class()).startswith("uvloop")


def test_netcron_uvloop_0_falls_back_to_asyncio_and_sessions_still_work(lab):
    d = lab.specs[2]
    code = (
        "import asyncio, sys\n"
        "from netcron.lab.testing import driver_spec\n"
        "from netcron.lab.model import LabDeviceSpec\n"
        "from netcron.lib.concurrency import run, loop_name\n"
        "from netcron.lib.ssh import connect\n"
        f"d = LabDeviceSpec({d.name!r}, {d.platform!r}, {d.host!r}, port={d.port})\n"
        "async def main():\n"
        "    async with connect(driver_spec(d)) as s:\n"
        "        return type(asyncio.get_running_loop()).__module__, s.hostname\n"
        "print(loop_name(), *run(main()))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "NETCRON_UVLOOP": "0"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["asyncio", "asyncio.unix_events", d.name]


def test_a_fleet_backup_on_uvloop_gets_every_config(lab):
    pytest.importorskip("uvloop")
    specs = [driver_spec(d) for d in lab.specs[:3]]

    async def backup(spec):
        async with connect(spec) as s:
            return s.hostname

    outcomes = run(run_bounded(backup, specs, limit=3))
    assert [o.result for o in outcomes] == [d.name for d in lab.specs[:3]]


def test_packet_log_lines_are_not_built_while_asyncssh_does_not_log_debug(lab):
    d = lab.specs[0]

    async def loggers():
        async with connect(driver_spec(d)) as s:
            return s._conn.log_sent_packet, s._chan.log_received_packet

    asyncssh_log = logging.getLogger("asyncssh")
    level = asyncssh_log.level
    asyncssh_log.setLevel(logging.INFO)
    try:
        sent, received = asyncio.run(loggers())
    finally:
        asyncssh_log.setLevel(level)
    assert sent is _skip_packet_log and received is _skip_packet_log


def test_packet_log_lines_are_kept_when_asyncssh_logs_debug(lab, caplog):
    d = lab.specs[0]

    async def sent_logger():
        async with connect(driver_spec(d)) as s:
            return s._conn.log_sent_packet

    with caplog.at_level(logging.DEBUG, logger="asyncssh"):
        assert asyncio.run(sent_logger()) is not _skip_packet_log


def test_connection_options_are_built_once_per_kind_of_connection_and_copied_per_device(lab):
    from netcron.lib.ssh import session

    ios = [lab.specs[0], lab.specs[3]]  # two cisco_ios devices
    session._options_cache.clear()

    async def peers(specs):
        seen = []
        for spec in specs:
            async with connect(spec) as s:
                seen.append((s._conn.get_extra_info("peername"), s.prompt))
        return seen

    specs = [driver_spec(d) for d in ios]
    seen = asyncio.run(peers(specs))
    assert [peer for peer, _ in seen] == [(d.host, d.port) for d in ios]
    assert len(session._options_cache) == 1  # same user, password, algorithms and timeouts: built once
    other = driver_spec(ios[0], command_timeout=7.0, connect_timeout=6.0)
    asyncio.run(peers([other]))
    assert len(session._options_cache) == 2
