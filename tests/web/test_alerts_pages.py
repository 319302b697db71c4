"""The alert pages: the inbox and one alert, in French by default; each service sees its own
disclosure only; acknowledging and resolving through forms with their CSRF token."""

import pytest
from fastapi.testclient import TestClient

from emco.model.enums import AlertSeverity, Protection, Role
from emco.store.db import Database
from tests import factories
from tests.alerts.conftest import DNPJ_SEES, OFAST_SEES, STAFF_VIEW, raise_overlap, utc
from tests.web.conftest import PASSWORD, Page, csrf, form_login, parse

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


def _as(client: TestClient, username: str) -> None:
    client.cookies.clear()
    assert form_login(client, username).status_code == 303


def _page(client: TestClient, url: str, status: int = 200) -> tuple[Page, str]:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("text/html")
    return parse(response.text), response.text


def test_the_inbox_shows_my_services_alerts(client: TestClient, db: Database,
                                            accounts: None) -> None:
    alert_id = raise_overlap(db, severity=AlertSeverity.CRITICAL,
                             now=utc(2020, 1, 1, 9, 0)).alert_id
    _as(client, OFAST)
    page, html = _page(client, "/alerts")
    assert "/alerts" in page.links()  # the navigation link
    [row] = page.tables["alerts"]
    assert row[0] == str(alert_id)
    assert row[1] == "critique"  # French by default
    assert row[2] == "Cible commune"
    assert row[4] == "à accuser réception"
    assert "en retard" in row[5]  # the deadline passed long ago
    assert f"/alerts/{alert_id}" in page.links("alert-link")
    assert "/api/v1/alerts?limit=50&offset=0" in page.links("json-twin")
    assert DNPJ_SEES["case_ref"] not in html


def test_the_alert_page_shows_only_my_disclosure(client: TestClient, db: Database,
                                                 accounts: None) -> None:
    alert_id = raise_overlap(db).alert_id
    for user, own, other in ((OFAST, OFAST_SEES, DNPJ_SEES), (DNPJ, DNPJ_SEES, OFAST_SEES)):
        _as(client, user)
        page, html = _page(client, f"/alerts/{alert_id}?lang=en")
        disclosure = page.by_id["disclosure"]
        assert own["case_ref"] in disclosure
        assert own["contact"] in disclosure
        for value in own["matched"].values():  # type: ignore[attr-defined]
            assert value in disclosure  # nested values are shown too
        assert other["case_ref"] not in html
        assert other["contact"] not in html
        assert "staff-view" not in page.by_id
        assert STAFF_VIEW["target"]["entity"] not in html  # type: ignore[index]


def test_the_staff_page_shows_the_whole_picture(client: TestClient, db: Database,
                                                accounts: None) -> None:
    alert_id = raise_overlap(db).alert_id
    _as(client, OPERATOR)
    page, _html = _page(client, f"/alerts/{alert_id}?lang=en")
    assert "E000123" in page.by_id["staff-view"]
    assert [row[0] for row in page.tables["recipients"]] == ["DNPJ", "OFAST"]
    assert "disclosure" not in page.by_id  # the staff is not a recipient
    assert "acknowledge" not in page.by_id  # nor does it acknowledge
    assert "resolve" in page.by_id


def test_another_services_alert_is_a_not_found_page(client: TestClient, db: Database,
                                                    accounts: None) -> None:
    alert_id = raise_overlap(db).alert_id
    _as(client, DGGN)
    page, _html = _page(client, "/alerts")
    assert "inbox-empty" in page.by_id
    _page(client, f"/alerts/{alert_id}", status=404)


def test_acknowledging_with_the_form(client: TestClient, db: Database,
                                     accounts: None) -> None:
    alert_id = raise_overlap(db).alert_id
    _as(client, OFAST)
    page, _html = _page(client, f"/alerts/{alert_id}")
    assert "acknowledge" in page.by_id
    refused = client.post(f"/alerts/{alert_id}/acknowledgement", data={"note": "x"})
    assert refused.status_code == 403  # no CSRF token
    done = client.post(f"/alerts/{alert_id}/acknowledgement",
                       data={"note": "vu", "csrf_token": csrf(client)})
    assert (done.status_code, done.headers["location"]) == (303, f"/alerts/{alert_id}")
    page, _html = _page(client, f"/alerts/{alert_id}?lang=en")
    assert page.by_id["alert-state"] == "acknowledged"
    assert "acknowledge" not in page.by_id
    assert ["acknowledged", "OFAST", OFAST, "vu"] in [r[1:] for r in page.tables["history"]]


def test_resolving_with_the_form(client: TestClient, db: Database, accounts: None) -> None:
    alert_id = raise_overlap(db).alert_id
    _as(client, OFAST)
    token = csrf(client)
    # the lead field is ignored unless a lead is designated
    done = client.post(f"/alerts/{alert_id}/resolution", data={
        "outcome": "joint_operation", "note": "opération commune", "lead_agency": "OFAST",
        "csrf_token": token})
    assert done.status_code == 303
    page, _html = _page(client, f"/alerts/{alert_id}?lang=en")
    assert "joint operation" in page.by_id["resolution"]
    assert "resolve" not in page.by_id
    _as(client, DNPJ)
    page, _html = _page(client, f"/alerts/{alert_id}?lang=en")
    assert "opération commune" in page.by_id["resolution"]


def test_a_bad_resolution_is_an_error_page(client: TestClient, db: Database,
                                           accounts: None) -> None:
    alert_id = raise_overlap(db).alert_id
    _as(client, OFAST)
    response = client.post(f"/alerts/{alert_id}/resolution", data={
        "outcome": "lead_designated", "note": "x", "csrf_token": csrf(client)})
    assert response.status_code == 400
    assert "nommez le service pilote (lead_agency)" in parse(response.text).text
    unknown = client.post(f"/alerts/{alert_id}/resolution", data={
        "outcome": "abandoned", "note": "x", "csrf_token": csrf(client)})
    assert unknown.status_code == 422


def test_inbox_filter_and_pager(client: TestClient, db: Database, accounts: None) -> None:
    for n in range(3):
        raise_overlap(db, f"pair:{n}")
    _as(client, OFAST)
    page, _html = _page(client, "/alerts?state=resolved")
    assert "inbox-empty" in page.by_id
    assert "/api/v1/alerts?state=resolved&limit=50&offset=0" in page.links("json-twin")
    page, _html = _page(client, "/alerts?state=new")
    assert len(page.tables["alerts"]) == 3
