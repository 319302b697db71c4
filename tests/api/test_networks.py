"""The networks API: the ranked list, one network, a person's neighbourhood and its
expansion, the shortest path, and a mapping run; the staff's operator against a service's
analyst (a service sees the links its own records state, and the threat level without
the facts behind it); unknown ids and bad queries answered with a message naming what is
wrong (both backends). The mapping comes from `mapped` (tests/web/test_networks_pages.py).
"""

from typing import Any
from urllib.parse import urlencode

from fastapi.testclient import TestClient
from sqlalchemy import select

from emco.store.tables import audit_events
from tests.web.conftest import login
from tests.web.test_networks_pages import (
    AMRA,
    BENALI,
    GARCIA,
    MARTIN,
    OPERATOR,
    OUTSIDER,
    PETIT,
    ROUX,
    Mapped,
    mapped,
)

__all__ = ["mapped"]  # the fixture, reused
WHY = urlencode({"motif": "cartographie du réseau", "case_ref": "OFAST-2026-12"})


def _get(client: TestClient, address: str, status: int = 200) -> Any:
    response = client.get(address)
    assert response.status_code == status, response.text
    return response.json()


def _ids(graph: dict[str, Any]) -> set[str]:
    return {n["id"] for n in graph["nodes"]}


def test_the_list_ranks_networks_by_threat_for_the_staff(client: TestClient,
                                                         mapped: Mapped) -> None:
    login(client, OPERATOR)
    networks = _get(client, "/api/v1/networks")["networks"]
    assert [n["id"] for n in networks] == ["R0001", "R0002"]
    first = networks[0]
    assert first["threat"]["score"] > networks[1]["threat"]["score"]
    assert first["threat"]["level"] in ("moderate", "high", "critical")
    assert first["size"] == first["visible_members"] == 5
    assert first["heads"] == [{"entity": AMRA, "name": "Mohamed AMRA"},
                              {"entity": BENALI, "name": "Karim BENALI"}]


def test_a_service_lists_only_what_its_records_reach(client: TestClient,
                                                     mapped: Mapped) -> None:
    login(client, mapped.world.dnpj_user)
    networks = {n["id"]: n for n in _get(client, "/api/v1/networks")["networks"]}
    assert set(networks) == {"R0001", "R0002"}
    assert networks["R0001"]["visible_members"] == 3  # AMRA, GARCIA, PETIT (not the DR link)
    login(client, mapped.world.ofast_user)
    networks = {n["id"]: n for n in _get(client, "/api/v1/networks")["networks"]}
    assert set(networks) == {"R0001"}
    assert networks["R0001"]["visible_members"] == 3
    assert networks["R0001"]["size"] == 5


def test_the_staff_sees_the_network_and_the_facts_behind_its_threat(
        client: TestClient, mapped: Mapped) -> None:
    login(client, OPERATOR)
    network = _get(client, "/api/v1/networks/R0001")
    assert [m["entity"] for m in network["members"]] == [AMRA, BENALI, GARCIA, MARTIN, PETIT]
    assert network["members"][0]["role"] == "head"
    assert network["members"][0]["parts"]["degree"]["contribution"] == 0.36
    attributes = network["threat"]["detail"]["attributes"]
    assert attributes["international"]["level"] is None  # unknown, not 0
    assert attributes["international"]["known"] is False
    assert attributes["violence"]["level"] >= 1
    assert attributes["violence"]["facts"]
    assert network["key_players"] == [AMRA, GARCIA]
    assert {e["agency"] for e in network["graph"]["edges"]} == {"OFAST", "DNPJ"}
    assert len(network["graph"]["edges"]) == 5
    assert [h["members"] for h in network["history"]] == [4, 5]
    other = _get(client, "/api/v1/networks/R0002")
    assert other["origin"] == {"split_from": "R0001"}


def test_a_service_sees_its_own_links_and_the_level_only(client: TestClient,
                                                         mapped: Mapped) -> None:
    login(client, mapped.world.ofast_user)
    network = _get(client, "/api/v1/networks/R0001")
    assert [m["entity"] for m in network["members"]] == [AMRA, BENALI, MARTIN]
    assert {e["agency"] for e in network["graph"]["edges"]} == {"OFAST"}
    assert network["threat"]["detail"] is None
    assert network["threat"]["level"]
    assert network["threat"]["score"] is not None
    assert network["key_players"] == [AMRA]  # not DNPJ's GARCIA
    assert network["origin"] is None
    assert _ids(network["graph"]) == {AMRA, BENALI, MARTIN}


def test_unknown_or_unseen_networks_are_not_found(client: TestClient, mapped: Mapped) -> None:
    login(client, mapped.world.ofast_user)
    for network in ("R0002", "R9999"):  # DNPJ's alone; nobody's
        body = _get(client, f"/api/v1/networks/{network}", 404)
        assert body["error"] == "NotFound"
        assert network in body["message"]
    bad = _get(client, "/api/v1/networks/R%21x", 422)
    assert bad["field"] == "network_id"
    too_long = _get(client, "/api/v1/networks/" + "R" * 40, 422)
    assert too_long["field"] == "network_id"
    assert "16" in too_long["message"]


def test_a_neighbourhood_and_its_expansion(client: TestClient, mapped: Mapped) -> None:
    login(client, OPERATOR)
    one = _get(client, f"/api/v1/entities/{AMRA}/neighbourhood?{WHY}")
    assert _ids(one) == {AMRA, BENALI, GARCIA}
    assert {n["name"] for n in one["nodes"]} >= {"Mohamed AMRA", "Pablo GARCIA"}
    # Expanding a neighbour (as the page does on a click) brings its own links.
    more = _get(client, f"/api/v1/entities/{BENALI}/neighbourhood?hops=1&{WHY}")
    assert _ids(more) - _ids(one) == {MARTIN}
    two = _get(client, f"/api/v1/entities/{AMRA}/neighbourhood?hops=2&{WHY}")
    assert _ids(two) == {AMRA, BENALI, GARCIA, MARTIN, PETIT}
    login(client, mapped.world.ofast_user)
    assert _ids(_get(client, f"/api/v1/entities/{AMRA}/neighbourhood?{WHY}")) == {AMRA, BENALI}


def test_bad_neighbourhood_queries_are_named(client: TestClient, mapped: Mapped) -> None:
    login(client, mapped.world.ofast_user)
    for hops, words in (("0", "at least 1"), ("4", "at most 3"), ("x", "whole number")):
        body = _get(client, f"/api/v1/entities/{AMRA}/neighbourhood?hops={hops}&{WHY}", 422)
        assert body["field"] == "hops", body
        assert words in body["message"], body
    unknown = _get(client, f"/api/v1/entities/{OUTSIDER}/neighbourhood?{WHY}", 404)
    assert OUTSIDER in unknown["message"]
    unseen = _get(client, f"/api/v1/entities/{GARCIA}/neighbourhood?{WHY}", 404)  # DNPJ's only
    assert GARCIA in unseen["message"]
    assert _get(client, "/api/v1/entities/E%20x/neighbourhood", 422)["field"] == "entity_id"


def test_the_shortest_path(client: TestClient, mapped: Mapped) -> None:
    login(client, OPERATOR)
    path = _get(client, f"/api/v1/paths?from={AMRA}&to={ROUX}&{WHY}")
    assert path["found"] is True
    assert path["path"] == [AMRA, BENALI, MARTIN, ROUX]
    assert [e["kind"] for e in path["edges"]]
    assert len(path["edges"]) == 3
    back = _get(client, f"/api/v1/paths?from={ROUX}&to={AMRA}&{WHY}")
    assert back["path"] == [ROUX, MARTIN, BENALI, AMRA]
    login(client, mapped.world.ofast_user)
    none = _get(client, f"/api/v1/paths?from={AMRA}&to={GARCIA}&{WHY}")  # through DNPJ's links
    assert none == {"nodes": [], "edges": [], "truncated": False, "found": False, "path": [],
                    "max_links": 6}


def test_bad_path_queries_are_named(client: TestClient, mapped: Mapped) -> None:
    login(client, mapped.world.ofast_user)
    missing = _get(client, f"/api/v1/paths?from={AMRA}", 422)
    assert missing["field"] == "to"
    assert "required" in missing["message"]
    bad = _get(client, f"/api/v1/paths?from=Mohamed%20AMRA&to={ROUX}&{WHY}", 422)
    assert bad["field"] == "from"
    empty = _get(client, f"/api/v1/paths?from=&to={ROUX}&{WHY}", 422)
    assert empty["field"] == "from"


def test_links_and_paths_need_a_motif_and_a_case_reference(client: TestClient,
                                                          mapped: Mapped) -> None:
    login(client, mapped.world.ofast_user)
    for address in (f"/api/v1/entities/{AMRA}/neighbourhood?hops=1",
                    f"/api/v1/paths?from={AMRA}&to={BENALI}"):
        assert _get(client, address, 400)["field"] == "motif"
        assert _get(client, f"{address}&motif=x", 400)["field"] == "case_ref"
        assert _get(client, f"{address}&{WHY}")["nodes"]
    with mapped.db.read() as conn:
        rows = conn.execute(select(audit_events.c.outcome, audit_events.c.motif).where(
            audit_events.c.action == "network:graph:read",
            audit_events.c.username == mapped.world.ofast_user)
            .order_by(audit_events.c.seq)).all()
    assert [(r.outcome, r.motif) for r in rows] == [
        ("denied", None), ("denied", None), ("ok", "cartographie du réseau")] * 2


def test_a_mapping_run_is_for_the_staff_s_operators(client: TestClient,
                                                    mapped: Mapped) -> None:
    login(client, mapped.world.ofast_user)
    refused = client.post("/api/v1/networks/run")
    assert refused.status_code == 403, refused.text
    login(client, OPERATOR)
    response = client.post("/api/v1/networks/run")
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["run"] == 3
    assert set(summary) == {"run", "nodes", "edges", "modularity", "networks", "new",
                            "dissolved", "seconds"}
    listed = _get(client, "/api/v1/networks")["networks"]
    assert len(listed) == summary["networks"]


def test_every_route_needs_a_session(client: TestClient, mapped: Mapped) -> None:
    for address in ("/api/v1/networks", "/api/v1/networks/R0001",
                    f"/api/v1/entities/{AMRA}/neighbourhood",
                    f"/api/v1/paths?from={AMRA}&to={PETIT}"):
        assert client.get(address).status_code == 401, address
    assert client.post("/api/v1/networks/run").status_code == 401
