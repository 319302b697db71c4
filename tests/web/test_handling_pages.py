"""The handling pages: asking, deciding and withdrawing through forms (CSRF on each), the
motif asked before a search and before a person's record, the judicial export form."""

from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from emco.model.enums import Protection, Role
from emco.settings import Settings
from emco.store import resolution
from emco.store.db import Database
from emco.store.tables import records
from tests import factories
from tests.factories import entity, person
from tests.web.conftest import PASSWORD, WHY, WHY_Q, login, parse

SNRP = [entity("s-h2", "Person", meta={"handling": "H2"}, name="Yanis SECRET"),
        entity("s-h1", "Person", meta={"handling": "H1"}, name="Yanis SECRET"),
        entity("s-h3", "Person", meta={"handling": "H3", "condition": "usage interne"},
               name="Yanis SECRET")]
DAP = [person("d-1", "Yanis SECRET")]
OPERATOR, SNRP_LIAISON, DAP_LIAISON = "op.emco", "liaison.snrp", "liaison.dap"


@pytest.fixture
def ids(db: Database, settings: Settings, tmp_path: Path) -> dict[str, int]:
    for agency, rows in (("SNRP", SNRP), ("DAP", DAP)):
        path = factories.write_jsonl(tmp_path / f"{agency}.jsonl", rows)
        assert factories.load(db, settings, path, agency=agency).accepted == len(rows)
    factories.user(db, OPERATOR, "EMCO", Role.OPERATOR, clearance=Protection.DR,
                   password=PASSWORD)
    factories.user(db, SNRP_LIAISON, "SNRP", Role.LIAISON, password=PASSWORD)
    factories.user(db, DAP_LIAISON, "DAP", Role.LIAISON, password=PASSWORD)
    with db.write() as conn:
        found = {s: int(r) for r, s in conn.execute(sa.select(records.c.id,
                                                                records.c.source_id))}
        resolution.replace_entities(db, conn, [(r, "E0001") for r in found.values()])
    return found


def _post(client: TestClient, url: str, data: dict[str, object]) -> tuple[int, str]:
    token = _token(client)
    response = client.post(url, data={**data, "csrf_token": token})
    return response.status_code, response.text


def _token(client: TestClient) -> str:
    html = client.get("/handling").text
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


def test_an_h2_record_is_asked_for_decided_and_then_seen(client: TestClient,
                                                         ids: dict[str, int]) -> None:
    h2 = ids["s-h2"]
    login(client, DAP_LIAISON)
    assert client.get(f"/records/{h2}?{WHY_Q}").status_code == 404
    client.cookies.clear()
    login(client, OPERATOR)
    status, _ = _post(client, "/handling", {"record": h2, "kind": "disseminate",
                                            "for_agency": "DAP", "motif": "transfert",
                                            "case_ref": "DAP-1"})
    assert status == 303
    page = parse(client.get("/handling").text)
    assert "transfert" in page.by_id["mine"]
    twin = client.get("/api/v1/handling-requests").json()
    [mine] = twin["mine"]
    assert (mine["record"], mine["status"], mine["for_agency"]) == (h2, "pending", "DAP")
    client.cookies.clear()
    login(client, SNRP_LIAISON)
    page = parse(client.get("/handling").text)
    assert "Yanis SECRET" in page.by_id["to-decide"]
    # a decision without the form's token is refused, and changes nothing
    assert client.post(f"/handling/{mine['id']}/decision",
                       data={"decision": "approve"}).status_code == 403
    status, _ = _post(client, f"/handling/{mine['id']}/decision",
                      {"decision": "approve", "note": "accord"})
    assert status == 303
    client.cookies.clear()
    login(client, DAP_LIAISON)
    assert client.get(f"/records/{h2}?{WHY_Q}").status_code == 200


def test_bad_requests_are_shown_beside_the_form_with_what_was_typed(
        client: TestClient, ids: dict[str, int]) -> None:
    login(client, OPERATOR)
    status, html = _post(client, "/handling", {"record": ids["s-h2"], "kind": "disseminate",
                                               "for_agency": "NOPE", "motif": "transfert"})
    assert status == 400
    page = parse(html)
    assert "NOPE" in page.by_id["error"]
    assert 'value="transfert"' in html
    status, html = _post(client, "/handling", {"record": 10**9, "kind": "disseminate",
                                               "for_agency": "DAP", "motif": "m"})
    assert status == 404
    with factories_db(client) as count:
        assert count == 0  # nothing written


class factories_db:  # noqa: N801 (a small context manager reading the request count)
    def __init__(self, client: TestClient) -> None:
        self.db: Database = client.app.state.db  # type: ignore[attr-defined]

    def __enter__(self) -> int:
        with self.db.read() as conn:
            return int(conn.execute(sa.text("SELECT count(*) FROM handling_requests"))
                       .scalar_one())

    def __exit__(self, *args: object) -> None:
        return None


def test_a_withdrawal_by_its_author(client: TestClient, ids: dict[str, int]) -> None:
    login(client, OPERATOR)
    _post(client, "/handling", {"record": ids["s-h2"], "kind": "disseminate",
                                "for_agency": "DAP", "motif": "m"})
    [mine] = client.get("/api/v1/handling-requests").json()["mine"]
    status, _ = _post(client, f"/handling/{mine['id']}/withdrawal", {})
    assert status == 303
    [mine] = client.get("/api/v1/handling-requests").json()["mine"]
    assert mine["status"] == "withdrawn"
    status, html = _post(client, f"/handling/{mine['id']}/withdrawal", {})
    assert status == 409
    assert "error" in parse(html).by_id


def test_a_search_asks_for_its_motif_and_the_links_carry_it(client: TestClient,
                                                           ids: dict[str, int]) -> None:
    login(client, SNRP_LIAISON)
    response = client.get("/search", params={"q": "secret"})
    assert response.status_code == 400
    page = parse(response.text)
    assert "motif" in page.by_id["error"]
    assert 'value="secret"' in response.text  # what was typed is kept
    response = client.get("/search", params={"q": "secret", **WHY})
    assert response.status_code == 200
    page = parse(response.text)
    links = [h for h in page.links() if h.startswith("/records/")]
    assert links
    assert all("motif=verification" in h and "case_ref=PV-1" in h for h in links)
    assert "usage interne" in response.text  # the H3 condition in the results
    # a person's record asks first, and shows nothing of it
    asked = client.get(f"/records/{ids['s-h2']}")
    assert asked.status_code == 200
    assert "Yanis" not in asked.text
    assert 'name="motif"' in asked.text
    assert "Yanis SECRET" in client.get(f"/records/{ids['s-h2']}?{WHY_Q}").text
    api = client.get(f"/api/v1/records/{ids['s-h2']}")
    assert (api.status_code, api.json()["field"]) == (400, "motif")


def test_the_judicial_export_form_shows_what_it_withheld(client: TestClient,
                                                         ids: dict[str, int]) -> None:
    login(client, OPERATOR)
    record = client.get(f"/records/{ids['d-1']}?{WHY_Q}").text
    assert 'action="/entities/E0001/judicial-export"' in record
    status, html = _post(client, "/entities/E0001/judicial-export", WHY)
    assert status == 200
    page = parse(html)
    assert page.by_id["exported"] == "3"
    assert "SNRP" in page.by_id["withheld"]
    assert '"handling_condition": "usage interne"' in page.by_id["jsonl"]
    body = client.get("/api/v1/entities/E0001/judicial-export", params=WHY).json()
    assert body["withheld"] == [{"agency": "SNRP", "count": 1, "records": [ids["s-h1"]]}]
    assert client.get("/api/v1/entities/E0001/judicial-export").status_code == 400
