"""`assess_all`: assess every person, store the assessments, tell the services whose own
view is too low.

One run, one transaction, through the gate (the staff's operators): signals derived again
(`emco.risk.signals`), every person with a signal scored (`emco.risk.scoring`), one
append-only `assessments` row each, then each service's standing declaration compared
with the assessment (`under_assessments`) and one UNDER_ASSESSMENT alert raised per
(person, service) found too low, to that service and to the staff. The platform never
changes a declared level: a human decides (`emco.risk.review.decide`).
"""

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby
from typing import Any

import pandas as pd
from sqlalchemy import Connection

from emco.access import handling, policy
from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.alerts.service import Recipient, raise_alert
from emco.errors import Forbidden
from emco.i18n import N_
from emco.model.enums import AlertKind, AlertSeverity, AuditAction, Permission
from emco.model.types import Principal
from emco.network import networks as _networks  # noqa: F401 (its ON_CHANGE hook runs first)
from emco.resolve import service as resolve_service
from emco.risk import catalogue as catalogues
from emco.risk import signals as derive
from emco.risk.catalogue import LEVELS, UNKNOWN, Catalogue
from emco.risk.scoring import Scored, score
from emco.store import agencies
from emco.store import risk as repo
from emco.store.db import Database
from emco.store.risk import DeclarationRow

AUTHOR = "risk"


@dataclass(frozen=True)
class Finding:
    """A service's declaration below the assessment of a person."""

    entity_id: str
    agency: str
    level: str
    criteria: tuple[str, ...]
    reasons: tuple[str, ...]  # escort, dps, watch
    declaration: DeclarationRow
    alert_id: int | None = None


@dataclass
class AssessSummary:
    run_id: int
    catalogue_version: str
    persons: int  # people (entities holding a Person record)
    assessed: int  # with at least one signal
    by_level: dict[str, int]  # unknown included
    signals: int
    unresolved_signals: int  # about records no entity holds yet: kept, not scored
    findings: list[Finding] = field(default_factory=list)
    alerts_raised: int = 0
    alerts_updated: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"run": self.run_id, "catalogue_version": self.catalogue_version,
                "persons": self.persons, "assessed": self.assessed,
                "by_level": self.by_level, "signals": self.signals,
                "unresolved_signals": self.unresolved_signals,
                "alerts_raised": self.alerts_raised, "alerts_updated": self.alerts_updated,
                "under_assessed": [{"entity": f.entity_id, "agency": f.agency,
                                    "level": f.level, "criteria": list(f.criteria),
                                    "reasons": list(f.reasons), "alert": f.alert_id}
                                   for f in self.findings]}


def assess_all(access: Access, catalogue: Catalogue | None = None,
               now: datetime | None = None) -> AssessSummary:
    """Assess every person and raise the under-assessment alerts (the staff's operators:
    the run reads every service's records)."""
    catalogue = catalogue or catalogues.packaged()
    now = (now or datetime.now(UTC)).astimezone(UTC)
    event = AuditEvent(AuditAction.RISK_RUN, detail=f"catalogue {catalogue.version}")
    with access.writing(Permission.RISK_RUN, event) as p:
        if p.scope.agencies is not None:
            raise Forbidden(N_("only the staff's operators assess every person"))
        staff = sorted(agencies.staff_codes(p.conn))
        derived = derive.derive(p.conn, catalogue, staff[0] if staff else "EMCO")
        count = repo.replace_signals(access.db, p.conn, derived)
        stored = repo.signals(p.conn)
        scored = score(stored, catalogue, now.date())
        run_id = repo.start_run(p.conn, access.principal.username, now, catalogue.version)
        repo.write_assessments(access.db, p.conn, assessment_rows(
            scored, run_id, catalogue, now, access.db))
        persons = repo.person_entities(p.conn)
        levels = Counter(scored.persons["level"])
        by_level = {name: int(levels.get(name, 0)) for name in LEVELS}
        by_level[UNKNOWN] = max(0, persons - len(scored.persons))
        summary = AssessSummary(run_id, catalogue.version, persons, len(scored.persons),
                                by_level, count, int(stored["entity_id"].isna().sum()))
        _tell(p.conn, summary, scored, catalogue, access.principal, now, staff)
        repo.finish_run(p.conn, run_id, len(scored.persons), {
            "by_level": by_level, "signals": count, "under_assessed": len(summary.findings),
            "alerts_raised": summary.alerts_raised,
            "flagged": [[f.entity_id, f.agency, f.alert_id] for f in summary.findings]})
        p.event.objects = [f"risk_run:{run_id}"]
        p.event.result_count = len(scored.persons)
    return summary


def assessment_rows(scored: Scored, run_id: int, catalogue: Catalogue, now: datetime,
                    db: Database) -> list[tuple[Any, ...]]:
    """One assessments row per scored person, its parts as JSON (the largest first)."""
    parts = scored.parts.sort_values(["entity_id", "contribution"], ascending=[True, False])
    listed = {entity: [part_dict(r) for r in group] for entity, group in groupby(
        parts.itertuples(index=False), key=lambda r: r.entity_id)}
    at = db.timestamp(now)
    return [(run_id, r.entity_id, round(float(r.score), 4), r.level,
             json.dumps(list(r.criteria)), json.dumps(listed.get(r.entity_id, []),
                                                      ensure_ascii=False),
             catalogue.version, at)
            for r in scored.persons.itertuples(index=False)]


def part_dict(r: Any) -> dict[str, Any]:
    """One contributing signal as stored in an assessment's parts."""
    return {"type": r.type, "agency": r.agency_code,
            "date": None if pd.isna(r.observed_on) else str(pd.Timestamp(r.observed_on)
                                                             .date()),
            "grade": r.grade, "decay": round(float(r.decay), 3),
            "strength": round(float(r.strength), 3),
            "contribution": round(float(r.contribution), 4), "origin": r.origin,
            "record": None if pd.isna(r.record_id) else int(r.record_id),
            "source_record": None if pd.isna(r.source_record_id) else
            int(r.source_record_id), "detail": r.detail}


def under_assessments(persons: pd.DataFrame, declared: list[DeclarationRow],
                      catalogue: Catalogue) -> list[Finding]:
    """The declarations below the assessment: an escort level below what the level calls
    for, "not DPS" while a special-detainee criterion is met, or "not on the watch list"
    of a high or critical person."""
    by_entity = {r.entity_id: r for r in persons.itertuples(index=False)}
    out = []
    for d in declared:
        person = by_entity.get(d.entity_id)
        if person is None:
            continue
        reasons = []
        if d.escort is not None and catalogue.escort_for(person.level) > d.escort:
            reasons.append("escort")
        if d.dps is False and person.criteria:
            reasons.append("dps")
        if d.watch is False and person.level in ("high", "critical"):
            reasons.append("watch")
        if reasons:
            out.append(Finding(str(d.entity_id), d.agency, person.level,
                               tuple(person.criteria), tuple(reasons), d))
    return out


def _tell(conn: Connection, summary: AssessSummary, scored: Scored, catalogue: Catalogue,
          principal: Principal, now: datetime, staff: list[str]) -> None:
    findings = under_assessments(scored.persons, repo.current_declarations(conn), catalogue)
    parts = scored.parts
    for f in findings:
        mine = parts[parts["entity_id"] == f.entity_id].sort_values(
            "contribution", ascending=False)
        # The service is not told what other services' H2 records hold (not passed to it).
        hidden = handling.withheld_from(conn, f.agency, [
            *mine["record_id"].dropna(), *mine["source_record_id"].dropna()])
        shown = mine[~(mine["record_id"].isin(list(hidden))
                       | mine["source_record_id"].isin(list(hidden)))]
        met = {c for t in set(shown["type"]) if t in catalogue.signals
               for c in catalogue.signals[t].criteria}
        signals = [{"type": r.type, "label": catalogue.label(r.type), "agency": r.agency_code,
                    "date": None if pd.isna(r.observed_on) else str(r.observed_on),
                    "grade": r.grade} for r in mine.itertuples(index=False)]
        d = f.declaration
        told: dict[str, Any] = {"entity": f.entity_id, "agency": f.agency, "assessment": {
            "level": f.level, "escort_called_for": catalogue.escort_for(f.level),
            "criteria": [c for c in f.criteria if not hidden or c in met],
            "catalogue_version": catalogue.version},
            "declared": {"escort": d.escort, "dps": d.dps, "watch": d.watch,
                         "declaration": d.id},
            "reasons": list(f.reasons), "signals": [
                s for s, r in zip(signals, mine.itertuples(index=False), strict=True)
                if not ((not pd.isna(r.record_id) and int(r.record_id) in hidden)
                        or (not pd.isna(r.source_record_id)
                            and int(r.source_record_id) in hidden))]}
        staff_view = {**told, "assessment": {**told["assessment"],
                                             "criteria": list(f.criteria)}, "signals": [
            {**s, "record": None if pd.isna(r.record_id) else int(r.record_id),
             "source_record": None if pd.isna(r.source_record_id) else
             int(r.source_record_id), "detail": r.detail}
            for s, r in zip(signals, mine.itertuples(index=False), strict=True)]}
        recipients = [Recipient(f.agency, told)] + [
            Recipient(code, staff_view) for code in staff if code != f.agency]
        result = raise_alert(
            conn, kind=AlertKind.UNDER_ASSESSMENT, key=alert_key(f.entity_id, f.agency),
            severity=AlertSeverity.CRITICAL if f.level == "critical" else AlertSeverity.HIGH,
            title=f"Niveau déclaré inférieur à l'évaluation consolidée : {f.agency}",
            recipients=recipients, staff_view=staff_view, author=AUTHOR, now=now,
            principal=principal)
        summary.alerts_raised += result.created
        summary.alerts_updated += result.updated
        summary.findings.append(Finding(f.entity_id, f.agency, f.level, f.criteria,
                                        f.reasons, f.declaration, result.alert_id))


def alert_key(entity_id: str, agency: str) -> str:
    """The one alert of a person and a service."""
    return f"entity:{entity_id}|agency:{agency}"


def on_entities_changed(access: Access, changed: set[str]) -> None:
    """Resolution merged or split entities (`ON_CHANGE`): the signals of the records now
    joined count for one person, so everyone is assessed again, once an assessment has
    run at all and when the principal may run it (a staff operator's resolution; a
    service's own ingest leaves that to the staff's next run). Registered after the
    network stage's hook, whose roles are signals."""
    if not changed or not policy.allows(access.principal, Permission.RISK_RUN) \
            or access.scope.agencies is not None:  # `assess_all` is the staff's alone
        return
    with access.db.read() as conn:
        if repo.latest_risk_run(conn) is None:
            return
    assess_all(access)


if on_entities_changed not in resolve_service.ON_CHANGE:  # once, however often imported
    resolve_service.ON_CHANGE.append(on_entities_changed)
