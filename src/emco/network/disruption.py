"""Key players for disruption: whom to remove so a network falls apart most, and what a
given set of arrests would do.

Fragmentation is read two ways: the share of people left in the largest connected piece
(can the network still act as one?) and global efficiency, the mean of 1/distance over
pairs (how fast can word and goods still travel?). On large graphs efficiency is
estimated from sampled people (harmonic centrality of a sample), and the greedy search
tries only the best-connected candidates at each step; both say so in their results.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import igraph as ig  # type: ignore[import-untyped]
import numpy as np
import pandas as pd

from emco.errors import BadInput
from emco.network.edges import normalise_edges
from emco.network.structure import project

EXACT_EFFICIENCY = 2_000  # vertices: above, efficiency is estimated from a sample
EFFICIENCY_SAMPLE = 16
# Component counts cost a pass over the graph: at each greedy step, try as many
# candidates as keep the work near this many edge visits.
GREEDY_BUDGET = 2_000_000
MIN_CANDIDATES, MAX_CANDIDATES = 2, 16
ALL_CANDIDATES = 300  # vertices: below, every member is tried, efficiency included


@dataclass(frozen=True)
class Fragmentation:
    """A network before and after removing some people."""

    removed: list[str]
    people_before: int
    people_after: int
    largest_share_before: float  # share of people in the largest connected piece
    largest_share_after: float  # … after removal, of the people before
    pieces_before: int  # connected pieces (isolated people count as pieces)
    pieces_after: int
    efficiency_before: float
    efficiency_after: float
    efficiency_estimated: bool

    def to_json(self) -> dict[str, object]:
        return {"removed": self.removed, "people_before": self.people_before,
                "people_after": self.people_after,
                "largest_share_before": round(self.largest_share_before, 4),
                "largest_share_after": round(self.largest_share_after, 4),
                "pieces_before": self.pieces_before, "pieces_after": self.pieces_after,
                "efficiency_before": round(self.efficiency_before, 4),
                "efficiency_after": round(self.efficiency_after, 4),
                "efficiency_estimated": self.efficiency_estimated}


@dataclass(frozen=True)
class Comparison:
    """One way of choosing k people to remove, and what their removal does."""

    strategy: str  # "key players", "degree", "betweenness", "pagerank", "head score"
    fragmentation: Fragmentation

    def to_json(self) -> dict[str, object]:
        return {"strategy": self.strategy, **self.fragmentation.to_json()}


def efficiency(graph: ig.Graph, seed: int = 7,
               sample: Sequence[str] | None = None) -> tuple[float, bool]:
    """Global efficiency (mean 1/distance over ordered pairs, unweighted) and whether
    it was estimated from a sample of EFFICIENCY_SAMPLE people.

    `sample` names the people to estimate from (those still in the graph are used), so
    that before and after a removal are estimated from the same people."""
    n = graph.vcount()
    if n < 2:
        return 0.0, False
    if n <= EXACT_EFFICIENCY:
        return float(np.mean(graph.harmonic_centrality(normalized=True))), False
    if sample is None:
        chosen = np.random.default_rng(seed).choice(n, EFFICIENCY_SAMPLE, replace=False)
    else:
        index = {name: i for i, name in enumerate(graph.vs["name"])}
        chosen = np.asarray([index[p] for p in sample if p in index], dtype=np.int64)
    values = graph.harmonic_centrality(vertices=sorted(chosen.tolist()), normalized=True)
    return float(np.mean(values)), True


def _pieces(graph: ig.Graph) -> tuple[int, int]:
    """(size of the largest connected piece, number of pieces)."""
    if graph.vcount() == 0:
        return 0, 0
    sizes = graph.connected_components().sizes()
    return max(sizes), len(sizes)


@dataclass(frozen=True)
class _Before:
    largest: int
    pieces: int
    efficiency: float
    estimated: bool
    sample: list[str] | None  # the people efficiency was estimated from


def _before(graph: ig.Graph, seed: int) -> _Before:
    sample = None
    if graph.vcount() > EXACT_EFFICIENCY:
        drawn = np.random.default_rng(seed).choice(graph.vcount(), EFFICIENCY_SAMPLE,
                                                   replace=False)
        sample = [graph.vs[int(i)]["name"] for i in sorted(drawn)]
    return _Before(*_pieces(graph), *efficiency(graph, seed, sample), sample)


def _kept(before: _Before, removed: set[str]) -> list[str] | None:
    """The people efficiency is estimated from after a removal: the same as before,
    less those removed (with a random sample, rarely any)."""
    if before.sample is None:
        return None
    return [p for p in before.sample if p not in removed]


def fragmentation(graph: ig.Graph, removed: Sequence[int], seed: int = 7,
                  before: _Before | None = None) -> Fragmentation:
    """What removing the vertices `removed` (indices) does to `graph` (undirected)."""
    n = graph.vcount()
    b = before or _before(graph, seed)
    largest, pieces, eff, estimated = b.largest, b.pieces, b.efficiency, b.estimated
    rest = graph.copy()
    rest.delete_vertices(sorted(set(removed)))
    largest_after, pieces_after = _pieces(rest)
    names = {graph.vs[i]["name"] for i in removed}
    eff_after, estimated_after = efficiency(rest, seed, _kept(b, names))
    return Fragmentation([graph.vs[i]["name"] for i in removed], n, rest.vcount(),
                         largest / n if n else 0.0, largest_after / n if n else 0.0,
                         pieces, pieces_after, eff, eff_after, estimated or estimated_after)


def simulate_removal(graph_or_edges: ig.Graph | pd.DataFrame, removed: Iterable[str],
                     seed: int = 7) -> Fragmentation:
    """"What if we arrest these": fragmentation figures after removing people by id.

    Takes an undirected igraph Graph with a `name` vertex attribute, or an edge table.
    Raises BadInput when an id is not in the network."""
    if isinstance(graph_or_edges, pd.DataFrame):
        graph = project(normalise_edges(graph_or_edges), directed=False).graph
    else:
        graph = graph_or_edges
    index = {name: i for i, name in enumerate(graph.vs["name"])}
    wanted = list(dict.fromkeys(removed))
    unknown = [r for r in wanted if r not in index]
    if unknown:
        raise BadInput(f"not in the network: {', '.join(unknown[:10])}", field="removed")
    return fragmentation(graph, [index[r] for r in wanted], seed)


def greedy_key_players(graph: ig.Graph, k: int, betweenness: np.ndarray,
                       seed: int = 7) -> list[int]:
    """k vertices chosen one at a time, each the one whose removal fragments most.

    On small graphs (up to ALL_CANDIDATES vertices) every member of the largest piece
    is tried and "fragments most" is the lowest sum of largest-piece share and global
    efficiency; on larger ones, the best connected members (degree, betweenness) of
    the largest piece are tried, as many as GREEDY_BUDGET allows, and the largest piece
    alone decides (ties: more pieces, then higher betweenness)."""
    chosen: list[int] = []
    current = graph.copy()
    current.vs["orig"] = list(range(graph.vcount()))
    small = graph.vcount() <= ALL_CANDIDATES
    per_step = graph.vcount() if small else int(np.clip(
        GREEDY_BUDGET // max(graph.ecount(), 1), MIN_CANDIDATES, MAX_CANDIDATES))
    n = graph.vcount()
    for _ in range(min(k, graph.vcount())):
        parts = current.connected_components()
        giant = np.asarray(parts.membership) == int(np.argmax(parts.sizes()))
        orig = np.asarray(current.vs["orig"])
        degree = np.asarray(current.degree(), dtype=float)
        candidates: list[int] = []
        for key in (degree, betweenness[orig]):
            ranked = np.lexsort((orig, -key))
            candidates += [int(v) for v in ranked[giant[ranked]][:per_step]]
        best: tuple[float, int, float, int, int] | None = None
        for v in dict.fromkeys(candidates):
            trial = current.copy()
            trial.delete_vertices([v])
            largest, pieces = _pieces(trial)
            damage = largest / n + (efficiency(trial, seed)[0] if small else 0.0)
            key = (damage, -pieces, -float(betweenness[orig[v]]), int(orig[v]), v)
            best = key if best is None or key < best else best
        if best is None:
            break
        chosen.append(best[3])
        current.delete_vertices([best[4]])
    return chosen


def compare(graph: ig.Graph, k: int, rankings: dict[str, np.ndarray],
            greedy: list[int], seed: int = 7) -> list[Comparison]:
    """The key players, then the top k by each single ranking, with what removing each
    set does. The key players are the set that fragments most (lowest largest-piece
    share plus efficiency after removal) among the greedy set and the rankings' sets:
    greedy search is short-sighted, and a single ranking sometimes does better."""
    before = _before(graph, seed)
    singles = []
    for name, values in rankings.items():
        top = np.lexsort((np.arange(len(values)), -values))[:k]
        singles.append(Comparison(name, fragmentation(graph, [int(v) for v in top], seed,
                                                      before)))
    best = fragmentation(graph, greedy, seed, before)
    for single in singles:
        f = single.fragmentation
        if (f.largest_share_after + f.efficiency_after
                < best.largest_share_after + best.efficiency_after - 1e-12):
            best = f
    return [Comparison("key players", best), *singles]
