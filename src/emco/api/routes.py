"""The REST API, version 1. Routes parse, call one stage function, and return its result."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from emco.access import auth, records
from emco.api.schemas import (
    MAX_ID,
    NO_NUL,
    AgencyOut,
    ErrorOut,
    LoginIn,
    PrincipalOut,
    RecordDetail,
    SearchOut,
)
from emco.model.types import Principal
from emco.store import agencies
from emco.web.deps import (
    SESSION_COOKIE,
    AccessDep,
    DatabaseDep,
    PrincipalDep,
    SettingsDep,
)

ERRORS: dict[int | str, dict[str, object]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 422)}
router = APIRouter(prefix="/api/v1", responses=ERRORS)

Motif = Annotated[str | None, Query(max_length=500, pattern=NO_NUL,
                                    description="Why the data is looked at.")]
CaseRef = Annotated[str | None, Query(max_length=100, pattern=NO_NUL,
                                      description="The case it serves.")]
RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="The record's id in EMCO.")]


def principal_out(p: Principal) -> PrincipalOut:
    return PrincipalOut(username=p.username, agency=p.agency, roles=sorted(p.roles),
                        clearance=p.clearance.value)


@router.post("/session", tags=["session"])
def open_session(body: LoginIn, response: Response, db: DatabaseDep,
                 settings: SettingsDep) -> PrincipalOut:
    """Log in; the session travels in an HttpOnly cookie."""
    token, principal = auth.login(db, body.username, body.password)
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
    """Records the caller may see that match a name or an identifier."""
    found = records.search(access, q, region=settings.default_region, limit=limit,
                           motif=motif, case_ref=case_ref)
    return SearchOut.of(found)


@router.get("/records/{record_id}", tags=["records"])
def get_record(access: AccessDep, record_id: RecordId, motif: Motif = None,
               case_ref: CaseRef = None) -> RecordDetail:
    """One record with every fact and its provenance."""
    return RecordDetail.of_view(records.read(access, record_id, motif=motif,
                                             case_ref=case_ref))
