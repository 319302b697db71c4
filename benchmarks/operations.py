"""Operation conflict check: one operation against 100,000 planned operations.

    .venv/bin/python benchmarks/operations.py [--operations 100000] [--samples 1000]
        [--postgres]

Builds a fresh store (SQLite in a temporary folder; with --postgres, a temporary
database on the test server, EMCO_TEST_POSTGRES_URL or 127.0.0.1:5432) holding N planned
operations of the twelve services, drawn as a year of a national staff's work might be:
most around the cities where networks work, some anywhere in metropolitan France; raids
and arrests of a few hours, moves of detainees, controlled deliveries over a day or two,
surveillances of days to weeks; areas of 50 m to 5 km and one in a hundred of 10 to
100 km; one or two phone targets each, one in fifty among a thousand lines that several
services follow. Then, for a sample of them, times
what a registration checks (`emco.deconflict.conflicts.find`: the operation read, the
candidates near in place and time, sharing a target, or starting within a day of a move
and aiming at the network around its detainee; each assessed), each from scratch; and
times whole registrations (validation, the write, the check, the alerts, the audit row)
of new operations. Prints p50, p95 and p99.
Target: p95 under 10 ms for the check.
"""

import argparse
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from emco.access import auth
from emco.access.gate import Access
from emco.deconflict.conflicts import Margins, Scan, assess, candidates
from emco.deconflict.operation_input import OperationIn
from emco.deconflict.operations import register
from emco.model.enums import OperationKind, OperationStatus, Protection, Role
from emco.store import agencies
from emco.store import operations as repo
from emco.store.db import Database
from emco.store.migrate import upgrade
from emco.store.tables import operations, targets

SERVICES = ("OFAST", "DNPJ", "DGGN", "PPDRPJ", "SCRT", "DGSI", "DNRED", "TRACFIN", "DGSE",
            "SNRP", "DAP", "DACG")
CITIES = ((43.30, 5.38), (43.60, 1.44), (45.76, 4.84), (48.86, 2.35), (48.94, 2.53),
          (50.63, 3.06), (43.70, 7.27), (47.22, 5.97), (49.02, 1.15), (43.83, 4.36),
          (45.19, 5.72), (49.49, 0.11), (44.84, -0.58), (47.22, -1.55), (48.58, 7.75))
KINDS = ((OperationKind.RAID, 30), (OperationKind.ARREST, 25),
         (OperationKind.SURVEILLANCE, 15), (OperationKind.CONTROLLED_DELIVERY, 10),
         (OperationKind.TRANSFER, 12), (OperationKind.EXTRACTION, 8))
START = datetime(2027, 1, 1, tzinfo=UTC)


def draw(rng: random.Random, i: int) -> dict[str, object]:
    kind = rng.choices([k for k, _ in KINDS], [w for _, w in KINDS])[0]
    if rng.random() < 0.8:
        lat, lon = rng.choice(CITIES)
        lat, lon = rng.gauss(lat, 0.05), rng.gauss(lon, 0.07)
    else:
        lat, lon = rng.uniform(42.5, 51.0), rng.uniform(-4.5, 8.0)
    if rng.random() < 0.01:
        radius = rng.randint(10_000, 100_000)
    else:
        radius = round(min(5000, max(50, rng.lognormvariate(5.7, 0.8))))
    hours = {OperationKind.SURVEILLANCE: rng.uniform(24, 60 * 24),
             OperationKind.CONTROLLED_DELIVERY: rng.uniform(6, 48),
             OperationKind.TRANSFER: rng.uniform(3, 8),
             OperationKind.EXTRACTION: rng.uniform(3, 8)}.get(kind, rng.uniform(2, 6))
    start = START + timedelta(minutes=rng.randint(0, 365 * 24 * 60))
    end = start + timedelta(hours=hours)
    return {"agency_code": rng.choice(SERVICES), "reference": f"BENCH-{i:07d}",
            "kind": kind.value, "latitude": lat, "longitude": lon, "radius_m": radius,
            "starts_at": start, "ends_at": end,
            "duration_class": repo.duration_class(start, end)}


def phone(rng: random.Random) -> str:
    # Most lines are targeted once; one target in fifty is among a thousand lines that
    # several services follow.
    if rng.random() < 0.02:
        return f"+3361{rng.randint(0, 999):07d}"
    return f"+337{rng.randint(0, 99_999_999):08d}"


def populate(db: Database, count: int, seed: int) -> None:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    op_rows, target_rows = [], []
    for i in range(1, count + 1):
        row = draw(rng, i)
        op_rows.append((i, row["agency_code"], row["reference"], row["kind"],
                        row["latitude"], row["longitude"], row["radius_m"],
                        db.timestamp(row["starts_at"]), db.timestamp(row["ends_at"]),  # type: ignore[arg-type]
                        row["duration_class"], OperationStatus.PLANNED.value, "NP",
                        "bench", db.timestamp(now), db.timestamp(now)))
        for _ in range(rng.choice((1, 1, 2))):
            number = phone(rng)
            target_rows.append((len(target_rows) + 1, "operation", i, row["agency_code"],
                                "phone", number, "phone", number, "bench", db.timestamp(now)))
    with db.write() as conn:
        db.bulk_insert(conn, operations, (
            "id", "agency_code", "reference", "kind", "latitude", "longitude", "radius_m",
            "starts_at", "ends_at", "duration_class", "status", "protection", "created_by",
            "created_at", "updated_at"), op_rows)
        db.bulk_insert(conn, targets, (
            "id", "owner_type", "owner_id", "agency_code", "kind", "value", "key_kind", "key",
            "added_by", "added_at"), target_rows)
        if not db.is_sqlite:  # the identity columns go on after the ids given
            for table in ("operations", "targets"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', "
                                     f"'id'), (SELECT max(id) FROM {table}))")
    if not db.is_sqlite:  # as autovacuum would (EMCO never runs ANALYZE on SQLite)
        with db.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()


def check_one(conn: sa.Connection, margins: Margins, op_id: int) -> tuple[int, int]:
    """What `emco.deconflict.conflicts.find` does, counting the candidates on the way:
    the operation read, its candidates found, each assessed."""
    op = repo.unscoped(conn, [op_id])[op_id]
    scan = Scan(conn, margins, op)
    others = candidates(scan)
    return len(others), sum(1 for o in others.values() if assess(scan, o) is not None)


def percentiles(values: list[float]) -> str:
    q = statistics.quantiles(values, n=100)
    return f"p50 {q[49]:.2f} ms, p95 {q[94]:.2f} ms, p99 {q[98]:.2f} ms"


def bench(db: Database, count: int, samples: int, seed: int) -> None:
    started = time.perf_counter()
    populate(db, count, seed)
    print(f"{count:,} planned operations stored in {time.perf_counter() - started:.1f} s "
          f"({'SQLite' if db.is_sqlite else 'PostgreSQL'})")
    margins = Margins()
    rng = random.Random(seed + 1)
    probes = rng.sample(range(1, count + 1), min(samples, count))
    timings: list[float] = []
    found: list[int] = []
    near: list[int] = []
    with db.read() as conn:
        for op_id in probes[:50]:  # warm the statement cache
            check_one(conn, margins, op_id)
        for op_id in probes:
            t0 = time.perf_counter()
            seen, conflicts = check_one(conn, margins, op_id)
            timings.append((time.perf_counter() - t0) * 1000)
            found.append(conflicts)
            near.append(seen)
    print(f"check of one operation ({len(probes):,} samples): {percentiles(timings)}; "
          f"{statistics.mean(near):.1f} candidates and {statistics.mean(found):.2f} "
          "conflicts on average")
    liaison = Access(db, auth.cli_principal("OFAST", frozenset({Role.LIAISON}),
                                            Protection.NP))
    writes = []
    for i in range(min(200, samples)):
        row = draw(rng, count + i + 1)
        new = OperationIn(agency="OFAST", reference=f"NEW-{i:05d}", kind=str(row["kind"]),
                          latitude=float(row["latitude"]),  # type: ignore[arg-type]
                          longitude=float(row["longitude"]),  # type: ignore[arg-type]
                          radius_m=float(row["radius_m"]),  # type: ignore[arg-type]
                          start=row["starts_at"], end=row["ends_at"],  # type: ignore[arg-type]
                          targets=[("phone", phone(rng))])
        t0 = time.perf_counter()
        register(liaison, new, margins, "FR")
        writes.append((time.perf_counter() - t0) * 1000)
    print(f"whole registration ({len(writes)} new operations, each written with its check, "
          f"alerts and audit row): {percentiles(writes)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--operations", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--postgres", action="store_true")
    args = parser.parse_args()
    if args.postgres:
        import os

        url = sa.make_url(os.environ.get("EMCO_TEST_POSTGRES_URL",
                                         "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
        admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        name = f"emco_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        try:
            db = Database(url.set(database=name).render_as_string(hide_password=False))
            _run(db, args)
            db.dispose()
        finally:
            with admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return
    with tempfile.TemporaryDirectory() as folder:
        db = Database(f"sqlite:///{Path(folder) / 'bench.sqlite3'}")
        _run(db, args)
        db.dispose()


def _run(db: Database, args: argparse.Namespace) -> None:
    upgrade(db)
    with db.write() as conn:
        agencies.sync(conn, agencies.load_config(None))
    bench(db, args.operations, args.samples, args.seed)


if __name__ == "__main__":
    main()
