"""Repository of targets (of investigations and operations) and of what they designate.

A target designates, at any moment, a set of *designations* (strings, so that SQL can
join on them):

- `K<key kind>:<key>`: its own normalised key, so two bare identifiers meet even when no
  record holds them;
- `E…`: the resolved entity of each record carrying its key, of each record it matched
  (a person, a record target, an entity target's records), and an entity target's entity;
- `R<record id>`: such a record not resolved yet (it has no entity).

Two targets overlap when they share a designation. Everything is read at call time from
`record_keys` and `record_entities`, so a new record or a merge of entities needs no
rewrite here; only person matches (scored in Python) are stored, in `target_matches`.
Called only by `emco.deconflict`, inside the access gate.
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    String,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    true,
    union,
    union_all,
    update,
)

from emco.model.enums import TargetKind
from emco.store.db import Database
from emco.store.tables import (
    record_entities,
    record_keys,
    records,
    target_blocks,
    target_matches,
    targets,
)

# The kinds of `record_keys` a target key is looked up in (names are left out: a person
# target is matched by the resolution model, not by its name's words).
IDENTIFIER_KINDS = ("phone", "iban", "plate", "id", "email")
# Which owners count: a condition on the owner id column, such as
# `emco.store.investigations.is_open` (open investigations only).
Active = Callable[[Any], ColumnElement[bool]]
NOTHING = "-"  # a value no designation, key or id takes: keeps every lookup running


@dataclass(frozen=True)
class TargetRow:
    id: int
    owner_type: str
    owner_id: int
    agency: str
    kind: TargetKind
    value: str
    key_kind: str | None
    key: str | None
    record_id: int | None
    entity_id: str | None
    added_by: str
    added_at: datetime
    removed_by: str | None
    removed_at: datetime | None


@dataclass(frozen=True)
class Shared:
    """Two targets of two owners that share a designation."""

    owner_a: int
    target_a: int
    owner_b: int
    target_b: int
    designation: str


def _row(r: Any) -> TargetRow:
    return TargetRow(
        id=int(r["id"]), owner_type=r["owner_type"], owner_id=int(r["owner_id"]),
        agency=r["agency_code"], kind=TargetKind(r["kind"]), value=r["value"],
        key_kind=r["key_kind"], key=r["key"], record_id=r["record_id"],
        entity_id=r["entity_id"], added_by=r["added_by"], added_at=r["added_at"],
        removed_by=r["removed_by"], removed_at=r["removed_at"])


# --- writing --------------------------------------------------------------------------------

def add(conn: Connection, *, owner_type: str, owner_id: int, agency: str, kind: TargetKind,
        value: str, key_kind: str | None, key: str | None, record_id: int | None,
        entity_id: str | None, author: str, now: datetime) -> int:
    result = conn.execute(insert(targets).values(
        owner_type=owner_type, owner_id=owner_id, agency_code=agency, kind=kind.value,
        value=value, key_kind=key_kind, key=key, record_id=record_id, entity_id=entity_id,
        added_by=author, added_at=now).returning(targets.c.id))
    return int(result.scalar_one())


def remove(conn: Connection, target_id: int, author: str, now: datetime) -> None:
    conn.execute(update(targets).where(targets.c.id == target_id,
                                       targets.c.removed_at.is_(None))
                 .values(removed_by=author, removed_at=now))


def replace_matches(db: Database, conn: Connection, target_id: int,
                    rows: Sequence[tuple[int, float | None]]) -> None:
    """The records a target designates beyond its key: (record id, score)."""
    conn.execute(delete(target_matches).where(target_matches.c.target_id == target_id))
    db.bulk_insert(conn, target_matches, ("target_id", "record_id", "score"),
                   [(target_id, rid, score) for rid, score in sorted(set(rows))])


def replace_blocks(db: Database, conn: Connection, target_id: int,
                   keys: Iterable[tuple[str, str]]) -> None:
    conn.execute(delete(target_blocks).where(target_blocks.c.target_id == target_id))
    db.bulk_insert(conn, target_blocks, ("kind", "key", "target_id"),
                   sorted({(kind, key, target_id) for kind, key in keys}))


# --- reading targets ------------------------------------------------------------------------

def get(conn: Connection, target_id: int) -> TargetRow | None:
    row = conn.execute(select(targets).where(targets.c.id == target_id)).mappings().first()
    return _row(row) if row else None


def of_owners(conn: Connection, owner_type: str, owner_ids: Sequence[int],
              include_removed: bool = False) -> dict[int, list[TargetRow]]:
    """The targets of each owner, in the order they were added."""
    out: dict[int, list[TargetRow]] = {owner: [] for owner in owner_ids}
    if not owner_ids:
        return out
    query = select(targets).where(targets.c.owner_type == owner_type,
                                  targets.c.owner_id.in_(sorted(set(owner_ids))))
    if not include_removed:
        query = query.where(targets.c.removed_at.is_(None))
    for r in conn.execute(query.order_by(targets.c.id)).mappings():
        out[int(r["owner_id"])].append(_row(r))
    return out


def by_ids(conn: Connection, ids: Iterable[int]) -> dict[int, TargetRow]:
    wanted = sorted(set(ids))
    out: dict[int, TargetRow] = {}
    query = _by_ids()
    for part in parts(wanted):
        for r in conn.execute(query, {"ids": part}).mappings():
            out[int(r["id"])] = _row(r)
    return out


@cache
def _by_ids() -> Any:
    return select(targets).where(targets.c.id.in_(list_param("ids")))


def live_of_kind(conn: Connection, kind: TargetKind) -> list[TargetRow]:
    query = select(targets).where(targets.c.kind == kind.value, targets.c.removed_at.is_(None))
    return [_row(r) for r in conn.execute(query.order_by(targets.c.id)).mappings()]


def any_live(conn: Connection) -> bool:
    return conn.execute(select(targets.c.id).where(targets.c.removed_at.is_(None))
                        .limit(1)).first() is not None


# --- what targets designate -----------------------------------------------------------------

def entity_or_record(record_id: Any) -> Any:
    return func.coalesce(record_entities.c.entity_id, literal("R") + cast(record_id, String))


def _designating(where: Any) -> Any:
    """(target id, owner id, agency, designation) of the live targets matching `where`."""
    live = and_(targets.c.removed_at.is_(None), where)
    columns = (targets.c.id.label("target_id"), targets.c.owner_id, targets.c.agency_code)
    by_key = select(*columns, (literal("K") + targets.c.key_kind + literal(":")
                               + targets.c.key).label("des")).where(
        live, targets.c.key.is_not(None))
    by_record_key = (
        select(*columns, entity_or_record(record_keys.c.record_id).label("des"))
        .select_from(targets)
        .join(record_keys, and_(record_keys.c.kind == targets.c.key_kind,
                                record_keys.c.key == targets.c.key))
        .outerjoin(record_entities, record_entities.c.record_id == record_keys.c.record_id)
        .where(live))
    by_match = (
        select(*columns, entity_or_record(target_matches.c.record_id).label("des"))
        .select_from(targets)
        .join(target_matches, target_matches.c.target_id == targets.c.id)
        .outerjoin(record_entities, record_entities.c.record_id == target_matches.c.record_id)
        .where(live))
    by_entity = select(*columns, targets.c.entity_id.label("des")).where(
        live, targets.c.entity_id.is_not(None))
    return union_all(by_key, by_record_key, by_match, by_entity)


@cache
def _designations_of() -> Any:
    return _designating(targets.c.id.in_(list_param("ids")))


def designations(conn: Connection, target_ids: Iterable[int]) -> dict[int, set[str]]:
    """What each live target designates now (removed targets designate nothing)."""
    out: dict[int, set[str]] = {}
    for part in parts(sorted(set(target_ids))):
        for tid, _owner, _agency, des in conn.execute(_designations_of(), {"ids": part}):
            out.setdefault(int(tid), set()).add(des)
    return out


def all_shared(conn: Connection, owner_type: str, active: Active | None = None
               ) -> list[Shared]:
    """Every pair of targets of two owners of different services, both owners `active`,
    that share a designation: one self-join, never pair by pair in Python."""
    d = _designating(and_(targets.c.owner_type == owner_type,
                          active(targets.c.owner_id) if active else true())).cte("d")
    a, b = d.alias("a"), d.alias("b")
    query = select(a.c.owner_id, a.c.target_id, b.c.owner_id, b.c.target_id, a.c.des).where(
        a.c.des == b.c.des, a.c.owner_id < b.c.owner_id, a.c.agency_code != b.c.agency_code
    ).distinct()
    return [Shared(int(r[0]), int(r[1]), int(r[2]), int(r[3]), r[4])
            for r in conn.execute(query)]


@dataclass(frozen=True)
class Designated:
    """A set of designations taken apart: keys, entities, unresolved records."""

    keys: list[tuple[str, str]]
    entities: list[str]
    records: list[int]

    @classmethod
    def of(cls, designations: Iterable[str]) -> "Designated":
        keys, entities, recs = [], [], []
        for d in sorted(set(designations)):
            if d.startswith("K"):
                kind, _, key = d[1:].partition(":")
                keys.append((kind, key))
            elif d.startswith("R"):
                recs.append(int(d[1:]))
            else:
                entities.append(d)
        return cls(keys, entities, recs)


@cache
def _behind() -> Any:
    """The records behind entities and unresolved records (`entities`, `records`), with
    their services."""
    # Two indexed lookups: an OR of the two made PostgreSQL scan every record.
    via_entities = (select(records.c.id, records.c.agency_code)
                    .join(record_entities, record_entities.c.record_id == records.c.id)
                    .where(record_entities.c.entity_id.in_(list_param("entities"))))
    direct = select(records.c.id, records.c.agency_code).where(
        records.c.id.in_(list_param("records")))
    return union(via_entities, direct)


def _behind_params(d: Designated) -> dict[str, Any]:
    # An empty part is looked up as a value nothing takes: the same work either way.
    return {"entities": d.entities or [NOTHING], "records": d.records or [-1]}


@cache
def _lookup(active: Active | None) -> Any:
    """Every live target designating any of a set (its keys, entities and the records
    behind them), built once: SQLAlchemy takes longer to build a statement than SQLite
    takes to run it. Kept simple for PostgreSQL's planner: the records are looked up
    before, and the owners' test is applied once, outside the union. Keys are looked up by
    kind and key lists (`IN` on each column, so that the index serves: a tuple `IN` scans
    the table on SQLite) and checked pair by pair after."""
    live = and_(targets.c.removed_at.is_(None), targets.c.owner_type == bindparam("owner"))
    found = (targets.c.id, targets.c.owner_id, targets.c.agency_code)
    blank = (null().label("key_kind"), null().label("key"))
    by_key = select(*found, targets.c.key_kind, targets.c.key).where(
        live, targets.c.key_kind.in_(list_param("kinds")),
        targets.c.key.in_(list_param("keys")))
    by_record_key = (
        select(*found, *blank).select_from(record_keys)
        .join(targets, and_(targets.c.key_kind == record_keys.c.kind,
                            targets.c.key == record_keys.c.key))
        .where(record_keys.c.record_id.in_(list_param("behind")),
               record_keys.c.kind.in_(IDENTIFIER_KINDS), live))
    by_match = (
        select(*found, *blank).select_from(target_matches)
        .join(targets, targets.c.id == target_matches.c.target_id)
        .where(target_matches.c.record_id.in_(list_param("behind")), live))
    by_entity = select(*found, *blank).where(
        live, targets.c.entity_id.in_(list_param("entities")))
    u = union_all(by_key, by_record_key, by_match, by_entity).subquery()
    return select(u.c.id, u.c.agency_code, u.c.key_kind, u.c.key).where(
        active(u.c.owner_id) if active is not None else true())


def known(conn: Connection, d: Designated, owner_type: str, active: Active | None = None
          ) -> tuple[dict[int, str], set[str]]:
    """The live targets of owners of `owner_type` (those `active` accepts, when given)
    that designate any of `d`, with their owner's service; and the services holding
    records among `d`.

    The same two statements whatever `d` holds (an empty part is looked up as a value
    nothing takes), so that the work does not tell whether anything was found."""
    behind = conn.execute(_behind(), _behind_params(d)).all()
    keys = d.keys or [(NOTHING, NOTHING)]
    params = {"owner": owner_type, "kinds": sorted({k for k, _ in keys}),
              "keys": sorted({v for _, v in keys}), "entities": d.entities or [NOTHING],
              "behind": [int(r) for r, _ in behind] or [-1]}
    wanted = set(keys)
    found: dict[int, str] = {}
    for tid, agency, kind, key in conn.execute(_lookup(active), params):
        if kind is None or (kind, key) in wanted:
            found[int(tid)] = agency
    return found, {agency for _, agency in behind}


def sharing(conn: Connection, d: Designated, owner_type: str, active: Active | None = None
            ) -> dict[int, str]:
    """The live targets of owners of `owner_type` (those `active` accepts) that designate
    any of `d`, with their owner's service (`known`, without the records' services)."""
    return known(conn, d, owner_type, active)[0]


def holders(conn: Connection, d: Designated) -> set[str]:
    """The services whose records are among `d`."""
    return {agency for _, agency in conn.execute(_behind(), _behind_params(d))}


def records_designated(conn: Connection, d: Designated) -> list[int]:
    return sorted(int(r) for r, _ in conn.execute(_behind(), _behind_params(d)))


def matches_of(conn: Connection, target_id: int) -> list[tuple[int, float | None]]:
    query = select(target_matches.c.record_id, target_matches.c.score).where(
        target_matches.c.target_id == target_id).order_by(target_matches.c.record_id)
    return [(int(r), s) for r, s in conn.execute(query)]


def list_param(name: str) -> Any:
    """A list parameter (`IN`), so that a statement is built once and run many times."""
    return bindparam(name, expanding=True)


def parts(items: Sequence[Any], size: int = 5000) -> list[list[Any]]:
    return [list(items[i:i + size]) for i in range(0, len(items), size)]
