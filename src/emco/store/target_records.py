"""What records a target may designate: by its key, as a person by name and birth date,
through an entity; and the records an arrival brings. The designations of
`emco.store.targets` are made of these. Called only by `emco.deconflict`, inside the
access gate."""

from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, and_, bindparam, select

from emco.store.tables import (
    record_entities,
    record_keys,
    records,
    resolve_keys,
    resolve_models,
    statements,
    target_blocks,
)
from emco.store.targets import NOTHING, entity_or_record, list_param, parts


def record_designations(conn: Connection, record_ids: Sequence[int]) -> set[str]:
    """The entity of each record, or the record itself when it is not resolved yet (one
    lookup at least, even for no record)."""
    out: set[str] = set()
    for part in parts(sorted(set(record_ids))) or [[-1]]:
        found = conn.execute(_record_designations(), {"ids": part})
        out |= {entity or f"R{rid}" for rid, entity in found}
    return out

@cache
def _record_designations() -> Any:
    return (select(records.c.id, record_entities.c.entity_id).select_from(records)
            .outerjoin(record_entities, record_entities.c.record_id == records.c.id)
            .where(records.c.id.in_(list_param("ids"))))

def records_of_batch(conn: Connection, batch_id: str) -> list[int]:
    """The records a batch created or changed (a changed record takes the batch's id)."""
    query = select(records.c.id).where(records.c.batch_id == batch_id)
    return [int(r) for (r,) in conn.execute(query)]

@cache
def _key_designations() -> Any:
    return (select(entity_or_record(record_keys.c.record_id)).select_from(record_keys)
            .outerjoin(record_entities, record_entities.c.record_id == record_keys.c.record_id)
            .where(record_keys.c.kind == bindparam("kind"), record_keys.c.key == bindparam("key")))

def key_designations(conn: Connection, key_kind: str, key: str) -> set[str]:
    """The entity (or the record, not resolved yet) of each record carrying this key."""
    return {d for (d,) in conn.execute(_key_designations(), {"kind": key_kind, "key": key})}

def has_model(conn: Connection) -> bool:
    """Whether a person model is trained (person targets are matched by it)."""
    return conn.execute(select(resolve_models.c.version).where(
        resolve_models.c.kind == "person").limit(1)).first() is not None

def entities_of(conn: Connection, record_ids: Sequence[int]) -> dict[int, str]:
    """The entity of each record that has one (one lookup at least, even for none)."""
    out: dict[int, str] = {}
    query = select(record_entities.c.record_id, record_entities.c.entity_id).where(
        record_entities.c.record_id.in_(list_param("ids")))
    for part in parts(sorted(set(record_ids))) or [[-1]]:
        out.update((int(r), e) for r, e in conn.execute(query, {"ids": part}))
    return out

def members_of(conn: Connection, entity_ids: Sequence[str]) -> dict[str, list[int]]:
    """The records of each entity (one lookup at least, even for none)."""
    out: dict[str, list[int]] = {}
    query = select(record_entities.c.record_id, record_entities.c.entity_id).where(
        record_entities.c.entity_id.in_(list_param("ids")))
    for part in parts(sorted(set(entity_ids))) or [[NOTHING]]:
        for r, e in conn.execute(query, {"ids": part}):
            out.setdefault(e, []).append(int(r))
    return out

def entity_members(conn: Connection, entity_id: str) -> list[int]:
    """Every record of an entity, whoever may see them (what a target designates)."""
    query = select(record_entities.c.record_id).where(record_entities.c.entity_id == entity_id)
    return sorted(int(r) for (r,) in conn.execute(query))

def entity_exists(conn: Connection, entity_id: str) -> bool:
    return conn.execute(select(record_entities.c.record_id).where(
        record_entities.c.entity_id == entity_id).limit(1)).first() is not None

def person_targets_blocked_by(conn: Connection, record_ids: Sequence[int]) -> set[int]:
    """Person targets sharing a resolution blocking key with any of these records: the
    ones an arriving record may now match."""
    out: set[int] = set()
    for part in parts(sorted(set(record_ids))):
        query = (select(target_blocks.c.target_id).distinct().select_from(resolve_keys)
                 .join(target_blocks, and_(target_blocks.c.kind == resolve_keys.c.kind,
                                           target_blocks.c.key == resolve_keys.c.key))
                 .where(resolve_keys.c.record_id.in_(part)))
        out |= {int(t) for (t,) in conn.execute(query)}
    return out

def records_named(conn: Connection, tokens: Sequence[str], birth: str) -> list[int]:
    """Person records whose name holds every token and whose birth date is `birth` (the
    exact match used before a resolution model exists)."""
    if not tokens:
        return []
    query = select(statements.c.record_id).where(
        statements.c.prop == "birthDate", statements.c.value == birth,
        statements.c.retired_batch_id.is_(None))
    for token in tokens:
        query = query.where(statements.c.record_id.in_(select(record_keys.c.record_id).where(
            record_keys.c.kind == "token", record_keys.c.key == token)))
    return sorted({int(r) for (r,) in conn.execute(query)})
