"""The handling pages: the requests a liaison of the owning service decides and those the
user made, with the forms to ask, approve, refuse and withdraw; the judicial export of an
entity. Each calls the same stage function as its JSON twin under /api/v1."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from emco.access import handling, judicial
from emco.api.handling import EntityId, RequestId
from emco.api.schemas import MAX_ID, NO_NUL
from emco.errors import EmcoError
from emco.web.deps import AccessDep
from emco.web.render import render
from emco.web.security import check_csrf

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Form(max_length=100)]
Motif = Annotated[str, Form(max_length=500, pattern=NO_NUL)]
CaseRef = Annotated[str, Form(max_length=100, pattern=NO_NUL)]


def _page(request: Request, access: Any, status_code: int = 200,
          error: EmcoError | None = None, form: dict[str, Any] | None = None) -> Response:
    found = handling.listing(access)
    return render(request, "handling.html", {
        "requests": found.to_dict(), "error": error, "form": form or {}},
        status_code=status_code, json_twin="/api/v1/handling-requests")


@router.get("/handling")
def handling_page(request: Request, access: AccessDep) -> Response:
    return _page(request, access)


@router.post("/handling")
def request_submit(request: Request, access: AccessDep,
                   record: Annotated[int, Form(ge=1, le=MAX_ID)],
                   kind: Annotated[str, Form(max_length=16, pattern=NO_NUL)],
                   motif: Motif = "", case_ref: CaseRef = "",
                   for_agency: Annotated[str, Form(max_length=16, pattern=NO_NUL)] = "",
                   csrf_token: Token = "") -> Response:
    check_csrf(request, csrf_token)
    form = {"record": record, "kind": kind, "motif": motif, "case_ref": case_ref,
            "for_agency": for_agency}
    try:
        handling.request(access, record, kind=kind, motif=motif, case_ref=case_ref,
                         for_agency=for_agency)
    except EmcoError as exc:  # shown beside the form, what was typed kept
        return _page(request, access, exc.status_code, exc, form)
    return RedirectResponse("/handling", status_code=303)


@router.post("/handling/{request_id}/decision")
def decide_submit(request: Request, access: AccessDep, request_id: RequestId,
                  decision: Annotated[str, Form(pattern=r"^(approve|refuse)$")],
                  note: Annotated[str, Form(max_length=1000, pattern=NO_NUL)] = "",
                  csrf_token: Token = "") -> Response:
    check_csrf(request, csrf_token)
    try:
        handling.decide(access, request_id, approve=decision == "approve", note=note)
    except EmcoError as exc:
        return _page(request, access, exc.status_code, exc, {"note": note})
    return RedirectResponse("/handling", status_code=303)


@router.post("/handling/{request_id}/withdrawal")
def withdraw_submit(request: Request, access: AccessDep, request_id: RequestId,
                    csrf_token: Token = "") -> Response:
    check_csrf(request, csrf_token)
    try:
        handling.withdraw(access, request_id)
    except EmcoError as exc:
        return _page(request, access, exc.status_code, exc)
    return RedirectResponse("/handling", status_code=303)


@router.post("/entities/{entity_id}/judicial-export")
def judicial_export_submit(request: Request, access: AccessDep, entity_id: EntityId,
                           motif: Motif = "", case_ref: CaseRef = "",
                           network: Annotated[bool, Form()] = False,
                           csrf_token: Token = "") -> Response:
    """The export shown: what was withheld (with a form to ask each owner's consent) and
    the FtM lines to save."""
    check_csrf(request, csrf_token)
    found = judicial.export(access, entity_id, case_ref=case_ref, motif=motif,
                            network=network)
    return render(request, "handling_export.html", {"export": found.to_dict(),
                                                    "jsonl": found.jsonl()})
