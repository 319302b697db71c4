"""The graph an analysis works on: edge table → igraph, Leiden communities, and the
structural measures of each person.

Vertices are numbered in the sorted order of their ids, so that the same edges in any
row order give the same graph and (with the same seed) the same communities.
"""

import math
import random
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import igraph as ig  # type: ignore[import-untyped]
import numpy as np
import pandas as pd

# Leiden is run a few passes at a time from its own last partition until modularity stops
# rising: `n_iterations=-1` alone can run for minutes on a graph with weak structure.
LEIDEN_PASSES = 2
LEIDEN_MAX_ROUNDS = 10
LEIDEN_MIN_GAIN = 1e-4  # a round adding less modularity than this is the last
# Betweenness is exact in components up to this size; above it, this many sampled
# sources (the estimate is scaled up): cost ∝ sources × edges, so fewer sources on
# graphs above BETWEENNESS_LARGE edges.
BETWEENNESS_SOURCES = 64
BETWEENNESS_EXACT = 2_000  # largest component size up to which all of it is exact
BETWEENNESS_SOURCES_LARGE = 24
BETWEENNESS_LARGE = 200_000
# Two-step reach is counted exactly for a person whose contacts have at most this many
# contacts in all (the cost of counting); above it, it is bounded by that sum.
REACH_WALKS = 100_000

MONEY_TYPES = frozenset({"payment", "transfer", "money", "cash"})
# Contact types whose direction tells who reported to whom (the reporter → his superior).
# Plain calls and messages are not among them: who calls says who initiates, not who
# commands (CAVIAR's mastermind received only 13-23% of his calls, phase by phase).
TALK_TYPES = frozenset({"report"})
ORDER_TYPES = frozenset({"instruction", "order"})  # given downward: counted reversed
VIOLENCE_TYPES = frozenset({"violence", "threat", "assault", "extortion"})


@contextmanager
def seeded(seed: int) -> Iterator[None]:
    """igraph's random numbers drawn from `random.Random(seed)` for the block, then
    igraph's default source again: results reproducible, other callers untouched."""
    ig.set_random_number_generator(random.Random(seed))  # noqa: S311 - reproducibility
    try:
        yield
    finally:
        ig.set_random_number_generator(random)


@dataclass(frozen=True)
class Projection:
    """An edge table as a simple undirected weighted graph, plus what direction told.

    `graph` has one edge per pair (weights summed over rows and directions). The flow
    arrays are None when the table carries no direction of that kind."""

    names: list[str]
    graph: ig.Graph
    money_in: np.ndarray | None
    money_out: np.ndarray | None
    talk_in: np.ndarray | None
    talk_out: np.ndarray | None
    payment_share: np.ndarray  # share of a person's tie weight that is money
    violence_share: np.ndarray  # share of his tie weight typed as violence or threats

    @property
    def n(self) -> int:
        return len(self.names)


def project(edges: pd.DataFrame, *, directed: bool) -> Projection:
    """The projection of a normalised edge table (see `edges.normalise_edges`).

    Money edges are read payer → beneficiary whatever `directed` says; contact edges
    give a direction only when `directed` is True."""
    codes, uniques = pd.factorize(pd.concat([edges["source"], edges["target"]],
                                            ignore_index=True), sort=True)
    names = [str(u) for u in uniques]
    n, m = len(names), len(edges)
    src, dst = codes[:m].astype(np.int64), codes[m:].astype(np.int64)
    weight = edges["weight"].to_numpy(dtype=float)
    lo, hi = np.minimum(src, dst), np.maximum(src, dst)
    pairs, inverse = np.unique(lo * n + hi, return_inverse=True)
    summed = np.bincount(inverse, weights=weight, minlength=len(pairs))
    graph = ig.Graph(n=n, edges=np.column_stack([pairs // n, pairs % n]).tolist())
    graph.es["weight"] = summed.tolist()
    graph.vs["name"] = names

    kind = edges["type"].to_numpy(dtype=object)
    is_money = np.isin(kind, list(MONEY_TYPES))
    money_in = money_out = talk_in = talk_out = None
    if is_money.any():
        money_in = np.bincount(dst[is_money], weights=weight[is_money], minlength=n)
        money_out = np.bincount(src[is_money], weights=weight[is_money], minlength=n)
    if directed:
        up = np.isin(kind, list(TALK_TYPES))
        down = np.isin(kind, list(ORDER_TYPES))  # an order given counts as a report received
        receiver = np.concatenate([dst[up], src[down]])
        sender = np.concatenate([src[up], dst[down]])
        w = np.concatenate([weight[up], weight[down]])
        if len(w):
            talk_in = np.bincount(receiver, weights=w, minlength=n)
            talk_out = np.bincount(sender, weights=w, minlength=n)
    total = np.bincount(src, weights=weight, minlength=n) + np.bincount(dst, weights=weight,
                                                                        minlength=n)
    return Projection(names, graph, money_in, money_out, talk_in, talk_out,
                      _share(src, dst, weight, is_money, total, n),
                      _share(src, dst, weight, np.isin(kind, list(VIOLENCE_TYPES)), total, n))


def _share(src: np.ndarray, dst: np.ndarray, weight: np.ndarray, mask: np.ndarray,
           total: np.ndarray, n: int) -> np.ndarray:
    part = (np.bincount(src[mask], weights=weight[mask], minlength=n)
            + np.bincount(dst[mask], weights=weight[mask], minlength=n))
    share: np.ndarray = np.divide(part, total, out=np.zeros(n), where=total > 0)
    return share


def communities(graph: ig.Graph, seed: int, resolution: float = 1.0
                ) -> tuple[np.ndarray, float]:
    """Leiden communities maximising weighted modularity: (membership, modularity).

    `resolution` below 1 finds fewer, larger communities (an organisation rather than
    its cells); the modularity returned is the standard one (resolution 1).

    Community ids are 0..k-1 by decreasing size (ties: the community holding the
    smallest vertex first). Deterministic for a given graph and seed."""
    if graph.ecount() == 0:
        return np.arange(graph.vcount()), 0.0
    membership: list[int] | None = None
    best = -math.inf
    with seeded(seed):
        for _ in range(LEIDEN_MAX_ROUNDS):
            found = graph.community_leiden(objective_function="modularity", weights="weight",
                                           resolution=resolution,
                                           n_iterations=LEIDEN_PASSES,
                                           initial_membership=membership)
            quality = graph.modularity(found.membership, weights="weight",
                                       resolution=resolution)
            gain = quality - best
            if gain > 0:
                membership, best = list(found.membership), quality
            if gain < LEIDEN_MIN_GAIN:
                break
    labels = np.asarray(membership)
    sizes = np.bincount(labels)
    first = np.full(len(sizes), graph.vcount())
    np.minimum.at(first, labels, np.arange(len(labels)))
    order = np.lexsort((first, -sizes))
    order = order[sizes[order] > 0]
    relabel = np.empty(len(sizes), dtype=np.int64)
    relabel[order] = np.arange(len(order))
    standard = (best if resolution == 1.0
                else graph.modularity(labels.tolist(), weights="weight"))
    return relabel[labels], float(standard)


@dataclass(frozen=True)
class Measures:
    """Raw structural measures per vertex.

    Who leads a network shows in the ties *within* it: measured on the whole graph, the
    brokers between networks (shared suppliers, logistics) outrank every head, and a
    network's head is the head of his network, not of the graph. Those measures are
    therefore taken on the ties inside each community; the whole graph gives contacts
    with other communities, and the betweenness that key players are chosen on."""

    degree: np.ndarray  # contacts, in all
    betweenness: np.ndarray  # (estimated) shortest paths through him, whole graph
    inside: np.ndarray  # contacts within his community
    inside_betweenness: np.ndarray  # shortest paths through him within his community
    inside_pagerank: np.ndarray  # weighted PageRank on the ties within communities
    inside_coreness: np.ndarray  # k-core number on the ties within communities
    # A member's hubness: his contacts within his community / its best connected member's.
    hub_contacts: np.ndarray  # his contacts' hubness, summed
    top_contact: np.ndarray  # the highest hubness among his contacts
    second: np.ndarray  # members of his community two steps away, not in direct contact
    outside: np.ndarray  # other communities he is in contact with
    community_size: np.ndarray  # size of his community
    sampled: bool  # a betweenness was estimated in at least one component

    @property
    def reach(self) -> np.ndarray:
        """People of his community within two steps of him."""
        out: np.ndarray = self.inside + self.second
        return out


def measures(graph: ig.Graph, membership: np.ndarray, seed: int) -> Measures:
    """The structural measures of every vertex (see `Measures`)."""
    ends = np.asarray(graph.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    a, b = ends[:, 0], ends[:, 1]
    ca, cb = membership[a], membership[b]
    n = graph.vcount()
    size = np.bincount(membership)
    degree = np.asarray(graph.degree(), dtype=float)
    betweenness, sampled = _betweenness(graph, seed)

    within = ca == cb
    inner = graph.subgraph_edges(np.flatnonzero(within).tolist(), delete_vertices=False)
    inside = np.asarray(inner.degree(), dtype=float)
    inside_betweenness, inside_sampled = _betweenness(inner, seed)
    inside_pagerank = np.asarray(inner.pagerank(weights="weight"), dtype=float)
    inside_coreness = np.asarray(inner.coreness(), dtype=float)
    top = np.zeros(len(size))
    np.maximum.at(top, membership, inside)
    hubness = np.divide(inside, top[membership], out=np.zeros(n), where=top[membership] > 0)
    ia, ib = a[within], b[within]
    hub_contacts = (np.bincount(ia, weights=hubness[ib], minlength=n)
                    + np.bincount(ib, weights=hubness[ia], minlength=n))
    top_contact = np.zeros(n)
    np.maximum.at(top_contact, ia, hubness[ib])
    np.maximum.at(top_contact, ib, hubness[ia])
    second = _second_step(inner, inside, size[membership].astype(float))

    k = len(size)
    across = ~within
    pairs = np.unique(np.concatenate([a[across] * k + cb[across], b[across] * k + ca[across]]))
    outside = np.bincount(pairs // k, minlength=n).astype(float)
    return Measures(degree, betweenness, inside, inside_betweenness, inside_pagerank,
                    inside_coreness, hub_contacts, top_contact, second, outside,
                    size[membership].astype(float), sampled or inside_sampled)


def _second_step(inner: ig.Graph, inside: np.ndarray, size: np.ndarray) -> np.ndarray:
    """Per vertex of `inner` (the ties within communities): the members of his community
    two steps away, reached only through one of his contacts.

    Counting costs, per person, the contacts of his contacts: above REACH_WALKS it is
    bounded by that sum (and his community's size) instead, so that one huge hub cannot
    make the count quadratic."""
    n = inner.vcount()
    ends = np.asarray(inner.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    walks = (np.bincount(ends[:, 0], weights=inside[ends[:, 1]], minlength=n)
             + np.bincount(ends[:, 1], weights=inside[ends[:, 0]], minlength=n))
    second = np.minimum(walks - inside, size - 1 - inside)  # the bound
    exact = np.flatnonzero((walks <= REACH_WALKS) & (inside > 0))
    if len(exact):
        within_two = np.asarray(inner.neighborhood_size(exact.tolist(), order=2), dtype=float)
        second[exact] = within_two - 1 - inside[exact]
    out: np.ndarray = np.maximum(second, 0.0)
    return out


def _betweenness(graph: ig.Graph, seed: int) -> tuple[np.ndarray, bool]:
    """Unweighted betweenness: exact when no component exceeds BETWEENNESS_EXACT
    vertices; else exact in components of at most BETWEENNESS_SOURCES and, in larger
    ones, from sampled sources (that many in all, shared by size, at least 8 a
    component; fewer above BETWEENNESS_LARGE edges), scaled up.

    Unweighted because a tie's weight counts contacts: it is a strength, not a length."""
    parts = graph.connected_components()
    size = np.asarray(parts.sizes())
    budget = (BETWEENNESS_SOURCES if graph.ecount() <= BETWEENNESS_LARGE
              else BETWEENNESS_SOURCES_LARGE)
    if size.max() <= BETWEENNESS_EXACT:
        return np.asarray(graph.betweenness(directed=False), dtype=float), False
    component = np.asarray(parts.membership)
    large = size > BETWEENNESS_SOURCES
    rng = np.random.default_rng(seed)
    scale = np.ones(len(size))
    sources = [np.flatnonzero(np.isin(component, np.flatnonzero(~large)))]
    for c in np.flatnonzero(large):
        members = np.flatnonzero(component == c)
        wanted = int(min(len(members), max(8, round(budget * size[c] / size[large].sum()))))
        sources.append(rng.choice(members, wanted, replace=False))
        scale[c] = size[c] / wanted
    chosen = np.sort(np.concatenate(sources)).tolist()
    raw = np.asarray(graph.betweenness(directed=False, sources=chosen), dtype=float)
    return raw * scale[component], True
