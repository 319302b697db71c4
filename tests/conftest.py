"""Fixture strategy.

Every storage test takes `db`: a fresh, migrated database holding the packaged agencies,
once on SQLite and once on PostgreSQL (the fixture is parametrized, so a storage test is
always run on both). Fresh databases are cheap: SQLite files are copied from a template
file; on PostgreSQL each test process has one database, made from a template database
and put back into the template's state before each test (`_PostgresWorkspace`); both
templates are migrated once per test process. PostgreSQL is the one on 127.0.0.1:5432 (trust auth),
or EMCO_TEST_POSTGRES_URL; it must be reachable: storage tests never skip.

Data is made through the platform's own entry points (ingestion, account creation), with
the small builders of `tests/factories.py`. Every test has the same server key (the
second factor's secrets are sealed with it), from the environment: `server_key`.
"""

import copy
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest
import sqlalchemy as sa
from hypothesis import settings

from emco.settings import Settings, get_settings
from emco.store import agencies
from emco.store.db import Database
from emco.store.migrate import upgrade

# A per-example time limit measures the machine's load, not the code: two test processes
# share two cores. Speed is measured by the benchmarks.
settings.register_profile("emco", deadline=None)
settings.load_profile("emco")

SERVER_KEY = "fw-XNcUp205piZKeR7fC0PSiPySycIRtL-bEMxOwozM="  # tests only
# Set for the whole process, before any fixture (module- and session-scoped ones too, which
# run before `server_key`), so that no test makes a key file where the tests run.
os.environ["EMCO_SECRET_KEY"] = SERVER_KEY
os.environ.pop("EMCO_SECRET_KEY_OLD", None)
T = TypeVar("T")
POSTGRES_URL = os.environ.get(
    "EMCO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def _migrate(db: Database) -> None:
    upgrade(db)
    with db.write() as conn:
        agencies.sync(conn, agencies.load_config(None))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    db = Database(f"sqlite:///{path}")
    _migrate(db)
    with db.engine.connect() as conn:  # fold the WAL into the file before copying it
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    db.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_admin() -> Iterator[sa.Engine]:
    engine = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:  # fail loudly, never skip, when PostgreSQL is down
        conn.exec_driver_sql("SELECT 1")
    yield engine
    engine.dispose()


def _pg_url(name: str) -> str:
    return sa.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_template(postgres_admin: sa.Engine) -> Iterator[str]:
    name = f"emco_tpl_{uuid.uuid4().hex[:10]}"
    with postgres_admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    db = Database(_pg_url(name))
    _migrate(db)
    db.dispose()
    yield name
    with postgres_admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass(frozen=True)
class _Contents:
    """What a PostgreSQL database holds: the rows of each table, and its sequences."""

    rows: dict[str, list[dict[str, Any]]]
    sequences: list[tuple[str, bool, int]]


class _PostgresWorkspace:
    """One database per test process, put back into the template's state before each
    test. Creating a database from a template costs half a second here (its files are
    written and synced); emptying forty small tables and writing the template's rows
    back costs a few hundredths. A test that changed the schema gets a new copy."""

    def __init__(self, admin: sa.Engine, template: str) -> None:
        self.admin = admin
        self.template = template
        self.name = f"emco_t_{uuid.uuid4().hex[:12]}"
        self.engine = sa.create_engine(_pg_url(template), poolclass=sa.pool.NullPool)
        with self.engine.connect() as conn:
            self.shape = self._shape(conn)
            meta = sa.MetaData()
            meta.reflect(conn)
        self.tables = [t for t in meta.sorted_tables if t.name != "alembic_version"]
        self.template_contents = self.capture()
        self.engine.dispose()
        self._create()

    @staticmethod
    def _shape(conn: sa.Connection) -> list[tuple[Any, ...]]:
        return [tuple(r) for r in conn.exec_driver_sql(
            "SELECT table_name, column_name, data_type, is_nullable, column_default "
            "FROM information_schema.columns WHERE table_schema = 'public' "
            "UNION ALL SELECT tablename, indexname, indexdef, '', '' FROM pg_indexes "
            "WHERE schemaname = 'public' UNION ALL SELECT 'alembic', version_num, '', '', '' "
            "FROM alembic_version ORDER BY 1, 2, 3")]

    def _create(self) -> None:
        self.engine.dispose()
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            conn.exec_driver_sql(f'CREATE DATABASE "{self.name}" TEMPLATE "{self.template}"')
        self.engine = sa.create_engine(_pg_url(self.name), poolclass=sa.pool.NullPool)

    def capture(self) -> _Contents:
        with self.engine.connect() as conn:
            rows = {t.name: [dict(r._mapping) for r in conn.execute(sa.select(t))]
                    for t in self.tables}
            sequences = conn.exec_driver_sql(
                "SELECT schemaname || '.' || sequencename, last_value IS NOT NULL, "
                "COALESCE(last_value, start_value) FROM pg_sequences").all()
        return _Contents(rows, [tuple(s) for s in sequences])

    def put(self, contents: _Contents) -> None:
        """Make the database hold exactly `contents`."""
        with self.admin.connect() as conn:  # what a test left open must not hold a lock
            conn.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()", (self.name,))
        with self.engine.begin() as conn:
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica; " + "; ".join(
                f'DELETE FROM "{table.name}"' for table in self.tables))
            for table in self.tables:
                if contents.rows[table.name]:
                    conn.execute(table.insert(), contents.rows[table.name])
            for name, called, value in contents.sequences:
                conn.exec_driver_sql("SELECT setval(%s, %s, %s)", (name, value, called))

    def fresh(self) -> str:
        with self.engine.connect() as conn:
            changed = self._shape(conn) != self.shape
        if changed:
            self._create()
        else:
            self.put(self.template_contents)
        return _pg_url(self.name)

    def close(self) -> None:
        self.engine.dispose()
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_workspace(postgres_admin: sa.Engine,
                       postgres_template: str) -> Iterator[_PostgresWorkspace]:
    workspace = _PostgresWorkspace(postgres_admin, postgres_template)
    yield workspace
    workspace.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated database with the agencies loaded; on each backend in turn."""
    if request.param == "sqlite":
        path = tmp_path / "emco.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        database = Database(f"sqlite:///{path}")
        yield database
        database.dispose()
        return
    workspace: _PostgresWorkspace = request.getfixturevalue("postgres_workspace")
    database = Database(workspace.fresh())
    yield database
    database.dispose()


_SEEDS: dict[tuple[str, str, str], tuple[Path, _Contents | None, Any]] = {}


@pytest.fixture
def seeded(request: pytest.FixtureRequest, db: Database, tmp_path: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Callable[[str, Callable[[], T]], T]:
    """`seeded(name, build)` runs `build` (which fills `db` and `tmp_path` through the
    platform's entry points) in the first test of a module, on each backend, and keeps
    what it made: the store, the files under `tmp_path` and what `build` returned. The
    module's next tests start from a copy of them instead of building again. `build`
    must return plain data (ids, names), never the store or an object holding it."""
    workspace: _PostgresWorkspace | None = (
        None if db.is_sqlite else request.getfixturevalue("postgres_workspace"))

    def once(name: str, build: Callable[[], T]) -> T:
        key = (request.module.__name__, name, db.engine.dialect.name)
        if key in _SEEDS:
            files, contents, value = _SEEDS[key]
            db.dispose()
            if workspace is not None and contents is not None:
                workspace.put(contents)
            shutil.copytree(files, tmp_path, dirs_exist_ok=True)
            return cast(T, copy.deepcopy(value))
        value = build()
        if db.is_sqlite:
            with db.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.dispose()
        files = tmp_path_factory.mktemp("seeded")
        shutil.copytree(tmp_path, files, dirs_exist_ok=True,
                        ignore=shutil.ignore_patterns("*-shm"))
        contents = workspace.capture() if workspace is not None else None
        _SEEDS[key] = (files, contents, copy.deepcopy(value))
        return value

    return once


@pytest.fixture
def settings(db: Database, tmp_path: Path) -> Settings:
    return Settings(database_url=db.url, data_dir=tmp_path / "var")


@pytest.fixture(autouse=True)
def server_key(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Second-factor secrets are sealed with the server key (`emco.access.serverkey`),
    read from the process's settings: every test starts with this one, whatever the test
    before changed, and with the settings read afresh."""
    monkeypatch.setenv("EMCO_SECRET_KEY", SERVER_KEY)
    monkeypatch.delenv("EMCO_SECRET_KEY_OLD", raising=False)
    get_settings.cache_clear()
    yield SERVER_KEY
    get_settings.cache_clear()  # leave no test's settings behind for the next


@pytest.fixture(autouse=True)
def forget_unknown_logins(monkeypatch: pytest.MonkeyPatch) -> None:
    """Failed logins of unknown usernames are counted in the process: each test starts
    with none, as a new server would."""
    from emco.access import auth

    monkeypatch.setattr(auth, "_unknown", auth._UnknownNames())
