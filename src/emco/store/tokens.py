"""Repository of service API tokens (only their SHA-256 is kept)."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from emco.store.db import utc
from emco.store.tables import api_tokens, users


@dataclass(frozen=True)
class TokenRow:
    id: int
    prefix: str
    name: str
    user_id: int
    username: str
    scopes: frozenset[str]
    created_by: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


def _row(row: Any) -> TokenRow:
    return TokenRow(id=row["id"], prefix=row["prefix"], name=row["name"],
                    user_id=row["user_id"], username=row["username"],
                    scopes=frozenset(s for s in row["scopes"].split(",") if s),
                    created_by=row["created_by"], created_at=utc(row["created_at"]),
                    expires_at=utc(row["expires_at"]),
                    revoked_at=utc(row["revoked_at"]),
                    last_used_at=utc(row["last_used_at"]))


_SELECT = select(api_tokens, users.c.username).join(users, users.c.id == api_tokens.c.user_id)


def create(conn: Connection, *, token_hash: str, prefix: str, name: str, user_id: int,
           scopes: frozenset[str], created_by: str, now: datetime,
           expires_at: datetime) -> int:
    result = conn.execute(insert(api_tokens).values(
        token_hash=token_hash, prefix=prefix, name=name, user_id=user_id,
        scopes=",".join(sorted(scopes)), created_by=created_by, created_at=now,
        expires_at=expires_at).returning(api_tokens.c.id))
    return int(result.scalar_one())


def by_hash(conn: Connection, token_hash: str) -> TokenRow | None:
    row = conn.execute(_SELECT.where(api_tokens.c.token_hash == token_hash)).mappings().first()
    return _row(row) if row else None


def by_id(conn: Connection, token_id: int) -> TokenRow | None:
    row = conn.execute(_SELECT.where(api_tokens.c.id == token_id)).mappings().first()
    return _row(row) if row else None


def of_user(conn: Connection, user_id: int | None) -> list[TokenRow]:
    """The tokens of one user, or of everyone (None), newest first."""
    query = _SELECT.order_by(api_tokens.c.id.desc())
    if user_id is not None:
        query = query.where(api_tokens.c.user_id == user_id)
    return [_row(r) for r in conn.execute(query).mappings()]


def revoke(conn: Connection, token_id: int, now: datetime) -> bool:
    result = conn.execute(update(api_tokens).where(
        api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None)).values(revoked_at=now))
    return bool(result.rowcount)


def touch(conn: Connection, token_id: int, now: datetime) -> None:
    conn.execute(update(api_tokens).where(api_tokens.c.id == token_id)
                 .values(last_used_at=now))
