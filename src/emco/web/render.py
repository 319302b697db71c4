"""Rendering of pages: the templates get the translation of the request's language."""

from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from babel.dates import format_date
from babel.numbers import format_decimal, format_percent
from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import Response

from emco.access.policy import allows
from emco.i18n import LOCALES, translate, translations
from emco.model.enums import Permission
from emco.settings import Settings
from emco.web.security import CSRF_COOKIE, csrf_token

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200,
           json_twin: str | None = None) -> Response:
    """Render a page. `json_twin` is the API address that returns what the page shows."""
    from emco.web.deps import LOCALE_COOKIE, locale_of

    locale = locale_of(request)

    def _(text: str, **params: Any) -> str:
        translated = translate(locale, text)
        return translated % params if params else translated

    def ngettext(singular: str, plural: str, n: int, **params: Any) -> str:
        """The form of `n` in the language's plural rules; `%(n)s` is `n`."""
        return translations(locale).ngettext(singular, plural, n) % {"n": n, **params}

    def day(value: date | None) -> str:
        """A date as people of the language write it; a dash when there is none."""
        return format_date(value, format="long", locale=locale) if value else "—"

    def percent(value: float | None) -> str:
        return format_percent(value, locale=locale) if value is not None else "—"

    def signed(value: float | None) -> str:
        """A weight with its sign: +2.31, -0.75, and 0.00 for nothing either way."""
        if value is None:
            return "—"
        pattern = "#,##0.00" if round(value, 2) == 0 else "+#,##0.00;-#,##0.00"
        return format_decimal(value, format=pattern, locale=locale)

    principal = _principal(request)

    def may(permission: Permission) -> bool:
        """Whether the logged-in principal holds `permission` (to show links to it)."""
        return principal is not None and allows(principal, permission)

    def lang_url(code: str) -> str:
        """This page in another language: the same query, another `lang`."""
        kept = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
        return "?" + urlencode([*kept, ("lang", code)])

    token = csrf_token(request)
    response = templates.TemplateResponse(request, name, {
        "_": _, "ngettext": ngettext, "day": day, "lang_url": lang_url, "locale": locale,
        "locales": LOCALES, "csrf_token": token, "percent": percent, "signed": signed,
        "may": may, "Permission": Permission, "principal": principal,
        "json_twin": json_twin, "oidc_label": _oidc_label(request),
        **context}, status_code=status_code)
    secure = request.app.state.settings.secure_cookies
    if request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(CSRF_COOKIE, token, httponly=True, samesite="strict",
                            secure=secure)
    if request.query_params.get("lang") in LOCALES:
        response.set_cookie(LOCALE_COOKIE, locale, max_age=365 * 86400, samesite="lax",
                            secure=secure)
    return response


def _oidc_label(request: Request) -> str | None:
    """The identity provider's name for the login page's button; None when it is off."""
    settings: Settings = request.app.state.settings
    return settings.oidc_label if settings.oidc_enabled else None


def _principal(request: Request) -> Any:
    """The logged-in principal, also on pages (errors) whose route did not ask for it."""
    principal = getattr(request.state, "principal", None)
    if principal is None and request.cookies.get("emco_session"):
        from emco.errors import EmcoError
        from emco.web.deps import current_principal

        try:
            principal = current_principal(request)
        except EmcoError:
            return None
    return principal
