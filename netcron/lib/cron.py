"""Schedule timing for netcron: cron with cronie's DST rules, anchored intervals, wall-clock kinds.

The public API lives here; the implementation is split over ``netcron.lib.timing``. No Django.
All results are aware UTC datetimes; naive input raises ValueError. DST rules (DESIGN.md "Time and
DST"): wildcard cron jobs fire at every real matching instant (none in a spring gap, both passes of
a repeated hour); fixed-time jobs and daily/weekly/monthly times fire once, at the first occurrence
of a repeated time or at the end of the gap for a skipped one. Solar schedules fire at the instant of a
sun event (sunrise, dusk, ...) at a latitude/longitude; a day without the event has no fire.
"""

from netcron.lib.timing.cronexpr import MAX_EXPR_LEN, validate_cron
from netcron.lib.timing.errors import ScheduleError
from netcron.lib.timing.fires import iter_fires, next_fire
from netcron.lib.timing.kinds import KINDS, MAX_INTERVAL_SECONDS, MAX_PREVIEW, Timing
from netcron.lib.timing.solar import EVENTS as SOLAR_EVENTS
from netcron.lib.timing.zones import describe_offset, dst_transition_between, validate_timezone

__all__ = [
    "KINDS",
    "MAX_EXPR_LEN",
    "MAX_INTERVAL_SECONDS",
    "MAX_PREVIEW",
    "SOLAR_EVENTS",
    "ScheduleError",
    "Timing",
    "describe_offset",
    "dst_transition_between",
    "iter_fires",
    "next_fire",
    "validate_cron",
    "validate_timezone",
]
