"""A TCP connection for asyncssh whose writes are gathered into one ``send()`` per event-loop turn.

asyncssh writes every SSH packet to its transport on its own, and precedes each one (after key exchange)
with an SSH_MSG_IGNORE packet against traffic analysis: about 29 ``send()`` system calls per backup
session, the largest single CPU cost of the driver (a send on a TCP socket runs much of the network
stack, and on loopback the receiver's too). Packets written in the same loop turn (an IGNORE and the
packet it covers, a channel request and its data, CHANNEL_CLOSE and DISCONNECT) leave in one ``send()``
instead; the wire carries the same SSH packets, in the same order, a loop turn later at most.

asyncssh takes it through its documented ``tunnel`` argument (anything with ``create_connection``).
"""

from __future__ import annotations

import asyncio
from typing import Any


class _GatheringTransport(asyncio.Transport):
    """Wraps the socket transport: ``write`` buffers, a callback scheduled once per turn flushes."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes] = []

    def write(self, data: bytes) -> None:
        if not self._pending:
            self._loop.call_soon(self._flush)
        self._pending.append(data)

    def writelines(self, list_of_data) -> None:
        for data in list_of_data:
            self.write(data)

    def _flush(self) -> None:
        pending = self._pending
        if not pending:
            return
        self._pending = []
        if not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def close(self) -> None:
        self._flush()  # a DISCONNECT written just before close() must still go out
        self._transport.close()

    def abort(self) -> None:
        self._pending = []
        self._transport.abort()

    def write_eof(self) -> None:
        self._flush()
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + sum(len(p) for p in self._pending)

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()


class _Relay(asyncio.Protocol):
    """Hands the connection's events to asyncssh's protocol, which sees the gathering transport."""

    def __init__(self, inner: asyncio.Protocol, loop: asyncio.AbstractEventLoop) -> None:
        self.inner = inner
        self._loop = loop

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.inner.connection_made(_GatheringTransport(transport, self._loop))  # type: ignore[arg-type]

    def data_received(self, data: bytes) -> None:
        self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self.inner.connection_lost(exc)

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()


class GatheringConnector:
    """``asyncssh.connect(..., tunnel=GATHERING)``: a direct TCP connection with gathered writes."""

    async def create_connection(self, session_factory, host: str, port: int):
        loop = asyncio.get_running_loop()
        inner = session_factory()
        transport, _ = await loop.create_connection(lambda: _Relay(inner, loop), host, port)
        return transport, inner

    def __repr__(self) -> str:  # asyncssh logs "Opening SSH connection to (host, port) via <tunnel>"
        return "direct TCP"


GATHERING = GatheringConnector()
