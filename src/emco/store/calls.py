"""Repository of call detail records: batches of aggregated contact edges.

An edge is one direction (caller to callee) in one month of one batch; the batch says
which service loaded which file, when and as whom. Reads take a `RecordScope` from the
access policy and never return an edge outside it (the service and the protection
mention, as for records); `all_edges` without a scope is for stages that filter by
those two columns themselves, inside the gate.
"""

import json
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Protocol

import psycopg
from sqlalchemy import ColumnElement, Connection, Index, func, insert, or_, select, text
from sqlalchemy.exc import DBAPIError

from emco.model.enums import BatchStatus, HandlingCode, Protection
from emco.model.types import RecordScope
from emco.store.db import Database, utc
from emco.store.records import STREAM_ROWS, as_date
from emco.store.records import scope_filter as records_scope
from emco.store.tables import batches, call_batches, call_edges
from emco.store.writing import BatchInfo, create_batch, update_batch

FORMAT = "calls"  # `batches.format` of a batch of call detail records
# The columns every edge of a batch shares, then those of each edge: `EdgeSource.chunks`
# gives the latter only (SQLite binds the former once, in the statement), `EdgeSource.csv`
# all of them in `EDGE_COLUMNS` order (PostgreSQL's COPY takes no constant).
BATCH_COLUMNS = ("batch_id", "agency_code", "handling", "protection")
EDGE_VALUES = ("caller", "callee", "month", "calls", "seconds", "first_at", "last_at",
               "days", "cells")
EDGE_COLUMNS = BATCH_COLUMNS + EDGE_VALUES
NUMBERS_AT_ONCE = 1000  # phone numbers per query when reading the edges of many
SQLITE_BATCH_CACHE = -1048576  # KiB: 1 GB at most, taken only as pages are used
PG_INDEX_MEMORY = "1GB"  # maintenance_work_mem of the transaction that rebuilds indexes
PG_LOCK_WAIT = "2s"  # how long a large batch waits for readers to drop the indexes
# A batch of at least this many edges, and at least as many as the table may hold
# already, is loaded with the secondary indexes dropped and rebuilt (see `write_batch`).
REBUILD_MIN = 200_000


class EdgeSource(Protocol):
    """A batch's edges, as each backend loads them fastest: SQLite binds Python values
    (`chunks`), PostgreSQL parses CSV text itself (`csv`), with no value in Python."""

    count: int

    def chunks(self) -> Iterator[Sequence[Sequence[Any]]]:
        """The rows in `EDGE_VALUES` order (the batch's columns are not repeated), a chunk
        at a time, sorted by caller: SQLite then appends to the caller index."""
        ...

    def csv(self) -> Iterator[tuple[int, bytes]]:
        """The rows in `EDGE_COLUMNS` order as CSV text without a header (NULL as an
        empty field), a chunk at a time with its count of rows."""
        ...


@dataclass(frozen=True)
class CallEdge:
    """Calls from one number to another in one month, as one batch gave them."""

    id: int
    batch_id: str
    agency_code: str
    handling: HandlingCode
    protection: Protection
    caller: str  # E.164
    callee: str
    month: date  # first day of the month
    calls: int
    seconds: int
    first_at: datetime  # UTC
    last_at: datetime
    days: int  # distinct days with a call
    cells: int | None  # distinct cells; None when the file gave none


@dataclass(frozen=True)
class CallBatch:
    """Where edges come from: the batch row and what its file was read with."""

    id: str
    agency_code: str
    username: str
    filename: str
    file_sha256: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    rows_loaded: int
    rows_rejected: int
    edges: int
    handling: HandlingCode
    handling_condition: str | None
    protection: Protection
    time_zone: str
    region: str
    columns: dict[str, str]


@dataclass(frozen=True)
class ReadWith:
    """What a calls batch is read with, kept in `call_batches`."""

    handling: HandlingCode
    handling_condition: str | None
    protection: Protection
    time_zone: str
    region: str
    columns: dict[str, str]


def time_format(db: Database) -> str:
    """The strftime pattern of a UTC time as bulk writing takes it as text: SQLite keeps
    the naive text SQLAlchemy reads back, PostgreSQL needs the offset."""
    # With the fraction, as SQLAlchemy writes it: SQLite compares times as text.
    return "%Y-%m-%d %H:%M:%S.%f" if db.is_sqlite else "%Y-%m-%d %H:%M:%S.%f+00"


def same_file(conn: Connection, agency: str, file_sha256: str) -> CallBatch | None:
    """The complete calls batch of `agency` that loaded a file with this content, if any."""
    query = _batch_query().where(batches.c.agency_code == agency,
                                 batches.c.file_sha256 == file_sha256,
                                 batches.c.format == FORMAT,
                                 batches.c.status == BatchStatus.COMPLETE.value)
    row = conn.execute(query.order_by(batches.c.started_at).limit(1)).mappings().first()
    return _batch(row) if row else None


def write_batch(db: Database, conn: Connection, info: BatchInfo, read_with: ReadWith, *,
                rows_loaded: int, rows_rejected: int, quarantine: str | None,
                edges: EdgeSource, progress: Callable[[int], None] | None = None,
                timings: dict[str, float] | None = None) -> int:
    """Write a whole batch inside the caller's transaction: its `batches` row (complete),
    its `call_batches` row and its edges (times formatted with `time_format`).
    `progress` is called with the number of edges written so far; `timings`, when given,
    gets the seconds of the steps (`load`, and `indexes` when they were rebuilt).
    Returns the number of edges written.

    A large batch (`rebuilds_indexes`) is loaded with the caller and callee indexes
    dropped, and rebuilt before the transaction ends: DDL is transactional on both
    backends, so a failure still leaves nothing, indexes included. The price is a lock:
    on PostgreSQL, DROP INDEX takes an ACCESS EXCLUSIVE lock on `call_edges`, so readers
    of the edges wait until the batch commits (and the load waits for readers already
    in, `PG_LOCK_WAIT` at most: past that, the batch is loaded with the indexes kept
    rather than stall every reader behind a long one). SQLite holds its single write
    lock for the transaction anyway, and its readers (WAL) go on reading the last
    committed state."""
    create_batch(conn, info)
    conn.execute(insert(call_batches).values(
        batch_id=info.id, handling=read_with.handling.value,
        handling_condition=read_with.handling_condition,
        protection=read_with.protection.value, time_zone=read_with.time_zone,
        region=read_with.region, columns=json.dumps(read_with.columns, ensure_ascii=False)))
    rebuild = rebuilds_indexes(conn, edges.count)
    if db.is_sqlite:
        # A large batch's pages must stay in memory (and CREATE INDEX sorts within this
        # cache): with the writers' usual 64 MB, index pages written at random are read
        # back from disk over and over. The next transaction's BEGIN sets the usual size
        # again (see store/db.py). The journal stays WAL: it cannot change inside a
        # transaction, and readers rely on it.
        conn.exec_driver_sql(f"PRAGMA cache_size={SQLITE_BATCH_CACHE}")
    elif rebuild:
        # Each index is then sorted in memory rather than in temporary files.
        conn.exec_driver_sql(f"SET LOCAL maintenance_work_mem = '{PG_INDEX_MEMORY}'")
    clock = timings if timings is not None else {}
    started = time.perf_counter()
    indexes = sorted(call_edges.indexes, key=lambda ix: str(ix.name))
    rebuild = rebuild and _drop_indexes(db, conn, indexes)
    if db.is_sqlite:
        written = _insert_sqlite(conn, info, read_with, edges, progress)
    else:
        written = _copy_csv(conn, edges.csv(), progress)
    loaded = time.perf_counter()
    clock["load"] = loaded - started
    if rebuild:
        for index in indexes:
            index.create(conn)
        clock["indexes"] = time.perf_counter() - loaded
    update_batch(conn, info.id, status=BatchStatus.COMPLETE.value,
                 finished_at=datetime.now(UTC), accepted=rows_loaded, rejected=rows_rejected,
                 created=written, quarantine_path=quarantine)
    return written


def rebuilds_indexes(conn: Connection, count: int) -> bool:
    """Whether a batch of `count` edges is loaded with the secondary indexes dropped and
    rebuilt: when it is large (`REBUILD_MIN`) and at least as large as the table, as then
    sorting every edge once costs less than inserting each new one at a random place of
    two B-trees. A small batch into a large table keeps them (and takes no table lock
    on PostgreSQL). The table's size is bounded by its largest id (ids only grow), which
    both backends read from the primary key without a scan."""
    if count < REBUILD_MIN:
        return False
    stored = conn.execute(select(func.max(call_edges.c.id))).scalar_one()
    return count >= (stored or 0)


def _drop_indexes(db: Database, conn: Connection, indexes: Sequence[Index]) -> bool:
    """Drop the secondary indexes of `call_edges` inside the transaction; False when
    PostgreSQL could not have the table's lock within `PG_LOCK_WAIT` (a reader is in),
    and nothing was dropped."""
    if db.is_sqlite:
        for index in indexes:
            index.drop(conn)
        return True
    # A waiting ACCESS EXCLUSIVE request queues every later reader behind it: wait for
    # the readers already in a little only. The savepoint keeps the transaction usable
    # when the wait is given up (and its rollback undoes the SET LOCAL).
    previous = conn.exec_driver_sql("SHOW lock_timeout").scalar_one()
    try:
        with conn.begin_nested():
            conn.execute(text("SELECT set_config('lock_timeout', :wait, true)"),
                         {"wait": PG_LOCK_WAIT})
            for index in indexes:
                index.drop(conn)
    except DBAPIError as exc:
        if isinstance(exc.orig, psycopg.errors.LockNotAvailable):
            return False
        raise
    conn.execute(text("SELECT set_config('lock_timeout', :wait, true)"), {"wait": previous})
    return True


def _insert_sqlite(conn: Connection, info: BatchInfo, read_with: ReadWith,
                   edges: EdgeSource, progress: Callable[[int], None] | None) -> int:
    """`executemany` of the chunks, the batch's own columns written once in the statement
    as literals: binding four constants to each of millions of rows took a third of the
    time. They are a batch id made here, a known agency code and two enum values; they
    are quoted all the same."""
    constants = ", ".join("'" + value.replace("'", "''") + "'" for value in (
        info.id, info.agency, read_with.handling.value, read_with.protection.value))
    names = ", ".join(f'"{c}"' for c in EDGE_COLUMNS)
    marks = ", ".join("?" for _ in EDGE_VALUES)
    sql = f"INSERT INTO call_edges ({names}) VALUES ({constants}, {marks})"  # noqa: S608
    raw: Any = conn.connection.driver_connection
    written = 0
    for chunk in edges.chunks():
        raw.executemany(sql, chunk)
        written += len(chunk)
        if progress:
            progress(written)
    return written


def _copy_csv(conn: Connection, blocks: Iterator[tuple[int, bytes]],
              progress: Callable[[int], None] | None) -> int:
    """COPY CSV text into `call_edges`: PostgreSQL parses it, so no value of millions of
    rows is ever made a Python object (`Database.bulk_insert` would make each one).
    Returns the number of rows."""
    names = ", ".join(f'"{c}"' for c in EDGE_COLUMNS)
    raw: Any = conn.connection.driver_connection
    done = 0
    with raw.cursor() as cur, cur.copy(
            f"COPY call_edges ({names}) FROM STDIN (FORMAT csv)") as copy:
        for rows, block in blocks:
            copy.write(block)
            done += rows
            if progress:
                progress(done)
    return done


def scope_filter(scope: RecordScope) -> ColumnElement[bool]:
    """The edges a scope sees: as `records.scope_filter`, by service and protection."""
    return records_scope(scope, call_edges)


def edges_of(conn: Connection, scope: RecordScope, numbers: Sequence[str]) -> list[CallEdge]:
    """The edges in scope where one of `numbers` (E.164) calls or is called, by month,
    then caller, then callee."""
    found: dict[int, CallEdge] = {}
    wanted = sorted(set(numbers))
    for i in range(0, len(wanted), NUMBERS_AT_ONCE):
        part = wanted[i:i + NUMBERS_AT_ONCE]
        query = select(call_edges).where(
            scope_filter(scope), or_(call_edges.c.caller.in_(part),
                                     call_edges.c.callee.in_(part)))
        for row in conn.execute(query).mappings():
            found[row["id"]] = _edge(row)
    return sorted(found.values(), key=lambda e: (e.month, e.caller, e.callee, e.id))


def all_edges(conn: Connection, scope: RecordScope | None = None) -> Iterator[CallEdge]:
    """Every edge (in scope, when one is given), in id order, streamed (a server-side
    cursor on PostgreSQL) so that millions of edges never sit in a driver buffer."""
    query = select(call_edges).order_by(call_edges.c.id)
    if scope is not None:
        query = query.where(scope_filter(scope))
    for row in conn.execute(query.execution_options(yield_per=STREAM_ROWS)).mappings():
        yield _edge(row)


def batches_of(conn: Connection, batch_ids: Iterable[str]) -> dict[str, CallBatch]:
    """The calls batches with these ids (the provenance of edges already in sight)."""
    ids = sorted(set(batch_ids))
    if not ids:
        return {}
    rows = conn.execute(_batch_query().where(batches.c.id.in_(ids))).mappings()
    return {row["id"]: _batch(row) for row in rows}


def _batch_query() -> Any:
    return select(batches, call_batches).join(call_batches,
                                              call_batches.c.batch_id == batches.c.id)


def _batch(row: Any) -> CallBatch:
    return CallBatch(
        id=row["id"], agency_code=row["agency_code"], username=row["username"],
        filename=row["filename"], file_sha256=row["file_sha256"],
        started_at=utc(row["started_at"]),
        finished_at=utc(row["finished_at"]),
        status=row["status"], rows_loaded=row["accepted"], rows_rejected=row["rejected"],
        edges=row["created"], handling=HandlingCode(row["handling"]),
        handling_condition=row["handling_condition"],
        protection=Protection(row["protection"]), time_zone=row["time_zone"],
        region=row["region"], columns=json.loads(row["columns"]))


def _edge(row: Any) -> CallEdge:
    month = as_date(row["month"])
    assert month is not None  # the column is NOT NULL
    return CallEdge(
        id=int(row["id"]), batch_id=row["batch_id"], agency_code=row["agency_code"],
        handling=HandlingCode(row["handling"]), protection=Protection(row["protection"]),
        caller=row["caller"], callee=row["callee"], month=month, calls=int(row["calls"]),
        seconds=int(row["seconds"]), first_at=utc(row["first_at"]),
        last_at=utc(row["last_at"]), days=int(row["days"]),
        cells=None if row["cells"] is None else int(row["cells"]))

