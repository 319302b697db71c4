"""Mapping the networks of ingested records, and reading them back within a scope."""

import pytest

from emco.access.audit import verify
from emco.errors import BadInput, Forbidden, NotFound
from emco.network.networks import map_networks
from emco.network.reading import list_networks, neighbourhood, network_view, shortest_path
from emco.store import networks as repo
from tests.network.conftest import Linked


def test_the_staff_maps_the_networks_and_a_second_run_keeps_their_ids(linked: Linked
                                                                       ) -> None:
    first = map_networks(linked.operator)
    assert first.networks >= 1
    assert first.new
    found = list_networks(linked.operator)
    ids = [s.network.id for s in found]
    alaoui = next(i for i in ids if any(
        m.entity_id == "E0001" for m in network_view(linked.operator, i).members))
    view = network_view(linked.operator, alaoui)
    assert view.members[0].head_rank == 1
    assert all(m.parts for m in view.members)  # every score with its parts
    violence = view.to_dict()["threat"]["detail"]["attributes"]["violence"]
    assert violence["level"] >= 1
    assert violence["facts"] == ["homicide: 1"]

    second = map_networks(linked.operator)
    assert second.new == []
    assert second.dissolved == []
    assert [s.network.id for s in list_networks(linked.operator)] == ids
    assert len(network_view(linked.operator, alaoui).history) == 2


def test_a_service_sees_only_the_edges_of_its_own_records(linked: Linked) -> None:
    map_networks(linked.operator)
    whole = neighbourhood(linked.operator, "E0001", hops=2)
    theirs = neighbourhood(linked.snrp, "E0001", hops=2)
    assert {e.agency_code for e in whole.edges} == {"OFAST", "SNRP"}
    assert {e.agency_code for e in theirs.edges} == {"SNRP"}
    assert "E0002" not in theirs.nodes  # OFAST's associate is not SNRP's to see
    # each person's network, for the colours: the staff's whole picture; SNRP's own links
    # join ALAOUI to XU and YACINE, fellow members, so it sees their network too
    assert set(whole.networks) == set(whole.nodes)
    assert set(theirs.networks) == {"E0001", "E0007", "E0008"}
    assert {n["network"] for n in theirs.to_dict()["nodes"]} == set(theirs.networks.values())
    for summary in list_networks(linked.snrp):
        view = network_view(linked.snrp, summary.network.id).to_dict()
        assert "detail" not in view["threat"]  # the level, not the others' facts


def test_shortest_path_crosses_services_for_the_staff_only(linked: Linked) -> None:
    map_networks(linked.operator)
    path = shortest_path(linked.operator, "E0007", "E0003")
    assert list(path.nodes) == ["E0007", "E0001", "E0002", "E0003"]
    # SNRP's records do not name CHERIF: no path, as for anyone SNRP cannot reach
    assert shortest_path(linked.snrp, "E0007", "E0003").nodes == {}
    assert list(shortest_path(linked.snrp, "E0007", "E0008").nodes) == ["E0007", "E0008"]


def test_bad_reads_say_what_is_wrong(linked: Linked) -> None:
    map_networks(linked.operator)
    with pytest.raises(NotFound):
        network_view(linked.operator, "R9999")
    with pytest.raises(BadInput, match="hops"):
        neighbourhood(linked.operator, "E0001", hops=9)
    with pytest.raises(Forbidden):
        map_networks(linked.snrp)  # an analyst reads networks; the staff maps them


def test_every_read_and_run_is_audited(linked: Linked) -> None:
    map_networks(linked.operator)
    list_networks(linked.snrp)
    with linked.db.read() as conn:
        assert repo.latest_run(conn) is not None
        actions = [a for (a,) in conn.exec_driver_sql(
            "SELECT action FROM audit_events ORDER BY seq")]
        assert verify(conn).ok
    assert "network:graph:run" in actions
    assert "network:graph:read" in actions
