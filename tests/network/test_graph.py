"""The joint graph projected from two services' records."""

from emco.network.graph import project
from tests.network.conftest import Linked


def _edges(linked: Linked) -> set[tuple[str, str, str, str]]:
    with linked.db.read() as conn:
        projection = project(conn)
    return {(r.source, r.target, r.kind, r.agency_code)
            for r in projection.aggregated().itertuples()}


def test_links_of_both_services_join_on_the_resolved_person(linked: Linked) -> None:
    edges = _edges(linked)
    assert ("E0001", "E0002", "associate", "OFAST") in edges
    assert ("E0001", "E0007", "associate", "SNRP") in edges  # the same ALAOUI, for SNRP
    assert ("E0002", "E0003", "family", "OFAST") in edges
    assert ("E0003", "E0004", "call", "OFAST") in edges  # caller first: it has a direction
    assert ("E0004", "E0001", "payment", "OFAST") in edges  # the money goes up
    assert ("E0003", "E0005", "co_offending", "OFAST") in edges  # an offence together


def test_shared_things_tie_their_holders(linked: Linked) -> None:
    edges = _edges(linked)
    assert ("E0001", "E0005", "shared_vehicle", "OFAST") in edges  # one car, two owners
    assert ("E0007", "E0008", "shared_phone", "SNRP") in edges  # one line, two names
    # a vehicle is a thing, not a node of the graph
    assert not any("E0006" in (a, b) for a, b, _, _ in edges)


def test_edges_keep_their_date_and_the_records_behind_them(linked: Linked) -> None:
    with linked.db.read() as conn:
        projection = project(conn)
    rows = projection.aggregated()
    call = rows[(rows["kind"] == "call")].iloc[0]
    assert str(call["first_on"].date()) == "2024-05-02"
    assert call["evidence"]
    assert call["evidence"][0].startswith("record:")
    assert projection.nodes["E0001"] == "Person"
    assert "E0006" not in projection.nodes
