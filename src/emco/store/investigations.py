"""Repository of investigations: a service's cases as its liaison registers them.

Reads take the principal's `RecordScope`: a service sees its own investigations, the
staff's operators every service's, each within its clearance (DR ones need DR). Only
`emco.deconflict` calls these functions, inside the access gate.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, exists, insert, or_, select, update

from emco.model.enums import AlertKind, InvestigationStatus, OperationStatus, Protection
from emco.model.types import RecordScope
from emco.store.records import as_date
from emco.store.tables import alerts, investigations, operations


@dataclass(frozen=True)
class Contact:
    name: str
    phone: str | None
    email: str | None


@dataclass(frozen=True)
class InvestigationRow:
    id: int
    agency: str
    reference: str
    title: str
    contact: Contact
    court: str | None
    prosecutor: str | None
    status: InvestigationStatus
    protection: Protection
    opened: date | None
    created_by: str
    created_at: datetime
    updated_at: datetime

    @property
    def ref(self) -> str:
        """How people name a case across services: AGENCY:REFERENCE."""
        return f"{self.agency}:{self.reference}"


@dataclass(frozen=True)
class NewInvestigation:
    agency: str
    reference: str
    title: str
    contact: Contact
    court: str | None
    prosecutor: str | None
    status: InvestigationStatus
    protection: Protection
    opened: date | None


def scope_filter(scope: RecordScope) -> ColumnElement[bool]:
    """The investigations a scope sees: its services' (all when None), within clearance."""
    clauses = [investigations.c.protection.in_(sorted(scope.protections))]
    if scope.agencies is not None:
        clauses.append(investigations.c.agency_code.in_(sorted(scope.agencies)))
    return and_(*clauses)


def _row(r: Any) -> InvestigationRow:
    return InvestigationRow(
        id=int(r["id"]), agency=r["agency_code"], reference=r["reference"], title=r["title"],
        contact=Contact(r["contact_name"], r["contact_phone"], r["contact_email"]),
        court=r["court"], prosecutor=r["prosecutor"], status=InvestigationStatus(r["status"]),
        protection=Protection(r["protection"]), opened=as_date(r["opened_on"]),
        created_by=r["created_by"], created_at=r["created_at"], updated_at=r["updated_at"])


def create(conn: Connection, new: NewInvestigation, author: str, now: datetime) -> int:
    result = conn.execute(insert(investigations).values(
        agency_code=new.agency, reference=new.reference, title=new.title,
        contact_name=new.contact.name, contact_phone=new.contact.phone,
        contact_email=new.contact.email, court=new.court, prosecutor=new.prosecutor,
        status=new.status.value, protection=new.protection.value, opened_on=new.opened,
        created_by=author, created_at=now, updated_at=now).returning(investigations.c.id))
    return int(result.scalar_one())


def reference_taken(conn: Connection, agency: str, reference: str) -> bool:
    """Whether the service already has a case of that reference (callers ask only about
    a service the principal writes for: the answer discloses nothing else)."""
    found = conn.execute(select(investigations.c.id).where(
        investigations.c.agency_code == agency, investigations.c.reference == reference))
    return found.first() is not None


def get(conn: Connection, scope: RecordScope, investigation_id: int) -> InvestigationRow | None:
    row = conn.execute(select(investigations).where(
        investigations.c.id == investigation_id, scope_filter(scope))).mappings().first()
    return _row(row) if row else None


def by_reference(conn: Connection, scope: RecordScope, agency: str, reference: str
                 ) -> InvestigationRow | None:
    row = conn.execute(select(investigations).where(
        investigations.c.agency_code == agency, investigations.c.reference == reference,
        scope_filter(scope))).mappings().first()
    return _row(row) if row else None


def listing(conn: Connection, scope: RecordScope, status: InvestigationStatus | None = None,
            agency: str | None = None) -> list[InvestigationRow]:
    """The investigations in scope, newest first."""
    query = select(investigations).where(scope_filter(scope))
    if status is not None:
        query = query.where(investigations.c.status == status.value)
    if agency is not None:
        query = query.where(investigations.c.agency_code == agency)
    query = query.order_by(investigations.c.created_at.desc(), investigations.c.id.desc())
    return [_row(r) for r in conn.execute(query).mappings()]


def unscoped(conn: Connection, ids: list[int]) -> dict[int, InvestigationRow]:
    """Investigations by id whatever the reader's scope: for the deconfliction check,
    which tells each side only its own disclosure."""
    if not ids:
        return {}
    rows = conn.execute(select(investigations).where(investigations.c.id.in_(ids))).mappings()
    return {int(r["id"]): _row(r) for r in rows}


def is_open(owner_id: Any) -> ColumnElement[bool]:
    """Whether the investigation `owner_id` (a column) is open: the ones deconflicted.
    A correlated test, one primary-key lookup per row: an `IN` over the ids of every open
    investigation made SQLite build that list on each query (100 ms for 100,000)."""
    return exists().where(investigations.c.id == owner_id,
                          investigations.c.status == InvestigationStatus.OPEN.value)


def is_active(owner_id: Any) -> ColumnElement[bool]:
    """Open or suspended: a suspended case may resume, so a hit on it still counts."""
    return exists().where(investigations.c.id == owner_id, investigations.c.status.in_(
        [InvestigationStatus.OPEN.value, InvestigationStatus.SUSPENDED.value]))


def overlap_alert_ids(conn: Connection, investigation_id: int) -> list[int]:
    """The target-overlap alerts raised for pairs this investigation is in (their keys
    are `investigations:A:B`, the two ids sorted), newest first."""
    own = str(investigation_id)
    query = select(alerts.c.id).where(
        alerts.c.kind == AlertKind.TARGET_OVERLAP.value,
        or_(alerts.c.key.like(f"investigations:{own}:%"),
            alerts.c.key.like(f"investigations:%:{own}"))).order_by(alerts.c.id.desc())
    return [int(r) for (r,) in conn.execute(query)]


def with_planned_operations(conn: Connection, ids: list[int]) -> set[int]:
    """Those of these investigations that have a planned operation still to end."""
    if not ids:
        return set()
    query = select(operations.c.investigation_id).distinct().where(
        operations.c.investigation_id.in_(ids),
        operations.c.status == OperationStatus.PLANNED.value,
        operations.c.ends_at > datetime.now(UTC))
    return {int(i) for (i,) in conn.execute(query)}


def set_status(conn: Connection, investigation_id: int, status: InvestigationStatus,
               now: datetime) -> None:
    conn.execute(update(investigations).where(investigations.c.id == investigation_id)
                 .values(status=status.value, updated_at=now))
