"""The risk API: the ranked people, a person's explanation, an assessment run and a
reviewer's decision; the staff's operator against a service's liaison and analyst (a
service sees the people it holds a record of, the signals without other services' record
ids, and its own declarations); decisions recorded and audited; bad input answered with a
message naming the field (both backends). The data comes from `risked`
(tests/web/test_risk_pages.py).
"""

from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from emco.model.enums import AuditAction
from emco.store.tables import audit_events
from tests.web.conftest import login
from tests.web.test_risk_pages import ALAOUI, BELKACEM, Risked, _decisions, risked

__all__ = ["risked"]  # the fixture, reused
WHY = urlencode({"motif": "préparation de l'extraction", "case_ref": "DAP-2026-4"})


def _get(client: TestClient, address: str, status: int = 200) -> Any:
    response = client.get(address)
    assert response.status_code == status, response.text
    return response.json()


def test_the_staff_sees_everyone_ranked(client: TestClient, risked: Risked) -> None:
    login(client, risked.operator)
    body = _get(client, "/api/v1/risk")
    assert body["run"] == 1
    assert body["catalogue_version"]
    people = body["people"]
    assert [p["entity"] for p in people] == [ALAOUI, BELKACEM]
    first = people[0]
    assert first["level"] in ("high", "critical")
    assert first["name"] in ("Karim ALAOUI", "ALAOUI Karim")
    assert set(first["criteria"]) == {"escape_attempt", "serious_violence",
                                      "public_order_impact"}
    (dap,) = first["declarations"]
    assert dap == {"agency": "DAP", "escort": 1, "dps": None, "watch": None, "under": True,
                   "reasons": ["escort"], "alert": risked.alert, "alert_open": True}
    assert first["under_assessed"] is True
    assert people[1]["declarations"] == []
    assert people[1]["under_assessed"] is False


def test_the_staff_sees_the_whole_explanation(client: TestClient, risked: Risked) -> None:
    login(client, risked.operator)
    e = _get(client, f"/api/v1/risk/{ALAOUI}?{WHY}")
    assert e["entity"] == ALAOUI
    assert e["level"] in ("high", "critical")
    assert {(s["type"], s["agency"], s["grade"]) for s in e["signals"]} == {
        ("serious_violence", "OFAST", "B2"), ("escape_attempt", "SNRP", "B2"),
        ("threats_against_officials", "SNRP", "B2")}
    assert all(s["record"] and s["date"] for s in e["signals"])
    assert sum(s["contribution"] for s in e["signals"]) == pytest.approx(e["score"], abs=1e-3)
    assert e["changes"] == {"first": True}
    assert [(d["agency"], d["escort"]) for d in e["declarations"]] == [("DAP", 1)]
    assert e["decisions"] == []


def test_a_service_sees_its_own_view(client: TestClient, risked: Risked) -> None:
    login(client, risked.liaison)  # the DAP's: holds a record of ALAOUI only
    people = _get(client, "/api/v1/risk")["people"]
    assert [p["entity"] for p in people] == [ALAOUI]
    assert [d["agency"] for d in people[0]["declarations"]] == ["DAP"]
    e = _get(client, f"/api/v1/risk/{ALAOUI}?{WHY}")
    assert len(e["signals"]) == 3
    assert all(s["record"] is None and s["source_record"] is None for s in e["signals"])
    assert [d["agency"] for d in e["declarations"]] == ["DAP"]
    _get(client, f"/api/v1/risk/{BELKACEM}?{WHY}", 404)  # no DAP record of him
    login(client, risked.analyst)  # SNRP's: sees ALAOUI, not the DAP's declaration
    people = _get(client, "/api/v1/risk")["people"]
    assert [p["entity"] for p in people] == [ALAOUI]
    assert people[0]["declarations"] == []
    assert people[0]["under_assessed"] is False
    assert _get(client, f"/api/v1/risk/{ALAOUI}?{WHY}")["declarations"] == []


def test_a_persons_explanation_needs_a_motif_and_a_case_reference(
        client: TestClient, risked: Risked) -> None:
    login(client, risked.liaison)
    assert _get(client, f"/api/v1/risk/{ALAOUI}", 400)["field"] == "motif"
    assert _get(client, f"/api/v1/risk/{ALAOUI}?motif=contr%C3%B4le", 400)["field"] == \
        "case_ref"
    assert _get(client, f"/api/v1/risk/{ALAOUI}?motif=a%0Ab&case_ref=R", 400)["field"] == \
        "motif"  # no line break in a motif
    assert _get(client, f"/api/v1/risk/{ALAOUI}?{WHY}")["entity"] == ALAOUI
    with risked.db.read() as conn:
        rows = conn.execute(select(audit_events.c.outcome, audit_events.c.motif,
                                   audit_events.c.case_ref).where(
            audit_events.c.action == AuditAction.RISK_READ.value,
            audit_events.c.objects.like(f"%entity:{ALAOUI}%"))
            .order_by(audit_events.c.seq)).all()
    assert [r.outcome for r in rows][-4:] == ["denied", "denied", "denied", "ok"]
    assert (rows[-1].motif, rows[-1].case_ref) == ("préparation de l'extraction",
                                                   "DAP-2026-4")


def test_a_decision_is_recorded_and_audited(client: TestClient, risked: Risked) -> None:
    login(client, risked.operator)
    response = client.post(f"/api/v1/risk/{ALAOUI}/decisions",
                           json={"agency": "dap", "decision": "Raise",
                                 "motif": "Tentative d'évasion en octobre"})
    assert response.status_code == 201, response.text
    made = response.json()
    assert made["entity"] == ALAOUI
    assert made["agency"] == "DAP"
    assert made["decision"] == "raise"
    (decision,) = _get(client, f"/api/v1/risk/{ALAOUI}?{WHY}")["decisions"]
    assert decision["alert"] == risked.alert
    assert decision["author"] == risked.operator
    assert _decisions(risked.db) == [(ALAOUI, "DAP", "raise",
                                      "Tentative d'évasion en octobre")]
    with risked.db.read() as conn:
        audited = conn.execute(select(audit_events.c.objects, audit_events.c.outcome).where(
            audit_events.c.action == AuditAction.RISK_DECIDE.value)).all()
    assert len(audited) == 1
    assert f"entity:{ALAOUI}" in audited[0][0]
    # the declared level is the service's own: unchanged by the decision
    login(client, risked.liaison)
    e = _get(client, f"/api/v1/risk/{ALAOUI}?{WHY}")
    assert e["declarations"][0]["escort"] == 1
    assert [d["decision"] for d in e["decisions"]] == ["raise"]


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"agency": "DAP", "decision": "keep", "motif": ""}, 400, "motif"),
    ({"agency": "DAP", "decision": "keep", "motif": "   "}, 400, "motif"),
    ({"agency": "DAP", "decision": "lower", "motif": "Pourquoi"}, 400, "decision"),
    ({"agency": "XXX", "decision": "keep", "motif": "Pourquoi"}, 400, "agency"),
    ({"agency": "DAP", "decision": "keep"}, 422, "motif"),
    ({"agency": "DAP", "decision": "keep", "motif": "x" * 2001}, 422, "motif"),
])
def test_a_bad_decision_names_the_field(client: TestClient, risked: Risked,
                                        body: dict[str, str], status: int,
                                        field: str) -> None:
    login(client, risked.operator)
    response = client.post(f"/api/v1/risk/{ALAOUI}/decisions", json=body)
    assert response.status_code == status, response.text
    assert response.json()["field"] == field
    assert _decisions(risked.db) == []


def test_unknown_and_malformed_people_are_named(client: TestClient, risked: Risked) -> None:
    login(client, risked.operator)
    response = client.post("/api/v1/risk/E7777/decisions",
                           json={"agency": "DAP", "decision": "keep", "motif": "x"})
    assert response.status_code == 404
    assert response.json()["field"] == "entity"
    assert client.get(f"/api/v1/risk/E7777?{WHY}").status_code == 404
    response = client.get("/api/v1/risk/E0001%3Bdrop")
    assert response.status_code == 422
    assert response.json()["field"] == "entity_id"


def test_only_the_staff_runs_the_assessment_and_decides(client: TestClient,
                                                        risked: Risked) -> None:
    login(client, risked.liaison)
    assert client.post("/api/v1/risk/run").status_code == 403
    assert client.post(f"/api/v1/risk/{ALAOUI}/decisions", json={
        "agency": "DAP", "decision": "keep", "motif": "x"}).status_code == 403
    login(client, risked.operator)
    response = client.post("/api/v1/risk/run")
    assert response.status_code == 200, response.text
    run = response.json()
    assert run["run"] == 2
    assert run["assessed"] == 2
    assert [(u["entity"], u["agency"]) for u in run["under_assessed"]] == [(ALAOUI, "DAP")]
    assert _get(client, "/api/v1/risk")["run"] == 2

