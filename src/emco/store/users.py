"""Repository of user accounts and their web sessions."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from emco.model.enums import Protection, Role
from emco.model.types import Principal
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

    def principal(self) -> Principal:
        return Principal(username=self.username, agency=self.agency, roles=self.roles,
                         clearance=self.clearance, user_id=self.id)


def _user(row: Any) -> UserRow:
    return UserRow(id=row["id"], username=row["username"], display_name=row["display_name"],
                   agency=row["agency_code"],
                   roles=frozenset(Role(r) for r in row["roles"].split(",") if r),
                   clearance=Protection(row["clearance"]), password_hash=row["password_hash"],
                   locale=row["locale"], active=bool(row["active"]))


def by_username(conn: Connection, username: str) -> UserRow | None:
    row = conn.execute(select(users).where(users.c.username == username)).mappings().first()
    return _user(row) if row else None


def by_id(conn: Connection, user_id: int) -> UserRow | None:
    row = conn.execute(select(users).where(users.c.id == user_id)).mappings().first()
    return _user(row) if row else None


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


def open_session(conn: Connection, token_hash: str, user_id: int, now: datetime) -> None:
    conn.execute(insert(sessions).values(token_hash=token_hash, user_id=user_id,
                                         created_at=now, last_seen_at=now))


def session(conn: Connection, token_hash: str) -> dict[str, Any] | None:
    row = conn.execute(select(sessions).where(sessions.c.token_hash == token_hash,
                                              sessions.c.ended_at.is_(None))).mappings().first()
    return dict(row) if row else None


def touch_session(conn: Connection, token_hash: str, now: datetime) -> None:
    conn.execute(update(sessions).where(sessions.c.token_hash == token_hash)
                 .values(last_seen_at=now))


def end_session(conn: Connection, token_hash: str, now: datetime) -> None:
    conn.execute(update(sessions).where(sessions.c.token_hash == token_hash,
                                        sessions.c.ended_at.is_(None)).values(ended_at=now))
