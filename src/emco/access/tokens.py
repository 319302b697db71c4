"""Service API tokens: for programs, not people. A token is shown once, kept only as its
SHA-256, acts with a chosen subset of its user's permissions, expires, and can be revoked.
It travels as `Authorization: Bearer emco_...`."""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from emco.access import policy
from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.errors import BadInput, Conflict, NotFound, Unauthenticated
from emco.i18n import N_
from emco.model.enums import AuditAction, Outcome, Permission
from emco.model.types import Principal
from emco.store import tokens, users
from emco.store.db import Database
from emco.store.tokens import TokenRow

MAX_DAYS = 365
MAX_NAME = 100
_FORM = re.compile(r"^emco_([A-Za-z0-9]{8})_[A-Za-z0-9_-]{43}$")
# A used token's last-use time is written at most this often.
_TOUCH_EVERY = timedelta(minutes=5)


@dataclass(frozen=True)
class NewToken:
    secret: str  # shown once: it cannot be read back
    token: TokenRow


def create(access: Access, *, username: str, name: str, scopes: list[str],
           days: int) -> NewToken:
    """A token for `username` (oneself, or anyone with `admin:token:manage`), scoped to
    permissions that user holds, valid `days` days."""
    own = username == access.principal.username
    event = AuditEvent(AuditAction.TOKEN_CREATE, objects=[f"user:{username}"],
                       detail=f"{name[:MAX_NAME]}: {','.join(sorted(scopes))[:800]}; {days} d")
    if not own:
        access.check(Permission.TOKEN_MANAGE, event)
    name = name.strip()
    if not name or len(name) > MAX_NAME:
        raise BadInput(N_("a token needs a name of at most %(n)s characters", n=MAX_NAME),
                       field="name")
    if not 1 <= days <= MAX_DAYS:
        raise BadInput(N_("a token lasts 1 to %(n)s days", n=MAX_DAYS), field="days")
    wanted = _scopes(scopes)
    now = datetime.now(UTC)
    with access.writing(Permission.TOKEN_MANAGE if not own else None, event) as p:
        user = users.by_username(p.conn, username)
        if user is None or not user.active:
            raise NotFound(N_("no user %(name)s", name=username), field="username")
        # One's own: what one acts with now (a service token, its scopes: "never more");
        # another user's, by a token manager: what that user holds.
        acting = access.principal if own else user.principal()
        held = {perm.value for perm in policy.permissions(acting)}
        beyond = sorted(wanted - held)
        if beyond:
            raise BadInput(N_("%(user)s does not hold %(scopes)s", user=username,
                              scopes=", ".join(beyond)), field="scope")
        prefix = secrets.token_hex(4)
        secret = f"emco_{prefix}_{secrets.token_urlsafe(32)}"
        token_id = tokens.create(p.conn, token_hash=_hash(secret), prefix=prefix, name=name,
                                 user_id=user.id, scopes=wanted, now=now,
                                 created_by=access.principal.username,
                                 expires_at=now + timedelta(days=days))
        row = tokens.by_id(p.conn, token_id)
    assert row is not None
    return NewToken(secret, row)


def listing(access: Access, username: str | None = None) -> list[TokenRow]:
    """One's own tokens; anyone's (or everyone's, with None) for a token manager."""
    me = access.principal.username
    target = username if username or policy.allows(access.principal,
                                                    Permission.TOKEN_MANAGE) else me
    event = AuditEvent(AuditAction.TOKEN_LIST, objects=[f"user:{target}"] if target else [])
    with access.reading(None if target == me else Permission.TOKEN_MANAGE, event) as p:
        if target is None:
            return tokens.of_user(p.conn, None)
        user = users.by_username(p.conn, target)
        if user is None:
            raise NotFound(N_("no user %(name)s", name=target), field="username")
        return tokens.of_user(p.conn, user.id)


def revoke(access: Access, token_id: int) -> TokenRow:
    """Revoke a token: one's own, or anyone's for a token manager."""
    event = AuditEvent(AuditAction.TOKEN_REVOKE, objects=[f"token:{token_id}"])
    manager = policy.allows(access.principal, Permission.TOKEN_MANAGE)
    with access.writing(None, event) as p:
        row = tokens.by_id(p.conn, token_id)
        if row is None or not (manager or row.username == access.principal.username):
            raise NotFound(N_("no token %(id)s", id=token_id), field="token")
        if not tokens.revoke(p.conn, token_id, datetime.now(UTC)):
            raise Conflict(N_("token %(id)s is already revoked", id=token_id), field="token")
        done = tokens.by_id(p.conn, token_id)
    assert done is not None
    return done


def principal_of(db: Database, secret: str) -> Principal:
    """The principal a bearer token acts as; 401 for a malformed, unknown, expired or
    revoked one (each refusal audited, without the token)."""
    now = datetime.now(UTC)
    match = _FORM.fullmatch(secret)
    with db.read() as conn:
        row = tokens.by_hash(conn, _hash(secret)) if match else None
        user = users.by_id(conn, row.user_id) if row else None
    problem = ("malformed" if match is None else "unknown" if row is None or user is None
               else "revoked" if row.revoked_at is not None
               else "expired" if row.expires_at <= now
               else "inactive user" if not user.active else None)
    if problem is not None or row is None or user is None:
        who = Principal(username=row.username if row else "?", agency="-", roles=frozenset())
        Access(db, who).record(AuditEvent(
            AuditAction.TOKEN_REFUSED, objects=[f"token:{row.id}"] if row else [],
            detail=problem or "unknown"), Outcome.DENIED)
        raise Unauthenticated(N_("this API token is not valid (unknown, expired or revoked)"))
    if row.last_used_at is None or now - row.last_used_at > _TOUCH_EVERY:
        with db.write() as conn:
            tokens.touch(conn, row.id, now)
    base = user.principal()
    return Principal(username=base.username, agency=base.agency, roles=base.roles,
                     clearance=base.clearance, user_id=base.user_id, scopes=row.scopes)


def _scopes(values: list[str]) -> frozenset[str]:
    known = {p.value for p in Permission}
    wanted = frozenset(v.strip() for v in values if v.strip())
    if not wanted:
        raise BadInput(N_("give a token at least one scope (a permission such as "
                          "%(example)s)", example=Permission.HIT_QUERY.value), field="scope")
    unknown = sorted(wanted - known)
    if unknown:
        raise BadInput(N_("unknown scope %(scope)s", scope=unknown[0]), field="scope")
    return wanted


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()
