"""Request dependencies shared by the pages and the API."""

from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from emco.access import auth, tokens
from emco.access.gate import Access
from emco.errors import Unauthenticated
from emco.i18n import N_, pick_locale
from emco.model.types import Principal
from emco.resolve.service import Thresholds
from emco.settings import Settings
from emco.store import agencies
from emco.store.db import Database
from emco.web.limits import Limits

SESSION_COOKIE = "emco_session"
LOCALE_COOKIE = "emco_lang"


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def current_principal(request: Request) -> Principal:
    """The logged-in principal, from the session cookie; raises Unauthenticated."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    settings = get_settings(request)
    bearer = _bearer(request)
    if bearer is not None:
        principal = tokens.principal_of(get_db(request), bearer)
        request.state.principal = principal
        return principal
    token = request.cookies.get(SESSION_COOKIE, "")
    principal, locale = auth.session_principal(
        get_db(request), token, idle=timedelta(minutes=settings.session_idle_minutes),
        max_age=timedelta(hours=settings.session_max_hours))
    request.state.principal = principal
    request.state.user_locale = locale
    return principal


def _bearer(request: Request) -> str | None:
    """The service token of an API call (`Authorization: Bearer ...`), if it carries one;
    pages are for people and read only the session cookie."""
    if not request.url.path.startswith("/api/"):
        return None
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthenticated(N_("the Authorization header takes a bearer token: "
                                 "Bearer emco_..."), field="Authorization")
    return value.strip()


def get_limits(request: Request) -> Limits:
    limits: Limits = request.app.state.limits
    return limits


def client_address(request: Request) -> str:
    return request.client.host if request.client else "?"


def get_access(request: Request) -> Access:
    return Access(get_db(request), current_principal(request))


def get_thresholds(request: Request) -> Thresholds:
    """The resolution thresholds of the settings: merge, and review."""
    settings = get_settings(request)
    return Thresholds.of(settings)


def locale_of(request: Request) -> str:
    """The interface language: ?lang=, else the language cookie, else French."""
    default = get_settings(request).default_locale
    return pick_locale(request.query_params.get("lang") or request.cookies.get(LOCALE_COOKIE)
                       or getattr(request.state, "user_locale", None), default)


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_db)]
PrincipalDep = Annotated[Principal, Depends(current_principal)]
AccessDep = Annotated[Access, Depends(get_access)]
ThresholdsDep = Annotated[Thresholds, Depends(get_thresholds)]


def registrable_services(access: Access) -> list[str]:
    """The services a principal may register investigations and operations for: its own,
    or every service (not the staff itself) for the staff's operators."""
    with access.db.read() as conn:
        codes = [a.code for a in agencies.all_agencies(conn) if not a.is_staff]
    own = access.principal.agency
    return codes if access.scope.agencies is None else [c for c in codes if c == own]
LimitsDep = Annotated[Limits, Depends(get_limits)]
