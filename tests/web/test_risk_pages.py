"""The risk pages: the ranked people, the risk panel of the person page and a reviewer's
decision posted from it, for the staff's operator and for a service (its own view), in
French by default (both backends); bad input shown on the page with the field named; and
one real browser recording a decision (SQLite).

`risked` (also used by tests/api/test_risk.py) seeds through the platform's own entry
points: three services' people and incidents (FtM Event records with keywords) from
tests/risk/conftest.py ingested, their entities set with the resolution repository, the
DAP's declaration of escort level 1 (`emco.risk.review.declare`, as its liaison) and one
assessment run (`emco.risk.assess.assess_all`, as the staff's operator).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect
from sqlalchemy import select

from emco.access.gate import Access
from emco.model.enums import InformationCredibility, Protection, Role, SourceReliability
from emco.model.types import RecordMeta
from emco.risk.assess import assess_all
from emco.risk.review import declare
from emco.settings import Settings
from emco.store import resolution
from emco.store.db import Database
from emco.store.tables import records, risk_decisions
from tests import factories
from tests.risk.conftest import DAP, ENTITIES, OFAST, SNRP
from tests.web.conftest import PASSWORD, csrf, login, parse
from tests.web.test_browser_operations import ARTIFACTS, _login, browser_page

__all__ = ["browser_page"]  # a fixture of the browser test, reused

NOW = datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
OPERATOR, LIAISON, ANALYST = "op.emco", "liaison.dap", "ana.snrp"
ALAOUI, BELKACEM = "E0001", "E0002"  # three services' ALAOUI; OFAST's BELKACEM
WHY = urlencode({"motif": "préparation de l'extraction", "case_ref": "DAP-2026-4"})


@dataclass
class Risked:
    """What `risked` stored: the accounts, the people, the DAP's alert."""

    db: Database
    alert: int
    operator: str = OPERATOR
    liaison: str = LIAISON  # the DAP's: it declared escort level 1 about ALAOUI
    analyst: str = ANALYST  # SNRP's


@pytest.fixture
def risked(db: Database, settings: Settings, tmp_path: Path,
           seeded: Callable[..., int]) -> Risked:
    return Risked(db, seeded("risked", lambda: _risked(db, settings, tmp_path)))


def _risked(db: Database, settings: Settings, tmp_path: Path) -> int:
    meta = RecordMeta(reliability=SourceReliability.B, credibility=InformationCredibility("2"))
    for agency, entities in (("OFAST", OFAST), ("SNRP", SNRP), ("DAP", DAP)):
        path = factories.write_jsonl(tmp_path / f"risk-{agency.lower()}.jsonl", entities)
        assert factories.load(db, settings, path, agency=agency,
                              defaults=meta).accepted == len(entities)
    with db.write() as conn:
        ids = {source: rid for rid, source in conn.execute(
            select(records.c.id, records.c.source_id))}
        resolution.replace_entities(db, conn, [
            (ids[s], ENTITIES.get(s, f"E9{ids[s]:03d}")) for s in sorted(ids) if s != "s-u"])
    factories.user(db, OPERATOR, "EMCO", Role.OPERATOR, clearance=Protection.DR,
                   password=PASSWORD)
    factories.user(db, LIAISON, "DAP", Role.LIAISON, password=PASSWORD)
    factories.user(db, ANALYST, "SNRP", Role.ANALYST, password=PASSWORD)
    dap = Access(db, factories.principal("DAP", Role.LIAISON, username=LIAISON))
    declare(dap, agency="DAP", record="DAP:d-a", escort=1)
    staff = Access(db, factories.principal("EMCO", Role.OPERATOR, clearance=Protection.DR,
                                           username=OPERATOR))
    summary = assess_all(staff, now=NOW)
    (finding,) = summary.findings
    assert finding.alert_id is not None
    return finding.alert_id


def _decisions(db: Database) -> list[tuple[str, str, str, str]]:
    with db.read() as conn:
        return [tuple(r) for r in conn.execute(select(
            risk_decisions.c.entity_id, risk_decisions.c.agency_code,
            risk_decisions.c.decision, risk_decisions.c.motif))]


def test_the_staff_sees_everyone_ranked_with_the_views_too_low(client: TestClient,
                                                             risked: Risked) -> None:
    login(client, OPERATOR)
    response = client.get("/risk")
    assert response.status_code == 200
    page = parse(response.text)
    assert "/risk" in page.links()  # the nav
    rows = page.tables["ranking"]
    assert [r[2] for r in rows][:2] in (["critique", "basse"], ["haute", "basse"])
    assert page.links("person-link")[:2] == [f"/entities/{ALAOUI}/graph#risk",
                                             f"/entities/{BELKACEM}/graph#risk"]
    assert "DAP" in rows[0][5]
    assert "trop bas" in rows[0][5]
    assert page.links("alert-link") == [f"/alerts/{risked.alert}"]
    assert "/api/v1/risk" in page.links("json-twin")
    assert "Évaluer tout le monde maintenant" in page.text


def test_a_service_sees_its_own_people_and_view(client: TestClient, risked: Risked) -> None:
    login(client, LIAISON)
    page = parse(client.get("/risk").text)
    assert page.links("person-link") == [f"/entities/{ALAOUI}/graph#risk"]
    assert "Évaluer tout le monde maintenant" not in page.text
    login(client, ANALYST)
    page = parse(client.get("/risk").text)
    assert page.links("person-link") == [f"/entities/{ALAOUI}/graph#risk"]
    assert "aucune déclaration" in page.tables["ranking"][0][5]  # the DAP's is not SNRP's


def test_the_person_page_shows_the_risk_panel(client: TestClient, risked: Risked) -> None:
    login(client, OPERATOR)
    page = parse(client.get(f"/entities/{ALAOUI}/graph?{WHY}").text)
    signals = page.tables["signals"]
    assert len(signals) == 3
    assert {r[1] for r in signals} == {"OFAST", "SNRP"}
    assert "DAP" in page.by_id["risk-declarations"]
    assert "decision-form" in page.by_id
    assert "Aucune décision enregistrée." in page.text
    login(client, LIAISON)
    page = parse(client.get(f"/entities/{ALAOUI}/graph?{WHY}").text)
    assert len(page.tables["signals"]) == 3
    assert "decision-form" not in page.by_id  # services do not decide


def test_a_decision_is_recorded_from_the_person_page(client: TestClient,
                                                     risked: Risked) -> None:
    login(client, OPERATOR)
    token = csrf(client)
    address = f"/entities/{ALAOUI}/risk/decisions?{WHY}"
    response = client.post(address, data={"agency": "DAP", "decision": "raise",
                                          "motif": "Évasion tentée en octobre",
                                          "csrf_token": token})
    assert response.status_code == 303
    assert response.headers["location"] == f"/entities/{ALAOUI}/graph?{WHY}#risk"
    page = parse(client.get(f"/entities/{ALAOUI}/graph?{WHY}").text)
    assert page.tables["decisions"][0][:3] == ["DAP", "relever le niveau déclaré",
                                               "Évasion tentée en octobre"]
    assert _decisions(risked.db) == [(ALAOUI, "DAP", "raise", "Évasion tentée en octobre")]


@pytest.mark.parametrize(("form", "field"), [
    ({"agency": "DAP", "decision": "keep", "motif": "   "}, "motif"),
    ({"agency": "DAP", "decision": "lower", "motif": "Pourquoi pas"}, "decision"),
    ({"agency": "XXX", "decision": "keep", "motif": "Pourquoi pas"}, "agency"),
])
def test_a_refused_decision_names_the_field_on_the_page(
        client: TestClient, risked: Risked, form: dict[str, str], field: str) -> None:
    login(client, OPERATOR)
    response = client.post(f"/entities/{ALAOUI}/risk/decisions?{WHY}",
                           data={**form, "csrf_token": csrf(client)})
    assert response.status_code == 400
    page = parse(response.text)
    assert f"({field})" in page.by_id["risk-error"]
    assert "decision-form" in page.by_id  # shown again, with what was typed
    assert _decisions(risked.db) == []


def test_a_decision_without_the_csrf_token_or_by_a_service_is_refused(
        client: TestClient, risked: Risked) -> None:
    login(client, OPERATOR)
    csrf(client)
    data = {"agency": "DAP", "decision": "keep", "motif": "Rien de neuf"}
    assert client.post(f"/entities/{ALAOUI}/risk/decisions?{WHY}", data=data).status_code == 403
    login(client, LIAISON)
    response = client.post(f"/entities/{ALAOUI}/risk/decisions?{WHY}",
                           data={**data, "csrf_token": csrf(client)})
    assert response.status_code == 403
    assert _decisions(risked.db) == []


def test_an_unknown_person_is_a_page_not_a_crash(client: TestClient, risked: Risked) -> None:
    login(client, OPERATOR)
    response = client.post(f"/entities/E7777/risk/decisions?{WHY}",
                           data={"agency": "DAP", "decision": "keep", "motif": "x",
                                 "csrf_token": csrf(client)})
    assert response.status_code == 404


def test_the_staff_runs_the_assessment_from_the_page(client: TestClient,
                                                     risked: Risked) -> None:
    login(client, OPERATOR)
    response = client.post("/risk/run", data={"csrf_token": csrf(client)})
    assert response.status_code == 303
    assert "Assessment run 2" in client.get("/risk?lang=en").text
    login(client, LIAISON)
    assert client.post("/risk/run", data={"csrf_token": csrf(client)}).status_code == 403


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_reviewer_records_a_decision_in_a_browser(
        live_server: str, risked: Risked,
        browser_page: tuple[Page, list[str], list[str]]) -> None:
    page, problems, _requested = browser_page
    _login(page, live_server, risked.db, OPERATOR, f"/entities/{ALAOUI}/graph?{WHY}")
    panel = page.locator("#risk")
    expect(panel.locator("table.signals tbody tr")).to_have_count(3)
    expect(panel.locator(".risk-level").first).to_be_visible()
    page.check("#decision-form input[value=keep]")
    page.fill("#decision-motif", "Escorte maintenue : transfert prévu")
    page.screenshot(path=ARTIFACTS / "risk-panel.png", full_page=True)
    page.click("#decision-form button[type=submit]")
    expect(page.locator("#risk-decisions tbody tr")).to_have_count(1)
    expect(page.locator("#risk-decisions")).to_contain_text("maintenir le niveau déclaré")
    assert _decisions(risked.db) == [(ALAOUI, "DAP", "keep",
                                      "Escorte maintenue : transfert prévu")]
    assert not problems


def test_the_alert_says_why_in_words_and_leads_to_the_panel(client: TestClient,
                                                           risked: Risked) -> None:
    login(client, LIAISON)
    page = parse(client.get(f"/alerts/{risked.alert}").text)
    told = page.by_id["disclosure"]
    assert "Niveau d'escorte requis" in told
    assert "Détenu particulièrement signalé (DPS)" in told
    assert "False" not in told
    assert "True" not in told
    assert f"/entities/{ALAOUI}/graph#risk" in page.links()
