"""The web application: one factory, one error map, the API and the pages."""

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from emco.access.oidc import Provider
from emco.alerts.worker import AlertWorker
from emco.api.account import router as account_api
from emco.api.alerts import router as alerts_api
from emco.api.audit import router as audit_api
from emco.api.deconflict import router as deconflict_api
from emco.api.handling import router as handling_api
from emco.api.networks import router as networks_api
from emco.api.operations import router as operations_api
from emco.api.retention import router as retention_api
from emco.api.risk import router as risk_api
from emco.api.routes import router as api_router
from emco.errors import EmcoError, TooManyRequests, Unauthenticated
from emco.i18n import N_, Message, translate
from emco.settings import Settings
from emco.store.db import Database
from emco.store.migrate import require_current
from emco.web import account as account_pages
from emco.web import alerts as alerts_pages
from emco.web import audit as audit_pages
from emco.web import deconflict as deconflict_pages
from emco.web import handling as handling_pages
from emco.web import networks as networks_pages
from emco.web import oidc as oidc_pages
from emco.web import operations as operations_pages
from emco.web import pages
from emco.web import risk as risk_pages
from emco.web.deps import locale_of
from emco.web.limits import Limits
from emco.web.render import render
from emco.web.security import SecurityHeaders, add_headers

log = logging.getLogger("emco.web")
STATIC = Path(__file__).parent / "static"
# Starlette's own errors, in words a user reads in their language.
HTTP_MESSAGES = {404: N_("page not found"), 405: N_("method not allowed")}


def create_app(settings: Settings, db: Database | None = None) -> FastAPI:
    """Build the app over `db` (or the database of `settings`), which must be migrated."""
    db = db or Database(settings.database_url)
    require_current(db)
    app = FastAPI(title="EMCO", version="0.1.0", docs_url="/api/docs", redoc_url=None,
                  openapi_url="/api/openapi.json",
                  description="Records shared by the services of the organised-crime "
                              "coordination staff. Every call is checked and audited.",
                  lifespan=_lifespan, max_body_size=settings.max_request_bytes)
    app.state.settings = settings
    app.state.db = db
    app.state.alert_worker = AlertWorker(db, settings.alert_worker_seconds,
                                         settings.webhook_timeout_seconds) \
        if settings.alert_worker_seconds else None
    app.state.limits = Limits.of(settings)
    app.state.oidc = Provider.of(settings)  # None: no identity provider, password only
    app.add_middleware(SecurityHeaders, hsts=settings.secure_cookies)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(api_router)
    app.include_router(account_api)
    app.include_router(deconflict_api)
    app.include_router(operations_api)
    app.include_router(alerts_api)
    app.include_router(networks_api)
    app.include_router(risk_api)
    app.include_router(audit_api)
    app.include_router(handling_api)
    app.include_router(retention_api)
    app.include_router(account_pages.router)
    app.include_router(oidc_pages.router)
    app.include_router(pages.router)
    app.include_router(alerts_pages.router)
    app.include_router(deconflict_pages.router)
    app.include_router(operations_pages.router)
    app.include_router(networks_pages.router)
    app.include_router(risk_pages.router)
    app.include_router(audit_pages.router)
    app.include_router(handling_pages.router)
    _error_map(app)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Run the alerts worker (webhooks, escalation) while the app serves."""
    worker: AlertWorker | None = app.state.alert_worker
    if worker is not None:
        worker.start()
    try:
        yield
    finally:
        if worker is not None:  # joined off the event loop: a delivery may be under way
            await asyncio.to_thread(worker.stop)


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _error_map(app: FastAPI) -> None:
    """Every error becomes a JSON body under /api/ and a page elsewhere; never a crash."""

    @app.exception_handler(EmcoError)
    async def domain_error(request: Request, exc: EmcoError) -> Response:
        if isinstance(exc, Unauthenticated) and not _wants_json(request):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse(f"/login?next={_quote(target)}", status_code=303)
        response = _error(request, exc.status_code, exc.message, exc.field,
                          type(exc).__name__)
        if isinstance(exc, TooManyRequests):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> Response:
        first = exc.errors()[0] if exc.errors() else {}
        loc = list(first.get("loc", ()))
        if loc and loc[0] in ("body", "query", "path", "header", "cookie"):
            loc = loc[1:]  # where the parameter travels is not part of its name
        if first.get("type") == "json_invalid":
            loc = []  # the place in the text, not a field
        where = ".".join(str(p) for p in loc)
        return _error(request, 422, _invalid(where or "request", first), where or None,
                      "BadInput")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, Message) else str(exc.detail)
        message = HTTP_MESSAGES.get(exc.status_code) or detail
        return _error(request, exc.status_code, message, None, "HTTPError")

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        response = _error(request, 500, N_("internal error; it has been logged"), None,
                          "InternalError")
        return add_headers(request, response, request.app.state.settings.secure_cookies)


# What the validation library found, in words a user reads in their language.
_REASONS = {
    "missing": "%(field)s is required",
    "int_parsing": "%(field)s must be a whole number",
    "int_type": "%(field)s must be a whole number",
    "greater_than_equal": "%(field)s must be at least %(limit)s",
    "greater_than": "%(field)s must be more than %(limit)s",
    "less_than_equal": "%(field)s must be at most %(limit)s",
    "string_too_long": "%(field)s must be at most %(limit)s characters long",
    "string_too_short": "%(field)s must be at least %(limit)s characters long",
    "bool_type": "%(field)s must be true or false",
    "bool_parsing": "%(field)s must be true or false",
    **dict.fromkeys(("date_type", "date_parsing", "date_from_datetime_parsing",
                     "date_from_datetime_inexact"),
                    "%(field)s must be a date such as 2026-01-31"),
    "extra_forbidden": "%(field)s is not a field of this request",
    "model_attributes_type": "%(field)s must be a JSON object",
    "json_invalid": "%(field)s is not valid JSON",
}
_INVALID_MESSAGES = (  # for extraction: _REASONS holds the same texts
    N_("%(field)s is required"), N_("%(field)s must be a whole number"),
    N_("%(field)s must be at least %(limit)s"), N_("%(field)s must be more than %(limit)s"),
    N_("%(field)s must be at most %(limit)s"),
    N_("%(field)s must be at most %(limit)s characters long"),
    N_("%(field)s must be at least %(limit)s characters long"),
    N_("%(field)s must be true or false"), N_("%(field)s must be a date such as 2026-01-31"),
    N_("%(field)s is not a field of this request"), N_("%(field)s must be a JSON object"),
    N_("%(field)s is not valid JSON"), N_("invalid value for %(field)s"))


def _invalid(field: str, error: Any) -> str:
    ctx = error.get("ctx") or {}
    limit = next((ctx[k] for k in ("ge", "gt", "le", "lt", "max_length", "min_length")
                  if k in ctx), "")
    msgid = _REASONS.get(error.get("type", ""), "invalid value for %(field)s")
    return N_(msgid, field=field, limit=limit) if "limit" in msgid else N_(msgid, field=field)


def _error(request: Request, status: int, message: str, field: str | None, kind: str
           ) -> Response:
    locale = locale_of(request)
    text = translate(locale, message)
    if _wants_json(request):
        body: dict[str, Any] = {"error": kind, "message": str(message), "field": field}
        return JSONResponse(body, status_code=status)
    return render(request, "error.html", {"status": status, "message": text},
                  status_code=status)


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")
