"""Fixture strategy.

Every storage test takes `db`: a fresh, migrated database holding the packaged agencies,
once on SQLite and once on PostgreSQL (the fixture is parametrized, so a storage test is
always run on both). Fresh databases are cheap copies: SQLite files are copied from a
template file, PostgreSQL databases are created from a template database; both templates
are migrated once per test process. PostgreSQL is the one on 127.0.0.1:5432 (trust auth),
or EMCO_TEST_POSTGRES_URL; it must be reachable: storage tests never skip.

Data is made through the platform's own entry points (ingestion, account creation), with
the small builders of `tests/factories.py`. Every test has the same server key (the
second factor's secrets are sealed with it), from the environment: `server_key`.
"""

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

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
    admin: sa.Engine = request.getfixturevalue("postgres_admin")
    template = request.getfixturevalue("postgres_template")
    name = f"emco_t_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    database = Database(_pg_url(name))
    yield database
    database.dispose()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
