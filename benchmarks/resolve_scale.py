"""Batch resolution of a large scenario: time, memory and quality.

    .venv/bin/python benchmarks/resolve_scale.py --scale 2000 [--work DIR]

Generates a scenario without call records (`emco demo generate --call-rate 0`; scale
2000 gives about a million records), loads it into a fresh SQLite store
(`emco demo load --no-stages`) and keeps a copy of it, then times a full resolution with
a newly trained model (`emco resolve --full --retrain`) on a fresh copy of the loaded
store, sampling the memory of the whole process tree, and grades it (resolution only,
as `emco demo evaluate` grades it). With `--resolution-only` the resolution runs without
the stages that follow it (`resolve_only.py`). Targets: 1,000,000 records within 180 s
and 4 GB; pairwise F1 at least 0.97, cluster F1 at least 0.95.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from measure import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=2000)
    parser.add_argument("--work", type=Path, default=None,
                        help="Keep the scenario and the store here (reused when present).")
    parser.add_argument("--resolution-only", action="store_true",
                        help="Leave out the stages that follow resolution.")
    args = parser.parse_args()
    emco = str(Path(sys.executable).parent / "emco")
    work = args.work or Path(tempfile.mkdtemp(prefix="emco-resolve-"))
    scenario, data, loaded = work / "scenario", work / "data", work / "loaded"
    env = dict(os.environ, EMCO_DATA_DIR=str(data))
    env.pop("EMCO_DATABASE_URL", None)
    if not (loaded / "emco.sqlite3").exists():
        shutil.rmtree(data, ignore_errors=True)
        run([emco, "db", "upgrade"], env)
        seconds, _, _ = run([emco, "demo", "generate", "--out", str(scenario), "--scale",
                             str(args.scale), "--call-rate", "0"], env)
        print(f"generated the scenario in {seconds:.0f} s")
        seconds, peak, _ = run([emco, "demo", "load", str(scenario), "--no-stages"], env)
        print(f"loaded it in {seconds:.0f} s, peak {peak / 2**20:.0f} MB")
        shutil.copytree(data, loaded)
    shutil.rmtree(data, ignore_errors=True)  # every run starts from the loaded store
    shutil.copytree(loaded, data)
    command = [sys.executable, str(Path(__file__).with_name("resolve_only.py"))] \
        if args.resolution_only else [emco, "resolve", "--full", "--retrain", "--json"]
    seconds, peak, out = run(command, env)
    summary = json.loads(out)
    print(f"full resolution with training: {seconds:.1f} s, peak memory "
          f"{peak / 2**30:.2f} GB; stages {summary['seconds']}")
    print(f"  {summary['featured']:,} records featured, {summary['scored_pairs']:,} pairs "
          f"judged, {summary['entities']:,} entities, {summary['merged_records']:,} records "
          "merged with others")
    resolve = _grade(scenario, data)
    print(f"  over {resolve['records']:,} records: pairwise F1 "
          f"{resolve['pairwise']['f1']:.4f} (precision {resolve['pairwise']['precision']:.4f}"
          f", recall {resolve['pairwise']['recall']:.4f}); cluster F1 "
          f"{resolve['cluster']['f1']:.4f}")
    print(f"(scenario and store kept in {work})")


def _grade(scenario: Path, data: Path) -> dict[str, Any]:
    """Resolution graded against the truth, as `emco demo evaluate` grades it (which
    grades every stage: deconfliction's grading pages through every alert, minutes at a
    million records)."""
    from emco.cli_common import staff
    from emco.demo.grade_resolution import grade
    from emco.demo.truth import read_truth
    from emco.model.enums import Protection, Role
    from emco.store.db import Database

    db = Database(f"sqlite:///{data / 'emco.sqlite3'}")
    try:
        return grade(staff(db, Role.OPERATOR, Protection.DR), read_truth(scenario))
    finally:
        db.dispose()


if __name__ == "__main__":
    main()
