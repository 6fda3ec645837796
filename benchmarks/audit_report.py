"""Read pip-audit's JSON report (test-artifacts/pip-audit.json) for .ci/run.

Fails on a known vulnerability. A package the vulnerability service could not be asked about
is not a pass: it is reported as NOT AUDITED, and fails too when PIP_AUDIT_REQUIRED=1.
Usage: python benchmarks/audit_report.py <pip-audit exit status>"""

import json
import os
import sys
from pathlib import Path

REPORT = Path("test-artifacts/pip-audit.json")
LOG = Path("test-artifacts/pip-audit.log")


def main(status: int) -> int:
    required = os.environ.get("PIP_AUDIT_REQUIRED") == "1"
    try:
        dependencies = json.loads(REPORT.read_text())["dependencies"]
    except (OSError, ValueError, KeyError):
        log = LOG.read_text()[-2000:] if LOG.exists() else ""
        print(f"NOT AUDITED: pip-audit gave no report (exit {status}); {LOG}:\n{log}")
        return 1 if required else 0
    vulnerable = [d for d in dependencies if d.get("vulns")]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    for dep in vulnerable:
        for vuln in dep["vulns"]:
            fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
            print(f"VULNERABLE: {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
    if skipped:
        print(f"NOT AUDITED: {len(skipped)} of {len(dependencies)} packages could not be checked:")
        for dep in skipped[:5]:
            print(f"  {dep['name']}: {dep['skip_reason']}")
    audited = len(dependencies) - len(skipped)
    print(
        f"pip-audit: {audited} packages audited, {len(vulnerable)} vulnerable, "
        f"{len(skipped)} not audited"
    )
    return 1 if vulnerable or (skipped and required) else 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
