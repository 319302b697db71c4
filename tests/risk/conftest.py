"""Fixture strategy: risk tests run on the `db` fixture of tests/conftest.py (a fresh,
migrated store on SQLite and on PostgreSQL). Records come in through ingestion as three
services would send them (`tests.factories.load`): people and the incidents (FtM Event
records with `keywords`) each service reported. Their resolved entities are then set
through the resolution store, as the network tests do, so that what is tested starts
where resolution ends; one person record (`s-u`) is deliberately left unresolved.
"""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from emco.access.gate import Access
from emco.model.enums import (
    InformationCredibility,
    Protection,
    Role,
    SourceReliability,
)
from emco.model.types import RecordMeta
from emco.settings import Settings
from emco.store import resolution
from emco.store.db import Database
from emco.store.tables import records
from tests import factories
from tests.factories import entity, person

OFAST = [
    person("o-a", "Karim ALAOUI", birthDate="1985-02-03"),
    person("o-b", "Yanis BELKACEM"),
    entity("o-e1", "Event", name="Assassinat", involved="o-a", keywords="homicide",
           date="2025-06-01"),
    entity("o-e2", "Event", name="Tirs", involved="o-b", keywords="armed_violence",
           date="2025-09-01"),
    entity("o-e3", "Event", name="Saisie", involved="o-b", keywords="seizure",
           date="2025-09-01"),
]
SNRP = [
    person("s-a", "Karim ALAOUI", birthDate="1985-02-03"),
    person("s-u", "Inconnu UNTEL"),
    entity("s-e1", "Event", name="Tentative d'évasion", involved="s-a",
           keywords="escape_attempt", date="2025-10-01"),
    entity("s-e2", "Event", name="Menaces", involved="s-a",
           keywords="threats_against_staff", date="2025-10-02"),
    entity("s-e3", "Event", name="Téléphone", involved="s-u", keywords="phone_in_cell",
           date="2025-11-01"),
]
DAP = [person("d-a", "ALAOUI Karim", birthDate="1985-02-03")]
# The two ALAOUI records and the DAP's are one man; s-u is not resolved yet.
ENTITIES = {"o-a": "E0001", "s-a": "E0001", "d-a": "E0001", "o-b": "E0002"}


@dataclass(frozen=True)
class World:
    db: Database
    operator: Access  # the staff, cleared DR
    dap: Access  # the DAP's liaison officer
    snrp: Access  # an analyst of SNRP


@pytest.fixture
def world(db: Database, settings: Settings, tmp_path: Path,
          seeded: Callable[..., None]) -> World:
    seeded("world", lambda: _world(db, settings, tmp_path))
    return World(
        db,
        Access(db, factories.principal("EMCO", Role.OPERATOR, clearance=Protection.DR,
                                       username="op.emco")),
        Access(db, factories.principal("DAP", Role.LIAISON, username="liaison.dap")),
        Access(db, factories.principal("SNRP", Role.ANALYST, username="analyst.snrp")))


def _world(db: Database, settings: Settings, tmp_path: Path) -> None:
    for agency, entities in (("OFAST", OFAST), ("SNRP", SNRP), ("DAP", DAP)):
        path = factories.write_jsonl(tmp_path / f"{agency.lower()}.jsonl", entities)
        meta = RecordMeta(reliability=SourceReliability.B,
                          credibility=InformationCredibility("2"))  # B2: 0.64
        summary = factories.load(db, settings, path, agency=agency, defaults=meta)
        assert summary.accepted == len(entities), summary.first_errors
    with db.write() as conn:
        ids = {source: rid for rid, source in conn.execute(
            records.select().with_only_columns(records.c.id, records.c.source_id))}
        rows = [(ids[s], ENTITIES.get(s, f"E9{ids[s]:03d}")) for s in sorted(ids)
                if s != "s-u"]
        resolution.replace_entities(db, conn, rows)
