"""Turn a unified diff (git's text, as the configs app returns it) into rows for the unified and the
side-by-side views. Pure functions: the diff itself is computed once, in C, by the configs app."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from itertools import zip_longest

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString

MAX_ROWS = 5000  # diff lines rendered as HTML; the rest is summarised (the full text stays downloadable)
MAX_INLINE_CHARS = 500  # lines longer than this are not compared word by word
_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@(.*)$")


@dataclass
class Line:
    kind: str  # "context" | "removed" | "added"
    old_no: int | None
    new_no: int | None
    text: str
    html: SafeString | None = None  # with the changed part marked, when it pairs with a line on the other side

    @property
    def marker(self) -> str:
        return {"removed": "-", "added": "+"}.get(self.kind, " ")

    @property
    def shown(self) -> SafeString:
        return self.html if self.html is not None else escape(self.text)


@dataclass
class Hunk:
    header: str
    lines: list[Line] = field(default_factory=list)
    side: list[tuple[Line | None, Line | None]] = field(default_factory=list)

    def pairs(self) -> list[tuple[Line | None, Line | None]]:
        """Side-by-side rows: context on both sides, a block of removals next to the additions that follow."""
        rows: list[tuple[Line | None, Line | None]] = []
        removed: list[Line] = []
        added: list[Line] = []

        def flush():
            for old, new in zip_longest(removed, added):
                if old is not None and new is not None:
                    mark_change(old, new)
                rows.append((old, new))
            removed.clear()
            added.clear()

        for line in self.lines:
            if line.kind == "removed":
                if added:
                    flush()
                removed.append(line)
            elif line.kind == "added":
                added.append(line)
            else:
                flush()
                rows.append((line, line))
        flush()
        return rows


@dataclass
class ParsedDiff:
    hunks: list[Hunk]
    rows: int
    clipped: bool  # more than MAX_ROWS lines: the rest is not rendered


def parse(text: str, max_rows: int | None = None) -> ParsedDiff:
    """Hunks of a unified diff; file headers are skipped and at most `max_rows` (MAX_ROWS) lines are kept."""
    max_rows = MAX_ROWS if max_rows is None else max_rows
    hunks: list[Hunk] = []
    old_no = new_no = 0
    rows = 0
    clipped = False
    for raw in text.splitlines():
        match = _HUNK.match(raw)
        if match:
            old_no, new_no = int(match.group(1)), int(match.group(2))
            hunks.append(Hunk(header=raw))
            continue
        if not hunks or raw.startswith("\\"):  # file headers; "\ No newline at end of file"
            continue
        if rows >= max_rows:
            clipped = True
            break
        prefix, body = raw[:1], raw[1:]
        if prefix == "-":
            hunks[-1].lines.append(Line("removed", old_no, None, body))
            old_no += 1
        elif prefix == "+":
            hunks[-1].lines.append(Line("added", None, new_no, body))
            new_no += 1
        elif prefix == " ":
            hunks[-1].lines.append(Line("context", old_no, new_no, body))
            old_no += 1
            new_no += 1
        else:  # "[... diff truncated ...]" from the configs app
            clipped = True
            break
        rows += 1
    for hunk in hunks:
        hunk.side = hunk.pairs()  # also marks the changed part of paired lines, for both views
    return ParsedDiff(hunks=hunks, rows=rows, clipped=clipped)


def mark_change(old: Line, new: Line) -> None:
    """Wrap the differing middle parts of two paired lines in <mark> (cheap: prefix and suffix only)."""
    a, b = old.text, new.text
    if a == b or len(a) > MAX_INLINE_CHARS or len(b) > MAX_INLINE_CHARS:
        return
    if SequenceMatcher(None, a, b, autojunk=False).quick_ratio() < 0.3:
        return  # unrelated lines: marking everything says nothing
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[len(a) - 1 - end] == b[len(b) - 1 - end]:
        end += 1
    old.html = _marked(a, start, len(a) - end)
    new.html = _marked(b, start, len(b) - end)


def _marked(text: str, start: int, stop: int) -> SafeString:
    if start >= stop:
        return escape(text)
    return format_html("{}<mark>{}</mark>{}", text[:start], text[start:stop], text[stop:])
