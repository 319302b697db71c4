"""The alerts API: each service's inbox with its own disclosure only, 404 for alerts of
others, acknowledging, resolving, webhooks; every mistake a 4xx naming the field."""

import json

import pytest
from fastapi.testclient import TestClient

from emco.model.enums import AlertSeverity, Protection, Role
from emco.store.db import Database
from tests import factories
from tests.alerts.conftest import DNPJ_SEES, OFAST_SEES, STAFF_VIEW, audit_rows, raise_overlap
from tests.web.conftest import PASSWORD, login

OFAST = "liaison.ofast"
DNPJ = "ana.dnpj"
DGGN = "liaison.dggn"
OPERATOR = "op.emco"


@pytest.fixture
def accounts(db: Database) -> None:
    factories.user(db, OFAST, "OFAST", Role.LIAISON, password=PASSWORD)
    factories.user(db, DNPJ, "DNPJ", Role.ANALYST, password=PASSWORD)
    factories.user(db, DGGN, "DGGN", Role.LIAISON, password=PASSWORD)
    factories.user(db, OPERATOR, "EMCO", Role.OPERATOR, clearance=Protection.DR,
                   password=PASSWORD)


def _as(client: TestClient, username: str) -> TestClient:
    client.cookies.clear()
    login(client, username)
    return client


def test_each_service_lists_its_alerts_with_its_own_disclosure(
        client: TestClient, db: Database, accounts: None) -> None:
    alert_id = raise_overlap(db).alert_id
    for user, own, other in ((OFAST, OFAST_SEES, DNPJ_SEES), (DNPJ, DNPJ_SEES, OFAST_SEES)):
        listed = _as(client, user).get("/api/v1/alerts")
        assert listed.status_code == 200
        body = listed.json()
        assert (body["total"], body["next_offset"]) == (1, None)
        [item] = body["alerts"]
        assert (item["id"], item["state"], item["disclosure"]) == (alert_id, "new", own)
        assert item["staff_view"] is None
        assert item["recipients"] == []
        detail = client.get(f"/api/v1/alerts/{alert_id}")
        assert detail.json()["disclosure"] == own
        for text in (listed.text, detail.text):
            assert other["case_ref"] not in text
            assert other["contact"] not in text


def test_the_staff_gets_the_whole_picture(client: TestClient, db: Database,
                                          accounts: None) -> None:
    alert_id = raise_overlap(db).alert_id
    body = _as(client, OPERATOR).get(f"/api/v1/alerts/{alert_id}").json()
    assert body["staff_view"] == STAFF_VIEW
    assert {r["agency"]: r["disclosure"] for r in body["recipients"]} == {
        "OFAST": OFAST_SEES, "DNPJ": DNPJ_SEES}


def test_another_services_alert_is_not_found(client: TestClient, db: Database,
                                             accounts: None) -> None:
    alert_id = raise_overlap(db).alert_id
    _as(client, DGGN)
    assert client.get("/api/v1/alerts").json()["total"] == 0
    hidden = client.get(f"/api/v1/alerts/{alert_id}")
    absent = client.get(f"/api/v1/alerts/{alert_id + 99}")
    assert hidden.status_code == absent.status_code == 404
    assert hidden.json() == absent.json() == {"error": "NotFound", "message": "no such alert",
                                              "field": "alert_id"}
    assert client.post(f"/api/v1/alerts/{alert_id}/acknowledgements").status_code == 404


def test_acknowledging_through_the_api(client: TestClient, db: Database,
                                       accounts: None) -> None:
    alert_id = raise_overlap(db).alert_id
    _as(client, OFAST)
    first = client.post(f"/api/v1/alerts/{alert_id}/acknowledgements",
                        json={"note": "reçu"})
    assert first.status_code == 200
    assert first.json()["state"] == "acknowledged"
    again = client.post(f"/api/v1/alerts/{alert_id}/acknowledgements")  # no body at all
    assert again.status_code == 200  # idempotent
    assert again.json()["acknowledged_at"] == first.json()["acknowledged_at"]
    history = [(h["action"], h["note"]) for h in again.json()["history"]]
    assert history == [("raised", None), ("acknowledged", "reçu")]
    # an analyst may read but not acknowledge
    denied = _as(client, DNPJ).post(f"/api/v1/alerts/{alert_id}/acknowledgements")
    assert denied.status_code == 403


def test_resolving_through_the_api(client: TestClient, db: Database, accounts: None) -> None:
    alert_id = raise_overlap(db).alert_id
    _as(client, OPERATOR)
    done = client.post(f"/api/v1/alerts/{alert_id}/resolution", json={
        "outcome": "lead_designated", "lead_agency": "OFAST", "note": "l'OFAST mène"})
    assert done.status_code == 200
    assert done.json()["resolution"]["lead_agency"] == "OFAST"
    again = client.post(f"/api/v1/alerts/{alert_id}/resolution",
                        json={"outcome": "no_conflict", "note": "x"})
    assert again.status_code == 409
    assert again.json()["message"] == "this alert is already resolved"
    listed = _as(client, DNPJ).get("/api/v1/alerts?state=resolved").json()
    assert [a["resolution"]["outcome"] for a in listed["alerts"]] == ["lead_designated"]


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"outcome": "abandoned", "note": "x"}, 422, "outcome"),
    ({"note": "x"}, 422, "outcome"),
    ({"outcome": "no_conflict"}, 422, "note"),
    ({"outcome": "no_conflict", "note": " "}, 400, "note"),
    ({"outcome": "lead_designated", "note": "x"}, 400, "lead_agency"),
    ({"outcome": "lead_designated", "note": "x", "lead_agency": "DGGN"}, 400, "lead_agency"),
    ({"outcome": "postponed", "note": "x", "lead_agency": "OFAST"}, 400, "lead_agency"),
    ({"outcome": "postponed", "note": "x\u0000"}, 422, "note"),
])
def test_bad_resolutions_are_4xx_naming_the_field(client: TestClient, db: Database,
                                                  accounts: None, body: dict[str, str],
                                                  status: int, field: str) -> None:
    alert_id = raise_overlap(db).alert_id
    response = _as(client, OFAST).post(f"/api/v1/alerts/{alert_id}/resolution", json=body)
    assert (response.status_code, response.json()["field"]) == (status, field)
    assert client.get(f"/api/v1/alerts/{alert_id}").json()["state"] == "new"


@pytest.mark.parametrize(("path", "field"), [
    ("/api/v1/alerts/0", "alert_id"), ("/api/v1/alerts/abc", "alert_id"),
    (f"/api/v1/alerts/{2**63}", "alert_id"), ("/api/v1/alerts?state=lost", "state"),
    ("/api/v1/alerts?limit=0", "limit"), ("/api/v1/alerts?offset=-1", "offset")])
def test_bad_addresses_are_4xx(client: TestClient, accounts: None, path: str,
                               field: str) -> None:
    response = _as(client, OFAST).get(path)
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_alerts_need_a_session(client: TestClient) -> None:
    assert client.get("/api/v1/alerts").status_code == 401


def test_inbox_pages(client: TestClient, db: Database, accounts: None) -> None:
    for n in range(3):
        raise_overlap(db, f"pair:{n}", severity=AlertSeverity.MEDIUM)
    body = _as(client, OFAST).get("/api/v1/alerts?limit=2").json()
    assert (body["total"], len(body["alerts"]), body["next_offset"]) == (3, 2, 2)
    last = client.get("/api/v1/alerts?limit=2&offset=2").json()
    assert (len(last["alerts"]), last["next_offset"]) == (1, None)


def test_webhook_endpoints(client: TestClient, db: Database, accounts: None) -> None:
    _as(client, OFAST)
    generated = client.put("/api/v1/agencies/OFAST/webhook",
                           json={"url": "https://ofast.example/emco"})
    assert generated.status_code == 200
    assert len(generated.json()["secret"]) >= 32
    chosen = client.put("/api/v1/agencies/OFAST/webhook",
                        json={"url": "https://ofast.example/emco", "secret": "x" * 20})
    assert chosen.json()["secret"] is None
    other = client.put("/api/v1/agencies/DNPJ/webhook", json={"url": "https://x.example/"})
    assert other.status_code == 403
    bad = client.put("/api/v1/agencies/OFAST/webhook", json={"url": "ftp://x.example/"})
    assert (bad.status_code, bad.json()["field"]) == (400, "url")
    short = client.put("/api/v1/agencies/OFAST/webhook",
                       json={"url": "https://x.example/", "secret": "short"})
    assert (short.status_code, short.json()["field"]) == (400, "secret")
    assert client.delete("/api/v1/agencies/OFAST/webhook").status_code == 204
    gone = client.delete("/api/v1/agencies/OFAST/webhook")
    assert (gone.status_code, gone.json()["field"]) == (404, "agency")
    unknown = _as(client, OPERATOR).put("/api/v1/agencies/NOPE/webhook",
                                        json={"url": "https://x.example/"})
    assert (unknown.status_code, unknown.json()["field"]) == (400, "agency")
    rows = audit_rows(db, "alerts:webhook:manage")
    assert all("x" * 20 not in (r["detail"] or "") for r in rows)


def test_api_reads_are_audited(client: TestClient, db: Database, accounts: None) -> None:
    alert_id = raise_overlap(db).alert_id
    _as(client, OFAST).get("/api/v1/alerts")
    client.get(f"/api/v1/alerts/{alert_id}")
    rows = audit_rows(db, "alerts:alert:read")
    assert [(r["username"], json.loads(r["objects"])) for r in rows] == [
        (OFAST, [f"alert:{alert_id}"]), (OFAST, [f"alert:{alert_id}"])]
