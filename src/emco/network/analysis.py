"""One call from an edge table to a network analysis: communities (Leiden), heads and
roles with explained scores, key players for disruption compared with single
centralities. The CLI, the joint graph of the store and the benchmarks all call
`analyze`.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from emco.model.enums import NetworkRole
from emco.network.disruption import Comparison, compare, greedy_key_players
from emco.network.edges import normalise_edges, read_edge_file
from emco.network.heads import HeadTable, Part, head_scores, infer_roles
from emco.network.structure import Projection, communities, measures, project

# Networks are organisations, not their cells: modularity at its standard resolution (1)
# cuts a hierarchy into each lieutenant's crew, which is then led by its lieutenant; a
# lower one keeps the crews of one organisation together. Measured on the scenarios (NMI
# with the true organisations, scale 1 / scale 5): 1.0 .69/.91, 0.25 .84/.93, 0.2 .92/.93,
# 0.15 1.0/.91, 0.1 1.0/.89 (docs/network-analysis.md). Resolution 1 gives the crews.
ORGANISATIONS = 0.15
CREWS = 1.0

__all__ = ["Analysis", "Community", "NodeResult", "analyze", "read_edge_file"]


@dataclass(frozen=True)
class Community:
    """One network found: id 0 is the largest; `heads` are its members by head score."""

    id: int
    members: list[str]
    heads: list[str]  # members ordered by head score, best first (at most ten)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "size": len(self.members), "members": self.members,
                "heads": self.heads}


@dataclass(frozen=True)
class NodeResult:
    """One person: his community, head score and rank (1 = most likely head over all
    people), inferred role with its confidence, and the parts of his score."""

    id: str
    community: int
    head_score: float
    head_rank: int
    role: NetworkRole
    role_confidence: float
    index: int = field(repr=False)
    table: HeadTable = field(repr=False, compare=False)

    @property
    def parts(self) -> dict[str, Part]:
        """Part name → value, weight, contribution, raw measure and reason; the
        contributions sum to `head_score`. Absent parts are unknown, not zero."""
        return self.table.parts(self.index)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "community": self.community,
                "head_score": round(self.head_score, 4), "head_rank": self.head_rank,
                "role": self.role.value, "role_confidence": round(self.role_confidence, 3),
                "parts": {name: part.to_json() for name, part in self.parts.items()}}


@dataclass(frozen=True)
class Analysis:
    """The result of `analyze`; `to_json()` is the shape `emco network analyze --json`
    prints. `nodes` are in head-rank order."""

    modularity: float
    communities: list[Community]
    nodes: list[NodeResult]
    key_players: list[str]
    disruption: list[Comparison]  # key players first, then each single centrality
    directed: bool
    seed: int
    betweenness_sampled: bool

    def node(self, node_id: str) -> NodeResult:
        """The result for one id; KeyError when absent."""
        for found in self.nodes:
            if found.id == node_id:
                return found
        raise KeyError(node_id)

    def to_json(self) -> dict[str, Any]:
        return {"modularity": round(self.modularity, 4),
                "communities": [c.to_json() for c in self.communities],
                "nodes": [n.to_json() for n in self.nodes],
                "key_players": self.key_players,
                "disruption": [c.to_json() for c in self.disruption],
                "directed": self.directed, "seed": self.seed,
                "betweenness_sampled": self.betweenness_sampled}


def analyze(edges: pd.DataFrame, *, directed: bool = False,
            declared: Mapping[str, Sequence[tuple[str, str]]] | None = None,
            key_players: int = 5, seed: int = 7,
            resolution: float = ORGANISATIONS) -> Analysis:
    """Communities, head scores, roles and key players of the network in `edges`.

    `edges` as described in `emco.network.edges` (rows for the same pair are summed).
    `directed` says contact rows run caller → called (money rows always run payer →
    beneficiary). `declared` maps an id to (role, grade) claims such as ("head", "B2").
    The same table and seed give the same result. Raises BadInput on a bad table, a
    role or grade that does not parse."""
    table = normalise_edges(edges)
    projection = project(table, directed=directed)
    if projection.n == 0:
        return Analysis(0.0, [], [], [], [], directed, seed, False)
    membership, modularity = communities(projection.graph, seed, resolution)
    found = measures(projection.graph, membership, seed)
    heads = head_scores(projection, membership, found, declared)
    roles, confidence = infer_roles(heads, projection, membership)
    k = max(0, min(key_players, projection.n))
    chosen = greedy_key_players(projection.graph, k, found.betweenness, seed) if k else []
    rankings = {"degree": np.asarray(projection.graph.degree(), dtype=float),
                "betweenness": found.betweenness, "head score": heads.score}
    disruption = compare(projection.graph, k, rankings, chosen, seed) if k else []
    best = disruption[0].fragmentation.removed if disruption else []
    return Analysis(modularity, _communities(projection, membership, heads),
                    _nodes(projection, membership, heads, roles, confidence), best,
                    disruption, directed, seed, found.sampled)


def _communities(projection: Projection, membership: np.ndarray,
                 heads: HeadTable) -> list[Community]:
    order = np.lexsort((np.arange(projection.n), heads.rank, membership))
    bounds = np.searchsorted(membership[order], np.arange(membership.max() + 2))
    out = []
    for c in range(membership.max() + 1):
        ranked = [projection.names[i] for i in order[bounds[c]:bounds[c + 1]]]
        out.append(Community(c, sorted(ranked), ranked[:10]))
    return out


def _nodes(projection: Projection, membership: np.ndarray, heads: HeadTable,
           roles: list[NetworkRole], confidence: np.ndarray) -> list[NodeResult]:
    order = np.argsort(heads.rank, kind="stable")
    return [NodeResult(projection.names[i], int(membership[i]), float(heads.score[i]),
                       int(heads.rank[i]), roles[i], float(confidence[i]), int(i), heads)
            for i in order]
