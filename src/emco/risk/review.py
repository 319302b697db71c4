"""Declared levels, reviewers' decisions and a person's explained assessment, through
the gate.

- `declare`: a service's own handling of a person (escort level 1-4, DPS status, watch
  list), about one of its records or a resolved entity; append-only.
- `decide`: a reviewer's decision on an under-assessment (raise or keep, with a motif);
  the platform records it and never changes a declared level itself.
- `explain`: the latest assessment with every signal, what changed since the previous
  one, the declarations and decisions. The staff's operators see everything; a service
  sees a person it holds a record of, the level and criteria, the signals as an alert
  tells them (type, service, date, grade) and its own declarations and decisions.
"""

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from emco.access import handling
from emco.access import motif as purpose
from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.errors import BadInput, Forbidden, NotFound
from emco.i18n import N_
from emco.model.enums import AlertKind, AuditAction, Permission
from emco.risk import catalogue as catalogues
from emco.risk.assess import alert_key
from emco.risk.catalogue import UNKNOWN
from emco.store import agencies
from emco.store import alerts as alerts_repo
from emco.store import resolution as resolution_repo
from emco.store import risk as repo
from emco.store.risk import AssessmentRow

DECISIONS = ("raise", "keep")
MAX_MOTIF = 2000


def declare(access: Access, *, agency: str, record: str | None = None,
            entity: str | None = None, escort: int | None = None, dps: bool | None = None,
            watch: bool | None = None, note: str | None = None) -> int:
    """Record a service's declared handling of a person; returns the declaration's id.
    `record` is "AGENCY:SOURCE_ID" (a record of that service), else `entity` is given."""
    code = agency.strip().upper()
    if (record is None) == (entity is None):
        raise BadInput(N_("give either a record or an entity"), field="record")
    if escort is not None and escort not in (1, 2, 3, 4):
        raise BadInput(N_("an escort level is 1 to 4"), field="escort")
    if escort is None and dps is None and watch is None:
        raise BadInput(N_("declare an escort level, a DPS status or the watch list"),
                       field="escort")
    event = AuditEvent(AuditAction.RISK_DECLARE, detail=f"{code}: escort {escort}, "
                                                        f"dps {dps}, watch {watch}")
    with access.writing(Permission.RISK_DECLARE, event) as p:
        if agencies.get(p.conn, code) is None:
            raise BadInput(N_("unknown agency %(agency)s", agency=code), field="agency")
        if code != access.principal.agency and p.scope.agencies is not None:
            raise Forbidden(N_("%(own)s cannot declare for %(agency)s",
                               own=access.principal.agency, agency=code))
        record_id = None
        if record is not None:
            owner, _, source = record.partition(":")
            if owner.strip().upper() != code or not source.strip():
                raise BadInput(N_("a declaration is about a record of the declaring "
                                  "service, given as %(agency)s:SOURCE_ID", agency=code),
                               field="record")
            record_id = repo.record_of(p.conn, code, source.strip())
            if record_id is None:
                raise NotFound(N_("no record %(ref)s", ref=record), field="record")
        elif entity is not None and not resolution_repo.members(p.conn, p.scope, entity):
            raise NotFound(N_("no entity %(id)s among those you may see", id=entity),
                           field="entity")
        declaration = repo.add_declaration(
            p.conn, agency=code, record_id=record_id, entity_id=entity, escort=escort,
            dps=dps, watch=watch, note=(note or "").strip() or None,
            author=access.principal.username, at=datetime.now(UTC))
        p.event.objects = [f"declaration:{declaration}",
                           f"record:{record_id}" if record_id else f"entity:{entity}"]
        p.event.result_count = 1
    return declaration


def decide(access: Access, entity: str, *, agency: str, decision: str, motif: str) -> int:
    """Record a reviewer's decision (raise, keep) on the under-assessment of a person by a
    service, with its motif; returns the decision's id."""
    code, choice, motif = agency.strip().upper(), decision.strip().lower(), motif.strip()
    if choice not in DECISIONS:
        raise BadInput(N_("a decision is raise or keep"), field="decision")
    if not motif or len(motif) > MAX_MOTIF:
        raise BadInput(N_("a decision needs a motif of at most %(n)s characters",
                          n=MAX_MOTIF), field="motif")
    event = AuditEvent(AuditAction.RISK_DECIDE, objects=[f"entity:{entity}"],
                       detail=f"{code}: {choice}: {motif}"[:1000])
    with access.writing(Permission.RISK_DECIDE, event) as p:
        if agencies.get(p.conn, code) is None:
            raise BadInput(N_("unknown agency %(agency)s", agency=code), field="agency")
        if not resolution_repo.members(p.conn, p.scope, entity):
            raise NotFound(N_("no entity %(id)s among those you may see", id=entity),
                           field="entity")
        alert = alerts_repo.find(p.conn, AlertKind.UNDER_ASSESSMENT.value,
                                 alert_key(entity, code))
        decision_id = repo.add_decision(
            p.conn, entity_id=entity, agency=code, decision=choice, motif=motif,
            alert_id=alert.id if alert else None, author=access.principal.username,
            at=datetime.now(UTC))
        p.event.objects.append(f"risk_decision:{decision_id}")
        p.event.result_count = 1
    return decision_id


@dataclass(frozen=True)
class Explanation:
    entity_id: str
    latest: AssessmentRow | None
    previous: AssessmentRow | None
    declarations: list[dict[str, Any]]
    decisions: list[dict[str, Any]]
    full_picture: bool
    withheld: frozenset[int] = frozenset()  # other services' H2 records not passed

    def to_dict(self) -> dict[str, Any]:
        a, before = self._seen(self.latest), self._seen(self.previous)
        parts = a.parts if a else []
        if not self.full_picture:  # as an alert tells them: no other service's record ids
            parts = [{k: part[k] for k in ("type", "agency", "date", "grade",
                                           "contribution")} for part in parts]
        return {"entity": self.entity_id, "level": a.level if a else UNKNOWN,
                "score": a.score if a else None, "criteria": a.criteria if a else [],
                "catalogue_version": a.catalogue_version if a else None,
                "assessed_at": a.at.isoformat() if a else None, "signals": parts,
                "changes": changes(before, a) if self.full_picture or a is None
                else _public_changes(changes(before, a)),
                "declarations": self.declarations, "decisions": self.decisions}

    def _seen(self, a: AssessmentRow | None) -> AssessmentRow | None:
        """The assessment without the signals resting on withheld H2 records, and without
        the criteria only those signals met (the level and score stay: they are the
        staff's assessment, not another service's fact)."""
        if a is None or not self.withheld:
            return a
        kept = [p for p in a.parts if not handling.part_withheld(p, set(self.withheld))]
        if len(kept) == len(a.parts):
            return a
        met = catalogue_criteria({p["type"] for p in kept})
        return replace(a, parts=kept, criteria=[c for c in a.criteria if c in met])


def catalogue_criteria(types: set[str]) -> set[str]:
    """The special-detainee criteria signals of these types meet (packaged catalogue)."""
    signals = catalogues.packaged().signals
    return {c for t in types if t in signals for c in signals[t].criteria}


def explain(access: Access, entity: str, *, motif: str | None = None,
            case_ref: str | None = None) -> Explanation:
    """A person's latest assessment explained (see the module's docstring for who sees
    what); a person without any assessment is "unknown". A look at a person's data:
    opened with a motif and a case reference (`emco.access.motif`; refused, and audited
    as denied, without them)."""
    event = AuditEvent(AuditAction.RISK_READ, objects=[f"entity:{entity}"])
    access.check(Permission.RISK_READ, event)
    purpose.require(access, event, motif, case_ref)
    with access.reading(Permission.RISK_READ, event) as p:
        if not resolution_repo.members(p.conn, p.scope, entity):
            raise NotFound(N_("no entity %(id)s among those you may see", id=entity))
        full = p.scope.agencies is None
        rows = repo.history(p.conn, entity, limit=2)
        own = p.scope.agencies or frozenset()
        declared = [{"agency": d.agency, "escort": d.escort, "dps": d.dps,
                     "watch": d.watch, "note": d.note, "author": d.author,
                     "at": d.at.isoformat(), "id": d.id}
                    for d in repo.current_declarations(p.conn, entity)
                    if full or d.agency in own]
        decided = [{"agency": d.agency, "decision": d.decision, "motif": d.motif,
                    "alert": d.alert_id, "author": d.author, "at": d.at.isoformat()}
                   for d in repo.decisions(p.conn, entity) if full or d.agency in own]
        ids = {part.get(k) for row in rows for part in row.parts
               for k in ("record", "source_record")}
        hidden = set() if full else handling.withheld_from(
            p.conn, access.principal.agency, ids)
        p.event.result_count = 1
    return Explanation(entity, rows[0] if rows else None, rows[1] if len(rows) > 1 else None,
                       declared, decided, full, frozenset(hidden))


def last_run(access: Access) -> dict[str, Any] | None:
    """The latest assessment run and its counts (levels, signals, under-assessments)."""
    event = AuditEvent(AuditAction.RISK_READ, query={"run": "latest"})
    with access.reading(Permission.RISK_READ, event) as p:
        run = repo.latest_risk_run(p.conn)
        p.event.result_count = 1 if run else 0
    return run


def _identity(part: dict[str, Any]) -> tuple[Any, ...]:
    return (part["type"], part["agency"], part.get("record"), part.get("source_record"),
            part.get("detail"), part["date"])


def changes(before: AssessmentRow | None, after: AssessmentRow | None) -> dict[str, Any]:
    """What changed from one assessment of a person to the next, and why: the level and
    score, the criteria met, the signals that appeared or went."""
    if after is None or before is None:
        return {"first": after is not None}
    old = {_identity(p): p for p in before.parts}
    new = {_identity(p): p for p in after.parts}
    return {"first": False, "level": [before.level, after.level],
            "score": [before.score, after.score],
            "catalogue_version": [before.catalogue_version, after.catalogue_version],
            "criteria_added": sorted(set(after.criteria) - set(before.criteria)),
            "criteria_removed": sorted(set(before.criteria) - set(after.criteria)),
            "signals_added": [new[k] for k in new if k not in old],
            "signals_removed": [old[k] for k in old if k not in new]}


def _public_changes(diff: dict[str, Any]) -> dict[str, Any]:
    keep = ("type", "agency", "date", "grade")
    return {**diff, **{k: [{f: s[f] for f in keep} for s in diff.get(k, [])]
                       for k in ("signals_added", "signals_removed") if k in diff}}
