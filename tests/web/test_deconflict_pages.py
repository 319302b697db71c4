"""Pages of deconfliction: the register, an investigation with its targets and overlaps,
the hit/no-hit query; forms with their CSRF token, refusals shown in the form (both
backends)."""

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from emco.model.enums import Protection, Role
from emco.store.db import Database
from tests import factories
from tests.web.conftest import PASSWORD, csrf, form_login, parse

SECRET = "Surveillance du entrepôt de Rungis (SECRET DNPJ)"


@pytest.fixture
def users(db: Database) -> None:
    for name, agency, role in (("liaison.ofast", "OFAST", Role.LIAISON),
                               ("liaison.dnpj", "DNPJ", Role.LIAISON),
                               ("op.emco", "EMCO", Role.OPERATOR),
                               ("audit.emco", "EMCO", Role.AUDITOR)):
        factories.user(db, name, agency, role, password=PASSWORD,
                       clearance=Protection.DR if role == Role.OPERATOR else Protection.NP)


def _as(app: FastAPI, name: str) -> TestClient:
    c = TestClient(app, follow_redirects=False)
    assert form_login(c, name).status_code == 303
    return c


def _register(c: TestClient, reference: str, title: str, agency: str) -> int:
    response = c.post("/investigations", data={
        "agency": agency, "reference": reference, "title": title, "contact_name": "Cdt X",
        "contact_phone": "01 40 00 00 00", "protection": "NP", "opened": "2026-01-05",
        "csrf_token": csrf(c)})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def _target(c: TestClient, inv: int, **fields: str) -> int:
    response = c.post(f"/investigations/{inv}/targets",
                      data={**fields, "csrf_token": csrf(c)})
    return response.status_code


def test_register_and_target_through_the_pages(app: FastAPI, users: None) -> None:
    c = _as(app, "liaison.ofast")
    page = parse(c.get("/investigations").text)
    assert "/investigations" in page.links()
    assert "/hits" in page.links()
    assert [a.get("value") for t, a in page.tags if t == "option" and a.get("value") in
            ("OFAST", "DNPJ")] == ["OFAST"]  # a liaison registers its own service's only
    inv = _register(c, "O-1", "Trafic Marseille", "OFAST")
    assert _target(c, inv, kind="phone", value="06 12 34 56 78") == 303
    assert _target(c, inv, kind="person", value="Karim BENALI", birth_date="1988-05-02",
                   phone="") == 303
    page = parse(c.get(f"/investigations/{inv}").text)
    assert page.tables["targets"][0][:3] == ["téléphone", "06 12 34 56 78", "+33612345678"]
    assert page.tables["targets"][1][1] == "Karim BENALI, né(e) le 1988-05-02"
    assert f"/api/v1/investigations/{inv}" in page.links("json-twin")
    assert "no-overlap" in page.by_id


def test_a_refused_form_is_shown_again_with_the_reason(app: FastAPI, users: None) -> None:
    c = _as(app, "liaison.ofast")
    inv = _register(c, "O-1", "Trafic", "OFAST")
    response = c.post(f"/investigations/{inv}/targets", data={
        "kind": "phone", "value": "06 12", "csrf_token": csrf(c)})
    assert response.status_code == 422
    page = parse(response.text)
    assert "06 12" in page.by_class["error"][0]
    assert "(value)" in page.by_class["error"][0]
    assert ("input", {"id": "value", "name": "value", "value": "06 12", "maxlength": "200",
                      "required": ""}) in page.tags
    again = c.post("/investigations", data={
        "agency": "OFAST", "reference": "O-1", "title": "Bis", "contact_name": "Cdt X",
        "csrf_token": csrf(c)})
    assert again.status_code == 409
    assert "O-1" in parse(again.text).by_class["error"][0]
    forged = c.post(f"/investigations/{inv}/targets", data={
        "kind": "phone", "value": "0612345678", "csrf_token": "forged"})
    assert forged.status_code == 403


def test_the_overlap_shows_who_to_call_never_their_file(app: FastAPI, users: None) -> None:
    ofast, dnpj = _as(app, "liaison.ofast"), _as(app, "liaison.dnpj")
    mine = _register(ofast, "OFAST-2026-042", "Trafic nord", "OFAST")
    theirs = _register(dnpj, "DNPJ-2026-117", SECRET, "DNPJ")
    _target(ofast, mine, kind="plate", value="AB-123-CD")
    _target(dnpj, theirs, kind="plate", value="ab 123 cd")
    html = ofast.get(f"/investigations/{mine}").text
    page = parse(html)
    [row] = page.tables["overlaps"]
    assert row[1].startswith("DNPJ")
    assert row[2] == "DNPJ-2026-117"
    assert "AB-123-CD" in row[4]
    assert page.links("alert-link")[0].startswith("/alerts/")
    assert SECRET not in html
    assert "ab 123 cd" not in html
    assert ofast.get(f"/investigations/{theirs}").status_code == 404
    staff = parse(_as(app, "op.emco").get(f"/investigations/{mine}").text)
    assert staff.tables["overlaps"][0][2] == "DNPJ-2026-117"
    assert "ab 123 cd" in staff.tables["overlaps"][0][4]


def test_the_hit_page_answers_hit_or_no_hit(app: FastAPI, users: None) -> None:
    dnpj = _as(app, "liaison.dnpj")
    theirs = _register(dnpj, "D-1", SECRET, "DNPJ")
    _target(dnpj, theirs, kind="email", value="convoi@example.org")
    c = _as(app, "liaison.ofast")
    assert c.get("/hits").status_code == 200
    yes_page = c.post("/hits", data={"kind": "email", "value": "CONVOI@example.org",
                                     "csrf_token": csrf(c)})
    yes = parse(yes_page.text)
    assert yes.tables["contacts"][0][0].startswith("DNPJ")
    assert SECRET not in yes.text
    no_page = c.post("/hits", data={"kind": "email", "value": "other@example.org",
                                    "csrf_token": csrf(c)})
    no = parse(no_page.text)
    assert len(yes_page.content) == len(no_page.content)  # the page's size tells nothing
    assert "contacts" not in no.tables
    assert "Aucun résultat" in no.text
    bad = c.post("/hits", data={"kind": "email", "value": "nobody", "csrf_token": csrf(c)})
    assert bad.status_code == 422
    auditor = _as(app, "audit.emco")
    assert "/hits" not in parse(auditor.get("/search").text).links()
    assert auditor.post("/hits", data={"kind": "email", "value": "x@example.org",
                                       "csrf_token": csrf(auditor)}).status_code == 403
