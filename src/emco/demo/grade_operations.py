"""Grading of operation deconfliction against a scenario's truth: the pairs of operations
the platform found in conflict (standing, each with the alert that told both services),
against the truth's conflicts, keyed "AGENCY:reference"."""

from typing import Any

from emco.access.gate import Access
from emco.deconflict.operations import standing
from emco.demo.evaluate import found_missed_false
from emco.demo.truth import Truth


def grade_conflicts(access: Access, truth: Truth) -> dict[str, Any]:
    """found / missed / false over pairs of operations, and, of the pairs found, how many
    the platform gives another kind of conflict than the truth's (the truth names one
    kind per pair, the platform every kind that holds)."""
    true = {frozenset(c.operations): c.kind.value for c in truth.conflicts}
    found = {frozenset((c.left, c.right)): set(c.kinds) for c in standing(access)
             if c.alert_id is not None}
    out: dict[str, Any] = found_missed_false(set(true), set(found)).to_dict()
    out["other_kind"] = sum(1 for pair, kind in true.items()
                            if pair in found and kind not in found[pair])
    return out
