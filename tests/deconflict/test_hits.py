"""Hit/no-hit: the answer, and what it must not leak (counts, sizes, work, time, errors)."""

import json
import statistics
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from emco.access.gate import Access
from emco.deconflict import investigations as register_
from emco.deconflict.hits import hit
from emco.deconflict.targets import InvalidTarget
from emco.errors import Forbidden
from emco.model.enums import AuditAction, InvestigationStatus, Role
from emco.resolve.service import Thresholds
from emco.settings import Settings
from emco.store import audit as audit_store
from emco.store.db import Database
from tests import factories
from tests.deconflict.conftest import case, liaison, operator
from tests.web.conftest import Resolved

THRESHOLDS = Thresholds(0.5, 0.2)
KNOWN, UNKNOWN = "06 12 34 56 78", "07 98 76 54 32"


@pytest.fixture
def held(db: Database, settings: Settings, tmp_path: Path,
         seeded: Callable[..., None]) -> Database:
    """DNPJ holds a record with a phone; OFAST holds a record of its own."""

    def build() -> None:
        for agency, entities in (
                ("DNPJ", [factories.person("d-1", "Karim BENALI", phone=KNOWN)]),
                ("OFAST", [factories.person("o-1", "Ali AMRANI", phone="0611223344")])):
            path = factories.write_jsonl(tmp_path / f"{agency}.jsonl", entities)
            factories.load(db, settings, path, agency=agency)

    seeded("held", build)
    return db


def test_a_hit_names_the_services_to_call_and_nothing_more(held: Database) -> None:
    ofast = liaison(held, "OFAST")
    found = hit(ofast, "phone", "+33612345678", "FR", THRESHOLDS)
    assert (found.hit, [c.agency for c in found.contacts]) == (True, ["DNPJ"])
    assert found.contacts[0].contact_name == "Permanence DNPJ"
    assert set(found.to_dict()) == {"kind", "key", "hit", "contacts"}
    assert set(found.to_dict()["contacts"][0]) == {"agency", "name", "contact_name", "phone",
                                                   "email"}
    assert not hit(ofast, "phone", UNKNOWN, "FR", THRESHOLDS).hit
    # Its own record is no news to OFAST; DNPJ is told of it.
    assert not hit(ofast, "phone", "0611223344", "FR", THRESHOLDS).hit
    assert [c.agency for c in hit(liaison(held, "DNPJ"), "phone", "0611223344", "FR",
                                  THRESHOLDS).contacts] == ["OFAST"]


def test_open_and_suspended_investigations_are_known_closed_ones_not(db: Database) -> None:
    inv = case(liaison(db, "DGGN"), "G-1", ("plate", "AB-123-CD")).investigation
    ofast = liaison(db, "OFAST")
    assert [c.agency for c in hit(ofast, "plate", "ab 123 cd").contacts] == ["DGGN"]
    register_.set_status(liaison(db, "DGGN"), inv.id, InvestigationStatus.SUSPENDED)
    assert hit(ofast, "plate", "AB123CD").hit
    register_.set_status(liaison(db, "DGGN"), inv.id, InvestigationStatus.CLOSED)
    assert not hit(ofast, "plate", "AB123CD").hit


def test_a_person_is_known_through_the_resolved_entity(resolved: Resolved) -> None:
    db = resolved.db
    snrp = liaison(db, "SNRP")
    amra = {"name": "Mohamed Amra", "birth_date": "1994-02-13"}
    assert [c.agency for c in hit(snrp, "person", amra, "FR", THRESHOLDS).contacts] == \
        ["OFAST"]  # his OFAST record is one entity with SNRP's own
    stranger = {"name": "Rémi Fontaine", "birth_date": "2001-04-04"}
    assert not hit(snrp, "person", stranger, "FR", THRESHOLDS).hit


def test_hit_and_no_hit_bodies_have_the_same_length(held: Database) -> None:
    for access in (liaison(held, "OFAST"), liaison(held, "SNRP"), operator(held)):
        yes = hit(access, "phone", KNOWN, "FR", THRESHOLDS)
        no = hit(access, "phone", UNKNOWN, "FR", THRESHOLDS)
        assert yes.hit
        assert not no.hit
        assert len(yes.body()) == len(no.body())
        assert len(yes.body()) % 1024 == 0
        assert json.loads(no.body())["padding"].strip() == ""
        assert json.loads(yes.body())["contacts"][0]["agency"] == "DNPJ"


@contextmanager
def _statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_hit_and_no_hit_run_the_same_statements(held: Database) -> None:
    ofast = liaison(held, "OFAST")
    hit(ofast, "phone", KNOWN)  # warm caches alike
    with _statements(held) as yes:
        assert hit(ofast, "phone", KNOWN).hit
    with _statements(held) as no:
        assert not hit(ofast, "phone", UNKNOWN).hit
    assert yes == no
    assert len(yes) > 5


def test_a_person_hit_and_no_hit_run_the_same_statements(resolved: Resolved) -> None:
    snrp = liaison(resolved.db, "SNRP")
    known = {"name": "Mohamed Amra", "birth_date": "1994-02-13"}
    unknown = {"name": "Rémi Fontaine", "birth_date": "2001-04-04"}
    hit(snrp, "person", known, "FR", THRESHOLDS)
    with _statements(resolved.db) as yes:
        assert hit(snrp, "person", known, "FR", THRESHOLDS).hit
    with _statements(resolved.db) as no:
        assert not hit(snrp, "person", unknown, "FR", THRESHOLDS).hit
    assert [s.split()[0:4] for s in yes] == [s.split()[0:4] for s in no]
    assert len(yes) == len(no)


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_hit_and_no_hit_take_the_same_time(held: Database) -> None:
    """Medians of many alternated queries, within a generous factor: robust on a busy
    two-core machine, and still catching a path that skips work when nothing is found."""
    ofast = liaison(held, "OFAST")
    timings: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(5):
        hit(ofast, "phone", KNOWN)
    for n in range(300):
        for known in ((True, False) if n % 2 else (False, True)):
            started = time.perf_counter()
            hit(ofast, "phone", KNOWN if known else UNKNOWN)
            timings[known].append(time.perf_counter() - started)
    yes, no = statistics.median(timings[True]), statistics.median(timings[False])
    assert 1 / 1.5 < yes / no < 1.5, (yes, no)


def test_every_query_is_audited_without_the_value_in_clear(held: Database) -> None:
    ofast = liaison(held, "OFAST")
    hit(ofast, "phone", KNOWN)
    hit(ofast, "phone", UNKNOWN)
    with held.read() as conn:
        rows = [r for r in audit_store.rows(conn) if r["action"] == AuditAction.HIT_QUERY]
    assert [(r["username"], r["detail"]) for r in rows] == [
        ("liaison.ofast", "hit"), ("liaison.ofast", "no hit")]
    assert json.loads(rows[0]["objects"]) == ["agency:DNPJ"]
    assert all(r["query_hash"] and "612345678" not in json.dumps(r, default=str)
               for r in rows)


def test_a_malformed_query_gets_the_same_error_whoever_asks(held: Database) -> None:
    answers = []
    for access in (liaison(held, "OFAST"), liaison(held, "DNPJ"), operator(held),
                   Access(held, factories.principal("EMCO", Role.AUDITOR))):
        with pytest.raises(InvalidTarget) as caught:
            hit(access, "phone", "06 12")
        answers.append((caught.value.status_code, caught.value.field, caught.value.message))
    assert len(set(answers)) == 1
    assert answers[0][:2] == (422, "value")
    with pytest.raises(InvalidTarget) as caught:
        hit(liaison(held, "OFAST"), "record", "1")
    assert caught.value.field == "kind"
    with pytest.raises(Forbidden):  # an auditor may not ask
        hit(Access(held, factories.principal("EMCO", Role.AUDITOR)), "phone", KNOWN)
