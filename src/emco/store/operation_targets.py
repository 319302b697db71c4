"""The targets of operations for the deconfliction check: read by operation, what they
designate, and (the converse) the operations whose targets designate something. Only
`emco.deconflict` calls this, inside the access gate.

The check of one operation must take a few milliseconds: the statements of the first two
are built once (building SQLAlchemy's expressions cost more than running them), over the
same definitions as `emco.store.targets`."""

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, bindparam, select

from emco.model.enums import TargetKind
from emco.store import targets as targets_repo
from emco.store.tables import record_entities, record_keys, records, target_matches, targets
from emco.store.targets import IDENTIFIER_KINDS, Designated, TargetRow

OWNER = "operation"  # the owner_type of operations' rows in `targets`


def of_operations(conn: Connection, op_ids: Sequence[int]) -> dict[int, list[TargetRow]]:
    """The live targets of each operation, in the order they were added."""
    out: dict[int, list[TargetRow]] = {op: [] for op in op_ids}
    for part in _chunks(sorted(set(op_ids))):
        for r in conn.execute(_of_operations(), {"owner_type": OWNER, "ids": list(part)}
                              ).mappings():
            out[int(r["owner_id"])].append(TargetRow(
                id=int(r["id"]), owner_type=r["owner_type"], owner_id=int(r["owner_id"]),
                agency=r["agency_code"], kind=TargetKind(r["kind"]), value=r["value"],
                key_kind=r["key_kind"], key=r["key"], record_id=r["record_id"],
                entity_id=r["entity_id"], added_by=r["added_by"], added_at=r["added_at"],
                removed_by=r["removed_by"], removed_at=r["removed_at"]))
    return out


@lru_cache(maxsize=1)
def _of_operations() -> Any:
    return select(targets).where(
        targets.c.owner_type == bindparam("owner_type"),
        targets.c.owner_id.in_(bindparam("ids", expanding=True)),
        targets.c.removed_at.is_(None)).order_by(targets.c.id)


def designations(conn: Connection, target_ids: Iterable[int]) -> dict[int, set[str]]:
    """What each live target designates now: `emco.store.targets.designations`, with its
    statement built once."""
    out: dict[int, set[str]] = {}
    for part in _chunks(sorted(set(target_ids))):
        for tid, _owner, _agency, des in conn.execute(_designations(), {"ids": list(part)}):
            out.setdefault(int(tid), set()).add(des)
    return out


@lru_cache(maxsize=1)
def _designations() -> Any:
    return targets_repo._designating(targets.c.id.in_(bindparam("ids", expanding=True)))

Holding = dict[int, dict[int, set[str]]]  # operation id -> its target id -> designations


def designating(conn: Connection, wanted: Iterable[str]) -> Holding:
    """The live targets of operations that designate any of `wanted` (designations as
    `emco.store.targets` defines them: K<kind>:<key>, entity ids, R<record id>), with
    the designations each holds among them.

    The converse of `emco.store.targets.designations`, in a few indexed statements: by
    key; by the identifier keys and person matches of the records behind entities and
    records; by entity. Owners are told apart in Python, so that no plan runs through
    the index of every operation's targets."""
    d = Designated.of(wanted)
    found: list[tuple[int, str]] = []  # (target id, designation)
    keyed: dict[tuple[str, str], set[str]] = {(k, v): {f"K{k}:{v}"} for k, v in d.keys}
    behind: dict[int, str] = {}  # record id -> its designation
    for part in _chunks(d.entities):
        behind.update((int(r), e) for r, e in conn.execute(_q("entity_records"),
                                                           {"ids": list(part)}))
    for part in _chunks(d.records):
        behind.update((int(r), f"R{r}") for (r,) in conn.execute(_q("unresolved"),
                                                                 {"ids": list(part)}))
    for part in _chunks(sorted(behind)):
        for rid, kind, key in conn.execute(_q("record_keys"), {
                "ids": list(part), "kinds": list(IDENTIFIER_KINDS)}):
            keyed.setdefault((kind, key), set()).add(behind[int(rid)])
        found += [(int(t), behind[int(r)]) for t, r in conn.execute(
            _q("matches"), {"ids": list(part)})]
    by_kind: dict[str, list[str]] = {}
    for kind, key in keyed:
        by_kind.setdefault(kind, []).append(key)
    for kind, keys in sorted(by_kind.items()):
        for part in _chunks(sorted(keys)):
            for tid, key in conn.execute(_q("keyed"), {"kind": kind, "keys": list(part)}):
                found += [(int(tid), des) for des in keyed[(kind, key)]]
    for part in _chunks(d.entities):
        found += [(int(t), e) for t, e in conn.execute(_q("entity_targets"),
                                                       {"ids": list(part)})]
    return _owners(conn, found)


def _owners(conn: Connection, found: list[tuple[int, str]]) -> Holding:
    out: Holding = {}
    by_target: dict[int, set[str]] = {}
    for tid, des in found:
        by_target.setdefault(tid, set()).add(des)
    for part in _chunks(sorted(by_target)):
        for tid, owner in conn.execute(_q("owners"), {"ids": list(part), "owner_type": OWNER}):
            out.setdefault(int(owner), {})[int(tid)] = by_target[int(tid)]
    return out


@lru_cache(maxsize=8)
def _q(name: str) -> Any:
    """The statements of `designating`, built once."""
    ids: Any = bindparam("ids", expanding=True)
    return {
        "entity_records": select(record_entities.c.record_id, record_entities.c.entity_id)
        .where(record_entities.c.entity_id.in_(ids)),
        "unresolved": select(records.c.id).outerjoin(
            record_entities, record_entities.c.record_id == records.c.id)
        .where(records.c.id.in_(ids), record_entities.c.entity_id.is_(None)),
        "record_keys": select(record_keys.c.record_id, record_keys.c.kind, record_keys.c.key)
        .where(record_keys.c.record_id.in_(ids),
               record_keys.c.kind.in_(bindparam("kinds", expanding=True))),
        "matches": select(target_matches.c.target_id, target_matches.c.record_id)
        .where(target_matches.c.record_id.in_(ids)),
        "keyed": select(targets.c.id, targets.c.key).where(
            targets.c.key_kind == bindparam("kind"),
            targets.c.key.in_(bindparam("keys", expanding=True))),
        "entity_targets": select(targets.c.id, targets.c.entity_id)
        .where(targets.c.entity_id.in_(ids)),
        "owners": select(targets.c.id, targets.c.owner_id).where(
            targets.c.id.in_(ids), targets.c.owner_type == bindparam("owner_type"),
            targets.c.removed_at.is_(None)),
    }[name]


def _chunks(items: Sequence[Any], size: int = 2000) -> list[Sequence[Any]]:
    return [items[i:i + size] for i in range(0, len(items), size)]
