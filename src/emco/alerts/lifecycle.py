"""Reading and deciding alerts, through the gate: the inbox, one alert, acknowledging,
resolving. What the CLI, the API and the pages call.

An alert a principal may not see is reported as not found, in the same words as one that
does not exist. Acknowledging twice is idempotent: the first acknowledgement stands, no
second row is written, and the answer is the alert as it stands.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection

from emco.access.audit import AuditEvent
from emco.access.gate import Access, Passage
from emco.alerts import delivery
from emco.alerts.state import Status, fold
from emco.alerts.views import AlertView, Viewer, build
from emco.errors import BadInput, Conflict, NotFound
from emco.i18n import N_
from emco.model.enums import AlertAction, AlertOutcome, AlertState, AuditAction, Permission
from emco.store import agencies
from emco.store import alerts as repo

INBOX_PAGE = 50
MAX_PAGE = 200
MAX_NOTE = 1000


@dataclass(frozen=True)
class Inbox:
    """A page of the alerts a principal receives (every alert for the staff)."""

    total: int
    limit: int
    offset: int
    state: AlertState | None
    alerts: list[AlertView]

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.offset + self.limit < self.total else None


def viewer(access: Access, p: Passage) -> Viewer:
    """The staff's operators are those who see every service's records."""
    return Viewer(agency=access.principal.agency, staff=p.scope.agencies is None,
                  cleared=frozenset(m.value for m in p.scope.protections))


def inbox(access: Access, *, state: AlertState | str | None = None, limit: int = INBOX_PAGE,
          offset: int = 0) -> Inbox:
    """The alerts the principal's service receives, open ones first, the most severe
    first; for the staff's operators, every alert with the whole picture. `state`
    filters on the state shown (the service's own; overall for the staff)."""
    wanted = _state(state)
    if not 1 <= limit <= MAX_PAGE:
        raise BadInput(N_("%(field)s must be between 1 and %(limit)s", field="limit",
                          limit=MAX_PAGE), field="limit")
    if offset < 0:
        raise BadInput(N_("%(field)s must be at least %(limit)s", field="offset", limit=0),
                       field="offset")
    event = AuditEvent(AuditAction.ALERT_READ, query={
        "inbox": True, "state": wanted.value if wanted else None, "limit": limit,
        "offset": offset})
    with access.reading(Permission.ALERT_READ, event) as p:
        who = viewer(access, p)
        total, page = repo.inbox(p.conn, None if who.staff else who.agency, wanted, limit,
                                 offset)
        ids = [alert_id for alert_id, _state_text in page]
        found = _views(p.conn, ids, who, history=False)
        p.event.result_count = total
        p.event.objects = [f"alert:{i}" for i in ids]
    return Inbox(total, limit, offset, wanted, found)


def alert_detail(access: Access, alert_id: int) -> AlertView:
    """One alert with its history, as the principal may see it. NotFound for an alert
    whose recipients do not include the principal's service (unless staff)."""
    event = AuditEvent(AuditAction.ALERT_READ, objects=[f"alert:{alert_id}"])
    with access.reading(Permission.ALERT_READ, event) as p:
        found = _views(p.conn, [alert_id], viewer(access, p))
        if not found:
            raise NotFound(N_("no such alert"), field="alert_id")
        p.event.result_count = 1
    return found[0]


def acknowledge(access: Access, alert_id: int, note: str | None = None) -> AlertView:
    """Record that the principal's service has seen the alert. Idempotent: a second
    acknowledgement by the same service changes nothing. Conflict once resolved."""
    text = _note(note, required=False)
    event = AuditEvent(AuditAction.ALERT_ACKNOWLEDGE, objects=[f"alert:{alert_id}"])
    with access.writing(Permission.ALERT_ACKNOWLEDGE, event) as p:
        who, recipients, status = _open_for(access, p, alert_id)
        if who.agency not in recipients:
            raise Conflict(N_("your service (%(agency)s) is not a recipient of this alert; "
                              "only recipients acknowledge it", agency=who.agency),
                           field="alert_id")
        if status.resolved:
            raise Conflict(N_("this alert is resolved; there is nothing to acknowledge"),
                           field="alert_id")
        if who.agency in status.acknowledged:
            p.event.detail = "already acknowledged: nothing written"
        else:
            now = datetime.now(UTC)
            repo.add_event(p.conn, alert_id, AlertAction.ACKNOWLEDGED,
                           access.principal.username, now, agency=who.agency, note=text)
            repo.touch(p.conn, alert_id, now)
        return _views(p.conn, [alert_id], who)[0]


def resolve_alert(access: Access, alert_id: int, outcome: AlertOutcome | str, note: str,
                  lead_agency: str | None = None) -> AlertView:
    """Close an open alert with its outcome; `lead_agency` (one of the recipients) is
    required for `lead_designated` and refused otherwise. The note is shown to every
    recipient. Conflict when already resolved. A recipient's service or the staff may
    resolve, whether or not every recipient has acknowledged."""
    decided = _outcome(outcome)
    text = _note(note, required=True)
    lead = lead_agency.strip().upper() if lead_agency and lead_agency.strip() else None
    if decided == AlertOutcome.LEAD_DESIGNATED and lead is None:
        raise BadInput(N_("name the lead service (lead_agency) when designating a lead"),
                       field="lead_agency")
    if decided != AlertOutcome.LEAD_DESIGNATED and lead is not None:
        raise BadInput(N_("a lead service is named only with the outcome lead_designated"),
                       field="lead_agency")
    event = AuditEvent(AuditAction.ALERT_RESOLVE, objects=[f"alert:{alert_id}"],
                       detail=f"{decided.value}" + (f", lead {lead}" if lead else ""))
    with access.writing(Permission.ALERT_RESOLVE, event) as p:
        who, recipients, status = _open_for(access, p, alert_id)
        if status.resolved:
            raise Conflict(N_("this alert is already resolved"), field="alert_id")
        if lead is not None and lead not in recipients:
            if who.staff:  # only the staff may learn who the other recipients are
                raise BadInput(N_("the lead service must be one of the recipients: "
                                  "%(agencies)s", agencies=", ".join(recipients)),
                               field="lead_agency")
            raise BadInput(N_("the lead service must be one of the alert's recipients"),
                           field="lead_agency")
        now = datetime.now(UTC)
        repo.add_event(p.conn, alert_id, AlertAction.RESOLVED, access.principal.username,
                       now, agency=who.agency, outcome=decided.value, lead_agency=lead,
                       note=text)
        repo.touch(p.conn, alert_id, now)
        alert = repo.get(p.conn, alert_id)
        assert alert is not None
        delivery.queue(p.conn, alert, repo.recipients(p.conn, [alert_id])[alert_id],
                       AlertAction.RESOLVED, now, agencies.staff_codes(p.conn),
                       extra={"resolution": {"outcome": decided.value, "lead_agency": lead,
                                             "note": text}})
        return _views(p.conn, [alert_id], who)[0]


def _open_for(access: Access, p: Passage, alert_id: int
              ) -> tuple[Viewer, list[str], Status]:
    """Lock the alert for a decision; NotFound unless the principal may see it. Returns
    the viewer, the recipients' codes and the alert's status."""
    who = viewer(access, p)
    alert = repo.get(p.conn, alert_id, lock=True)
    recipients = [r.agency for r in repo.recipients(p.conn, [alert_id])[alert_id]] \
        if alert else []
    if alert is None or (who.agency not in recipients and not who.staff):
        raise NotFound(N_("no such alert"), field="alert_id")
    return who, recipients, fold(repo.events(p.conn, [alert_id])[alert_id])


def _views(conn: Connection, ids: Sequence[int], who: Viewer, history: bool = True
           ) -> list[AlertView]:
    """The alerts of `ids` the viewer may see, in that order."""
    rows = repo.alerts_by_id(conn, ids)
    recipients = repo.recipients(conn, list(rows))
    events = repo.events(conn, list(rows))
    now = datetime.now(UTC)
    out = []
    for alert_id in ids:
        if alert_id not in rows:
            continue
        sent = repo.deliveries(conn, alert_id) if history else []
        view = build(rows[alert_id], recipients[alert_id], events[alert_id], who, now,
                     history=history, deliveries=sent)
        if view is not None:
            out.append(view)
    return out


def _state(value: AlertState | str | None) -> AlertState | None:
    if value is None or value == "":
        return None
    try:
        return AlertState(value)
    except ValueError:
        raise BadInput(N_("unknown state %(state)s: new, acknowledged or resolved",
                          state=str(value)), field="state") from None


def _outcome(value: AlertOutcome | str) -> AlertOutcome:
    try:
        return AlertOutcome(value)
    except ValueError:
        raise BadInput(N_("unknown outcome %(outcome)s: lead_designated, joint_operation, "
                          "postponed or no_conflict", outcome=str(value)),
                       field="outcome") from None


def _note(value: str | None, required: bool) -> str | None:
    text = (value or "").strip()
    if "\x00" in text:
        raise BadInput(N_("invalid value for %(field)s", field="note"), field="note")
    if len(text) > MAX_NOTE:
        raise BadInput(N_("%(field)s must be at most %(limit)s characters long", field="note",
                          limit=MAX_NOTE), field="note")
    if required and not text:
        raise BadInput(N_("%(field)s is required", field="note"), field="note")
    return text or None
