"""Grading of deconfliction against a scenario's truth: the overlapping investigations
the platform told the services about, against those the truth knows.

An overlap counts as found when a target-overlap alert names the pair (read from the
alerts the staff sees, as raised: what the services were actually told), whatever its
state since. Conflicts of operations are the operations stage's (`grade_operations`),
joined to these in `emco.demo.evaluate`.
"""

from typing import Any

from emco.access.gate import Access
from emco.alerts.lifecycle import MAX_PAGE
from emco.alerts.service import inbox
from emco.demo.evaluate import found_missed_false
from emco.demo.truth import Truth
from emco.model.enums import AlertKind


def told_overlaps(access: Access) -> set[frozenset[str]]:
    """The pairs of investigations ("AGENCY:reference") named by target-overlap alerts."""
    found: set[frozenset[str]] = set()
    offset: int | None = 0
    while offset is not None:
        page = inbox(access, limit=MAX_PAGE, offset=offset)
        for alert in page.alerts:
            if alert.kind == AlertKind.TARGET_OVERLAP.value and alert.staff_view:
                found.add(frozenset(f"{i['agency']}:{i['reference']}"
                                    for i in alert.staff_view["investigations"]))
        offset = page.next_offset
    return found


def grade(access: Access, truth: Truth) -> dict[str, Any]:
    true = {frozenset(o.investigations) for o in truth.overlaps}
    return {"overlaps": found_missed_false(true, told_overlaps(access)).to_dict()}
