"""Repository of operations and of the conflicts found between them.

Reads for a principal take its `RecordScope`: a service sees its own operations, the
staff's operators every service's, each within its clearance (DR ones need DR). The
conflict search (`near`) and `unscoped` read every service's operations: they serve the
deconfliction check, which tells each side only its own disclosure. Only
`emco.deconflict` calls these functions, inside the access gate.
"""

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    union_all,
    update,
)

from emco.model.enums import ConflictKind, OperationKind, OperationStatus, Protection
from emco.model.types import RecordScope
from emco.store.db import utc
from emco.store.tables import operation_conflicts, operations

# Windows are put in classes by length: class k holds windows of at most 2**k hours, so
# that a search by start time within one class need look back only 2**k hours. The last
# class holds every longer window (a year: the longest the stage accepts).
DURATION_CLASSES = 14
# A constant key for PostgreSQL's advisory lock (any 64-bit number EMCO uses for nothing
# else): "EMCO-OPS" in ASCII.
_LOCK_KEY = 0x454D434F2D4F5053


@dataclass(frozen=True)
class OperationRow:
    id: int
    agency: str
    reference: str
    kind: OperationKind
    investigation_id: int | None
    latitude: float
    longitude: float
    radius_m: int
    address: str | None
    starts_at: datetime
    ends_at: datetime
    status: OperationStatus
    protection: Protection
    contact_name: str | None
    contact_phone: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime

    @property
    def ref(self) -> str:
        """How services name an operation to each other: AGENCY:REFERENCE."""
        return f"{self.agency}:{self.reference}"


@dataclass(frozen=True)
class Place:
    latitude: float
    longitude: float
    radius_m: int
    address: str | None = None


@dataclass(frozen=True)
class NewOperation:
    agency: str
    reference: str
    kind: OperationKind
    investigation_id: int | None
    place: Place
    starts_at: datetime
    ends_at: datetime
    protection: Protection
    contact_name: str | None
    contact_phone: str | None


@dataclass(frozen=True)
class ConflictRow:
    left_id: int
    right_id: int
    kinds: tuple[ConflictKind, ...]
    detail: dict[str, Any]
    alert_id: int | None
    found_at: datetime
    checked_at: datetime

    def other(self, operation_id: int) -> int:
        return self.right_id if operation_id == self.left_id else self.left_id


def duration_class(start: datetime, end: datetime) -> int:
    """The smallest k such that the window lasts at most 2**k hours (0 for an hour or
    less), at most the last class."""
    hours = (end - start) / timedelta(hours=1)
    if hours <= 1:
        return 0
    return min(DURATION_CLASSES - 1, math.ceil(math.log2(hours)))




def _row(r: Any) -> OperationRow:
    return OperationRow(
        id=int(r["id"]), agency=r["agency_code"], reference=r["reference"],
        kind=OperationKind(r["kind"]), investigation_id=r["investigation_id"],
        latitude=float(r["latitude"]), longitude=float(r["longitude"]),
        radius_m=int(r["radius_m"]), address=r["address"], starts_at=utc(r["starts_at"]),
        ends_at=utc(r["ends_at"]), status=OperationStatus(r["status"]),
        protection=Protection(r["protection"]), contact_name=r["contact_name"],
        contact_phone=r["contact_phone"], created_by=r["created_by"],
        created_at=utc(r["created_at"]), updated_at=utc(r["updated_at"]))


def scope_filter(scope: RecordScope) -> ColumnElement[bool]:
    """The operations a scope sees: its services' (all when None), within clearance."""
    clauses = [operations.c.protection.in_(sorted(scope.protections))]
    if scope.agencies is not None:
        clauses.append(operations.c.agency_code.in_(sorted(scope.agencies)))
    return and_(*clauses)


# --- writing --------------------------------------------------------------------------------

def lock(conn: Connection) -> None:
    """Serialise registrations and checks of operations until the transaction ends, so
    that two services registering at the same moment each see the other's operation.
    SQLite's write transactions (BEGIN IMMEDIATE) are serial already."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({_LOCK_KEY})")


def create(conn: Connection, new: NewOperation, author: str, now: datetime) -> int:
    result = conn.execute(insert(operations).values(
        agency_code=new.agency, reference=new.reference, kind=new.kind.value,
        investigation_id=new.investigation_id, latitude=new.place.latitude,
        longitude=new.place.longitude, radius_m=new.place.radius_m,
        address=new.place.address, starts_at=utc(new.starts_at), ends_at=utc(new.ends_at),
        duration_class=duration_class(new.starts_at, new.ends_at),
        status=OperationStatus.PLANNED.value, protection=new.protection.value,
        contact_name=new.contact_name, contact_phone=new.contact_phone, created_by=author,
        created_at=utc(now), updated_at=utc(now)).returning(operations.c.id))
    return int(result.scalar_one())


def change(conn: Connection, operation_id: int, now: datetime, *,
           status: OperationStatus | None = None, place: Place | None = None,
           window: tuple[datetime, datetime] | None = None) -> None:
    values: dict[str, Any] = {"updated_at": utc(now)}
    if status is not None:
        values["status"] = status.value
    if place is not None:
        values.update(latitude=place.latitude, longitude=place.longitude,
                      radius_m=place.radius_m, address=place.address)
    if window is not None:
        values.update(starts_at=utc(window[0]), ends_at=utc(window[1]),
                      duration_class=duration_class(*window))
    conn.execute(update(operations).where(operations.c.id == operation_id).values(**values))


def reference_taken(conn: Connection, agency: str, reference: str) -> bool:
    """Whether the service already has an operation of that reference (asked only for a
    service the principal writes for: the answer discloses nothing else)."""
    return conn.execute(select(operations.c.id).where(
        operations.c.agency_code == agency, operations.c.reference == reference)
    ).first() is not None


# --- reading for a principal ----------------------------------------------------------------

def get(conn: Connection, scope: RecordScope, operation_id: int) -> OperationRow | None:
    row = conn.execute(select(operations).where(
        operations.c.id == operation_id, scope_filter(scope))).mappings().first()
    return _row(row) if row else None


def by_reference(conn: Connection, scope: RecordScope, agency: str, reference: str
                 ) -> OperationRow | None:
    row = conn.execute(select(operations).where(
        operations.c.agency_code == agency, operations.c.reference == reference,
        scope_filter(scope))).mappings().first()
    return _row(row) if row else None


def listing(conn: Connection, scope: RecordScope, statuses: Sequence[OperationStatus] = (),
            limit: int | None = None) -> list[OperationRow]:
    """The operations in scope, the soonest first."""
    query = select(operations).where(scope_filter(scope))
    if statuses:
        query = query.where(operations.c.status.in_([s.value for s in statuses]))
    query = query.order_by(operations.c.starts_at, operations.c.id)
    if limit is not None:
        query = query.limit(limit)
    return [_row(r) for r in conn.execute(query).mappings()]


# --- reading for the check ------------------------------------------------------------------

def unscoped(conn: Connection, ids: Iterable[int]) -> dict[int, OperationRow]:
    wanted = sorted(set(ids))
    out: dict[int, OperationRow] = {}
    for start in range(0, len(wanted), 5000):
        rows = conn.execute(_by_ids(), {"ids": wanted[start:start + 5000]}).mappings()
        out.update((int(r["id"]), _row(r)) for r in rows)
    return out


@lru_cache(maxsize=1)
def _by_ids() -> Any:
    return select(operations).where(operations.c.id.in_(bindparam("ids", expanding=True)))


def planned_ids(conn: Connection, kinds: Sequence[OperationKind] = ()) -> list[int]:
    """The ids of the planned operations (of these kinds), the ones that are checked."""
    query = select(operations.c.id).where(
        operations.c.status == OperationStatus.PLANNED.value)
    if kinds:
        query = query.where(operations.c.kind.in_([k.value for k in kinds]))
    return [int(i) for (i,) in conn.execute(query.order_by(operations.c.id))]


# Metres per degree of latitude (and of longitude at the equator), on the mean sphere.
METRES_PER_DEGREE = 111_194.9


@dataclass(frozen=True)
class Near:
    """Where a search for operations near one looks: its centre, how far beyond an
    operation's own radius it reaches (its radius plus the margin), and the largest
    radius an operation may have."""

    latitude: float
    longitude: float
    reach_m: float
    max_radius_m: float


def meeting_in_time(conn: Connection, start: datetime, end: datetime, margin: timedelta,
                    near: Near | None = None) -> list[OperationRow]:
    """Planned operations whose windows come within `margin` of [start, end) and, with
    `near`, whose areas may come within `near.reach_m` of its centre (a box test,
    slightly generous: the caller measures distances exactly).

    One range of start times per duration class, each served by `ix_operations_search`,
    whose other columns (place, radius) let the box be tested in the index: a window of
    class k that ends after `start - margin` began after `start - margin - 2**k hours`.
    Without the classes, every operation that began before `end` would be read."""
    low, high = utc(start) - margin, utc(end) + margin
    params: dict[str, Any] = {"low": low, "high": high, "planned": OperationStatus.PLANNED}
    params.update((f"low{k}", low - timedelta(hours=2 ** k))
                  for k in range(DURATION_CLASSES - 1))
    box = "none"
    if near is not None:
        widest = (near.reach_m + near.max_radius_m) / METRES_PER_DEGREE
        south, north = near.latitude - widest, near.latitude + widest
        params.update(lat=near.latitude, south=south, north=north, reach=near.reach_m)
        box = "latitude"
        polar = max(abs(south), abs(north))
        if polar < 89:  # the shortest degree of longitude in the box, 1% shorter still
            per_degree = METRES_PER_DEGREE * math.cos(math.radians(polar)) * 0.99
            span = widest * METRES_PER_DEGREE / per_degree
            if near.longitude - span > -180 and near.longitude + span < 180:
                params.update(lon=near.longitude, west=near.longitude - span,
                              east=near.longitude + span, per_degree=per_degree)
                box = "both"
    rows = conn.execute(_search(box), params).mappings()
    return [_row(r) for r in rows]


@lru_cache(maxsize=4)
def _search(box: str) -> Any:
    """The statement of `meeting_in_time`, built once (building it is most of the work
    for a search that finds a few rows): `box` is none, latitude or both. One SELECT per
    duration class, joined by UNION ALL: an OR of the classes' ranges is read by SQLite
    as a scan of every planned operation."""
    c = operations.c
    clauses = [c.ends_at > bindparam("low")]
    if box in ("latitude", "both"):
        # Each operation's own box: its centre within the reach plus its own radius.
        clauses += [c.latitude.between(bindparam("south"), bindparam("north")),
                    func.abs(c.latitude - bindparam("lat")) * METRES_PER_DEGREE
                    <= c.radius_m + bindparam("reach")]
    if box == "both":
        clauses += [c.longitude.between(bindparam("west"), bindparam("east")),
                    func.abs(c.longitude - bindparam("lon")) * bindparam("per_degree")
                    <= c.radius_m + bindparam("reach")]
    last = DURATION_CLASSES - 1  # windows of any length: no bound below
    per_class = [select(operations).where(
        c.status == bindparam("planned"), c.duration_class == k,
        c.starts_at > bindparam(f"low{k}") if k < last else c.starts_at.is_not(None),
        c.starts_at < bindparam("high"), *clauses) for k in range(DURATION_CLASSES)]
    return union_all(*per_class)


def any_starting(conn: Connection, low: datetime, high: datetime, other_than: str,
                 kinds: Sequence[OperationKind] = ()) -> bool:
    """Whether a planned operation (of these kinds) of a service other than `other_than`
    starts strictly between `low` and `high`."""
    params = {"planned": OperationStatus.PLANNED.value, "low": utc(low), "high": utc(high),
              "classes": list(range(DURATION_CLASSES)), "kinds": [k.value for k in kinds],
              "agency": other_than}
    return conn.execute(_starting(bool(kinds)), params).first() is not None


@lru_cache(maxsize=2)
def _starting(of_kinds: bool) -> Any:
    c = operations.c
    clauses = [c.status == bindparam("planned"),
               c.duration_class.in_(bindparam("classes", expanding=True)),
               c.starts_at > bindparam("low"), c.starts_at < bindparam("high"),
               c.agency_code != bindparam("agency")]
    if of_kinds:
        clauses.append(c.kind.in_(bindparam("kinds", expanding=True)))
    return select(c.id).where(*clauses).limit(1)


# --- conflicts ------------------------------------------------------------------------------

def _conflict(r: Any) -> ConflictRow:
    return ConflictRow(
        left_id=int(r["left_id"]), right_id=int(r["right_id"]),
        kinds=tuple(ConflictKind(k) for k in r["kinds"].split(",")),
        detail=json.loads(r["detail"]), alert_id=r["alert_id"],
        found_at=utc(r["found_at"]), checked_at=utc(r["checked_at"]))


def conflicts_of(conn: Connection, operation_ids: Sequence[int]) -> list[ConflictRow]:
    """The standing conflicts involving any of these operations."""
    out: dict[tuple[int, int], ConflictRow] = {}
    wanted = sorted(set(operation_ids))
    for start in range(0, len(wanted), 2000):
        part = wanted[start:start + 2000]
        rows = conn.execute(select(operation_conflicts).where(or_(
            operation_conflicts.c.left_id.in_(part),
            operation_conflicts.c.right_id.in_(part)))).mappings()
        for r in rows:
            row = _conflict(r)
            out[(row.left_id, row.right_id)] = row
    return [out[k] for k in sorted(out)]


def all_conflicts(conn: Connection) -> list[ConflictRow]:
    rows = conn.execute(select(operation_conflicts).order_by(
        operation_conflicts.c.left_id, operation_conflicts.c.right_id)).mappings()
    return [_conflict(r) for r in rows]


def save_conflict(conn: Connection, left_id: int, right_id: int,
                  kinds: Sequence[ConflictKind], detail: dict[str, Any], alert_id: int | None,
                  now: datetime) -> None:
    """Record (or refresh) the conflict of a pair; `left_id` < `right_id`."""
    values = {"kinds": ",".join(k.value for k in kinds),
              "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True),
              "alert_id": alert_id, "checked_at": utc(now)}
    pair = and_(operation_conflicts.c.left_id == left_id,
                operation_conflicts.c.right_id == right_id)
    done = conn.execute(update(operation_conflicts).where(pair).values(**values))
    if not done.rowcount:
        conn.execute(insert(operation_conflicts).values(
            left_id=left_id, right_id=right_id, found_at=utc(now), **values))


def drop_conflicts(conn: Connection, pairs: Iterable[tuple[int, int]]) -> None:
    """Forget conflicts that no longer stand (the alerts raised for them stay)."""
    for left, right in pairs:
        conn.execute(delete(operation_conflicts).where(
            operation_conflicts.c.left_id == left, operation_conflicts.c.right_id == right))


def in_conflict(conn: Connection, operation_ids: Sequence[int]) -> set[int]:
    """Which of these operations stand in a conflict."""
    return {op for c in conflicts_of(conn, operation_ids) for op in (c.left_id, c.right_id)
            if op in set(operation_ids)}
