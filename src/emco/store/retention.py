"""SQL of retention: the records past their date, their reviews, and the purge of a record
with everything derived from it.

Every table that names a record, by foreign key or by value (`tables.py`):
statements, record_keys, resolve_features, resolve_keys, record_entities, judgements
(either side), target_matches, targets (a record target: removed, its record cleared),
declarations, handling_requests, retention_reviews, risk_signals (about the record, or
reported by it), network_edges whose evidence names it, and the parts of assessments
that name it. Call detail records (`call_edges`) belong to a call batch, not to a
record, and are not touched.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, delete, exists, func, insert, or_, select, update

from emco.store.tables import (
    assessments,
    declarations,
    handling_requests,
    judgements,
    network_edges,
    record_entities,
    record_keys,
    records,
    resolve_features,
    resolve_keys,
    retention_reviews,
    risk_signals,
    statements,
    target_matches,
    targets,
)

PART = 1000  # ids per IN clause
REMOVED_BY = "retention"  # `targets.removed_by` of a record target whose record was purged


@dataclass(frozen=True)
class Expired:
    id: int
    agency: str
    source_id: str
    retain_until: date
    purge_decided: bool  # a review decided to purge it


@dataclass(frozen=True)
class Review:
    id: int
    record_id: int
    agency: str
    source_id: str
    schema: str
    retain_until: date
    due_on: date
    created_at: datetime
    decision: str | None
    keep_until: date | None
    decided_by: str | None


def _pending() -> Any:
    return and_(retention_reviews.c.record_id == records.c.id,
                retention_reviews.c.decision.is_(None))


def expired(conn: Connection, today: date, after: int = 0, limit: int = PART
            ) -> list[Expired]:
    """Records past their date (`retain_until` before `today`) and under no due review,
    in id order from `after` on."""
    decided = (select(func.count()).where(retention_reviews.c.record_id == records.c.id,
                                          retention_reviews.c.decision == "purge")
               .scalar_subquery())
    query = (select(records.c.id, records.c.agency_code, records.c.source_id,
                    records.c.retain_until, decided.label("purge"))
             .where(records.c.retain_until < today, records.c.id > after,
                    ~exists().where(_pending()))
             .order_by(records.c.id).limit(limit))
    return [Expired(int(r.id), r.agency_code, r.source_id, _day(r.retain_until),
                    bool(r.purge)) for r in conn.execute(query)]


def add_reviews(conn: Connection, ids: Sequence[int], due_on: date, now: datetime) -> None:
    if ids:
        conn.execute(insert(retention_reviews), [
            {"record_id": i, "due_on": due_on, "created_at": now} for i in ids])


def reviews(conn: Connection, agencies: frozenset[str] | None, due_only: bool = True
            ) -> list[Review]:
    """Reviews of the records of `agencies` (every service when None), oldest due first."""
    query = (select(retention_reviews, records.c.agency_code, records.c.source_id,
                    records.c.schema, records.c.retain_until)
             .join(records, records.c.id == retention_reviews.c.record_id))
    if agencies is not None:
        query = query.where(records.c.agency_code.in_(sorted(agencies)))
    if due_only:
        query = query.where(retention_reviews.c.decision.is_(None))
    query = query.order_by(retention_reviews.c.due_on, retention_reviews.c.id)
    return [_review(r) for r in conn.execute(query).mappings()]


def review(conn: Connection, review_id: int) -> Review | None:
    query = (select(retention_reviews, records.c.agency_code, records.c.source_id,
                    records.c.schema, records.c.retain_until)
             .join(records, records.c.id == retention_reviews.c.record_id)
             .where(retention_reviews.c.id == review_id))
    row = conn.execute(query).mappings().one_or_none()
    return None if row is None else _review(row)


def _review(r: Any) -> Review:
    return Review(int(r["id"]), int(r["record_id"]), r["agency_code"], r["source_id"],
                  r["schema"], _day(r["retain_until"]), _day(r["due_on"]), r["created_at"],
                  r["decision"], None if r["keep_until"] is None else _day(r["keep_until"]),
                  r["decided_by"])


def decide(conn: Connection, review_id: int, decision: str, keep_until: date | None,
           username: str, now: datetime) -> None:
    """Record a decision on a due review; a record kept is retained until `keep_until`."""
    conn.execute(update(retention_reviews).where(retention_reviews.c.id == review_id)
                 .values(decision=decision, keep_until=keep_until, decided_by=username,
                         decided_at=now))
    if keep_until is not None:
        record_id = select(retention_reviews.c.record_id).where(
            retention_reviews.c.id == review_id).scalar_subquery()
        conn.execute(update(records).where(records.c.id == record_id)
                     .values(retain_until=keep_until))


def entities_of(conn: Connection, ids: Sequence[int]) -> set[str]:
    out: set[str] = set()
    for part in _parts(ids):
        out.update(e for (e,) in conn.execute(select(record_entities.c.entity_id).where(
            record_entities.c.record_id.in_(part))))
    return out


def purge(conn: Connection, ids: Sequence[int], now: datetime) -> set[str]:
    """Delete the records `ids` and every row derived from them, in the caller's
    transaction. Returns the entities of the network edges removed (the records' own
    entities are read before, with `entities_of`)."""
    touched: set[str] = set()
    wanted = {int(i) for i in ids}
    touched |= _scrub_edges(conn, wanted)
    _scrub_assessments(conn, wanted)
    for part in _parts(sorted(wanted)):
        for table in (statements, record_keys, resolve_keys, resolve_features,
                      record_entities, target_matches, declarations, handling_requests,
                      retention_reviews):
            conn.execute(delete(table).where(table.c.record_id.in_(part)))
        conn.execute(delete(judgements).where(or_(judgements.c.left_id.in_(part),
                                                  judgements.c.right_id.in_(part))))
        conn.execute(delete(risk_signals).where(or_(risk_signals.c.record_id.in_(part),
                                                    risk_signals.c.source_record_id.in_(part))))
        conn.execute(update(targets).where(targets.c.record_id.in_(part),
                                           targets.c.removed_at.is_(None))
                     .values(removed_by=REMOVED_BY, removed_at=now))
        conn.execute(update(targets).where(targets.c.record_id.in_(part))
                     .values(record_id=None))
        conn.execute(delete(records).where(records.c.id.in_(part)))
    return touched


def _scrub_edges(conn: Connection, wanted: set[int]) -> set[str]:
    """Remove the projected edges a purged record is evidence of (derived data: the next
    mapping of the networks writes them again from the records that remain)."""
    doomed, touched = [], set()
    query = select(network_edges.c.id, network_edges.c.source, network_edges.c.target,
                   network_edges.c.evidence)
    for edge_id, source, target, evidence in conn.execute(query):
        if any(_record_number(e) in wanted for e in json.loads(evidence)):
            doomed.append(edge_id)
            touched |= {source, target}
    for part in _parts(doomed):
        conn.execute(delete(network_edges).where(network_edges.c.id.in_(part)))
    return touched


def _scrub_assessments(conn: Connection, wanted: set[int]) -> None:
    """Take out of the stored assessments the parts a purged record contributed (an
    assessment is history, kept; the record's signal in it is not)."""
    query = select(assessments.c.id, assessments.c.parts).where(
        assessments.c.parts.contains('"record": '))
    for assessment_id, text in conn.execute(query).all():
        parts = json.loads(text)
        kept = [p for p in parts if p.get("record") not in wanted
                and p.get("source_record") not in wanted]
        if len(kept) != len(parts):
            conn.execute(update(assessments).where(assessments.c.id == assessment_id)
                         .values(parts=json.dumps(kept, ensure_ascii=False)))


def _record_number(reference: str) -> int | None:
    kind, _, number = reference.partition(":")
    return int(number) if kind == "record" and number.isdigit() else None


def _parts(items: Sequence[int]) -> list[Sequence[int]]:
    return [items[i:i + PART] for i in range(0, len(items), PART)]


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
