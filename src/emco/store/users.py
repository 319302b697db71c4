"""Repository of user accounts and their web sessions."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, insert, select, update

from emco.access import serverkey
from emco.model.enums import Protection, Role
from emco.model.types import Principal
from emco.store.db import utc
from emco.store.tables import sessions, users


@dataclass(frozen=True)
class UserRow:
    id: int
    username: str
    display_name: str
    agency: str
    roles: frozenset[Role]
    clearance: Protection
    password_hash: str
    locale: str | None
    active: bool
    failed_logins: int = 0
    locked_until: datetime | None = None
    totp_sealed: str | None = None  # as stored: sealed with the server key
    totp_enrolled: bool = False
    totp_last_step: int | None = None
    concurrent_sessions: bool = False
    oidc_issuer: str | None = None
    oidc_subject: str | None = None

    @property
    def totp_secret(self) -> str | None:
        """The second factor's shared secret in clear; `UnreadableSecret`, naming the
        account, when the server's key does not open it (`emco.access.serverkey`)."""
        return None if self.totp_sealed is None else serverkey.unseal_totp(
            self.totp_sealed, self.username)

    def principal(self) -> Principal:
        return Principal(username=self.username, agency=self.agency, roles=self.roles,
                         clearance=self.clearance, user_id=self.id)

    def locked(self, now: datetime) -> bool:
        """Whether too many failed logins lock the account at `now`."""
        return self.locked_until is not None and self.locked_until > now


def _user(row: Any) -> UserRow:
    return UserRow(id=row["id"], username=row["username"], display_name=row["display_name"],
                   agency=row["agency_code"],
                   roles=frozenset(Role(r) for r in row["roles"].split(",") if r),
                   clearance=Protection(row["clearance"]), password_hash=row["password_hash"],
                   locale=row["locale"], active=bool(row["active"]),
                   failed_logins=row["failed_logins"], locked_until=utc(row["locked_until"]),
                   totp_sealed=row["totp_secret"],
                   totp_enrolled=row["totp_enrolled_at"] is not None,
                   totp_last_step=row["totp_last_step"],
                   concurrent_sessions=bool(row["concurrent_sessions"]),
                   oidc_issuer=row["oidc_issuer"], oidc_subject=row["oidc_subject"])


def by_username(conn: Connection, username: str) -> UserRow | None:
    row = conn.execute(select(users).where(users.c.username == username)).mappings().first()
    return _user(row) if row else None


def by_id(conn: Connection, user_id: int) -> UserRow | None:
    row = conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
    return _user(row) if row else None


def by_oidc(conn: Connection, issuer: str, subject: str) -> UserRow | None:
    """The account linked to an identity provider's subject, if any."""
    row = conn.execute(select(users).where(users.c.oidc_issuer == issuer,
                                           users.c.oidc_subject == subject)).mappings().first()
    return _user(row) if row else None


def set_oidc(conn: Connection, user_id: int, issuer: str | None, subject: str | None) -> None:
    """Link an account to a provider's subject, or unlink it with None, None."""
    conn.execute(update(users).where(users.c.id == user_id)
                 .values(oidc_issuer=issuer, oidc_subject=subject))


def create(conn: Connection, *, username: str, display_name: str, agency: str,
           roles: frozenset[Role], clearance: Protection, password_hash: str,
           now: datetime) -> int:
    result = conn.execute(insert(users).values(
        username=username, display_name=display_name, agency_code=agency,
        roles=",".join(sorted(roles)), clearance=clearance.value, password_hash=password_hash,
        active=True, created_at=now).returning(users.c.id))
    return int(result.scalar_one())


def set_password_hash(conn: Connection, user_id: int, password_hash: str) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash))


def set_locale(conn: Connection, user_id: int, locale: str) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(locale=locale))


def open_session(conn: Connection, token_hash: str, user_id: int, now: datetime,
                 pending: bool = False) -> None:
    conn.execute(insert(sessions).values(token_hash=token_hash, user_id=user_id,
                                         created_at=now, last_seen_at=now, pending=pending))


def session(conn: Connection, token_hash: str, pending: bool = False) -> dict[str, Any] | None:
    """An open session: a full one, or (`pending`) one waiting for its second factor."""
    row = conn.execute(select(sessions).where(
        sessions.c.token_hash == token_hash, sessions.c.ended_at.is_(None),
        sessions.c.pending == pending)).mappings().first()
    return dict(row) if row else None


def end_user_sessions(conn: Connection, user_id: int, now: datetime) -> int:
    """End every open session of a user; returns how many."""
    result = conn.execute(update(sessions).where(
        sessions.c.user_id == user_id, sessions.c.ended_at.is_(None)).values(ended_at=now))
    return int(result.rowcount)


def record_failure(conn: Connection, user_id: int, now: datetime, max_failures: int,
                   lockout: timedelta) -> bool:
    """Count a failed login; lock the account at the `max_failures`-th. True if it locked."""
    conn.execute(update(users).where(users.c.id == user_id)
                 .values(failed_logins=users.c.failed_logins + 1))
    locked = conn.execute(update(users).where(
        users.c.id == user_id, users.c.failed_logins >= max_failures).values(
        failed_logins=0, locked_until=now + lockout))
    return bool(locked.rowcount)


def clear_failures(conn: Connection, user_id: int) -> None:
    conn.execute(update(users).where(users.c.id == user_id)
                 .values(failed_logins=0, locked_until=None))


def set_totp(conn: Connection, user_id: int, secret: str | None,
             enrolled_at: datetime | None) -> None:
    """Store a second-factor secret (enrolled or not yet), sealed with the server key, or
    clear it with None."""
    conn.execute(update(users).where(users.c.id == user_id).values(
        totp_secret=None if secret is None else serverkey.seal(secret),
        totp_enrolled_at=enrolled_at, totp_last_step=None))


def accept_totp_step(conn: Connection, user_id: int, step: int) -> bool:
    """Mark a code's time step used, unless this or a later one already was: of two
    requests racing with the same code, one wins."""
    result = conn.execute(update(users).where(
        users.c.id == user_id,
        (users.c.totp_last_step.is_(None)) | (users.c.totp_last_step < step)).values(
        totp_last_step=step))
    return bool(result.rowcount)


def set_concurrent_sessions(conn: Connection, user_id: int, allowed: bool) -> None:
    conn.execute(update(users).where(users.c.id == user_id)
                 .values(concurrent_sessions=allowed))


def touch_session(conn: Connection, token_hash: str, now: datetime) -> None:
    conn.execute(update(sessions).where(sessions.c.token_hash == token_hash)
                 .values(last_seen_at=now))


def end_session(conn: Connection, token_hash: str, now: datetime) -> None:
    conn.execute(update(sessions).where(sessions.c.token_hash == token_hash,
                                        sessions.c.ended_at.is_(None)).values(ended_at=now))
