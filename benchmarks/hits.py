"""Hit/no-hit and target check latency, in-process, against a register of 1,000,000
identifiers.

    .venv/bin/python benchmarks/hits.py [--backend sqlite|postgresql] [--targets 1000000]
                                        [--samples 2000] [--work /tmp/hits]

Builds a store (SQLite in --work, or a fresh PostgreSQL database on 127.0.0.1) holding
100,000 open investigations of the eleven services with --targets bare identifiers
between them (phones, plates, e-mails; one in 500 shared by two services), and 200,000
records carrying phones, resolved one entity each. The register is bulk-loaded (what is
measured is the reading, not the loading). Then times, per call:

- `hit` for an identifier some service holds and for one nobody holds, alternated (the
  answer must not show in the time): the whole call through the gate, its audit row
  included; and its lookups alone, in an open transaction;
- the target check of one registered target (`overlaps._pairs_touching`: its
  designations, the targets sharing them, theirs), inside a write passage;
- `add_target` end to end: a new target written, matched, checked, alert raised if any,
  audited, committed.

Prints p50 and p95 of each. Target: p95 under 5 ms for the hit and the check.
"""

import argparse
import random
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.deconflict.hits import hit
from emco.deconflict.investigations import add_target
from emco.deconflict.overlaps import _pairs_touching
from emco.deconflict.targets import designations, parse_target
from emco.errors import Conflict
from emco.model.enums import AuditAction, Permission, Protection, Role
from emco.model.types import Principal
from emco.store import agencies
from emco.store.db import Database
from emco.store.investigations import is_active
from emco.store.migrate import upgrade
from emco.store.tables import (
    batches,
    investigations,
    record_entities,
    record_keys,
    records,
    targets,
)
from emco.store.targets import Designated
from emco.store.targets import known as known_to

SERVICES = ["OFAST", "DNPJ", "PPDRPJ", "DGGN", "SCRT", "DGSI", "DNRED", "TRACFIN", "DGSE",
            "SNRP", "DAP"]
CASES = 100_000
RECORDS = 200_000
SHARED_EVERY = 500  # one target in this many repeats another service's identifier


def phone(n: int) -> str:
    return f"+336{n:08d}"


def key_of(n: int) -> tuple[str, str]:
    """The n-th identifier of the register: mostly phones, some plates and e-mails."""
    if n % SHARED_EVERY == 0:
        n = n // SHARED_EVERY  # the same identifier as target n / 500, of another service
    if n % 10 < 7:
        return "phone", phone(10_000_000 + n)
    if n % 10 < 9:
        return "plate", f"ZZ{n:07d}"
    return "email", f"u{n}@example.org"


def build(db: Database, n_targets: int) -> None:
    upgrade(db)
    with db.write() as conn:
        agencies.sync(conn, agencies.load_config(None))
    now = datetime.now(UTC)
    stamp = db.timestamp(now)
    started = time.perf_counter()
    with db.write() as conn:
        db.bulk_insert(conn, investigations, (
            "id", "agency_code", "reference", "title", "contact_name", "status",
            "protection", "created_by", "created_at", "updated_at"),
            [(i, SERVICES[i % len(SERVICES)], f"R-{i}", f"Dossier {i}", "Cdt X", "open",
              "NP", "bench", stamp, stamp) for i in range(1, CASES + 1)])
        rows = []
        for n in range(1, n_targets + 1):
            kind, key = key_of(n)
            owner = (n * 7919) % CASES + 1  # scattered over the cases
            if n % SHARED_EVERY == 0:  # shared: owned by a case of the next service
                owner = owner + 1 if owner < CASES else 1
            rows.append((n, "investigation", owner, SERVICES[(owner) % len(SERVICES)], kind,
                         key, kind, key, "bench", stamp))
        db.bulk_insert(conn, targets, ("id", "owner_type", "owner_id", "agency_code", "kind",
                                       "value", "key_kind", "key", "added_by", "added_at"),
                       rows)
        del rows
        conn.execute(sa.insert(batches).values(
            id="bench", agency_code="OFAST", username="bench", filename="-", file_sha256="-",
            format="jsonl", status="complete", started_at=now))
        db.bulk_insert(conn, records, (
            "id", "agency_code", "source_id", "schema", "caption", "handling", "reliability",
            "credibility", "protection", "retain_until", "batch_id", "ingested_at",
            "content_hash"),
            [(r, SERVICES[r % len(SERVICES)], f"s-{r}", "Person", f"Personne {r}", "H0", "X",
              "4", "NP", "2046-01-01", "bench", stamp, f"{r:032x}")
             for r in range(1, RECORDS + 1)])
        # Records carry the phones of the first targets: a hit through a record, too.
        db.bulk_insert(conn, record_keys, ("kind", "key", "record_id"),
                       sorted(("phone", phone(10_000_000 + r), r) for r in range(1, RECORDS + 1)))
        db.bulk_insert(conn, record_entities, ("record_id", "entity_id"),
                       [(r, f"E{r:08d}") for r in range(1, RECORDS + 1)])
    if not db.is_sqlite:
        with db.engine.connect() as conn:
            for table in ("investigations", "targets", "records"):  # ids given, not drawn
                conn.execute(sa.text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))"))
            conn.execute(sa.text("ANALYZE"))
            conn.commit()
    print(f"  built in {time.perf_counter() - started:.0f} s: {CASES:,} investigations, "
          f"{n_targets:,} targets, {RECORDS:,} records")


def percentiles(timings: list[float]) -> str:
    ordered = sorted(timings)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    return f"p50 {pct(0.5):.2f} ms, p95 {pct(0.95):.2f} ms, p99 {pct(0.99):.2f} ms"


def timed(call: Callable[[], object], samples: int) -> list[float]:
    out = []
    for _ in range(samples):
        started = time.perf_counter()
        call()
        out.append(time.perf_counter() - started)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--targets", type=int, default=1_000_000)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--work", type=Path, default=Path("/tmp/emco-hits"))
    parser.add_argument("--reuse", action="store_true",
                        help="SQLite: measure the store a previous run left in --work")
    args = parser.parse_args()
    admin = None
    if args.backend == "sqlite":
        args.work.mkdir(parents=True, exist_ok=True)
        path = args.work / "hits.sqlite3"
        reuse = args.reuse and path.exists()
        if not reuse:
            path.unlink(missing_ok=True)
        db = Database(f"sqlite:///{path}")
    else:
        name = f"emco_hits_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
                                 isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        db = Database(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    try:
        print(f"{args.backend}:")
        if args.backend != "sqlite" or not reuse:
            build(db, args.targets)
        run(db, args.targets, args.samples)
    finally:
        db.dispose()
        if admin is not None:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(db: Database, n_targets: int, samples: int) -> None:
    rng = random.Random(1)
    asker = Access(db, Principal("bench.ofast", "OFAST", frozenset({Role.LIAISON})))
    staff = Access(db, Principal("bench.emco", "EMCO", frozenset({Role.OPERATOR}),
                                 Protection.DR))
    known = [key_of(rng.randrange(1, n_targets + 1)) for _ in range(samples)]
    unknown = [("phone", phone(90_000_000 + n)) for n in range(samples)]
    timings: dict[bool, list[float]] = {True: [], False: []}
    hits = 0
    for n in range(samples):
        for is_known in ((True, False) if n % 2 else (False, True)):
            kind, value = known[n] if is_known else unknown[n]
            started = time.perf_counter()
            result = hit(asker, kind, value, "FR")
            timings[is_known].append(time.perf_counter() - started)
            hits += result.hit
    print(f"  hit, known identifier:   {percentiles(timings[True])}")
    print(f"  hit, unknown identifier: {percentiles(timings[False])}  (medians "
          f"{statistics.median(timings[True]) * 1000:.2f} / "
          f"{statistics.median(timings[False]) * 1000:.2f} ms; {hits:,} hits of "
          f"{2 * samples:,} queries)")

    # The same lookups without the gate around them (its read transaction, and the audit
    # row each query writes in a transaction of its own): what the register costs.
    lookups: list[float] = []
    with db.read() as conn:
        for n in range(samples):
            kind, value = known[n] if n % 2 else unknown[n]
            spec = parse_target(kind, value, "FR")
            started = time.perf_counter()
            found = Designated.of(designations(conn, spec).designations)
            known_to(conn, found, "investigation", is_active)
            lookups.append(time.perf_counter() - started)
    print(f"  hit lookups alone:       {percentiles(lookups)}")

    picked = [rng.randrange(1, n_targets + 1) for _ in range(samples)]
    check: list[float] = []
    with staff.writing(Permission.INVESTIGATION_WRITE,
                       AuditEvent(AuditAction.DECONFLICT_CHECK, detail="benchmark")) as p:
        for tid in picked:
            started = time.perf_counter()
            _pairs_touching(p, {tid})
            check.append(time.perf_counter() - started)
    print(f"  target check:            {percentiles(check)}")

    adds = []
    for n in range(min(samples, 500)):
        owner = rng.randrange(1, CASES + 1)
        kind, value = ("phone", phone(10_000_000 + rng.randrange(1, n_targets))) \
            if n % 2 else ("phone", phone(80_000_000 + n))
        spec = parse_target(kind, value, "FR")
        started = time.perf_counter()
        try:
            add_target(staff, owner, spec)
        except Conflict:  # a store measured before (--reuse) has it already
            continue
        adds.append(time.perf_counter() - started)
    if adds:
        print(f"  add_target end to end:   {percentiles(adds)} ({len(adds)} targets, half "
              "of them shared)")


if __name__ == "__main__":
    main()
