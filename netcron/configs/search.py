"""Line search for the config search: plain substrings or Python regexes.

Python's ``re`` cannot be interrupted, so regexes run in a child process with a hard deadline. Patterns
that backtrack exponentially are also refused up front, with a message saying why: nested repeats
(``(a+)+``), alternation inside a repeat (``(foo|bar)+``) and backreferences.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

try:  # Python 3.11+
    import re._constants as _c
    import re._parser as _p
except ImportError:  # pragma: no cover - older Pythons
    import sre_constants as _c  # type: ignore[no-redef]
    import sre_parse as _p  # type: ignore[no-redef]

MAX_PATTERN = 200
MAX_LINE = 2000
_REPEATS = {_c.MAX_REPEAT, _c.MIN_REPEAT, getattr(_c, "POSSESSIVE_REPEAT", _c.MAX_REPEAT)}


def check_pattern(pattern: str, *, regex: bool, ignore_case: bool = False) -> int:
    """Validate a search pattern; returns the re flags. ValueError (for the user) if empty, too long,
    invalid or able to backtrack exponentially."""
    if not pattern:
        raise ValueError("the search pattern is empty")
    if len(pattern) > MAX_PATTERN:
        raise ValueError(f"the search pattern is longer than {MAX_PATTERN} characters")
    flags = re.IGNORECASE if ignore_case else 0
    if regex:
        try:
            parsed = _p.parse(pattern, flags)
            re.compile(pattern, flags)
        except (re.error, OverflowError, RecursionError) as exc:
            raise ValueError(f"invalid regular expression: {exc}") from None
        _check_safe(parsed, repeated=False)
    return flags


def _check_safe(subpattern, repeated: bool) -> None:
    for op, av in subpattern:
        if op in _REPEATS:
            _, high, sub = av
            many = high is _c.MAXREPEAT or high > 1
            if repeated and many:
                raise ValueError("nested repetition like (a+)+ is not allowed (it can take forever)")
            _check_safe(sub, repeated or many)
        elif op is _c.SUBPATTERN:
            _check_safe(av[-1], repeated)
        elif op is _c.BRANCH:
            if repeated:
                raise ValueError("alternation inside a repeated group like (a|b)+ is not allowed")
            for branch in av[1]:
                _check_safe(branch, repeated)
        elif op in (_c.GROUPREF, _c.GROUPREF_EXISTS):
            raise ValueError("backreferences are not allowed")
        elif op in (_c.ASSERT, _c.ASSERT_NOT):
            _check_safe(av[1], repeated)


def matching_lines(text: str, matches: Callable[[str], object], max_lines: int) -> tuple[list[dict], bool]:
    """Matching lines as [{"line": n, "text": ...}] (at most ``max_lines``) and whether there were more."""
    found: list[dict] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if matches(line[:MAX_LINE]):
            if len(found) >= max_lines:
                return found, True
            found.append({"line": number, "text": line[:500]})
    return found, False


@dataclass
class Found:
    index: int  # into the texts searched
    lines: list[dict]
    more: bool


def search_texts(texts: list[bytes], pattern: str, *, regex: bool, ignore_case: bool, max_lines: int,
                 max_matches: int, timeout: float) -> tuple[list[Found], str]:
    """Search every text line by line; returns the matches (in text order) and why it stopped early, if it did.

    Substrings are searched here. Regexes run in a child Python process killed after ``timeout``: no
    pattern, however slow, can hold a web or CLI process.
    """
    flags = check_pattern(pattern, regex=regex, ignore_case=ignore_case)
    if regex:
        return _search_in_child(texts, pattern, flags, max_lines, max_matches, timeout)
    needle = pattern.casefold() if ignore_case else pattern
    raw_needle = needle.encode()
    started, found = time.monotonic(), []
    for i, data in enumerate(texts):
        if time.monotonic() - started > timeout:
            return found, f"time budget of {timeout:g}s used up"
        if not ignore_case and raw_needle not in data:
            continue  # most configs do not match: skip them without decoding
        text = data.decode("utf-8", "replace")
        haystack = text.casefold() if ignore_case else text
        if needle not in haystack:
            continue
        if len(found) >= max_matches:
            return found, f"more than {max_matches} devices match"
        lines, more = matching_lines(haystack, lambda line: needle in line, max_lines)
        if ignore_case:  # report the original text, not the case-folded one
            originals = text.split("\n")
            lines = [{"line": x["line"], "text": originals[x["line"] - 1][:500]} for x in lines]
        found.append(Found(i, lines, more))
    return found, ""


# The child reads a JSON header line, then each text as "<byte length>\n<bytes>", and prints one JSON
# line per matching text. Only the standard library is imported (python -I -S: fast, no site packages).
_CHILD = r"""
import json, re, sys
inp = sys.stdin.buffer
head = json.loads(inp.readline())
line_re = re.compile(head["pattern"], head["flags"])
whole_re = re.compile(head["pattern"], head["flags"] | re.M) if head["prefilter"] else None
found, i = 0, -1
while True:
    size = inp.readline()
    if not size:
        break
    i += 1
    text = inp.read(int(size)).decode("utf-8", "replace")
    if whole_re is not None and not whole_re.search(text):
        continue
    lines, more = [], False
    for n, line in enumerate(text.split("\n"), 1):
        if line_re.search(line[:head["max_line"]]):
            if len(lines) >= head["max_lines"]:
                more = True
                break
            lines.append({"line": n, "text": line[:500]})
    if lines:
        if found >= head["max_matches"]:
            print(json.dumps({"stop": "more than %d devices match" % head["max_matches"]}), flush=True)
            break
        found += 1
        print(json.dumps({"i": i, "lines": lines, "more": more}), flush=True)
"""


def _search_in_child(texts: list[bytes], pattern: str, flags: int, max_lines: int, max_matches: int,
                     timeout: float) -> tuple[list[Found], str]:
    # \A and \Z mean "start/end of line" per line but "of the config" on the whole text: no prefilter then.
    head = {"pattern": pattern, "flags": flags, "max_lines": max_lines, "max_matches": max_matches,
            "max_line": MAX_LINE, "prefilter": "\\A" not in pattern and "\\Z" not in pattern}
    chunks = [json.dumps(head).encode() + b"\n"]
    for data in texts:
        chunks += [str(len(data)).encode() + b"\n", data]
    proc = subprocess.Popen([sys.executable, "-I", "-S", "-c", _CHILD], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    reason = ""
    try:
        out, _ = proc.communicate(b"".join(chunks), timeout=max(0.1, timeout))
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        reason = f"time budget of {timeout:g}s used up"
    found = []
    for raw in out.decode().splitlines():
        try:
            item = json.loads(raw)
        except ValueError:
            continue  # a line cut short by the kill
        if "stop" in item:
            reason = item["stop"]
        else:
            found.append(Found(item["i"], item["lines"], item["more"]))
    if proc.returncode not in (0, None) and not reason:
        reason = "the search stopped early"
    return found, reason
