"""Server-rendered pages. Each calls the same stage function as its JSON twin."""

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from emco.access import records
from emco.api.routes import LeftId, RecordId, RightId
from emco.api.schemas import (
    NO_NUL,
    EntityOut,
    RecordDetail,
    ReviewItemOut,
    ReviewQueueOut,
    SearchOut,
)
from emco.errors import BadInput
from emco.i18n import LOCALES
from emco.model.enums import Verdict
from emco.resolve import review
from emco.resolve.review import COMPARISON_LABELS, LEVEL_LABELS
from emco.web.deps import (
    AccessDep,
    SettingsDep,
    ThresholdsDep,
)
from emco.web.render import render
from emco.web.security import check_csrf

router = APIRouter(include_in_schema=False)
QUEUE_PAGE = 50  # pairs listed per page of the queue
Position = Annotated[int | None, Query(ge=0, le=1_000_000)]


@router.get("/")
def home() -> Response:
    return RedirectResponse("/search", status_code=303)


@router.get("/search")
def search_page(request: Request, access: AccessDep, settings: SettingsDep,
                q: Annotated[str, Query(max_length=200)] = "",
                motif: Annotated[str, Query(max_length=500, pattern=NO_NUL)] = "",
                case_ref: Annotated[str, Query(max_length=100, pattern=NO_NUL)] = "") -> Response:
    context: dict[str, object] = {"q": q, "motif": motif, "case_ref": case_ref,
                                  "results": None, "error": None, "why": ""}
    twin = None
    if q.strip():
        why = {"motif": motif, "case_ref": case_ref}
        try:
            found = records.search(access, q, region=settings.default_region,
                                   motif=motif or None, case_ref=case_ref or None)
        except BadInput as exc:  # shown beside the form, what was typed kept
            context["error"] = exc
            return render(request, "search.html", context, status_code=exc.status_code)
        context["results"] = SearchOut.of(found)
        context["why"] = "?" + urlencode(why)  # carried along by the record links
        twin = "/api/v1/records?" + urlencode({"q": q, **why})
    return render(request, "search.html", context, json_twin=twin)


@router.get("/records/{record_id}")
def record_page(request: Request, access: AccessDep, record_id: RecordId,
                motif: Annotated[str, Query(max_length=500, pattern=NO_NUL)] = "",
                case_ref: Annotated[str, Query(max_length=100, pattern=NO_NUL)] = ""
                ) -> Response:
    """A record and its entity; a Person record asks first for the motif and the case
    reference of the look (a small form), which the links from a search carry along."""
    if not (motif.strip() and case_ref.strip()) and records.needs_motif(access, record_id):
        return render(request, "handling_motif.html", {
            "record_id": record_id, "motif": motif, "case_ref": case_ref})
    view = records.read(access, record_id, motif=motif or None, case_ref=case_ref or None)
    entity = EntityOut.of(review.record_entity(access, record_id, motif=motif or None,
                                               case_ref=case_ref or None))
    why = {"motif": motif, "case_ref": case_ref} if motif else {}
    return render(request, "record.html", {"record": RecordDetail.of_view(view),
                                           "entity": entity, "motif": motif,
                                           "case_ref": case_ref},
                  json_twin=f"/api/v1/records/{record_id}"
                  + (f"?{urlencode(why)}" if why else ""))


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
