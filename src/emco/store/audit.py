"""SQL of the audit chain: append under the head lock, read in order, select for the
auditors, purge what is past its keeping period (from the anchor of the last purge on)."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    delete,
    func,
    insert,
    select,
    true,
    update,
)

from emco.errors import IntegrityError
from emco.store.tables import audit_events, audit_head, audit_purges

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
    """Add the row and move the head to it: one statement on PostgreSQL (the insert as a
    data-modifying CTE of the update), two on SQLite."""
    added = insert(audit_events).values(**row)
    moved = update(audit_head).where(audit_head.c.id == 1).values(seq=row["seq"],
                                                                   hash=row["hash"])
    if conn.dialect.name == "postgresql":
        conn.execute(moved.add_cte(added.cte("added")))
        return
    conn.execute(added)
    conn.execute(moved)


def head(conn: Connection) -> tuple[int, str]:
    row = conn.execute(select(audit_head.c.seq, audit_head.c.hash)).one_or_none()
    return (0, GENESIS) if row is None else (int(row.seq), str(row.hash))


@dataclass(frozen=True)
class AuditFilter:
    """A selection of the log. `action` ending in ":" is a prefix; `obj` is one "kind:id"
    reference among a row's objects; times are aware (UTC), `until` exclusive."""

    username: str | None = None
    agency: str | None = None
    action: str | None = None
    obj: str | None = None
    outcome: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _where(f: AuditFilter) -> ColumnElement[bool]:
    c = audit_events.c
    parts: list[ColumnElement[bool]] = []
    if f.username:
        parts.append(c.username == f.username)
    if f.agency:
        parts.append(c.agency_code == f.agency)
    if f.action:
        parts.append(c.action.startswith(f.action, autoescape=True) if f.action.endswith(":")
                     else c.action == f.action)
    if f.obj:  # the JSON list holds each reference in quotes: a whole-element match
        parts.append(c.objects.contains(f'"{f.obj}"', autoescape=True))
    if f.outcome:
        parts.append(c.outcome == f.outcome)
    if f.since:
        parts.append(c.at >= f.since)
    if f.until:
        parts.append(c.at < f.until)
    return and_(true(), *parts)


def rows(conn: Connection, f: AuditFilter | None = None, batch: int = 5000
         ) -> Iterator[dict[str, Any]]:
    """Every audit row (of the selection `f`, when given) in sequence order, read in
    batches."""
    last = -1
    where = _where(f or AuditFilter())
    while True:
        chunk = conn.execute(
            select(audit_events).where(where, audit_events.c.seq > last)
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


# --- for the auditors -----------------------------------------------------------------------

def search(conn: Connection, f: AuditFilter, limit: int, before: int | None
           ) -> list[dict[str, Any]]:
    """The rows of the selection, newest first, older than row `before` when given
    (keyset paging: a page stays the same however many rows are appended meanwhile)."""
    query = select(audit_events).where(_where(f))
    if before is not None:
        query = query.where(audit_events.c.seq < before)
    query = query.order_by(audit_events.c.seq.desc()).limit(limit)
    return [dict(r) for r in conn.execute(query).mappings()]


# --- keeping period ---------------------------------------------------------------------------

def anchor(conn: Connection) -> tuple[int, str]:
    """Where the chain starts: the last row purged and its hash, or the genesis."""
    row = conn.execute(select(audit_purges.c.through_seq, audit_purges.c.through_hash)
                       .order_by(audit_purges.c.through_seq.desc()).limit(1)).one_or_none()
    return (0, GENESIS) if row is None else (int(row.through_seq), str(row.through_hash))


def last_before(conn: Connection, cutoff: datetime) -> tuple[int, str] | None:
    """The last row of the unbroken run of rows, from the start of the log, written
    before `cutoff`: the rows a purge may remove. None when there is none."""
    first_kept = conn.execute(select(func.min(audit_events.c.seq))
                              .where(audit_events.c.at >= cutoff)).scalar_one_or_none()
    query = select(audit_events.c.seq, audit_events.c.hash)
    if first_kept is not None:
        query = query.where(audit_events.c.seq < first_kept)
    row = conn.execute(query.order_by(audit_events.c.seq.desc()).limit(1)).one_or_none()
    return None if row is None else (int(row.seq), str(row.hash))


def purge_through(conn: Connection, seq: int, hash_: str, username: str,
                  at: datetime) -> int:
    """Delete the rows up to `seq` and record the new anchor; returns the rows deleted."""
    removed = conn.execute(delete(audit_events).where(audit_events.c.seq <= seq)).rowcount
    conn.execute(insert(audit_purges).values(at=at, through_seq=seq, through_hash=hash_,
                                             rows=removed, username=username))
    return int(removed)


def purges(conn: Connection) -> list[dict[str, Any]]:
    query = select(audit_purges).order_by(audit_purges.c.through_seq)
    return [dict(r) for r in conn.execute(query).mappings()]
