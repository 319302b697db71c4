"""The migrations build exactly the schema of `emco.store.tables`."""

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from emco.errors import BadInput
from emco.store.db import Database
from emco.store.migrate import current_revision, head_revision, require_current, upgrade
from emco.store.tables import metadata


def test_models_and_migrations_agree(db: Database) -> None:
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                metadata)
    assert diff == []


def test_upgrade_twice_changes_nothing(db: Database) -> None:
    upgrade(db)
    assert current_revision(db) == head_revision(db)
    require_current(db)


def test_unmigrated_database_is_refused_with_instructions(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'empty.sqlite3'}")
    with pytest.raises(BadInput, match="emco db upgrade"):
        require_current(db)
