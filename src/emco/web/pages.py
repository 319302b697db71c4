"""Server-rendered pages. Each calls the same stage function as its JSON twin."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from emco.access import auth, records
from emco.api.routes import RecordId
from emco.api.schemas import NO_NUL, RecordDetail, SearchOut
from emco.errors import Unauthenticated
from emco.web.deps import (
    SESSION_COOKIE,
    AccessDep,
    DatabaseDep,
    PrincipalDep,
    SettingsDep,
)
from emco.web.render import render
from emco.web.security import check_csrf

router = APIRouter(include_in_schema=False)


def _safe_next(target: str | None) -> str:
    """Only local paths, so a login link cannot send the user elsewhere."""
    if (target and target.startswith("/") and not target.startswith("//")
            and "\\" not in target):  # browsers read "/\\host" as another site
        return target
    return "/search"


@router.get("/")
def home() -> Response:
    return RedirectResponse("/search", status_code=303)


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login")
def login_submit(request: Request, db: DatabaseDep, settings: SettingsDep,
                 username: Annotated[str, Form(max_length=100, pattern=NO_NUL)],
                 password: Annotated[str, Form(max_length=1000)],
                 csrf_token: Annotated[str, Form(max_length=100)] = "",
                 next: Annotated[str, Form(max_length=2000)] = "/search") -> Response:
    check_csrf(request, csrf_token)
    try:
        token, _ = auth.login(db, username.strip(), password)
    except Unauthenticated as exc:
        return render(request, "login.html", {"next": _safe_next(next), "error": exc.message,
                                              "username": username}, status_code=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict",
                        secure=settings.secure_cookies)
    return response


@router.post("/logout")
def logout(request: Request, db: DatabaseDep, principal: PrincipalDep,
           csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    check_csrf(request, csrf_token)
    auth.logout(db, request.cookies.get(SESSION_COOKIE, ""), principal)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/search")
def search_page(request: Request, access: AccessDep, settings: SettingsDep,
                q: Annotated[str, Query(max_length=200)] = "",
                motif: Annotated[str, Query(max_length=500, pattern=NO_NUL)] = "",
                case_ref: Annotated[str, Query(max_length=100, pattern=NO_NUL)] = "") -> Response:
    context: dict[str, object] = {"q": q, "motif": motif, "case_ref": case_ref,
                                  "results": None}
    twin = None
    if q.strip():
        found = records.search(access, q, region=settings.default_region,
                               motif=motif or None, case_ref=case_ref or None)
        context["results"] = SearchOut.of(found)
        twin = "/api/v1/records?" + urlencode({"q": q})
    return render(request, "search.html", context, json_twin=twin)


@router.get("/records/{record_id}")
def record_page(request: Request, access: AccessDep, record_id: RecordId) -> Response:
    view = records.read(access, record_id)
    return render(request, "record.html", {"record": RecordDetail.of_view(view)},
                  json_twin=f"/api/v1/records/{record_id}")
