"""SSH side of the lab: one asyncssh listener per device, interactive shells, NETCONF, faults."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections import deque
from typing import TYPE_CHECKING

import asyncssh

from netcron.lib.ssh.wire import drop_ignore_packets, quiet_packet_log

from .faults import active_latency
from .netconf import NetconfHandler

if TYPE_CHECKING:
    from .device import DeviceState
    from .platforms.base import Cli

log = logging.getLogger(__name__)

# Long outputs are where a "drop" fault cuts the session, like a device rebooting mid-"show run".
DROP_AFTER_LINES = 20

# What the lab offers. The per-session cost of the lab is mostly asyncssh's crypto, so it offers only
# algorithms that are both secure and cheap in asyncssh (chacha20-poly1305 builds three cipher contexts per
# packet there; the ML-KEM hybrid adds a KEM on top of X25519), plus what paramiko/netmiko negotiate
# (curve25519-sha256@libssh.org, aes*-ctr with hmac-sha2). Every client then pays the same, cheap,
# price on the lab side, so benchmarks measure the clients.
KEX_ALGS = ("curve25519-sha256", "curve25519-sha256@libssh.org", "ecdh-sha2-nistp256", "diffie-hellman-group14-sha256")
ENCRYPTION_ALGS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr", "aes256-ctr")
MAC_ALGS = ("hmac-sha2-256-etm@openssh.com", "hmac-sha2-256", "hmac-sha2-512-etm@openssh.com", "hmac-sha2-512")
COMPRESSION_ALGS = ("none",)


def _like_a_device(conn: asyncssh.SSHServerConnection) -> None:
    """Make an asyncssh server connection send what a device's SSH server sends, at a device's cost.

    No SSH_MSG_IGNORE before every packet (devices and OpenSSH do not send them: see
    netcron.lib.ssh.wire), no packet log lines while nobody listens, and no per-login rebuild of the
    connection options: asyncssh re-reads its server config for the user at the start of
    authentication, in a worker thread; the lab has no config to read, so that is skipped.
    """
    drop_ignore_packets(conn)
    quiet_packet_log(conn)
    conn.reload_config = _no_config_to_reload  # type: ignore[method-assign]


async def _no_config_to_reload() -> None:
    pass


class _DeviceServer(asyncssh.SSHServer):
    def __init__(self, state: DeviceState) -> None:
        self.state = state
        self.conn: asyncssh.SSHServerConnection | None = None
        self.username = ""

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self.conn = conn
        self.state.connections += 1
        _like_a_device(conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        spec = self.state.spec
        if "auth_fail" in self.state.faults:
            self.state.auth_failures += 1
            return False
        # RouterOS takes terminal options after a "+" in the login name.
        user = username.split("+", 1)[0] if spec.platform == "mikrotik_routeros" else username
        ok = hmac.compare_digest(user.encode(), spec.username.encode()) and hmac.compare_digest(
            password.encode(), spec.password.encode()
        )
        if ok:
            self.username = username
            self.state.logins += 1
        else:
            self.state.auth_failures += 1
        return ok

    def session_requested(self) -> asyncssh.SSHServerSession:
        assert self.conn is not None
        return _Session(self.state, self.conn, self.username)


class _Session(asyncssh.SSHServerSession[str]):
    def __init__(self, state: DeviceState, conn: asyncssh.SSHServerConnection, username: str) -> None:
        self.state = state
        self.conn = conn
        self.login = username
        self.chan: asyncssh.SSHServerChannel | None = None
        self.kind = "shell"
        self.command = ""
        self.inbox: deque[str] = deque()
        self.wakeup = asyncio.Event()
        self.task: asyncio.Task | None = None
        self.netconf: NetconfHandler | None = None
        self.skip_lf = False
        # Shell output is collected here and sent as one channel write when the session is about to wait
        # (for input, a latency delay, a hang) or end: one SSH packet per reply instead of one per piece.
        self._out: list[str] = []

    # asyncssh callbacks ---------------------------------------------------------------------------------

    def connection_made(self, chan: asyncssh.SSHServerChannel) -> None:
        self.chan = chan

    def pty_requested(self, term_type, term_size, term_modes) -> bool:
        return True

    def shell_requested(self) -> bool:
        return True

    def exec_requested(self, command: str) -> bool:
        self.kind, self.command = "exec", command
        return True

    def subsystem_requested(self, subsystem: str) -> bool:
        if subsystem != "netconf":
            return False
        self.kind = "netconf"
        return True

    def session_started(self) -> None:
        self.state.sessions_opened += 1
        if self.kind == "netconf":
            assert self.chan is not None
            self.netconf = NetconfHandler(self.state, self.chan)
            self.netconf.start()
            return
        self.task = asyncio.get_running_loop().create_task(self._run())

    def data_received(self, data: str, datatype) -> None:
        if self.netconf is not None:
            self.netconf.feed(data)
            return
        self.inbox.append(data)
        self.wakeup.set()

    def eof_received(self) -> bool:
        self.inbox.append("\x04")
        self.wakeup.set()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        if self.task is not None:
            self.task.cancel()
        if self.netconf is not None:
            self.netconf.stop()

    # shell ------------------------------------------------------------------------------------------------

    def _write(self, text: str) -> None:
        if text:
            self._out.append(text.replace("\r\n", "\n").replace("\n", "\r\n") if "\n" in text else text)

    def _flush(self) -> None:
        if self._out:
            text = "".join(self._out) if len(self._out) > 1 else self._out[0]
            self._out.clear()
            if self.chan is not None:
                # The client may have closed its side while we still had output (netmiko does at
                # logout): a real device just drops it; not a crash worth a traceback.
                with contextlib.suppress(BrokenPipeError):
                    self.chan.write(text)

    async def _wait_forever(self) -> None:
        self._flush()
        await asyncio.Event().wait()

    async def _next_char(self) -> str:
        while True:
            if self.inbox:
                chunk = self.inbox.popleft()
                if len(chunk) > 1:
                    self.inbox.appendleft(chunk[1:])
                return chunk[0]
            self._flush()
            self.wakeup.clear()
            await self.wakeup.wait()

    async def _read_line(self, echo: bool) -> str | None:
        buf: list[str] = []
        while True:
            ch = await self._next_char()
            if ch == "\n" and self.skip_lf:
                self.skip_lf = False
                continue
            self.skip_lf = ch == "\r"
            if ch in "\r\n":
                self._write("\n")
                return "".join(buf)
            if ch == "\x04" and not buf:
                return None
            if ch == "\x1a":  # ctrl-z: leave config mode
                self._write("^Z\n")
                return "\x1a"
            if ch == "\x03":  # ctrl-c drops the line
                self._write("^C\n")
                return ""
            if ch in "\x7f\x08":
                if buf:
                    buf.pop()
                    if echo:
                        self._write("\b \b")
                continue
            if ch < " " and ch != "\t":
                continue
            buf.append(ch)
            if echo:
                # Echo the whole run already buffered in one write: 1,000 sessions echo a lot.
                rest = self.inbox[0] if self.inbox else ""
                cut = 0
                while cut < len(rest) and rest[cut] >= " " and rest[cut] not in "\x7f":
                    cut += 1
                if cut:
                    buf.append(rest[:cut])
                    self.inbox[0] = rest[cut:]
                    if not self.inbox[0]:
                        self.inbox.popleft()
                self._write(ch + rest[:cut])

    async def _sleep_latency(self) -> None:
        delay = active_latency(self.state)
        if delay:
            self._flush()
            await asyncio.sleep(delay)

    async def _run(self) -> None:
        try:
            cli = self.state.cli_class(self.state, self.login.split("+", 1)[0], options=self.login)
            await self._sleep_latency()
            if self.kind == "exec":
                await self._exec(cli)
                return
            self._write(cli.banner())
            if "hang" in self.state.faults:
                # Logged in, then silence: the client must give up on its own timeout.
                await self._wait_forever()
            self._write(cli.prompt())
            secret = False
            while True:
                line = await self._read_line(echo=not secret)
                if line is None:
                    break
                await self._sleep_latency()
                if "hang" in self.state.faults:
                    await self._wait_forever()
                self.state.commands_run += 1
                reply = cli.handle(line)
                secret = reply.secret_next
                if reply.output and not secret and not reply.output.endswith("\n"):
                    reply.output += "\n"
                if not await self._output(cli, reply.output, reply.paged):
                    return
                if reply.close:
                    break
                if not secret:  # a password question is its own prompt
                    self._write(cli.prompt())
            self._close()
        except asyncio.CancelledError:
            pass
        except Exception:
            with contextlib.suppress(Exception):
                self._flush()
            log.exception("lab device %s: shell crashed", self.state.name)
            self._close()

    async def _exec(self, cli: Cli) -> None:
        if hasattr(cli, "privileged"):
            cli.privileged = True
        if hasattr(cli, "page_length"):
            cli.page_length = 0
        reply = cli.handle(self.command)
        self._write(reply.output)
        self._flush()
        if self.chan is not None:
            self.chan.exit(0)

    async def _output(self, cli: Cli, text: str, paged: bool) -> bool:
        """Write command output through the pager; False if the session was dropped."""
        if not text:
            return True
        page = cli.page_length
        if "drop" not in self.state.faults and (not paged or page <= 0):
            self._write(text)  # the common case (automation turns paging off): no line splitting
            return True
        lines = text.split("\n")
        if "drop" in self.state.faults and len(lines) >= DROP_AFTER_LINES:
            self._write("\n".join(lines[: len(lines) // 3]))
            self._flush()
            await asyncio.sleep(0.05)
            self.conn.abort()
            return False
        if not paged or page <= 0 or len(lines) <= page:
            self._write(text)
            return True
        pos = page - 1
        self._write("\n".join(lines[:pos]) + "\n")
        while pos < len(lines):
            self._write(cli.more_prompt)
            key = await self._next_char()
            self._write(cli.more_erase)
            if key in "qQ\x03":
                self._write("\n") if cli.platform == "juniper_junos" else None
                return True
            step = 1 if key in "\r\n" else page - 1
            if key == "\r":
                self.skip_lf = True
            chunk = lines[pos : pos + step]
            pos += step
            self._write("\n".join(chunk) + ("\n" if pos < len(lines) else ""))
        return True

    def _close(self) -> None:
        with contextlib.suppress(Exception):
            self._flush()
        if self.chan is not None:
            with contextlib.suppress(Exception):
                self.chan.exit(0)


async def listen(
    state: DeviceState, host_key: asyncssh.SSHKey, *, reuse_port: bool = False
) -> asyncssh.SSHAcceptor:
    spec = state.spec
    return await asyncssh.listen(
        spec.host,
        spec.port,
        server_factory=lambda: _DeviceServer(state),
        server_host_keys=[host_key],
        line_editor=False,  # we echo and edit lines ourselves, as the device would
        allow_scp=False,
        agent_forwarding=False,
        x11_forwarding=False,
        keepalive_interval=0,
        login_timeout=60,
        encoding="utf-8",
        server_version=_SERVER_VERSION.get(spec.platform, "OpenSSH_8.9"),
        kex_algs=list(KEX_ALGS),
        encryption_algs=list(ENCRYPTION_ALGS),
        mac_algs=list(MAC_ALGS),
        compression_algs=list(COMPRESSION_ALGS),
        # No GSS: otherwise asyncssh resolves the host's FQDN on every login (it rebuilds the options then).
        gss_host=None,
        reuse_address=True,
        reuse_port=reuse_port,
    )


# What real devices announce in their SSH version string; some tools sniff it.
_SERVER_VERSION = {
    "cisco_ios": "Cisco-1.25",
    "cisco_nxos": "OpenSSH_8.8",
    "arista_eos": "OpenSSH_8.7",
    "juniper_junos": "OpenSSH_8.6",
    "mikrotik_routeros": "ROSSSH",
    "linux": "OpenSSH_8.9p1",
}
