"""Batch resolution of a large scenario: time, memory and quality.

    .venv/bin/python benchmarks/resolve_scale.py --scale 2000 [--work DIR]

Generates a scenario without call records (`emco demo generate --call-rate 0`; scale
2000 gives about a million records), loads it into a fresh SQLite store
(`emco demo load --no-stages`), then times a full resolution with a
newly trained model (`emco resolve --full --retrain`), sampling the memory of the whole
process tree, and grades it (`emco demo evaluate`). Targets: 1,000,000 records within
180 s and 4 GB; pairwise F1 at least 0.97, cluster F1 at least 0.95.
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

from measure import run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=2000)
    parser.add_argument("--work", type=Path, default=None,
                        help="Keep the scenario and the store here (reused when present).")
    args = parser.parse_args()
    emco = str(Path(sys.executable).parent / "emco")
    work = args.work or Path(tempfile.mkdtemp(prefix="emco-resolve-"))
    scenario, data = work / "scenario", work / "data"
    env = dict(os.environ, EMCO_DATA_DIR=str(data))
    env.pop("EMCO_DATABASE_URL", None)
    if not (data / "emco.sqlite3").exists():
        run([emco, "db", "upgrade"], env)
        seconds, _, _ = run([emco, "demo", "generate", "--out", str(scenario), "--scale",
                             str(args.scale), "--call-rate", "0"], env)
        print(f"generated the scenario in {seconds:.0f} s")
        seconds, peak, _ = run([emco, "demo", "load", str(scenario), "--no-stages"], env)
        print(f"loaded it in {seconds:.0f} s, peak {peak / 2**20:.0f} MB")
    seconds, peak, out = run([emco, "resolve", "--full", "--retrain", "--json"], env)
    summary = json.loads(out)
    print(f"full resolution with training: {seconds:.1f} s, peak memory "
          f"{peak / 2**30:.2f} GB; stages {summary['seconds']}")
    print(f"  {summary['featured']:,} records featured, {summary['scored_pairs']:,} pairs "
          f"judged, {summary['entities']:,} entities, {summary['merged_records']:,} records "
          "merged with others")
    _, _, graded = run([emco, "demo", "evaluate", str(scenario), "--json"], env)
    resolve = json.loads(graded)["resolve"]
    print(f"  over {resolve['records']:,} records: pairwise F1 "
          f"{resolve['pairwise']['f1']:.4f} (precision {resolve['pairwise']['precision']:.4f}"
          f", recall {resolve['pairwise']['recall']:.4f}); cluster F1 "
          f"{resolve['cluster']['f1']:.4f}")
    print(f"(scenario and store kept in {work})")


if __name__ == "__main__":
    main()
