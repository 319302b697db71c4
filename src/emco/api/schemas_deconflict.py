"""Request and response bodies of the deconfliction API (investigations, targets, hits).
The pages render these same objects."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from emco.alerts.service import AlertView
from emco.api.schemas import NO_NUL
from emco.deconflict.hits import HitResult
from emco.deconflict.investigations import InvestigationView
from emco.deconflict.overlaps import spec_given
from emco.model.enums import InvestigationStatus, Protection, TargetKind
from emco.store.investigations import InvestigationRow
from emco.store.targets import TargetRow

TargetValue = str | int | dict[str, str]
VALUE_HELP = ("A phone, plate, IBAN, document number or e-mail as the service knows it; "
              "a record's id; an entity's id (E00000042); for a person, an object "
              "{name, birth_date, phone}.")


class ContactIn(BaseModel):
    name: str = Field(max_length=200, pattern=NO_NUL, description="The lead investigator.")
    phone: str | None = Field(default=None, max_length=40, pattern=NO_NUL)
    email: str | None = Field(default=None, max_length=200, pattern=NO_NUL)


class ContactOut(BaseModel):
    name: str | None
    phone: str | None
    email: str | None


class TargetIn(BaseModel):
    kind: TargetKind
    value: TargetValue = Field(description=VALUE_HELP)


class InvestigationIn(BaseModel):
    agency: str = Field(max_length=16, pattern=NO_NUL,
                        description="The service's code; a liaison registers its own "
                                    "service's investigations only.")
    reference: str = Field(max_length=100, pattern=NO_NUL,
                           description="The service's own case number, unique in it.")
    title: str = Field(max_length=500, pattern=NO_NUL)
    lead_contact: ContactIn
    court: str | None = Field(default=None, max_length=200, pattern=NO_NUL)
    prosecutor: str | None = Field(default=None, max_length=200, pattern=NO_NUL)
    protection: Protection = Protection.NP
    opened: date | None = None
    targets: list[TargetIn] = Field(default_factory=list, max_length=200)


class StatusIn(BaseModel):
    status: InvestigationStatus


class TargetOut(BaseModel):
    id: int
    kind: TargetKind
    value: Any = Field(description="As the service registered it.")
    key: str | None = Field(description="Its normalised form (E.164 phone, compact IBAN...).")
    record_id: int | None
    entity_id: str | None
    added_by: str
    added_at: datetime

    @classmethod
    def of(cls, t: TargetRow) -> "TargetOut":
        return cls(id=t.id, kind=t.kind, value=spec_given(t), key=t.key,
                   record_id=t.record_id, entity_id=t.entity_id, added_by=t.added_by,
                   added_at=t.added_at)


class OverlapOut(BaseModel):
    """An overlap alert as the reader may see it: its own service's disclosure, or the
    staff's whole picture."""

    id: int
    title: str
    severity: str
    state: str
    updated_at: datetime
    disclosure: dict[str, Any] | None = Field(description="What the reader's service "
                                                          "learns (a recipient).")
    staff_view: dict[str, Any] | None = Field(description="Everything (the staff only).")

    @classmethod
    def of(cls, a: AlertView) -> "OverlapOut":
        return cls(id=a.id, title=a.title, severity=a.severity, state=a.state.value,
                   updated_at=a.updated_at, disclosure=a.disclosure, staff_view=a.staff_view)


class InvestigationOut(BaseModel):
    id: int
    agency: str
    reference: str
    title: str
    lead_contact: ContactOut
    court: str | None
    prosecutor: str | None
    status: InvestigationStatus
    protection: Protection
    opened: date | None
    created_by: str
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, i: InvestigationRow) -> "InvestigationOut":
        return cls(id=i.id, agency=i.agency, reference=i.reference, title=i.title,
                   lead_contact=ContactOut(name=i.contact.name, phone=i.contact.phone,
                                           email=i.contact.email),
                   court=i.court, prosecutor=i.prosecutor, status=i.status,
                   protection=i.protection, opened=i.opened, created_by=i.created_by,
                   created_at=i.created_at, updated_at=i.updated_at)


class InvestigationDetail(InvestigationOut):
    targets: list[TargetOut]
    overlaps: list[OverlapOut] = Field(description="Alerts of other services working on "
                                                   "one of its targets, newest first.")

    @classmethod
    def of_view(cls, v: InvestigationView, alerts: list[AlertView]) -> "InvestigationDetail":
        base = InvestigationOut.of(v.investigation)
        return cls(**base.model_dump(), targets=[TargetOut.of(t) for t in v.targets],
                   overlaps=[OverlapOut.of(a) for a in alerts])


class InvestigationList(BaseModel):
    investigations: list[InvestigationOut]


class HitIn(BaseModel):
    kind: TargetKind = Field(description="phone, plate, iban, document, email or person.")
    value: TargetValue = Field(description=VALUE_HELP)


class HitContactOut(BaseModel):
    agency: str
    name: str
    contact_name: str
    phone: str
    email: str


class HitOut(BaseModel):
    """Hit or no hit, with the contact points of the services to call; padded with
    spaces so that every answer to a query has the same length."""

    kind: TargetKind
    key: str | None = Field(description="The query as understood (normalised).")
    hit: bool
    contacts: list[HitContactOut]
    padding: str

    @classmethod
    def of(cls, r: HitResult) -> "HitOut":
        return cls(kind=r.kind, key=r.key, hit=r.hit, padding="",
                   contacts=[HitContactOut(**c.to_dict()) for c in r.contacts])
