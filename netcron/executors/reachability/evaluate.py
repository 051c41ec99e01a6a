"""From check results to states: each check is up/degraded/down, and so is the device.

A device is down when every check it ran failed, up when every check passed cleanly, and degraded in
between: some checks failed, ping lost some (not all) replies, or latency was above the threshold.
"""

from __future__ import annotations

from netcron.lib.ping import PingStats
from netcron.lib.tcp import TcpResult
from netcron.reachability.recording import CheckRow


def row(check: str, ok: bool, *, latency: float | None = None, error: str = "") -> CheckRow:
    ms = round(latency, 3) if latency is not None else None
    return CheckRow(check, "up" if ok else "down", ms, ms, ms, None, "" if ok else error[:300])


def _slow(latency: float | None, threshold: float | None) -> str:
    if threshold is not None and latency is not None and latency > threshold:
        return f"latency {latency:.1f} ms above {threshold:g} ms"
    return ""


def ping_row(stats: PingStats | None, threshold: float | None) -> CheckRow:
    if stats is None or not stats.sent:
        return row("ping", False, error=(stats.error if stats else "") or "not pinged")
    result = CheckRow("ping", "up", stats.min_ms, stats.avg_ms, stats.max_ms, stats.loss)
    if not stats.alive:
        result.state, result.error = "down", stats.error or f"no reply to {stats.sent} request(s)"
    elif stats.loss > 0:
        result.state, result.error = "degraded", f"{stats.loss:.0%} loss ({stats.received}/{stats.sent} replies)"
    elif slow := _slow(stats.avg_ms, threshold):
        result.state, result.error = "degraded", slow
    return result


def port_row(results: list[TcpResult], threshold: float | None) -> CheckRow:
    opened = [r for r in results if r.ok]
    failed = [f"{r.port} {r.error}" for r in results if not r.ok]
    if not opened:
        return row("tcp", False, error=", ".join(failed))
    times = [r.latency_ms for r in opened if r.latency_ms is not None]
    result = CheckRow("tcp", "up", min(times), round(sum(times) / len(times), 3), max(times))
    if failed:
        result.state, result.error = "degraded", ", ".join(failed)
    elif slow := _slow(result.latency_avg_ms, threshold):
        result.state, result.error = "degraded", slow
    return result


def device_state(rows: list[CheckRow]) -> tuple[str, CheckRow]:
    """The device's state and the row that stands for it in history (ping's when ping ran)."""
    if not rows:
        return "unknown", CheckRow("overall", "unknown", error="no check ran")
    states = {r.state for r in rows}
    state = "down" if states == {"down"} else "up" if states == {"up"} else "degraded"
    pinged = next((r for r in rows if r.check == "ping"), None)
    timed = pinged if pinged is not None and pinged.latency_avg_ms is not None else next(
        (r for r in rows if r.latency_avg_ms is not None), pinged or rows[0])
    summary = CheckRow("overall", state, timed.latency_min_ms, timed.latency_avg_ms, timed.latency_max_ms,
                       pinged.packet_loss if pinged else None)
    return state, summary
