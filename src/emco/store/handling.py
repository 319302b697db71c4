"""Repository of handling requests: a record asked to be passed to another service (H2)
or used before a court (H1), and the owning service's decision.

A request is one row; its decision is written on the row once (pending -> approved,
refused or withdrawn) and never changed after. Only `emco.access` calls these functions
(`emco.access.handling` inside the gate; `emco.access.gate` for the records granted to
a service, which enter its scope).
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, insert, select, update

from emco.model.enums import HandlingCode, HandlingKind, HandlingStatus
from emco.store.db import utc
from emco.store.tables import handling_requests, records

_PART = 1000  # ids per IN clause


@dataclass(frozen=True)
class RecordHandling:
    """What the handling rules need of one record."""

    id: int
    agency: str
    schema: str
    caption: str
    handling: HandlingCode
    condition: str | None
    protection: str


@dataclass(frozen=True)
class RequestRow:
    id: int
    record_id: int
    kind: HandlingKind
    owner_agency: str
    for_agency: str
    case_ref: str | None
    motif: str
    requested_by: str
    requested_at: datetime
    status: HandlingStatus
    decided_by: str | None
    decided_at: datetime | None
    decision_note: str | None
    record: RecordHandling | None = None  # the record's caption and code, when joined


def _record(row: Any) -> RecordHandling:
    return RecordHandling(int(row["id"]), row["agency_code"], row["schema"], row["caption"],
                          HandlingCode(row["handling"]), row["handling_condition"],
                          row["protection"])


def _request(row: Any, record: RecordHandling | None = None) -> RequestRow:
    return RequestRow(
        id=int(row["id"]), record_id=int(row["record_id"]), kind=HandlingKind(row["kind"]),
        owner_agency=row["owner_agency"], for_agency=row["for_agency"],
        case_ref=row["case_ref"], motif=row["motif"], requested_by=row["requested_by"],
        requested_at=utc(row["requested_at"]), status=HandlingStatus(row["status"]),
        decided_by=row["decided_by"], decided_at=utc(row["decided_at"]),
        decision_note=row["decision_note"], record=record)


_RECORD_COLUMNS = (records.c.id, records.c.agency_code, records.c.schema, records.c.caption,
                   records.c.handling, records.c.handling_condition, records.c.protection)


def records_handling(conn: Connection, record_ids: Iterable[int]) -> dict[int, RecordHandling]:
    """The service, kind, caption and handling code of records (not scoped: the caller
    decides what it may show)."""
    wanted = sorted(set(record_ids))
    out: dict[int, RecordHandling] = {}
    for first in range(0, len(wanted), _PART):
        query = select(*_RECORD_COLUMNS).where(records.c.id.in_(wanted[first:first + _PART]))
        out.update({int(r["id"]): _record(r) for r in conn.execute(query).mappings()})
    return out


def add(conn: Connection, *, record_id: int, kind: HandlingKind, owner_agency: str,
        for_agency: str, case_ref: str | None, motif: str, requested_by: str,
        at: datetime, status: HandlingStatus, decided_by: str | None = None) -> int:
    """A new request; a request granted at once is written approved, decided by its
    author at the same time."""
    done = status is not HandlingStatus.PENDING
    return int(conn.execute(insert(handling_requests).values(
        record_id=record_id, kind=kind.value, owner_agency=owner_agency,
        for_agency=for_agency, case_ref=case_ref, motif=motif, requested_by=requested_by,
        requested_at=at, status=status.value, decided_by=decided_by if done else None,
        decided_at=at if done else None).returning(handling_requests.c.id)).scalar_one())


def get(conn: Connection, request_id: int) -> RequestRow | None:
    row = conn.execute(select(handling_requests).where(
        handling_requests.c.id == request_id)).mappings().one_or_none()
    if row is None:
        return None
    return _request(row, records_handling(conn, [row["record_id"]]).get(row["record_id"]))


def open_request(conn: Connection, record_id: int, kind: HandlingKind, for_agency: str,
                 statuses: tuple[HandlingStatus, ...]) -> RequestRow | None:
    """A request for the same record, kind and service in one of `statuses`."""
    row = conn.execute(select(handling_requests).where(
        handling_requests.c.record_id == record_id, handling_requests.c.kind == kind.value,
        handling_requests.c.for_agency == for_agency,
        handling_requests.c.status.in_([s.value for s in statuses]))
        .order_by(handling_requests.c.id.desc()).limit(1)).mappings().one_or_none()
    return None if row is None else _request(row)


def decide(conn: Connection, request_id: int, status: HandlingStatus, by: str,
           at: datetime, note: str | None) -> bool:
    """Close a pending request; False when it was no longer pending (a concurrent
    decision won)."""
    done = conn.execute(update(handling_requests).where(
        handling_requests.c.id == request_id,
        handling_requests.c.status == HandlingStatus.PENDING.value).values(
        status=status.value, decided_by=by, decided_at=at, decision_note=note))
    return done.rowcount == 1


def listing(conn: Connection, *, owner_agency: str | None = None,
            requested_by: str | None = None, status: HandlingStatus | None = None,
            limit: int = 200) -> list[RequestRow]:
    """Requests about a service's records, or made by a user; newest first."""
    query = select(handling_requests)
    if owner_agency is not None:
        query = query.where(handling_requests.c.owner_agency == owner_agency)
    if requested_by is not None:
        query = query.where(handling_requests.c.requested_by == requested_by)
    if status is not None:
        query = query.where(handling_requests.c.status == status.value)
    rows = conn.execute(query.order_by(handling_requests.c.id.desc()).limit(limit)
                        ).mappings().all()
    shown = records_handling(conn, [r["record_id"] for r in rows])
    return [_request(r, shown.get(r["record_id"])) for r in rows]


def granted_to(conn: Connection, agency: str) -> frozenset[int]:
    """The records other services passed to `agency` (approved dissemination requests)."""
    query = select(handling_requests.c.record_id).where(
        handling_requests.c.for_agency == agency,
        handling_requests.c.kind == HandlingKind.DISSEMINATE.value,
        handling_requests.c.status == HandlingStatus.APPROVED.value)
    return frozenset(int(r) for (r,) in conn.execute(query))


def judicial_approved(conn: Connection, for_agency: str, record_ids: Iterable[int]
                      ) -> set[int]:
    """The records among `record_ids` whose owner approved their use before a court by
    `for_agency`."""
    wanted = sorted(set(record_ids))
    out: set[int] = set()
    for first in range(0, len(wanted), _PART):
        query = select(handling_requests.c.record_id).where(
            handling_requests.c.record_id.in_(wanted[first:first + _PART]),
            handling_requests.c.for_agency == for_agency,
            handling_requests.c.kind == HandlingKind.JUDICIAL.value,
            handling_requests.c.status == HandlingStatus.APPROVED.value)
        out.update(int(r) for (r,) in conn.execute(query))
    return out
