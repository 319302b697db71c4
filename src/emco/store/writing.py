"""Writing one batch of an agency's records: new ones, changed ones, fragments.

Semantics, for a record (an agency's id) met in a batch:
- new: stored with its statements and keys;
- met before with the same content: left alone;
- met before with other content: its statements are retired (kept, marked with the batch)
  and the new ones asserted after them;
- met again in the same batch (a fragment: FollowTheMoney files may give an entity on
  several lines): the fragments are joined;
- a fragment that only repeats part of what is stored is held back until the end of the
  batch: if the batch's fragments together equal the stored record, nothing changes;
  otherwise the record becomes their union.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

from followthemoney import model
from followthemoney.exc import InvalidData
from sqlalchemy import (
    ARRAY,
    Connection,
    String,
    any_,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)

from emco.model.enums import BatchStatus
from emco.model.records import Key, ValidRecord, merge_meta, retain_until
from emco.model.types import RecordMeta
from emco.store.db import Database
from emco.store.records import as_date, current_facts, meta_of
from emco.store.tables import batches, record_keys, records, statements

STATEMENT_COLUMNS = ("record_id", "n", "prop", "prop_type", "value", "original_value", "batch_id")
KEY_COLUMNS = ("kind", "key", "record_id")
RECORD_COLUMNS = ("agency_code", "source_id", "schema", "caption", "handling",
                  "handling_condition", "reliability", "credibility", "protection",
                  "category", "observed_on", "retention_given", "retain_until", "batch_id",
                  "ingested_at", "content_hash")


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


@dataclass
class ChunkCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    conflicts: list[ValidRecord] = field(default_factory=list)  # not written


@dataclass
class _Held:
    """A record whose fragments so far only repeat what is stored."""

    record_id: int
    stored_hash: str
    stored: ValidRecord
    union: ValidRecord


def create_batch(conn: Connection, info: BatchInfo) -> None:
    conn.execute(insert(batches).values(
        id=info.id, agency_code=info.agency, username=info.username, filename=info.filename,
        file_sha256=info.file_sha256, format=info.format, mapping_sha256=info.mapping_sha256,
        status=BatchStatus.RUNNING.value, started_at=info.started_at, accepted=0, rejected=0,
        created=0, updated=0, unchanged=0))


def update_batch(conn: Connection, batch_id: str, **values: Any) -> None:
    conn.execute(update(batches).where(batches.c.id == batch_id).values(**values))


class BatchWriter:
    """Writes the chunks of one batch, each inside the caller's transaction."""

    def __init__(self, db: Database, agency: str, batch_id: str, defaults: RecordMeta,
                 retention_years: int, today: date) -> None:
        self.db = db
        self.agency = agency
        self.batch_id = batch_id
        self.defaults = defaults
        self.retention_years = retention_years
        self.today = today
        self.held: dict[str, _Held] = {}

    def write(self, conn: Connection, chunk: Sequence[ValidRecord]) -> ChunkCounts:
        counts = ChunkCounts()
        existing = _existing(conn, self.agency, [r.source_id for r in chunk
                                                 if r.source_id not in self.held])
        new: list[ValidRecord] = []
        replace: list[tuple[int, ValidRecord]] = []
        join: list[tuple[int, ValidRecord]] = []
        differing: list[tuple[Any, ValidRecord]] = []
        for rec in chunk:
            if rec.source_id in self.held:
                self._hold_more(rec, replace, counts)
                continue
            row = existing.get(rec.source_id)
            if row is None:
                new.append(rec)
            elif row["batch_id"] == self.batch_id:
                join.append((row["id"], rec))
            elif row["content_hash"] == rec.content_hash:
                counts.unchanged += 1
            else:
                differing.append((row, rec))
        stored = _stored_records(conn, [row["id"] for row, _ in differing])
        for row, rec in differing:
            current = stored[row["id"]]
            if _repeats(rec, current, self.defaults):
                self.held[rec.source_id] = _Held(row["id"], row["content_hash"], current, rec)
            else:
                replace.append((row["id"], rec))
                counts.updated += 1
        if join:
            joined, counts.conflicts = self._join(conn, join)
            replace.extend(joined)
        self._store(conn, new, replace)
        counts.created = len(new)
        return counts

    def finish(self, conn: Connection) -> ChunkCounts:
        """Settle the records held back: unchanged, or reduced to what the batch gave."""
        counts = ChunkCounts()
        replace = []
        for held in self.held.values():
            if held.union.content_hash == held.stored_hash:
                counts.unchanged += 1
            else:
                replace.append((held.record_id, held.union))
                counts.updated += 1
        self.held.clear()
        self._store(conn, [], replace)
        return counts

    def _hold_more(self, rec: ValidRecord, replace: list[tuple[int, ValidRecord]],
                   counts: ChunkCounts) -> None:
        held = self.held[rec.source_id]
        try:
            held.union = held.union.merge(rec, self.defaults)
        except InvalidData:
            counts.conflicts.append(rec)
            return
        if not _repeats(held.union, held.stored, self.defaults):  # something new: write now
            del self.held[rec.source_id]
            replace.append((held.record_id, held.union))
            counts.updated += 1

    def _join(self, conn: Connection, join: list[tuple[int, ValidRecord]]
              ) -> tuple[list[tuple[int, ValidRecord]], list[ValidRecord]]:
        """Fragments of records this batch already wrote: their union replaces what the
        batch wrote (those statements are this batch's own: deleted, not retired)."""
        stored = _stored_records(conn, [rid for rid, _ in join])
        out, conflicts = [], []
        for rid, rec in join:
            try:
                out.append((rid, stored[rid].merge(rec, self.defaults)))
            except InvalidData:
                conflicts.append(rec)
        for part in _parts([rid for rid, _ in out]):
            conn.execute(statements.delete().where(statements.c.record_id.in_(part),
                                                   statements.c.batch_id == self.batch_id))
            conn.execute(record_keys.delete().where(record_keys.c.record_id.in_(part)))
        return out, conflicts

    def _store(self, conn: Connection, new: list[ValidRecord],
               replace: list[tuple[int, ValidRecord]]) -> None:
        now = datetime.now(UTC)
        fresh = list(zip(_allocate_ids(conn, len(new)), new, strict=True))
        stamp = self.db.timestamp(now)
        self.db.bulk_insert(conn, records, ("id", *RECORD_COLUMNS),
                            [(rid, *self._row(stamp, r)) for rid, r in fresh])
        if replace:
            conn.execute(update(records).where(records.c.id == bindparam("rid")),
                         [{"rid": rid, **self._values(now, r)} for rid, r in replace])
            for part in _parts([rid for rid, _ in replace]):
                conn.execute(update(statements)
                             .where(statements.c.record_id.in_(part),
                                    statements.c.retired_batch_id.is_(None))
                             .values(retired_batch_id=self.batch_id))
                conn.execute(record_keys.delete().where(record_keys.c.record_id.in_(part)))
        after = _next_positions(conn, [rid for rid, _ in replace])
        written = fresh + replace
        self.db.bulk_insert(conn, statements, STATEMENT_COLUMNS,
                            [(rid, after.get(rid, 0) + n, *s, self.batch_id)
                             for rid, r in written for n, s in enumerate(r.statements)])
        self.db.bulk_insert(conn, record_keys, KEY_COLUMNS,
                            [(k[0], k[1], rid) for rid, r in written for k in r.keys])

    def _row(self, now: Any, r: ValidRecord) -> tuple[Any, ...]:
        """The values of RECORD_COLUMNS, in order (dates as ISO text, read alike by both
        backends)."""
        m = r.meta
        kept = retain_until(m, self.retention_years, self.today)
        return (self.agency, r.source_id, r.schema, r.caption[:10_000], m.handling.value,
                m.handling_condition, m.reliability.value, m.credibility.value,
                m.protection.value, m.category.value if m.category else None,
                m.observed.isoformat() if m.observed else None,
                m.retention.isoformat() if m.retention else None, kept.isoformat(),
                self.batch_id, now, r.content_hash)

    def _values(self, now: datetime, r: ValidRecord) -> dict[str, Any]:
        values = dict(zip(RECORD_COLUMNS[2:], self._row(now, r)[2:], strict=True))
        values.update(observed_on=r.meta.observed, retention_given=r.meta.retention,
                      retain_until=retain_until(r.meta, self.retention_years, self.today))
        return values


def _repeats(fragment: ValidRecord, stored: ValidRecord, defaults: RecordMeta) -> bool:
    """Whether a fragment adds nothing to the stored record: no fact it does not hold,
    no metadata that joining would change."""
    if merge_meta(stored.meta, fragment.meta, defaults) != stored.meta:
        return False
    try:
        if model.common_schema(stored.schema, fragment.schema).name != stored.schema:
            return False
    except InvalidData:  # another kind of thing under the same id: a change
        return False
    held = {(s[0], s[3]) for s in stored.statements}
    return all((s[0], s[3]) in held for s in fragment.statements)


def _stored_records(conn: Connection, ids: list[int]) -> dict[int, ValidRecord]:
    """The current content of stored records, as validated records."""
    out: dict[int, ValidRecord] = {}
    for part in _parts(ids):
        facts = current_facts(conn, part)
        keys: dict[int, set[Key]] = {rid: set() for rid in part}
        for k in conn.execute(select(record_keys.c.record_id, record_keys.c.kind,
                                     record_keys.c.key).where(record_keys.c.record_id.in_(part))):
            keys[k[0]].add((k[1], k[2]))
        for row in conn.execute(select(records).where(records.c.id.in_(part))).mappings():
            rid = row["id"]
            meta = replace(meta_of(row), retention=as_date(row["retention_given"]))
            out[rid] = ValidRecord(0, row["source_id"], row["schema"], row["caption"],
                                   meta, facts[rid], keys[rid], row["content_hash"])
    return out


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
