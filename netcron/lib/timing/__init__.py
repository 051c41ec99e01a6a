"""Schedule timing internals; import the public API from ``netcron.lib.cron``.

Modules: ``errors`` (ScheduleError), ``cronexpr`` (parsing with per-field messages), ``zones``
(offsets, DST transitions, wall time to instants), ``fires`` (cron fires with cronie's DST rules),
``kinds`` (the Timing dataclass and its kind registry), ``solar`` (sun events with astral).
"""
