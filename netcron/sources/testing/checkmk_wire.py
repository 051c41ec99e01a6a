"""Wire details of CheckMK's REST API shared by the fake's modules: problem bodies, ETags, folder paths."""

from __future__ import annotations

import hashlib
import json
import re

from netcron.sources.testing.server import Reply, Request


def problem(status: int, title: str, detail: str, fields: dict | None = None, ext: dict | None = None) -> Reply:
    body = {"title": title, "status": status, "detail": detail}
    if fields:
        body["fields"] = fields
    if ext:
        body["ext"] = ext
    return Reply(status, body)


def hash_of(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def folder_path(raw: str) -> str:
    """`~a~b`, `/a/b` or `\\a\\b` → `/a/b` (root: `/`)."""
    parts = [p for p in re.split(r"[~/\\]", raw or "") if p]
    return "/" + "/".join(parts)


def if_match(request: Request) -> set[str] | None:
    raw = request.headers.get("if-match")
    if not raw:
        return None
    return {t.strip().removeprefix("W/").strip('"') for t in raw.split(",")}
