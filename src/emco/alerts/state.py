"""What an alert's history means: its state, each recipient's deadline, who may see it.

The state is a pure function of the events (`fold`); nothing else decides it. Only what
happened since the alert was last raised or reopened counts, so a reopened alert asks
every recipient to acknowledge again.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from emco.errors import BadInput
from emco.i18n import N_
from emco.model.enums import AlertAction, AlertSeverity, AlertState, Protection, Role
from emco.model.types import Principal
from emco.settings import Settings, get_settings
from emco.store.alerts import EventRow

SYSTEM_USER = "system:alerts"  # the author of escalations and deliveries


@dataclass
class Status:
    """An alert's standing since it was last (re)opened: who acknowledged, who was
    escalated, and its resolution."""

    opened_at: datetime | None = None
    acknowledged: dict[str, EventRow] = field(default_factory=dict)  # by agency
    escalated: dict[str, EventRow] = field(default_factory=dict)  # by late agency
    resolution: EventRow | None = None

    @property
    def resolved(self) -> bool:
        return self.resolution is not None

    def state_of(self, agency: str) -> AlertState:
        """The state for one recipient."""
        if self.resolved:
            return AlertState.RESOLVED
        return AlertState.ACKNOWLEDGED if agency in self.acknowledged else AlertState.NEW

    def overall(self, recipients: Sequence[str]) -> AlertState:
        """The state for the staff: new while some recipient has not acknowledged."""
        if self.resolved:
            return AlertState.RESOLVED
        waiting = [a for a in recipients if a not in self.acknowledged]
        return AlertState.NEW if waiting else AlertState.ACKNOWLEDGED


def fold(events: Sequence[EventRow]) -> Status:
    """The status an alert's history (oldest first) leaves it in."""
    status = Status()
    for e in events:
        if e.action in (AlertAction.RAISED, AlertAction.REOPENED):
            status = Status(opened_at=e.at)
        elif e.action == AlertAction.ACKNOWLEDGED and e.agency:
            status.acknowledged.setdefault(e.agency, e)
        elif e.action == AlertAction.ESCALATED and e.agency:
            status.escalated.setdefault(e.agency, e)
        elif e.action == AlertAction.RESOLVED:
            status.resolution = e
    return status


def deadline_hours(severity: AlertSeverity, settings: Settings | None = None) -> int:
    s = settings or get_settings()
    return {AlertSeverity.CRITICAL: s.alert_deadline_critical_hours,
            AlertSeverity.HIGH: s.alert_deadline_high_hours,
            AlertSeverity.MEDIUM: s.alert_deadline_medium_hours,
            AlertSeverity.LOW: s.alert_deadline_low_hours}[severity]


def deadline(severity: AlertSeverity, told_at: datetime) -> datetime:
    """By when a recipient told at `told_at` must acknowledge an alert of `severity`."""
    return told_at + timedelta(hours=deadline_hours(severity))


def canonical(value: Any, field_name: str) -> str:
    """`value` as JSON with sorted keys (equal content, equal text); BadInput naming
    `field_name` when it is not JSON."""
    if not isinstance(value, dict):
        raise BadInput(N_("%(field)s must be a JSON object", field=field_name),
                       field=field_name)
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError):
        raise BadInput(N_("%(field)s must hold only JSON values (text, numbers, lists, "
                          "objects)", field=field_name), field=field_name) from None


def system_principal(staff: Sequence[str]) -> Principal:
    """Who escalates and delivers when no one asked: an operator of the staff."""
    return Principal(username=SYSTEM_USER, agency=staff[0] if staff else "EMCO",
                     roles=frozenset({Role.OPERATOR}), clearance=Protection.DR)
