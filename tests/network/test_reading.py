"""Mapping the networks of ingested records, and reading them back within a scope."""

import pandas as pd
import pytest
import sqlalchemy as sa

from emco.access.audit import verify
from emco.access.gate import Access
from emco.access.handling import decide, request, withdraw
from emco.errors import BadInput, Forbidden, NotFound
from emco.model.enums import Role
from emco.network.networks import map_networks
from emco.network.reading import (
    dated_edges,
    list_networks,
    neighbourhood,
    network_view,
    scoped_edges,
    shortest_path,
)
from emco.store import networks as repo
from emco.store.tables import audit_events, records
from tests import factories
from tests.network.conftest import Linked

WHY = {"motif": "cartographie du réseau", "case_ref": "OFAST-2026-12"}


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
    whole = neighbourhood(linked.operator, "E0001", hops=2, **WHY)
    theirs = neighbourhood(linked.snrp, "E0001", hops=2, **WHY)
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
    path = shortest_path(linked.operator, "E0007", "E0003", **WHY)
    assert list(path.nodes) == ["E0007", "E0001", "E0002", "E0003"]
    # SNRP's records do not name CHERIF: no path, as for anyone SNRP cannot reach
    assert shortest_path(linked.snrp, "E0007", "E0003", **WHY).nodes == {}
    assert list(shortest_path(linked.snrp, "E0007", "E0008", **WHY).nodes) == ["E0007", "E0008"]


def test_bad_reads_say_what_is_wrong(linked: Linked) -> None:
    map_networks(linked.operator)
    with pytest.raises(NotFound):
        network_view(linked.operator, "R9999")
    with pytest.raises(BadInput, match="hops"):
        neighbourhood(linked.operator, "E0001", hops=9, **WHY)
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


# --- what a service sees through the records passed to it ------------------------------------

def _record(linked: Linked, source_id: str) -> int:
    with linked.db.read() as conn:
        return int(conn.execute(sa.select(records.c.id).where(
            records.c.source_id == source_id)).scalar_one())


def _payments(access: Access) -> list[tuple[str, str, str]]:
    """The payment ties of the dated export, (source, target, day)."""
    rows = dated_edges(Access(access.db, access.principal))  # the scope read again
    rows = rows[rows["type"] == "payment"]
    return [(s, t, pd.Timestamp(d).date().isoformat())
            for s, t, d in zip(rows["source"], rows["target"], rows["time"], strict=True)]


def test_the_exports_follow_the_records_passed_to_a_service(linked: Linked) -> None:
    """OFAST's payment DURAND -> ALAOUI, made H2, reaches SNRP's exports only while a
    request to pass it stands approved: not pending, withdrawn or refused."""
    payment = _record(linked, "o-l6")
    map_networks(linked.operator)  # the stored edges
    with linked.db.write() as conn:
        conn.execute(sa.update(records).where(records.c.id == payment).values(handling="H2"))
    ofast = Access(linked.db, factories.principal("OFAST", Role.LIAISON,
                                                  username="liaison.ofast"))
    assert _payments(linked.snrp) == []
    asked = request(linked.operator, payment, kind="disseminate", for_agency="SNRP",
                    motif="coordination")
    assert _payments(linked.snrp) == []  # pending
    withdraw(linked.operator, asked.id)
    assert _payments(linked.snrp) == []
    refused = request(linked.operator, payment, kind="disseminate", for_agency="SNRP",
                      motif="coordination")
    decide(ofast, refused.id, approve=False)
    assert _payments(linked.snrp) == []
    granted = request(linked.operator, payment, kind="disseminate", for_agency="SNRP",
                      motif="coordination")
    decide(ofast, granted.id, approve=True)
    # the dated statement, at its own date, and nothing else of OFAST's
    assert _payments(linked.snrp) == [("E0004", "E0001", "2024-06-01")]
    snrp = Access(linked.db, linked.snrp.principal)
    assert set(dated_edges(snrp)["type"]) == {"associate", "shared_phone", "payment"}
    assert _payments(linked.ofast) == [("E0004", "E0001", "2024-06-01")]  # its own
    # the stored edges (`emco network export`) show it with that evidence only
    [edge] = [e for e in scoped_edges(snrp).itertuples() if e.kind == "payment"]
    assert (edge.source, edge.target, edge.agency_code, edge.evidence) == (
        "E0004", "E0001", "OFAST", [f"record:{payment}"])
    # a service the record was not passed to sees none of it
    dap = Access(linked.db, factories.principal("DAP", Role.ANALYST))
    assert _payments(dap) == []
    assert scoped_edges(dap).empty


def test_links_and_paths_are_read_with_a_motif_and_a_case_reference(linked: Linked) -> None:
    map_networks(linked.operator)
    for look in (lambda **why: neighbourhood(linked.snrp, "E0001", **why),
                 lambda **why: shortest_path(linked.snrp, "E0007", "E0008", **why)):
        with pytest.raises(BadInput) as refused:
            look()
        assert refused.value.field == "motif"
        with pytest.raises(BadInput) as refused:
            look(motif=WHY["motif"])
        assert refused.value.field == "case_ref"
        look(**WHY)
    with linked.db.read() as conn:
        rows = conn.execute(sa.select(audit_events.c.outcome, audit_events.c.motif,
                                      audit_events.c.case_ref).where(
            audit_events.c.action == "network:graph:read",
            audit_events.c.username == "analyst.snrp").order_by(audit_events.c.seq)).all()
    assert [r.outcome for r in rows] == ["denied", "denied", "ok"] * 2
    assert {(r.motif, r.case_ref) for r in rows if r.outcome == "ok"} == {
        (WHY["motif"], WHY["case_ref"])}
