"""Repository of resolution: features and keys, models, judgements, resolved entities.
Called only through `emco.access` (reads take the principal's scope)."""

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Select,
    and_,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    tuple_,
    update,
)

from emco.model.enums import DANGER_LEVELS, Verdict
from emco.model.types import Judgement, RecordScope
from emco.store.db import Database
from emco.store.records import Facts, current_facts, scope_filter
from emco.store.tables import (
    assessments,
    judgements,
    record_entities,
    records,
    resolve_features,
    resolve_keys,
    resolve_models,
    risk_runs,
)


def resolvable(conn: Connection, scope: RecordScope, schemata: Sequence[str],
               stale_only: bool, version: str, size: int = 2000
               ) -> Iterator[list[tuple[int, str, str, str, Facts]]]:
    """(record id, agency, schema, content hash, current facts) of the records of
    `schemata` in scope, `size` records at a time; only those whose features are missing
    or out of date (another content, or features of another `version`) when
    `stale_only`."""
    query = (select(records.c.id, records.c.agency_code, records.c.schema,
                    records.c.content_hash)
             .where(scope_filter(scope), records.c.schema.in_(schemata)))
    if stale_only:
        query = query.outerjoin(resolve_features,
                                resolve_features.c.record_id == records.c.id).where(
            or_(resolve_features.c.record_id.is_(None),
                resolve_features.c.content_hash != records.c.content_hash + f":{version}"))
    heads = conn.execute(query.order_by(records.c.id)).all()
    for part in _parts(heads, size):
        facts = current_facts(conn, [h[0] for h in part])
        yield [(rid, agency, schema, digest, facts[rid]) for rid, agency, schema, digest in part]


def any_current_features(conn: Connection, version: str) -> bool:
    """Whether any record's stored features are of this features `version`."""
    return conn.execute(select(resolve_features.c.record_id).where(
        resolve_features.c.content_hash.like(f"%:{version}")).limit(1)).first() is not None


FeatureRow = tuple[int, str, str, str, Sequence[tuple[str, str]]]


@contextmanager
def features_writer(db: Database, conn: Connection, everything: bool
                    ) -> Iterator[Callable[[Sequence[FeatureRow]], None]]:
    """A function that replaces the features and keys of records, given as (id, kind,
    content hash, features JSON, keys), chunk after chunk in one transaction.

    `everything`: every record is featured again (a full run that sees all records). The
    old rows go at once, and the keys are sorted by the database at the end rather than
    inserted chunk by chunk into the key table's order (and its index built once): on
    SQLite, ten million keys took minutes the other way."""
    staged = everything and db.is_sqlite
    if everything:
        conn.execute(delete(resolve_features))
        conn.execute(delete(resolve_keys))
        for index in resolve_keys.indexes:
            index.drop(conn)
    if staged:
        conn.exec_driver_sql("CREATE TEMP TABLE staged_keys (kind TEXT, key TEXT, "
                             "record_id INTEGER)")

    def save(rows: Sequence[FeatureRow]) -> None:
        if not everything:
            for part in _parts([r[0] for r in rows], 5000):
                conn.execute(delete(resolve_features)
                             .where(resolve_features.c.record_id.in_(part)))
                conn.execute(delete(resolve_keys).where(resolve_keys.c.record_id.in_(part)))
        db.bulk_insert(conn, resolve_features,
                       ("record_id", "kind", "content_hash", "features"),
                       [r[:4] for r in rows])
        keys = sorted({(k, v, r[0]) for r in rows for k, v in r[4]})
        if staged:
            conn.connection.driver_connection.executemany(  # type: ignore[union-attr]
                "INSERT INTO staged_keys VALUES (?, ?, ?)", keys)
        else:
            db.bulk_insert(conn, resolve_keys, ("kind", "key", "record_id"), keys)

    yield save
    if staged:
        conn.exec_driver_sql("INSERT INTO resolve_keys (kind, key, record_id) SELECT DISTINCT "
                             "kind, key, record_id FROM staged_keys ORDER BY 1, 2, 3")
        conn.exec_driver_sql("DROP TABLE staged_keys")
    if everything:
        for index in resolve_keys.indexes:
            index.create(conn)


def features(conn: Connection, kind: str, ids: Iterable[int] | None = None
             ) -> Iterator[tuple[int, dict[str, Any]]]:
    query = select(resolve_features.c.record_id, resolve_features.c.features).where(
        resolve_features.c.kind == kind)
    if ids is None:
        query = query.order_by(resolve_features.c.record_id)
        for rid, data in conn.execute(query.execution_options(yield_per=10_000)):
            yield rid, json.loads(data)
        return
    for part in _parts(list(ids), 5000):
        for rid, data in conn.execute(query.where(resolve_features.c.record_id.in_(part))):
            yield rid, json.loads(data)


def feature_texts(conn: Connection, kind: str, size: int = 50_000) -> Iterator[list[str]]:
    """The features of every record of `kind` as stored (JSON), by record id, `size`
    records at a time: read into columns, a million records' never become dicts."""
    query = (select(resolve_features.c.features).where(resolve_features.c.kind == kind)
             .order_by(resolve_features.c.record_id).execution_options(yield_per=size))
    for part in conn.execute(query).partitions():
        yield [data for (data,) in part]


def candidates(conn: Connection, keys: Sequence[tuple[str, str]], exclude: int,
               cap: int | None = None, uncapped: Sequence[str] = ()) -> list[int]:
    """Records sharing a blocking key with a record (the record itself left out), leaving
    out the keys more than `cap` records share (but kinds in `uncapped`). Each key its own
    condition: SQLite scans the whole table for a tuple `IN`."""
    def matching(wanted: Sequence[tuple[str, str]]) -> Any:
        return or_(*(and_(resolve_keys.c.kind == kind, resolve_keys.c.key == key)
                     for kind, key in wanted))

    if keys and cap is not None:
        counted = conn.execute(select(resolve_keys.c.kind, resolve_keys.c.key, func.count())
                               .where(matching(keys))
                               .group_by(resolve_keys.c.kind, resolve_keys.c.key))
        wide = {(kind, key) for kind, key, n in counted if n > cap and kind not in uncapped}
        keys = [k for k in keys if k not in wide]
    if not keys:
        return []
    query = (select(resolve_keys.c.record_id).distinct()
             .where(matching(keys), resolve_keys.c.record_id != exclude))
    return [r for (r,) in conn.execute(query)]


# --- models --------------------------------------------------------------------------------

def save_model(conn: Connection, kind: str, records_count: int, settings: dict[str, Any],
               tf: dict[str, dict[str, float]]) -> int:
    latest = conn.execute(select(func.max(resolve_models.c.version))).scalar() or 0
    version = int(latest) + 1
    conn.execute(insert(resolve_models).values(
        version=version, kind=kind, created_at=datetime.now(UTC), records=records_count,
        settings=json.dumps(settings), term_frequencies=json.dumps(tf)))
    return version


def latest_model(conn: Connection, kind: str) -> tuple[int, dict[str, Any],
                                                       dict[str, dict[str, float]]] | None:
    row = conn.execute(select(resolve_models).where(resolve_models.c.kind == kind)
                       .order_by(resolve_models.c.version.desc()).limit(1)).mappings().first()
    if row is None:
        return None
    return row["version"], json.loads(row["settings"]), json.loads(row["term_frequencies"])


# --- judgements ----------------------------------------------------------------------------

JUDGEMENT_COLUMNS = ("left_id", "right_id", "verdict", "score", "author", "evidence",
                     "created_at")


def add_judgements(db: Database, conn: Connection,
                   rows: Sequence[tuple[int, int, Verdict, float | None, str, str | None]]
                   ) -> None:
    """Append judgements: (left, right, verdict, score, author, evidence JSON)."""
    now = db.timestamp(datetime.now(UTC))
    db.bulk_insert(conn, judgements, JUDGEMENT_COLUMNS,
                   [(min(a, b), max(a, b), v.value, s, who, ev, now)
                    for a, b, v, s, who, ev in rows])


def supersede_automatic(conn: Connection, authors_like: str) -> int:
    """Soft-delete the standing judgements of the model (or a rule) before a new run."""
    result = conn.execute(update(judgements)
                          .where(judgements.c.author.like(authors_like),
                                 judgements.c.superseded_at.is_(None))
                          .values(superseded_at=datetime.now(UTC)))
    return int(result.rowcount or 0)


def supersede_pairs(conn: Connection, pairs: Iterable[tuple[int, int]], authors_like: str
                    ) -> None:
    for part in _parts([(min(a, b), max(a, b)) for a, b in pairs], 2000):
        conn.execute(update(judgements)
                     .where(tuple_(judgements.c.left_id, judgements.c.right_id).in_(part),
                            judgements.c.author.like(authors_like),
                            judgements.c.superseded_at.is_(None))
                     .values(superseded_at=datetime.now(UTC)))


def supersede_touching(conn: Connection, record_ids: Iterable[int], authors_like: str
                       ) -> None:
    """Supersede the standing judgements of these authors on any pair of these records."""
    for part in _parts(sorted(set(record_ids)), 2000):
        conn.execute(update(judgements)
                     .where(or_(judgements.c.left_id.in_(part),
                                judgements.c.right_id.in_(part)),
                            judgements.c.author.like(authors_like),
                            judgements.c.superseded_at.is_(None))
                     .values(superseded_at=datetime.now(UTC)))


def standing(conn: Connection, record_ids: Iterable[int] | None = None,
             doubts: bool = False) -> list[Judgement]:
    """The judgements not superseded, for all records or those touching `record_ids`;
    without the model's unsure ones unless `doubts` (they join nothing and hold nothing
    apart, and are the bulk of its rows)."""
    query = select(judgements.c.id, judgements.c.left_id, judgements.c.right_id,
                   judgements.c.verdict, judgements.c.score, judgements.c.author).where(
        judgements.c.superseded_at.is_(None))
    if not doubts:
        query = query.where(~and_(judgements.c.verdict == Verdict.UNSURE.value,
                                  judgements.c.author.like("model:%")))
    rows: list[Any] = []
    if record_ids is None:
        rows = list(conn.execute(query))
    else:
        for part in _parts(sorted(set(record_ids)), 2000):
            rows += conn.execute(query.where(or_(judgements.c.left_id.in_(part),
                                                 judgements.c.right_id.in_(part)))).all()
    return [Judgement(r[1], r[2], Verdict(r[3]), r[4], r[5], r[0]) for r in rows]


def standing_columns(conn: Connection, codes: dict[Verdict, int], size: int = 200_000
                     ) -> Iterator[list[tuple[int, int, int, float | None, bool, int]]]:
    """The standing judgements (but the model's unsure ones: they join nothing and hold
    nothing apart) as rows of (left, right, the verdict's code in `codes`, score, by an
    operator, id), `size` at a time: the clustering reads them into columns, never into
    objects."""
    automatic = or_(judgements.c.author.like("model:%"), judgements.c.author.like("rule:%"))
    code = case(*((judgements.c.verdict == v.value, literal(c))
                  for v, c in codes.items()))
    human = case((automatic, literal(False)), else_=literal(True))
    query = (select(judgements.c.left_id, judgements.c.right_id, code, judgements.c.score,
                    human, judgements.c.id)
             .where(judgements.c.superseded_at.is_(None),
                    ~and_(judgements.c.verdict == Verdict.UNSURE.value,
                          judgements.c.author.like("model:%")))
             .execution_options(yield_per=size))
    for part in conn.execute(query).partitions():
        yield [(r[0], r[1], r[2], r[3], bool(r[4]), r[5]) for r in part]


def linking_columns(conn: Connection, size: int = 200_000
                    ) -> Iterator[tuple[list[int], list[int]]]:
    """The pairs of the standing positive judgements, as (lefts, rights) in parts of
    `size`: the links a cluster may follow. A negative matters only between two records
    these links connect."""
    query = select(judgements.c.left_id, judgements.c.right_id).where(
        judgements.c.superseded_at.is_(None),
        judgements.c.verdict == Verdict.POSITIVE.value).execution_options(yield_per=size)
    for part in conn.execute(query).partitions():
        yield [r[0] for r in part], [r[1] for r in part]


def judgements_of_pair(conn: Connection, left: int, right: int) -> list[dict[str, Any]]:
    a, b = min(left, right), max(left, right)
    query = (select(judgements).where(judgements.c.left_id == a, judgements.c.right_id == b)
             .order_by(judgements.c.id))
    return [dict(r) for r in conn.execute(query).mappings()]


def review_count(conn: Connection, scope: RecordScope, low: float) -> int:
    waiting = _waiting(scope, low).subquery()
    return int(conn.execute(select(func.count()).select_from(waiting)).scalar_one())


def _waiting(scope: RecordScope, low: float) -> Select[Any]:
    """The pairs the model was unsure of, scored at least `low` (the review threshold),
    that no operator has judged, both records in scope; `two`: 1 when they are two
    services' records. A pair the model sends to review above the match threshold (names
    alone, `service.classify`) waits too."""
    left, right = records.alias("l"), records.alias("r")
    human = judgements.alias("h")
    return (
        select(judgements.c.id, judgements.c.left_id, judgements.c.right_id,
               judgements.c.score, judgements.c.evidence,
               case((left.c.agency_code != right.c.agency_code, 1), else_=0).label("two"))
        .join(left, left.c.id == judgements.c.left_id)
        .join(right, right.c.id == judgements.c.right_id)
        .where(judgements.c.superseded_at.is_(None), judgements.c.verdict == "unsure",
               judgements.c.author.like("model:%"), judgements.c.score >= low,
               scope_filter(scope, left), scope_filter(scope, right),
               ~select(human.c.id).where(
                   human.c.left_id == judgements.c.left_id,
                   human.c.right_id == judgements.c.right_id,
                   human.c.superseded_at.is_(None),
                   ~human.c.author.like("model:%"), ~human.c.author.like("rule:%")).exists()))


def review_queue(conn: Connection, scope: RecordScope, low: float, limit: int,
                 offset: int = 0) -> list[dict[str, Any]]:
    """The waiting pairs (`_waiting`), in the order they matter: first the pairs touching
    the most dangerous person (the staff's queue only: `danger`, the higher level of the
    two records' entities in the latest assessment, weighs every service's records; None
    for a service's principal), then those joining two services' records (what no
    service can join alone), then the likeliest matches."""
    # The waiting pairs first, apart (MATERIALIZED): joined in one query with the
    # entities and levels, SQLite read every judgement through an index, 8x slower.
    waiting = _waiting(scope, low).cte("waiting").prefix_with("MATERIALIZED")
    query = select(waiting.c.id, waiting.c.left_id, waiting.c.right_id, waiting.c.score,
                   waiting.c.evidence)
    order: list[Any] = []
    if scope.agencies is None:
        latest = conn.execute(select(func.max(risk_runs.c.id))).scalar()
        ranks = []
        joined: Any = waiting
        for side, name in ((waiting.c.left_id, "l"), (waiting.c.right_id, "r")):
            entity, assessed = record_entities.alias(f"{name}e"), assessments.alias(f"{name}a")
            joined = joined.outerjoin(entity, entity.c.record_id == side).outerjoin(
                assessed, and_(assessed.c.entity_id == entity.c.entity_id,
                               assessed.c.run_id == latest))
            ranks.append(case({lv: i + 1 for i, lv in enumerate(DANGER_LEVELS)},
                              value=assessed.c.level, else_=0))
        danger = case((ranks[0] >= ranks[1], ranks[0]), else_=ranks[1])
        query = query.add_columns(case({i + 1: lv for i, lv in enumerate(DANGER_LEVELS)},
                                       value=danger, else_=None).label("danger")
                                  ).select_from(joined)
        order.append(danger.desc())
    else:
        query = query.add_columns(literal(None).label("danger"))
    query = query.order_by(*order, waiting.c.two.desc(), waiting.c.score.desc(),
                           waiting.c.id).limit(limit).offset(offset)
    return [dict(r) for r in conn.execute(query).mappings()]


# --- resolved entities ---------------------------------------------------------------------

def entities(conn: Connection) -> dict[int, str]:
    query = select(record_entities.c.record_id, record_entities.c.entity_id)
    return {int(r): str(e) for r, e in conn.execute(query)}


def next_entity_number(conn: Connection) -> int:
    top = conn.execute(select(func.max(record_entities.c.entity_id))).scalar()
    return int(top[1:]) + 1 if top else 1


def entity_rows(conn: Connection, size: int = 200_000) -> Iterator[list[tuple[int, str]]]:
    """Every (record id, entity id), `size` at a time."""
    query = select(record_entities.c.record_id, record_entities.c.entity_id)
    for part in conn.execute(query.execution_options(yield_per=size)).partitions():
        yield [(int(r), str(e)) for r, e in part]


def replace_entities(db: Database, conn: Connection, changed: Sequence[tuple[int, str]]
                     ) -> int:
    """Write the records whose entity changed, as (record id, entity id); returns how
    many."""
    for part in _parts([r for r, _ in changed], 5000):
        conn.execute(delete(record_entities).where(record_entities.c.record_id.in_(part)))
    db.bulk_insert(conn, record_entities, ("record_id", "entity_id"), changed)
    return len(changed)


def entity_sizes(conn: Connection, scope: RecordScope) -> list[int]:
    """How many records (in scope) each entity has."""
    query = (select(func.count()).select_from(record_entities)
             .join(records, records.c.id == record_entities.c.record_id)
             .where(scope_filter(scope)).group_by(record_entities.c.entity_id))
    return [int(n) for (n,) in conn.execute(query)]


def entity_of(conn: Connection, record_id: int) -> str | None:
    return conn.execute(select(record_entities.c.entity_id).where(
        record_entities.c.record_id == record_id)).scalar()


def members(conn: Connection, scope: RecordScope, entity_id: str) -> list[int]:
    query = (select(records.c.id).join(record_entities,
                                       record_entities.c.record_id == records.c.id)
             .where(record_entities.c.entity_id == entity_id, scope_filter(scope))
             .order_by(records.c.id))
    return [r for (r,) in conn.execute(query)]


def export_rows(conn: Connection, scope: RecordScope) -> Iterator[tuple[str, str, str]]:
    query = (select(records.c.agency_code, records.c.source_id, record_entities.c.entity_id)
             .join(record_entities, record_entities.c.record_id == records.c.id)
             .where(scope_filter(scope)).order_by(records.c.id))
    yield from conn.execute(query.execution_options(yield_per=10_000))


def record_by_source(conn: Connection, scope: RecordScope, agency: str, source_id: str
                     ) -> int | None:
    return conn.execute(select(records.c.id).where(
        records.c.agency_code == agency, records.c.source_id == source_id,
        scope_filter(scope))).scalar()


def all_record_ids(conn: Connection) -> list[int]:
    return [r for (r,) in conn.execute(select(records.c.id))]


def _parts(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]
