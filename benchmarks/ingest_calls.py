"""Call detail records: `ingest_calls` end to end, on SQLite and PostgreSQL.

    .venv/bin/python benchmarks/ingest_calls.py [--rows 10000000] [--numbers 200000]
                                                [--backend sqlite,postgresql] [--work DIR]

Writes a CSV of synthetic call detail records (generation is not timed): --numbers French
mobile numbers written in mixed forms ("06 12 34 56 78", "+33612345678", "0033612345678",
"0612345678"), callers drawn from a power law, each calling mostly the same few contacts
(themselves drawn by popularity), over one year, times in ISO form or `dd/mm/yyyy`, one cell
identifier per call, and one row in 2,000 bad (hidden number, negative duration, a date
that is not one, a number calling itself). Then runs `ingest_calls` in-process on a fresh
database of each backend and prints rows per second, edges written, the time of each phase
(read, normalise, check, aggregate, rejects; then prepare, and write:
load, indexes, commit) and the peak resident memory of the process.
Target: 10,000,000 rows within 60 s.
"""

import argparse
import os
import resource
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import sqlalchemy as sa

from emco.access import auth
from emco.access.gate import Access
from emco.model.enums import Protection, Role
from emco.network.calls import ingest_calls
from emco.store import agencies
from emco.store.db import Database
from emco.store.migrate import upgrade

YEAR_START = np.datetime64("2024-01-01T00:00:00", "s")
BAD_EVERY = 2000


def _numbers(rng: np.random.Generator, n: int) -> list[pa.Array]:
    """The same `n` numbers in four written forms (one array per form)."""
    subscriber = rng.choice(np.arange(10_000_000, 100_000_000), size=n, replace=False)
    prefix = rng.choice(["6", "7"], size=n)
    digits = [f"{p}{s:08d}" for p, s in zip(prefix, subscriber, strict=True)]
    spaced = [f"0{d[0]} {d[1:3]} {d[3:5]} {d[5:7]} {d[7:9]}" for d in digits]
    return [pa.array(spaced), pa.array([f"+33{d}" for d in digits]),
            pa.array([f"0033{d}" for d in digits]), pa.array([f"0{d}" for d in digits])]


def generate(path: Path, rows: int, numbers: int, seed: int = 7) -> None:
    """Write `rows` call records between `numbers` phones, in blocks of a million."""
    rng = np.random.default_rng(seed)
    forms = _numbers(rng, numbers)
    # Popularity: a Zipf-like weight per number; callers and contacts both follow it, so a
    # few hubs call and are called a lot, as in real traffic.
    weight = 1.0 / np.arange(1, numbers + 1) ** 0.8
    weight /= weight.sum()
    order = rng.permutation(numbers)  # popularity is not the number's position in a form
    contacts = order[rng.choice(numbers, size=(numbers, 24), p=weight)]
    cells = pa.array([f"208-01-{i:05d}" for i in range(5000)])
    home = rng.integers(0, 5000 - 8, size=numbers)
    block = 1_000_000
    with path.open("wb") as fp:
        fp.write(b"caller,callee,start,duration,cell\n")
        options = pacsv.WriteOptions(include_header=False, quoting_style="none")
        for start in range(0, rows, block):
            n = min(block, rows - start)
            caller = order[rng.choice(numbers, size=n, p=weight)]
            # mostly the first few contacts: a geometric pick in the contact list
            pick = np.minimum(rng.geometric(0.25, size=n) - 1, 23)
            callee = contacts[caller, pick]
            callee = np.where(callee == caller, contacts[caller, (pick + 1) % 24], callee)
            form_a = rng.integers(0, 4, size=n)
            form_b = rng.integers(0, 4, size=n)
            caller_text = _pick(forms, caller, form_a)
            callee_text = _pick(forms, callee, form_b)
            at = YEAR_START + rng.integers(0, 366 * 86400, size=n).astype("timedelta64[s]")
            iso = pc.strftime(pa.array(at), format="%Y-%m-%d %H:%M:%S")
            french = pc.strftime(pa.array(at), format="%d/%m/%Y %H:%M:%S")
            start_text = pc.if_else(pa.array(rng.random(n) < 0.8), iso, french)
            duration = pa.array(np.rint(rng.exponential(90, size=n)).astype(np.int64))
            cell = cells.take(pa.array(home[caller] + rng.integers(0, 8, size=n)))
            table = pa.table({"caller": caller_text, "callee": callee_text,
                              "start": start_text, "duration": duration, "cell": cell})
            table = _spoil(table, rng, start)
            pacsv.write_csv(table, fp, write_options=options)


def _pick(forms: list[pa.Array], index: np.ndarray, form: np.ndarray) -> pa.Array:
    out = forms[0].take(pa.array(index))
    for f in range(1, 4):
        out = pc.if_else(pa.array(form == f), forms[f].take(pa.array(index)), out)
    return out


def _spoil(table: pa.Table, rng: np.random.Generator, offset: int) -> pa.Table:
    """One row in BAD_EVERY made bad in one of four ways, as real exports are."""
    n = table.num_rows
    bad = rng.random(n) < 1 / BAD_EVERY
    kind = rng.integers(0, 4, size=n)
    cols = {name: table[name].combine_chunks() for name in table.column_names}
    cols["callee"] = pc.if_else(pa.array(bad & (kind == 0)), "MASQUE", cols["callee"])
    cols["duration"] = pc.if_else(pa.array(bad & (kind == 1)), -1, cols["duration"])
    cols["start"] = pc.if_else(pa.array(bad & (kind == 2)), "31/02/2024 25:00:00",
                               cols["start"])
    cols["callee"] = pc.if_else(pa.array(bad & (kind == 3)), cols["caller"], cols["callee"])
    return pa.table(cols)


def _database(backend: str, work: Path, postgres: str) -> tuple[Database, str | None]:
    if backend == "sqlite":
        path = work / "bench.sqlite3"
        path.unlink(missing_ok=True)
        db = Database(f"sqlite:///{path}")
        name = None
    else:
        name = f"emco_calls_bench_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(postgres, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        admin.dispose()
        db = Database(sa.make_url(postgres).set(database=name)
                      .render_as_string(hide_password=False))
    upgrade(db)
    with db.write() as conn:
        agencies.sync(conn, agencies.load_config(None))
    return db, name


def _drop(postgres: str, name: str) -> None:
    admin = sa.create_engine(postgres, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


class _Phases:
    """A progress callback noting the wall and CPU time of each phase: on a shared
    machine, CPU time says what a phase costs, wall time what it got."""

    def __init__(self) -> None:
        self.current: str | None = None
        self.since = (time.perf_counter(), time.process_time())
        self.spent: dict[str, tuple[float, float]] = {}

    def __call__(self, phase: str, done: int | None, total: int | None) -> None:
        if phase != self.current:
            self.end()
            self.current = phase

    def end(self) -> None:
        now = (time.perf_counter(), time.process_time())
        if self.current is not None:
            wall, cpu = self.spent.get(self.current, (0.0, 0.0))
            self.spent[self.current] = (wall + now[0] - self.since[0],
                                        cpu + now[1] - self.since[1])
        self.since = now

    def report(self) -> str:
        return ", ".join(f"{phase} {wall:.1f}/{cpu:.1f}"
                         for phase, (wall, cpu) in self.spent.items())


def _load() -> str:
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--numbers", type=int, default=200_000)
    parser.add_argument("--backend", default="sqlite,postgresql")
    parser.add_argument("--work", type=Path, default=None,
                        help="Folder for the CSV and the SQLite file (kept; the CSV is "
                             "reused when it exists with the same size parameters).")
    parser.add_argument("--postgres", default=os.environ.get(
        "EMCO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="emco-calls-"))
    work.mkdir(parents=True, exist_ok=True)
    data = work / f"calls-{args.rows}-{args.numbers}.csv"
    if not data.exists():
        t0 = time.perf_counter()
        generate(data, args.rows, args.numbers)
        print(f"generated {args.rows:,} rows ({data.stat().st_size / 2**20:.0f} MB) in "
              f"{time.perf_counter() - t0:.1f} s (not counted)")
    for backend in args.backend.split(","):
        db, name = _database(backend, work, args.postgres)
        print(f"load before: {_load()} (1, 5, 15 min; {os.cpu_count()} CPUs)")
        access = Access(db, auth.cli_principal("OFAST", frozenset({Role.LIAISON}),
                                               Protection.DR))
        phases = _Phases()
        t0 = time.perf_counter()
        s = ingest_calls(access, data, "OFAST", progress=phases)
        elapsed = time.perf_counter() - t0
        phases.end()
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t = s.timings
        reading = sum(t.get(k, 0.0) for k in ("read", "normalise", "check", "aggregate",
                                               "rejects"))
        writing = t.get("prepare", 0.0) + t.get("write", 0.0)
        steps = ", ".join(f"{k} {v:.1f}" for k, v in t.items())
        print(f"{backend:>10}: {s.rows_read:,} rows in {elapsed:.1f} s = "
              f"{s.rows_read / elapsed:,.0f} rows/s; {s.rows_loaded:,} loaded, "
              f"{s.rejected_count:,} rejected; {s.edges:,} edges between {s.numbers:,} "
              f"numbers; read to rejects {reading:.1f} s, write {writing:.1f} s "
              f"({steps}); peak RSS {peak:,.0f} MB (this process so far)")
        print(f"  wall / CPU seconds of this process (all its threads) per phase: "
              f"{phases.report()}")
        print(f"load after: {_load()}")
        db.dispose()
        if name is not None:
            _drop(args.postgres, name)
    if args.work is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
