"""Cron fire times in a zone with cronie's DST rules, using cronsim only as a wall-clock matcher.

* Wildcard jobs (minute or hour field starts with ``*``) fire at every real instant whose wall time
  matches: nothing inside a spring gap, both passes of a repeated hour.
* Fixed-time jobs fire once per matching wall time: at its first occurrence when the time repeats,
  at the end of the gap when it is skipped.

cronsim's tz-aware mode is not used: it drops ``fold`` from the reference, so from the second pass
of a repeated hour a fixed-time job "fires" at the first pass, before the reference; and its
wildcard walk (``replace(minute=0)`` then hour ticks) skips real times around a gap or fold that is
not a whole hour, e.g. Lord Howe's 30-minute shift. On naive datetimes it is plain calendar math.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, tzinfo

from cronsim import CronSim

from netcron.lib.timing.cronexpr import compile_cron, validate_cron
from netcron.lib.timing.errors import ScheduleError
from netcron.lib.timing.zones import SECOND, as_utc, as_zone, offset_at, offset_change, wall_to_utc

_MAX_SEGMENTS = 1000  # offset changes crossed looking for one wildcard fire (cronsim stops at 50 years)
_MAX_SKIPS = 1000  # candidates dropped as not after the reference: at most a repeated hour's worth


def _candidates(expr: str, start: datetime) -> Iterator[datetime]:
    """Naive wall times matching `expr`, strictly after naive `start`, ascending."""
    sim, prev, stalls = CronSim(expr, start), start, 0
    while True:
        try:
            wall = next(sim)
        except StopIteration:
            raise ScheduleError("cron_expr", f"{expr!r} never matches (nothing within 50 years)") from None
        if wall > prev:
            prev, stalls = wall, 0
            yield wall
        elif (stalls := stalls + 1) > _MAX_SKIPS:  # cronsim must move forward; never spin forever
            raise ScheduleError("cron_expr", f"{expr!r}: cron evaluation does not advance past {prev}")


def _next_wildcard(expr: str, tz: tzinfo, after: datetime) -> datetime:
    # While the offset is constant, wall time is UTC shifted by it, so the first matching wall time
    # maps straight to an instant -- unless the offset changes first; then restart at the change.
    start, inclusive = after, False
    for _ in range(_MAX_SEGMENTS):
        offset = offset_at(start, tz)
        wall = (start + offset).replace(tzinfo=None)
        match = next(_candidates(expr, wall - SECOND if inclusive else wall))
        fire = (match - offset).replace(tzinfo=UTC)
        change = offset_change(start, fire, tz)
        if change is None:
            return fire
        start, inclusive = change, True
    raise ScheduleError("cron_expr", f"{expr!r} never matches in {tz}")


def _next_fixed(expr: str, tz: tzinfo, after: datetime) -> datetime:
    # Fires never decrease along ascending wall times, but from the second pass of a repeated hour
    # the next few wall times resolve to their first pass, before `after`: skip those.
    wall = after.astimezone(tz).replace(tzinfo=None)
    for skipped, match in enumerate(_candidates(expr, wall)):
        fire = wall_to_utc(match, tz)
        if fire > after:
            return fire
        if skipped >= _MAX_SKIPS:
            break
    raise ScheduleError("cron_expr", f"{expr!r} never matches after {after.isoformat()} in {tz}")


def next_fire(expr: str, tz: str | tzinfo, after: datetime) -> datetime:
    """The first fire of cron `expr` in zone `tz` strictly after `after`, as an aware UTC datetime."""
    validate_cron(expr)
    cron, zone = compile_cron(expr), as_zone(tz)
    # Fires fall on whole seconds, so dropping sub-seconds keeps "strictly after" exact.
    after = as_utc(after, "after").replace(microsecond=0)
    return (_next_wildcard if cron.wildcard else _next_fixed)(cron.expr, zone, after)


def iter_fires(expr: str, tz: str | tzinfo, after: datetime) -> Iterator[datetime]:
    """All fires of cron `expr` in zone `tz` strictly after `after`, ascending, as aware UTC datetimes."""
    validate_cron(expr)  # fail on the call, not on the first next()
    zone = as_zone(tz)
    return chain(lambda instant: next_fire(expr, zone, instant), as_utc(after, "after"))


def chain(step: Callable[[datetime], datetime | None], after: datetime) -> Iterator[datetime]:
    """step(after), step(step(after)), ... until step returns None."""
    fire = step(after)
    while fire is not None:
        yield fire
        fire = step(fire)
