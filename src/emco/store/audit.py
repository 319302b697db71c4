"""SQL of the audit chain: append under the head lock, read in order."""

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from emco.errors import IntegrityError
from emco.store.tables import audit_events, audit_head

GENESIS = "0" * 64


def lock_head(conn: Connection) -> tuple[int, str]:
    """The last sequence number and hash, locked until the transaction ends."""
    query = select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)
    if conn.dialect.name == "postgresql":
        query = query.with_for_update()
    row = conn.execute(query).one_or_none()
    if row is None:
        raise IntegrityError("the audit log has no head row; run `emco db upgrade`")
    return int(row.seq), str(row.hash)


def append(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(insert(audit_events).values(**row))
    conn.execute(update(audit_head).where(audit_head.c.id == 1)
                 .values(seq=row["seq"], hash=row["hash"]))


def head(conn: Connection) -> tuple[int, str]:
    row = conn.execute(select(audit_head.c.seq, audit_head.c.hash)).one_or_none()
    return (0, GENESIS) if row is None else (int(row.seq), str(row.hash))


def rows(conn: Connection, batch: int = 5000) -> Iterator[dict[str, Any]]:
    """Every audit row in sequence order, read in batches."""
    last = -1
    while True:
        chunk = conn.execute(
            select(audit_events).where(audit_events.c.seq > last)
            .order_by(audit_events.c.seq).limit(batch)
        ).mappings().all()
        if not chunk:
            return
        for row in chunk:
            yield dict(row)
        last = chunk[-1]["seq"]


def count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(audit_events)).scalar_one())


def recent(conn: Connection, limit: int) -> list[dict[str, Any]]:
    query = select(audit_events).order_by(audit_events.c.seq.desc()).limit(limit)
    return [dict(r) for r in conn.execute(query).mappings()]
