"""CI step: pip-audit the installed (pinned) environment; report, and fail only on found vulnerabilities.

Tries OSV, then PyPI's JSON API. When neither answers (an offline CI or a mirror without the JSON API:
pip-audit then skips every package as "not found"), it says so and exits 0: no database, no verdict.
Exit codes: 0 clean or not audited, 1 known vulnerabilities found.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

PIP_AUDIT = Path(sys.executable).with_name("pip-audit")


def audit(service: str) -> tuple[dict | None, str]:
    """pip-audit's JSON report from ``service``, or None and the reason it could not be had."""
    if not PIP_AUDIT.exists():
        return None, f"{PIP_AUDIT} is not installed (pip install -e '.[dev]')"
    done = subprocess.run([str(PIP_AUDIT), "--local", "--skip-editable", "--format", "json", "--progress-spinner",
                           "off", "--timeout", "15", "--vulnerability-service", service],
                          capture_output=True, text=True, timeout=900)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        return None, f"{service}: {last[:200]}"
    audited = [d for d in report.get("dependencies", []) if "skip_reason" not in d]
    if not audited:
        return None, f"{service}: every package skipped (the service does not know them: unreachable or a mirror)"
    return report, ""


def main() -> int:
    reasons = []
    for service in ("osv", "pypi"):
        report, why = audit(service)
        if report is not None:
            break
        reasons.append(why)
    else:
        print("dependency audit: not audited, no vulnerability database reachable — " + "; ".join(reasons))
        return 0
    deps = report["dependencies"]
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d["name"] for d in deps if "skip_reason" in d]
    print(f"dependency audit ({service}): {len(deps) - len(skipped)} package(s) audited, {len(skipped)} skipped"
          + (f" ({', '.join(skipped[:10])}{', ...' if len(skipped) > 10 else ''})" if skipped else ""))
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            print(f"  {dep['name']} {dep['version']}: {vuln['id']} (fixed in: {fixed})")
    if vulnerable:
        print(f"dependency audit: {len(vulnerable)} package(s) with known vulnerabilities", file=sys.stderr)
        return 1
    print("dependency audit: no known vulnerabilities")
    return 0


if __name__ == "__main__":
    sys.exit(main())
