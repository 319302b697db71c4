"""Reassessing 100,000 people: read their signals, score, store one assessment each.

    .venv/bin/python benchmarks/risk_scale.py [--people 100000] [--url sqlite:///...]

Builds a fresh store (SQLite in a temporary folder by default) holding N person records,
each resolved to its own entity, and three signals each of random types, services, grades
and dates (written straight into `risk_signals`, as a run's derivation leaves them), then
times what a reassessment does after the derivation: read the signals with their
entities, score them (`emco.risk.scoring`), build and bulk-insert the assessment rows.
Prints the figure (the issue's target: within 30 s).
"""

import argparse
import random
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from emco.risk import catalogue as catalogues
from emco.risk.assess import assessment_rows  # the rows `assess_all` writes
from emco.risk.scoring import score
from emco.store import agencies
from emco.store import risk as repo
from emco.store.db import Database
from emco.store.migrate import upgrade
from emco.store.tables import batches, record_entities, records, risk_signals

SERVICES = ("OFAST", "DNPJ", "SNRP", "DAP", "DACG")


def build(db: Database, people: int, rng: random.Random) -> None:
    upgrade(db)
    now = datetime.now(UTC)
    cat = catalogues.packaged()
    with db.write() as conn:
        agencies.sync(conn, agencies.load_config(None))
        conn.execute(batches.insert().values(
            id="bench", agency_code="OFAST", username="bench", filename="bench",
            file_sha256="0" * 64, format="bench", status="done", started_at=now))
        db.bulk_insert(conn, records, (
            "id", "agency_code", "source_id", "schema", "caption", "handling", "reliability",
            "credibility", "protection", "retain_until", "batch_id", "ingested_at",
            "content_hash"), [
            (i, "OFAST", f"p{i}", "Person", f"P {i}", "H0", "B", "2", "NP",
             date(2040, 1, 1), "bench", db.timestamp(now), "x") for i in range(1, people + 1)])
        db.bulk_insert(conn, record_entities, ("record_id", "entity_id"),
                       [(i, f"E{i:07d}") for i in range(1, people + 1)])
        types = list(cat.signals)
        rows = []
        for i in range(1, people + 1):
            for _ in range(3):
                rows.append((i, None, rng.choice(types), rng.choice(SERVICES),
                             date(2023, 1, 1) + timedelta(days=rng.randint(0, 1100)),
                             rng.choice("ABCX"), rng.choice("1234"), None, "record",
                             "bench"))
        db.bulk_insert(conn, risk_signals, repo.SIGNAL_COLUMNS, rows)


def reassess(db: Database) -> tuple[int, float]:
    cat = catalogues.packaged()
    started = time.perf_counter()
    now = datetime.now(UTC)
    with db.write() as conn:
        scored = score(repo.signals(conn), cat, now.date())
        run_id = repo.start_run(conn, "bench", now, cat.version)
        repo.write_assessments(db, conn, assessment_rows(scored, run_id, cat, now, db))
    return len(scored.persons), time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--url", help="a database URL (a fresh SQLite file by default)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = Database(args.url or f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        build(db, args.people, random.Random(7))
        assessed, seconds = reassess(db)
        db.dispose()
    print(f"reassessed {assessed:,} people ({args.people * 3:,} signals) in {seconds:.1f} s "
          f"(target: 100,000 within 30 s)")


if __name__ == "__main__":
    main()
