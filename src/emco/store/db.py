"""Connections to the store. SQLite and PostgreSQL differ only in this package."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, overload

from sqlalchemy import Connection, Engine, Table, create_engine, event, make_url

from emco.errors import BadInput

ANALYSIS_LIMIT = 1000  # rows SQLite's ANALYZE reads per index: a second at a million records
ANALYZE_AFTER = 1000  # a batch or a resolution that changed this many records calls `analyze`


class Database:
    """One store: an engine, plus transactions that behave alike on both backends."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A transaction for reading (and for writes that need no chain lock)."""
        with self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """A write transaction. On SQLite it takes the write lock at once (BEGIN IMMEDIATE)
        so that a transaction that reads before it writes is never refused midway."""
        with self.engine.connect() as conn:
            conn.execution_options(emco_write=True)
            with conn.begin():
                yield conn

    def analyze(self) -> None:
        """Refresh the planner's statistics, after a write that changed much (a batch, a
        resolution). SQLite keeps none until asked, and without them it may start a
        join from the wrong table: the search for the entities linked to one entity
        read every link record (250 ms rather than 5 ms at 100,000 records). SQLite
        samples at most `ANALYSIS_LIMIT` rows per index; PostgreSQL its own sample."""
        if self.is_sqlite:
            with self.write() as conn:
                conn.exec_driver_sql(f"PRAGMA analysis_limit={ANALYSIS_LIMIT}")
                conn.exec_driver_sql("ANALYZE")
            return
        with self.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.commit()

    def bulk_insert(self, conn: Connection, table: Table, columns: Sequence[str],
                    rows: Sequence[Sequence[Any]]) -> None:
        """Insert many rows fast: COPY on PostgreSQL, executemany on SQLite."""
        if not rows:
            return
        names = ", ".join(f'"{c}"' for c in columns)
        if self.is_sqlite:
            marks = ", ".join("?" for _ in columns)
            raw = conn.connection.driver_connection
            assert raw is not None
            # Table and column names come from our own metadata, never from input.
            sql = f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})'  # noqa: S608
            raw.executemany(sql, rows)
            return
        raw_pg: Any = conn.connection.driver_connection
        with raw_pg.cursor() as cur, cur.copy(
            f'COPY "{table.name}" ({names}) FROM STDIN'
        ) as copy:
            for row in rows:
                copy.write_row(row)

    def timestamp(self, value: datetime) -> Any:
        """A UTC time as a bulk insert takes it: SQLite keeps the naive text SQLAlchemy
        reads back, PostgreSQL the aware value."""
        if not self.is_sqlite:
            return value
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")

    def dispose(self) -> None:
        self.engine.dispose()


WRITE_CACHE = -65536  # KiB: 64 MB
READ_CACHE = -8192  # 8 MB


def make_engine(url: str) -> Engine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            folder = Path(parsed.database).parent
            if not folder.exists():
                folder.mkdir(parents=True, exist_ok=True)
        # LIFO: the connection just used (its page cache warm) is the one used next, and
        # the others stay idle rather than each filling a cache of its own.
        engine = create_engine(url, connect_args={"timeout": 30}, pool_use_lifo=True)
        _configure_sqlite(engine)
        return engine
    if parsed.get_backend_name() == "postgresql":
        if parsed.drivername == "postgresql":
            parsed = parsed.set(drivername="postgresql+psycopg")
        # Statements run often are prepared on the server (psycopg's default: from the
        # fifth run), which spares parsing and planning them again: most of the time of
        # a search that reads a few rows through a long statement (the operations' check,
        # p95 14 ms with every run planned, 6 ms prepared). A plan made while a table was
        # small is made again once its statistics change: `analyze` after large writes,
        # and autovacuum's.
        return create_engine(parsed, pool_pre_ping=True)
    raise BadInput(
        f"EMCO_DATABASE_URL: unsupported database {parsed.get_backend_name()!r}; "
        "use sqlite:///path or postgresql+psycopg://user@host/db",
        field="EMCO_DATABASE_URL",
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event, not the driver, open transactions.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        # Checkpoint every 40 MB of log rather than 4 MB: a page changed by several
        # commits in between is copied into the database once.
        cur.execute("PRAGMA wal_autocheckpoint=10000")
        cur.close()

    @event.listens_for(engine, "begin")
    def on_begin(conn: Connection) -> None:
        write = conn.get_execution_options().get("emco_write", False)
        # Writers (one at a time) get a large page cache, as bulk loads touch index pages
        # at random; readers a small one, so that idle connections hold little memory.
        conn.exec_driver_sql(f"PRAGMA cache_size={WRITE_CACHE if write else READ_CACHE}")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


@overload
def utc(value: datetime) -> datetime: ...
@overload
def utc(value: None) -> None: ...
def utc(value: datetime | None) -> datetime | None:
    """A stored time as an aware UTC datetime (None stays None). Every time is stored and
    compared in UTC: SQLite keeps a datetime's text without its offset and hands back
    naive values."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
