"""The network stage: project the joint graph, find its networks, name their heads and
key players, assess their threat, and store it all as one run.

A network keeps its id from run to run: each community found is matched to the network of
the previous run whose members it shares most (Jaccard, at least `KEEP_ID`), so a network
keeps its name and history when members come and go. A community that matches nothing is
a new network, noted as split from the one it shares most with, if any; a network of the
previous run that is not found again is noted as merged into the one that took most of its
members, or as dissolved.

Runs as the staff's full picture (every service's records); readers see it through their
scope (`emco.network.reading`).
"""

import re
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import phonenumbers

from emco.access import policy
from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.errors import Forbidden
from emco.i18n import N_
from emco.model.enums import AuditAction, Permission
from emco.network import analysis, structure, threat
from emco.network.analysis import ORGANISATIONS
from emco.network.disruption import fragmentation, greedy_key_players
from emco.network.edges import normalise_edges
from emco.network.graph import Projection, project
from emco.network.heads import Part
from emco.resolve import service as resolve_service
from emco.store import networks as repo
from emco.store.networks import MemberFacts, MemberRow, NetworkRow

KEEP_ID = 0.3  # least Jaccard overlap for a community to keep a network's id
MIN_MEMBERS = 3  # a pair or a lone link is not a network
KEY_PLAYERS = 3
EXACT_BETWEENNESS = 2000  # members up to which key players break ties on exact betweenness
FINANCE_KINDS = frozenset({"payment", "directorship", "ownership", "shared_account"})
_RECORD = re.compile(r"record:(\d+)")


@dataclass(frozen=True)
class Found:
    """One network of this run, before it is stored."""

    id: str
    members: list[str]
    origin: dict[str, Any]
    new: bool


@dataclass
class MappingSummary:
    run_id: int
    nodes: int
    edges: int
    modularity: float
    networks: int
    new: list[str] = field(default_factory=list)
    dissolved: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"run": self.run_id, "nodes": self.nodes, "edges": self.edges,
                "modularity": self.modularity, "networks": self.networks,
                "new": self.new, "dissolved": self.dissolved, "seconds": self.seconds}


def map_networks(access: Access, *, seed: int = 7, key_players: int = KEY_PLAYERS
                 ) -> MappingSummary:
    """Map the networks of the whole joint graph and store the run (staff operators)."""
    started = datetime.now(UTC)
    event = AuditEvent(AuditAction.NETWORK_RUN)
    with access.writing(Permission.NETWORK_RUN, event) as p:
        if p.scope.agencies is not None:  # it reads, and counts, every service's links
            raise Forbidden(N_("%(user)s may not do this (%(permission)s)",
                               user=access.principal.username,
                               permission=Permission.NETWORK_RUN.value))
        projection = project(p.conn)
        edges = projection.aggregated()
        frame = analysis_frame(edges)
        result = analysis.analyze(frame, directed=True, key_players=key_players, seed=seed,
                                  resolution=ORGANISATIONS)
        communities = [c.members for c in result.communities if len(c.members) >= MIN_MEMBERS]
        previous = repo.last_members(p.conn)
        found, dissolved = match(previous, communities, repo.next_network_number(p.conn))
        run_id = repo.start_run(p.conn, access.principal.username, started)
        repo.replace_edges(access.db, p.conn, edges)
        nodes = {n.id: n for n in result.nodes}
        heads = {f.id: min(f.members, key=lambda m: (-nodes[m].head_score, m)) for f in found}
        names = repo.captions(p.conn, access.scope, heads.values())
        everyone = [m for f in found for m in f.members]
        facts = repo.member_facts(p.conn, everyone, _payment_records(edges))
        stored_members: list[MemberRow] = []
        for network in found:
            ranked = sorted(network.members, key=lambda m: (-nodes[m].head_score, m))
            inside = _within(frame, set(network.members))
            players, remaining = key_players_of(inside, key_players, seed)
            assessed = threat.assess(_facts(network.members, projection, edges, facts,
                                            remaining))
            head = heads[network.id]
            old = repo.get_network(p.conn, network.id)
            repo.save_network(p.conn, NetworkRow(
                network.id, _keep_name(old.name if old else None, network.id,
                                       names.get(head)),
                old.first_run_id if old else run_id, run_id, len(network.members),
                assessed.score, assessed.level,
                {"threat": assessed.to_dict(), "key_players": players,
                 "origin": network.origin if network.new else (old.detail.get("origin")
                                                               if old else None)}))
            for rank, member in enumerate(ranked, start=1):
                node = nodes[member]
                stored_members.append(MemberRow(run_id, member, network.id,
                                                round(node.head_score, 4), rank,
                                                str(node.role), round(node.role_confidence, 3),
                                                _parts(node.parts)))
        repo.write_members(access.db, p.conn, stored_members)
        finished = datetime.now(UTC)
        summary = MappingSummary(run_id, len(nodes), len(frame), round(result.modularity, 4),
                                 len(found), [f.id for f in found if f.new], dissolved,
                                 round((finished - started).total_seconds(), 2))
        repo.finish_run(p.conn, run_id, finished=finished, nodes=summary.nodes,
                        edges=summary.edges, modularity=summary.modularity,
                        detail={"seed": seed, "key_players": key_players,
                                "new": summary.new, "dissolved": dissolved,
                                "origins": {f.id: f.origin for f in found if f.origin}})
        event.objects = [f"network_run:{run_id}"]
        event.result_count = len(found)
    return summary


def analysis_frame(edges: pd.DataFrame) -> pd.DataFrame:
    """The analysis' input: one row per pair and kind, every service's statements summed."""
    if edges.empty:
        return pd.DataFrame({"source": pd.Series(dtype=str), "target": pd.Series(dtype=str),
                             "weight": pd.Series(dtype=float), "type": pd.Series(dtype=str),
                             "time": pd.Series(dtype="datetime64[ns]")})
    grouped = edges.groupby(["source", "target", "kind"], sort=True)
    out = grouped.agg(weight=("weight", "sum"), time=("first_on", "min")).reset_index()
    return out.rename(columns={"kind": "type"})[["source", "target", "weight", "type",
                                                  "time"]]


def key_players_of(edges: pd.DataFrame, k: int, seed: int) -> tuple[list[str], float | None]:
    """The `k` members of one network whose removal fragments it most, and the share of
    its members still joined in its largest piece without them (None for no edges)."""
    if edges.empty:
        return [], None
    graph = structure.project(normalise_edges(edges), directed=False).graph
    if graph.vcount() < 2:
        return [], None
    # exact on a network of ordinary size; cut at a few links beyond, where exact costs
    # hours (it only breaks ties between equally fragmenting choices)
    cutoff = None if graph.vcount() <= EXACT_BETWEENNESS else 3
    betweenness = np.asarray(graph.betweenness(directed=False, cutoff=cutoff), dtype=float)
    chosen = greedy_key_players(graph, min(k, graph.vcount() - 1), betweenness)
    after = fragmentation(graph, chosen, seed)
    return [graph.vs[i]["name"] for i in chosen], round(after.largest_share_after, 3)


def _within(frame: pd.DataFrame, members: set[str]) -> pd.DataFrame:
    keep = frame["source"].isin(members) & frame["target"].isin(members)
    return frame[keep]


def match(previous: Mapping[str, set[str]], communities: Sequence[Sequence[str]],
          next_number: int) -> tuple[list[Found], list[str]]:
    """Give each community the id of the previous network it overlaps most (pure).

    Returns the networks found, largest first, and the previous networks not found again."""
    sets = [set(c) for c in communities]
    pairs = sorted(((len(s & old) / len(s | old), i, nid)
                    for i, s in enumerate(sets) for nid, old in previous.items()
                    if s & old), reverse=True)
    kept: dict[int, str] = {}
    taken: set[str] = set()
    for jaccard, i, nid in pairs:
        if jaccard >= KEEP_ID and i not in kept and nid not in taken:
            kept[i] = nid
            taken.add(nid)
    found: list[Found] = []
    number = next_number
    for i, members in enumerate(communities):
        if i in kept:
            found.append(Found(kept[i], sorted(members), {}, False))
            continue
        share = Counter({nid: len(sets[i] & old) for nid, old in previous.items()})
        origin = ({"split_from": share.most_common(1)[0][0]}
                  if share and share.most_common(1)[0][1] > 0 else {})
        found.append(Found(f"R{number:04d}", sorted(members), origin, True))
        number += 1
    by_id = {f.id: set(f.members) for f in found}
    dissolved: list[str] = []
    for nid, old in sorted(previous.items()):
        if nid in taken:
            continue
        went = Counter({f: len(old & members) for f, members in by_id.items()})
        target = went.most_common(1)[0] if went else None
        if target and target[1] > 0:
            for f in found:
                if f.id == target[0]:
                    f.origin.setdefault("merged", []).append(nid)
        dissolved.append(nid)
    found.sort(key=lambda f: (-len(f.members), f.id))
    return found, dissolved


def _keep_name(kept: str | None, network_id: str, head: str | None) -> str:
    """A network keeps the name it was first given (after its head then), unless that
    was only its id, for want of a name."""
    if kept and (kept != f"Network {network_id}" or head is None):
        return kept
    return f"Network of {head}" if head else f"Network {network_id}"


def _parts(parts: Mapping[str, Part]) -> dict[str, Any]:
    """The head score's parts as JSON holds them."""
    out: dict[str, Any] = {}
    for name, part in parts.items():
        out[name] = part.to_json()
    return out


def _payment_records(edges: pd.DataFrame) -> list[int]:
    ids: list[int] = []
    for evidence in edges.loc[edges["kind"] == "payment", "evidence"]:
        ids.extend(int(m.group(1)) for e in evidence if (m := _RECORD.match(e)))
    return ids


def _facts(members: list[str], projection: Projection, edges: pd.DataFrame,
           facts: MemberFacts, remaining: float | None) -> threat.NetworkFacts:
    """What the members' records say, for the threat assessment."""
    inside = set(members)
    among = edges[edges["source"].isin(inside) & edges["target"].isin(inside)]
    incidents: Counter[str] = Counter()
    for m in members:
        incidents.update(facts.incidents.get(m, Counter()))
    countries: list[str] = []
    for m in members:
        countries.extend(facts.countries.get(m, []))
        countries.extend(_phone_country(n) for n in facts.phones.get(m, []))
        countries.extend(iban[:2] for iban in facts.accounts.get(m, []))
    payments = among[among["kind"] == "payment"]
    amount = sum(facts.amounts.get(int(x.group(1)), 0.0) for ev in payments["evidence"]
                 for e in ev if (x := _RECORD.match(e)))
    origin_known = any(facts.countries.get(m) or facts.phones.get(m) or facts.accounts.get(m)
                       for m in members)
    return threat.NetworkFacts(
        size=len(members), incidents=incidents,
        events_known=any(m in facts.incidents for m in members),
        companies=sum(projection.nodes.get(m) != "Person" for m in members),
        finance_known=bool(among["kind"].isin(FINANCE_KINDS).any()),
        payments=amount, payments_known=not payments.empty,
        countries=threat.foreign(c for c in countries if c),
        origin_known=bool(origin_known), remaining_share=remaining)


def _phone_country(number: str) -> str:
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(number))
    except phonenumbers.NumberParseException:
        return ""
    return region or ""


def on_entities_changed(access: Access, changed: set[str]) -> None:
    """Resolution merged or split entities (`ON_CHANGE`): the networks are mapped again,
    once networks have been mapped at all, when the principal may run the mapping (a
    staff operator's resolution). A service's own ingest leaves that to the staff's next
    run, which the pages date."""
    if not changed or not policy.allows(access.principal, Permission.NETWORK_RUN) \
            or access.scope.agencies is not None:
        return
    with access.db.read() as conn:
        if repo.latest_run(conn) is None:
            return
    map_networks(access)


if on_entities_changed not in resolve_service.ON_CHANGE:  # once, however often imported
    resolve_service.ON_CHANGE.append(on_entities_changed)
