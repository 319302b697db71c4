"""The deconfliction API: the register, targets, overlaps as each side sees them, and the
hit/no-hit query's fixed-size, data-independent answers (both backends)."""

import json
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from emco.model.enums import AuditAction, Protection, Role
from emco.store import audit as audit_store
from emco.store.db import Database
from tests import factories
from tests.web.conftest import PASSWORD, login

SECRET = "Livraison surveillée, port de Sète (SECRET DNPJ)"
USERS = {"liaison.ofast": ("OFAST", Role.LIAISON), "liaison.dnpj": ("DNPJ", Role.LIAISON),
         "liaison.snrp": ("SNRP", Role.LIAISON), "ana.ofast": ("OFAST", Role.ANALYST),
         "op.emco": ("EMCO", Role.OPERATOR)}


@pytest.fixture
def clients(app: FastAPI, db: Database) -> Iterator[dict[str, TestClient]]:
    """One logged-in client per user (each with its own cookies)."""
    out: dict[str, TestClient] = {}
    for name, (agency, role) in USERS.items():
        factories.user(db, name, agency, role, password=PASSWORD,
                       clearance=Protection.DR if role == Role.OPERATOR else Protection.NP)
        out[name] = TestClient(app, follow_redirects=False)
        out[name].__enter__()
        login(out[name], name)
    yield out
    for c in out.values():
        c.__exit__(None, None, None)


def _register(c: TestClient, agency: str, reference: str, *targets: dict[str, object],
              title: str = "Trafic", **extra: object) -> dict[str, object]:
    response = c.post("/api/v1/investigations", json={
        "agency": agency, "reference": reference, "title": title,
        "lead_contact": {"name": f"Cdt {agency}", "phone": "01 40 00 00 00",
                         "email": f"chef@{agency.lower()}.invalid"},
        "targets": list(targets), **extra})
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def test_register_list_read_and_scope(clients: dict[str, TestClient]) -> None:
    ofast, dnpj = clients["liaison.ofast"], clients["liaison.dnpj"]
    mine = _register(ofast, "OFAST", "O-1", {"kind": "phone", "value": "06 12 34 56 78"},
                     {"kind": "person", "value": {"name": "Karim BENALI",
                                                  "birth_date": "1988-05-02"}},
                     court="TJ Marseille", opened="2026-01-05")
    assert [t["key"] for t in mine["targets"]] == ["+33612345678", "benali karim|1988-05-02"]
    assert mine["targets"][1]["value"] == {"name": "Karim BENALI", "birth_date": "1988-05-02"}
    theirs = _register(dnpj, "DNPJ", "D-1")
    listed = ofast.get("/api/v1/investigations").json()["investigations"]
    assert [i["reference"] for i in listed] == ["O-1"]
    assert [i["reference"] for i in clients["ana.ofast"].get(
        "/api/v1/investigations").json()["investigations"]] == ["O-1"]
    assert sorted(i["reference"] for i in clients["op.emco"].get(
        "/api/v1/investigations").json()["investigations"]) == ["D-1", "O-1"]
    assert ofast.get(f"/api/v1/investigations/{mine['id']}").json()["court"] == "TJ Marseille"
    absent = ofast.get("/api/v1/investigations/9999")
    hidden = ofast.get(f"/api/v1/investigations/{theirs['id']}")
    assert absent.status_code == hidden.status_code == 404
    assert absent.json()["message"].replace("9999", "N") == \
        hidden.json()["message"].replace(str(theirs["id"]), "N")


@pytest.mark.parametrize(("body", "status", "field"), [
    ({"agency": "NOPE"}, 400, "agency"),
    ({"agency": "DNPJ"}, 403, "agency"),
    ({"reference": ""}, 400, "reference"),
    ({"lead_contact": {"name": "Cdt X", "email": "nobody"}}, 400, "contact_email"),
    ({"protection": "DR"}, 403, "protection"),
    ({"protection": "TS"}, 422, "protection"),
    ({"opened": "2026-13-01"}, 422, "opened"),
    ({"targets": [{"kind": "phone", "value": "0612345678"},
                  {"kind": "phone", "value": "06 12"}]}, 422, "targets[1].value"),
    ({"targets": [{"kind": "person", "value": {"name": "Xavier Yvon"}}]}, 422,
     "targets[0].value.birth_date"),
    ({"targets": [{"kind": "vehicle", "value": "AB123CD"}]}, 422, "targets.0.kind"),
])
def test_bad_registrations_name_the_field_and_write_nothing(
        clients: dict[str, TestClient], body: dict[str, object], status: int,
        field: str) -> None:
    c = clients["liaison.ofast"]
    payload: dict[str, object] = {"agency": "OFAST", "reference": "O-1", "title": "Trafic",
                                  "lead_contact": {"name": "Cdt X"}}
    payload.update(body)
    response = c.post("/api/v1/investigations", json=payload)
    assert (response.status_code, response.json()["field"]) == (status, field)
    assert response.json()["message"]
    assert clients["op.emco"].get("/api/v1/investigations").json()["investigations"] == []


def test_targets_status_and_conflicts(clients: dict[str, TestClient]) -> None:
    c = clients["liaison.ofast"]
    inv = _register(c, "OFAST", "O-1")
    url = f"/api/v1/investigations/{inv['id']}"
    added = c.post(f"{url}/targets", json={"kind": "iban",
                                           "value": "FR76 3000 6000 0112 3456 7890 189"})
    assert added.status_code == 201
    assert added.json()["key"] == "FR7630006000011234567890189"
    again = c.post(f"{url}/targets", json={"kind": "iban",
                                           "value": "FR7630006000011234567890189"})
    assert again.status_code == 409
    assert c.post(url.replace("/api", "/api") + "/targets", json={
        "kind": "record", "value": 123456}).status_code == 404  # no such record in sight
    assert c.delete(f"{url}/targets/{added.json()['id']}").status_code == 204
    assert c.delete(f"{url}/targets/{added.json()['id']}").status_code == 404
    assert c.patch(url, json={"status": "closed"}).json()["status"] == "closed"
    closed = c.post(f"{url}/targets", json={"kind": "plate", "value": "AB-123-CD"})
    assert (closed.status_code, closed.json()["field"]) == (409, "status")
    assert c.patch(url, json={"status": "shelved"}).status_code == 422
    assert clients["ana.ofast"].post(f"{url}/targets", json={
        "kind": "plate", "value": "AB-123-CD"}).status_code == 403
    assert clients["liaison.dnpj"].patch(url, json={"status": "open"}).status_code == 404


def test_each_side_sees_its_own_disclosure_and_never_the_other_file(
        clients: dict[str, TestClient]) -> None:
    ofast, dnpj, staff = clients["liaison.ofast"], clients["liaison.dnpj"], clients["op.emco"]
    mine = _register(ofast, "OFAST", "OFAST-2026-042",
                     {"kind": "phone", "value": "06 12 34 56 78"}, title="Trafic nord")
    theirs = _register(dnpj, "DNPJ", "DNPJ-2026-117",
                       {"kind": "phone", "value": "+33 6 12 34 56 78"},
                       {"kind": "email", "value": "convoi@example.org"}, title=SECRET)
    seen = ofast.get(f"/api/v1/investigations/{mine['id']}").json()
    [overlap] = seen["overlaps"]
    assert overlap["staff_view"] is None
    assert overlap["disclosure"]["other_investigation"]["reference"] == "DNPJ-2026-117"
    assert overlap["disclosure"]["matched"][0]["value"] == "06 12 34 56 78"
    alert = ofast.get(f"/api/v1/alerts/{overlap['id']}")
    everything = json.dumps(seen) + (alert.text if alert.status_code == 200 else "")
    for secret in (SECRET, "+33 6 12 34 56 78", "convoi@example.org"):
        assert secret not in everything
    other = dnpj.get(f"/api/v1/investigations/{theirs['id']}").json()
    assert other["overlaps"][0]["disclosure"]["matched"][0]["value"] == "+33 6 12 34 56 78"
    assert "Trafic nord" not in json.dumps(other)
    whole = staff.get(f"/api/v1/investigations/{mine['id']}").json()["overlaps"][0]
    assert SECRET in json.dumps(whole["staff_view"], ensure_ascii=False)


def test_hits_have_one_length_and_no_count(clients: dict[str, TestClient],
                                           db: Database) -> None:
    _register(clients["liaison.dnpj"], "DNPJ", "D-1", {"kind": "phone", "value": "0612345678"})
    for name in ("liaison.ofast", "liaison.snrp", "op.emco"):
        c = clients[name]
        yes = c.post("/api/v1/hits", json={"kind": "phone", "value": "06 12 34 56 78"})
        no = c.post("/api/v1/hits", json={"kind": "phone", "value": "07 98 76 54 32"})
        assert yes.status_code == no.status_code == 200
        assert yes.json()["hit"]
        assert not no.json()["hit"]
        assert len(yes.content) == len(no.content)
        assert yes.headers["content-length"] == no.headers["content-length"]
        assert set(yes.json()) == set(no.json()) == {"kind", "key", "hit", "contacts",
                                                     "padding"}
        assert [x["agency"] for x in yes.json()["contacts"]] == ["DNPJ"]
    with db.read() as conn:
        queries = [r for r in audit_store.rows(conn) if r["action"] == AuditAction.HIT_QUERY]
    assert len(queries) == 6


def test_a_malformed_hit_query_is_refused_alike_for_everyone(
        clients: dict[str, TestClient]) -> None:
    _register(clients["liaison.dnpj"], "DNPJ", "D-1", {"kind": "phone", "value": "0612345678"})
    bodies = set()
    for c in clients.values():
        for query in ({"kind": "phone", "value": "06 12"}, {"kind": "car", "value": "x"},
                      {"kind": "person", "value": {"name": "X"}}):
            response = c.post("/api/v1/hits", json=query)
            assert response.status_code == 422
            bodies.add((json.dumps(query), response.text))
    assert len(bodies) == 3  # one answer per query, whoever asks
    anonymous = TestClient(clients["op.emco"].app)
    assert anonymous.post("/api/v1/hits", json={"kind": "phone",
                                                "value": "0612345678"}).status_code == 401
