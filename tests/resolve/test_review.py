"""How the review page lines up two records' facts (pure functions: no store), and whose
pairs a reviewer's queue holds (on both stores)."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from emco.access.gate import Access
from emco.access.handling import decide, request, withdraw
from emco.model.enums import Protection, Role, Verdict
from emco.model.types import Fact
from emco.resolve.review import Agreement, align, queue
from emco.resolve.service import overview
from emco.settings import Settings
from emco.store import resolution, risk
from emco.store.db import Database
from emco.store.tables import records
from tests.factories import entity, load, person, principal, write_jsonl
from tests.resolve.conftest import THRESHOLDS


def fact(prop: str, value: str, prop_type: str = "string") -> Fact:
    return Fact(prop, prop.capitalize(), prop_type, value, value)


@pytest.mark.parametrize(("left", "right", "agreement"), [
    (["Mohamed AMRA"], ["AMRA Mohamed"], Agreement.SAME),  # word order and case
    (["Mohamed AMRA", "Momo"], ["AMRA Mohamed"], Agreement.PARTLY),
    (["Lucas MARTIN"], ["Lucas MARTINS"], Agreement.ALIKE),  # a typing error
    (["Lucas MARTIN"], ["Nadia CHERIF"], Agreement.DIFFERENT),
])
def test_names_agree_regardless_of_order_case_and_typing_errors(
        left: list[str], right: list[str], agreement: Agreement) -> None:
    [aligned] = align([fact("name", v, "name") for v in left],
                      [fact("name", v, "name") for v in right])
    assert aligned.agreement == agreement
    assert (aligned.left, aligned.right) == (left, right)


def test_properties_keep_the_left_records_order_then_the_rights() -> None:
    aligned = align([fact("name", "Karim BELKACEM", "name"), fact("birthDate", "1987-05-14")],
                    [fact("phone", "+33612345678"), fact("name", "BELKACEM Karim", "name")])
    assert [(a.prop, a.agreement) for a in aligned] == [
        ("name", Agreement.SAME), ("birthDate", Agreement.LEFT_ONLY),
        ("phone", Agreement.RIGHT_ONLY)]
    assert [a.label for a in aligned] == ["Name", "Birthdate", "Phone"]


# --- the queue's scope: a service's own records and those passed to it ------------------------

def test_a_queue_holds_a_pair_with_a_record_passed_to_the_service(
        db: Database, settings: Settings, tmp_path: Path) -> None:
    """DAP's operator reviews a pair of its record and SNRP's H2 record only while a
    request to pass that record to DAP stands approved."""
    for agency, rows in (("SNRP", [entity("s-y", "Person", meta={"handling": "H2"},
                                          name="Yanis SECRET")]),
                         ("DAP", [person("d-y", "Yanis SECRET")])):
        load(db, settings, write_jsonl(tmp_path / f"{agency}.jsonl", rows), agency)
    with db.write() as conn:
        ids = {s: int(r) for r, s in conn.execute(sa.select(records.c.id,
                                                              records.c.source_id))}
        resolution.add_judgements(db, conn, [(
            ids["s-y"], ids["d-y"], Verdict.UNSURE, 0.3, "model:1",
            json.dumps({"match_weight": -1.2, "parts": []}))])
    staff = Access(db, principal("EMCO", Role.OPERATOR, clearance=Protection.DR))
    snrp = Access(db, principal("SNRP", Role.LIAISON, username="liaison.snrp"))

    def pairs() -> list[tuple[int, int]]:
        dap = Access(db, principal("DAP", Role.OPERATOR))  # its scope read afresh
        return [(i.left.record.summary.id, i.right.record.summary.id)
                for i in queue(dap, THRESHOLDS)]

    assert [i.probability for i in queue(staff, THRESHOLDS)] == [0.3]  # the staff sees it
    assert pairs() == []
    asked = request(staff, ids["s-y"], kind="disseminate", for_agency="DAP", motif="m")
    assert pairs() == []  # pending
    withdraw(staff, asked.id)
    refused = request(staff, ids["s-y"], kind="disseminate", for_agency="DAP", motif="m")
    decide(snrp, refused.id, approve=False)
    assert pairs() == []
    granted = request(staff, ids["s-y"], kind="disseminate", for_agency="DAP", motif="m")
    decide(snrp, granted.id, approve=True)
    assert pairs() == [(min(ids.values()), max(ids.values()))]
    dnpj = Access(db, principal("DNPJ", Role.OPERATOR))  # passed to DAP, not to DNPJ
    assert queue(dnpj, THRESHOLDS) == []


# --- the queue's order: danger, then two services, then the likeliest ------------------------

def test_the_most_dangerous_first_then_two_services_then_the_likeliest(
        db: Database, settings: Settings, tmp_path: Path) -> None:
    """Three pairs the model doubts: two records of OFAST (the likeliest, 0.45), one of
    OFAST and one of DAP (0.3), and two of SNRP about a man the latest assessment rates
    high (0.25). The staff reads them in the reverse order of their scores. A service's
    operator is not shown the level: it weighs other services' records."""
    files = {"OFAST": [person("o-1", "Lucas MARTIN"), person("o-2", "Lucas MARTINS"),
                       person("o-3", "Paul ROUX")],
             "DAP": [person("d-3", "Paul ROUSSE")],
             "SNRP": [person("s-4", "Karim ALAOUI"), person("s-5", "Karim ALAOUY")]}
    for agency, rows in files.items():
        load(db, settings, write_jsonl(tmp_path / f"{agency}.jsonl", rows), agency)
    with db.write() as conn:
        ids = {s: int(r) for r, s in conn.execute(sa.select(records.c.id,
                                                              records.c.source_id))}
        resolution.replace_entities(db, conn, [(ids[s], f"E000{n}") for n, s in enumerate(
            ["o-1", "o-2", "o-3", "d-3", "s-4", "s-5"], start=1)])
        resolution.add_judgements(db, conn, [
            (min(ids[a], ids[b]), max(ids[a], ids[b]), Verdict.UNSURE, score, "model:1",
             json.dumps({"match_weight": 0.0, "parts": []}))
            for a, b, score in (("o-1", "o-2", 0.45), ("o-3", "d-3", 0.3),
                                ("s-4", "s-5", 0.25))])

    def order(access: Access) -> list[tuple[float | None, str | None]]:
        return [(i.probability, i.danger) for i in queue(access, THRESHOLDS)]

    staff = Access(db, principal("EMCO", Role.OPERATOR, clearance=Protection.DR))
    assert order(staff) == [(0.3, None), (0.45, None), (0.25, None)]  # nobody assessed
    with db.write() as conn:
        old = risk.start_run(conn, "op.emco", datetime(2026, 1, 1, tzinfo=UTC), "1")
        new = risk.start_run(conn, "op.emco", datetime(2026, 2, 1, tzinfo=UTC), "1")
        risk.write_assessments(db, conn, [
            (old, "E0001", 0.9, "critical", "[]", "[]", "1", datetime(2026, 1, 1, tzinfo=UTC)),
            (new, "E0005", 0.6, "high", "[]", "[]", "1", datetime(2026, 2, 1, tzinfo=UTC)),
            (new, "E0003", 0.1, "low", "[]", "[]", "1", datetime(2026, 2, 1, tzinfo=UTC))])
    # E0001's "critical" is of an older run: the latest one rated it nothing.
    assert order(staff) == [(0.25, "high"), (0.3, "low"), (0.45, None)]
    snrp = Access(db, principal("SNRP", Role.OPERATOR))
    assert order(snrp) == [(0.25, None)]  # its own pair, without the staff's level


def test_a_pair_sent_to_review_above_the_match_threshold_waits_too(
        db: Database, settings: Settings, tmp_path: Path) -> None:
    """Alike by the names alone, a pair may score above the match threshold and still be
    left to an operator (`service.classify`): it waits like the others, in the queue and
    in its count. A doubt scored below the review threshold does not."""
    load(db, settings, write_jsonl(tmp_path / "ofast.jsonl", [
        person("o-1", "Lucas MARTIN"), person("o-2", "Lucas MARTIN"),
        person("o-3", "Luc MARTINEZ")]), "OFAST")
    with db.write() as conn:
        ids = {s: int(r) for r, s in conn.execute(sa.select(records.c.id,
                                                              records.c.source_id))}
        resolution.add_judgements(db, conn, [
            (ids["o-1"], ids[other], Verdict.UNSURE, score, "model:1",
             json.dumps({"match_weight": 0.0, "parts": []}))
            for other, score in (("o-2", 0.93), ("o-3", 0.1))])
    staff = Access(db, principal("EMCO", Role.OPERATOR, clearance=Protection.DR))
    assert [i.probability for i in queue(staff, THRESHOLDS)] == [0.93]
    assert overview(staff, THRESHOLDS).to_review == 1
