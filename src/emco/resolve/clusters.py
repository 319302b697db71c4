"""Resolved entities as a pure function of the judgements.

Edges are taken strongest first: operators' positive judgements, then the model's and
the rules' by decreasing score. Two clusters join only when no negative judgement
stands between any of their records, so a negative judgement keeps two records apart
for ever, and a chain of weak links cannot grow a giant cluster across namesakes (the
resolver records a negative judgement when two records are surely different people).
An operator's judgement on a pair replaces every other on that pair.
"""

from collections.abc import Iterable, Sequence

from emco.model.enums import Verdict
from emco.model.types import Judgement


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
    """Partition `records` into resolved entities."""
    standing = current(judgements)
    parent: dict[int, int] = {r: r for r in records}
    members: dict[int, list[int]] = {r: [r] for r in parent}
    apart: dict[int, set[int]] = {}  # root -> records it may never join

    def find(x: int) -> int:
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    for (a, b), j in standing.items():
        if j.verdict == Verdict.NEGATIVE and a in parent and b in parent:
            apart.setdefault(a, set()).add(b)
            apart.setdefault(b, set()).add(a)
    # Each record's negatives start at the record itself (its own root).

    def blocked(ra: int, rb: int) -> bool:
        small, large = (ra, rb) if len(members[ra]) <= len(members[rb]) else (rb, ra)
        for record in members[small]:
            for other in apart.get(record, ()):
                if find(other) == large:
                    return True
        return False

    positives = [j for j in standing.values()
                 if j.verdict == Verdict.POSITIVE and (j.human or (j.score or 0.0)
                                                       >= match_threshold)]
    positives.sort(key=lambda j: (not j.human, -(j.score or 1.0), j.left, j.right))
    for j in positives:
        if j.left not in parent or j.right not in parent:
            continue
        ra, rb = find(j.left), find(j.right)
        if ra == rb or blocked(ra, rb):
            continue
        if len(members[ra]) < len(members[rb]):
            ra, rb = rb, ra
        parent[rb] = ra
        members[ra].extend(members.pop(rb))
    return sorted((sorted(m) for m in members.values()), key=lambda m: m[0])


def assign_ids(found: Sequence[list[int]], previous: dict[int, str], next_number: int
               ) -> tuple[dict[int, str], int]:
    """Stable entity ids: a cluster keeps the id most of its records had, the largest
    cluster first when several claim it; a new cluster gets a new id."""
    out: dict[int, str] = {}
    claimed: set[str] = set()
    for cluster in sorted(found, key=len, reverse=True):
        counts: dict[str, int] = {}
        for record in cluster:
            old = previous.get(record)
            if old is not None and old not in claimed:
                counts[old] = counts.get(old, 0) + 1
        if counts:
            entity = min(counts, key=lambda e: (-counts[e], e))
        else:
            entity = f"E{next_number:08d}"
            next_number += 1
        claimed.add(entity)
        for record in cluster:
            out[record] = entity
    return out, next_number
