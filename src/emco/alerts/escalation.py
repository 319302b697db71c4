"""Escalation: a recipient that lets its deadline pass without acknowledging is reported
to the staff's operators, once per recipient for each time the alert is (re)opened.

The staff's services become recipients of the alert (with a deadline of their own, never
escalated themselves); both they and the late recipient are sent the escalation by
webhook. Each escalated alert is one transaction and one audit row.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.alerts import delivery
from emco.alerts.state import canonical, deadline, fold, system_principal
from emco.errors import Forbidden
from emco.i18n import N_
from emco.model.enums import AlertAction, AlertSeverity, AuditAction, Outcome, Permission
from emco.store import agencies
from emco.store import alerts as repo
from emco.store.db import Database


@dataclass(frozen=True)
class Escalation:
    """One late recipient of one alert, and the staff's services told of it."""

    alert_id: int
    agency: str
    deadline: datetime
    told: tuple[str, ...]


def escalate_overdue(access_or_db: Access | Database, now: datetime | None = None
                     ) -> list[Escalation]:
    """Escalate every recipient past its deadline at `now` (default: the current time)
    without acknowledgement. Given a database, acts as the staff's system principal;
    given an `Access`, only a staff operator may (Forbidden otherwise)."""
    if isinstance(access_or_db, Database):
        with access_or_db.read() as conn:
            staff = sorted(agencies.staff_codes(conn))
        access = Access(access_or_db, system_principal(staff))
    else:
        access = access_or_db
    now = (now or datetime.now(UTC)).astimezone(UTC)
    probe = AuditEvent(AuditAction.ALERT_ESCALATE)
    access.check(Permission.ALERT_RESOLVE, probe)
    if access.scope.agencies is not None:
        message = N_("only the staff's operators escalate alerts")
        access.record(probe, Outcome.DENIED, message)
        raise Forbidden(message)
    with access.db.read() as conn:
        staff = sorted(agencies.staff_codes(conn))
        late = repo.overdue(conn, now, staff)
    by_alert: dict[int, list[str]] = {}
    for alert_id, agency in late:
        by_alert.setdefault(alert_id, []).append(agency)
    out: list[Escalation] = []
    for alert_id, agencies_late in by_alert.items():
        out += _escalate(access, alert_id, agencies_late, staff, now)
    return out


def _escalate(access: Access, alert_id: int, candidates: Sequence[str], staff: Sequence[str],
              now: datetime) -> list[Escalation]:
    event = AuditEvent(AuditAction.ALERT_ESCALATE, objects=[f"alert:{alert_id}"])
    with access.writing(Permission.ALERT_RESOLVE, event) as p:
        alert = repo.get(p.conn, alert_id, lock=True)
        assert alert is not None  # alerts are never deleted
        current = {r.agency: r for r in repo.recipients(p.conn, [alert_id])[alert_id]}
        status = fold(repo.events(p.conn, [alert_id])[alert_id])
        # Checked again under the lock: another worker or a late acknowledgement may
        # have come first.
        late = [a for a in candidates if not status.resolved and a not in status.acknowledged
                and a not in status.escalated and current[a].deadline <= now]
        p.event.result_count = len(late)
        if not late:
            p.event.detail = "nothing overdue any more"
            return []
        for agency in late:
            repo.add_event(p.conn, alert_id, AlertAction.ESCALATED, access.principal.username,
                           now, agency=agency, detail={
                               "deadline": current[agency].deadline.isoformat(),
                               "told": list(staff)})
        overdue = sorted(set(late) | set(status.escalated))
        due = deadline(AlertSeverity(alert.severity), now)
        for code in staff:
            if code in current:  # told before: keep what it was told, add the late list
                told_before = json.loads(current[code].disclosure)
                repo.set_recipient(p.conn, alert_id, code, disclosure=canonical(
                    {**told_before, "overdue": overdue}, "disclosure"))
            else:
                repo.add_recipient(p.conn, alert_id, code,
                                   canonical({"overdue": overdue}, "disclosure"), due, now)
        repo.touch(p.conn, alert_id, now)
        told = {r.agency: r for r in repo.recipients(p.conn, [alert_id])[alert_id]}
        # The staff learns every late service; a late service only that it is late.
        delivery.queue(p.conn, alert, [told[code] for code in staff], AlertAction.ESCALATED,
                       now, frozenset(staff), extra={"overdue": overdue})
        for agency in late:
            delivery.queue(p.conn, alert, [told[agency]], AlertAction.ESCALATED, now,
                           frozenset(staff), extra={"overdue": [agency]})
        p.event.detail = f"overdue: {', '.join(late)}; told: {', '.join(staff) or 'nobody'}"
        return [Escalation(alert_id, a, current[a].deadline, tuple(staff)) for a in late]
