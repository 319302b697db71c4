"""The REST API, version 1. Routes parse, call one stage function, and return its result."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from emco.access import auth, records
from emco.api.schemas import (
    MAX_ID,
    NO_NUL,
    AgencyOut,
    DecisionOut,
    EntityOut,
    ErrorOut,
    JudgementIn,
    LoginIn,
    PairOut,
    PrincipalOut,
    RecordDetail,
    ReviewItemOut,
    ReviewQueueOut,
    SearchOut,
)
from emco.model.types import Principal
from emco.resolve import review
from emco.resolve.service import explain, explanation_dict
from emco.store import agencies
from emco.web.deps import (
    SESSION_COOKIE,
    AccessDep,
    DatabaseDep,
    LimitsDep,
    PrincipalDep,
    SettingsDep,
    ThresholdsDep,
    client_address,
)

ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 413, 422, 429)}
CONFLICT: dict[int | str, dict[str, object]] = {409: {"model": ErrorOut}}
router = APIRouter(prefix="/api/v1", responses=ERRORS)

Motif = Annotated[str | None, Query(max_length=500, pattern=NO_NUL,
                                    description="Why the data is looked at.")]
CaseRef = Annotated[str | None, Query(max_length=100, pattern=NO_NUL,
                                      description="The case it serves.")]
RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="The record's id in EMCO.")]
LeftId = Annotated[int, Path(ge=1, le=MAX_ID, description="One record of the pair.")]
RightId = Annotated[int, Path(ge=1, le=MAX_ID, description="The other record.")]
Limit = Annotated[int, Query(ge=1, le=100, description="Pairs per page.")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Pairs to skip.")]


def principal_out(p: Principal) -> PrincipalOut:
    return PrincipalOut(username=p.username, agency=p.agency, roles=sorted(p.roles),
                        clearance=p.clearance.value)


@router.post("/session", tags=["session"])
def open_session(body: LoginIn, request: Request, response: Response, db: DatabaseDep,
                 settings: SettingsDep, limits: LimitsDep) -> PrincipalOut:
    """Log in with the password and the authenticator's code; the session travels in an
    HttpOnly cookie. Programs use a service token instead (`/api/v1/tokens`)."""
    limits.login_attempt(db, client_address(request), body.username)
    token, principal = auth.login(db, body.username, body.password, body.code,
                                  auth.LoginRules.of(settings))
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict",
                        secure=settings.secure_cookies)
    return principal_out(principal)


@router.delete("/session", tags=["session"], status_code=204)
def close_session(request: Request, response: Response, db: DatabaseDep,
                  principal: PrincipalDep) -> None:
    auth.logout(db, request.cookies.get(SESSION_COOKIE, ""), principal)
    response.delete_cookie(SESSION_COOKIE)


@router.get("/me", tags=["session"])
def me(principal: PrincipalDep) -> PrincipalOut:
    return principal_out(principal)


@router.get("/agencies", tags=["agencies"])
def list_agencies(db: DatabaseDep, _principal: PrincipalDep) -> list[AgencyOut]:
    """The participating services and their contact points."""
    with db.read() as conn:
        return [AgencyOut.of(a) for a in agencies.all_agencies(conn)]


@router.get("/records", tags=["records"])
def search_records(access: AccessDep, settings: SettingsDep,
                   q: Annotated[str, Query(max_length=200, description="A name, or an "
                                           "identifier: phone, plate, IBAN, e-mail, "
                                           "document number.")],
                   motif: Motif = None, case_ref: CaseRef = None,
                   limit: Annotated[int, Query(ge=1, le=200)] = 50) -> SearchOut:
    """Records the caller may see that match a name or an identifier. `motif` and
    `case_ref` are required (400 naming the field without them; the refusal is
    audited)."""
    found = records.search(access, q, region=settings.default_region, limit=limit,
                           motif=motif, case_ref=case_ref)
    return SearchOut.of(found)


@router.get("/records/{record_id}", tags=["records"])
def get_record(access: AccessDep, record_id: RecordId, motif: Motif = None,
               case_ref: CaseRef = None) -> RecordDetail:
    """One record with every fact and its provenance. A Person record needs `motif` and
    `case_ref` (400 naming the field without them; the refusal is audited)."""
    return RecordDetail.of_view(records.read(access, record_id, motif=motif,
                                             case_ref=case_ref))


@router.get("/records/{record_id}/entity", tags=["resolution"])
def get_record_entity(access: AccessDep, record_id: RecordId, motif: Motif = None,
                      case_ref: CaseRef = None) -> EntityOut:
    """The record's resolved entity and the entity's other records the caller may see.
    A person's entity (a profile) needs `motif` and `case_ref`."""
    return EntityOut.of(review.record_entity(access, record_id, motif=motif,
                                             case_ref=case_ref))


@router.get("/review", tags=["resolution"])
def review_queue(access: AccessDep, thresholds: ThresholdsDep, limit: Limit = 20,
                 offset: Offset = 0) -> ReviewQueueOut:
    """Pairs the model was unsure of that no operator has decided, most likely first,
    each with both records, the score's parts and the entities a merge would join."""
    return ReviewQueueOut.of(review.queue(access, thresholds, limit, offset), limit, offset)


@router.get("/review/{left}/{right}", tags=["resolution"])
def review_pair(access: AccessDep, left: LeftId, right: RightId) -> ReviewItemOut:
    """One pair as the review page shows it, queued or not, with its judgements."""
    return ReviewItemOut.of(review.item(access, left, right))


@router.get("/pairs/{left}/{right}", tags=["resolution"])
def explain_pair(access: AccessDep, left: LeftId, right: RightId) -> PairOut:
    """The score of two records with its parts, their judgements and entities."""
    return PairOut.of(explanation_dict(explain(access, left, right)))


@router.post("/pairs/{left}/{right}/judgements", tags=["resolution"], responses=CONFLICT)
def judge_pair(access: AccessDep, thresholds: ThresholdsDep, left: LeftId, right: RightId,
               body: JudgementIn) -> DecisionOut:
    """Decide whether two records are one person (an operator's decision wins over the
    model's) and recompute the entities. Contradicting an earlier operator's decision
    needs `override` (409 otherwise)."""
    return DecisionOut.of(review.decide(access, left, right, body.verdict, body.reason,
                                        thresholds, override=body.override))
