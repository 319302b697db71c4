"""Resolved entities as a pure function of the judgements.

Edges are taken strongest first: operators' positive judgements, then the model's and
the rules' by decreasing score. Two clusters join only when no negative judgement
stands between any of their records, so a negative judgement keeps two records apart
for ever, and a chain of weak links cannot grow a giant cluster across namesakes (the
resolver records a negative judgement when two records are surely different people).
An operator's judgement on a pair replaces every other on that pair.

The work is done on columns (`Edges`: numpy arrays of record ids, verdict codes, scores),
not on `Judgement` objects: a million records carry millions of judgements. Connected
components of the positive links are found at once; only the components that hold a
negative between two of their records are built link by link, strongest first.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from emco.model.enums import Verdict
from emco.model.types import Judgement

Ints = npt.NDArray[np.int64]

# Verdicts as the small integers of `Edges.verdict`.
CODES = {Verdict.POSITIVE: 1, Verdict.UNSURE: 0, Verdict.NEGATIVE: -1}
POSITIVE, NEGATIVE = CODES[Verdict.POSITIVE], CODES[Verdict.NEGATIVE]


@dataclass(frozen=True)
class Edges:
    """Judgements as columns, one row each: the pair (`left` < `right` once `standing`),
    the verdict's code (`CODES`), the score (NaN when none), whether an operator
    decided, and the row's id (later rows supersede earlier ones)."""

    left: Ints
    right: Ints
    verdict: npt.NDArray[np.int8]
    score: npt.NDArray[np.float64]
    human: npt.NDArray[np.bool_]
    id: Ints

    @classmethod
    def of(cls, judgements: Iterable[Judgement]) -> "Edges":
        rows = [(j.left, j.right, CODES[j.verdict], np.nan if j.score is None else j.score,
                 j.human, j.id) for j in judgements]
        return cls.columns(rows)

    @classmethod
    def columns(cls, rows: Sequence[tuple[int, int, int, float | None, bool, int]]
                ) -> "Edges":
        """Edges from rows of (left, right, verdict code, score or None, human, id)."""
        if not rows:
            return cls.concat([])
        left, right, verdict, score, human, ids = zip(*rows, strict=True)
        return cls(np.array(left, np.int64), np.array(right, np.int64),
                   np.array(verdict, np.int8), np.array(score, np.float64),
                   np.array(human, np.bool_), np.array(ids, np.int64))

    @classmethod
    def concat(cls, parts: Sequence["Edges"]) -> "Edges":
        def joined(name: str, dtype: type) -> npt.NDArray[Any]:
            return np.concatenate([getattr(p, name) for p in parts]).astype(dtype) \
                if parts else np.empty(0, dtype)
        return cls(joined("left", np.int64), joined("right", np.int64),
                   joined("verdict", np.int8), joined("score", np.float64),
                   joined("human", np.bool_), joined("id", np.int64))

    def take(self, which: npt.NDArray[Any]) -> "Edges":
        return Edges(self.left[which], self.right[which], self.verdict[which],
                     self.score[which], self.human[which], self.id[which])

    def __len__(self) -> int:
        return len(self.id)


def standing(edges: Edges) -> Edges:
    """The judgement that stands for each pair, as `current`: the latest operator's if
    any, else the latest of the model and rules."""
    left, right = np.minimum(edges.left, edges.right), np.maximum(edges.left, edges.right)
    edges = Edges(left, right, edges.verdict, edges.score, edges.human, edges.id)
    # Sorted by pair, then operators after the others, then by id: a pair's last row.
    order = np.lexsort((edges.id, edges.human, right, left))
    ordered = edges.take(order)
    last = np.ones(len(order), np.bool_)
    last[:-1] = (ordered.left[1:] != ordered.left[:-1]) | \
        (ordered.right[1:] != ordered.right[:-1])
    return ordered.take(last)


def current(judgements: Iterable[Judgement]) -> dict[tuple[int, int], Judgement]:
    """The judgement that stands for each pair: the latest operator's if any, else the
    latest of the model and rules (later rows supersede earlier ones)."""
    best: dict[tuple[int, int], Judgement] = {}
    for j in sorted(judgements, key=lambda j: j.id):
        pair = (min(j.left, j.right), max(j.left, j.right))
        held = best.get(pair)
        if held is None or j.human or not held.human:
            best[pair] = j
    return best


def clusters(records: Iterable[int], judgements: Iterable[Judgement],
             match_threshold: float) -> list[list[int]]:
    """Partition `records` into resolved entities, each sorted, by their first record."""
    ids = np.unique(np.fromiter(records, np.int64))
    labels = cluster_labels(ids, Edges.of(judgements), match_threshold)
    order = np.lexsort((ids, labels))
    bounds = np.flatnonzero(np.diff(labels[order])) + 1
    found = [part.tolist() for part in np.split(ids[order], bounds)] if len(ids) else []
    return sorted(found, key=lambda c: c[0])


def cluster_labels(records: Ints, edges: Edges, match_threshold: float) -> Ints:
    """The cluster of each of `records` (sorted, unique ids), as the smallest record id
    of its cluster. Judgements on records not among them are ignored."""
    n = len(records)
    edges = standing(edges)
    a, b = _index(records, edges.left), _index(records, edges.right)
    known = (a >= 0) & (b >= 0)
    strong = known & (edges.verdict == POSITIVE) & (
        edges.human | (np.nan_to_num(edges.score, nan=0.0) >= match_threshold))
    apart = known & (edges.verdict == NEGATIVE)
    pa, pb = a[strong], b[strong]
    component = _components(n, pa, pb)
    na, nb = a[apart], b[apart]
    inside = component[na] == component[nb]
    contested = np.unique(component[na[inside]])
    # A component without a negative inside is one cluster: every link of it would be
    # taken. The others are built link by link, the negatives holding parts apart.
    root = component.copy()
    if len(contested):
        in_contest = np.isin(component[pa], contested)
        links = edges.take(strong).take(in_contest)
        order = np.lexsort((pb[in_contest], pa[in_contest],
                            -np.nan_to_num(links.score, nan=1.0), ~links.human))
        # The negatives inside a component are exactly those of the contested ones.
        _build(root, np.flatnonzero(np.isin(component, contested)),
               pa[in_contest][order], pb[in_contest][order], na[inside], nb[inside])
    # Label each cluster by its smallest record (records are sorted: the first index).
    first = np.full(n, n, np.int64)
    np.minimum.at(first, root, np.arange(n))
    return records[first[root]]


@dataclass(frozen=True)
class Components:
    """The connected components of some links: each record's component named by its
    smallest record. A record no link touches is a component of its own."""

    ids: Ints  # the records the links touch, sorted
    labels: Ints  # the component of each
    grouped: Ints  # the same records ordered by component
    grouped_labels: Ints  # their components, sorted

    @classmethod
    def of(cls, left: Ints, right: Ints) -> "Components":
        ids = np.unique(np.concatenate([left, right]))
        labels = ids[_components(len(ids), np.searchsorted(ids, left),
                                 np.searchsorted(ids, right))]
        order = np.argsort(labels, kind="stable")
        return cls(ids, labels, ids[order], labels[order])

    def __call__(self, records: Ints) -> Ints:
        """The component of each of `records`."""
        if not len(self.ids):
            return records
        at = _index(self.ids, records)
        return np.where(at >= 0, self.labels[np.maximum(at, 0)], records)

    def members(self, component: int) -> Ints:
        """The records of a component (itself alone when no link touches it)."""
        low, high = np.searchsorted(self.grouped_labels, [component, component + 1])
        return self.grouped[low:high] if high > low else np.array([component], np.int64)


def _index(records: Ints, ids: Ints) -> Ints:
    """Position of each id among the sorted `records`, -1 when not there."""
    at = np.searchsorted(records, ids)
    clipped = np.minimum(at, max(len(records) - 1, 0))
    found = (at < len(records)) & (records[clipped] == ids) if len(records) else \
        np.zeros(len(ids), np.bool_)
    return np.where(found, at, -1)


def _components(n: int, a: Ints, b: Ints) -> Ints:
    """Connected components of the graph of `n` nodes and edges (a, b): each node's
    component as the smallest node of it. Vectorised: links hook the larger root onto
    the smaller, then pointers jump to their roots, until no link joins two roots."""
    parent = np.arange(n, dtype=np.int64)
    while True:
        ra, rb = parent[a], parent[b]
        differ = ra != rb
        if not differ.any():
            return parent
        low, high = np.minimum(ra, rb)[differ], np.maximum(ra, rb)[differ]
        np.minimum.at(parent, high, low)
        while True:
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped


def _build(root: Ints, nodes: Ints, a: Ints, b: Ints, na: Ints, nb: Ints) -> None:
    """Clusters of the contested components, in `root` (updated in place): links (a, b)
    taken in order, two clusters joined only when no negative (na, nb) stands between
    any of their records. Sequential by nature; only these components pay for it."""
    parent = {int(x): int(x) for x in nodes}
    members = {x: [x] for x in parent}
    apart: dict[int, set[int]] = {}
    for x, y in zip(na.tolist(), nb.tolist(), strict=True):
        apart.setdefault(x, set()).add(y)
        apart.setdefault(y, set()).add(x)

    def find(x: int) -> int:
        top = x
        while parent[top] != top:
            top = parent[top]
        while parent[x] != top:
            parent[x], x = top, parent[x]
        return top

    def blocked(ra: int, rb: int) -> bool:
        small, large = (ra, rb) if len(members[ra]) <= len(members[rb]) else (rb, ra)
        return any(find(other) == large for record in members[small]
                   for other in apart.get(record, ()))

    for x, y in zip(a.tolist(), b.tolist(), strict=True):
        ra, rb = find(x), find(y)
        if ra == rb or blocked(ra, rb):
            continue
        if len(members[ra]) < len(members[rb]):
            ra, rb = rb, ra
        parent[rb] = ra
        members[ra].extend(members.pop(rb))
    for top, group in members.items():
        root[group] = top


def assign_numbers(labels: Ints, previous: Ints, next_number: int) -> tuple[Ints, int]:
    """Stable entity numbers, record by record: `labels` gives each record's cluster,
    `previous` the number of its entity before (0: none). A cluster keeps the number
    most of its records had, the largest cluster first when several claim it (then the
    one of smallest label); a new cluster gets a new number. Returns the numbers and the
    next number free."""
    n = len(labels)
    if n == 0:
        return np.empty(0, np.int64), next_number
    cluster_ids, cluster = np.unique(labels, return_inverse=True)
    sizes = np.bincount(cluster)
    # Processing order: by size, larger first, then by label.
    rank = np.empty(len(cluster_ids), np.int64)
    rank[np.lexsort((cluster_ids, -sizes))] = np.arange(len(cluster_ids))
    had = previous > 0
    # Each (cluster, previous number) once, with how many of its records had it.
    r, p = rank[cluster[had]], previous[had]
    by_pair = np.lexsort((p, r))
    r, p = r[by_pair], p[by_pair]
    starts = np.ones(len(r), np.bool_)
    starts[1:] = (r[1:] != r[:-1]) | (p[1:] != p[:-1])
    first = np.flatnonzero(starts)
    ranks, numbers = r[first], p[first]
    counts = np.diff(np.append(first, len(r)))
    order = np.lexsort((numbers, -counts, ranks))
    chosen = np.zeros(len(cluster_ids), np.int64)  # by rank
    claimed: set[int] = set()
    # Sequential by nature (a number claimed by a larger cluster is gone), over the
    # clusters' previous numbers only.
    for r, number in zip(ranks[order].tolist(), numbers[order].tolist(), strict=True):
        if not chosen[r] and number not in claimed:
            chosen[r] = number
            claimed.add(number)
    fresh = chosen == 0
    chosen[fresh] = np.arange(next_number, next_number + int(fresh.sum()))
    return chosen[rank[cluster]], next_number + int(fresh.sum())


def entity_id(number: int) -> str:
    return f"E{number:08d}"


def entity_number(entity: str) -> int:
    return int(entity[1:])


def assign_ids(found: Sequence[list[int]], previous: dict[int, str], next_number: int
               ) -> tuple[dict[int, str], int]:
    """Stable ids (`assign_numbers`) of the clusters `found`, given each record's entity
    id before."""
    records = np.array([r for c in found for r in c], np.int64)
    labels = np.array([i for i, c in enumerate(found) for _ in c], np.int64)
    before = np.array([entity_number(previous[r]) if r in previous else 0
                       for r in records.tolist()], np.int64)
    numbers, after = assign_numbers(labels, before, next_number)
    return {r: entity_id(e) for r, e in zip(records.tolist(), numbers.tolist(),
                                             strict=True)}, after
