"""Fixture strategy: the joint-graph tests run on the `db` fixture of tests/conftest.py
(a fresh, migrated store on SQLite and on PostgreSQL). Records come in through ingestion
as two services would send them (`tests.factories.load`); their resolved entities are
then set through the resolution store (one entity per person, Karim ALAOUI of OFAST and
of SNRP being one), so that these tests do not depend on a trained model: what they test
starts where resolution ends. The analysis tests need no database: they read the real
covert networks through `tests.network.covert`.
"""

from dataclasses import dataclass
from pathlib import Path

import pytest

from emco.access.gate import Access
from emco.model.enums import Protection, Role
from emco.settings import Settings
from emco.store import resolution
from emco.store.db import Database
from emco.store.tables import records
from tests import factories
from tests.factories import entity, person

OFAST = [
    person("o-a", "Karim ALAOUI", birthDate="1985-02-03", nationality="ma"),
    person("o-b", "Yanis BELKACEM"),
    person("o-c", "Samir CHERIF"),
    person("o-d", "Dylan DURAND"),
    person("o-e", "Eric ETIENNE"),
    entity("o-v", "Vehicle", registrationNumber="AB-123-CD"),
    entity("o-l1", "Associate", person="o-a", associate="o-b", startDate="2024-03-01"),
    entity("o-l2", "Family", person="o-b", relative="o-c"),
    entity("o-l3", "Call", caller="o-c", receiver="o-d", startDate="2024-05-02"),
    entity("o-l4", "Ownership", owner="o-a", asset="o-v"),
    entity("o-l5", "Ownership", owner="o-e", asset="o-v"),
    entity("o-l6", "Payment", payer="o-d", beneficiary="o-a", amount="20000",
           date="2024-06-01"),
    entity("o-l7", "Associate", person="o-c", associate="o-d"),
    entity("o-ev", "Event", name="Règlement de comptes", involved="o-a",
           keywords="homicide", date="2024-01-10"),
    entity("o-ev2", "Event", name="Go-fast", involved=["o-c", "o-e"],
           keywords="co_offending", date="2024-04-20"),
]
SNRP = [
    person("s-a", "Karim ALAOUI", birthDate="1985-02-03"),
    person("s-x", "Xavier XU", phone="+33622222222"),
    person("s-y", "Yves YACINE", phone="06 22 22 22 22"),
    entity("s-l1", "Associate", person="s-a", associate="s-x"),
    entity("s-l2", "Associate", person="s-a", associate="s-y"),
]
# The resolved entity of each person record: the two ALAOUI records are one man.
ENTITIES = {"o-a": "E0001", "s-a": "E0001", "o-b": "E0002", "o-c": "E0003",
            "o-d": "E0004", "o-e": "E0005", "o-v": "E0006", "s-x": "E0007", "s-y": "E0008"}


@dataclass(frozen=True)
class Linked:
    db: Database
    operator: Access  # the staff, cleared DR: every service's records
    snrp: Access  # an analyst of SNRP: SNRP's records only
    ofast: Access


@pytest.fixture
def linked(db: Database, settings: Settings, tmp_path: Path) -> Linked:
    for agency, entities in (("OFAST", OFAST), ("SNRP", SNRP)):
        path = factories.write_jsonl(tmp_path / f"{agency.lower()}.jsonl", entities)
        summary = factories.load(db, settings, path, agency=agency)
        assert summary.accepted == len(entities), summary.first_errors
    with db.write() as conn:
        ids = {source: rid for rid, source in conn.execute(
            records.select().with_only_columns(records.c.id, records.c.source_id))}
        rows = [(ids[source], ENTITIES.get(source, f"E9{ids[source]:03d}"))
                for source in sorted(ids)]
        resolution.replace_entities(db, conn, rows)
    return Linked(
        db,
        Access(db, factories.principal("EMCO", Role.OPERATOR, clearance=Protection.DR,
                                       username="op.emco")),
        Access(db, factories.principal("SNRP", Role.ANALYST, username="analyst.snrp")),
        Access(db, factories.principal("OFAST", Role.ANALYST, username="analyst.ofast")))
