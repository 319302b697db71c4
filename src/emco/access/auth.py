"""Accounts, passwords (argon2id), the second factor (TOTP) and web sessions.

A login has two steps: the password opens a pending session that grants nothing, and the
code of the account's authenticator turns it into a session (enrolling the authenticator
on the account's first login). Failures of either step count towards a lockout. Every
attempt is audited."""

import getpass
import hashlib
import re
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import NoReturn

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection

from emco.access import totp
from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.errors import BadInput, Conflict, NotFound, Unauthenticated
from emco.i18n import N_
from emco.model.enums import AuditAction, Outcome, Permission, Protection, Role
from emco.model.types import Principal
from emco.settings import Settings
from emco.store import agencies, users
from emco.store.db import Database, utc

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


def unlock(access: Access, username: str) -> None:
    """Lift an account's lockout before its time."""
    _admin(access, username, AuditAction.USER_UNLOCK,
           lambda conn, user: users.clear_failures(conn, user.id))


def reset_second_factor(access: Access, username: str) -> None:
    """Clear an account's authenticator (lost phone): it enrols a new one at its next
    login; its open sessions end."""
    def reset(conn: Connection, user: users.UserRow) -> None:
        users.set_totp(conn, user.id, None, None)
        users.end_user_sessions(conn, user.id, datetime.now(UTC))
    _admin(access, username, AuditAction.TOTP_RESET, reset)


def allow_concurrent_sessions(access: Access, username: str, allowed: bool) -> None:
    """Let an account hold several sessions at once (a login otherwise ends the others)."""
    _admin(access, username, AuditAction.USER_UPDATE,
           lambda conn, user: users.set_concurrent_sessions(conn, user.id, allowed),
           detail=f"concurrent sessions {'allowed' if allowed else 'refused'}")


def _admin(access: Access, username: str, action: AuditAction,
           change: Callable[[Connection, users.UserRow], None], detail: str | None = None
           ) -> None:
    event = AuditEvent(action, objects=[f"user:{username}"], detail=detail)
    with access.writing(Permission.USER_UPDATE, event) as p:
        user = users.by_username(p.conn, username)
        if user is None:
            raise NotFound(N_("no user %(name)s", name=username), field="username")
        change(p.conn, user)


@dataclass(frozen=True)
class LoginRules:
    """When failed logins lock an account, and for how long."""

    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=10)

    @classmethod
    def of(cls, settings: Settings) -> "LoginRules":
        return cls(settings.login_max_failures,
                   timedelta(minutes=settings.login_lockout_minutes))


@dataclass(frozen=True)
class PasswordStep:
    """A right password: `token` opens a pending session (its own cookie) that only the
    second factor can turn into a real one; `enrol` if the account has none yet."""

    token: str
    enrol: bool


# A pending session waits this long for its second factor.
PENDING_MAX = timedelta(minutes=5)
_WRONG = N_("wrong username or password")


def check_password(db: Database, username: str, password: str,
                   rules: LoginRules = LoginRules()) -> PasswordStep:
    """First step of a login. A wrong username and a wrong password give the same answer in
    the same time, and so does a locked account against an unknown one."""
    now = datetime.now(UTC)
    with db.read() as conn:
        user = users.by_username(conn, username)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        ok = user is not None and user.active
    except (VerificationError, InvalidHashError):
        ok = False
    if _locked(user, username, now):
        _fail(db, user, username, rules, now, None)
    if user is None or not ok:
        _fail(db, user, username, rules, now,
              "unknown username" if user is None else "wrong password")
    with db.write() as conn:
        token = _open_pending(conn, user, now)
        if _hasher.check_needs_rehash(user.password_hash):
            users.set_password_hash(conn, user.id, hash_password(password))
    Access(db, user.principal()).record(AuditEvent(
        AuditAction.LOGIN_PASSWORD, detail=_second_factor_due(user)))
    return PasswordStep(token, enrol=not user.totp_enrolled)


def vouched_first_step(db: Database, user: users.UserRow, detail: str) -> PasswordStep:
    """First step of a login for an account another party identified (an OpenID Connect
    provider): the same pending session a right password opens, so that EMCO's second
    factor is still due. The caller has checked the account is active and not locked."""
    with db.write() as conn:
        token = _open_pending(conn, user, datetime.now(UTC))
    Access(db, user.principal()).record(AuditEvent(
        AuditAction.LOGIN_OIDC, detail=f"{detail}; {_second_factor_due(user)}"))
    return PasswordStep(token, enrol=not user.totp_enrolled)


def vouched_session(db: Database, user: users.UserRow, detail: str) -> tuple[str, Principal]:
    """A login whose two factors another party checked (a trusted provider's MFA): opens
    the session as the second step does, ending the account's others unless it may hold
    several. The caller has checked the account is active and not locked."""
    with db.write() as conn:
        token, ended = _open_session(conn, user, datetime.now(UTC))
    principal = user.principal()
    Access(db, principal).record(_success(ended, detail))
    return token, principal


def _open_pending(conn: Connection, user: users.UserRow, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    users.open_session(conn, _token_hash(token), user.id, now, pending=True)
    return token


def _second_factor_due(user: users.UserRow) -> str:
    return "second factor due" if user.totp_enrolled else "second factor to enrol"


def second_factor(db: Database, pending: str, code: str,
                  rules: LoginRules = LoginRules()) -> tuple[str, Principal]:
    """Second step: the code of the enrolled authenticator. Returns the session token."""
    user = _pending_user(db, pending)
    if not user.totp_enrolled or user.totp_secret is None:
        raise Unauthenticated(N_("this account has no second factor yet: enrol one"))
    return _finish(db, pending, user, code, rules, enrolling=False)


def enrolment(db: Database, pending: str) -> totp.Enrolment:
    """The secret to enrol, for a pending session of an account with no second factor:
    made once and kept, so reloading the page shows the same QR code."""
    user = _pending_user(db, pending)
    if user.totp_enrolled:
        raise Conflict(N_("a second factor is already enrolled for this account"))
    secret = user.totp_secret
    if secret is None:
        secret = totp.new_secret()
        with db.write() as conn:
            users.set_totp(conn, user.id, secret, None)
    return totp.enrolment(secret, user.username)


def confirm_enrolment(db: Database, pending: str, code: str,
                      rules: LoginRules = LoginRules()) -> tuple[str, Principal]:
    """The first code read from the new authenticator: enrols it and opens the session."""
    user = _pending_user(db, pending)
    if user.totp_enrolled:
        raise Conflict(N_("a second factor is already enrolled for this account"))
    if user.totp_secret is None:
        raise Unauthenticated(N_("open the enrolment page first"), field="code")
    return _finish(db, pending, user, code, rules, enrolling=True)


def login(db: Database, username: str, password: str, code: str,
          rules: LoginRules = LoginRules()) -> tuple[str, Principal]:
    """Both steps at once, for the API. An account enrols its second factor on the web."""
    step = check_password(db, username, password, rules)
    if step.enrol:
        _end(db, step.token)
        raise Unauthenticated(N_("this account has no second factor yet: log in once on "
                                 "the web page to enrol one"), field="code")
    return second_factor(db, step.token, code, rules)


def _finish(db: Database, pending: str, user: users.UserRow, code: str, rules: LoginRules,
            *, enrolling: bool) -> tuple[str, Principal]:
    now = datetime.now(UTC)
    if _locked(user, user.username, now):
        _end(db, pending)
        _fail(db, user, user.username, rules, now, None)
    assert user.totp_secret is not None
    step = totp.accepted_step(user.totp_secret, code, now, user.totp_last_step)
    with db.write() as conn:
        accepted = step is not None and users.accept_totp_step(conn, user.id, step)
    if not accepted:
        _fail(db, user, user.username, rules, now, "wrong second-factor code",
              pending=pending, field="code")
    with db.write() as conn:
        if enrolling:
            users.set_totp(conn, user.id, user.totp_secret, now)
            users.accept_totp_step(conn, user.id, step or 0)
        users.end_session(conn, _token_hash(pending), now)
        token, ended = _open_session(conn, user, now)
    principal = user.principal()
    gate = Access(db, principal)
    if enrolling:
        gate.record(AuditEvent(AuditAction.TOTP_ENROL, objects=[f"user:{user.username}"]))
    gate.record(_success(ended))
    return token, principal


def _open_session(conn: Connection, user: users.UserRow, now: datetime) -> tuple[str, int]:
    """Open a session with a new token (a pending one never becomes a session), ending the
    account's others unless it may hold several; returns the token and how many ended."""
    token = secrets.token_urlsafe(32)
    ended = 0 if user.concurrent_sessions else users.end_user_sessions(conn, user.id, now)
    users.clear_failures(conn, user.id)
    users.open_session(conn, _token_hash(token), user.id, now)
    return token, ended


def _success(ended: int, how: str | None = None) -> AuditEvent:
    """The audit row of a complete login, saying how many other sessions it ended."""
    parts = [how] if how else []
    if ended:
        parts.append(f"{ended} other session(s) ended")
    return AuditEvent(AuditAction.LOGIN_SUCCESS, detail="; ".join(parts) or None)


def _pending_user(db: Database, pending: str) -> users.UserRow:
    now = datetime.now(UTC)
    with db.read() as conn:
        row = users.session(conn, _token_hash(pending), pending=True) if pending else None
        user = users.by_id(conn, row["user_id"]) if row else None
    if row is None or user is None or not user.active:
        raise Unauthenticated(N_("please log in"))
    if now - utc(row["created_at"]) > PENDING_MAX:
        _end(db, pending)
        raise Unauthenticated(N_("the login took too long; please log in again"))
    return user


def _locked(user: users.UserRow | None, username: str, now: datetime) -> bool:
    if user is None:
        return _unknown.locked(username, now)
    return user.locked(now)


def _fail(db: Database, user: users.UserRow | None, username: str, rules: LoginRules,
          now: datetime, reason: str | None, *, pending: str | None = None,
          field: str | None = None) -> NoReturn:
    """Count a failure (or answer a lockout, when `reason` is None) and raise. `reason`
    goes to the audit row; the user reads it only for a `field` of their own input."""
    who = user.principal() if user else Principal(
        username=username[:100] or "?", agency="-", roles=frozenset())
    gate = Access(db, who)
    if reason is None:
        gate.record(AuditEvent(AuditAction.LOGIN_FAILURE, detail="account locked"),
                    Outcome.DENIED)
        raise _lockout(rules)
    if user is None:
        locked = _unknown.fail(username, now, rules)
    else:
        with db.write() as conn:
            locked = users.record_failure(conn, user.id, now, rules.max_failures,
                                          rules.lockout)
            if locked and pending:
                users.end_session(conn, _token_hash(pending), now)
    gate.record(AuditEvent(AuditAction.LOGIN_FAILURE, detail=reason), Outcome.DENIED)
    if locked:
        gate.record(AuditEvent(AuditAction.LOGIN_LOCKED, objects=[f"user:{username[:100]}"],
                               detail=f"{rules.max_failures} failures"), Outcome.DENIED)
        raise _lockout(rules)
    if field is None:
        raise Unauthenticated(_WRONG)
    raise Unauthenticated(N_("wrong second-factor code"), field=field)


def _lockout(rules: LoginRules) -> Unauthenticated:
    minutes = int(rules.lockout.total_seconds() // 60)
    return Unauthenticated(N_("too many failed logins: this account is locked for "
                              "%(minutes)s minutes", minutes=minutes))


class _UnknownNames:
    """Failures counted for usernames that have no account, in memory, so that they lock
    like real accounts do and a lockout never tells an account exists."""

    LIMIT = 10_000  # names remembered at most: the oldest are forgotten first

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: dict[str, list[datetime]] = {}
        self._locked: dict[str, datetime] = {}

    def locked(self, username: str, now: datetime) -> bool:
        with self._lock:
            until = self._locked.get(username)
            return until is not None and until > now

    def fail(self, username: str, now: datetime, rules: LoginRules) -> bool:
        with self._lock:
            times = [t for t in self._failures.pop(username, []) if now - t < rules.lockout]
            times.append(now)
            if len(times) >= rules.max_failures:
                self._locked[username] = now + rules.lockout
                return True
            self._failures[username] = times
            for table in (self._failures, self._locked):
                while len(table) > self.LIMIT:
                    table.pop(next(iter(table)))
            return False


_unknown = _UnknownNames()


def _end(db: Database, token: str) -> None:
    with db.write() as conn:
        users.end_session(conn, _token_hash(token), datetime.now(UTC))


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
    last_seen, created = utc(row["last_seen_at"]), utc(row["created_at"])
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

