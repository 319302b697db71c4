"""The audit log page: a filter form (GET), the rows newest first, a link to older rows
and the export of the same selection. It calls the same stage functions as its JSON twin
(`emco.api.audit`); a bad filter shows the form again with the field named."""

from typing import Annotated, Any
from urllib.parse import urlencode

from babel.dates import format_datetime
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from emco.access import auditing
from emco.api.audit import AuditPageOut
from emco.errors import BadInput
from emco.i18n import N_
from emco.model.enums import Outcome
from emco.web.deps import AccessDep, locale_of
from emco.web.render import render

router = APIRouter(include_in_schema=False)
Text = Annotated[str, Query(max_length=200)]
FIELDS = ("user", "agency", "action", "object", "outcome", "from", "to")
OUTCOMES = {Outcome.OK.value: N_("ok"), Outcome.DENIED.value: N_("denied"),
            Outcome.FAILED.value: N_("failed")}


@router.get("/audit")
def audit_page(request: Request, access: AccessDep, user: Text = "", agency: Text = "",
               action: Text = "", object: Text = "", outcome: Text = "",
               since: Annotated[str, Query(alias="from", max_length=40)] = "",
               until: Annotated[str, Query(alias="to", max_length=40)] = "",
               limit: Text = "", cursor: Text = "") -> Response:
    form = {"user": user, "agency": agency, "action": action, "object": object,
            "outcome": outcome, "from": since, "to": until}
    query = [(k, v) for k, v in form.items() if v]
    context: dict[str, Any] = {"form": form, "outcomes": OUTCOMES, "page": None,
                               "error": None, "query": urlencode(query)}
    try:
        chosen = auditing.parse_filter(user=user, agency=agency, action=action, obj=object,
                                       outcome=outcome, since=since, until=until)
        page = auditing.search(access, chosen, _number(limit, "limit"),
                               _number(cursor, "cursor"))
    except BadInput as exc:  # shown on the form, with what was typed
        context["error"] = exc
        return render(request, "audit.html", context, status_code=exc.status_code)
    context["page"] = AuditPageOut.of(page)
    if page.next_cursor is not None:
        context["older"] = urlencode([*query, ("limit", str(page.limit)),
                                      ("cursor", str(page.next_cursor))])
    language = locale_of(request)
    context["when"] = lambda at: format_datetime(at, format="medium", tzinfo=at.tzinfo,
                                                 locale=language)
    twin = urlencode([*query, *([("limit", limit)] if limit else []),
                      *([("cursor", cursor)] if cursor else [])])
    return render(request, "audit.html", context,
                  json_twin="/api/v1/audit" + (f"?{twin}" if twin else ""))


def _number(value: str, field: str) -> int | None:
    if not value.strip():
        return None
    try:
        return int(value)
    except ValueError:
        raise BadInput(N_("%(field)s must be a whole number", field=field),
                       field=field) from None
