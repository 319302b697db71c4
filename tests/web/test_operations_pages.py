"""The pages of operations: the list and its form (CSRF, a refused form shown again with
the field, nothing written), one operation and its conflicts, the map page's scripts
(vendored, no inline code), in French by default (both backends)."""

from fastapi.testclient import TestClient

from emco.model.enums import Protection, Role
from emco.store.db import Database
from tests import factories
from tests.web.conftest import PASSWORD, csrf, form_login, parse

FORM = {"agency": "OFAST", "reference": "OFAST-OP-1", "kind": "raid", "latitude": "43,357",
        "longitude": "5.364", "radius_m": "300", "start": "2026-02-03T06:00",
        "end": "2026-02-03T10:00", "address": "cité de la Castellane",
        "target_kind": "phone", "target_value": "06 12 34 56 78"}


def _liaison(client: TestClient, db: Database, agency: str = "OFAST") -> None:
    name = f"liaison.{agency.lower()}"
    factories.user(db, name, agency, Role.LIAISON, password=PASSWORD)
    assert form_login(client, name).status_code == 303


def test_register_through_the_form_and_read_the_page(client: TestClient,
                                                     db: Database) -> None:
    _liaison(client, db)
    page = parse(client.get("/operations").text)
    assert "/operations" in page.links()
    assert "Enregistrer une opération" in page.text
    response = client.post("/operations", data={**FORM, "csrf_token": csrf(client)})
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    detail = parse(client.get(location).text)
    assert detail.by_id["op-start"] == "03/02/2026 06:00"  # French time, as typed
    assert "Perquisition" in detail.text
    assert detail.tables["targets"][0][2] == "+33612345678"
    assert "no-conflict" in detail.by_id
    listing = parse(client.get("/operations").text)
    assert listing.tables["operations"][0][0] == "OFAST-OP-1"
    assert f"/api/v1/operations/{location.rsplit('/', 1)[1]}" in detail.links("json-twin")


def test_a_refused_form_names_the_field_and_writes_nothing(client: TestClient,
                                                          db: Database) -> None:
    _liaison(client, db)
    response = client.post("/operations", data={**FORM, "radius_m": "-3",
                                                "csrf_token": csrf(client)})
    assert response.status_code == 400
    page = parse(response.text)
    assert "(radius_m)" in page.text
    assert "le rayon" in page.text.lower() or "radius_m doit" in page.text
    assert 'value="OFAST-OP-1"' in response.text  # the form is shown again, filled in
    assert "no-operation" in parse(client.get("/operations").text).by_id
    without = client.post("/operations", data=FORM)
    assert without.status_code == 403  # no CSRF token


def test_another_service_s_operation_is_not_found(client: TestClient, db: Database) -> None:
    _liaison(client, db)
    assert client.post("/operations", data={**FORM, "csrf_token": csrf(client)}
                       ).status_code == 303
    other = TestClient(client.app, follow_redirects=False)
    _liaison(other, db, "DGGN")
    assert other.get("/operations/1").status_code == 404
    assert "OFAST-OP-1" not in other.get("/operations").text
    # The staff's operator sees both the list and the page.
    staff = TestClient(client.app, follow_redirects=False)
    factories.user(db, "op.emco", "EMCO", Role.OPERATOR, clearance=Protection.DR,
                   password=PASSWORD)
    assert form_login(staff, "op.emco").status_code == 303
    assert staff.get("/operations/1").status_code == 200
    assert "OFAST-OP-1" in staff.get("/operations").text


def test_the_map_page_loads_vendored_scripts_only(client: TestClient, db: Database) -> None:
    _liaison(client, db)
    response = client.get("/operations/map")
    assert response.status_code == 200
    page = parse(response.text)
    scripts = [attrs.get("src") for attrs, _text in page.scripts]
    assert scripts == ["/static/vendor/leaflet-1.9.4.js", "/static/operations-map.js"]
    assert all(text.strip() == "" for _attrs, text in page.scripts)  # no inline code
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "/api/v1/operations/map" in page.links("json-twin")
    for path in [*scripts, "/static/vendor/leaflet-1.9.4.css",
                 "/static/vendor/natural-earth-50m-4.1.0-france.geojson"]:
        assert client.get(str(path)).status_code == 200, path
    legend = page.by_class["legend"][0]
    assert "Livraison surveillée" in legend
    assert "Transfèrement" in legend
