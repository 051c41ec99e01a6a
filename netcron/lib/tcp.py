"""TCP reachability check: can we open a connection, and how long did it take."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class TcpResult:
    host: str
    port: int
    ok: bool
    latency_ms: float | None = None
    error: str | None = None  # "refused", "timeout", "unreachable: <reason>"


async def tcp_check(host: str, port: int, *, timeout: float = 5.0) -> TcpResult:
    started = time.perf_counter()
    try:
        async with asyncio.timeout(timeout):
            _, writer = await asyncio.open_connection(host, port)
    except TimeoutError:
        return TcpResult(host, port, False, error="timeout")
    except ConnectionRefusedError:
        return TcpResult(host, port, False, error="refused")
    except OSError as e:
        return TcpResult(host, port, False, error=f"unreachable: {e.strerror or type(e).__name__}")
    latency = (time.perf_counter() - started) * 1000
    writer.close()
    with contextlib.suppress(Exception):
        await writer.wait_closed()
    return TcpResult(host, port, True, latency_ms=round(latency, 3))
