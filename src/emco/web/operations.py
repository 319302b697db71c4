"""Pages of operations: the list with the registration form, one operation with its
targets and conflicts, and the map. Each calls the same stage function as its JSON twin;
a refused form is shown again with the reason, nothing written.

Times are typed and shown in French time (Europe/Paris): a form's date and time carries
no offset, and the staff works on French time. The API takes explicit offsets.
"""

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from emco.api.operations import OperationDetail, OperationId, OperationOut, get_margins
from emco.api.schemas import NO_NUL
from emco.deconflict import operations as stage
from emco.deconflict.operation_input import OperationIn
from emco.errors import BadInput, EmcoError
from emco.i18n import N_
from emco.model.enums import OperationKind, OperationStatus, Protection, TargetKind
from emco.web.deps import AccessDep, SettingsDep, registrable_services
from emco.web.render import render
from emco.web.security import check_csrf

router = APIRouter(include_in_schema=False)
LOCAL = ZoneInfo("Europe/Paris")
Text = Annotated[str, Form(max_length=500, pattern=NO_NUL)]
Token = Annotated[str, Form(max_length=100)]
# Words stored as data and shown translated (kinds and statuses of operations, kinds of
# conflict).
LABELS = (N_("raid"), N_("surveillance"), N_("controlled_delivery"), N_("arrest"),
          N_("transfer"), N_("extraction"), N_("planned"), N_("cancelled"), N_("done"),
          N_("place_time"), N_("surveillance"), N_("transfer"))
TARGET_KINDS = [k.value for k in TargetKind]


def local(value: datetime | str) -> str:
    """A time (or its ISO text, as disclosures hold it) as the pages show it: French
    time, to the minute."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.astimezone(LOCAL).strftime("%d/%m/%Y %H:%M")


def _form_time(text: str, field: str) -> datetime:
    """A form's date and time (no offset), read in French time."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadInput(N_("%(field)s is not a date and time such as "
                          "2026-02-03T06:00+01:00", field=field), field=field) from None
    return value if value.tzinfo else value.replace(tzinfo=LOCAL)


def _target(kind: str, value: str, birth_date: str, phone: str) -> list[tuple[str, Any]]:
    """The form's one target, if given (a person in three fields)."""
    if not kind or not (value.strip() or birth_date.strip()):
        return []
    if kind == TargetKind.PERSON.value:
        return [(kind, {"name": value, "birth_date": birth_date, "phone": phone})]
    return [(kind, value)]


def _list_page(request: Request, access: Any, status_code: int = 200,
               error: EmcoError | None = None, form: dict[str, str] | None = None
               ) -> Response:
    found = [OperationOut.of(s) for s in stage.listing(access)]
    return render(request, "operations.html", {
        "operations": found, "services": registrable_services(access), "error": error,
        "form": form or {}, "kinds": [k.value for k in OperationKind],
        "target_kinds": TARGET_KINDS, "protections": [p.value for p in Protection],
        "local": local}, status_code=status_code, json_twin="/api/v1/operations")


@router.get("/operations")
def operations_page(request: Request, access: AccessDep) -> Response:
    return _list_page(request, access)


@router.post("/operations")
def register_submit(request: Request, access: AccessDep, settings: SettingsDep,
                    agency: Annotated[str, Form(max_length=16, pattern=NO_NUL)],
                    reference: Text, kind: Text, latitude: Text, longitude: Text,
                    radius_m: Text, start: Text, end: Text, address: Text = "",
                    investigation: Text = "", protection: Text = "NP",
                    contact_name: Text = "", contact_phone: Text = "",
                    target_kind: Text = "", target_value: Text = "",
                    birth_date: Text = "", phone: Text = "",
                    csrf_token: Token = "") -> Response:
    check_csrf(request, csrf_token)
    form = {"agency": agency, "reference": reference, "kind": kind, "latitude": latitude,
            "longitude": longitude, "radius_m": radius_m, "start": start, "end": end,
            "address": address, "investigation": investigation, "protection": protection,
            "contact_name": contact_name, "contact_phone": contact_phone,
            "target_kind": target_kind, "target_value": target_value,
            "birth_date": birth_date, "phone": phone}
    try:
        view = stage.register(access, OperationIn(
            agency=agency, reference=reference, kind=kind, latitude=latitude,
            longitude=longitude, radius_m=radius_m,
            start=_form_time(start, "start"), end=_form_time(end, "end"),
            address=address or None, investigation=investigation or None,
            protection=protection, contact_name=contact_name or None,
            contact_phone=contact_phone or None,
            targets=_target(target_kind, target_value, birth_date, phone)),
            get_margins(settings), settings.default_region)
    except EmcoError as exc:
        return _list_page(request, access, exc.status_code, exc, form)
    return RedirectResponse(f"/operations/{view.operation.id}", status_code=303)


@router.get("/operations/map")
def map_page(request: Request, access: AccessDep) -> Response:
    """The map: its data comes from the GeoJSON twin, fetched by the page's script."""
    return render(request, "operations_map.html", {"kinds": [k.value for k in OperationKind]},
                  json_twin="/api/v1/operations/map")


def _detail_page(request: Request, access: Any, operation_id: int, status_code: int = 200,
                 error: EmcoError | None = None, form: dict[str, str] | None = None
                 ) -> Response:
    view = stage.read(access, operation_id)
    writable = access.scope.agencies is None or \
        view.operation.agency == access.principal.agency
    return render(request, "operation.html", {
        "op": OperationDetail.of_view(view), "error": error, "form": form or {},
        "writable": writable, "target_kinds": TARGET_KINDS, "local": local,
        "statuses": [s.value for s in OperationStatus]},
        status_code=status_code, json_twin=f"/api/v1/operations/{operation_id}")


@router.get("/operations/{operation_id}")
def operation_page(request: Request, access: AccessDep, operation_id: OperationId
                   ) -> Response:
    return _detail_page(request, access, operation_id)


@router.post("/operations/{operation_id}/targets")
def target_submit(request: Request, access: AccessDep, settings: SettingsDep,
                  operation_id: OperationId, kind: Annotated[str, Form(max_length=16)],
                  value: Text = "", birth_date: Text = "", phone: Text = "",
                  csrf_token: Token = "") -> Response:
    check_csrf(request, csrf_token)
    form = {"kind": kind, "value": value, "birth_date": birth_date, "phone": phone}
    try:
        stage.add_targets(access, operation_id, _target(kind, value, birth_date, phone),
                          get_margins(settings), settings.default_region)
    except EmcoError as exc:
        return _detail_page(request, access, operation_id, exc.status_code, exc, form)
    return RedirectResponse(f"/operations/{operation_id}#targets", status_code=303)


@router.post("/operations/{operation_id}/status")
def status_submit(request: Request, access: AccessDep, settings: SettingsDep,
                  operation_id: OperationId, status: Annotated[str, Form(max_length=16)],
                  csrf_token: Token = "") -> Response:
    check_csrf(request, csrf_token)
    stage.change(access, operation_id, get_margins(settings), status=status)
    return RedirectResponse(f"/operations/{operation_id}", status_code=303)
