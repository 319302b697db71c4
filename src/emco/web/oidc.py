"""Logging in through the OpenID Connect provider: off to it, and back (then on to the
second factor, as after a password, unless the provider's own is trusted)."""

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from emco.access import oidc, oidc_login
from emco.errors import EmcoError, NotFound
from emco.i18n import N_
from emco.web.account import (
    safe_next,
    second_step_url,
    set_pending_cookie,
    set_session_cookie,
)
from emco.web.deps import DatabaseDep, SettingsDep
from emco.web.render import render

router = APIRouter(include_in_schema=False)
# The state of a login under way at the provider. SameSite=Lax, not Strict: the browser
# comes back from the provider's site, and must bring it along.
FLOW_COOKIE = "emco_oidc"
FLOW_PATH = "/login/oidc"


def get_provider(request: Request) -> oidc.Provider:
    provider: oidc.Provider | None = request.app.state.oidc
    if provider is None:
        raise NotFound(N_("no identity provider is configured"))
    return provider


ProviderDep = Annotated[oidc.Provider, Depends(get_provider)]


@router.get("/login/oidc")
async def oidc_start(request: Request, db: DatabaseDep, settings: SettingsDep,
                     provider: ProviderDep, next: str | None = None) -> Response:
    try:
        url, state = await oidc_login.begin(db, provider, _redirect_uri(request, provider),
                                            safe_next(next))
    except EmcoError as exc:
        return _refused(request, exc)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(FLOW_COOKIE, state, httponly=True, samesite="lax",
                        secure=settings.secure_cookies, max_age=oidc.FLOW_SECONDS,
                        path=FLOW_PATH)
    return response


@router.get("/login/oidc/callback")
async def oidc_callback(request: Request, db: DatabaseDep, settings: SettingsDep,
                        provider: ProviderDep) -> Response:
    """Where the provider sends the browser back. The cookies are set on a page that
    moves on by itself, not on a redirect: a browser does not send SameSite=Strict
    cookies along a chain of redirects that began on the provider's site."""
    try:
        login = await oidc_login.finish(db, provider, request.query_params,
                                        request.cookies.get(FLOW_COOKIE),
                                        settings.oidc_trust_idp_mfa)
    except EmcoError as exc:
        return _refused(request, exc)
    target = second_step_url(login.enrol, login.next) if login.pending \
        else safe_next(login.next)
    response = render(request, "login_continue.html", {"target": target})
    if login.pending:
        set_pending_cookie(response, settings, login.token)
    else:
        set_session_cookie(response, settings, login.token)
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
    return response


def _redirect_uri(request: Request, provider: oidc.Provider) -> str:
    return provider.redirect_url or str(request.url_for("oidc_callback"))


def _refused(request: Request, error: EmcoError) -> Response:
    """The login page again, saying why; the login under way, if any, is over."""
    response = render(request, "login.html", {"next": "/search", "error": error.message},
                      status_code=error.status_code)
    response.delete_cookie(FLOW_COOKIE, path=FLOW_PATH)
    return response
