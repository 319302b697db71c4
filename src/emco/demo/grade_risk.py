"""Grading of the dangerousness assessment against a scenario's truth.

A person is flagged when the latest assessment run found a service's declared level below
the assessment (one alert each, key `entity:E|agency:A`); the store's entity is read back to the
world's person as the network grading does (`grade_networks._world_of`). Measured against
`truth.under_assessed` (person, service): found, missed, false, and precision.
"""

from typing import Any

from emco.access.gate import Access
from emco.demo.evaluate import found_missed_false
from emco.demo.grade_networks import _world_of
from emco.demo.truth import Truth
from emco.risk.review import last_run


def flagged(access: Access) -> set[tuple[str, str]]:
    """(entity, service) found under-assessed by the latest assessment run (an alert
    raised by an earlier run stays in the inbox until a human settles it: the latest run
    says what stands now)."""
    run = last_run(access)
    if run is None:
        return set()
    return {(str(e), str(a)) for e, a, _alert in run["detail"].get("flagged", [])}


def grade(access: Access, truth: Truth) -> dict[str, Any]:
    world_of = _world_of(access, truth)
    found = {(world_of[e], a) for e, a in flagged(access) if e in world_of}
    found |= {(f"unmapped:{e}", a) for e, a in flagged(access) if e not in world_of}
    true = {(u.entity, u.agency) for u in truth.under_assessed}
    detection = found_missed_false(true, found)
    return {"under_assessed": detection.to_dict(),
            "precision": round(detection.found / len(found), 3) if found else None}
