"""The audit log page `/audit` and its JSON twin `GET /api/v1/audit` (with the export):
for an auditor, in French by default; bad filters answered 400 naming the field, on the
page with what was typed kept; everyone else refused with 403, the refusal audited; the
link in the menu only for those who may read the log (both backends)."""

import json

import pytest
from fastapi.testclient import TestClient

from emco.model.enums import Role
from emco.store import audit as store
from emco.store.db import Database
from tests import factories
from tests.web.conftest import OFAST_USER, PASSWORD, login, parse

AUDITOR = "aud.emco"


@pytest.fixture
def auditor(db: Database) -> str:
    """An auditor of the staff, and OFAST's analyst (whose actions the auditor reads)."""
    factories.user(db, AUDITOR, "EMCO", Role.AUDITOR, password=PASSWORD)
    factories.user(db, OFAST_USER, "OFAST", Role.ANALYST, password=PASSWORD)
    return AUDITOR


def _last(db: Database) -> dict[str, object]:
    with db.read() as conn:
        return store.recent(conn, 1)[0]


def test_auditor_searches_the_log_on_the_page(client: TestClient, db: Database,
                                              auditor: str) -> None:
    login(client, OFAST_USER)  # a login of OFAST's analyst, to find
    client.cookies.clear()
    login(client, auditor)
    page = parse(client.get("/audit?user=ana.ofast&action=auth:").text)
    assert "Journal d'audit" in page.text  # French by default
    rows = page.tables["audit"]
    assert rows
    assert all(r[2] == "ana.ofast" and r[4].startswith("auth:") for r in rows)
    assert "/audit" in page.links()  # the menu shows the log to an auditor
    exports = page.links()
    assert "/api/v1/audit/export?user=ana.ofast&action=auth%3A&format=csv" in exports
    last = _last(db)
    assert (last["action"], last["username"], last["result_count"]) == (
        "audit:log:read", auditor, len(rows))


def test_page_keeps_the_form_and_names_a_bad_field(client: TestClient, auditor: str) -> None:
    login(client, auditor)
    response = client.get("/audit?action=case:nope&user=bob")
    assert response.status_code == 400
    page = parse(response.text)
    assert "action" in page.by_id["audit-error"]
    assert ("input", {"name": "user", "value": "bob", "maxlength": "100"}) in page.tags
    late = client.get("/audit?from=2024-06-02&to=2024-06-01")
    assert late.status_code == 400
    assert parse(late.text).by_id["audit-error"]


def test_api_pages_and_exports(client: TestClient, auditor: str) -> None:
    login(client, auditor)
    first = client.get("/api/v1/audit", params={"limit": 2})
    assert first.status_code == 200, first.text
    body = first.json()
    assert len(body["rows"]) == 2
    assert body["rows"][0]["seq"] > body["rows"][1]["seq"]
    older = client.get("/api/v1/audit", params={"limit": 2, "cursor": body["next_cursor"]})
    assert older.json()["rows"][0]["seq"] < body["rows"][1]["seq"]
    export = client.get("/api/v1/audit/export", params={"format": "jsonl",
                                                        "action": "auth:"})
    assert export.status_code == 200
    assert export.headers["content-type"].startswith("application/x-ndjson")
    assert "attachment" in export.headers["content-disposition"]
    lines = [json.loads(x) for x in export.text.splitlines()]
    assert lines
    assert all(x["action"].startswith("auth:") and x["hash"] for x in lines)
    csv_export = client.get("/api/v1/audit/export?format=csv")
    assert csv_export.text.startswith("seq,at,username,")


@pytest.mark.parametrize(("query", "field"), [
    ("action=nope", "action"), ("from=31/05/2024", "from"), ("limit=0", "limit"),
    ("limit=501", "limit"), ("from=2024-06-02&to=2024-06-01", "from"),
    ("outcome=maybe", "outcome")])
def test_api_names_the_bad_field(client: TestClient, auditor: str, query: str,
                                 field: str) -> None:
    login(client, auditor)
    paths = ["/api/v1/audit"] + ([] if "limit" in query else ["/api/v1/audit/export"])
    for path in paths:  # an export has no pages
        response = client.get(f"{path}?{query}")
        assert 400 <= response.status_code < 500, response.text
        assert response.json()["field"] == field


def test_others_are_refused_and_audited(client: TestClient, db: Database,
                                        auditor: str) -> None:
    login(client, OFAST_USER)
    assert "/audit" not in parse(client.get("/search").text).links()
    assert client.get("/api/v1/audit").status_code == 403
    assert _last(db)["outcome"] == "denied"
    assert client.get("/api/v1/audit/export").status_code == 403
    last = _last(db)
    assert (last["action"], last["outcome"]) == ("audit:log:export", "denied")
    assert client.get("/audit").status_code == 403
