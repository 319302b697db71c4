"""Repository of records, their statements and search keys.

Reads take a `RecordScope` from the access policy and never return a record outside it;
the functions here are only called by `emco.access`.
"""

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from followthemoney import model
from sqlalchemy import (
    ColumnElement,
    Connection,
    FromClause,
    and_,
    case,
    func,
    intersect,
    or_,
    select,
    tuple_,
)

from emco.model.enums import (
    HandlingCode,
    InformationCredibility,
    PersonCategory,
    Protection,
    SourceReliability,
)
from emco.model.records import Key
from emco.model.types import Fact, RecordMeta, RecordScope, RecordSummary, RecordView
from emco.store.tables import record_keys, records, statements

REFERENCES_SHOWN = 200
STREAM_ROWS = 10_000  # rows fetched at a time when streaming a whole table


def scope_filter(scope: RecordScope, table: FromClause = records) -> ColumnElement[bool]:
    """The rows of `table` a scope sees, by their service (`agency_code`) and protection
    mention (`protection`): records (the table or an alias of it, as a query joining two
    records names them), and the rows derived from them (call and network edges) that
    carry both. Records passed to the reader's service by their owner
    (`scope.granted`) are in sight too, and so are the network edges they are evidence
    of (`emco.store.networks` shows such an edge with that evidence only); call edges
    come from call files, not records, and follow their service alone."""
    clauses: list[ColumnElement[bool]] = [table.c.protection.in_(sorted(scope.protections))]
    if scope.agencies is not None:
        own = table.c.agency_code.in_(sorted(scope.agencies))
        granted = _granted(scope, table)
        clauses.append(own if granted is None else or_(own, granted))
    return and_(*clauses)


def _granted(scope: RecordScope, table: FromClause) -> ColumnElement[bool] | None:
    if not scope.granted:
        return None
    ids = sorted(scope.granted)
    if table is records or getattr(table, "element", None) is records:  # or an alias
        return table.c.id.in_(ids)
    if "evidence" in table.c:  # a JSON list of "record:ID" strings
        return or_(*(table.c.evidence.like(f'%"record:{i}"%') for i in ids))
    return None


# --- reading -------------------------------------------------------------------------------

def meta_of(row: Any) -> RecordMeta:
    return RecordMeta(
        handling=HandlingCode(row["handling"]),
        reliability=SourceReliability(row["reliability"]),
        credibility=InformationCredibility(row["credibility"]),
        protection=Protection(row["protection"]),
        category=PersonCategory(row["category"]) if row["category"] else None,
        observed=as_date(row["observed_on"]),
        retention=as_date(row["retain_until"]),
        handling_condition=row["handling_condition"],
    )


def as_date(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _summary(row: Any) -> RecordSummary:
    return RecordSummary(id=row["id"], agency=row["agency_code"], source_id=row["source_id"],
                         schema=row["schema"], caption=row["caption"], meta=meta_of(row))


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


def schema_of(conn: Connection, scope: RecordScope, record_id: int) -> str | None:
    """The FtM schema of a record in scope; None when it is absent or out of sight."""
    return conn.execute(select(records.c.schema).where(records.c.id == record_id,
                                                       scope_filter(scope))).scalar()


def _by_source_ids(conn: Connection, scope: RecordScope, agency: str, source_ids: list[str]
                   ) -> list[RecordSummary]:
    if not source_ids:
        return []
    rows = conn.execute(select(records).where(
        records.c.agency_code == agency, records.c.source_id.in_(source_ids),
        scope_filter(scope))).mappings()
    return [_summary(r) for r in rows]


def summaries(conn: Connection, scope: RecordScope, record_ids: list[int]
              ) -> list[RecordSummary]:
    """The records in scope among `record_ids`, in id order (others are left out)."""
    out: list[RecordSummary] = []
    for start in range(0, len(record_ids), 1000):
        part = record_ids[start:start + 1000]
        rows = conn.execute(select(records).where(records.c.id.in_(part), scope_filter(scope))
                            .order_by(records.c.id)).mappings()
        out += [_summary(r) for r in rows]
    return sorted(out, key=lambda r: r.id)


Facts = list[tuple[str, str, str, str]]  # prop, type, value, original value


def current_facts(conn: Connection, ids: Sequence[int]) -> dict[int, Facts]:
    """The statements in force of records, in their order (not scoped: callers pass ids
    they were allowed to read)."""
    facts: dict[int, Facts] = {rid: [] for rid in ids}
    for row in conn.execute(
            select(statements.c.record_id, statements.c.prop, statements.c.prop_type,
                   statements.c.value, statements.c.original_value)
            .where(statements.c.record_id.in_(ids), statements.c.retired_batch_id.is_(None))
            .order_by(statements.c.record_id, statements.c.n)):
        facts[row[0]].append((row[1], row[2], row[3], row[4]))
    return facts


def count_by_agency(conn: Connection, scope: RecordScope) -> dict[str, int]:
    rows = conn.execute(select(records.c.agency_code, func.count())
                        .where(scope_filter(scope)).group_by(records.c.agency_code))
    return {r[0]: int(r[1]) for r in rows}


def count_by_agency_and_schema(conn: Connection, scope: RecordScope
                               ) -> dict[tuple[str, str], int]:
    """How many records in scope, per (agency, schema)."""
    rows = conn.execute(select(records.c.agency_code, records.c.schema, func.count())
                        .where(scope_filter(scope))
                        .group_by(records.c.agency_code, records.c.schema))
    return {(r[0], r[1]): int(r[2]) for r in rows}


def identities(conn: Connection, scope: RecordScope) -> Iterator[tuple[str, str, int]]:
    """(agency, source id, record id) of every record in scope, in id order, streamed
    (a server-side cursor on PostgreSQL) so that a million records never sit in a
    driver buffer at once."""
    query = (select(records.c.agency_code, records.c.source_id, records.c.id)
             .where(scope_filter(scope)).order_by(records.c.id)
             .execution_options(yield_per=STREAM_ROWS))
    for agency, source_id, record_id in conn.execute(query):
        yield agency, source_id, int(record_id)
