"""Alembic, driven from code: `emco db upgrade` and the tests call `upgrade`."""

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from emco.errors import BadInput
from emco.store.db import Database

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(db: Database) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["engine"] = db.engine
    return config


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema to `revision` (the newest by default)."""
    command.upgrade(alembic_config(db), revision)


def current_revision(db: Database) -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision(db: Database) -> str | None:
    return ScriptDirectory.from_config(alembic_config(db)).get_current_head()


def require_current(db: Database) -> None:
    """Refuse to work on a database whose schema is not the one this code expects."""
    current, head = current_revision(db), head_revision(db)
    if current != head:
        state = "not initialised" if current is None else f"at revision {current}"
        raise BadInput(f"the database is {state}, this version needs {head}: run "
                       "`emco db upgrade`", field="EMCO_DATABASE_URL")
