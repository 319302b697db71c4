"""The handling API: requests to pass a record to another service (H2) or to use it before
a court (H1), the owner's decision, and the judicial export of an entity. Routes parse,
call one stage function (`emco.access.handling`, `emco.access.judicial`), and return its
result."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from emco.access import handling, judicial
from emco.api.routes import CONFLICT, ERRORS, CaseRef, Motif
from emco.api.schemas import MAX_ID, NO_NUL
from emco.web.deps import AccessDep

router = APIRouter(prefix="/api/v1", responses=ERRORS)

RequestId = Annotated[int, Path(ge=1, le=MAX_ID, description="The request's id.")]
EntityId = Annotated[str, Path(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_-]+$",
                               description="The resolved entity's id.")]


class HandlingRequestIn(BaseModel):
    record: int = Field(ge=1, le=MAX_ID, description="The record's id in EMCO.")
    kind: str = Field(max_length=16, pattern=NO_NUL,
                      description="disseminate (pass it to `for_agency`) or judicial "
                                  "(use it before a court).")
    for_agency: str | None = Field(default=None, max_length=16, pattern=NO_NUL,
                                   description="The service to pass it to (disseminate).")
    motif: str = Field(max_length=500, pattern=NO_NUL, description="Why.")
    case_ref: str | None = Field(default=None, max_length=100, pattern=NO_NUL,
                                 description="The case it serves (required for judicial).")


class DecisionIn(BaseModel):
    approve: bool = Field(description="true to approve, false to refuse.")
    note: str | None = Field(default=None, max_length=1000, pattern=NO_NUL)


class HandlingRequestOut(BaseModel):
    id: int
    record: int
    kind: str
    owner_agency: str
    for_agency: str
    case_ref: str | None
    motif: str
    requested_by: str
    requested_at: str
    status: str = Field(description="pending, approved, refused or withdrawn.")
    decided_by: str | None
    decided_at: str | None
    decision_note: str | None
    caption: str | None
    schema_: str | None = Field(alias="schema", serialization_alias="schema")
    handling: str | None
    handling_condition: str | None = Field(description="The owner's condition, for H3.")

    @classmethod
    def of(cls, d: dict[str, Any]) -> "HandlingRequestOut":
        return cls(**d)


class HandlingRequestsOut(BaseModel):
    to_decide: list[HandlingRequestOut] = Field(
        description="Pending requests about the caller's service's records.")
    decided: list[HandlingRequestOut]
    mine: list[HandlingRequestOut] = Field(description="The caller's own requests.")


class WithheldOut(BaseModel):
    agency: str
    count: int
    records: list[int] = Field(description="Their ids, to ask the owner's consent.")


class JudicialExportOut(BaseModel):
    entity: str
    case_ref: str
    motif: str
    network: bool
    exported: int
    withheld: list[WithheldOut] = Field(description="H1 records left out, per owner.")
    entities: list[dict[str, Any]] = Field(
        description="FtM entities, each with an `emco` sidecar (record, service, grade, "
                    "handling code and H3 condition).")


def _out(row: Any) -> HandlingRequestOut:
    return HandlingRequestOut.of(handling.request_dict(row))


@router.get("/handling-requests", tags=["handling"])
def list_requests(access: AccessDep) -> HandlingRequestsOut:
    """The pending requests a liaison of the owning service decides, its past decisions,
    and the caller's own requests; newest first."""
    found = handling.listing(access)
    return HandlingRequestsOut(to_decide=[_out(r) for r in found.to_decide],
                               decided=[_out(r) for r in found.decided],
                               mine=[_out(r) for r in found.mine])


@router.post("/handling-requests", tags=["handling"], status_code=201, responses=CONFLICT)
def create_request(access: AccessDep, body: HandlingRequestIn) -> HandlingRequestOut:
    """Ask a record's owner to pass it to another service (H2) or to use it before a
    court (H1). Granted at once (status approved) when the record's code does not
    restrict that use. 409 when the same request is pending or granted already."""
    return _out(handling.request(access, body.record, kind=body.kind, motif=body.motif,
                                 case_ref=body.case_ref, for_agency=body.for_agency))


@router.post("/handling-requests/{request_id}/decision", tags=["handling"],
             responses=CONFLICT)
def decide_request(access: AccessDep, request_id: RequestId, body: DecisionIn
                   ) -> HandlingRequestOut:
    """Approve or refuse a pending request (a liaison of the owning service). 409 when
    it is no longer pending."""
    return _out(handling.decide(access, request_id, approve=body.approve, note=body.note))


@router.post("/handling-requests/{request_id}/withdrawal", tags=["handling"],
             responses=CONFLICT)
def withdraw_request(access: AccessDep, request_id: RequestId) -> HandlingRequestOut:
    """Withdraw one's own pending request."""
    return _out(handling.withdraw(access, request_id))


@router.get("/entities/{entity_id}/judicial-export", tags=["handling"])
def judicial_export(access: AccessDep, entity_id: EntityId, motif: Motif = None,
                    case_ref: CaseRef = None,
                    network: Annotated[bool, Query(description="Also the records of its "
                                                   "network's other members.")] = False
                    ) -> JudicialExportOut:
    """The entity's records as FtM entities for a court (the staff's operators), H1
    records left out unless their owner consented; what was left out is listed per
    owning service, ids only."""
    found = judicial.export(access, entity_id, case_ref=case_ref, motif=motif,
                            network=network)
    return JudicialExportOut(entity=found.entity, case_ref=found.case_ref,
                             motif=found.motif, network=found.network,
                             exported=len(found.lines),
                             withheld=[WithheldOut(**w) for w in found.withheld_list()],
                             entities=found.lines)
