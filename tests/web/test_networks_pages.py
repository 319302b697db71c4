"""The network pages: the ranked list, one network (graph data, members, threat, history),
a person's links with the shortest path to another, for the staff's operator and for a
service's analyst, in French by default (both backends); and one real browser on the
graphs (SQLite).

`mapped` (also used by tests/api/test_networks.py) puts a mapping in place through the
platform's own entry points: each service's people ingested (on top of `world`'s records
and analysts), resolved entities written with the resolution repository, and two mapping
runs stored with the network repository (runs, networks, members, edges), as
`emco.network.networks.map_networks` stores them; the threat detail is the stage's own
assessment (`emco.network.threat.assess`) of made-up facts.
"""

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from playwright.sync_api import Page, expect

from emco.access import records
from emco.access.gate import Access
from emco.model.enums import Protection, Role
from emco.network import threat
from emco.settings import Settings
from emco.store import networks as repo
from emco.store import resolution
from emco.store.db import Database
from emco.store.networks import MemberRow, NetworkRow
from emco.store.tables import audit_events
from tests import factories
from tests.web.conftest import PASSWORD, World, csrf, form_login, login, parse
from tests.web.test_browser_operations import ARTIFACTS, _login, browser_page

__all__ = ["browser_page"]  # a fixture of the browser test, reused

OPERATOR = "op.emco"
P = factories.person
# Each service's people; the same Mohamed AMRA is in both files (one entity).
OFAST_PEOPLE = [P("o-amra", "Mohamed AMRA"), P("o-benali", "Karim BENALI"),
                P("o-martin", "Lucas MARTIN"), P("o-roux", "Paul ROUX")]
DNPJ_PEOPLE = [P("d-amra", "Mohamed AMRA"), P("d-garcia", "Pablo GARCIA"),
               P("d-petit", "Anne PETIT"), P("d-moreau", "Luc MOREAU"),
               P("d-faure", "Eva FAURE"), P("d-blanc", "Hugo BLANC")]
ENTITIES = {"o-amra": "E00000001", "d-amra": "E00000001", "o-benali": "E00000002",
            "o-martin": "E00000003", "o-roux": "E00000004", "d-garcia": "E00000005",
            "d-petit": "E00000006", "d-moreau": "E00000007", "d-faure": "E00000008",
            "d-blanc": "E00000009"}
AMRA, BENALI, MARTIN, ROUX, GARCIA, PETIT, MOREAU, FAURE, BLANC = (
    f"E0000000{n}" for n in range(1, 10))
OUTSIDER = "E00000099"  # nobody's
WHY = urlencode({"motif": "cartographie du réseau", "case_ref": "OFAST-2026-12"})


@dataclass
class Mapped:
    """The mapping `mapped` stored: its networks' ids, the accounts, the store."""

    world: World
    db: Database
    network: str = "R0001"  # AMRA's: both services' links
    dnpj_only: str = "R0002"  # DNPJ's links only
    operator: str = OPERATOR


def _edge(source: str, target: str, kind: str, agency: str, weight: float, count: int,
          first: str | None, last: str | None, record: int,
          protection: str = "NP") -> dict[str, object]:
    return {"source": source, "target": target, "kind": kind, "agency_code": agency,
            "protection": protection, "weight": weight, "count": count,
            "first_on": date.fromisoformat(first) if first else None,
            "last_on": date.fromisoformat(last) if last else None,
            "evidence": [f"record:{record}"]}


def _member(run: int, entity: str, network: str, rank: int, score: float, role: str
            ) -> MemberRow:
    # As emco.network.heads.Part.to_json gives them; the contributions add up to the score.
    parts = {"degree": {"value": score, "weight": 0.4, "contribution": round(score * 0.4, 4),
                        "raw": 3.0, "reason": "3 contacts in his network of 5"},
             "betweenness": {"value": score, "weight": 0.6,
                             "contribution": round(score * 0.6, 4), "raw": 2.0,
                             "reason": "on 2.0 shortest paths between members"}}
    return MemberRow(run, entity, network, score, rank, role, 0.8, parts)


THREAT = threat.assess(threat.NetworkFacts(
    size=5, incidents=Counter({"threats_against_staff": 2, "firearms": 1}), events_known=True,
    companies=0, finance_known=True, payments=12_000.0, payments_known=True,
    countries=Counter(), origin_known=False, remaining_share=0.5))


@pytest.fixture
def mapped(db: Database, settings: Settings, tmp_path: Path, world: World,
           seeded: Callable[..., None]) -> Mapped:
    seeded("mapped", lambda: _mapped(db, settings, tmp_path))
    return Mapped(world, db)


def _mapped(db: Database, settings: Settings, tmp_path: Path) -> None:
    ids: dict[str, int] = {}
    for agency, people in (("OFAST", OFAST_PEOPLE), ("DNPJ", DNPJ_PEOPLE)):
        path = factories.write_jsonl(tmp_path / f"net-{agency.lower()}.jsonl", people)
        assert factories.load(db, settings, path, agency=agency).accepted == len(people)
    factories.user(db, OPERATOR, "EMCO", Role.OPERATOR, clearance=Protection.DR,
                   password=PASSWORD)
    staff = Access(db, factories.principal("EMCO", Role.OPERATOR, clearance=Protection.DR,
                                           username=OPERATOR))
    for _agency, source_id, record_id in records.identities(staff):
        ids[source_id] = record_id
    edges = pd.DataFrame([
        _edge(AMRA, BENALI, "call", "OFAST", 6.0, 6, "2024-01-10", "2024-03-01", ids["o-amra"]),
        _edge(BENALI, MARTIN, "payment", "OFAST", 4.0, 2, "2024-02-01", "2024-02-01",
              ids["o-benali"]),
        _edge(MARTIN, ROUX, "family", "OFAST", 1.5, 1, None, None, ids["o-martin"]),
        _edge(AMRA, GARCIA, "call", "DNPJ", 3.0, 3, "2023-06-01", "2023-07-01",
              ids["d-amra"]),
        _edge(GARCIA, PETIT, "associate", "DNPJ", 2.0, 1, None, None, ids["d-garcia"]),
        _edge(PETIT, MARTIN, "shared_phone", "DNPJ", 1.5, 1, "2024-05-05", "2024-05-05",
              ids["d-petit"], protection="DR"),
        _edge(MOREAU, FAURE, "call", "DNPJ", 2.0, 2, "2024-04-01", "2024-04-02",
              ids["d-moreau"]),
        _edge(FAURE, BLANC, "meeting", "DNPJ", 1.5, 1, "2024-04-03", "2024-04-03",
              ids["d-faure"]),
    ])
    with db.write() as conn:
        resolution.replace_entities(db, conn, [(ids[s], e) for s, e in ENTITIES.items()])
        first = repo.start_run(conn, "op.emco", datetime(2024, 6, 1, 8, 0, tzinfo=UTC))
        repo.save_network(conn, NetworkRow("R0001", "Network of Mohamed AMRA", first, first,
                                           4, 0.4, "moderate", {}))
        repo.write_members(db, conn, [
            _member(first, AMRA, "R0001", 1, 0.9, "head"),
            _member(first, BENALI, "R0001", 2, 0.5, "lieutenant"),
            _member(first, MARTIN, "R0001", 3, 0.3, "logistics"),
            _member(first, GARCIA, "R0001", 4, 0.2, "supplier")])
        repo.finish_run(conn, first, finished=datetime(2024, 6, 1, 8, 1, tzinfo=UTC),
                        nodes=9, edges=6, modularity=0.4, detail={})
        second = repo.start_run(conn, "op.emco", datetime(2024, 7, 1, 8, 0, tzinfo=UTC))
        repo.replace_edges(db, conn, edges)
        repo.save_network(conn, NetworkRow(
            "R0001", "Network of Mohamed AMRA", first, second, 5, THREAT.score,
            THREAT.level, {"threat": THREAT.to_dict(), "key_players": [AMRA, GARCIA],
                           "origin": None}))
        repo.save_network(conn, NetworkRow(
            "R0002", "Network of Luc MOREAU", second, second, 3, 0.1, "low",
            {"threat": threat.assess(threat.NetworkFacts(size=3)).to_dict(),
             "key_players": [FAURE], "origin": {"split_from": "R0001"}}))
        repo.write_members(db, conn, [
            _member(second, AMRA, "R0001", 1, 0.9, "head"),
            _member(second, BENALI, "R0001", 2, 0.55, "lieutenant"),
            _member(second, GARCIA, "R0001", 3, 0.4, "supplier"),
            _member(second, MARTIN, "R0001", 4, 0.3, "logistics"),
            _member(second, PETIT, "R0001", 5, 0.1, "retail"),
            _member(second, FAURE, "R0002", 1, 0.7, "head"),
            _member(second, MOREAU, "R0002", 2, 0.3, "retail"),
            _member(second, BLANC, "R0002", 3, 0.2, "enforcer")])
        repo.finish_run(conn, second, finished=datetime(2024, 7, 1, 8, 1, tzinfo=UTC),
                        nodes=9, edges=8, modularity=0.5, detail={})


def _as(client: TestClient, username: str) -> TestClient:
    assert form_login(client, username).status_code == 303
    return client


# --- the list -------------------------------------------------------------------------------

def test_the_staff_sees_every_network_ranked_by_threat(client: TestClient,
                                                       mapped: Mapped) -> None:
    page = parse(_as(client, OPERATOR).get("/networks").text)
    rows = page.tables["networks"]
    assert [r[1].split()[-1] for r in rows] == ["R0001", "R0002"]  # most threatening first
    assert rows[0][2].split()[0] in ("modérée", "haute", "critique")
    assert rows[0][3] == "5"
    assert "Mohamed AMRA" in rows[0][4]
    assert "Karim BENALI" in rows[0][4]
    assert "/networks/R0001" in page.links("network-link")
    assert "/api/v1/networks" in page.links("json-twin")
    assert "/networks" in page.links()  # the menu
    assert "Cartographier les réseaux maintenant" in page.text  # the operator may run it


def test_a_service_sees_only_the_networks_its_records_reach(client: TestClient,
                                                            mapped: Mapped) -> None:
    page = parse(_as(client, mapped.world.ofast_user).get("/networks").text)
    rows = page.tables["networks"]
    assert len(rows) == 1
    assert "R0001" in rows[0][1]
    assert rows[0][3] == "3 sur 5"  # AMRA, BENALI, MARTIN: OFAST's links
    assert "Cartographier" not in page.text  # an analyst does not run the mapping
    english = parse(client.get("/networks?lang=en").text)
    assert english.tables["networks"][0][3] == "3 of 5"
    assert "Likeliest heads" in english.text


def test_an_auditor_has_no_network_pages(client: TestClient, mapped: Mapped) -> None:
    factories.user(mapped.db, "aud.emco", "EMCO", Role.AUDITOR, password=PASSWORD)
    _as(client, "aud.emco")
    assert "/networks" not in parse(client.get("/search").text).links()  # no menu entry
    assert client.get("/networks").status_code == 403
    assert client.get(f"/entities/{AMRA}/graph").status_code == 403


def test_the_list_says_when_there_is_nothing_to_see(client: TestClient,
                                                    world: World) -> None:
    page = parse(_as(client, world.ofast_user).get("/networks").text)
    assert "no-network" in page.by_id


# --- one network ----------------------------------------------------------------------------

def _graph(page_html: str) -> dict[str, object]:
    import json

    page = parse(page_html)
    blocks = {a.get("id"): text for a, text in page.scripts if a.get("type") ==
              "application/json"}
    return json.loads(blocks["graph-data"])


def test_the_staff_sees_the_whole_network_with_its_threat(client: TestClient,
                                                          mapped: Mapped) -> None:
    response = _as(client, OPERATOR).get("/networks/R0001")
    assert response.status_code == 200
    page = parse(response.text)
    members = page.tables["members"]
    assert [r[0] for r in members] == ["1", "2", "3", "4", "5"]
    assert "Mohamed AMRA" in members[0][1]
    assert "tête probable" in members[0][1]
    assert "Tête de réseau" in members[0][2]
    assert "80" in members[0][2]
    assert members[0][4].split()[:2] == ["Intermédiarité", "0,54"]  # the largest first
    attributes = {r[0]: r[1] for r in page.tables["threat-attributes"]}
    assert attributes["Violence"] != "inconnu"
    assert attributes["International"] == "inconnu"  # unknown, not 0
    assert "inconnu" not in attributes["Taille"]
    assert [r[2] for r in page.tables["history"]] == ["4", "5"]
    assert "Pablo GARCIA" in page.by_id["key-players"]
    graph = _graph(response.text)
    assert len(graph["nodes"]) == 5  # type: ignore[arg-type]
    assert {e["agency"] for e in graph["edges"]} == {"OFAST", "DNPJ"}  # type: ignore
    assert len(graph["edges"]) == 5  # type: ignore[arg-type]
    kinds = [a["value"] for t, a in page.tags if t == "input" and a.get("name") == "kind"]
    assert kinds == sorted(kinds)
    assert "shared_phone" in kinds
    scripts = [a.get("src") for a, _t in page.scripts if a.get("src")]
    assert scripts == ["/static/vendor/cytoscape-3.35.0.min.js", "/static/network-graph.js"]
    assert all(a.get("type") == "application/json" for a, t in page.scripts if t.strip())
    for path in [*scripts, "/static/networks.css", "/static/vendor/cytoscape-3.35.0.LICENSE"]:
        assert client.get(str(path)).status_code == 200, path
    assert "/api/v1/networks/R0001" in page.links("json-twin")


def test_a_service_sees_its_own_links_and_not_the_facts_behind_the_threat(
        client: TestClient, mapped: Mapped) -> None:
    response = _as(client, mapped.world.ofast_user).get("/networks/R0001")
    assert response.status_code == 200
    page = parse(response.text)
    assert [r[1].split()[0:2] for r in page.tables["members"]] == [
        ["Mohamed", "AMRA"], ["Karim", "BENALI"], ["Lucas", "MARTIN"]]
    assert "threat-attributes" not in page.tables
    assert "threat-withheld" in page.by_id
    assert page.by_id["threat-level"]  # the level is shown
    graph = _graph(response.text)
    assert {e["agency"] for e in graph["edges"]} == {"OFAST"}  # type: ignore[index]
    assert "GARCIA" not in response.text
    assert "PETIT" not in response.text


def test_a_network_out_of_sight_or_unknown_is_not_found(client: TestClient,
                                                        mapped: Mapped) -> None:
    _as(client, mapped.world.ofast_user)
    for address in ("/networks/R0002", "/networks/R9999"):
        response = client.get(address)
        assert response.status_code == 404
        assert address.rsplit("/", 1)[1] in parse(response.text).text  # named
    bad = client.get("/networks/R%201")
    assert bad.status_code == 422
    assert "network_id" in bad.text


# --- a person's links -----------------------------------------------------------------------

def test_a_person_s_links_and_the_shortest_path(client: TestClient, mapped: Mapped) -> None:
    _as(client, OPERATOR)
    response = client.get(f"/entities/{AMRA}/graph?{WHY}")
    assert response.status_code == 200
    page = parse(response.text)
    assert "Mohamed AMRA" in page.text
    assert len(page.tables["links"]) == 2  # BENALI (call, OFAST), GARCIA (call, DNPJ)
    assert f"/api/v1/entities/{AMRA}/neighbourhood?hops=1&{WHY}" in page.links("json-twin")
    # the people it links to open with the same motif; so do the script's fetches
    assert f"/entities/{BENALI}/graph?{WHY}" in page.links()
    assert [a["data-why"] for t, a in page.tags if a.get("id") == "graph"] == [WHY]
    assert [a["value"] for t, a in page.tags if t == "input" and a.get("name") == "motif"
            ] == ["cartographie du réseau"] * 2  # the forms of more links and of a path
    two = parse(client.get(f"/entities/{AMRA}/graph?hops=2&{WHY}").text)
    assert len(two.tables["links"]) == 4
    found = client.get(f"/entities/{AMRA}/graph?to={ROUX}&{WHY}")
    path = parse(found.text)
    assert path.by_class["path"][0].split()[:2] == ["Mohamed", "AMRA"]
    assert path.by_class["path"][0].split()[-3:-1] == ["Paul", "ROUX"]
    assert "3 liens de Mohamed AMRA à Paul ROUX" in path.text
    assert "graph-path" in [a.get("id") for a, _t in path.scripts]


def test_the_person_page_asks_first_why(client: TestClient, mapped: Mapped) -> None:
    """A person's links and assessment are a look at a person's data: the record page's
    small form asks the motif and case reference, keeping what the address asked."""
    _as(client, mapped.world.ofast_user)
    for query in ("hops=2&to=E00000004", "hops=2&to=E00000004&motif=contr%C3%B4le"):
        response = client.get(f"/entities/{AMRA}/graph?{query}")
        assert response.status_code == 200
        page = parse(response.text)
        assert "links" not in page.tables
        fields = {a.get("name"): a.get("value") for t, a in page.tags if t == "input"}
        assert (fields["hops"], fields["to"]) == ("2", ROUX)
        assert fields["motif"] == ("contrôle" if "motif" in query else "")
        assert [a["action"] for t, a in page.tags if t == "form" and
                "motif" in a.get("class", "")] == [f"/entities/{AMRA}/graph"]
    opened = client.get(f"/entities/{AMRA}/graph?hops=2&to={ROUX}&{WHY}")
    assert opened.status_code == 200
    assert "links" in parse(opened.text).tables
    with mapped.db.read() as conn:
        rows = conn.execute(sa.select(audit_events.c.motif, audit_events.c.case_ref).where(
            audit_events.c.action == "network:graph:read",
            audit_events.c.username == mapped.world.ofast_user)).all()
    assert len(rows) == 2  # the links and the path, both with the look's purpose
    assert set(rows) == {("cartographie du réseau", "OFAST-2026-12")}


def test_bad_input_on_the_person_page_is_named(client: TestClient, mapped: Mapped) -> None:
    _as(client, mapped.world.ofast_user)
    bad_to = client.get(f"/entities/{AMRA}/graph?to=Paul+ROUX&{WHY}")
    assert bad_to.status_code == 400
    assert "Paul ROUX" in parse(bad_to.text).by_id["path-error"]
    assert "(to)" in parse(bad_to.text).by_id["path-error"]
    none = parse(client.get(f"/entities/{AMRA}/graph?to={GARCIA}&{WHY}").text)
    assert "no-path" in none.by_id  # OFAST's links do not reach him
    for query, field in (("hops=4", "hops"), ("hops=0", "hops"), ("hops=x", "hops")):
        response = client.get(f"/entities/{AMRA}/graph?{query}&{WHY}")
        assert response.status_code == 422, query
        assert field in parse(response.text).text
    unknown = client.get(f"/entities/{OUTSIDER}/graph?{WHY}")
    assert unknown.status_code == 404
    assert OUTSIDER in parse(unknown.text).text


def test_the_mapping_runs_from_the_list_for_the_staff_only(client: TestClient,
                                                           mapped: Mapped) -> None:
    _as(client, mapped.world.ofast_user)
    refused = client.post("/networks/run", data={"csrf_token": csrf(client)})
    assert refused.status_code == 403
    staff = TestClient(client.app, follow_redirects=False)
    _as(staff, OPERATOR)
    assert staff.post("/networks/run", data={}).status_code == 403  # no CSRF token
    done = staff.post("/networks/run", data={"csrf_token": csrf(staff)})
    assert done.status_code == 303
    assert done.headers["location"] == "/networks"
    login(staff, OPERATOR)
    assert staff.get("/networks").status_code == 200


# --- a real browser ---------------------------------------------------------------------------

def _click_node(page: Page, entity: str) -> None:
    """Click a node where Cytoscape drew it. The graph is scrolled into view first and the
    click waits two frames, because Cytoscape reads a scroll only on the next frame."""
    page.locator("#graph").scroll_into_view_if_needed()
    page.evaluate("() => new Promise(done => requestAnimationFrame("
                  "() => requestAnimationFrame(done)))")
    x, y = page.evaluate("""id => {
        const p = window.cy.getElementById(id).renderedPosition();
        const r = window.cy.container().getBoundingClientRect();
        return [r.left + p.x, r.top + p.y]; }""", entity)
    height = page.viewport_size["height"] if page.viewport_size else 0
    assert 0 < y < height, f"{entity} drawn at y={y}, outside the {height}px window"
    page.mouse.click(x, y)


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_the_graph_draws_filters_and_expands_in_a_browser(
        live_server: str, mapped: Mapped,
        browser_page: tuple[Page, list[str], list[str]]) -> None:
    page, problems, requested = browser_page
    page.set_viewport_size({"width": 1280, "height": 1400})
    _login(page, live_server, mapped.db, OPERATOR, "/networks/R0001")
    page.wait_for_function("() => window.cy && window.cy.nodes().length === 5")
    assert page.evaluate("() => window.cy.edges().length") == 5  # not MARTIN's family: ROUX is out
    assert page.evaluate("() => window.cy.nodes('.head').length") == 2
    assert page.locator("#graph canvas").count() >= 1
    page.screenshot(path=ARTIFACTS / "network-staff.png", full_page=True)
    _click_node(page, BENALI)
    expect(page.locator("#graph-panel h3")).to_have_text("Karim BENALI")
    expect(page.locator("#graph-panel")).to_contain_text("Lieutenant")
    expect(page.locator("#graph-panel .parts-table tbody tr")).to_have_count(2)
    expect(page.locator("#graph-panel .parts-table")).to_contain_text("2.0 shortest paths")
    page.uncheck("#graph-filter input[value=call]")
    assert page.evaluate("() => window.cy.edges('.filtered').length") == 2
    expect(page.locator("#graph-status")).to_have_text("Liens affichés : 3 sur 5")
    page.fill("#date-from", "2024-03-01")
    page.click("#graph-filter button[type=submit]")
    expect(page.locator("#graph-status")).to_have_text("Liens affichés : 2 sur 5")
    # Left: the undated associate link and the shared phone of May 2024.
    assert page.evaluate("() => window.cy.edges().not('.filtered').map(e => e.data('kind'))"
                         ".sort()") == ["associate", "shared_phone"]
    page.click("#graph-filter button[type=reset]")
    expect(page.locator("#graph-status")).to_have_text("Liens affichés : 5 sur 5")

    page.goto(f"{live_server}/entities/{AMRA}/graph?to={ROUX}")  # asks why first
    page.fill("form.motif input[name=motif]", "cartographie du réseau")
    page.fill("form.motif input[name=case_ref]", "OFAST-2026-12")
    page.click("form.motif button[type=submit]")
    page.wait_for_function("() => window.cy && window.cy.nodes().length === 5")  # + the path
    assert page.evaluate("() => window.cy.edges('.on-path').length") == 3
    _click_node(page, GARCIA)
    page.wait_for_function(f"() => window.cy.getElementById('{PETIT}').nonempty()")
    expect(page.locator("#graph-panel h3")).to_have_text("Pablo GARCIA")
    page.screenshot(path=ARTIFACTS / "network-neighbourhood.png", full_page=True)
    assert [u for u in requested if not u.startswith(live_server + "/")] == []
    assert problems == []
