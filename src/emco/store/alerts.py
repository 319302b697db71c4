"""Repository of alerts: the alerts, their recipients and append-only history, the services'
webhook endpoints and the outbox of deliveries. Called only through `emco.alerts`.

An alert's state is never stored: it is derived from its events, in Python
(`emco.alerts.state.fold`) for one alert, and here in SQL (`_state_of`) to filter and page
an inbox. Both read the same rule: what counts is what happened since the alert was last
raised or reopened.
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    case,
    delete,
    exists,
    func,
    insert,
    literal,
    not_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from emco.model.enums import AlertAction, AlertSeverity, AlertState
from emco.store.db import utc
from emco.store.tables import alert_deliveries, alert_events, alert_recipients, alerts, webhooks

OPENING = (AlertAction.RAISED.value, AlertAction.REOPENED.value)
SEVERITY_RANK = {AlertSeverity.CRITICAL.value: 4, AlertSeverity.HIGH.value: 3,
                 AlertSeverity.MEDIUM.value: 2, AlertSeverity.LOW.value: 1}


@dataclass(frozen=True)
class AlertRow:
    id: int
    kind: str
    key: str
    severity: str
    title: str
    staff_view: str  # JSON, canonical (keys sorted), so that equal views compare equal
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class RecipientRow:
    alert_id: int
    agency: str
    disclosure: str  # JSON, canonical
    deadline: datetime
    added_at: datetime


@dataclass(frozen=True)
class EventRow:
    id: int
    alert_id: int
    agency: str | None
    action: str
    outcome: str | None
    lead_agency: str | None
    author: str
    note: str | None
    detail: dict[str, Any] | None
    at: datetime


@dataclass(frozen=True)
class WebhookRow:
    agency: str
    url: str
    secret: str
    updated_by: str
    updated_at: datetime


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    alert_id: int
    agency: str
    event: str
    body: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None


# --- alerts ---------------------------------------------------------------------------------

def find(conn: Connection, kind: str, key: str) -> AlertRow | None:
    """The alert of (kind, key), locked until the transaction ends (on PostgreSQL; SQLite's
    writers already take turns)."""
    query = select(alerts).where(alerts.c.kind == kind, alerts.c.key == key)
    return _alert(conn.execute(_locked(conn, query)).mappings().first())


def get(conn: Connection, alert_id: int, lock: bool = False) -> AlertRow | None:
    query = select(alerts).where(alerts.c.id == alert_id)
    return _alert(conn.execute(_locked(conn, query) if lock else query).mappings().first())


def alerts_by_id(conn: Connection, ids: Sequence[int]) -> dict[int, AlertRow]:
    if not ids:
        return {}
    rows = conn.execute(select(alerts).where(alerts.c.id.in_(ids))).mappings()
    return {r["id"]: a for r in rows if (a := _alert(r)) is not None}


def create(conn: Connection, *, kind: str, key: str, severity: str, title: str,
           staff_view: str, now: datetime) -> int | None:
    """Insert an alert; None when another transaction created the same (kind, key) first
    (it has then committed: read it with `find`)."""
    values = {"kind": kind, "key": key, "severity": severity, "title": title,
              "staff_view": staff_view, "created_at": utc(now), "updated_at": utc(now)}
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    query = (dialect.insert(alerts).values(**values)
             .on_conflict_do_nothing(index_elements=["kind", "key"])
             .returning(alerts.c.id))
    return conn.execute(query).scalar()


def update_alert(conn: Connection, alert_id: int, *, severity: str, title: str,
                 staff_view: str, now: datetime) -> None:
    conn.execute(update(alerts).where(alerts.c.id == alert_id).values(
        severity=severity, title=title, staff_view=staff_view, updated_at=utc(now)))


def touch(conn: Connection, alert_id: int, now: datetime) -> None:
    conn.execute(update(alerts).where(alerts.c.id == alert_id).values(updated_at=utc(now)))


def _locked(conn: Connection, query: Any) -> Any:
    return query.with_for_update() if conn.dialect.name == "postgresql" else query


def _alert(row: Any) -> AlertRow | None:
    if row is None:
        return None
    return AlertRow(id=row["id"], kind=row["kind"], key=row["key"], severity=row["severity"],
                    title=row["title"], staff_view=row["staff_view"],
                    created_at=utc(row["created_at"]), updated_at=utc(row["updated_at"]))


# --- recipients -----------------------------------------------------------------------------

def recipients(conn: Connection, alert_ids: Sequence[int]) -> dict[int, list[RecipientRow]]:
    """The recipients of each alert, in the order they were added."""
    out: dict[int, list[RecipientRow]] = {i: [] for i in alert_ids}
    if not alert_ids:
        return out
    query = (select(alert_recipients).where(alert_recipients.c.alert_id.in_(alert_ids))
             .order_by(alert_recipients.c.added_at, alert_recipients.c.agency_code))
    for r in conn.execute(query).mappings():
        out[r["alert_id"]].append(RecipientRow(
            alert_id=r["alert_id"], agency=r["agency_code"], disclosure=r["disclosure"],
            deadline=utc(r["deadline"]), added_at=utc(r["added_at"])))
    return out


def add_recipient(conn: Connection, alert_id: int, agency: str, disclosure: str,
                  deadline: datetime, now: datetime) -> None:
    conn.execute(insert(alert_recipients).values(
        alert_id=alert_id, agency_code=agency, disclosure=disclosure, deadline=utc(deadline),
        added_at=utc(now)))


def set_recipient(conn: Connection, alert_id: int, agency: str, *,
                  disclosure: str | None = None, deadline: datetime | None = None) -> None:
    """Change what a recipient may learn, or by when it must acknowledge."""
    values: dict[str, Any] = {}
    if disclosure is not None:
        values["disclosure"] = disclosure
    if deadline is not None:
        values["deadline"] = utc(deadline)
    if values:
        conn.execute(update(alert_recipients).where(
            alert_recipients.c.alert_id == alert_id,
            alert_recipients.c.agency_code == agency).values(**values))


# --- events ---------------------------------------------------------------------------------

def add_event(conn: Connection, alert_id: int, action: AlertAction, author: str,
              at: datetime, *, agency: str | None = None, outcome: str | None = None,
              lead_agency: str | None = None, note: str | None = None,
              detail: dict[str, Any] | None = None) -> int:
    query = insert(alert_events).values(
        alert_id=alert_id, agency_code=agency, action=action.value, outcome=outcome,
        lead_agency=lead_agency, author=author, note=note,
        detail=None if detail is None else json.dumps(detail, ensure_ascii=False,
                                                      sort_keys=True),
        at=utc(at)).returning(alert_events.c.id)
    return int(conn.execute(query).scalar_one())


def events(conn: Connection, alert_ids: Sequence[int]) -> dict[int, list[EventRow]]:
    """The history of each alert, oldest first."""
    out: dict[int, list[EventRow]] = {i: [] for i in alert_ids}
    if not alert_ids:
        return out
    query = (select(alert_events).where(alert_events.c.alert_id.in_(alert_ids))
             .order_by(alert_events.c.id))
    for r in conn.execute(query).mappings():
        out[r["alert_id"]].append(EventRow(
            id=r["id"], alert_id=r["alert_id"], agency=r["agency_code"], action=r["action"],
            outcome=r["outcome"], lead_agency=r["lead_agency"], author=r["author"],
            note=r["note"], detail=json.loads(r["detail"]) if r["detail"] else None,
            at=utc(r["at"])))
    return out


# --- state in SQL, for inboxes and escalation -------------------------------------------------

def _opened(alert_id: Any) -> Any:
    """The id of the alert's last raised or reopened event: what counts comes after it."""
    e = alert_events.alias("opened")
    # Correlated to whatever outer query holds the alert (SQLAlchemy would otherwise add
    # the alerts table to this subquery's FROM when nested two levels deep).
    return (select(func.max(e.c.id))
            .where(e.c.alert_id == alert_id, e.c.action.in_(OPENING))
            .correlate_except(e).scalar_subquery())


def _since_open(alert_id: Any, action: AlertAction, agency: Any = None) -> ColumnElement[bool]:
    e = alert_events.alias(f"since_{action.value}")
    conditions = [e.c.alert_id == alert_id, e.c.action == action.value,
                  e.c.id > _opened(alert_id)]
    if agency is not None:
        conditions.append(e.c.agency_code == agency)
    return exists(select(literal(1)).select_from(e).where(*conditions).correlate_except(e))


def _state_of(agency: str | None) -> Any:
    """The state of each alert: for `agency`, its own; for the staff (None), overall (new
    while some recipient has not acknowledged)."""
    resolved = _since_open(alerts.c.id, AlertAction.RESOLVED)
    if agency is not None:
        acknowledged = _since_open(alerts.c.id, AlertAction.ACKNOWLEDGED,
                                   alert_recipients.c.agency_code)
        return case((resolved, AlertState.RESOLVED.value),
                    (acknowledged, AlertState.ACKNOWLEDGED.value),
                    else_=AlertState.NEW.value)
    r = alert_recipients.alias("waiting")
    waiting = exists(select(literal(1)).select_from(r).where(
        r.c.alert_id == alerts.c.id,
        not_(_since_open(alerts.c.id, AlertAction.ACKNOWLEDGED, r.c.agency_code)))
        .correlate_except(r))
    return case((resolved, AlertState.RESOLVED.value), (waiting, AlertState.NEW.value),
                else_=AlertState.ACKNOWLEDGED.value)


def inbox(conn: Connection, agency: str | None, state: AlertState | None, limit: int,
          offset: int) -> tuple[int, list[tuple[int, str]]]:
    """(how many, a page of (alert id, state)) of the alerts `agency` receives, or of every
    alert for the staff (None). Open before resolved, then the most severe, then the
    newest."""
    state_expr = _state_of(agency).label("state")
    query = select(alerts.c.id, alerts.c.severity, state_expr)
    if agency is not None:
        query = query.join(alert_recipients, and_(
            alert_recipients.c.alert_id == alerts.c.id,
            alert_recipients.c.agency_code == agency))
    listed = query.subquery()
    where = [listed.c.state == state.value] if state is not None else []
    total = conn.execute(select(func.count()).select_from(listed).where(*where)).scalar_one()
    severity = case(SEVERITY_RANK, value=listed.c.severity, else_=0)
    page = conn.execute(
        select(listed.c.id, listed.c.state).where(*where)
        .order_by(case((listed.c.state == AlertState.RESOLVED.value, 1), else_=0),
                  severity.desc(), listed.c.id.desc())
        .limit(limit).offset(offset)).all()
    return int(total), [(int(i), str(s)) for i, s in page]


def overdue(conn: Connection, now: datetime, exempt: Iterable[str]) -> list[tuple[int, str]]:
    """(alert id, agency) of every recipient of an open alert whose deadline has passed
    with no acknowledgement nor escalation since the alert was (re)opened; recipients in
    `exempt` (the staff itself) left out."""
    r = alert_recipients
    query = (select(r.c.alert_id, r.c.agency_code)
             .where(r.c.deadline <= utc(now),
                    r.c.agency_code.not_in(list(exempt)),
                    not_(_since_open(r.c.alert_id, AlertAction.RESOLVED)),
                    not_(_since_open(r.c.alert_id, AlertAction.ACKNOWLEDGED, r.c.agency_code)),
                    not_(_since_open(r.c.alert_id, AlertAction.ESCALATED, r.c.agency_code)))
             .order_by(r.c.alert_id, r.c.agency_code))
    return [(int(a), str(g)) for a, g in conn.execute(query)]


# --- webhooks -------------------------------------------------------------------------------

def webhook(conn: Connection, agency: str) -> WebhookRow | None:
    row = conn.execute(select(webhooks).where(webhooks.c.agency_code == agency)).mappings()
    found = row.first()
    if found is None:
        return None
    return WebhookRow(agency=found["agency_code"], url=found["url"], secret=found["secret"],
                      updated_by=found["updated_by"], updated_at=utc(found["updated_at"]))


def agencies_with_webhook(conn: Connection, candidates: Iterable[str]) -> set[str]:
    wanted = list(candidates)
    if not wanted:
        return set()
    query = select(webhooks.c.agency_code).where(webhooks.c.agency_code.in_(wanted))
    return set(conn.execute(query).scalars())


def set_webhook(conn: Connection, agency: str, url: str, secret: str, author: str,
                now: datetime) -> None:
    """Create or replace the endpoint of `agency`."""
    values = {"url": url, "secret": secret, "updated_by": author, "updated_at": utc(now)}
    done = conn.execute(update(webhooks).where(webhooks.c.agency_code == agency)
                        .values(**values))
    if not done.rowcount:
        conn.execute(insert(webhooks).values(agency_code=agency, **values))


def delete_webhook(conn: Connection, agency: str) -> bool:
    done = conn.execute(delete(webhooks).where(webhooks.c.agency_code == agency))
    return bool(done.rowcount)


# --- deliveries -----------------------------------------------------------------------------

PENDING, SENT, FAILED = "pending", "sent", "failed"


def queue_delivery(conn: Connection, alert_id: int, agency: str, event: AlertAction,
                   body: str, now: datetime) -> int:
    query = insert(alert_deliveries).values(
        alert_id=alert_id, agency_code=agency, event=event.value, body=body, status=PENDING,
        attempts=0, next_attempt_at=utc(now), created_at=utc(now)
    ).returning(alert_deliveries.c.id)
    return int(conn.execute(query).scalar_one())


def due(conn: Connection, now: datetime, limit: int) -> list[DeliveryRow]:
    """Pending deliveries whose next attempt is due, oldest first."""
    query = (select(alert_deliveries)
             .where(alert_deliveries.c.status == PENDING,
                    alert_deliveries.c.next_attempt_at <= utc(now))
             .order_by(alert_deliveries.c.next_attempt_at, alert_deliveries.c.id).limit(limit))
    return [_delivery(r) for r in conn.execute(query).mappings()]


def deliveries(conn: Connection, alert_id: int | None = None) -> list[DeliveryRow]:
    query = select(alert_deliveries).order_by(alert_deliveries.c.id)
    if alert_id is not None:
        query = query.where(alert_deliveries.c.alert_id == alert_id)
    return [_delivery(r) for r in conn.execute(query).mappings()]


def claim(conn: Connection, delivery: DeliveryRow, until: datetime) -> bool:
    """Take a due delivery for one attempt, so that no other worker sends it meanwhile:
    its next attempt moves to `until` (when it is due again if this worker dies midway).
    False when another worker took it first."""
    done = conn.execute(update(alert_deliveries).where(
        alert_deliveries.c.id == delivery.id, alert_deliveries.c.status == PENDING,
        alert_deliveries.c.attempts == delivery.attempts,
        alert_deliveries.c.next_attempt_at == utc(delivery.next_attempt_at),
    ).values(next_attempt_at=utc(until)))
    return bool(done.rowcount)


def record_attempt(conn: Connection, delivery_id: int, *, status: str, attempts: int,
                   next_attempt_at: datetime | None, last_error: str | None,
                   sent_at: datetime | None) -> None:
    conn.execute(update(alert_deliveries).where(alert_deliveries.c.id == delivery_id).values(
        status=status, attempts=attempts, next_attempt_at=utc(next_attempt_at),
        last_error=last_error, sent_at=utc(sent_at)))


def _delivery(r: Any) -> DeliveryRow:
    return DeliveryRow(id=r["id"], alert_id=r["alert_id"], agency=r["agency_code"],
                       event=r["event"], body=r["body"], status=r["status"],
                       attempts=r["attempts"],
                       next_attempt_at=utc(r["next_attempt_at"]),
                       last_error=r["last_error"], created_at=utc(r["created_at"]),
                       sent_at=utc(r["sent_at"]))
