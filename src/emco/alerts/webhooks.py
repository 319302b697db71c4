"""Each service's webhook endpoint: where its alerts are sent, and the secret that signs them.

A service's liaison officer manages its own service's endpoint; the staff's operators
manage any. The secret is shared with the service and kept in clear in the store: the
signature is computed from it at each delivery (see docs/alerts.md for the trade-off).
"""

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.errors import BadInput, Forbidden, NotFound
from emco.i18n import N_
from emco.model.enums import AuditAction, Permission
from emco.store import agencies
from emco.store import alerts as repo

MAX_URL = 2000
MIN_SECRET = 16
MAX_SECRET = 200


@dataclass(frozen=True)
class Webhook:
    """An endpoint as set. `secret` is returned only when EMCO generated it (to be given
    to the service once); a secret the caller chose is not echoed back."""

    agency: str
    url: str
    updated_by: str
    updated_at: datetime
    secret: str | None = None


def set_webhook(access: Access, agency: str, url: str, secret: str | None = None) -> Webhook:
    """Set (or replace) the endpoint of `agency`. Without a secret, one is generated and
    returned. Pending deliveries go to the new address, signed with the new secret."""
    code = agency.strip().upper()
    event = AuditEvent(AuditAction.WEBHOOK_MANAGE, objects=[f"agency:{code}"])
    with access.writing(Permission.WEBHOOK_MANAGE, event) as p:
        _may_manage(access, p.scope.agencies is None, code)
        address = check_url(url)
        generated = not (secret and secret.strip())
        key = secrets.token_urlsafe(32) if generated else _check_secret(secret or "")
        event.detail = f"set {address}" + (" (secret generated)" if generated else "")
        if agencies.get(p.conn, code) is None:
            raise BadInput(N_("unknown agency %(agency)s", agency=code), field="agency")
        now = datetime.now(UTC)
        repo.set_webhook(p.conn, code, address, key, access.principal.username, now)
    return Webhook(code, address, access.principal.username, now,
                   key if generated else None)


def remove_webhook(access: Access, agency: str) -> None:
    """Remove the endpoint of `agency`: nothing more is sent to it (deliveries still
    pending are given up at their next attempt)."""
    code = agency.strip().upper()
    event = AuditEvent(AuditAction.WEBHOOK_MANAGE, objects=[f"agency:{code}"],
                       detail="removed")
    with access.writing(Permission.WEBHOOK_MANAGE, event) as p:
        _may_manage(access, p.scope.agencies is None, code)
        if not repo.delete_webhook(p.conn, code):
            raise NotFound(N_("agency %(agency)s has no webhook", agency=code),
                           field="agency")


def _may_manage(access: Access, staff: bool, agency: str) -> None:
    if not staff and access.principal.agency != agency:
        raise Forbidden(N_("%(user)s may manage the webhook of %(own)s only",
                           user=access.principal.username, own=access.principal.agency),
                        field="agency")


def check_url(url: str) -> str:
    """An http(s) address with a host, no credentials, no spaces; BadInput otherwise."""
    text = (url or "").strip()
    if not text:
        raise BadInput(N_("%(field)s is required", field="url"), field="url")
    if len(text) > MAX_URL:
        raise BadInput(N_("%(field)s must be at most %(limit)s characters long", field="url",
                          limit=MAX_URL), field="url")
    if any(c.isspace() or ord(c) < 32 or ord(c) == 127 for c in text):
        raise BadInput(N_("the webhook URL must not contain spaces or control characters"),
                       field="url")
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises on a port that is not a number)
    except ValueError:
        raise BadInput(N_("the webhook URL cannot be read"), field="url") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise BadInput(N_("the webhook URL must start with http:// or https://"), field="url")
    if not parts.hostname:
        raise BadInput(N_("the webhook URL must name a host"), field="url")
    if parts.username is not None or parts.password is not None:
        raise BadInput(N_("the webhook URL must not hold a user name or password; the "
                          "signature authenticates EMCO"), field="url")
    return text


def _check_secret(secret: str) -> str:
    text = secret.strip()
    if not MIN_SECRET <= len(text) <= MAX_SECRET:
        raise BadInput(N_("a webhook secret is %(low)s to %(high)s characters long",
                          low=MIN_SECRET, high=MAX_SECRET), field="secret")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise BadInput(N_("invalid value for %(field)s", field="secret"), field="secret")
    return text
