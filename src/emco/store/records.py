"""Repository of records, their statements and search keys.

Reads take a `RecordScope` from the access policy and never return a record outside it;
the functions here are only called by `emco.access`.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from followthemoney import model
from followthemoney.exc import InvalidData
from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Connection,
    String,
    and_,
    any_,
    bindparam,
    case,
    func,
    insert,
    intersect,
    or_,
    select,
    text,
    tuple_,
    update,
)

from emco.model.enums import (
    BatchStatus,
    HandlingCode,
    InformationCredibility,
    PersonCategory,
    Protection,
    SourceReliability,
)
from emco.model.records import Key, ValidRecord
from emco.model.types import Fact, RecordMeta, RecordScope, RecordSummary, RecordView
from emco.store.db import Database
from emco.store.tables import batches, record_keys, records, statements

STATEMENT_COLUMNS = ("record_id", "n", "prop", "prop_type", "value", "original_value", "batch_id")
KEY_COLUMNS = ("kind", "key", "record_id")
REFERENCES_SHOWN = 200
RECORD_COLUMNS = ("agency_code", "source_id", "schema", "caption", "handling",
                  "handling_condition", "reliability", "credibility", "protection",
                  "category", "observed_on", "retain_until", "batch_id", "ingested_at",
                  "content_hash")


@dataclass
class ChunkCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: list[ValidRecord] = field(default_factory=list)  # not written


@dataclass
class BatchInfo:
    id: str
    agency: str
    username: str
    filename: str
    file_sha256: str
    format: str
    mapping_sha256: str | None
    started_at: datetime


def scope_filter(scope: RecordScope) -> ColumnElement[bool]:
    clauses = [records.c.protection.in_(sorted(scope.protections))]
    if scope.agencies is not None:
        clauses.append(records.c.agency_code.in_(sorted(scope.agencies)))
    return and_(*clauses)


# --- writing -------------------------------------------------------------------------------

def create_batch(conn: Connection, info: BatchInfo) -> None:
    conn.execute(insert(batches).values(
        id=info.id, agency_code=info.agency, username=info.username, filename=info.filename,
        file_sha256=info.file_sha256, format=info.format, mapping_sha256=info.mapping_sha256,
        status=BatchStatus.RUNNING.value, started_at=info.started_at, accepted=0, rejected=0,
        created=0, updated=0, unchanged=0))


def update_batch(conn: Connection, batch_id: str, **values: Any) -> None:
    conn.execute(update(batches).where(batches.c.id == batch_id).values(**values))


def write_chunk(db: Database, conn: Connection, agency: str, batch_id: str,
                chunk: Sequence[ValidRecord]) -> ChunkCounts:
    """Store a chunk of valid records of one agency, inside the caller's transaction.

    A record seen before with the same content is left alone; with other content, its
    statements are retired and the new ones asserted; a second fragment of a record in the
    same batch adds its facts to the first."""
    counts = ChunkCounts()
    now = datetime.now(UTC)
    existing = _existing(conn, agency, [r.source_id for r in chunk])
    new: list[ValidRecord] = []
    replaced: list[tuple[int, ValidRecord]] = []
    merged: list[tuple[int, ValidRecord]] = []
    for rec in chunk:
        row = existing.get(rec.source_id)
        if row is None:
            new.append(rec)
        elif row["batch_id"] == batch_id:
            merged.append((row["id"], rec))
        elif row["content_hash"] == rec.content_hash:
            counts.unchanged += 1
        else:
            replaced.append((row["id"], rec))
    if merged:
        joined, counts.conflicts = _merge_fragments(conn, merged)
        replaced.extend(joined)
    fresh = list(zip(_allocate_ids(conn, len(new)), new, strict=True))
    stamp = db.timestamp(now)
    db.bulk_insert(conn, records, ("id", *RECORD_COLUMNS),
                   [(rid, *_record_row(agency, batch_id, stamp, r)) for rid, r in fresh])
    counts.created = len(new)
    if replaced:
        ids_replaced = [rid for rid, _ in replaced]
        conn.execute(
            update(records).where(records.c.id == bindparam("rid")),
            [{"rid": rid, **_record_values(batch_id, now, r)} for rid, r in replaced])
        for part in _parts(ids_replaced):
            conn.execute(update(statements)
                         .where(statements.c.record_id.in_(part),
                                statements.c.retired_batch_id.is_(None))
                         .values(retired_batch_id=batch_id))
            conn.execute(record_keys.delete().where(record_keys.c.record_id.in_(part)))
        counts.updated = len(replaced) - len(merged) + len(counts.conflicts)
    after = _next_positions(conn, [rid for rid, _ in replaced])
    db.bulk_insert(conn, statements, STATEMENT_COLUMNS,
                   [(rid, after.get(rid, 0) + n, *s, batch_id)
                    for rid, r in fresh + replaced for n, s in enumerate(r.statements)])
    written = fresh + replaced
    db.bulk_insert(conn, record_keys, KEY_COLUMNS,
                   [(k[0], k[1], rid) for rid, r in written for k in r.keys])
    return counts


def _merge_fragments(conn: Connection, merged: list[tuple[int, ValidRecord]]
                     ) -> tuple[list[tuple[int, ValidRecord]], list[ValidRecord]]:
    """Second fragments of records this batch already wrote: the union of both, to be
    rewritten in place of the first; and the fragments that cannot join theirs."""
    out, conflicts = [], []
    for rid, rec in merged:
        try:
            out.append((rid, _stored_record(conn, rid).merge(rec)))
        except InvalidData:
            conflicts.append(rec)
    ids = [rid for rid, _ in out]
    # The first fragment's statements belong to this batch: drop them rather than retire.
    for part in _parts(ids):
        conn.execute(statements.delete().where(statements.c.record_id.in_(part),
                                               statements.c.retired_batch_id.is_(None)))
        conn.execute(record_keys.delete().where(record_keys.c.record_id.in_(part)))
    return out, conflicts


def _stored_record(conn: Connection, rid: int) -> ValidRecord:
    row = conn.execute(select(records).where(records.c.id == rid)).mappings().one()
    facts = conn.execute(
        select(statements.c.prop, statements.c.prop_type, statements.c.value,
               statements.c.original_value)
        .where(statements.c.record_id == rid, statements.c.retired_batch_id.is_(None))
        .order_by(statements.c.n)).all()
    keys: set[Key] = {(k.kind, k.key) for k in conn.execute(
        select(record_keys.c.kind, record_keys.c.key).where(record_keys.c.record_id == rid))}
    return ValidRecord(0, row["source_id"], row["schema"], row["caption"], _meta(row),
                       [(f[0], f[1], f[2], f[3]) for f in facts], keys)


def _next_positions(conn: Connection, ids: list[int]) -> dict[int, int]:
    """Per record, the position after its last statement (current or retired)."""
    out: dict[int, int] = {}
    for part in _parts(ids):
        query = (select(statements.c.record_id, func.max(statements.c.n))
                 .where(statements.c.record_id.in_(part)).group_by(statements.c.record_id))
        out.update({int(rid): int(last) + 1 for rid, last in conn.execute(query)})
    return out


def _allocate_ids(conn: Connection, n: int) -> list[int]:
    """Ids for `n` new records, known before insertion so that statements can be bulk
    loaded with them."""
    if n == 0:
        return []
    if conn.dialect.name == "sqlite":  # the write lock is held: nobody else inserts
        start = conn.execute(select(func.coalesce(func.max(records.c.id), 0))).scalar_one()
        return list(range(start + 1, start + 1 + n))
    query = text("SELECT nextval(pg_get_serial_sequence('records', 'id')) "
                 "FROM generate_series(1, :n)")
    return [int(v) for v in conn.execute(query, {"n": n}).scalars()]


def _existing(conn: Connection, agency: str, source_ids: list[str]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for part in _parts(sorted(set(source_ids))):
        if conn.dialect.name == "postgresql":  # one array parameter, not thousands
            match = records.c.source_id == any_(bindparam("ids", list(part),
                                                          type_=ARRAY(String)))
        else:
            match = records.c.source_id.in_(part)
        query = select(records.c.id, records.c.source_id, records.c.content_hash,
                       records.c.batch_id).where(records.c.agency_code == agency, match)
        for row in conn.execute(query).mappings():
            found[row["source_id"]] = row
    return found


def _parts(items: Sequence[Any], size: int = 5000) -> list[Sequence[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _record_values(batch_id: str, now: datetime, r: ValidRecord) -> dict[str, Any]:
    m = r.meta
    values = dict(zip(RECORD_COLUMNS[2:], _record_row("", batch_id, now, r)[2:], strict=True))
    values.update(observed_on=m.observed, retain_until=m.retention)
    return values


def _record_row(agency: str, batch_id: str, now: Any, r: ValidRecord) -> tuple[Any, ...]:
    """The values of RECORD_COLUMNS, in order (dates as ISO text, read alike by both
    backends)."""
    m = r.meta
    return (agency, r.source_id, r.schema, r.caption[:10_000], m.handling.value,
            m.handling_condition, m.reliability.value, m.credibility.value,
            m.protection.value, m.category.value if m.category else None,
            m.observed.isoformat() if m.observed else None,
            m.retention.isoformat() if m.retention else None, batch_id, now, r.content_hash)


# --- reading -------------------------------------------------------------------------------

def _meta(row: Any) -> RecordMeta:
    return RecordMeta(
        handling=HandlingCode(row["handling"]),
        reliability=SourceReliability(row["reliability"]),
        credibility=InformationCredibility(row["credibility"]),
        protection=Protection(row["protection"]),
        category=PersonCategory(row["category"]) if row["category"] else None,
        observed=_as_date(row["observed_on"]),
        retention=_as_date(row["retain_until"]),
        handling_condition=row["handling_condition"],
    )


def _as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _summary(row: Any) -> RecordSummary:
    return RecordSummary(id=row["id"], agency=row["agency_code"], source_id=row["source_id"],
                         schema=row["schema"], caption=row["caption"], meta=_meta(row))


def search(conn: Connection, scope: RecordScope, tokens: list[str], identifiers: list[Key],
           limit: int) -> tuple[int, list[RecordSummary]]:
    """Records in scope whose name holds every token, or that carry one of the
    identifiers; identifier hits first. Returns the total and the first `limit`."""
    by_name = [select(record_keys.c.record_id).where(record_keys.c.kind == "token",
                                                     record_keys.c.key == t) for t in tokens]
    by_id = select(record_keys.c.record_id).where(
        tuple_(record_keys.c.kind, record_keys.c.key).in_(identifiers))
    matches: list[ColumnElement[bool]] = []
    if by_name:  # SQLite cannot nest an INTERSECT in a UNION: two IN clauses instead
        named = intersect(*by_name).subquery() if len(by_name) > 1 else by_name[0].subquery()
        matches.append(records.c.id.in_(select(named.c.record_id)))
    if identifiers:
        matches.append(records.c.id.in_(by_id))
    if not matches:
        return 0, []
    where = and_(scope_filter(scope), or_(*matches))
    total = conn.execute(select(func.count()).select_from(records).where(where)).scalar_one()
    order: list[Any] = [records.c.caption, records.c.id]
    if identifiers:
        order.insert(0, case((records.c.id.in_(by_id), 0), else_=1))
    rows = conn.execute(select(records).where(where).order_by(*order).limit(limit)).mappings()
    return int(total), [_summary(r) for r in rows]


def get(conn: Connection, scope: RecordScope, record_id: int) -> RecordView | None:
    """A record in scope with its current facts, the records its facts point at and the
    records pointing at it (same service, in scope)."""
    row = conn.execute(select(records).where(records.c.id == record_id, scope_filter(scope))
                       ).mappings().one_or_none()
    if row is None:
        return None
    agency = row["agency_code"]
    schema = model.get(row["schema"])
    rows = conn.execute(
        select(statements).where(statements.c.record_id == record_id,
                                 statements.c.retired_batch_id.is_(None))
        .order_by(statements.c.n)).mappings().all()
    targets = [s["value"] for s in rows if s["prop_type"] == "entity"]
    refs = {r.source_id: r.id for r in _by_source_ids(conn, scope, agency, targets)}
    facts = []
    for s in rows:
        prop = schema.get(s["prop"]) if schema else None
        facts.append(Fact(prop=s["prop"], prop_label=prop.label if prop else s["prop"],
                          prop_type=s["prop_type"], value=s["value"],
                          original_value=s["original_value"], ref=refs.get(s["value"])))
    pointing = select(record_keys.c.record_id).where(record_keys.c.kind == "ref",
                                                     record_keys.c.key == row["source_id"])
    back = conn.execute(select(records).where(
        records.c.id.in_(pointing), records.c.agency_code == agency, scope_filter(scope))
        .order_by(records.c.schema, records.c.caption).limit(REFERENCES_SHOWN)).mappings()
    return RecordView(summary=_summary(row), batch=row["batch_id"],
                      ingested_at=row["ingested_at"], facts=facts,
                      referenced_by=[_summary(r) for r in back])


def _by_source_ids(conn: Connection, scope: RecordScope, agency: str, source_ids: list[str]
                   ) -> list[RecordSummary]:
    if not source_ids:
        return []
    rows = conn.execute(select(records).where(
        records.c.agency_code == agency, records.c.source_id.in_(source_ids),
        scope_filter(scope))).mappings()
    return [_summary(r) for r in rows]


def count_by_agency(conn: Connection, scope: RecordScope) -> dict[str, int]:
    rows = conn.execute(select(records.c.agency_code, func.count())
                        .where(scope_filter(scope)).group_by(records.c.agency_code))
    return {r[0]: int(r[1]) for r in rows}
