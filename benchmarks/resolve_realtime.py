"""Real-time matching latency: one arriving record against everything resolved.

    EMCO_DATA_DIR=... .venv/bin/python benchmarks/resolve_realtime.py [--samples 2000]

Works on a store already loaded and resolved (for instance the one
`benchmarks/resolve_scale.py --work DIR` leaves in DIR/data). For a sample of person
records, taken as if they were arriving, it times what `emco.resolve.matcher.match`
does on arrival: the candidates found through the blocking keys indexed in the store
(the record itself left out), their features read, each scored in-process with the
trained model's weights. Prints p50, p95 and p99 per record. Target: p95 under 20 ms
against 1,000,000 records.
"""

import argparse
import random
import statistics
import time

from sqlalchemy import func, select

from emco.resolve.matcher import match
from emco.resolve.model import Scorer
from emco.settings import get_settings
from emco.store import resolution as repo
from emco.store.db import Database
from emco.store.tables import records, resolve_features


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    db = Database(get_settings().database_url)
    with db.read() as conn:
        total = conn.execute(select(func.count()).select_from(records)).scalar_one()
        people = [r for (r,) in conn.execute(select(resolve_features.c.record_id).where(
            resolve_features.c.kind == "person"))]
        stored = repo.latest_model(conn, "person")
    if stored is None:
        raise SystemExit("no trained model: run `emco resolve` on this store first")
    scorer = Scorer(stored[1], stored[2])
    sample = random.Random(args.seed).sample(people, min(args.samples, len(people)))
    with db.read() as conn:
        arriving = dict(repo.features(conn, "person", sample))
    timings, candidates = [], []
    with db.read() as conn:
        for rid in sample:
            started = time.perf_counter()
            found = match(conn, scorer, rid, arriving[rid])
            timings.append((time.perf_counter() - started) * 1000)
            candidates.append(len(found))
    timings.sort()

    def pct(p: float) -> float:
        return timings[min(len(timings) - 1, int(p * len(timings)))]

    print(f"{db.engine.dialect.name}: {total:,} records ({len(people):,} people); "
          f"{len(sample):,} arrivals")
    print(f"  per record: p50 {pct(0.5):.2f} ms, p95 {pct(0.95):.2f} ms, p99 {pct(0.99):.2f} "
          f"ms, max {timings[-1]:.1f} ms; candidates scored: mean "
          f"{statistics.mean(candidates):.1f}, max {max(candidates)}")


if __name__ == "__main__":
    main()
