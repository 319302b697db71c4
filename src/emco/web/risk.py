"""Pages of the dangerousness assessment: the ranked people (with an assessment run for
the staff's operators), the risk panel of the person page (`/entities/{id}/graph`, its
route in `emco.web.networks`) and a reviewer's decision posted from it. Each calls the
same stage function as its JSON twin (`emco.api.risk`).
"""

from typing import Annotated, Any
from urllib.parse import urlencode

from babel.numbers import format_decimal
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from emco.access.gate import Access
from emco.access.motif import MAX_CASE_REF
from emco.access.motif import MAX_MOTIF as MAX_LOOK
from emco.access.policy import allows
from emco.api.risk import EntityId, ranking
from emco.api.schemas import NO_NUL
from emco.api.schemas_risk import ExplanationOut
from emco.errors import EmcoError, NotFound
from emco.i18n import N_
from emco.model.enums import Permission
from emco.risk import catalogue as catalogues
from emco.risk.assess import assess_all
from emco.risk.review import DECISIONS, MAX_MOTIF, decide, explain
from emco.web.deps import AccessDep, locale_of
from emco.web.render import render
from emco.web.security import check_csrf

router = APIRouter(include_in_schema=False)
Token = Annotated[str, Form(max_length=100)]
# Words stored as data and shown translated: levels, criteria, what is too low, decisions.
LEVELS = (N_("low"), N_("moderate"), N_("high"), N_("critical"), N_("unknown"))
CRITERIA = (N_("organised_crime"), N_("escape_capacity"), N_("public_order_impact"),
            N_("escape_attempt"), N_("serious_violence"), N_("collective_movements"))
REASONS = {"escort": N_("escort level too low"), "dps": N_("not DPS while a criterion "
                                                          "is met"),
           "watch": N_("not on the watch list")}
DECISION_WORDS = {"raise": N_("raise the declared level"),
                  "keep": N_("keep the declared level")}


@router.get("/risk")
def ranking_page(request: Request, access: AccessDep) -> Response:
    return render(request, "risk.html", {"ranking": ranking(access), **_words(request)},
                  json_twin="/api/v1/risk")


@router.post("/risk/run")
def run_submit(request: Request, access: AccessDep, csrf_token: Token = "") -> Response:
    """Assess every person now (the staff's operators), then show the ranking."""
    check_csrf(request, csrf_token)
    assess_all(access)
    return RedirectResponse("/risk", status_code=303)


@router.post("/entities/{entity_id}/risk/decisions")
def decision_submit(request: Request, access: AccessDep, entity_id: EntityId,
                    agency: Annotated[str, Form(max_length=16)] = "",
                    decision: Annotated[str, Form(max_length=16)] = "",
                    motif: Annotated[str, Form(max_length=MAX_MOTIF)] = "",
                    csrf_token: Token = "",
                    look_motif: Annotated[str, Query(alias="motif", max_length=MAX_LOOK,
                                                     pattern=NO_NUL)] = "",
                    look_case_ref: Annotated[str, Query(alias="case_ref",
                                                        max_length=MAX_CASE_REF,
                                                        pattern=NO_NUL)] = "") -> Response:
    """Record a reviewer's decision from the person page; a refusal shows the page again
    with the message and what was typed. The form's address carries the motif and case
    reference of the look at the person (the decision's own motif is a form field)."""
    from emco.web.networks import person_page  # that module feeds its page from this one

    check_csrf(request, csrf_token)
    try:
        decide(access, entity_id, agency=agency, decision=decision, motif=motif)
    except EmcoError as exc:  # refusals a user corrects in the form; never a crash
        form = {"agency": agency, "decision": decision, "motif": motif}
        return person_page(request, access, entity_id,
                           risk={"risk_error": exc, "risk_form": form},
                           status_code=exc.status_code, motif=look_motif,
                           case_ref=look_case_ref)
    why = urlencode({"motif": look_motif, "case_ref": look_case_ref})
    return RedirectResponse(f"/entities/{entity_id}/graph?{why}#risk", status_code=303)


def risk_panel(request: Request, access: Access, entity_id: str,
               extra: dict[str, Any] | None = None, *, motif: str = "",
               case_ref: str = "") -> dict[str, Any]:
    """What the person page's risk panel shows (nothing for a reader without risk, or
    when the stage has no view of the person for them), read with the look's motif and
    case reference."""
    if not allows(access.principal, Permission.RISK_READ):
        return {"risk": None}
    try:
        view = ExplanationOut.of(explain(access, entity_id, motif=motif or None,
                                         case_ref=case_ref or None))
    except NotFound:  # the links reach them, but the reader holds no record of them
        return {"risk": None}
    agencies = sorted({d.agency for d in view.declarations})
    return {"risk": view, "risk_agencies": agencies,
            "may_decide": allows(access.principal, Permission.RISK_DECIDE),
            "risk_error": None, "risk_form": {}, **_words(request), **(extra or {})}


def _words(request: Request) -> dict[str, Any]:
    """What the risk templates name in the page's language: signal types, scores."""
    catalogue = catalogues.packaged()
    language = locale_of(request)

    def number(value: float | None, pattern: str = "0.###") -> str:
        return "—" if value is None else format_decimal(value, format=pattern,
                                                        locale=language)

    return {"signal_label": lambda t: catalogue.label(t, language), "number": number,
            "reason_words": REASONS, "decision_words": DECISION_WORDS,
            "decisions": DECISIONS}
