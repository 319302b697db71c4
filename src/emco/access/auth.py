"""Accounts, passwords (argon2id) and web sessions. Every login attempt is audited."""

import getpass
import hashlib
import re
import secrets
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.errors import BadInput, Conflict, NotFound, Unauthenticated
from emco.i18n import N_
from emco.model.enums import AuditAction, Outcome, Permission, Protection, Role
from emco.model.types import Principal
from emco.store import agencies, users
from emco.store.db import Database

_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")
MIN_PASSWORD = 12
# Verified against when the username is unknown, so both cases take the same time.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def cli_principal(agency: str, roles: frozenset[Role],
                  clearance: Protection = Protection.NP) -> Principal:
    """The principal of a command run on the server itself, named after the OS user."""
    return Principal(username=f"cli:{getpass.getuser()}", agency=agency, roles=roles,
                     clearance=clearance)


def create_user(access: Access, *, username: str, display_name: str, agency: str,
                roles: frozenset[Role], clearance: Protection, password: str) -> int:
    """Create an account. Names the field of any mistake; writes nothing on one."""
    event = AuditEvent(AuditAction.USER_CREATE, objects=[f"user:{username}"],
                       detail=f"agency {agency}, roles {','.join(sorted(roles))}, "
                              f"clearance {clearance.value}")
    access.check(Permission.USER_CREATE, event)
    if not _USERNAME.fullmatch(username):  # `$` alone would let "name\n" through
        raise BadInput("a username is 2-63 lower-case letters, digits, '.', '_' or '-'",
                       field="username")
    if not roles:
        raise BadInput("give at least one role", field="role")
    if len(password) < MIN_PASSWORD:
        raise BadInput(f"a password has at least {MIN_PASSWORD} characters", field="password")
    with access.writing(Permission.USER_CREATE, event) as p:
        if agencies.get(p.conn, agency) is None:
            raise BadInput(f"unknown agency {agency!r}", field="agency")
        if users.by_username(p.conn, username) is not None:
            raise Conflict(f"user {username!r} already exists", field="username")
        return users.create(p.conn, username=username, display_name=display_name or username,
                            agency=agency, roles=roles, clearance=clearance,
                            password_hash=hash_password(password), now=datetime.now(UTC))


def set_password(access: Access, username: str, password: str) -> None:
    """Give an account a new password (it ends none of its sessions)."""
    event = AuditEvent(AuditAction.USER_PASSWORD, objects=[f"user:{username}"])
    access.check(Permission.USER_UPDATE, event)
    if len(password) < MIN_PASSWORD:
        raise BadInput(f"a password has at least {MIN_PASSWORD} characters", field="password")
    with access.writing(Permission.USER_UPDATE, event) as p:
        user = users.by_username(p.conn, username)
        if user is None:
            raise NotFound(f"no user {username!r}", field="username")
        users.set_password_hash(p.conn, user.id, hash_password(password))


def login(db: Database, username: str, password: str) -> tuple[str, Principal]:
    """Check a password and open a session. Returns the session token (for the cookie).
    A wrong username and a wrong password give the same answer in the same time."""
    with db.read() as conn:
        user = users.by_username(conn, username)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = user is not None and user.active
    except (VerificationError, InvalidHashError):
        ok = False
    if not ok or user is None:
        who = Principal(username=username[:100] or "?", agency="-", roles=frozenset())
        Access(db, who).record(AuditEvent(AuditAction.LOGIN_FAILURE), Outcome.DENIED)
        raise Unauthenticated(N_("wrong username or password"))
    token = secrets.token_urlsafe(32)
    principal = user.principal()
    with db.write() as conn:
        users.open_session(conn, _token_hash(token), user.id, datetime.now(UTC))
        if _hasher.check_needs_rehash(user.password_hash):
            users.set_password_hash(conn, user.id, hash_password(password))
    Access(db, principal).record(AuditEvent(AuditAction.LOGIN_SUCCESS))
    return token, principal


def session_principal(db: Database, token: str, idle: timedelta, max_age: timedelta
                      ) -> tuple[Principal, str | None]:
    """The principal of a live session and the user's chosen language; ends a session
    idle or old beyond the limits."""
    digest = _token_hash(token)
    now = datetime.now(UTC)
    with db.read() as conn:
        row = users.session(conn, digest)
        user = users.by_id(conn, row["user_id"]) if row else None
    if row is None or user is None or not user.active:
        raise Unauthenticated(N_("please log in"))
    last_seen, created = _aware(row["last_seen_at"]), _aware(row["created_at"])
    if now - last_seen > idle or now - created > max_age:
        with db.write() as conn:
            users.end_session(conn, digest, now)
        raise Unauthenticated(N_("your session has expired; please log in again"))
    if now - last_seen > timedelta(seconds=60):
        with db.write() as conn:
            users.touch_session(conn, digest, now)
    return user.principal(), user.locale


def logout(db: Database, token: str, principal: Principal) -> None:
    with db.write() as conn:
        users.end_session(conn, _token_hash(token), datetime.now(UTC))
    Access(db, principal).record(AuditEvent(AuditAction.LOGOUT))


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
