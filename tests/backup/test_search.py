"""The line search behind `configs/search`: substrings here, regexes in a child process with a deadline."""

from __future__ import annotations

import time

import pytest

from netcron.configs.search import search_texts

CONFIGS = [b"hostname r1\ninterface Gi1/0/1\n description Uplink to CORE\n", b"hostname r2\n", b"hostname r3\n"]


def search(pattern: str, texts=CONFIGS, **kwargs):
    options = {"regex": False, "ignore_case": False, "max_lines": 20, "max_matches": 200, "timeout": 5.0}
    return search_texts(texts, pattern, **{**options, **kwargs})


def test_substrings_report_the_text_index_and_one_based_line_numbers():
    found, reason = search("Uplink")
    assert reason == "" and [(f.index, f.lines) for f in found] == [
        (0, [{"line": 3, "text": " description Uplink to CORE"}])]


def test_ignoring_case_reports_the_original_line():
    found, _ = search("uplink to core", ignore_case=True)
    assert found[0].lines[0]["text"] == " description Uplink to CORE"


def test_regexes_match_line_by_line_in_a_child_process():
    found, reason = search(r"^hostname r[23]$", regex=True)
    assert reason == "" and [f.index for f in found] == [1, 2]


def test_line_and_device_limits_say_that_there_was_more():
    texts = [b"a\n" * 30] * 5
    found, reason = search("a", texts, max_lines=3, max_matches=2)
    assert [len(f.lines) for f in found] == [3, 3] and all(f.more for f in found)
    assert reason == "more than 2 devices match"
    found, reason = search("a", texts, regex=True, max_lines=3, max_matches=2)
    assert len(found) == 2 and reason == "more than 2 devices match"


def test_a_slow_regex_is_stopped_at_the_deadline():
    # Allowed (no nested repeats) but polynomial: a few hundred million steps on these lines.
    texts = [(b" " * 3000 + b"\n") * 20]
    started = time.monotonic()
    found, reason = search(r"\s*\s*\s*\s*\s*!", texts, regex=True, timeout=0.5)
    assert found == [] and reason == "time budget of 0.5s used up"
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("pattern", ["", "x" * 201])
def test_empty_or_huge_patterns_are_refused(pattern):
    with pytest.raises(ValueError):
        search(pattern)
