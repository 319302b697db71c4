"""Logging in (password, then the authenticator's code, enrolling it the first time),
logging out, and one's own account: its second factor and its service tokens."""

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from emco.access import auth, policy, tokens
from emco.api.account import TokenId
from emco.api.schemas import NO_NUL
from emco.errors import EmcoError, TooManyRequests, Unauthenticated
from emco.model.enums import Permission
from emco.model.types import Principal
from emco.settings import Settings
from emco.web.deps import (
    SESSION_COOKIE,
    AccessDep,
    DatabaseDep,
    LimitsDep,
    PrincipalDep,
    SettingsDep,
    client_address,
)
from emco.web.render import render
from emco.web.security import check_csrf

router = APIRouter(include_in_schema=False)
PENDING_COOKIE = "emco_pending"  # a password was given; the second factor is due
Token = Annotated[str, Form(max_length=100)]
Next = Annotated[str, Form(max_length=2000)]
Code = Annotated[str, Form(max_length=20, pattern=NO_NUL)]


def safe_next(target: str | None) -> str:
    """Only local paths, so a login link cannot send the user elsewhere."""
    if (target and target.startswith("/") and not target.startswith("//")
            and "\\" not in target):  # browsers read "/\\host" as another site
        return target
    return "/search"


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": safe_next(next), "error": None})


@router.post("/login")
def login_submit(request: Request, db: DatabaseDep, settings: SettingsDep, limits: LimitsDep,
                 username: Annotated[str, Form(max_length=100, pattern=NO_NUL)],
                 password: Annotated[str, Form(max_length=1000)],
                 csrf_token: Token = "", next: Next = "/search") -> Response:
    check_csrf(request, csrf_token)
    username = username.strip()
    try:
        limits.login_attempt(db, client_address(request), username)
        step = auth.check_password(db, username, password, auth.LoginRules.of(settings))
    except (Unauthenticated, TooManyRequests) as exc:
        return render(request, "login.html", {"next": safe_next(next), "error": exc.message,
                                              "username": username},
                      status_code=exc.status_code)
    response = RedirectResponse(second_step_url(step.enrol, next), status_code=303)
    set_pending_cookie(response, settings, step.token)
    return response


def second_step_url(enrol: bool, next: str | None) -> str:
    """Where a login goes once its first factor is given: the code, or enrolment."""
    target = "/login/enrol" if enrol else "/login/code"
    return f"{target}?{_next_query(next)}"


def set_pending_cookie(response: Response, settings: Settings, token: str) -> None:
    """The cookie of a pending session: it lapses with the pending session."""
    response.set_cookie(PENDING_COOKIE, token, httponly=True, samesite="strict",
                        secure=settings.secure_cookies,
                        max_age=int(auth.PENDING_MAX.total_seconds()))


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    """The session cookie, in place of the pending one."""
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict",
                        secure=settings.secure_cookies)
    response.delete_cookie(PENDING_COOKIE)


@router.get("/login/code")
def code_page(request: Request, next: str | None = None) -> Response:
    if not request.cookies.get(PENDING_COOKIE):
        return RedirectResponse(f"/login?{_next_query(next)}", status_code=303)
    return render(request, "login_code.html", {"next": safe_next(next), "error": None})


@router.post("/login/code")
def code_submit(request: Request, db: DatabaseDep, settings: SettingsDep,
                code: Code, csrf_token: Token = "", next: Next = "/search") -> Response:
    check_csrf(request, csrf_token)
    pending = request.cookies.get(PENDING_COOKIE, "")
    return _second_step(request, db, settings, next, "login_code.html",
                        lambda: auth.second_factor(db, pending, code,
                                                   auth.LoginRules.of(settings)))


@router.get("/login/enrol")
def enrol_page(request: Request, db: DatabaseDep, next: str | None = None) -> Response:
    pending = request.cookies.get(PENDING_COOKIE, "")
    try:
        enrolment = auth.enrolment(db, pending)
    except EmcoError as exc:
        return render(request, "login.html", {"next": safe_next(next), "error": exc.message},
                      status_code=exc.status_code)
    return render(request, "login_enrol.html", {"next": safe_next(next), "error": None,
                                                "enrolment": enrolment})


@router.post("/login/enrol")
def enrol_submit(request: Request, db: DatabaseDep, settings: SettingsDep,
                 code: Code, csrf_token: Token = "", next: Next = "/search") -> Response:
    check_csrf(request, csrf_token)
    pending = request.cookies.get(PENDING_COOKIE, "")
    return _second_step(request, db, settings, next, "login_enrol.html",
                        lambda: auth.confirm_enrolment(db, pending, code,
                                                       auth.LoginRules.of(settings)))


def _second_step(request: Request, db: DatabaseDep, settings: SettingsDep, next: str,
                 template: str,
                 step: Callable[[], tuple[str, Principal]]) -> Response:
    """Check the code; on success, the session cookie replaces the pending one. A wrong
    code shows the form again; a lockout or an expired login goes back to the start."""
    try:  # guessing codes is stopped by the lockout; the address limit counts passwords
        token, _ = step()
    except Unauthenticated as exc:
        if exc.field == "code":
            context: dict[str, object] = {"next": safe_next(next), "error": exc.message}
            if template == "login_enrol.html":
                context["enrolment"] = auth.enrolment(db, request.cookies.get(
                    PENDING_COOKIE, ""))
            return render(request, template, context, status_code=exc.status_code)
        response = render(request, "login.html", {"next": safe_next(next),
                                                  "error": exc.message}, status_code=401)
        response.delete_cookie(PENDING_COOKIE)
        return response
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(response, settings, token)
    return response


@router.post("/logout")
def logout(request: Request, db: DatabaseDep, principal: PrincipalDep,
           csrf_token: Token = "") -> Response:
    check_csrf(request, csrf_token)
    auth.logout(db, request.cookies.get(SESSION_COOKIE, ""), principal)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/account")
def account_page(request: Request, access: AccessDep) -> Response:
    return _account(request, access)


@router.post("/account/tokens")
def token_create(request: Request, access: AccessDep,
                 name: Annotated[str, Form(max_length=tokens.MAX_NAME, pattern=NO_NUL)] = "",
                 scope: Annotated[list[str] | None, Form()] = None,
                 days: Annotated[int, Form(ge=1, le=tokens.MAX_DAYS)] = 90,
                 csrf_token: Token = "") -> Response:
    check_csrf(request, csrf_token)
    try:
        made = tokens.create(access, username=access.principal.username, name=name,
                             scopes=scope or [], days=days)
    except EmcoError as exc:
        return _account(request, access, error=exc, status=exc.status_code,
                        form={"name": name, "scopes": scope or [], "days": days})
    return _account(request, access, new=made, status=201)


@router.post("/account/tokens/{token_id}/revoke")
def token_revoke(request: Request, access: AccessDep, token_id: TokenId,
                 csrf_token: Token = "") -> Response:
    check_csrf(request, csrf_token)
    try:
        tokens.revoke(access, token_id)
    except EmcoError as exc:
        return _account(request, access, error=exc, status=exc.status_code)
    return RedirectResponse("/account", status_code=303)


def _account(request: Request, access: AccessDep, *, new: tokens.NewToken | None = None,
             error: EmcoError | None = None, status: int = 200,
             form: dict[str, object] | None = None) -> Response:
    held = sorted(p.value for p in policy.permissions(access.principal))
    return render(request, "account.html", {
        "tokens": tokens.listing(access, access.principal.username), "new": new,
        "error": error, "form": form or {"name": "", "scopes": [], "days": 90},
        "permissions": held, "max_days": tokens.MAX_DAYS,
        "manager": Permission.TOKEN_MANAGE.value in held}, status_code=status,
        json_twin="/api/v1/tokens")


def _next_query(next: str | None) -> str:
    return urlencode({"next": safe_next(next)})
