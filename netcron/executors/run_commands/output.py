"""Keeping command output small enough to store: truncation with a marker, optional TextFSM parsing."""

from __future__ import annotations

import json
import logging

logger = logging.getLogger(__name__)

DEVICE_OUTPUT_CAP = 1024 * 1024  # bytes of output kept per device, whatever the per-command limit


def truncate(text: str, limit: int) -> tuple[str, int, bool]:
    """(kept text, original size in bytes, truncated?) with a marker saying how much was dropped."""
    raw = text.encode("utf-8", "replace")
    if len(raw) <= limit:
        return text, len(raw), False
    kept = raw[:limit].decode("utf-8", "ignore")
    return f"{kept}\n[... output truncated: {len(raw) - limit} of {len(raw)} bytes omitted ...]", len(raw), True


def entry(command: str, output: str, seconds: float, *, ok: bool, error: str = "") -> dict:
    """One command's record as the executor sees it (untruncated until ``shrink``)."""
    record = {"command": command, "ok": ok, "output": output, "seconds": round(seconds, 3)}
    if error:
        record["error"] = error
    return record


def shrink(entries: list[dict], per_command: int) -> list[dict]:
    """Truncate each output to ``per_command`` bytes and the device's total to DEVICE_OUTPUT_CAP."""
    budget = max(DEVICE_OUTPUT_CAP, per_command)
    out = []
    for record in entries:
        limit = max(0, min(per_command, budget))
        text, size, cut = truncate(record.get("output", ""), limit) if limit else ("", 0, True)
        if not limit:
            size = len(record.get("output", "").encode("utf-8", "replace"))
            text = f"[... output omitted: the device's {budget} byte output budget is used up ...]"
        budget -= min(size, limit)
        out.append({**record, "output": text, "output_bytes": size, "truncated": cut})
    return out


class Parser:
    """TextFSM via ntc-templates when installed; otherwise parsing is skipped with one log line."""

    def __init__(self, enabled: bool, log) -> None:
        self.parse_output = None
        if not enabled:
            return
        try:
            from ntc_templates.parse import parse_output
        except ImportError:
            log("parse_output: textfsm/ntc-templates are not installed; outputs are stored unparsed", "warning")
            return
        self.parse_output = parse_output

    def __call__(self, platform: str, record: dict, limit: int) -> None:
        if self.parse_output is None or not record.get("ok") or "lines" in record or "save" in record:
            return
        try:
            rows = self.parse_output(platform=platform, command=record["command"], data=record["output"])
        except Exception as exc:  # ntc-templates raises its own ParsingException, textfsm others
            record["parse_error"] = str(exc).split(" - ")[-1][:200]
            return
        if len(json.dumps(rows, default=str)) > limit:
            record["parse_error"] = f"parsed output larger than {limit} bytes; not stored"
            return
        record["parsed"] = rows
