"""Prometheus service discovery: file_sd JSON written atomically, and the same list for http_sd."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from netcron.sources.http import SourceError
from netcron.sources.reconcile import Record


def sd_directory() -> Path:
    from django.conf import settings

    configured = os.environ.get("NETCRON_PROMETHEUS_SD_DIR") or getattr(settings, "NETCRON_PROMETHEUS_SD_DIR", "")
    return Path(configured) if configured else Path(settings.DATA_DIR) / "prometheus"


def group(record: Record) -> dict:
    target = record.fields["target"]
    return {"targets": list(target) if isinstance(target, list) else [target], "labels": dict(record.fields["labels"])}


def read_groups(path: Path) -> list[dict]:
    """The target groups in a file_sd file; [] when it does not exist yet."""
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise SourceError(f"Prometheus: cannot read {path.name}: {exc}") from None
    if not isinstance(data, list):
        raise SourceError(f"Prometheus: {path.name} is not a list of target groups")
    return [g for g in data if isinstance(g, dict)]


def records_from_groups(groups: list[dict]) -> tuple[dict[str, Record], list[dict]]:
    """Groups netcron wrote (labelled netcron_device) as records by name; other groups as they are."""
    records, foreign = {}, []
    for g in groups:
        labels = g.get("labels") or {}
        name = labels.get("netcron_device")
        targets = g.get("targets") or []
        if not name:
            foreign.append(g)
            continue
        records[name] = Record(name, "", {"target": targets[0] if len(targets) == 1 else targets,
                                          "labels": dict(labels)})
    return records, foreign


def write_groups(path: Path, groups: list[dict]) -> None:
    """Replace the file in one rename, so Prometheus never reads a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as out:
            json.dump(groups, out, indent=1, sort_keys=True)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
