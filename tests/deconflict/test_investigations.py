"""The register of investigations: who registers and sees what, and bad input refused with
its field named and nothing half-written (both backends)."""

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select

from emco.deconflict.investigations import (
    add_target,
    find,
    listing,
    new_investigation,
    read,
    register,
    remove_target,
    set_status,
)
from emco.deconflict.targets import parse_target
from emco.errors import BadInput, Conflict, EmcoError, Forbidden, NotFound
from emco.model.enums import AuditAction, InvestigationStatus, Protection, Role
from emco.settings import Settings
from emco.store import audit as audit_store
from emco.store.db import Database
from emco.store.tables import investigations, targets
from tests import factories
from tests.deconflict.conftest import case, liaison, operator


def _count(db: Database, table: object) -> int:
    with db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_liaison_registers_its_own_service_case_with_targets(db: Database) -> None:
    view = case(liaison(db, "OFAST"), "OFAST-2026-042", ("phone", "06 12 34 56 78"),
                ("person", {"name": "Karim BENALI", "birth_date": "1988-05-02"}),
                court="TJ Marseille", prosecutor="JIRS Marseille", opened=date(2026, 1, 5))
    inv = view.investigation
    assert (inv.agency, inv.reference, inv.status) == ("OFAST", "OFAST-2026-042",
                                                       InvestigationStatus.OPEN)
    assert (inv.court, inv.opened, inv.contact.email) == ("TJ Marseille", date(2026, 1, 5),
                                                          "chef@ofast.invalid")
    assert [t.key for t in view.targets] == ["+33612345678", "benali karim|1988-05-02"]
    again = read(liaison(db, "OFAST"), inv.id)
    assert [t.id for t in again.targets] == [t.id for t in view.targets]
    with db.read() as conn:
        rows = audit_store.rows(conn)
        actions = [r["action"] for r in rows]
    assert AuditAction.INVESTIGATION_WRITE.value in actions


def test_each_service_sees_its_own_cases_and_the_staff_sees_all(db: Database) -> None:
    case(liaison(db, "OFAST"), "O-1")
    case(liaison(db, "DNPJ"), "D-1")
    case(liaison(db, "DNPJ", Protection.DR), "D-2", protection=Protection.DR)
    assert [i.reference for i in listing(liaison(db, "OFAST"))] == ["O-1"]
    assert [i.reference for i in listing(liaison(db, "DNPJ"))] == ["D-1"]  # D-2 is DR
    assert [i.reference for i in listing(liaison(db, "DNPJ", Protection.DR))] == ["D-2", "D-1"]
    assert sorted(i.reference for i in listing(operator(db))) == ["D-1", "D-2", "O-1"]
    analyst = factories.principal("OFAST", Role.ANALYST)
    from emco.access.gate import Access

    assert [i.reference for i in listing(Access(db, analyst))] == ["O-1"]


def test_another_service_case_is_not_found_in_the_same_words_as_none(db: Database) -> None:
    theirs = case(liaison(db, "DNPJ"), "D-1").investigation
    ofast = liaison(db, "OFAST")
    messages = []
    for missing in (theirs.id, 9999):
        with pytest.raises(NotFound) as caught:
            read(ofast, missing)
        messages.append(caught.value.message.replace(str(missing), "N"))
    assert messages[0] == messages[1]
    with pytest.raises(NotFound):
        add_target(ofast, theirs.id, parse_target("phone", "0612345678", "FR"))
    with pytest.raises(NotFound):
        find(ofast, "DNPJ:D-1")
    assert find(liaison(db, "DNPJ"), "dnpj:D-1") == theirs.id


def test_a_liaison_registers_for_its_own_service_only(db: Database) -> None:
    with pytest.raises(Forbidden) as caught:
        case(liaison(db, "OFAST"), "D-9", agency="DNPJ")
    assert caught.value.field == "agency"
    assert "DNPJ" in caught.value.message
    staff = case(operator(db), "D-9", ("phone", "0612345678"), agency="DNPJ")
    assert staff.investigation.agency == "DNPJ"


@pytest.mark.parametrize(("fields", "error", "field"), [
    ({"agency": "NOPE"}, BadInput, "agency"),
    ({"reference": " "}, BadInput, "reference"),
    ({"title": ""}, BadInput, "title"),
    ({"contact_name": ""}, BadInput, "contact_name"),
    ({"contact_phone": "call the desk"}, BadInput, "contact_phone"),
    ({"contact_email": "nobody"}, BadInput, "contact_email"),
    ({"protection": "TS"}, BadInput, "protection"),
    ({"opened": date(2999, 1, 1)}, BadInput, "opened"),
    ({"reference": "x" * 101}, BadInput, "reference"),
    ({"court": "TJ\x00"}, BadInput, "court"),
    ({"protection": "DR"}, Forbidden, "protection"),  # an NP liaison
])
def test_bad_input_names_the_field_and_writes_nothing(
        db: Database, fields: dict[str, object], error: type[EmcoError], field: str) -> None:
    values: dict[str, object] = {"agency": "OFAST", "reference": "O-1", "title": "Trafic",
                                 "contact_name": "Cdt Durand"}
    values.update(fields)
    access = liaison(db, "OFAST")
    target = [parse_target("phone", "0612345678", "FR")]
    with pytest.raises(error) as caught:
        register(access, new_investigation(**values), target)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert caught.value.status_code < 500
    assert _count(db, investigations) == 0
    assert _count(db, targets) == 0


def test_a_duplicate_reference_is_a_conflict_and_writes_nothing(db: Database) -> None:
    case(liaison(db, "OFAST"), "O-1")
    with pytest.raises(Conflict) as caught:
        case(liaison(db, "OFAST"), "O-1", ("phone", "0612345678"))
    assert caught.value.field == "reference"
    assert "O-1" in caught.value.message
    assert _count(db, investigations) == 1
    assert _count(db, targets) == 0
    case(liaison(db, "DNPJ"), "O-1")  # unique per service only


def test_a_refused_target_leaves_nothing_of_the_registration(db: Database, settings: Settings,
                                                              tmp_path: Path) -> None:
    path = factories.write_jsonl(tmp_path / "dnpj.jsonl", [factories.person("d-1", "X Y")])
    factories.load(db, settings, path, agency="DNPJ")
    with db.read() as conn:
        theirs = conn.execute(select(func.max(targets.c.id))).scalar()
    assert theirs is None
    with pytest.raises(NotFound) as caught:  # DNPJ's record: out of OFAST's sight
        case(liaison(db, "OFAST"), "O-1", ("phone", "0612345678"), ("record", "1"))
    assert caught.value.field == "targets[1]"
    assert _count(db, investigations) == 0
    assert _count(db, targets) == 0


def test_no_target_on_a_closed_case_until_it_is_reopened(db: Database) -> None:
    access = liaison(db, "OFAST")
    inv = case(access, "O-1").investigation
    closed = set_status(access, inv.id, InvestigationStatus.CLOSED)
    assert closed.status == InvestigationStatus.CLOSED
    with pytest.raises(Conflict) as caught:
        add_target(access, inv.id, parse_target("phone", "0612345678", "FR"))
    assert (caught.value.field, "closed" in caught.value.message) == ("status", True)
    set_status(access, inv.id, InvestigationStatus.OPEN)
    assert add_target(access, inv.id, parse_target("phone", "0612345678", "FR")).id


def test_targets_are_unique_in_a_case_and_removal_is_soft(db: Database) -> None:
    access = liaison(db, "OFAST")
    inv = case(access, "O-1", ("phone", "06 12 34 56 78")).investigation
    with pytest.raises(Conflict):
        add_target(access, inv.id, parse_target("phone", "+33612345678", "FR"))
    target = read(access, inv.id).targets[0]
    remove_target(access, inv.id, target.id)
    assert read(access, inv.id).targets == []
    with pytest.raises(NotFound):
        remove_target(access, inv.id, target.id)
    assert _count(db, targets) == 1  # kept, marked removed
    add_target(access, inv.id, parse_target("phone", "+33612345678", "FR"))


def test_an_analyst_reads_but_does_not_register(db: Database) -> None:
    from emco.access.gate import Access

    analyst = Access(db, factories.principal("OFAST", Role.ANALYST))
    with pytest.raises(Forbidden):
        case(analyst, "O-1")
    with pytest.raises(BadInput):
        find(analyst, "O-1")  # neither an id nor AGENCY:REFERENCE
