"""Handling codes enforced: passing an H2 record with its owner's permission (and what the
grant opens), the refusals, what derived views tell other services of H2 facts, the
judicial export's H1 rule, and the motif required to look at a person's data."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from emco.access.gate import Access
from emco.access.handling import decide, listing, request, withdraw
from emco.access.judicial import export
from emco.access.records import read, search
from emco.alerts.service import inbox
from emco.errors import BadInput, Conflict, Forbidden, NotFound
from emco.model.enums import HandlingStatus, Protection, Role
from emco.resolve.review import record_entity
from emco.risk.assess import assess_all
from emco.risk.review import declare, explain
from emco.settings import Settings
from emco.store import resolution
from emco.store.db import Database
from emco.store.tables import audit_events, records
from tests.factories import entity, load, person, principal, write_jsonl

WHY = {"motif": "vérification d'identité", "case_ref": "PARQUET-2025-001"}
SNRP = [
    person("s-a", "Karim ALAOUI", birthDate="1985-02-03"),  # H0 (the batch's default)
    entity("s-e1", "Event", meta={"handling": "H2", "reliability": "A", "credibility": "1"},
           name="Tentative d'évasion",
           involved="s-a", keywords="escape_attempt", date="2025-10-01"),
    entity("s-h2", "Person", meta={"handling": "H2"}, name="Yanis SECRET"),
    entity("s-h1", "Person", meta={"handling": "H1"}, name="Karim ALAOUI",
           birthDate="1985-02-03"),
    entity("s-h3", "Person", meta={"handling": "H3", "condition": "pas de diffusion à l'AP"},
           name="Karim ALAOUI"),
]
DAP = [person("d-a", "ALAOUI Karim", birthDate="1985-02-03")]
ENTITIES = {"s-a": "E0001", "d-a": "E0001", "s-h1": "E0001", "s-h3": "E0001"}


@dataclass(frozen=True)
class World:
    db: Database
    ids: dict[str, int]
    operator: Access  # the staff's operator
    snrp: Access  # the owner's liaison officer
    dap: Access  # another service's liaison officer
    dnpj: Access


@pytest.fixture
def world(db: Database, settings: Settings, tmp_path: Path,
          seeded: Callable[..., dict[str, int]]) -> World:
    ids = seeded("world", lambda: _world(db, settings, tmp_path))
    return World(db, ids,
                 Access(db, principal("EMCO", Role.OPERATOR, clearance=Protection.DR,
                                      username="op.emco")),
                 Access(db, principal("SNRP", Role.LIAISON, username="liaison.snrp")),
                 Access(db, principal("DAP", Role.LIAISON, username="liaison.dap")),
                 Access(db, principal("DNPJ", Role.LIAISON, username="liaison.dnpj")))


def _world(db: Database, settings: Settings, tmp_path: Path) -> dict[str, int]:
    for agency, rows in (("SNRP", SNRP), ("DAP", DAP)):
        summary = load(db, settings, write_jsonl(tmp_path / f"{agency}.jsonl", rows), agency)
        assert summary.accepted == len(rows), summary.first_errors
    with db.write() as conn:
        ids = {s: int(r) for r, s in conn.execute(sa.select(records.c.id,
                                                              records.c.source_id))}
        resolution.replace_entities(db, conn, [(ids[s], e) for s, e in ENTITIES.items()])
    return ids


def fresh(access: Access) -> Access:
    """The same principal with its scope read again (the gate caches it per access)."""
    return Access(access.db, access.principal)


def audit_rows(db: Database, action: str) -> list[dict[str, Any]]:
    with db.read() as conn:
        return [dict(r) for r in conn.execute(sa.select(audit_events).where(
            audit_events.c.action == action).order_by(audit_events.c.seq)).mappings()]


# --- dissemination ---------------------------------------------------------------------------

def test_an_h2_record_reaches_another_service_once_its_owner_approves(world: World) -> None:
    h2 = world.ids["s-h2"]
    assert search(world.dap, "Yanis SECRET", region="FR", **WHY).total == 0
    asked = request(world.operator, h2, kind="disseminate", for_agency="dap",
                    motif="transfert du détenu", case_ref="DAP-2025-9")
    assert (asked.status, asked.owner_agency, asked.for_agency) == (
        HandlingStatus.PENDING, "SNRP", "DAP")
    with pytest.raises(NotFound):  # not yet
        read(fresh(world.dap), h2, **WHY)
    assert [r.id for r in listing(world.snrp).to_decide] == [asked.id]
    assert [r.id for r in listing(world.operator).mine] == [asked.id]
    done = decide(world.snrp, asked.id, approve=True, note="pour le transfert")
    assert (done.status, done.decided_by, done.decision_note) == (
        HandlingStatus.APPROVED, "liaison.snrp", "pour le transfert")
    dap = fresh(world.dap)
    assert [r.id for r in search(dap, "Yanis SECRET", region="FR", **WHY).records] == [h2]
    assert read(dap, h2, **WHY).summary.id == h2
    # ... and to nobody else
    with pytest.raises(NotFound):
        read(fresh(world.dnpj), h2, **WHY)
    rows = audit_rows(world.db, "handling:request:create")
    assert rows[-1]["outcome"] == "ok"
    assert rows[-1]["motif"] == "transfert du détenu"
    assert f"record:{h2}" in rows[-1]["objects"]
    assert audit_rows(world.db, "handling:request:decide")[-1]["outcome"] == "ok"


def test_a_record_not_h2_is_passed_at_once(world: World) -> None:
    rid = world.ids["s-a"]
    granted = request(world.operator, rid, kind="disseminate", for_agency="DAP",
                      motif="coordination")
    assert (granted.status, granted.decided_by) == (HandlingStatus.APPROVED, "op.emco")
    assert read(fresh(world.dap), rid, **WHY).summary.id == rid
    # the entity view follows the grant: DAP now sees SNRP's record in its person's entity
    view = record_entity(fresh(world.dap), world.ids["d-a"], **WHY)
    assert [r.id for r in view.others] == [rid]
    assert audit_rows(world.db, "handling:request:create")[-1]["outcome"] == "ok"


def test_a_refused_request_opens_nothing_and_a_withdrawn_one_is_closed(world: World) -> None:
    h2 = world.ids["s-h2"]
    asked = request(world.operator, h2, kind="disseminate", for_agency="DAP", motif="m")
    refused = decide(world.snrp, asked.id, approve=False, note="source à protéger")
    assert refused.status is HandlingStatus.REFUSED
    with pytest.raises(NotFound):
        read(fresh(world.dap), h2, **WHY)
    again = request(world.operator, h2, kind="disseminate", for_agency="DAP", motif="m2")
    with pytest.raises(Forbidden):  # only its author withdraws it
        withdraw(world.dap, again.id)
    assert withdraw(world.operator, again.id).status is HandlingStatus.WITHDRAWN
    with pytest.raises(Conflict, match="no longer pending"):
        decide(world.snrp, again.id, approve=True)
    assert [r["outcome"] for r in audit_rows(world.db, "handling:request:withdraw")] == [
        "denied", "ok"]


def test_requests_are_refused_with_a_message_naming_what_is_wrong(world: World) -> None:
    h2 = world.ids["s-h2"]
    cases: list[tuple[Access, dict[str, Any], type[Exception], str | None]] = [
        (world.operator, {"record_id": 10**9, "for_agency": "DAP"}, NotFound, "record"),
        (world.dap, {"record_id": h2, "for_agency": "DNPJ"}, NotFound, "record"),
        (world.operator, {"record_id": h2, "for_agency": "SNRP"}, BadInput, "for_agency"),
        (world.operator, {"record_id": h2, "for_agency": "NOPE"}, BadInput, "for_agency"),
        (world.operator, {"record_id": h2, "for_agency": ""}, BadInput, "for_agency"),
        (world.operator, {"record_id": h2, "for_agency": "DAP", "motif": " "}, BadInput,
         "motif"),
        (world.operator, {"record_id": h2, "for_agency": "DAP", "kind": "gift"}, BadInput,
         "kind"),
        (Access(world.db, principal("SNRP", Role.ANALYST)),
         {"record_id": h2, "for_agency": "DAP"}, Forbidden, None),
    ]
    for who, args, error, field in cases:
        params = {"kind": "disseminate", "motif": "m", **args}
        with pytest.raises(error) as caught:
            request(who, params.pop("record_id"), **params)
        assert getattr(caught.value, "field", None) == field, args
    asked = request(world.operator, h2, kind="disseminate", for_agency="DAP", motif="m")
    with pytest.raises(Conflict, match="waits for a decision"):
        request(world.operator, h2, kind="disseminate", for_agency="DAP", motif="m")
    with pytest.raises(Forbidden, match="SNRP"):  # DAP does not own it
        decide(world.dap, asked.id, approve=True)
    with pytest.raises(NotFound):
        decide(world.snrp, 10**9, approve=True)
    decide(world.snrp, asked.id, approve=True)
    with pytest.raises(Conflict, match="no longer pending"):
        decide(world.snrp, asked.id, approve=False)
    with pytest.raises(Conflict, match="granted this already"):
        request(world.operator, h2, kind="disseminate", for_agency="DAP", motif="m")
    with world.db.read() as conn:  # nothing half-done: one request only
        assert conn.execute(sa.text("SELECT count(*) FROM handling_requests")).scalar() == 1


# --- what derived views tell of H2 facts -----------------------------------------------------

def test_risk_views_tell_a_service_nothing_of_another_services_h2_record(world: World
                                                                         ) -> None:
    declare(world.dap, agency="DAP", record="DAP:d-a", escort=1, dps=False)
    assess_all(world.operator)
    staff = explain(world.operator, "E0001", **WHY).to_dict()
    assert [s["type"] for s in staff["signals"]] == ["escape_attempt"]
    mine = explain(world.dap, "E0001", **WHY).to_dict()
    assert mine["signals"] == []
    assert mine["criteria"] == []
    assert mine["level"] == staff["level"]  # the staff's assessment itself is shown
    told = inbox(world.dap).alerts[0].disclosure
    assert told["signals"] == []
    assert told["assessment"]["criteria"] == []
    # once SNRP passes the record to DAP, DAP is told
    asked = request(world.operator, world.ids["s-e1"], kind="disseminate",
                    for_agency="DAP", motif="m")
    decide(world.snrp, asked.id, approve=True)
    assert [s["type"] for s in explain(fresh(world.dap), "E0001", **WHY).to_dict()["signals"]] == [
        "escape_attempt"]


# --- judicial export -------------------------------------------------------------------------

def test_the_judicial_export_withholds_h1_records_until_their_owner_consents(
        world: World) -> None:
    found = export(world.operator, "E0001", **WHY)
    exported = {line["emco"]["record"] for line in found.lines}
    assert exported == {world.ids[s] for s in ("s-a", "d-a", "s-h3")}
    assert found.withheld == {"SNRP": [world.ids["s-h1"]]}
    assert "Karim" not in str(found.withheld_list())  # ids only, never content
    h3 = next(line for line in found.lines if line["emco"]["record"] == world.ids["s-h3"])
    assert h3["emco"]["handling_condition"] == "pas de diffusion à l'AP"
    assert h3["schema"] == "Person"
    assert h3["properties"]["name"] == ["Karim ALAOUI"]
    row = audit_rows(world.db, "case:record:judicial-export")[-1]
    assert (row["motif"], row["case_ref"]) == (WHY["motif"], WHY["case_ref"])
    asked = request(world.operator, world.ids["s-h1"], kind="judicial", **WHY)
    assert asked.status is HandlingStatus.PENDING
    assert asked.for_agency == "EMCO"
    decide(world.snrp, asked.id, approve=True)
    again = export(world.operator, "E0001", **WHY)
    assert again.withheld == {}
    assert len(again.lines) == 4


def test_the_judicial_export_is_for_the_staff_with_a_motif(world: World) -> None:
    with pytest.raises(Forbidden):
        export(world.dap, "E0001", **WHY)
    with pytest.raises(BadInput) as caught:
        export(world.operator, "E0001", motif="", case_ref="X")
    assert caught.value.field == "motif"
    with pytest.raises(NotFound):
        export(world.operator, "E9999", **WHY)


# --- motif -----------------------------------------------------------------------------------

def test_a_search_and_a_person_record_need_a_motif_and_a_case_reference(world: World
                                                                        ) -> None:
    bad: list[tuple[dict[str, Any], str]] = [
        ({}, "motif"), ({"motif": "  ", "case_ref": "X"}, "motif"),
        ({"motif": "m"}, "case_ref"), ({"motif": "m" * 501, "case_ref": "X"}, "motif"),
        ({"motif": "m", "case_ref": "X" * 101}, "case_ref"),
        ({"motif": "a\nb", "case_ref": "X"}, "motif"),
        ({"motif": "m", "case_ref": "X\x07"}, "case_ref")]
    for why, field in bad:
        with pytest.raises(BadInput) as caught:
            search(world.snrp, "ALAOUI", region="FR", **why)
        assert caught.value.field == field, why
        with pytest.raises(BadInput) as caught:
            read(world.snrp, world.ids["s-a"], **why)
        assert caught.value.field == field, why
    denied = audit_rows(world.db, "case:record:search")
    assert len(denied) == len(bad)
    assert {r["outcome"] for r in denied} == {"denied"}
    assert {r["outcome"] for r in audit_rows(world.db, "case:record:read")} == {"denied"}
    with pytest.raises(BadInput):
        record_entity(world.snrp, world.ids["s-a"])
    # an Event record is not a person's profile: no motif needed
    assert read(world.snrp, world.ids["s-e1"]).summary.id == world.ids["s-e1"]
    ok = search(world.snrp, "ALAOUI", region="FR", **WHY)
    assert ok.total == 3
    row = audit_rows(world.db, "case:record:search")[-1]
    assert (row["outcome"], row["motif"], row["case_ref"]) == ("ok", WHY["motif"],
                                                              WHY["case_ref"])
