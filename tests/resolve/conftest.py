"""Fixture strategy.

Resolution is tested on a small generated scenario (seed 7, scale 0.34: about 1,400
records, 170 of them people), generated once per test process. Its people's features are
computed once (loaded into a private SQLite file made from the migrated template) and a
model is trained once on them with Splink: `scenario_people` and `trained`.

Storage tests take the `db` fixture (a fresh database on each backend). Training takes
seconds, so those that are not about training store the once-trained model before they
resolve (`seed_model`): the batch then only scores, as it does whenever a model exists.
The tests about training itself (`resolve(full=True)` on a store without a model) train.
"""

import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from emco.access.gate import Access
from emco.demo.generate import generate
from emco.demo.load import load_folder
from emco.ingest.pipeline import ingest
from emco.model.enums import Protection, Role
from emco.model.types import RecordScope
from emco.resolve import model
from emco.resolve.features import person_features
from emco.resolve.service import Thresholds
from emco.store import resolution as repo
from emco.store.db import Database
from tests.factories import principal

THRESHOLDS = Thresholds(match=0.5, review=0.2)  # the settings' defaults
NAMES_ALONE = Thresholds(match=0.5, review=0.2, names_alone_to_review=True)
EVERYTHING = RecordScope(None, frozenset({Protection.NP, Protection.DR}))
Trained = tuple[dict[str, Any], dict[str, dict[str, float]]]  # Splink settings, frequencies


@pytest.fixture(scope="session")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("resolve-scenario") / "scenario"
    generate(7, 0.34, out)
    return out


def load_scenario(db: Database, folder: Path, quarantine: Path) -> None:
    """Every file of the scenario, each ingested by its own service."""
    results = load_folder(db, folder, lambda access, request: ingest(
        access, request, region="FR", retention_years=20, quarantine_dir=quarantine,
        chunk_size=5000, workers=0))
    for entry, summary in results:
        assert summary.rejected == 0, (entry.agency, summary.first_errors)


def operator(db: Database) -> Access:
    """An operator of the coordination staff, cleared DR: sees every record."""
    return Access(db, principal("EMCO", Role.OPERATOR, clearance=Protection.DR))


def people_rows(db: Database) -> dict[int, dict[str, Any]]:
    """The model's input row of every person record, computed from the stored facts."""
    with db.read() as conn:
        return {rid: person_features(rid, agency, facts).row()
                for block in repo.resolvable(conn, EVERYTHING, ["Person"], False, "test")
                for rid, agency, _schema, _digest, facts in block}


def usable(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if r["fn"] or r["sn"] or r["phones"] or r["ids"]]


@pytest.fixture(scope="session")
def scenario_people(scenario: Path, sqlite_template: Path,
                    tmp_path_factory: pytest.TempPathFactory) -> dict[int, dict[str, Any]]:
    """Features of the scenario's people, by record id (as the store numbers them)."""
    folder = tmp_path_factory.mktemp("people")
    shutil.copy(sqlite_template, folder / "people.sqlite3")
    db = Database(f"sqlite:///{folder / 'people.sqlite3'}")
    try:
        load_scenario(db, scenario, folder / "quarantine")
        return people_rows(db)
    finally:
        db.dispose()


@pytest.fixture(scope="session")
def people_frame(scenario_people: dict[int, dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(usable(scenario_people.values()))


@pytest.fixture(scope="session")
def trained(people_frame: pd.DataFrame) -> Trained:
    """Splink settings trained on the scenario's people, and their term frequencies."""
    return model.train(people_frame), model.term_frequencies(people_frame)


def seed_model(db: Database, trained: Trained) -> int:
    """Store the once-trained model, as a first batch would have; returns its version."""
    settings, tf = trained
    with db.write() as conn:
        return repo.save_model(conn, "person", 100, settings, tf)

