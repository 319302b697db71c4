"""Webhook deliveries: queued in the transaction that changes an alert (an outbox), sent
later by `deliver_pending`, signed, retried with backoff, every attempt audited.

Nothing here runs inside a caller's request: `queue` only writes rows, and the sending
happens in the worker (or `emco alert deliver`), outside any transaction, so a service
whose endpoint is down never holds up the one that raised the alert.

Signature: `X-EMCO-Signature: sha256=<hex>`, the HMAC-SHA256, keyed with the endpoint's
secret, of the `X-EMCO-Timestamp` value (Unix seconds), a full stop, and the raw body.
"""

import hashlib
import hmac
import json
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import Connection

from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.alerts.state import system_principal
from emco.model.enums import AlertAction, AuditAction, Outcome, Permission
from emco.settings import get_settings
from emco.store import agencies
from emco.store import alerts as repo
from emco.store.alerts import AlertRow, DeliveryRow, RecipientRow, WebhookRow
from emco.store.db import Database

log = logging.getLogger("emco.alerts")

# Waits after the 1st, 2nd... failed attempt; after the last, the delivery is given up.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
           timedelta(hours=2), timedelta(hours=12))
MAX_ATTEMPTS = len(BACKOFF) + 1
# A claimed delivery is due again after this if its worker dies before recording the
# attempt: well beyond the longest timeout, so two workers never send it at once.
LEASE = timedelta(minutes=2)
BATCH = 100  # deliveries looked at per pass
SIGNATURE_HEADER = "X-EMCO-Signature"
TIMESTAMP_HEADER = "X-EMCO-Timestamp"
DELIVERY_HEADER = "X-EMCO-Delivery"
EVENT_HEADER = "X-EMCO-Event"


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The value of the signature header: what a service's endpoint recomputes to check
    that a delivery comes from EMCO and was not replayed from long ago."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def body(alert: AlertRow, recipient: RecipientRow, event: AlertAction, now: datetime, *,
         staff: bool, extra: dict[str, Any] | None = None) -> str:
    """What one recipient is sent: its own disclosure only; the staff's view as well when
    the recipient is the staff itself."""
    content: dict[str, Any] = {
        "id": alert.id, "kind": alert.kind, "severity": alert.severity, "title": alert.title,
        "recipient": recipient.agency, "deadline": recipient.deadline.isoformat(),
        "disclosure": json.loads(recipient.disclosure),
        "links": {"page": f"/alerts/{alert.id}", "api": f"/api/v1/alerts/{alert.id}"}}
    if staff:
        content["staff_view"] = json.loads(alert.staff_view)
    payload = {"event": event.value, "at": now.astimezone(UTC).isoformat(), "alert": content,
               **(extra or {})}
    return json.dumps(payload, ensure_ascii=False, sort_keys=True)


def queue(conn: Connection, alert: AlertRow, recipients: Sequence[RecipientRow], event: AlertAction,
          now: datetime, staff: frozenset[str], extra: dict[str, Any] | None = None) -> int:
    """Queue `event` for each of `recipients` that has an endpoint, in the caller's
    transaction. Returns how many were queued."""
    with_hook = repo.agencies_with_webhook(conn, [r.agency for r in recipients])
    queued = 0
    for r in recipients:
        if r.agency in with_hook:
            text = body(alert, r, event, now, staff=r.agency in staff, extra=extra)
            repo.queue_delivery(conn, alert.id, r.agency, event, text, now)
            queued += 1
    return queued


@dataclass
class DeliveryReport:
    """What one pass did: deliveries sent, to be retried, and given up (by id)."""

    sent: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, list[int]]:
        return {"sent": self.sent, "retrying": self.retrying, "failed": self.failed}


def webhook_client(timeout: float) -> httpx.Client:
    """The HTTP client of deliveries: `timeout` seconds to connect and to answer, no
    redirect followed, no proxy from the environment (endpoints are the services' own)."""
    return httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False,
                        headers={"User-Agent": "EMCO-webhook/1"})


def deliver_pending(db: Database, now: datetime | None = None,
                    client: httpx.Client | None = None, *, limit: int = BATCH,
                    stop: threading.Event | None = None) -> DeliveryReport:
    """Send the deliveries due at `now` (default: the current time), one POST each; record
    and audit every attempt. `client` is the HTTP client to use (a fresh one with the
    configured timeout otherwise); `stop`, when set, ends the pass between deliveries."""
    now = now or datetime.now(UTC)
    report = DeliveryReport()
    with db.read() as conn:
        access = Access(db, system_principal(sorted(agencies.staff_codes(conn))))
        pending = repo.due(conn, now, limit)
    if not pending:
        return report
    http = client or webhook_client(get_settings().webhook_timeout_seconds)
    try:
        for delivery in pending:
            if stop is not None and stop.is_set():
                break
            with db.write() as conn:
                if not repo.claim(conn, delivery, now + LEASE):
                    continue  # another worker has it
                hook = repo.webhook(conn, delivery.agency)
            error = _send(http, hook, delivery, now)
            _record(access, delivery, hook, error, now, report)
    finally:
        if client is None:
            http.close()
    return report


def _send(http: httpx.Client, hook: WebhookRow | None, delivery: DeliveryRow,
          now: datetime) -> str | None:
    """POST one delivery; the reason it failed, or None."""
    if hook is None:
        return "the service has no webhook endpoint any more"
    raw = delivery.body.encode()
    timestamp = str(int(now.timestamp()))
    headers = {"Content-Type": "application/json", TIMESTAMP_HEADER: timestamp,
               SIGNATURE_HEADER: signature(hook.secret, timestamp, raw),
               DELIVERY_HEADER: str(delivery.id), EVENT_HEADER: delivery.event}
    try:
        response = http.post(hook.url, content=raw, headers=headers)
    except httpx.HTTPError as exc:  # refused, timed out, TLS, malformed answer...
        return f"{type(exc).__name__}: {exc}"[:500]
    if 200 <= response.status_code < 300:
        return None
    return f"HTTP {response.status_code} from the endpoint"


def _record(access: Access, delivery: DeliveryRow, hook: WebhookRow | None,
            error: str | None, now: datetime, report: DeliveryReport) -> None:
    attempts = delivery.attempts + 1
    event = AuditEvent(AuditAction.ALERT_DELIVER,
                       objects=[f"alert:{delivery.alert_id}", f"delivery:{delivery.id}",
                                f"agency:{delivery.agency}"])
    if error is None:
        status, retry_at = repo.SENT, None
        event.detail = f"{delivery.event} sent to {hook.url if hook else '?'} " \
                       f"(attempt {attempts})"
        report.sent.append(delivery.id)
    elif hook is not None and attempts < MAX_ATTEMPTS:
        status, retry_at = repo.PENDING, now + BACKOFF[attempts - 1]
        event.outcome = Outcome.FAILED
        event.detail = f"attempt {attempts} failed: {error}; next at {retry_at.isoformat()}"
        report.retrying.append(delivery.id)
    else:
        status, retry_at = repo.FAILED, None
        event.outcome = Outcome.FAILED
        event.detail = f"attempt {attempts} failed: {error}; given up"
        report.failed.append(delivery.id)
    with access.writing(Permission.ALERT_READ, event) as p:
        repo.record_attempt(p.conn, delivery.id, status=status, attempts=attempts,
                            next_attempt_at=retry_at, last_error=error,
                            sent_at=now if error is None else None)
    if error is not None:
        log.warning("webhook delivery %s to %s: %s", delivery.id, delivery.agency, error)
