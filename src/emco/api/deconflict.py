"""The deconfliction API: the register of investigations and their targets, and the
hit/no-hit query. Routes parse, call one stage function, and return its result."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from emco.api.routes import ERRORS
from emco.api.schemas import MAX_ID, ErrorOut
from emco.api.schemas_deconflict import (
    HitIn,
    HitOut,
    InvestigationDetail,
    InvestigationIn,
    InvestigationList,
    InvestigationOut,
    StatusIn,
    TargetIn,
    TargetOut,
)
from emco.deconflict import investigations
from emco.deconflict.hits import hit
from emco.deconflict.investigations import new_investigation
from emco.deconflict.targets import parse_target, parse_targets
from emco.model.enums import InvestigationStatus
from emco.web.deps import AccessDep, LimitsDep, SettingsDep, ThresholdsDep

CONFLICT: dict[int | str, dict[str, object]] = {409: {"model": ErrorOut}}
router = APIRouter(prefix="/api/v1", responses=ERRORS)

InvestigationId = Annotated[int, Path(ge=1, le=MAX_ID, description="The investigation's id "
                                                                   "in EMCO.")]
TargetId = Annotated[int, Path(ge=1, le=MAX_ID, description="The target's id.")]


@router.post("/investigations", tags=["deconfliction"], status_code=201, responses=CONFLICT)
def register_investigation(access: AccessDep, settings: SettingsDep,
                           thresholds: ThresholdsDep, body: InvestigationIn
                           ) -> InvestigationDetail:
    """Register an open investigation of the caller's service (the staff's operators:
    of any service) with its first targets, and check them against every other service's
    open investigations. Nothing is written when anything is refused."""
    region = settings.default_region
    new = new_investigation(
        agency=body.agency, reference=body.reference, title=body.title,
        contact_name=body.lead_contact.name, contact_phone=body.lead_contact.phone,
        contact_email=body.lead_contact.email, court=body.court, prosecutor=body.prosecutor,
        protection=body.protection, opened=body.opened, region=region)
    specs = parse_targets([(t.kind, t.value) for t in body.targets], region)
    view = investigations.register(access, new, specs, thresholds)
    return InvestigationDetail.of_view(view, investigations.overlap_alerts(
        access, view.investigation.id))


@router.get("/investigations", tags=["deconfliction"])
def list_investigations(access: AccessDep,
                        status: Annotated[InvestigationStatus | None, Query()] = None,
                        agency: Annotated[str | None, Query(max_length=16)] = None
                        ) -> InvestigationList:
    """The investigations the caller may see: its own service's; every service's for the
    staff's operators; DR ones with DR clearance only."""
    return InvestigationList(investigations=[
        InvestigationOut.of(i) for i in investigations.listing(access, status, agency)])


@router.get("/investigations/{investigation_id}", tags=["deconfliction"])
def get_investigation(access: AccessDep, investigation_id: InvestigationId
                      ) -> InvestigationDetail:
    """One investigation with its targets and the overlap alerts concerning it."""
    view = investigations.read(access, investigation_id)
    return InvestigationDetail.of_view(view, investigations.overlap_alerts(
        access, investigation_id))


@router.patch("/investigations/{investigation_id}", tags=["deconfliction"])
def set_investigation_status(access: AccessDep, investigation_id: InvestigationId,
                             body: StatusIn) -> InvestigationOut:
    """Open, suspend or close an investigation; reopened, it is checked again."""
    return InvestigationOut.of(investigations.set_status(access, investigation_id,
                                                         body.status))


@router.post("/investigations/{investigation_id}/targets", tags=["deconfliction"],
             status_code=201, responses=CONFLICT)
def add_target(access: AccessDep, settings: SettingsDep, thresholds: ThresholdsDep,
               investigation_id: InvestigationId, body: TargetIn) -> TargetOut:
    """Add a target (a record, an entity, a bare identifier or a person) and check it
    against every other service's open investigations."""
    spec = parse_target(body.kind, body.value, settings.default_region)
    return TargetOut.of(investigations.add_target(access, investigation_id, spec, thresholds))


@router.delete("/investigations/{investigation_id}/targets/{target_id}",
               tags=["deconfliction"], status_code=204)
def remove_target(access: AccessDep, investigation_id: InvestigationId,
                  target_id: TargetId) -> None:
    """Withdraw a target (it stays in the history, marked removed)."""
    investigations.remove_target(access, investigation_id, target_id)


@router.post("/hits", tags=["deconfliction"], response_model=HitOut,
             responses={200: {"description": "Hit or no hit, padded to a fixed length."}})
def query_hit(access: AccessDep, settings: SettingsDep, thresholds: ThresholdsDep,
              limits: LimitsDep, body: HitIn) -> Response:
    """Is this identifier or person known to another service? Hit or no hit, with the
    contact points of the services to call, and nothing else: every answer to a query
    has the same length, whatever it says. Audited; limited per user (429 beyond)."""
    limits.hit_query(access.db, access.principal)
    result = hit(access, body.kind, body.value, settings.default_region, thresholds)
    return Response(result.body(), media_type="application/json")
