"""Networks as a reader sees them: through the gate, within the reader's scope.

The staff's operators see the whole picture. A service sees the edges stated by the
records it may see, and of each network only the members those edges reach; the threat
level and score are shown to it, not the other services' facts behind them (those name
what other files hold). Every read is audited.
"""

import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from emco.access import motif as purpose
from emco.access.audit import AuditEvent
from emco.access.gate import Access, Passage
from emco.errors import BadInput, NotFound
from emco.i18n import N_
from emco.model.enums import AuditAction, Permission
from emco.model.types import RecordScope
from emco.network.graph import project
from emco.store import networks as repo
from emco.store.networks import EdgeRow, MemberRow, NetworkRow

MAX_HOPS = 3
MAX_PATH = 6  # links between two people, at most, for a shortest path
NODE_LIMIT = 400  # nodes a neighbourhood returns at most


@dataclass(frozen=True)
class NetworkSummary:
    network: NetworkRow
    visible_members: int
    heads: list[tuple[str, str]]  # (entity, name) of its likeliest heads the reader sees

    def to_dict(self) -> dict[str, Any]:
        n = self.network
        return {"id": n.id, "name": n.name, "size": n.size, "visible_members":
                self.visible_members, "threat": {"score": n.threat_score,
                                                 "level": n.threat_level},
                "heads": [{"entity": e, "name": name} for e, name in self.heads]}


@dataclass(frozen=True)
class Subgraph:
    """Nodes (entity -> name) and edges in the reader's scope."""

    nodes: dict[str, str]
    edges: list[EdgeRow]
    truncated: bool = False  # more people were within reach than are returned
    networks: dict[str, str] = field(default_factory=dict)  # entity -> its network's id

    def to_dict(self) -> dict[str, Any]:
        return {"nodes": [{"id": e, "name": n, "network": self.networks.get(e)}
                          for e, n in sorted(self.nodes.items())],
                "edges": [edge_dict(e) for e in self.edges], "truncated": self.truncated}


@dataclass(frozen=True)
class NetworkView:
    network: NetworkRow
    members: list[MemberRow]  # those the reader sees, likeliest head first
    names: dict[str, str]
    graph: Subgraph
    history: list[tuple[int, Any, int]]
    full_picture: bool  # the reader sees every service's part

    def to_dict(self) -> dict[str, Any]:
        n = self.network
        detail = n.detail if self.full_picture else {
            "key_players": [k for k in n.detail.get("key_players", [])
                            if k in self.names]}
        return {"id": n.id, "name": n.name, "size": n.size,
                "threat": {"score": n.threat_score, "level": n.threat_level,
                           **({"detail": n.detail.get("threat")} if self.full_picture
                              else {})},
                "key_players": detail.get("key_players", []),
                "origin": n.detail.get("origin") if self.full_picture else None,
                "members": [{"entity": m.entity_id, "name": self.names.get(m.entity_id),
                             "head_rank": m.head_rank, "head_score": m.head_score,
                             "role": m.role, "role_confidence": m.role_confidence,
                             "parts": m.parts} for m in self.members],
                "graph": self.graph.to_dict(),
                "history": [{"run": r, "at": at, "members": k} for r, at, k in self.history]}


def edge_dict(e: EdgeRow) -> dict[str, Any]:
    return {"source": e.source, "target": e.target, "kind": e.kind, "agency": e.agency_code,
            "weight": e.weight, "count": e.count,
            "first_on": e.first_on.isoformat() if e.first_on else None,
            "last_on": e.last_on.isoformat() if e.last_on else None,
            "evidence": e.evidence}


def _full(scope: RecordScope) -> bool:
    return scope.agencies is None


def scoped_edges(access: Access) -> pd.DataFrame:
    """Every edge row the reader sees, as the table `emco.network.networks.analysis_frame`
    takes (for exports: an analysis of what the reader may see)."""
    event = AuditEvent(AuditAction.NETWORK_EXPORT, query={"export": "edges"})
    with access.reading(Permission.NETWORK_EXPORT, event) as p:
        rows = repo.all_edges(p.conn, p.scope)
        event.result_count = len(rows)
    return pd.DataFrame([{"source": e.source, "target": e.target, "kind": e.kind,
                          "agency_code": e.agency_code, "protection": e.protection,
                          "weight": e.weight, "count": e.count,
                          "first_on": pd.Timestamp(e.first_on) if e.first_on else pd.NaT,
                          "last_on": pd.Timestamp(e.last_on) if e.last_on else pd.NaT,
                          "evidence": e.evidence} for e in rows],
                        columns=["source", "target", "kind", "agency_code", "protection",
                                 "weight", "count", "first_on", "last_on", "evidence"])


def dated_edges(access: Access) -> pd.DataFrame:
    """Every statement of a tie the reader sees, with its own date, as the analysis
    takes it (source, target, weight, type, time): for the analysis over time, which
    the stored edges (one row per pair, first and last date) cannot serve. A statement is
    seen when the record (or calls batch) it rests on is: records passed to the reader's
    service included, by the one scope rule of the store."""
    event = AuditEvent(AuditAction.NETWORK_EXPORT, query={"export": "dated edges"})
    with access.reading(Permission.NETWORK_EXPORT, event) as p:
        rows = project(p.conn).edges
        seen = repo.evidence_in_sight(p.conn, p.scope, rows["evidence"].unique())
        rows = rows[rows["evidence"].isin(seen)]
        event.result_count = len(rows)
    return pd.DataFrame({"source": rows["source"], "target": rows["target"],
                         "weight": rows["weight"], "type": rows["kind"], "time": rows["on"]})


def list_networks(access: Access) -> list[NetworkSummary]:
    """The networks of the latest run the reader sees a part of, most threatening first."""
    event = AuditEvent(AuditAction.NETWORK_READ, query={"list": "networks"})
    with access.reading(Permission.NETWORK_READ, event) as p:
        out: list[NetworkSummary] = []
        for network in repo.current_networks(p.conn):
            members = repo.members(p.conn, network.id, network.last_run_id)
            seen = _seen(p, [m.entity_id for m in members])
            if not seen:
                continue
            names = repo.captions(p.conn, p.scope, [m.entity_id for m in members
                                                    if m.entity_id in seen][:3])
            heads = [(m.entity_id, names.get(m.entity_id, m.entity_id)) for m in members
                     if m.entity_id in seen][:2]
            out.append(NetworkSummary(network, len(seen), heads))
        event.result_count = len(out)
    return out


def _seen(p: Passage, members: list[str]) -> set[str]:
    """The members the reader sees: all for the staff, else those its edges reach."""
    if _full(p.scope):
        return set(members)
    edges = repo.edges_touching(p.conn, p.scope, members, both_ends=True)
    return {e.source for e in edges} | {e.target for e in edges}


def network_view(access: Access, network_id: str) -> NetworkView:
    """One network in the latest run that found it, as the reader may see it."""
    event = AuditEvent(AuditAction.NETWORK_READ, objects=[f"network:{network_id}"])
    with access.reading(Permission.NETWORK_READ, event) as p:
        network = repo.get_network(p.conn, network_id)
        if network is None:
            raise NotFound(N_("no network %(id)s", id=network_id))
        members = repo.members(p.conn, network.id, network.last_run_id)
        ids = [m.entity_id for m in members]
        edges = repo.edges_touching(p.conn, p.scope, ids, both_ends=True)
        seen = set(ids) if _full(p.scope) else ({e.source for e in edges}
                                                | {e.target for e in edges})
        if not seen:
            # nothing of it in the reader's files: as if it did not exist
            raise NotFound(N_("no network %(id)s", id=network_id))
        visible = [m for m in members if m.entity_id in seen]
        names = repo.captions(p.conn, p.scope, seen)
        view = NetworkView(network, visible, names, Subgraph(
            {e: names.get(e, e) for e in seen}, edges), repo.history(p.conn, network.id),
            _full(p.scope))
        event.result_count = len(visible)
    return view


def neighbourhood(access: Access, entity_id: str, hops: int = 1, *,
                  motif: str | None = None, case_ref: str | None = None) -> Subgraph:
    """The people within `hops` links of one, through the edges in the reader's scope;
    at most `NODE_LIMIT` people, the nearest first (`truncated` says when some were left
    out). A look at people's data: with a motif and a case reference (`_purpose`)."""
    if not 1 <= hops <= MAX_HOPS:
        raise BadInput(N_("hops must be between 1 and %(most)s (got %(hops)s)",
                          most=MAX_HOPS, hops=hops), field="hops")
    event = AuditEvent(AuditAction.NETWORK_READ, objects=[f"entity:{entity_id}"],
                       query={"neighbourhood": entity_id, "hops": hops})
    _purpose(access, event, motif, case_ref)
    with access.reading(Permission.NETWORK_READ, event) as p:
        reached = {entity_id}
        frontier = {entity_id}
        edges: dict[tuple[str, str, str, str], EdgeRow] = {}
        truncated = False
        for _ in range(hops):
            found = repo.edges_touching(p.conn, p.scope, frontier)
            following = sorted(({e.source for e in found} | {e.target for e in found})
                               - reached)
            room = NODE_LIMIT - len(reached)
            truncated = len(following) > room
            reached.update(following[:room])
            for e in found:
                if e.source in reached and e.target in reached:
                    edges[(e.source, e.target, e.kind, e.agency_code)] = e
            frontier = set(following[:room])
            if truncated or not frontier:
                break
        names = repo.captions(p.conn, p.scope, reached)
        if entity_id not in names and not edges:
            raise _unknown_person(entity_id)
        graph = Subgraph({e: names.get(e, e) for e in sorted(reached)}, list(edges.values()),
                         truncated, _networks_shown(p, reached, edges.values()))
        event.result_count = len(graph.nodes)
    return graph


def _networks_shown(p: Passage, people: set[str], edges: Iterable[EdgeRow]
                    ) -> dict[str, str]:
    """The network of each person in the latest run, as far as the reader sees it: the
    staff always; a service when one of its own links joins him to a fellow member."""
    run = repo.latest_run(p.conn)
    if run is None:
        return {}
    member_of = {m.entity_id: m.network_id for m in repo.memberships(p.conn, people)
                 if m.run_id == run.id}
    if _full(p.scope):
        return member_of
    shown: dict[str, str] = {}
    for e in edges:
        network = member_of.get(e.source)
        if network is not None and member_of.get(e.target) == network:
            shown[e.source] = shown[e.target] = network
    return shown


def _unknown_person(entity_id: str) -> NotFound:
    return NotFound(N_("no person %(id)s in the records you may see", id=entity_id))


def shortest_path(access: Access, start: str, end: str, *, motif: str | None = None,
                  case_ref: str | None = None) -> Subgraph:
    """The fewest links between two people through the edges in the reader's scope (at
    most `MAX_PATH`); an empty graph when they are not joined, which is also the answer
    for a person the reader does not see at all (the two are not told apart). With a
    motif and a case reference (`_purpose`)."""
    event = AuditEvent(AuditAction.NETWORK_READ, objects=[f"entity:{start}", f"entity:{end}"],
                       query={"path": [start, end]})
    _purpose(access, event, motif, case_ref)
    with access.reading(Permission.NETWORK_READ, event) as p:
        path = _bfs(p, start, end)
        names = repo.captions(p.conn, p.scope, path)
        pairs = set(itertools.pairwise(path))
        edges = [e for e in repo.edges_touching(p.conn, p.scope, path, both_ends=True)
                 if (e.source, e.target) in pairs or (e.target, e.source) in pairs]
        event.result_count = len(path)
    return Subgraph({e: names.get(e, e) for e in path}, edges)


def _purpose(access: Access, event: AuditEvent, motif: str | None, case_ref: str | None
             ) -> None:
    """A person's links, and the path between two people, are a look at people's data:
    the motif and case reference are required as for a person's record (refused, and
    audited as denied, without them) and written on the audit row. Any person's, or
    company's: a company's links name the people around it."""
    access.check(Permission.NETWORK_READ, event)
    purpose.require(access, event, motif, case_ref)


def _bfs(p: Passage, start: str, end: str) -> list[str]:
    if start == end:
        return [start]
    parent: dict[str, str | None] = {start: None}
    depth = 0
    level: set[str] = {start}
    while level and depth < MAX_PATH:
        depth += 1
        following: set[str] = set()
        for e in repo.edges_touching(p.conn, p.scope, level):
            for a, b in ((e.source, e.target), (e.target, e.source)):
                if a in level and b not in parent:
                    parent[b] = a
                    following.add(b)
        if end in parent:
            path = [end]
            while (step := parent[path[-1]]) is not None:
                path.append(step)
            return path[::-1]
        level = following
    return []

