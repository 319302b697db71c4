"""Grading of entity resolution against a scenario's truth.

Measured over the records of things the resolver resolves (people, companies, vehicles,
accounts): links, events and calls are unique by nature and would only flatter the
cluster scores.
"""

from typing import Any

from emco.access.gate import Access
from emco.demo.evaluate import cluster_scores, pairwise_scores
from emco.demo.truth import Truth
from emco.resolve.service import export_entities

RESOLVED_KINDS = frozenset({"person", "company", "vehicle", "account"})


def grade(access: Access, truth: Truth) -> dict[str, Any]:
    true: dict[tuple[str, str], str] = {}
    found: dict[tuple[str, str], str] = {}
    for agency, source_id, entity_id in export_entities(access):
        key = (agency, source_id)
        world = truth.records.get(key)
        entity = truth.entities.get(world) if world else None
        if entity is None or entity.kind not in RESOLVED_KINDS:
            continue
        true[key], found[key] = world, entity_id  # type: ignore[assignment]
    return {"records": len(true), "pairwise": pairwise_scores(true, found).to_dict(),
            "cluster": cluster_scores(true, found).to_dict()}
