"""Grading of network mapping against a scenario's truth.

The store's networks are made of resolved entities; each is read back to the world's
person through its records (the truth's identity of most of them). Measured:
- `nmi`: the normalised mutual information between the truth's networks and the store's,
  over the truth's members the store holds (a member in no store network counts as
  "outside"); people the truth puts in no network (relatives, neighbours, namesakes)
  carry no label to compare, though the joint graph rightly ties some to a network;
- `heads_precision_at_k`: of the top k people by head rank (each network's likeliest head
  first, then each network's second…), the share who are heads in the truth, k being the
  number of true heads the store holds;
- `heads_first`: the share of the truth's networks whose likeliest head, in the store
  network holding most of its members, is one of its true heads.
"""

from collections import Counter
from typing import Any

from emco.access.gate import Access
from emco.demo.evaluate import nmi, precision_at_k
from emco.demo.truth import Truth
from emco.model.enums import NetworkRole
from emco.network.reading import list_networks, network_view
from emco.resolve.service import export_entities

OUTSIDE = "outside"


def grade(access: Access, truth: Truth) -> dict[str, Any]:
    world_of = _world_of(access, truth)
    true_label = {m.entity: n.id for n in truth.networks for m in n.members}
    true_heads = {m.entity for n in truth.networks for m in n.members
                  if m.role == NetworkRole.HEAD}
    found_label: dict[str, str] = {}
    ranked: list[tuple[int, float, str]] = []
    firsts: dict[str, str] = {}  # store network -> the world person ranked first
    for summary in list_networks(access):
        view = network_view(access, summary.network.id)
        for member in view.members:
            person = world_of.get(member.entity_id)
            if person is None:
                continue
            found_label.setdefault(person, view.network.id)
            ranked.append((member.head_rank, -member.head_score, person))
            firsts.setdefault(view.network.id, person)
    held = set(world_of.values())
    people = sorted(set(true_label) & held)
    if not people:
        return {"networks": 0, "nmi": None, "heads_precision_at_k": None, "heads_first": None}
    score = nmi({p: true_label.get(p, OUTSIDE) for p in people},
                {p: found_label.get(p, OUTSIDE) for p in people})
    order = [p for _, _, p in sorted(ranked)]
    k = len(true_heads & held)
    first_right = 0
    for network in truth.networks:
        where = Counter(found_label[m.entity] for m in network.members
                        if m.entity in found_label)
        if where and firsts.get(where.most_common(1)[0][0]) in true_heads:
            first_right += 1
    return {"networks": len(firsts), "nmi": round(score, 3),
            "heads_precision_at_k": round(precision_at_k(order, true_heads, k), 3) if k
            else None,
            "heads_first": round(first_right / len(truth.networks), 3)
            if truth.networks else None}


def _world_of(access: Access, truth: Truth) -> dict[str, str]:
    """Each resolved entity's world person: the one most of its records are."""
    votes: dict[str, Counter[str]] = {}
    for agency, source_id, entity_id in export_entities(access):
        world = truth.records.get((agency, source_id))
        if world is not None and world.startswith("P"):
            votes.setdefault(entity_id, Counter())[world] += 1
    return {e: c.most_common(1)[0][0] for e, c in votes.items()}
