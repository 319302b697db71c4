"""Bodies of the alerts API. The alert pages render these same objects (the inbox page's
JSON twin returns exactly what it shows)."""

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from emco.alerts.service import AlertView, Inbox, Webhook
from emco.api.schemas import NO_NUL
from emco.model.enums import AlertOutcome


class RecipientOut(BaseModel):
    """One recipient as the staff's operators see it."""

    agency: str
    state: str = Field(description="new, acknowledged or resolved, for this recipient.")
    deadline: datetime = Field(description="To acknowledge by (UTC).")
    overdue: bool = Field(description="Past its deadline without acknowledging.")
    acknowledged_at: datetime | None
    escalated_at: datetime | None = Field(description="When the staff was told it was late.")
    disclosure: dict[str, Any] = Field(description="What this recipient may learn.")


class HistoryOut(BaseModel):
    at: datetime
    action: str = Field(description="raised, updated, acknowledged, escalated, resolved, "
                                    "reopened.")
    agency: str | None = Field(description="The recipient concerned, or the service that "
                                           "resolved.")
    author: str | None = Field(description="Shown for the caller's own service's actions, "
                                           "and to the staff.")
    outcome: str | None
    lead_agency: str | None
    note: str | None
    detail: dict[str, Any] | None = Field(description="What changed (the staff only).")


class ResolutionOut(BaseModel):
    outcome: str = Field(description="lead_designated, joint_operation, postponed, "
                                     "no_conflict.")
    lead_agency: str | None
    at: datetime
    agency: str | None = Field(description="The service that resolved the alert.")
    note: str | None


class DeliveryOut(BaseModel):
    """A webhook delivery to the caller's own service (every service's, for the staff)."""

    id: int
    agency: str
    event: str
    status: str = Field(description="pending, sent or failed (given up).")
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    sent_at: datetime | None


class AlertOut(BaseModel):
    """An alert as the caller may see it: a service sees its own disclosure only; the
    staff's operators also get `staff_view` and every recipient."""

    id: int
    kind: str = Field(description="target_overlap, operation_conflict, under_assessment.")
    severity: str = Field(description="low, medium, high, critical.")
    title: str
    state: str = Field(description="new, acknowledged or resolved: the caller's service's "
                                   "own; for the staff, overall (new until every "
                                   "recipient has acknowledged).")
    created_at: datetime
    updated_at: datetime
    recipient: str | None = Field(description="The caller's service, when a recipient.")
    deadline: datetime | None = Field(description="By when the caller's service must "
                                                  "acknowledge (UTC).")
    overdue: bool
    acknowledged_at: datetime | None
    escalated_at: datetime | None
    disclosure: dict[str, Any] | None = Field(description="What the caller's service may "
                                                          "learn of the alert.")
    resolution: ResolutionOut | None
    staff_view: dict[str, Any] | None = Field(description="The whole picture; the staff "
                                                          "only.")
    recipients: list[RecipientOut] = Field(description="Every recipient; the staff only.")
    history: list[HistoryOut] = Field(description="Events the caller may see, oldest "
                                                  "first; empty in lists.")
    deliveries: list[DeliveryOut] = Field(description="Webhook deliveries; empty in lists.")

    @classmethod
    def of(cls, v: AlertView) -> "AlertOut":
        return cls(
            id=v.id, kind=v.kind, severity=v.severity, title=v.title, state=v.state.value,
            created_at=v.created_at, updated_at=v.updated_at, recipient=v.recipient,
            deadline=v.deadline, overdue=v.overdue, acknowledged_at=v.acknowledged_at,
            escalated_at=v.escalated_at, disclosure=v.disclosure,
            resolution=ResolutionOut(**v.resolution.__dict__) if v.resolution else None,
            staff_view=v.staff_view,
            recipients=[RecipientOut(**{**r.__dict__, "state": r.state.value})
                        for r in v.recipients],
            history=[HistoryOut(**h.__dict__) for h in v.history],
            deliveries=[DeliveryOut(**d.__dict__) for d in v.deliveries])


class InboxOut(BaseModel):
    total: int = Field(description="Alerts matching, all pages.")
    limit: int
    offset: int
    state: str | None = Field(description="The state filtered on, if any.")
    next_offset: int | None = Field(description="Offset of the next page; null at the end.")
    alerts: list[AlertOut] = Field(description="Open before resolved, most severe first, "
                                               "newest first.")

    @classmethod
    def of(cls, i: Inbox) -> "InboxOut":
        return cls(total=i.total, limit=i.limit, offset=i.offset,
                   state=i.state.value if i.state else None, next_offset=i.next_offset,
                   alerts=[AlertOut.of(a) for a in i.alerts])


class AcknowledgementIn(BaseModel):
    note: str | None = Field(default=None, max_length=1000, pattern=NO_NUL,
                             description="Seen by the caller's service and the staff.")


class ResolutionIn(BaseModel):
    outcome: AlertOutcome = Field(description="lead_designated, joint_operation, postponed, "
                                              "no_conflict.")
    note: str = Field(max_length=1000, pattern=NO_NUL,
                      description="Why; shown to every recipient.")
    lead_agency: str | None = Field(default=None, max_length=16, pattern=NO_NUL,
                                    description="The service that leads: required with "
                                                "lead_designated, one of the recipients.")


class WebhookIn(BaseModel):
    url: str = Field(max_length=2000, description="http:// or https:// address that "
                                                  "receives the service's alerts.")
    secret: str | None = Field(default=None, max_length=200, pattern=NO_NUL,
                               description="Shared secret of the signatures, 16 to 200 "
                                           "characters; EMCO generates one when absent "
                                           "(and returns it, once).")


class WebhookOut(BaseModel):
    agency: str
    url: str
    updated_by: str
    updated_at: datetime
    secret: str | None = Field(description="The generated secret; null when the caller "
                                           "gave one.")

    @classmethod
    def of(cls, w: Webhook) -> "WebhookOut":
        return cls(**w.__dict__)
