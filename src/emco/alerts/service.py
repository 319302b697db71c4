"""The public surface of alerts, what other stages, the CLI, the API and the pages import.

- `raise_alert`: from inside a stage's write transaction; one alert per (kind, key).
- `inbox`, `alert_detail`, `acknowledge`, `resolve_alert`: through the access gate.
- `escalate_overdue`, `deliver_pending`: the worker's two jobs, callable with a fixed `now`.
- `set_webhook`, `remove_webhook`: a service's endpoint.

How the lifecycle, deadlines, escalation and signatures work: docs/alerts.md.
"""

from emco.alerts.delivery import (
    BACKOFF,
    MAX_ATTEMPTS,
    DeliveryReport,
    deliver_pending,
    signature,
)
from emco.alerts.escalation import Escalation, escalate_overdue
from emco.alerts.lifecycle import (
    INBOX_PAGE,
    Inbox,
    acknowledge,
    alert_detail,
    inbox,
    resolve_alert,
)
from emco.alerts.raising import RaiseResult, Recipient, raise_alert
from emco.alerts.views import (
    AlertView,
    DeliveryStatus,
    HistoryEntry,
    RecipientStatus,
    Resolution,
)
from emco.alerts.webhooks import Webhook, remove_webhook, set_webhook
from emco.alerts.worker import AlertWorker

__all__ = [
    "BACKOFF",
    "INBOX_PAGE",
    "MAX_ATTEMPTS",
    "AlertView",
    "AlertWorker",
    "DeliveryReport",
    "DeliveryStatus",
    "Escalation",
    "HistoryEntry",
    "Inbox",
    "RaiseResult",
    "Recipient",
    "RecipientStatus",
    "Resolution",
    "Webhook",
    "acknowledge",
    "alert_detail",
    "deliver_pending",
    "escalate_overdue",
    "inbox",
    "raise_alert",
    "remove_webhook",
    "resolve_alert",
    "set_webhook",
    "signature",
]
