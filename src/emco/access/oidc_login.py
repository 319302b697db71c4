"""OpenID Connect, the accounts: which EMCO account a provider's identity logs in, and how.

An identity logs in only the account an administrator linked to its subject (`emco user
link-oidc`); EMCO never makes an account from the provider's word, and never links one by
itself, not even to an account of the same username: a username at the provider may be
anybody's. A disabled or locked account is refused. The provider stands for the password:
EMCO's second factor is still due (the pending session of a password login), unless the
settings trust the provider's own second factor and its ID token says it checked one.
Every login and every refusal is audited; the refusals as `auth:oidc:refuse`.
"""

import asyncio
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection

from emco.access import auth
from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.access.oidc import Identity, Provider, Refused
from emco.errors import BadInput, Conflict, Forbidden, NotFound
from emco.i18n import N_
from emco.model.enums import AuditAction, Outcome, Permission
from emco.model.types import Principal
from emco.store import users
from emco.store.db import Database

MAX_REFERENCE = 255  # the columns' size


@dataclass(frozen=True)
class OidcLogin:
    """A login the provider began: `token` opens a pending session when EMCO's second
    factor is due (`enrol` if the account has none yet), else a session."""

    token: str
    pending: bool
    enrol: bool
    next: str


async def begin(db: Database, provider: Provider, redirect_uri: str, next: str
                ) -> tuple[str, str]:
    """The provider's authorization address and the state for the browser's cookie;
    an unreachable provider is audited and raised."""
    try:
        return await provider.start(redirect_uri, next)
    except Refused as exc:
        await asyncio.to_thread(_audit_refusal, db, exc)
        raise exc.error from None


async def finish(db: Database, provider: Provider, params: Mapping[str, str],
                 cookie_state: str | None, trust_provider_mfa: bool) -> OidcLogin:
    """Read the provider's callback and log its user in. Every refusal is audited, then
    raised as the error to show; none leaves a session behind."""
    try:
        identity, next = await provider.identity(params, cookie_state)
        return await asyncio.to_thread(sign_in, db, identity, trust_provider_mfa, next)
    except Refused as exc:
        await asyncio.to_thread(_audit_refusal, db, exc)
        raise exc.error from None


def sign_in(db: Database, identity: Identity, trust_provider_mfa: bool, next: str = "/search"
            ) -> OidcLogin:
    """Log in the account linked to `identity`; raises `Refused` when there is none, or
    when it may not log in."""
    with db.read() as conn:
        user = users.by_oidc(conn, identity.issuer, identity.subject)
        namesake = (users.by_username(conn, identity.username)
                    if user is None and identity.username else None)
    if user is None:
        raise _unlinked(identity, namesake)
    if not user.active:
        raise Refused(Forbidden(N_("this EMCO account is disabled")),
                      f"account disabled; {identity.describe()}", user.username,
                      user.principal())
    if user.locked(datetime.now(UTC)):
        raise Refused(Forbidden(N_("this EMCO account is locked after too many failed "
                                   "logins; try again later")),
                      f"account locked; {identity.describe()}", user.username,
                      user.principal())
    how = f"OpenID Connect, {identity.describe()}"
    if trust_provider_mfa and identity.provider_mfa:
        token, _ = auth.vouched_session(db, user, f"{how}; the provider's second factor")
        return OidcLogin(token, pending=False, enrol=False, next=next)
    step = auth.vouched_first_step(db, user, how)
    return OidcLogin(step.token, pending=True, enrol=step.enrol, next=next)


def _unlinked(identity: Identity, namesake: users.UserRow | None) -> Refused:
    """The refusal of an identity no account is linked to. When an account of the
    username the provider gives has no link yet, the user is told to have it linked."""
    if namesake is not None and namesake.active and namesake.oidc_subject is None:
        return Refused(
            Forbidden(N_("the EMCO account %(name)s is not linked to this identity yet: an "
                         "administrator must link it (emco user link-oidc)",
                         name=namesake.username)),
            f"account {namesake.username} not linked; {identity.describe()}",
            namesake.username)
    return Refused(Forbidden(N_("no EMCO account is linked to this identity; ask an "
                                "administrator to link yours")),
                   f"unknown subject; {identity.describe()}", identity.username)


def _audit_refusal(db: Database, refused: Refused) -> None:
    who = refused.principal or Principal(
        username=f"oidc:{refused.username or '?'}"[:100], agency="-", roles=frozenset())
    objects = [f"user:{refused.username}"] if refused.username else []
    Access(db, who).record(AuditEvent(AuditAction.OIDC_REFUSED, objects=objects,
                                      detail=refused.reason), Outcome.DENIED)


def link(access: Access, username: str, subject: str, issuer: str) -> None:
    """Let the provider's `subject` (of `issuer`) log in the account `username`. An
    account has one link at most, and a subject logs in one account at most: unlink
    first to change either."""
    subject, issuer = subject.strip(), issuer.strip()
    event = AuditEvent(AuditAction.OIDC_LINK, objects=[f"user:{username}"],
                       detail=f"subject {subject[:MAX_REFERENCE]} of {issuer[:MAX_REFERENCE]}")
    access.check(Permission.USER_UPDATE, event)
    _check_reference(subject, "subject")
    _check_reference(issuer, "issuer")
    with access.writing(Permission.USER_UPDATE, event) as p:
        user = _user(p.conn, username)
        if user.oidc_subject is not None:
            raise Conflict(N_("%(name)s is already linked to subject %(subject)s of "
                              "%(issuer)s: unlink it first", name=username,
                              subject=user.oidc_subject, issuer=user.oidc_issuer or "?"))
        other = users.by_oidc(p.conn, issuer, subject)
        if other is not None:
            raise Conflict(N_("this subject is already linked to %(name)s",
                              name=other.username), field="subject")
        users.set_oidc(p.conn, user.id, issuer, subject)


def unlink(access: Access, username: str) -> None:
    """Remove an account's link: the provider no longer logs it in, and the account's
    open sessions end (some may have come from the provider)."""
    event = AuditEvent(AuditAction.OIDC_UNLINK, objects=[f"user:{username}"])
    with access.writing(Permission.USER_UPDATE, event) as p:
        user = _user(p.conn, username)
        if user.oidc_subject is None:
            raise Conflict(N_("%(name)s is not linked to an identity provider",
                              name=username))
        p.event.detail = f"was subject {user.oidc_subject} of {user.oidc_issuer}"
        users.set_oidc(p.conn, user.id, None, None)
        users.end_user_sessions(p.conn, user.id, datetime.now(UTC))


def _user(conn: Connection, username: str) -> users.UserRow:
    user = users.by_username(conn, username)
    if user is None:
        raise NotFound(N_("no user %(name)s", name=username), field="username")
    return user


def _check_reference(value: str, field: str) -> None:
    """A subject or an issuer: what the columns hold, and nothing to garble a log line."""
    if not value or len(value) > MAX_REFERENCE or any(
            unicodedata.category(c) == "Cc" for c in value):
        raise BadInput(N_("%(field)s: give 1 to %(n)s characters, without control "
                          "characters", field=field, n=MAX_REFERENCE), field=field)
