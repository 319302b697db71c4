"""What the benchmarks share: running a command while sampling its memory."""

import os
import subprocess
import sys
import tempfile
import time


def tree_memory(pid: int) -> int:
    """Memory of a process and all its descendants, in bytes: the sum of their
    proportional set sizes, so that pages shared after fork count once."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as fh:
                for line in fh:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1]) * 1024
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as fh:
                    stack.extend(int(c) for c in fh.read().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run `cmd`; return its wall time, its peak memory and its standard output. Exit
    codes 0 and 3 (some rows quarantined) are success."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as errs:
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=errs)
        peak = 0
        while proc.poll() is None:
            peak = max(peak, tree_memory(proc.pid))
            time.sleep(0.5)  # reading smaps costs the kernel time: sample, do not hog a core
        elapsed = time.perf_counter() - start
        out.seek(0)
        errs.seek(0)
        if proc.returncode not in (0, 3):
            sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{errs.read().decode()}")
        return elapsed, peak, out.read().decode()
