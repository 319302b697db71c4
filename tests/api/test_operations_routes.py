"""The operations API: register, list, read, change, add targets and the map's GeoJSON,
each scoped to the caller's service (the staff: every service's); bad input answered
4xx with the field named, nothing written (both backends)."""

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from emco.model.enums import Protection, Role
from emco.store.db import Database
from tests import factories
from tests.web.conftest import PASSWORD, login

USERS = {"liaison.ofast": ("OFAST", Role.LIAISON, Protection.NP),
         "liaison.dggn": ("DGGN", Role.LIAISON, Protection.NP),
         "ana.ofast": ("OFAST", Role.ANALYST, Protection.NP),
         "op.emco": ("EMCO", Role.OPERATOR, Protection.NP),
         "op.dr": ("EMCO", Role.OPERATOR, Protection.DR)}
RAID: dict[str, Any] = {
    "reference": "OFAST-OP-1", "kind": "raid", "latitude": 43.357, "longitude": 5.364,
    "radius_m": 300, "start": "2026-02-03T06:00:00+01:00",
    "end": "2026-02-03T10:00:00+01:00", "address": "cité de la Castellane",
    "targets": [{"kind": "phone", "value": "06 12 34 56 78"}]}


@pytest.fixture
def clients(app: FastAPI, db: Database) -> Iterator[dict[str, TestClient]]:
    out: dict[str, TestClient] = {}
    for name, (agency, role, clearance) in USERS.items():
        factories.user(db, name, agency, role, password=PASSWORD, clearance=clearance)
        out[name] = TestClient(app, follow_redirects=False)
        out[name].__enter__()
        login(out[name], name)
    yield out
    for c in out.values():
        c.__exit__(None, None, None)


def _post(c: TestClient, **changes: Any) -> Any:
    return c.post("/api/v1/operations", json={**RAID, **changes})


def test_register_and_be_told_of_the_other_service(clients: dict[str, TestClient]) -> None:
    first = _post(clients["liaison.ofast"])
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["agency"] == "OFAST"
    assert body["in_conflict"] is False
    assert body["start"].startswith("2026-02-03T05:00:00")  # stored in UTC
    assert body["targets"][0]["key"] == "+33612345678"
    second = _post(clients["liaison.dggn"], reference="DGGN-OP-1", kind="arrest",
                   latitude=43.358, radius_m=200, targets=[], address=None)
    assert second.status_code == 201, second.text
    [conflict] = second.json()["conflicts"]
    assert conflict["kinds"] == ["place_time"]
    assert conflict["staff_view"] is None
    assert conflict["disclosure"]["other"]["reference"] == "OFAST-OP-1"
    assert "Castellane" not in second.text  # OFAST's address stays OFAST's
    mine = clients["liaison.ofast"].get(f"/api/v1/operations/{body['id']}").json()
    assert mine["in_conflict"] is True
    assert mine["conflicts"][0]["disclosure"]["other"]["agency"] == "DGGN"
    staff = clients["op.emco"].get(f"/api/v1/operations/{body['id']}").json()
    assert staff["conflicts"][0]["staff_view"]["conflict"] == ["place_time"]
    # The alert reached both, through the alerts API.
    for name in ("liaison.ofast", "liaison.dggn"):
        alerts = clients[name].get("/api/v1/alerts").json()
        assert len(alerts["alerts"]) == 1, name


def test_listing_and_the_map_are_scoped(clients: dict[str, TestClient]) -> None:
    assert _post(clients["liaison.ofast"]).status_code == 201
    assert _post(clients["liaison.dggn"], reference="DGGN-OP-1", kind="arrest",
                 latitude=45.0, targets=[]).status_code == 201
    assert _post(clients["op.dr"], agency="DNPJ", reference="DNPJ-OP-1", latitude=48.0,
                 protection="DR", targets=[]).status_code == 201
    refs = {n: [o["reference"] for o in c.get("/api/v1/operations").json()["operations"]]
            for n, c in clients.items()}
    assert refs["liaison.ofast"] == ["OFAST-OP-1"] == refs["ana.ofast"]
    assert refs["liaison.dggn"] == ["DGGN-OP-1"]
    assert sorted(refs["op.emco"]) == ["DGGN-OP-1", "OFAST-OP-1"]  # not the DR one
    assert sorted(refs["op.dr"]) == ["DGGN-OP-1", "DNPJ-OP-1", "OFAST-OP-1"]
    geo = clients["liaison.ofast"].get("/api/v1/operations/map").json()
    assert geo["type"] == "FeatureCollection"
    [feature] = geo["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [5.364, 43.357]}
    assert feature["properties"]["kind"] == "raid"
    assert feature["properties"]["radius_m"] == 300
    staff = clients["op.dr"].get("/api/v1/operations/map").json()
    assert {f["properties"]["agency"] for f in staff["features"]} == {"OFAST", "DGGN", "DNPJ"}
    other = clients["liaison.ofast"].get("/api/v1/operations").json()
    dggn_id = next(o["id"] for o in clients["op.emco"].get("/api/v1/operations").json()[
        "operations"] if o["agency"] == "DGGN")
    assert clients["liaison.ofast"].get(f"/api/v1/operations/{dggn_id}").status_code == 404
    assert all(o["agency"] == "OFAST" for o in other["operations"])


def test_change_and_add_targets(clients: dict[str, TestClient]) -> None:
    op = _post(clients["liaison.ofast"]).json()
    url = f"/api/v1/operations/{op['id']}"
    added = clients["liaison.ofast"].post(url + "/targets", json={"targets": [
        {"kind": "person", "value": {"name": "Karim Benali", "birth_date": "1988-05-02"}}]})
    assert added.status_code == 200, added.text
    assert [t["kind"] for t in added.json()["targets"]] == ["phone", "person"]
    again = clients["liaison.ofast"].post(url + "/targets", json={"targets": [
        {"kind": "phone", "value": "+33 6 12 34 56 78"}]})
    assert again.status_code == 409
    assert again.json()["field"] == "targets[0]"
    cancelled = clients["liaison.ofast"].patch(url, json={"status": "cancelled"})
    assert cancelled.json()["status"] == "cancelled"
    assert clients["liaison.dggn"].patch(url, json={"status": "done"}).status_code == 404
    assert clients["liaison.ofast"].get("/api/v1/operations/map").json()["features"] == []
    everything = clients["liaison.ofast"].get(
        "/api/v1/operations/map?status=cancelled").json()
    assert len(everything["features"]) == 1


@pytest.mark.parametrize(("changes", "field"), [
    ({"agency": "XXX"}, "agency"),
    ({"agency": "DGGN"}, None),  # another service: forbidden
    ({"end": "2026-02-03T05:00:00+01:00"}, "end"),
    ({"start": "2026-02-03T06:00:00"}, "start"),
    ({"start": "tomorrow"}, "start"),
    ({"latitude": 91}, "latitude"),
    ({"longitude": "east"}, "longitude"),
    ({"radius_m": 0}, "radius_m"),
    ({"radius_m": 250_000}, "radius_m"),
    ({"kind": "picnic"}, "kind"),
    ({"investigation": "OFAST-2099-1"}, "investigation"),
    ({"targets": [{"kind": "phone", "value": "abc"}]}, "targets[0].value"),
    ({"targets": [{"kind": "colour", "value": "red"}]}, "targets.0.kind"),
    ({"protection": "DR"}, "protection"),
])
def test_bad_input_is_4xx_with_the_field_and_nothing_written(
        clients: dict[str, TestClient], changes: dict[str, Any], field: str | None) -> None:
    c = clients["liaison.ofast"]
    response = _post(c, **changes)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["field"] == field
    assert clients["op.dr"].get("/api/v1/operations").json()["operations"] == []


def test_unauthenticated_and_unknown(client: TestClient,
                                     clients: dict[str, TestClient]) -> None:
    assert client.get("/api/v1/operations").status_code == 401
    assert client.post("/api/v1/operations", json=RAID).status_code == 401
    assert clients["liaison.ofast"].get("/api/v1/operations/999").status_code == 404
    assert clients["liaison.ofast"].get("/api/v1/operations/0").status_code == 422
