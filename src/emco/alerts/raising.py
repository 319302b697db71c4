"""Raising an alert, from inside the transaction of the stage that found the conflict.

One alert per (kind, key): a stage may raise the same key after every trigger (a target
registered, a record ingested, entities merged) and there is still one alert. Raised
again while open, it takes the new evidence (an UPDATED event for what changed: the
staff's view, a recipient's disclosure, a new recipient). Raised again once resolved, it
reopens only when the evidence itself (the staff's view) changed: the same facts
reported again must not undo a settled decision.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection

from emco.access import audit
from emco.access.audit import AuditEvent
from emco.alerts import delivery
from emco.alerts.state import canonical, deadline, fold
from emco.errors import BadInput
from emco.i18n import N_
from emco.model.enums import AlertAction, AlertKind, AlertSeverity, AuditAction
from emco.model.types import Principal
from emco.store import agencies
from emco.store import alerts as repo
from emco.store.alerts import AlertRow

MAX_KEY = 200
MAX_TITLE = 500


@dataclass(frozen=True)
class Recipient:
    """A service told of an alert, and what that service may learn of it (JSON-able)."""

    agency: str  # agency code
    disclosure: dict[str, Any]  # what THIS agency may learn


class RaiseResult(NamedTuple):
    alert_id: int
    created: bool  # a new alert
    updated: bool  # an existing alert took new evidence or recipients, or was reopened


def raise_alert(conn: Connection, *, kind: AlertKind, key: str, severity: AlertSeverity,
                title: str, recipients: Sequence[Recipient], staff_view: dict[str, Any],
                author: str, now: datetime | None = None,
                principal: Principal | None = None) -> RaiseResult:
    """Raise (or update, or reopen) the alert of (kind, key), in the caller's transaction.

    The caller holds an `access.writing` passage and passes its connection. `title` is
    shown to every recipient: it must hold nothing of either side's file. Webhook
    deliveries are queued in the same transaction, never sent here. An audit row
    (alerts:alert:raise) is written when something changed, as `principal` (pass the
    caller's; without one, the row names `author` alone)."""
    kind, severity = _kind(kind), _severity(severity)
    key, title = _text(key, "key", MAX_KEY), _text(title, "title", MAX_TITLE)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    view = canonical(staff_view, "staff_view")
    wanted = _recipients(conn, recipients)
    staff = agencies.staff_codes(conn)
    row = repo.find(conn, kind.value, key)
    if row is None:
        alert_id = repo.create(conn, kind=kind.value, key=key, severity=severity.value,
                               title=title, staff_view=view, now=now)
        if alert_id is not None:
            _created(conn, alert_id, wanted, severity, author, now, staff)
            _audit(conn, principal, author, alert_id, f"raised: {kind.value} {key}", wanted)
            return RaiseResult(alert_id, True, False)
        row = repo.find(conn, kind.value, key)  # another transaction created it meanwhile
        assert row is not None
    changes = _Change(conn, row, severity, title, view, wanted, author, now, staff)
    if fold(repo.events(conn, [row.id])[row.id]).resolved:
        changed = changes.reopen() if view != row.staff_view else False
        verb = "reopened"
    else:
        changed = changes.update()
        verb = "updated"
    if changed:
        _audit(conn, principal, author, row.id, f"{verb}: {kind.value} {key}", wanted)
    return RaiseResult(row.id, False, changed)


def _created(conn: Connection, alert_id: int, wanted: dict[str, str],
             severity: AlertSeverity, author: str, now: datetime,
             staff: frozenset[str]) -> None:
    due = deadline(severity, now)
    for agency, disclosure in wanted.items():
        repo.add_recipient(conn, alert_id, agency, disclosure, due, now)
    repo.add_event(conn, alert_id, AlertAction.RAISED, author, now,
                   detail={"recipients": sorted(wanted)})
    alert = repo.get(conn, alert_id)
    assert alert is not None
    delivery.queue(conn, alert, repo.recipients(conn, [alert_id])[alert_id],
                   AlertAction.RAISED, now, staff)


class _Change:
    """The differences between an alert as stored and as raised again, and how to apply
    them: while open (`update`) or once resolved (`reopen`)."""

    def __init__(self, conn: Connection, row: AlertRow, severity: AlertSeverity, title: str,
                 view: str, wanted: dict[str, str], author: str, now: datetime,
                 staff: frozenset[str]) -> None:
        self.conn = conn
        self.row = row  # as stored before this raise
        self.severity = severity
        self.title = title
        self.view = view
        self.wanted = wanted
        self.author = author
        self.now = now
        self.staff = staff
        self.current = {r.agency: r for r in repo.recipients(conn, [row.id])[row.id]}

    def update(self) -> bool:
        """Apply new evidence to an open alert; False when nothing changed."""
        conn, row, now = self.conn, self.row, self.now
        fields = self._alert_fields()
        if fields:
            repo.update_alert(conn, row.id, severity=self.severity.value, title=self.title,
                              staff_view=self.view, now=now)
            repo.add_event(conn, row.id, AlertAction.UPDATED, self.author, now,
                           detail={"changed": fields})
        added, revised = self._recipient_changes()
        tighter = deadline(self.severity, now)
        status = fold(repo.events(conn, [row.id])[row.id])
        if "severity" in fields:  # more urgent now: deadlines may only come closer
            for agency, r in self.current.items():
                if agency not in status.acknowledged and tighter < r.deadline:
                    repo.set_recipient(conn, row.id, agency, deadline=tighter)
        if not (fields or added or revised):
            return False
        repo.touch(conn, row.id, now)
        self._tell(AlertAction.RAISED, added)
        told = set(revised)
        if "severity" in fields:  # every recipient's deadline may have moved
            told |= set(self.current)
        elif "staff_view" in fields:  # only the staff is sent the staff's view
            told |= set(self.current) & self.staff
        self._tell(AlertAction.UPDATED, sorted(told - set(added)))
        return True

    def reopen(self) -> bool:
        """Reopen a resolved alert whose evidence changed: every recipient must
        acknowledge again, by a new deadline."""
        conn, row, now = self.conn, self.row, self.now
        repo.update_alert(conn, row.id, severity=self.severity.value, title=self.title,
                          staff_view=self.view, now=now)
        repo.add_event(conn, row.id, AlertAction.REOPENED, self.author, now,
                       detail={"changed": self._alert_fields() or ["staff_view"]})
        added, _revised = self._recipient_changes()
        due = deadline(self.severity, now)
        for agency in self.current:
            if agency not in added:
                repo.set_recipient(conn, row.id, agency, deadline=due)
        self._tell(AlertAction.REOPENED, sorted(set(self.current) | set(added)))
        return True

    def _alert_fields(self) -> list[str]:
        row = self.row
        return [name for name, old, new in (
            ("severity", row.severity, self.severity.value), ("title", row.title, self.title),
            ("staff_view", row.staff_view, self.view)) if old != new]

    def _recipient_changes(self) -> tuple[list[str], list[str]]:
        """Add the new recipients and change the disclosures that differ (a recipient
        left out this time stays: it was told already). Returns (added, revised)."""
        added, revised = [], []
        due = deadline(self.severity, self.now)
        for agency, disclosure in self.wanted.items():
            had = self.current.get(agency)
            if had is None:
                repo.add_recipient(self.conn, self.row.id, agency, disclosure, due, self.now)
                repo.add_event(self.conn, self.row.id, AlertAction.UPDATED, self.author,
                               self.now, agency=agency, detail={"recipient": "added"})
                added.append(agency)
            elif had.disclosure != disclosure:
                repo.set_recipient(self.conn, self.row.id, agency, disclosure=disclosure)
                repo.add_event(self.conn, self.row.id, AlertAction.UPDATED, self.author,
                               self.now, agency=agency, detail={"disclosure": "changed"})
                revised.append(agency)
        self.current = {r.agency: r for r in repo.recipients(self.conn, [self.row.id])
                        [self.row.id]}
        return added, revised

    def _tell(self, event: AlertAction, agencies_told: Sequence[str]) -> None:
        if not agencies_told:
            return
        alert = repo.get(self.conn, self.row.id)
        assert alert is not None
        delivery.queue(self.conn, alert, [self.current[a] for a in agencies_told], event,
                       self.now, self.staff)


def _audit(conn: Connection, principal: Principal | None, author: str, alert_id: int,
           what: str, wanted: dict[str, str]) -> None:
    who = principal or Principal(username=author[:100], agency="-", roles=frozenset())
    audit.append(conn, who, AuditEvent(
        AuditAction.ALERT_RAISE, objects=[f"alert:{alert_id}"],
        detail=f"{what}; recipients {', '.join(sorted(wanted))}"[:1000]))


def _recipients(conn: Connection, recipients: Sequence[Recipient]) -> dict[str, str]:
    """Agency code to canonical disclosure; each agency known, and given once."""
    if not recipients:
        raise BadInput(N_("an alert needs at least one recipient"), field="recipients")
    out: dict[str, str] = {}
    for r in recipients:
        code = str(r.agency).strip().upper()
        if agencies.get(conn, code) is None:
            raise BadInput(N_("unknown agency %(agency)s", agency=code), field="recipients")
        if code in out:
            raise BadInput(N_("agency %(agency)s is given twice among the recipients",
                              agency=code), field="recipients")
        out[code] = canonical(r.disclosure, "disclosure")
    return out


def _kind(value: Any) -> AlertKind:
    try:
        return AlertKind(value)
    except ValueError:
        raise BadInput(N_("unknown alert kind %(kind)s", kind=str(value)),
                       field="kind") from None


def _severity(value: Any) -> AlertSeverity:
    try:
        return AlertSeverity(value)
    except ValueError:
        raise BadInput(N_("unknown severity %(severity)s", severity=str(value)),
                       field="severity") from None


def _text(value: str, name: str, longest: int) -> str:
    text = str(value).strip()
    if not text or "\x00" in text:
        raise BadInput(N_("%(field)s is required", field=name), field=name)
    if len(text) > longest:
        raise BadInput(N_("%(field)s must be at most %(limit)s characters long", field=name,
                          limit=longest), field=name)
    return text
