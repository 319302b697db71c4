"""Security headers on every response, and the CSRF token of forms."""

import hmac
import secrets

from fastapi import Request
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.responses import Response
from starlette.types import ASGIApp

from emco.errors import Forbidden
from emco.i18n import N_

CSRF_COOKIE = "emco_csrf"
CSRF_FIELD = "csrf_token"

# No inline script or style anywhere: every script and style is a file under /static.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
       "base-uri 'none'; object-src 'none'")


class SecurityHeaders(BaseHTTPMiddleware):
    def __init__(self, app: ASGIApp, hsts: bool) -> None:
        super().__init__(app)
        self.hsts = hsts

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        return add_headers(request, await call_next(request), self.hsts)


def add_headers(request: Request, response: Response, hsts: bool) -> Response:
    """Set the security headers on `response` (a header already set is kept).
    Called by the middleware, and by the handler of unexpected errors, which Starlette
    runs outside every middleware."""
    headers = response.headers
    if not request.url.path.startswith("/api/docs"):  # Swagger UI needs its inline code
        headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("Cache-Control", "no-store")
    if hsts:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def csrf_token(request: Request) -> str:
    """The token of this browser (double-submit: the cookie and the form must agree)."""
    token = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf", None)
    if not token:
        token = secrets.token_urlsafe(24)
        request.state.new_csrf = token
    return token


def check_csrf(request: Request, submitted: str | None) -> None:
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not submitted or not hmac.compare_digest(cookie, submitted):
        raise Forbidden(N_("the form has expired; reload the page and try again"),
                        field=CSRF_FIELD)
