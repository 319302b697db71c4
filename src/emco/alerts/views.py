"""An alert as one principal may see it.

Need-to-know: a recipient sees its own disclosure, its own state and deadline, the
alert-wide events (raised, reopened, resolved) and the events about itself; never another
recipient's disclosure, nor who else acknowledged. The staff's operators see the whole
picture: the staff's view, every recipient with its disclosure and state, every event.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from emco.alerts.state import Status, fold
from emco.model.enums import AlertAction, AlertState
from emco.store.alerts import AlertRow, DeliveryRow, EventRow, RecipientRow

# Seen by every recipient; other events only by the recipient they concern (and the staff).
ALERT_WIDE = {AlertAction.RAISED.value, AlertAction.REOPENED.value,
              AlertAction.RESOLVED.value}


@dataclass(frozen=True)
class Viewer:
    """Who looks: a principal's agency, whether it is an operator of the staff, and the
    protection mentions it is cleared for (the staff's view of a DR case or operation is
    not shown to an operator cleared NP only)."""

    agency: str
    staff: bool
    cleared: frozenset[str] = frozenset({"NP", "DR"})


@dataclass(frozen=True)
class RecipientStatus:
    agency: str
    state: AlertState
    deadline: datetime
    overdue: bool
    acknowledged_at: datetime | None
    escalated_at: datetime | None
    disclosure: dict[str, Any]


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    action: str
    agency: str | None  # the recipient concerned, or the service that resolved
    author: str | None  # shown to the author's own service and to the staff
    outcome: str | None = None
    lead_agency: str | None = None
    note: str | None = None
    detail: dict[str, Any] | None = None  # the staff only


@dataclass(frozen=True)
class DeliveryStatus:
    """A webhook delivery to one service: shown to that service and to the staff."""

    id: int
    agency: str
    event: str
    status: str  # pending, sent, failed
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None


@dataclass(frozen=True)
class Resolution:
    outcome: str
    lead_agency: str | None
    at: datetime
    agency: str | None
    note: str | None


@dataclass(frozen=True)
class AlertView:
    """One alert for one viewer. `state` is the viewer's own as a recipient; the staff's
    operators get the overall state (new while some recipient has not acknowledged)."""

    id: int
    kind: str
    severity: str
    title: str
    state: AlertState
    created_at: datetime
    updated_at: datetime
    recipient: str | None  # the viewer's agency, when it is a recipient
    deadline: datetime | None
    overdue: bool
    acknowledged_at: datetime | None
    escalated_at: datetime | None
    disclosure: dict[str, Any] | None
    resolution: Resolution | None
    staff_view: dict[str, Any] | None = None
    recipients: list[RecipientStatus] = field(default_factory=list)
    history: list[HistoryEntry] = field(default_factory=list)
    deliveries: list[DeliveryStatus] = field(default_factory=list)


def build(alert: AlertRow, recipients: Sequence[RecipientRow], events: Sequence[EventRow],
          viewer: Viewer, now: datetime, history: bool = True,
          deliveries: Sequence[DeliveryRow] = ()) -> AlertView | None:
    """The alert as `viewer` may see it; None when the viewer may not see it at all.
    `history` False leaves out the events (for lists)."""
    mine = next((r for r in recipients if r.agency == viewer.agency), None)
    if mine is None and not viewer.staff:
        return None
    status = fold(events)
    states = {r.agency: status.state_of(r.agency) for r in recipients}
    state = status.overall([r.agency for r in recipients]) if viewer.staff \
        else states[viewer.agency]
    resolution = None
    if status.resolution is not None:
        e = status.resolution
        resolution = Resolution(outcome=str(e.outcome), lead_agency=e.lead_agency, at=e.at,
                                agency=e.agency, note=e.note)
    return AlertView(
        id=alert.id, kind=alert.kind, severity=alert.severity, title=alert.title,
        state=state, created_at=alert.created_at, updated_at=alert.updated_at,
        recipient=mine.agency if mine else None,
        deadline=mine.deadline if mine else None,
        overdue=_overdue(mine, states, now),
        acknowledged_at=_at(status.acknowledged.get(viewer.agency)),
        escalated_at=_at(status.escalated.get(viewer.agency)),
        disclosure=json.loads(mine.disclosure) if mine else None,
        resolution=resolution,
        staff_view=_staff_view(alert, viewer),
        recipients=[_recipient(r, states, status, now) for r in recipients]
        if viewer.staff else [],
        history=[_entry(e, viewer) for e in events if _shown(e, viewer)] if history else [],
        deliveries=[DeliveryStatus(id=d.id, agency=d.agency, event=d.event, status=d.status,
                                   attempts=d.attempts, next_attempt_at=d.next_attempt_at,
                                   last_error=d.last_error, sent_at=d.sent_at)
                    for d in deliveries if viewer.staff or d.agency == viewer.agency])


def _staff_view(alert: AlertRow, viewer: Viewer) -> dict[str, Any] | None:
    """The whole picture, for the staff's operators cleared for every case and operation
    it describes (each carries its `protection`)."""
    if not viewer.staff:
        return None
    found: dict[str, Any] = json.loads(alert.staff_view)
    return found if _within(found, viewer.cleared) else None


def _within(value: Any, cleared: frozenset[str]) -> bool:
    if isinstance(value, dict):
        mention = value.get("protection")
        return (not isinstance(mention, str) or mention in cleared) and \
            all(_within(v, cleared) for v in value.values())
    if isinstance(value, list):
        return all(_within(v, cleared) for v in value)
    return True


def _overdue(r: RecipientRow | None, states: dict[str, AlertState], now: datetime) -> bool:
    return r is not None and states[r.agency] == AlertState.NEW and r.deadline <= now


def _recipient(r: RecipientRow, states: dict[str, AlertState], status: Status,
               now: datetime) -> RecipientStatus:
    return RecipientStatus(agency=r.agency, state=states[r.agency], deadline=r.deadline,
                           overdue=_overdue(r, states, now),
                           acknowledged_at=_at(status.acknowledged.get(r.agency)),
                           escalated_at=_at(status.escalated.get(r.agency)),
                           disclosure=json.loads(r.disclosure))


def _shown(e: EventRow, viewer: Viewer) -> bool:
    if viewer.staff:
        return True
    if e.action in ALERT_WIDE:
        return True
    return e.agency == viewer.agency


def _entry(e: EventRow, viewer: Viewer) -> HistoryEntry:
    own = viewer.staff or e.agency == viewer.agency
    note = e.note if own or e.action == AlertAction.RESOLVED else None
    return HistoryEntry(at=e.at, action=e.action, agency=e.agency,
                        author=e.author if own else None, outcome=e.outcome,
                        lead_agency=e.lead_agency, note=note,
                        detail=e.detail if viewer.staff else None)


def _at(event: EventRow | None) -> datetime | None:
    return event.at if event is not None else None
