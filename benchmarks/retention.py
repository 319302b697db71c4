"""Purging expired records: N records loaded, expired, purged by `emco.retention.run`.

    .venv/bin/python benchmarks/retention.py [--records 20000] [--url sqlite:///...]

Writes N mixed FollowTheMoney records with `benchmarks/ingest.py`'s generator and loads
them with the ingestion pipeline (statements and keys, as a service's file makes them)
into a fresh store (SQLite in a temporary folder by default), gives every record an entity
of its own, then moves every `retain_until` into the past and times the purge: each
record and what derives from it deleted, one audit row per record, in batches of 1,000
per transaction. Prints records purged per second.
"""

import argparse
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import func, select, update

sys.path.insert(0, str(Path(__file__).parent))
from ingest import generate  # the benchmark next door

from emco.access.gate import Access
from emco.ingest.pipeline import IngestRequest, ingest
from emco.model.enums import Protection, Role
from emco.model.types import Principal, RecordMeta
from emco.retention import Rules, run
from emco.store import agencies
from emco.store.db import Database
from emco.store.migrate import upgrade
from emco.store.tables import audit_events, record_entities, records


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--url", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        db = Database(args.url or f"sqlite:///{folder / 'emco.sqlite3'}")
        upgrade(db)
        with db.write() as conn:
            agencies.sync(conn, agencies.load_config(None))
        path = folder / "records.jsonl"
        generate(path, args.records)
        liaison = Access(db, Principal("bench", "OFAST", frozenset({Role.LIAISON}),
                                       Protection.DR))
        started = time.perf_counter()
        summary = ingest(liaison, IngestRequest(path=path, agency="OFAST", mapping=None,
                                                defaults=RecordMeta()),
                         region="FR", retention_years=20, quarantine_dir=folder / "q",
                         chunk_size=20_000, workers=0)
        print(f"loaded {summary.accepted:,} records in {time.perf_counter() - started:.1f} s")
        with db.write() as conn:
            ids = [r for (r,) in conn.execute(select(records.c.id))]
            db.bulk_insert(conn, record_entities, ("record_id", "entity_id"),
                           [(r, f"E{r:08d}") for r in ids])
            conn.execute(update(records).values(retain_until=date(2000, 1, 1)))
        admin = Access(db, Principal("bench", "EMCO", frozenset({Role.ADMIN})))
        started = time.perf_counter()
        result = run(admin, Rules(frozenset(), 3), today=datetime.now(UTC).date())
        seconds = time.perf_counter() - started
        with db.read() as conn:
            left = conn.execute(select(func.count()).select_from(records)).scalar_one()
            lines = conn.execute(select(func.count()).select_from(audit_events).where(
                audit_events.c.action == "retention:record:purge")).scalar_one()
        assert left == 0, left
        assert lines == result.purged, lines
        print(f"{db.engine.dialect.name}: purged {result.purged:,} records in {seconds:.1f} s"
              f" = {result.purged / seconds:,.0f} records/s ({lines:,} audit rows)")
        db.dispose()


if __name__ == "__main__":
    main()
