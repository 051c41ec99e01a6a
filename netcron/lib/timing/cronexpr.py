"""Cron expression parsing: 5 fields or an @macro, checked field by field for precise messages."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from cronsim import CronSim, CronSimError

from netcron.lib.timing.errors import ScheduleError

MAX_EXPR_LEN = 256
MACROS = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}
_NUMBER = re.compile(r"[0-9]+")
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")


@dataclass(frozen=True)
class _Field:
    name: str
    lo: int
    hi: int
    names: tuple[str, ...] = ()  # symbolic values, numbered from `lo`
    names_are: str = ""

    def error(self, message: str) -> ScheduleError:
        return ScheduleError("cron_expr", f"{self.name} field: {message}")

    def value(self, token: str, symbolic: bool = True) -> int:
        if symbolic and token.upper() in self.names:
            return self.lo + self.names.index(token.upper())
        if not _NUMBER.fullmatch(token):
            what = f"a number or {self.names_are}" if symbolic and self.names else "a number"
            raise self.error(f"{token!r} is not {what}")
        if not self.lo <= int(token) <= self.hi:
            raise self.error(f"{int(token)} is out of range {self.lo}-{self.hi}")
        return int(token)

    def check(self, text: str) -> None:
        for term in text.split(","):
            self.check_term(term)

    def check_term(self, term: str) -> None:
        """Mirror cronsim's grammar so that errors can say what is wrong and where (in the user's case)."""
        if not term:
            raise self.error("empty item in list")
        if self.name == "day-of-week" and "#" in term:  # Nth weekday of the month, e.g. FRI#2
            day, nth = term.split("#", 1)
            self.value(day)
            if not (_NUMBER.fullmatch(nth) and 1 <= int(nth) <= 5):
                raise self.error(f"{term!r}: the number after # must be 1-5")
            return
        if self.name == "day-of-week" and term.upper().endswith("L"):  # last such weekday, e.g. 5L
            self.value(term[:-1], symbolic=False)  # cronsim takes no names here
            return
        if self.name == "day-of-month" and term.upper() in ("L", "LW"):
            return
        base, slash, step = term.partition("/")
        if slash and not (_NUMBER.fullmatch(step) and 1 <= int(step) <= self.hi):
            raise self.error(f"step {step!r} is not a number from 1 to {self.hi}")
        if base == "*":
            return
        first, dash, last = base.partition("-")
        start = self.value(first)
        if dash and self.value(last) < start:
            hint = " (Sunday is also 7)" if self.name == "day-of-week" else ""
            raise self.error(f"range {base} goes backwards{hint}")


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, _MONTHS, "month name (JAN-DEC)"),
    _Field("day-of-week", 0, 7, _DAYS, "day name (SUN-SAT)"),
)


@dataclass(frozen=True)
class Cron:
    expr: str  # normalised 5-field form, as handed to cronsim
    wildcard: bool  # cronie's MIN_STAR/HR_STAR: fires at real matching instants only


@lru_cache(maxsize=2048)
def compile_cron(expr: str) -> Cron:
    """Parse a cron expression or @macro, or raise ScheduleError(field="cron_expr") saying which field."""
    text = expr.strip()
    if not text:
        raise ScheduleError("cron_expr", "cron expression is empty")
    if len(text) > MAX_EXPR_LEN:
        raise ScheduleError("cron_expr", f"cron expression is too long ({len(text)} > {MAX_EXPR_LEN} chars)")
    if text.startswith("@"):
        if text.lower() not in MACROS:
            raise ScheduleError("cron_expr", f"unknown macro {text!r}; use one of {', '.join(MACROS)}")
        text = MACROS[text.lower()]
    parts = text.split()
    if len(parts) != len(_FIELDS):
        names = " ".join(field.name for field in _FIELDS)
        raise ScheduleError("cron_expr", f"expected 5 fields ({names}), got {len(parts)}")
    for field, part in zip(_FIELDS, parts, strict=True):
        field.check(part)
    normal = " ".join(parts).upper()
    try:
        CronSim(normal, datetime(2000, 1, 1))
    except (CronSimError, ValueError, AssertionError) as exc:  # what the grammar check let through
        name = str(exc).removeprefix("Bad ")
        if name == "day-of-month":  # the only semantic check cronsim makes
            raise _FIELDS[2].error(f"{parts[2]} never occurs in the selected months") from None
        raise ScheduleError("cron_expr", f"{name} field: invalid value") from None
    return Cron(normal, wildcard=parts[0].startswith("*") or parts[1].startswith("*"))


def validate_cron(expr: str) -> None:
    """Raise ScheduleError(field="cron_expr") unless `expr` is a supported cron expression."""
    if not isinstance(expr, str):
        raise ScheduleError("cron_expr", "cron expression must be a string")
    compile_cron(expr)
