"""Signals from records and network roles, scoring, stored assessments, under-assessment
alerts, declarations and decisions, on both backends."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from emco.access.gate import Access
from emco.alerts.service import inbox
from emco.deconflict import operations
from emco.deconflict.conflicts import Margins
from emco.deconflict.operation_input import OperationIn
from emco.errors import BadInput, Forbidden, NotFound
from emco.model.enums import Role
from emco.risk import catalogue
from emco.risk.assess import assess_all, on_entities_changed
from emco.risk.review import decide, declare, explain
from emco.settings import Settings
from emco.store.tables import (
    assessments,
    audit_events,
    risk_decisions,
    risk_runs,
    risk_signals,
)
from tests.factories import principal
from tests.risk.conftest import World

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
WHY = {"motif": "préparation de l'extraction", "case_ref": "DAP-2026-4"}


def test_signals_come_from_keywords_and_an_unresolved_persons_signal_is_kept(
        world: World) -> None:
    summary = assess_all(world.operator, now=NOW)
    with world.db.read() as conn:
        rows = conn.execute(select(risk_signals.c.type, risk_signals.c.agency_code,
                                   risk_signals.c.detail)).all()
    types = sorted(t for t, _, _ in rows)
    # the seizure is no dangerousness signal; the unresolved man's phone is kept
    assert types == ["armed_violence", "escape_attempt", "phone_in_prison",
                     "serious_violence", "threats_against_officials"]
    assert summary.signals == 5
    assert summary.unresolved_signals == 1
    assert summary.assessed == 2
    assert summary.by_level["unknown"] == summary.persons - 2


def test_score_lists_every_signal_and_its_share(world: World) -> None:
    assess_all(world.operator, now=NOW)
    e = explain(world.operator, "E0001", **WHY).to_dict()
    assert e["level"] in ("high", "critical")
    assert set(e["criteria"]) == {"escape_attempt", "serious_violence",
                                  "public_order_impact"}
    assert {(s["type"], s["agency"], s["grade"]) for s in e["signals"]} == {
        ("serious_violence", "OFAST", "B2"), ("escape_attempt", "SNRP", "B2"),
        ("threats_against_officials", "SNRP", "B2")}
    assert sum(s["contribution"] for s in e["signals"]) == pytest.approx(e["score"], abs=1e-3)
    assert e["changes"] == {"first": True}
    # a person with no signal is unknown, not low
    assert explain(world.operator, "E0002", **WHY).to_dict()["level"] == "low"
    with world.db.read() as conn:
        ids = [e for (e,) in conn.execute(select(assessments.c.entity_id))]
    assert sorted(ids) == ["E0001", "E0002"]


def test_a_person_with_no_signal_is_unknown(world: World) -> None:
    assess_all(world.operator, now=NOW)
    with world.db.read() as conn:
        other = conn.execute(select(risk_signals.c.id)).all()
    assert other
    unknown = [e for e in ("E9001", "E9002", "E9003", "E9004", "E9005", "E9006", "E9007",
                           "E9008", "E9009", "E9010", "E9011") if _exists(world, e)]
    assert unknown
    assert explain(world.operator, unknown[0], **WHY).to_dict()["level"] == "unknown"


def _exists(world: World, entity: str) -> bool:
    try:
        explain(world.operator, entity, **WHY)
    except NotFound:
        return False
    return True


def test_network_role_gives_an_organised_crime_signal(world: World) -> None:
    from emco.store import networks as net
    from emco.store.networks import MemberRow, NetworkRow

    with world.db.write() as conn:
        run = net.start_run(conn, "op", NOW)
        net.save_network(conn, NetworkRow("R0001", "Réseau", run, run, 2, None, None, {}))
        net.write_members(world.db, conn, [
            MemberRow(run, "E0002", "R0001", 0.9, 1, "head", 0.8, {}),
            MemberRow(run, "E0001", "R0001", 0.1, 2, "retail", 0.8, {})])
    assess_all(world.operator, now=NOW)
    e = explain(world.operator, "E0002", **WHY).to_dict()
    roles = [s for s in e["signals"] if s["origin"] == "network"]
    assert [(s["type"], s["agency"], s["grade"]) for s in roles] == [
        ("organised_crime_role", "EMCO", "B3")]
    assert "organised_crime" in e["criteria"]
    assert all(s["origin"] != "network" for s in explain(world.operator, "E0001", **WHY)
               .to_dict()["signals"])


def test_under_assessment_alerts_the_service_and_the_staff_once(world: World) -> None:
    declare(world.dap, agency="DAP", record="DAP:d-a", escort=1, dps=False)
    first = assess_all(world.operator, now=NOW)
    assert [(f.entity_id, f.agency) for f in first.findings] == [("E0001", "DAP")]
    assert "dps" in first.findings[0].reasons
    assert first.alerts_raised == 1
    again = assess_all(world.operator, now=NOW)
    assert again.alerts_raised == 0
    assert again.alerts_updated == 0
    mine = inbox(world.dap)
    assert len(mine.alerts) == 1
    alert = mine.alerts[0]
    assert alert.kind == "under_assessment"
    assert alert.deadline is not None
    told = alert.disclosure
    assert told is not None
    assert told["reasons"]
    assert {s["type"] for s in told["signals"]} >= {"escape_attempt"}
    assert all("record" not in s for s in told["signals"])  # no other service's record ids
    staff = inbox(world.operator).alerts[0]
    assert {r.agency for r in staff.recipients} == {"DAP", "EMCO"}
    # the platform never changes a declared level: the declaration stands as written
    d = explain(world.operator, "E0001", **WHY).to_dict()["declarations"]
    assert [(x["agency"], x["escort"], x["dps"]) for x in d] == [("DAP", 1, False)]


def test_a_sufficient_declaration_raises_no_alert(world: World) -> None:
    declare(world.dap, agency="DAP", record="DAP:d-a", escort=4, dps=True)
    assert assess_all(world.operator, now=NOW).findings == []


def test_declarations_are_checked_and_scoped(world: World) -> None:
    with pytest.raises(BadInput, match="escort"):
        declare(world.dap, agency="DAP", record="DAP:d-a", escort=5)
    with pytest.raises(Forbidden):
        declare(world.dap, agency="OFAST", record="OFAST:o-a", escort=2)
    with pytest.raises(BadInput, match="record of the declaring"):
        declare(world.dap, agency="DAP", record="OFAST:o-a", escort=2)
    with pytest.raises(NotFound):
        declare(world.dap, agency="DAP", record="DAP:nobody", escort=2)
    with pytest.raises(Forbidden):  # analysts read, they do not declare
        declare(world.snrp, agency="SNRP", entity="E0001", escort=2)


def test_decision_is_recorded_audited_and_changes_no_declaration(world: World) -> None:
    declare(world.dap, agency="DAP", record="DAP:d-a", escort=1, dps=False)
    assess_all(world.operator, now=NOW)
    with pytest.raises(Forbidden):  # a service's liaison does not decide
        decide(world.dap, "E0001", agency="DAP", decision="keep", motif="vu")
    with pytest.raises(BadInput, match="motif"):
        decide(world.operator, "E0001", agency="DAP", decision="keep", motif=" ")
    decide(world.operator, "E0001", agency="DAP", decision="raise",
           motif="Évasion tentée en 2025 : escorte niveau 3 recommandée")
    with world.db.read() as conn:
        row = conn.execute(select(risk_decisions)).mappings().one()
        audited = conn.execute(select(audit_events.c.outcome).where(
            audit_events.c.action == "risk:decision:write")).all()
    assert row["decision"] == "raise"
    assert row["alert_id"] is not None
    assert sorted(o for (o,) in audited) == ["denied", "ok"]  # the refusal too
    e = explain(world.operator, "E0001", **WHY).to_dict()
    assert e["decisions"][0]["decision"] == "raise"
    assert e["declarations"][0]["escort"] == 1


def test_reassessment_says_what_changed_and_a_service_sees_its_own_view(
        world: World) -> None:
    declare(world.dap, agency="DAP", record="DAP:d-a", escort=1, dps=False)
    assess_all(world.operator, now=NOW)
    later = datetime(2029, 1, 15, tzinfo=UTC)  # three years on: signals have faded
    assess_all(world.operator, now=later)
    e = explain(world.operator, "E0001", **WHY).to_dict()
    assert e["changes"]["first"] is False
    assert e["changes"]["score"][1] < e["changes"]["score"][0]
    seen = explain(world.dap, "E0001", **WHY).to_dict()
    assert seen["level"] == e["level"]
    assert all(set(s) == {"type", "agency", "date", "grade", "contribution"}
               for s in seen["signals"])
    assert [d["agency"] for d in seen["declarations"]] == ["DAP"]
    with pytest.raises(NotFound):  # the DAP holds no record of him
        explain(world.dap, "E0002", **WHY)


def test_a_persons_assessment_is_read_with_a_motif_and_a_case_reference(
        world: World) -> None:
    assess_all(world.operator, now=NOW)
    for given, field in (({}, "motif"), ({"motif": "  "}, "motif"),
                         ({"motif": "contrôle"}, "case_ref"),
                         ({"motif": "a\nb", "case_ref": "R"}, "motif")):
        with pytest.raises(BadInput) as refused:
            explain(world.dap, "E0001", **given)
        assert refused.value.field == field
    auditor = Access(world.db, principal("EMCO", Role.AUDITOR))
    with pytest.raises(Forbidden):  # the permission first: a motif opens nothing it bars
        explain(auditor, "E0001", **WHY)
    explain(world.dap, "E0001", **WHY)
    with world.db.read() as conn:
        rows = conn.execute(select(audit_events.c.outcome, audit_events.c.motif,
                                   audit_events.c.case_ref).where(
            audit_events.c.action == "risk:assessment:read",
            audit_events.c.username == world.dap.principal.username)
            .order_by(audit_events.c.seq)).all()
    assert [r.outcome for r in rows] == ["denied"] * 4 + ["ok"]
    assert (rows[-1].motif, rows[-1].case_ref) == (WHY["motif"], WHY["case_ref"])


def test_only_the_staff_runs_the_assessment(world: World) -> None:
    with pytest.raises(Forbidden):
        assess_all(world.dap, now=NOW)


def test_catalogue_version_is_recorded(world: World) -> None:
    assess_all(world.operator, now=NOW)
    with world.db.read() as conn:
        versions = {v for (v,) in conn.execute(select(assessments.c.catalogue_version))}
    assert versions == {catalogue.packaged().version}


def test_a_merge_by_resolution_brings_a_new_assessment(world: World) -> None:
    on_entities_changed(world.operator, {"E0001"})  # nothing assessed yet: nothing to redo
    with world.db.read() as conn:
        assert conn.execute(select(risk_runs.c.id)).all() == []
    assess_all(world.operator, now=NOW)
    on_entities_changed(world.dap, {"E0001"})  # a service's ingest: the staff's next run
    on_entities_changed(world.operator, {"E0001"})
    with world.db.read() as conn:
        assert len(conn.execute(select(risk_runs.c.id)).all()) == 2


def test_a_transfer_of_a_dangerous_person_carries_the_warning(world: World,
                                                             settings: Settings) -> None:
    assess_all(world.operator, now=NOW)
    start = datetime.now(UTC) + timedelta(days=2)
    transfer = operations.register(world.dap, OperationIn(
        agency="DAP", reference="DAP-TR-9", kind="transfer", latitude=43.3, longitude=5.4,
        radius_m=300, start=start, end=start + timedelta(hours=3),
        targets=[("entity", "E0001")]), Margins.of(settings), "FR")
    assert [(w.entity_id, w.level) for w in transfer.warnings] == [
        ("E0001", explain(world.operator, "E0001", **WHY).to_dict()["level"])]
    assert transfer.warnings[0].criteria  # what makes him a special detainee, not why
    raid = operations.register(world.dap, OperationIn(
        agency="DAP", reference="DAP-R-9", kind="raid", latitude=43.3, longitude=5.4,
        radius_m=300, start=start, end=start + timedelta(hours=3),
        targets=[("entity", "E0001")]), Margins.of(settings), "FR")
    assert raid.warnings == []  # a raid moves nobody out of prison
