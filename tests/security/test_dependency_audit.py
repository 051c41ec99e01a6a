"""The CI dependency audit: fails only when a vulnerability database answered and found something."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "audit_dependencies.py"


@pytest.fixture
def audit_with(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)

    def use(reports: dict[str, dict | str]):
        """A fake pip-audit printing ``reports[service]`` (a dict as JSON, a str as a crash on stderr)."""
        fake = tmp_path / "pip-audit"
        fake.write_text("#!/usr/bin/env python3\nimport json, sys\nreports = " + repr(
            {k: json.dumps(v) if isinstance(v, dict) else None for k, v in reports.items()}) +
            "\nservice = sys.argv[sys.argv.index('--vulnerability-service') + 1]\n"
            "out = reports.get(service)\n"
            "print(out) if out else (print('ConnectionError: no route', file=sys.stderr), sys.exit(1))\n")
        fake.chmod(0o755)
        monkeypatch.setattr(module, "PIP_AUDIT", fake)
        return module

    return use


CLEAN = {"dependencies": [{"name": "django", "version": "5.2.19", "vulns": []},
                          {"name": "netcron", "skip_reason": "editable"}]}
VULNERABLE = {"dependencies": [{"name": "django", "version": "5.2.19", "vulns": [
    {"id": "GHSA-xxxx", "fix_versions": ["5.2.20"]}]}]}
ALL_SKIPPED = {"dependencies": [{"name": "django", "skip_reason": "Dependency not found on PyPI"}]}


def test_found_vulnerabilities_fail_the_step_and_are_listed(audit_with, capsys):
    assert audit_with({"osv": VULNERABLE}).main() == 1
    assert "django 5.2.19: GHSA-xxxx (fixed in: 5.2.20)" in capsys.readouterr().out


def test_a_clean_audit_passes_and_says_how_much_was_audited(audit_with, capsys):
    assert audit_with({"osv": CLEAN}).main() == 0
    assert "dependency audit (osv): 1 package(s) audited, 1 skipped (netcron)" in capsys.readouterr().out


def test_it_falls_back_to_pypi_when_osv_is_unreachable(audit_with, capsys):
    assert audit_with({"pypi": VULNERABLE}).main() == 1
    assert "dependency audit (pypi)" in capsys.readouterr().out


def test_no_reachable_database_reports_not_audited_and_passes(audit_with, capsys):
    assert audit_with({"pypi": ALL_SKIPPED}).main() == 0
    out = capsys.readouterr().out
    assert out.startswith("dependency audit: not audited, no vulnerability database reachable")
    assert "osv: ConnectionError: no route" in out and "pypi: every package skipped" in out
