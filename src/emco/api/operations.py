"""The operations API: register, list, read and change a service's operations, add their
targets, and the map's GeoJSON. Routes parse, call one stage function, and return its
result; a service learns of another's operation only through an alert's disclosure."""

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field

from emco.api.routes import ERRORS
from emco.api.schemas import MAX_ID, NO_NUL, ErrorOut
from emco.api.schemas_deconflict import TargetIn, TargetOut
from emco.deconflict import operations as stage
from emco.deconflict.conflicts import Margins
from emco.deconflict.operation_input import OperationIn
from emco.model.enums import OperationKind, OperationStatus, Protection
from emco.web.deps import AccessDep, SettingsDep

CONFLICT: dict[int | str, dict[str, object]] = {409: {"model": ErrorOut}}
router = APIRouter(prefix="/api/v1", responses=ERRORS, tags=["operations"])
OperationId = Annotated[int, Path(ge=1, le=MAX_ID, description="The operation's id in "
                                                               "EMCO.")]
Statuses = Annotated[list[OperationStatus] | None, Query(
    alias="status", description="Only these statuses (repeat); every status when none.")]
TIME_HELP = "With its offset from UTC, such as 2026-02-03T06:00:00+01:00."


def get_margins(settings: SettingsDep) -> Margins:
    return Margins.of(settings)


MarginsDep = Annotated[Margins, Depends(get_margins)]


class OperationBody(BaseModel):
    agency: str | None = Field(default=None, max_length=16, pattern=NO_NUL,
                               description="The service's code (the caller's when not "
                                           "given); a liaison registers its own only.")
    reference: str = Field(max_length=100, pattern=NO_NUL,
                           description="The service's own reference, unique in it.")
    kind: str = Field(max_length=32, description="raid, surveillance, controlled_delivery, "
                                                 "arrest, transfer or extraction.")
    latitude: float = Field(description="Of the centre, in degrees (-90 to 90).")
    longitude: float = Field(description="Of the centre, in degrees (-180 to 180).")
    radius_m: float = Field(description="Of the area, in metres (1 to 100,000).")
    address: str | None = Field(default=None, max_length=500, pattern=NO_NUL)
    start: datetime = Field(description=TIME_HELP)
    end: datetime = Field(description=TIME_HELP + " After the start, a year at most.")
    investigation: str | None = Field(default=None, max_length=120, pattern=NO_NUL,
                                      description="The service's investigation it serves "
                                                  "(its reference, or AGENCY:REFERENCE).")
    protection: str = Field(default=Protection.NP.value, max_length=2)
    contact_name: str | None = Field(default=None, max_length=200, pattern=NO_NUL,
                                     description="Whom other services call about it (the "
                                                 "investigation's lead, else the service's "
                                                 "contact point, when not given).")
    contact_phone: str | None = Field(default=None, max_length=40, pattern=NO_NUL)
    targets: list[TargetIn] = Field(default_factory=list, max_length=100)


class ChangeBody(BaseModel):
    status: str | None = Field(default=None, max_length=16,
                               description="planned, cancelled or done.")
    start: datetime | None = Field(default=None, description=TIME_HELP)
    end: datetime | None = Field(default=None, description=TIME_HELP)
    latitude: float | None = None
    longitude: float | None = None
    radius_m: float | None = None
    address: str | None = Field(default=None, max_length=500, pattern=NO_NUL)


class TargetsBody(BaseModel):
    targets: list[TargetIn] = Field(max_length=100)


class ConflictOut(BaseModel):
    alert_id: int | None
    kinds: list[str] = Field(description="place_time, surveillance, transfer.")
    disclosure: dict[str, Any] | None = Field(
        description="What the operation's service was told: the other service, its "
                    "reference and contact point, and what matched as the service itself "
                    "registered it.")
    staff_view: dict[str, Any] | None = Field(
        description="The whole picture, for the staff's operators only.")


class OperationOut(BaseModel):
    id: int
    agency: str
    reference: str
    kind: OperationKind
    status: OperationStatus
    latitude: float
    longitude: float
    radius_m: int
    address: str | None
    start: datetime
    end: datetime
    protection: Protection
    in_conflict: bool

    @classmethod
    def of(cls, s: stage.OperationSummary) -> "OperationOut":
        o = s.operation
        return cls(id=o.id, agency=o.agency, reference=o.reference, kind=o.kind,
                   status=o.status, latitude=o.latitude, longitude=o.longitude,
                   radius_m=o.radius_m, address=o.address, start=o.starts_at,
                   end=o.ends_at, protection=o.protection, in_conflict=s.in_conflict)


class RiskWarningOut(BaseModel):
    entity: str
    level: str = Field(description="The consolidated level: high or critical.")
    criteria: list[str] = Field(description="Special-detainee criteria met.")
    assessed_at: datetime


class OperationDetail(OperationOut):
    investigation: str | None
    contact_name: str | None
    contact_phone: str | None
    created_by: str
    created_at: datetime
    updated_at: datetime
    targets: list[TargetOut]
    conflicts: list[ConflictOut]
    warnings: list[RiskWarningOut] = Field(
        default_factory=list, description="People this transfer or extraction moves whom "
                                          "the consolidated assessment rates dangerous.")

    @classmethod
    def of_view(cls, v: stage.OperationView) -> "OperationDetail":
        base = OperationOut.of(stage.OperationSummary(v.operation, bool(v.conflicts)))
        o = v.operation
        return cls(**base.model_dump(), investigation=v.investigation,
                   contact_name=o.contact_name, contact_phone=o.contact_phone,
                   created_by=o.created_by, created_at=o.created_at,
                   updated_at=o.updated_at, targets=[TargetOut.of(t) for t in v.targets],
                   conflicts=[ConflictOut(alert_id=c.alert_id, kinds=c.kinds,
                                          disclosure=c.disclosure, staff_view=c.staff_view)
                              for c in v.conflicts],
                   warnings=[RiskWarningOut(entity=w.entity_id, level=w.level,
                                            criteria=w.criteria, assessed_at=w.assessed_at)
                             for w in v.warnings])


class OperationList(BaseModel):
    operations: list[OperationOut]


class PointOut(BaseModel):
    type: Literal["Point"] = "Point"
    coordinates: list[float] = Field(description="[longitude, latitude]")


class FeatureProperties(BaseModel):
    id: int
    agency: str
    reference: str
    kind: OperationKind
    status: OperationStatus
    radius_m: int
    start: datetime
    end: datetime
    conflict: bool = Field(description="A conflict stands on it (an alert was raised).")
    url: str = Field(description="Its page.")


class FeatureOut(BaseModel):
    type: Literal["Feature"] = "Feature"
    id: int
    geometry: PointOut
    properties: FeatureProperties


class FeatureCollectionOut(BaseModel):
    type: Literal["FeatureCollection"] = "FeatureCollection"
    features: list[FeatureOut]


def _targets(items: list[TargetIn]) -> list[tuple[str, Any]]:
    return [(t.kind.value, t.value) for t in items]


@router.post("/operations", status_code=201, responses=CONFLICT)
def register_operation(access: AccessDep, settings: SettingsDep, margins: MarginsDep,
                       body: OperationBody) -> OperationDetail:
    """Register a planned operation of the caller's service (the staff's operators: of
    any service) and check it at once against every other service's. Each conflict is
    returned as what the service is told; both services receive an alert. Nothing is
    written when anything is refused."""
    view = stage.register(access, OperationIn(
        agency=body.agency or access.principal.agency, reference=body.reference,
        kind=body.kind, latitude=body.latitude, longitude=body.longitude,
        radius_m=body.radius_m, start=body.start, end=body.end, address=body.address,
        investigation=body.investigation, protection=body.protection,
        contact_name=body.contact_name, contact_phone=body.contact_phone,
        targets=_targets(body.targets)), margins, settings.default_region)
    return OperationDetail.of_view(view)


@router.get("/operations")
def list_operations(access: AccessDep, statuses: Statuses = None) -> OperationList:
    """The operations the caller may see, the soonest first: its own service's; every
    service's for the staff's operators; DR ones with DR clearance only."""
    return OperationList(operations=[OperationOut.of(s) for s in
                                     stage.listing(access, tuple(statuses or ()))])


@router.get("/operations/map")
def operations_map(access: AccessDep, statuses: Statuses = None) -> FeatureCollectionOut:
    """The same operations as GeoJSON (planned ones unless `status` says otherwise): a
    point per operation, with its radius in metres, window, kind, service and whether a
    conflict stands on it."""
    collection = stage.features(access, tuple(statuses or (OperationStatus.PLANNED,)))
    return FeatureCollectionOut.model_validate(collection)


@router.get("/operations/{operation_id}")
def get_operation(access: AccessDep, operation_id: OperationId) -> OperationDetail:
    """One operation with its targets and the conflicts standing on it, as its service
    was told of them (the staff: the whole picture)."""
    return OperationDetail.of_view(stage.read(access, operation_id))


@router.patch("/operations/{operation_id}")
def change_operation(access: AccessDep, margins: MarginsDep, operation_id: OperationId,
                     body: ChangeBody) -> OperationDetail:
    """Change the status, window or place of an operation of the caller's service; it is
    checked again (a cancelled or finished one no longer conflicts)."""
    return OperationDetail.of_view(stage.change(
        access, operation_id, margins, status=body.status, start=body.start, end=body.end,
        latitude=body.latitude, longitude=body.longitude, radius_m=body.radius_m,
        address=body.address))


@router.post("/operations/{operation_id}/targets", responses=CONFLICT)
def add_operation_targets(access: AccessDep, settings: SettingsDep, margins: MarginsDep,
                          operation_id: OperationId, body: TargetsBody) -> OperationDetail:
    """Add targets to an operation of the caller's service; it is checked again."""
    return OperationDetail.of_view(stage.add_targets(
        access, operation_id, _targets(body.targets), margins, settings.default_region))
