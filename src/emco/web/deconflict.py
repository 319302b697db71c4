"""Pages of deconfliction: the register of investigations, one investigation with its
targets and overlap alerts, and the hit/no-hit query. Each calls the same stage function
as its JSON twin; a refused form is shown again with the reason, nothing written."""

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from emco.api.deconflict import InvestigationId, TargetId
from emco.api.schemas import NO_NUL
from emco.api.schemas_deconflict import (
    HitOut,
    InvestigationDetail,
    InvestigationOut,
)
from emco.deconflict import investigations
from emco.deconflict.hits import PAGE, QUERY_KINDS, HitResult, hit
from emco.deconflict.investigations import new_investigation
from emco.deconflict.targets import parse_target
from emco.errors import EmcoError
from emco.i18n import N_
from emco.model.enums import InvestigationStatus, Protection, TargetKind
from emco.web.deps import (
    AccessDep,
    LimitsDep,
    PrincipalDep,
    SettingsDep,
    ThresholdsDep,
    registrable_services,
)
from emco.web.render import render
from emco.web.security import check_csrf

router = APIRouter(include_in_schema=False)
# The kinds of target offered, most usual first.
KINDS_SHOWN = (TargetKind.PHONE, TargetKind.PERSON, TargetKind.PLATE, TargetKind.IBAN,
               TargetKind.DOCUMENT, TargetKind.EMAIL, TargetKind.RECORD, TargetKind.ENTITY)
Text = Annotated[str, Form(max_length=500, pattern=NO_NUL)]
Token = Annotated[str, Form(max_length=100)]
FORM_ERRORS = (EmcoError,)  # refusals a user corrects in the form; never a crash
# Words stored as data and shown translated (kinds of target, states, severities).
LABELS = (N_("record"), N_("entity"), N_("phone"), N_("plate"), N_("iban"), N_("document"),
          N_("email"), N_("person"), N_("open"), N_("suspended"), N_("closed"), N_("new"),
          N_("acknowledged"), N_("resolved"), N_("low"), N_("medium"), N_("high"),
          N_("critical"))


def _person_or_value(kind: str, value: str, birth_date: str, phone: str) -> Any:
    """A person is typed in three fields; every other kind in one."""
    if kind == TargetKind.PERSON.value:
        return {"name": value, "birth_date": birth_date, "phone": phone}
    return value


def _list_page(request: Request, access: Any, status_code: int = 200,
               error: EmcoError | None = None, form: dict[str, str] | None = None
               ) -> Response:
    found = [InvestigationOut.of(i) for i in investigations.listing(access)]
    return render(request, "investigations.html", {
        "investigations": found, "services": registrable_services(access), "error": error,
        "form": form or {}, "protections": [p.value for p in Protection]},
        status_code=status_code, json_twin="/api/v1/investigations")


@router.get("/investigations")
def investigations_page(request: Request, access: AccessDep) -> Response:
    return _list_page(request, access)


@router.post("/investigations")
def register_submit(request: Request, access: AccessDep, settings: SettingsDep,
                    agency: Annotated[str, Form(max_length=16, pattern=NO_NUL)],
                    reference: Text, title: Text, contact_name: Text,
                    contact_phone: Text = "", contact_email: Text = "", court: Text = "",
                    prosecutor: Text = "", protection: Text = "NP", opened: Text = "",
                    csrf_token: Token = "") -> Response:
    check_csrf(request, csrf_token)
    form = {"agency": agency, "reference": reference, "title": title,
            "contact_name": contact_name, "contact_phone": contact_phone,
            "contact_email": contact_email, "court": court, "prosecutor": prosecutor,
            "protection": protection, "opened": opened}
    try:
        day = date.fromisoformat(opened) if opened else None
    except ValueError:
        day = None
        form["opened"] = ""
    try:
        new = new_investigation(agency=agency, reference=reference, title=title,
                                contact_name=contact_name, contact_phone=contact_phone,
                                contact_email=contact_email, court=court,
                                prosecutor=prosecutor, protection=protection, opened=day,
                                region=settings.default_region)
        view = investigations.register(access, new)
    except FORM_ERRORS as exc:
        return _list_page(request, access, exc.status_code, exc, form)
    return RedirectResponse(f"/investigations/{view.investigation.id}", status_code=303)


def _detail_page(request: Request, access: Any, investigation_id: int,
                 status_code: int = 200, error: EmcoError | None = None,
                 form: dict[str, str] | None = None) -> Response:
    view = investigations.read(access, investigation_id)
    detail = InvestigationDetail.of_view(view, investigations.overlap_alerts(
        access, investigation_id))
    # Whether to show the forms (the stage decides whether the write is allowed).
    writable = access.scope.agencies is None or \
        view.investigation.agency == access.principal.agency
    return render(request, "investigation.html", {
        "inv": detail, "error": error, "form": form or {}, "writable": writable,
        "kinds": [k.value for k in KINDS_SHOWN], "statuses": [s.value for s in
                                                              InvestigationStatus]},
        status_code=status_code, json_twin=f"/api/v1/investigations/{investigation_id}")


@router.get("/investigations/{investigation_id}")
def investigation_page(request: Request, access: AccessDep,
                       investigation_id: InvestigationId) -> Response:
    return _detail_page(request, access, investigation_id)


@router.post("/investigations/{investigation_id}/targets")
def target_submit(request: Request, access: AccessDep, settings: SettingsDep,
                  thresholds: ThresholdsDep, investigation_id: InvestigationId,
                  kind: Annotated[str, Form(max_length=16)], value: Text = "",
                  birth_date: Text = "", phone: Text = "", csrf_token: Token = "") -> Response:
    check_csrf(request, csrf_token)
    form = {"kind": kind, "value": value, "birth_date": birth_date, "phone": phone}
    try:
        spec = parse_target(kind, _person_or_value(kind, value, birth_date, phone),
                            settings.default_region)
        investigations.add_target(access, investigation_id, spec, thresholds)
    except FORM_ERRORS as exc:
        return _detail_page(request, access, investigation_id, exc.status_code, exc, form)
    return RedirectResponse(f"/investigations/{investigation_id}#targets", status_code=303)


@router.post("/investigations/{investigation_id}/targets/{target_id}/remove")
def target_remove(request: Request, access: AccessDep, investigation_id: InvestigationId,
                  target_id: TargetId, csrf_token: Token = "") -> Response:
    check_csrf(request, csrf_token)
    investigations.remove_target(access, investigation_id, target_id)
    return RedirectResponse(f"/investigations/{investigation_id}#targets", status_code=303)


@router.post("/investigations/{investigation_id}/status")
def status_submit(request: Request, access: AccessDep, investigation_id: InvestigationId,
                  status: Annotated[InvestigationStatus, Form()],
                  csrf_token: Token = "") -> Response:
    check_csrf(request, csrf_token)
    investigations.set_status(access, investigation_id, status)
    return RedirectResponse(f"/investigations/{investigation_id}", status_code=303)


def _hits_page(request: Request, result: HitOut | None = None, status_code: int = 200,
               error: EmcoError | None = None, form: dict[str, str] | None = None,
               padding: int = 0) -> Response:
    return render(request, "hits.html", {
        "result": result, "error": error, "form": form or {}, "padding": " " * padding,
        "kinds": [k.value for k in QUERY_KINDS]}, status_code=status_code)


def _answer_page(request: Request, result: HitResult, form: dict[str, str]) -> Response:
    """The answer, padded (in an HTML comment) to the length of the largest answer that
    query could get, rounded up: the page's size, like the API's, never tells the
    answer. Rendered to measure, then once more with the padding."""
    largest = HitOut.of(HitResult(result.kind, result.key, True, result.everyone,
                                  result.everyone))
    size = len(_hits_page(request, largest, form=form).body)
    target = -(-size // PAGE) * PAGE
    bare = len(_hits_page(request, HitOut.of(result), form=form).body)
    return _hits_page(request, HitOut.of(result), form=form, padding=target - bare)


@router.get("/hits")
def hits_page(request: Request, principal: PrincipalDep) -> Response:
    """The query form (the query itself checks the permission, and audits)."""
    del principal  # logged in, or sent to the login page
    return _hits_page(request)


@router.post("/hits")
def hits_submit(request: Request, access: AccessDep, settings: SettingsDep,
                thresholds: ThresholdsDep, limits: LimitsDep,
                kind: Annotated[str, Form(max_length=16)],
                value: Text = "", birth_date: Text = "", phone: Text = "",
                csrf_token: Token = "") -> Response:
    check_csrf(request, csrf_token)
    form = {"kind": kind, "value": value, "birth_date": birth_date, "phone": phone}
    try:
        limits.hit_query(access.db, access.principal)
        result = hit(access, kind, _person_or_value(kind, value, birth_date, phone),
                     settings.default_region, thresholds)
    except FORM_ERRORS as exc:
        return _hits_page(request, None, exc.status_code, exc, form)
    return _answer_page(request, result, form)
