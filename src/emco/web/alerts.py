"""The alert pages: the inbox and one alert, with the forms to acknowledge and resolve.
Each calls the same stage function as its JSON twin under /api/v1/alerts."""

from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from babel.dates import format_datetime
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from emco.alerts import service as alerts
from emco.api.alerts import AlertId
from emco.api.schemas import NO_NUL
from emco.api.schemas_alerts import AlertOut, InboxOut
from emco.i18n import N_
from emco.model.enums import AlertOutcome, AlertState
from emco.web.deps import AccessDep
from emco.web.render import render
from emco.web.security import check_csrf

router = APIRouter(include_in_schema=False)
PAGE = 50

# Names of the fields stages put in disclosures and staff views, for people to read; a
# field not listed shows its own name.
FIELD_LABELS = {
    "investigation": N_("Your investigation"), "investigations": N_("Investigations"),
    "matched": N_("What matched, as your service knows it"),
    "other_service": N_("Other service"), "other_investigation": N_("Its investigation"),
    "other": N_("Other service"), "contact_point": N_("Contact point"),
    "lead_contact": N_("Lead investigator"), "contact": N_("Contact"),
    "reference": N_("Reference"), "case_ref": N_("Case reference"), "agency": N_("Service"),
    "name": N_("Name"), "phone": N_("Phone"), "email": N_("E-mail"), "title": N_("Title"),
    "kind": N_("Kind"), "value": N_("Value"), "shared": N_("Shared"),
    "targets": N_("Targets"), "target": N_("Target"), "operation": N_("Your operation"),
    "operations": N_("Operations"), "conflict": N_("Conflict"), "window": N_("Time window"),
    "start": N_("Start"), "end": N_("End"), "area": N_("Area"), "overdue": N_("Late services"),
    "designation": N_("Designation"), "service": N_("Service"), "status": N_("Status"),
    # an under-assessment (emco.risk): the assessment, the service's declaration, why
    "entity": N_("Person"), "assessment": N_("Consolidated assessment"),
    "level": N_("Level"), "escort_called_for": N_("Escort level called for"),
    "criteria": N_("Special-detainee criteria met"),
    "catalogue_version": N_("Signal catalogue version"),
    "declared": N_("Declared by the service"), "escort": N_("Escort level"),
    "dps": N_("Special detainee (DPS)"), "watch": N_("Watch list"),
    "declaration": N_("Declaration"), "reasons": N_("Below on"),
    "signals": N_("Signals"), "label": N_("Signal"), "type": N_("Type"),
    "date": N_("Date"), "grade": N_("Grade"), "record": N_("Record"),
    "source_record": N_("Record it is about"), "detail": N_("Detail"),
}


def _when(value: datetime | None, locale: str) -> str:
    """A time in UTC as people of the language write it; a dash when there is none."""
    if value is None:
        return "—"
    return format_datetime(value, format="medium", tzinfo=UTC, locale=locale)


@router.get("/alerts")
def inbox_page(request: Request, access: AccessDep,
               state: Annotated[AlertState | None, Query()] = None,
               offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> Response:
    found = InboxOut.of(alerts.inbox(access, state=state, limit=PAGE, offset=offset))
    query = {k: v for k, v in (("state", state.value if state else None),
                               ("limit", PAGE), ("offset", offset)) if v is not None}
    return render(request, "alerts.html", {
        "inbox": found, "states": [s.value for s in AlertState], "when": _when,
        "staff": access.scope.agencies is None},
        json_twin="/api/v1/alerts?" + urlencode(query))


@router.get("/alerts/{alert_id}")
def alert_page(request: Request, access: AccessDep, alert_id: AlertId) -> Response:
    alert = AlertOut.of(alerts.alert_detail(access, alert_id))
    return render(request, "alert.html", {
        "alert": alert, "outcomes": [o.value for o in AlertOutcome], "when": _when,
        "labels": FIELD_LABELS, "staff": access.scope.agencies is None},
        json_twin=f"/api/v1/alerts/{alert_id}")


@router.post("/alerts/{alert_id}/acknowledgement")
def acknowledge_form(request: Request, access: AccessDep, alert_id: AlertId,
                     note: Annotated[str, Form(max_length=1000, pattern=NO_NUL)] = "",
                     csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    check_csrf(request, csrf_token)
    alerts.acknowledge(access, alert_id, note or None)
    return RedirectResponse(f"/alerts/{alert_id}", status_code=303)


@router.post("/alerts/{alert_id}/resolution")
def resolve_form(request: Request, access: AccessDep, alert_id: AlertId,
                 outcome: Annotated[AlertOutcome, Form()],
                 note: Annotated[str, Form(max_length=1000, pattern=NO_NUL)] = "",
                 lead_agency: Annotated[str, Form(max_length=16, pattern=NO_NUL)] = "",
                 csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    check_csrf(request, csrf_token)
    # The form always sends the lead field; it counts only with a lead to designate.
    lead = lead_agency or None if outcome == AlertOutcome.LEAD_DESIGNATED else None
    alerts.resolve_alert(access, alert_id, outcome, note, lead_agency=lead)
    return RedirectResponse(f"/alerts/{alert_id}", status_code=303)
