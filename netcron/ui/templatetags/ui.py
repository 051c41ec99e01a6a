"""Small display helpers: status badges (text, not only colour), times, durations, progress."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from netcron.lib.cron import describe_offset

register = template.Library()

STATUS_SYMBOLS = {
    "pending": "○", "running": "◐", "completed": "✓", "failed": "✕", "cancelled": "⊘",
    "ok": "✓", "skipped": "-", "up": "▲", "down": "▼", "degraded": "◆", "unknown": "?",
    "debug": "·", "info": "i", "warning": "!", "error": "✕",
}


@register.simple_tag
def badge(status: str, label: str = ""):
    """A status as text with a symbol and colour; screen readers and colour-blind users get the word."""
    status = status or "unknown"
    return format_html('<span class="badge b-{}"><span aria-hidden="true">{}</span> {}</span>', status,
                       STATUS_SYMBOLS.get(status, "•"), label or status)


@register.simple_tag
def ts(value: datetime | None, style: str = "datetime"):
    """A timestamp in UTC, converted to the viewer's zone by app.js (the UTC text stays as a tooltip)."""
    if not isinstance(value, datetime):  # None, or "" from a missing related row
        return mark_safe('<span class="muted">—</span>')
    utc = value.astimezone(UTC)
    text = utc.strftime("%Y-%m-%d %H:%M:%S UTC")
    return format_html('<time datetime="{}" data-local="{}" title="{}">{}</time>', utc.isoformat(), style, text, text)


@register.filter
def in_zone(value: datetime | None, tz: str) -> str:
    """`value` as wall time in the IANA zone `tz`, with zone name and offset."""
    if value is None:
        return "—"
    try:
        return describe_offset(value, tz)
    except (ValueError, KeyError):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@register.filter
def duration(value: timedelta | float | None) -> str:
    if value is None:
        return "—"
    seconds = value.total_seconds() if isinstance(value, timedelta) else float(value)
    if seconds < 10:
        return f"{seconds:.1f} s"
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} d {hours % 24} h"


@register.filter
def percent(done: int, total: int) -> int:
    return int(100 * done / total) if total else 0


@register.filter
def every(seconds: int | None) -> str:
    """An interval in the largest whole unit: 300 → "5 minutes"."""
    if not seconds:
        return "—"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute"), (1, "second")):
        if seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return f"{seconds} seconds"


@register.simple_tag(takes_context=True)
def nav_link(context, url_name: str, label: str, prefix: str):
    """A navigation link marked aria-current when the page belongs to its area."""
    from django.urls import reverse

    match = getattr(context.get("request"), "resolver_match", None)
    current = bool(match and match.url_name and (match.url_name == prefix or match.url_name.startswith(prefix + "-")))
    return format_html('<a href="{}"{}>{}</a>', reverse(url_name), mark_safe(' aria-current="page"') if current
                       else "", label)


@register.filter
def elapsed(start: datetime | None, end: datetime | None) -> str:
    """The duration from `start` to `end`, or "" when either is missing."""
    if start is None or end is None:
        return ""
    return duration(end - start)


@register.filter
def ago(value: datetime | None) -> str:
    """How long ago `value` was, in the largest sensible unit: "4.0 s", "3 min 10 s"."""
    if not isinstance(value, datetime):
        return "—"
    return duration(max(timedelta(0), datetime.now(UTC) - value))


@register.filter
def weekday_names(days) -> str:
    """[0, 2] → "Mon, Wed"."""
    names = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    return ", ".join(names[d] for d in sorted(days or []) if 0 <= d < 7)


@register.filter
def words(value: str) -> str:
    """missing_in_source → "missing in source"."""
    return str(value or "").replace("_", " ")


@register.filter
def drift(diff: dict | None) -> list[tuple[str, object, object]]:
    """A comparison row's {field: {source, monitoring}} as (field, monitoring, source) rows; dict fields such as
    labels are expanded to the keys that differ, so a long label set shows only what changed."""
    rows = []
    for name, values in (diff or {}).items():
        found, wanted = values.get("monitoring"), values.get("source")
        if isinstance(found, dict) and isinstance(wanted, dict):
            for key in sorted(set(found) | set(wanted)):
                if found.get(key) != wanted.get(key):
                    rows.append((f"{name}.{key}", found.get(key), wanted.get(key)))
        else:
            rows.append((name, found, wanted))
    return rows
