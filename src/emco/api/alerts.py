"""The alerts API: the inbox, one alert, acknowledging, resolving, and a service's webhook
endpoint. Routes parse, call one stage function, and return its result."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from emco.alerts import service as alerts
from emco.api.routes import CONFLICT, ERRORS
from emco.api.schemas import MAX_ID
from emco.api.schemas_alerts import (
    AcknowledgementIn,
    AlertOut,
    InboxOut,
    ResolutionIn,
    WebhookIn,
    WebhookOut,
)
from emco.model.enums import AlertState
from emco.web.deps import AccessDep

router = APIRouter(prefix="/api/v1", responses=ERRORS)

AlertId = Annotated[int, Path(ge=1, le=MAX_ID, description="The alert's id in EMCO.")]
AgencyCode = Annotated[str, Path(min_length=2, max_length=16, pattern=r"^[A-Za-z0-9_]+$",
                                 description="The service's code.")]


@router.get("/alerts", tags=["alerts"])
def list_alerts(access: AccessDep,
                state: Annotated[AlertState | None, Query(
                    description="new, acknowledged or resolved: the caller's service's own "
                                "state (overall for the staff).")] = None,
                limit: Annotated[int, Query(ge=1, le=200)] = alerts.INBOX_PAGE,
                offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> InboxOut:
    """The alerts the caller's service receives, each with that service's disclosure
    only; every alert, with the whole picture, for the staff's operators."""
    return InboxOut.of(alerts.inbox(access, state=state, limit=limit, offset=offset))


@router.get("/alerts/{alert_id}", tags=["alerts"])
def get_alert(access: AccessDep, alert_id: AlertId) -> AlertOut:
    """One alert with the history the caller may see. 404 for an alert the caller's
    service does not receive, as for one that does not exist."""
    return AlertOut.of(alerts.alert_detail(access, alert_id))


@router.post("/alerts/{alert_id}/acknowledgements", tags=["alerts"], responses=CONFLICT)
def acknowledge_alert(access: AccessDep, alert_id: AlertId,
                      body: AcknowledgementIn | None = None) -> AlertOut:
    """Acknowledge the alert for the caller's service. Idempotent: acknowledging again
    changes nothing and answers 200. 409 once the alert is resolved, or when the
    caller's service is not a recipient (the staff)."""
    note = body.note if body else None
    return AlertOut.of(alerts.acknowledge(access, alert_id, note))


@router.post("/alerts/{alert_id}/resolution", tags=["alerts"], responses=CONFLICT)
def resolve_alert(access: AccessDep, alert_id: AlertId, body: ResolutionIn) -> AlertOut:
    """Resolve the alert with its outcome; `lead_agency` with `lead_designated` only.
    409 when it is already resolved."""
    return AlertOut.of(alerts.resolve_alert(access, alert_id, body.outcome, body.note,
                                            lead_agency=body.lead_agency))


@router.put("/agencies/{code}/webhook", tags=["alerts"])
def put_webhook(access: AccessDep, code: AgencyCode, body: WebhookIn) -> WebhookOut:
    """Set the endpoint that receives the service's alerts (its liaison officer, or the
    staff's operators). Deliveries are POSTed as JSON and signed: see docs/alerts.md."""
    return WebhookOut.of(alerts.set_webhook(access, code, body.url, body.secret))


@router.delete("/agencies/{code}/webhook", tags=["alerts"], status_code=204)
def delete_webhook(access: AccessDep, code: AgencyCode) -> None:
    """Stop sending the service's alerts by webhook."""
    alerts.remove_webhook(access, code)
