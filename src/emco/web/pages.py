"""Server-rendered pages. Each calls the same stage function as its JSON twin."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from emco.access import auth, records
from emco.api.routes import LeftId, RecordId, RightId
from emco.api.schemas import (
    NO_NUL,
    EntityOut,
    RecordDetail,
    ReviewItemOut,
    ReviewQueueOut,
    SearchOut,
)
from emco.errors import Unauthenticated
from emco.i18n import LOCALES
from emco.model.enums import Verdict
from emco.resolve import review
from emco.resolve.review import COMPARISON_LABELS, LEVEL_LABELS
from emco.web.deps import (
    SESSION_COOKIE,
    AccessDep,
    DatabaseDep,
    PrincipalDep,
    SettingsDep,
    ThresholdsDep,
)
from emco.web.render import render
from emco.web.security import check_csrf

router = APIRouter(include_in_schema=False)
QUEUE_PAGE = 50  # pairs listed per page of the queue
Position = Annotated[int | None, Query(ge=0, le=1_000_000)]


def _safe_next(target: str | None) -> str:
    """Only local paths, so a login link cannot send the user elsewhere."""
    if (target and target.startswith("/") and not target.startswith("//")
            and "\\" not in target):  # browsers read "/\\host" as another site
        return target
    return "/search"


@router.get("/")
def home() -> Response:
    return RedirectResponse("/search", status_code=303)


@router.get("/login")
def login_page(request: Request, next: str | None = None) -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login")
def login_submit(request: Request, db: DatabaseDep, settings: SettingsDep,
                 username: Annotated[str, Form(max_length=100, pattern=NO_NUL)],
                 password: Annotated[str, Form(max_length=1000)],
                 csrf_token: Annotated[str, Form(max_length=100)] = "",
                 next: Annotated[str, Form(max_length=2000)] = "/search") -> Response:
    check_csrf(request, csrf_token)
    try:
        token, _ = auth.login(db, username.strip(), password)
    except Unauthenticated as exc:
        return render(request, "login.html", {"next": _safe_next(next), "error": exc.message,
                                              "username": username}, status_code=401)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict",
                        secure=settings.secure_cookies)
    return response


@router.post("/logout")
def logout(request: Request, db: DatabaseDep, principal: PrincipalDep,
           csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    check_csrf(request, csrf_token)
    auth.logout(db, request.cookies.get(SESSION_COOKIE, ""), principal)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/search")
def search_page(request: Request, access: AccessDep, settings: SettingsDep,
                q: Annotated[str, Query(max_length=200)] = "",
                motif: Annotated[str, Query(max_length=500, pattern=NO_NUL)] = "",
                case_ref: Annotated[str, Query(max_length=100, pattern=NO_NUL)] = "") -> Response:
    context: dict[str, object] = {"q": q, "motif": motif, "case_ref": case_ref,
                                  "results": None}
    twin = None
    if q.strip():
        found = records.search(access, q, region=settings.default_region,
                               motif=motif or None, case_ref=case_ref or None)
        context["results"] = SearchOut.of(found)
        twin = "/api/v1/records?" + urlencode({"q": q})
    return render(request, "search.html", context, json_twin=twin)


@router.get("/records/{record_id}")
def record_page(request: Request, access: AccessDep, record_id: RecordId) -> Response:
    view = records.read(access, record_id)
    entity = EntityOut.of(review.record_entity(access, record_id))
    return render(request, "record.html", {"record": RecordDetail.of_view(view),
                                           "entity": entity},
                  json_twin=f"/api/v1/records/{record_id}")


# Review of the pairs the model was unsure of. A decision is posted, then the browser goes
# on to the pair now at the same place in the queue (the decided pair has left it).

@router.get("/review")
def review_queue_page(request: Request, access: AccessDep, thresholds: ThresholdsDep,
                      offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> Response:
    items = review.queue(access, thresholds, QUEUE_PAGE, offset)
    return render(request, "review_queue.html",
                  {"queue": ReviewQueueOut.of(items, QUEUE_PAGE, offset)},
                  json_twin=f"/api/v1/review?limit={QUEUE_PAGE}&offset={offset}")


@router.get("/review/next")
def review_next(request: Request, access: AccessDep, thresholds: ThresholdsDep,
                at: Position = 0) -> Response:
    """The pair at place `at` of the queue; the queue itself when there is none (in the
    language asked for, if one was)."""
    found = review.queue(access, thresholds, 1, at or 0)
    lang = request.query_params.get("lang")
    kept = f"lang={lang}" if lang in LOCALES else ""
    if not found:
        return RedirectResponse(f"/review?{kept}" if kept else "/review", status_code=303)
    pair = found[0]
    return RedirectResponse(f"/review/{pair.left.record.summary.id}/"
                            f"{pair.right.record.summary.id}?at={at or 0}"
                            f"{'&' + kept if kept else ''}", status_code=303)


@router.get("/review/{left}/{right}")
def review_pair_page(request: Request, access: AccessDep, left: LeftId, right: RightId,
                     at: Position = None) -> Response:
    pair = ReviewItemOut.of(review.item(access, left, right))
    return render(request, "review_pair.html", {
        "pair": pair, "at": at, "comparison_labels": COMPARISON_LABELS,
        "level_labels": LEVEL_LABELS,
        # The longest bar is the largest weight, the prior's included.
        "scale": max([abs(p.weight) for p in pair.parts] + [abs(pair.prior_weight or 0), 1.0])},
        json_twin=f"/api/v1/review/{pair.left.record.id}/{pair.right.record.id}")


@router.post("/review/{left}/{right}")
def review_decide(request: Request, access: AccessDep, thresholds: ThresholdsDep,
                  left: LeftId, right: RightId,
                  verdict: Annotated[Verdict, Form()],
                  reason: Annotated[str, Form(max_length=1000, pattern=NO_NUL)] = "",
                  override: Annotated[bool, Form()] = False,
                  at: Annotated[int | None, Form(ge=0, le=1_000_000)] = None,
                  csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    check_csrf(request, csrf_token)
    review.decide(access, left, right, verdict, reason, thresholds, override=override)
    return RedirectResponse(f"/review/next?at={at or 0}", status_code=303)
