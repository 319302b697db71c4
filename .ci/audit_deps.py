"""Audit the locked dependencies for known vulnerabilities with pip-audit (`make test`).

Fails on any vulnerability found. pip-audit asks PyPI for each package and version; when
the machine's registry does not answer that question (a mirror that serves packages but
not the per-version JSON), the packages are reported as not audited, counted and named
here, so that a blind audit is never read as a clean one."""

import json
import subprocess
import sys
from pathlib import Path

BIN = Path(".venv/bin")
LOCKED = Path("var/requirements-locked.txt")


def main() -> int:
    LOCKED.parent.mkdir(exist_ok=True)
    subprocess.run([BIN / "uv", "export", "--quiet", "--frozen", "--no-hashes",
                    "--no-emit-project", "--format", "requirements-txt", "-o", LOCKED],
                   check=True)
    run = subprocess.run([BIN / "pip-audit", "-r", LOCKED, "--no-deps", "--disable-pip",
                          "--progress-spinner", "off", "--format", "json"],
                         capture_output=True, text=True, check=False)
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        print(f"pip-audit failed:\n{run.stderr}", file=sys.stderr)
        return 1
    packages = report["dependencies"]
    vulnerable = [p for p in packages if p.get("vulns")]
    unaudited = [p["name"] for p in packages if p.get("skip_reason")]
    for p in vulnerable:
        for v in p["vulns"]:
            print(f"VULNERABLE {p['name']} {p['version']}: {v['id']} "
                  f"(fixed in {', '.join(v.get('fix_versions') or ['nothing yet'])})")
    audited = len(packages) - len(unaudited)
    print(f"pip-audit: {len(packages)} locked packages, {audited} audited, "
          f"{len(vulnerable)} vulnerable, {len(unaudited)} not audited")
    if unaudited:
        print("NOT AUDITED (the vulnerability service did not answer for them): "
              + ", ".join(unaudited[:10]) + (" …" if len(unaudited) > 10 else ""))
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
