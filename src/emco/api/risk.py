"""The risk API: the ranked people, one person's explained assessment, an assessment run
and a reviewer's decision. Routes parse, call one stage function and return its result;
the stage scopes and audits every read and write (`emco.risk`)."""

from collections import defaultdict
from datetime import datetime
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, Path

from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.alerts.state import fold
from emco.api.routes import ERRORS, CaseRef, Motif
from emco.api.schemas_risk import (
    AssessRunOut,
    ExplanationOut,
    RankedDeclaredOut,
    RankedOut,
    RankingOut,
    RiskDecisionIn,
    RiskDecisionOut,
)
from emco.model.enums import AlertKind, AuditAction, Permission
from emco.risk import catalogue as catalogues
from emco.risk.assess import alert_key, assess_all, under_assessments
from emco.risk.catalogue import LEVELS
from emco.risk.review import decide, explain
from emco.store import alerts as alerts_repo
from emco.store import networks as networks_repo
from emco.store import risk as risk_repo
from emco.store.risk import DeclarationRow
from emco.web.deps import AccessDep

router = APIRouter(prefix="/api/v1", responses=ERRORS, tags=["risk"])

EntityId = Annotated[str, Path(min_length=1, max_length=16, pattern=r"^[A-Za-z0-9_.:-]+$",
                               description="The resolved entity's id, such as E00000042.")]


@router.get("/risk")
def list_ranking(access: AccessDep) -> RankingOut:
    """The people of the latest assessment run the caller may see, most dangerous first,
    each with its level, score, criteria and the services' declared views (a service sees
    its own), marked where a view is below the assessment."""
    return ranking(access)


@router.post("/risk/run")
def run_assessment(access: AccessDep) -> AssessRunOut:
    """Assess every person now, store the assessments and raise the under-assessment
    alerts (the staff's operators)."""
    return AssessRunOut.of(assess_all(access))


@router.get("/risk/{entity_id}")
def get_explanation(access: AccessDep, entity_id: EntityId, motif: Motif = None,
                    case_ref: CaseRef = None) -> ExplanationOut:
    """A person's latest assessment explained: level, score, criteria, each signal with
    its service, date, grade and share of the score, the declarations and decisions, and
    what changed since the previous assessment. A service sees a person it holds a record
    of, the signals as an alert tells them and its own declarations and decisions.
    `motif` and `case_ref` are required (400 naming the field without them; the refusal
    is audited)."""
    return ExplanationOut.of(explain(access, entity_id, motif=motif, case_ref=case_ref))


@router.post("/risk/{entity_id}/decisions", status_code=201)
def record_decision(access: AccessDep, entity_id: EntityId,
                    body: RiskDecisionIn) -> RiskDecisionOut:
    """Record a reviewer's decision (raise or keep, with a motif) on a service's declared
    level of a person; the platform never changes the declared level itself. Audited."""
    decided = decide(access, entity_id, agency=body.agency, decision=body.decision,
                     motif=body.motif)
    return RiskDecisionOut(id=decided, entity=entity_id, agency=body.agency.strip().upper(),
                       decision=body.decision.strip().lower())


# --- the ranking ------------------------------------------------------------------------
# Still here rather than in the stage (emco.risk.review, beside `explain`), where it
# belongs: it reads through the gate with the repositories' own functions (the latest
# assessments in one query) and finds the views too low with the stage's own rule
# (`under_assessments`).

_ORDER = {level: rank for rank, level in enumerate(LEVELS)}


def ranking(access: Access) -> RankingOut:
    """The people assessed by the latest run that the caller may see, most dangerous
    first (level, then score); a service sees a person it holds a record of and only its
    own declarations."""
    event = AuditEvent(AuditAction.RISK_READ, query={"ranking": "latest"})
    with access.reading(Permission.RISK_READ, event) as p:
        run = risk_repo.latest_risk_run(p.conn)
        if run is None:
            return RankingOut(run=None, assessed_at=None, catalogue_version=None, people=[])
        assessed = sorted({str(e) for e in risk_repo.signals(p.conn)["entity_id"].dropna()})
        names = networks_repo.captions(p.conn, p.scope, assessed)
        own = p.scope.agencies
        # A person the reader holds no record of (in its services, within its clearance:
        # the staff's operators cleared NP too) is not listed.
        assessed = [e for e in assessed if e in names]
        declared = [d for d in risk_repo.current_declarations(p.conn)
                    if own is None or d.agency in own]
        latest = risk_repo.latest_assessments(p.conn, assessed)
        persons = pd.DataFrame([(e, a.level, a.criteria) for e, a in latest.items()],
                               columns=["entity_id", "level", "criteria"])
        findings = {(f.entity_id, f.agency): f for f in under_assessments(
            persons, declared, catalogues.packaged())}
        alerts = {key: alerts_repo.find(p.conn, AlertKind.UNDER_ASSESSMENT.value,
                                        alert_key(*key)) for key in findings}
        histories = alerts_repo.events(p.conn, sorted(a.id for a in alerts.values() if a))
        open_alerts = {i for i, h in histories.items() if not fold(h).resolved}
        by_person: dict[str, list[DeclarationRow]] = defaultdict(list)
        for d in declared:  # a standing declaration always has its person
            by_person[str(d.entity_id)].append(d)
        people: list[RankedOut] = []
        for entity, a in latest.items():
            views = []
            for d in sorted(by_person.get(entity, []), key=lambda d: d.agency):
                finding = findings.get((entity, d.agency))
                alert = alerts.get((entity, d.agency))
                views.append(RankedDeclaredOut(
                    agency=d.agency, escort=d.escort, dps=d.dps, watch=d.watch,
                    under=finding is not None,
                    reasons=list(finding.reasons) if finding else [],
                    alert=alert.id if alert else None,
                    alert_open=alert is not None and alert.id in open_alerts))
            people.append(RankedOut(
                entity=entity, name=names.get(entity, entity), level=a.level, score=a.score,
                criteria=a.criteria, assessed_at=a.at.isoformat(), declarations=views,
                under_assessed=any(v.alert_open for v in views)))
        people.sort(key=lambda r: (-_ORDER.get(r.level, -1), -r.score, r.entity))
        p.event.result_count = len(people)
    at = run["at"]
    return RankingOut(run=int(run["id"]),
                      assessed_at=at.isoformat() if isinstance(at, datetime) else str(at),
                      catalogue_version=str(run["catalogue_version"]), people=people)

