"""Operations, end to end: what the CLI, the API and the pages call.

- `register`: a service's planned operation (place, window, targets), checked at once
  against every other service's; one alert per pair in conflict (see `telling.py`).
- `add_targets`, `change`: the same check runs again after each change.
- `read`, `listing`, `features`: a service sees its own operations (the staff's operators
  every service's), within its clearance; another service's operation is known to it only
  through the disclosure of an alert.
- `check_all`: every planned operation checked again (after a change of margins).
- `on_entities_changed`: registered on `emco.resolve.service.ON_CHANGE`, so that a merge
  or split of entities checks again the operations whose targets it touches, and every
  move of a detainee (the network around him may have changed).
"""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from emco.access.audit import AuditEvent
from emco.access.gate import Access, Passage
from emco.deconflict import operation_input as read_in
from emco.deconflict.conflicts import MOVES, Margins
from emco.deconflict.operation_input import OperationIn
from emco.deconflict.targets import InvalidTarget, TargetSpec, parse_target, refresh_matches
from emco.deconflict.telling import CheckResult, check
from emco.errors import BadInput, Conflict, Forbidden, NotFound
from emco.i18n import N_
from emco.model.enums import AuditAction, OperationStatus, Permission
from emco.resolve import service as resolve_service
from emco.store import agencies, operation_targets
from emco.store import alerts as alerts_repo
from emco.store import investigations as investigations_repo
from emco.store import operations as repo
from emco.store import records as records_repo
from emco.store import resolution as resolution_repo
from emco.store import risk as risk_repo
from emco.store import targets as targets_repo
from emco.store.operation_targets import OWNER
from emco.store.operations import ConflictRow, NewOperation, OperationRow
from emco.store.targets import TargetRow

MAX_TARGETS = 100  # per operation
WARN_LEVELS = frozenset({"high", "critical"})  # a moved person's levels the escort is told


@dataclass(frozen=True)
class ConflictView:
    """A standing conflict of an operation: what its service was told (`disclosure`), or
    for the staff's operators the whole picture (`staff_view`)."""

    alert_id: int | None
    kinds: list[str]
    disclosure: dict[str, Any] | None = None
    staff_view: dict[str, Any] | None = None


@dataclass(frozen=True)
class RiskWarning:
    """A person this operation moves whom the consolidated assessment rates high or
    critical, or who meets a special-detainee criterion: the escort must know. The level
    and criteria only, never the other services' facts behind them."""

    entity_id: str
    level: str
    criteria: list[str]
    assessed_at: datetime


@dataclass(frozen=True)
class OperationView:
    operation: OperationRow
    investigation: str | None  # the reference of its investigation
    targets: list[TargetRow] = field(default_factory=list)
    conflicts: list[ConflictView] = field(default_factory=list)
    warnings: list[RiskWarning] = field(default_factory=list)


@dataclass(frozen=True)
class OperationSummary:
    operation: OperationRow
    in_conflict: bool


@dataclass(frozen=True)
class CheckSummary:
    operations: int  # planned operations checked
    conflicts: dict[str, int]  # standing conflicts among them, by kind
    pairs: int
    alerts_raised: int
    alerts_updated: int
    cleared: int


def register(access: Access, new: OperationIn, margins: Margins,
             region: str | None = None) -> OperationView:
    """Register a service's operation and check it. Everything is checked before
    anything is written, and written in one transaction with the check and its alerts:
    a wrong field leaves nothing behind."""
    reference = read_in.reference(new.reference)
    kind = read_in.kind(new.kind)
    place = read_in.place(new.latitude, new.longitude, new.radius_m, new.address)
    starts, ends = read_in.window(new.start, new.end)
    protection = read_in.protection(new.protection)
    contact = (read_in.text(new.contact_name, "contact_name"),
               read_in.text(new.contact_phone, "contact_phone", 40))
    specs = _parse_targets(new.targets, region)
    agency = str(new.agency or access.principal.agency).strip().upper()
    event = AuditEvent(AuditAction.OPERATION_WRITE, detail=f"register {agency}:{reference}")
    with access.writing(Permission.OPERATION_WRITE, event) as p:
        repo.lock(p.conn)
        _writes_for(access, p, agency)
        if protection not in p.scope.protections:
            raise Forbidden(N_("your clearance does not allow registering a DR operation"),
                            field="protection")
        if repo.reference_taken(p.conn, agency, reference):
            raise Conflict(N_("%(agency)s already has an operation %(ref)s", agency=agency,
                              ref=reference), field="reference")
        investigation = read_in.resolve_investigation(p.conn, agency, new.investigation)
        now = datetime.now(UTC)
        op_id = repo.create(p.conn, NewOperation(
            agency, reference, kind, investigation, place, starts, ends, protection,
            *contact), access.principal.username, now)
        _store_targets(access, p, op_id, agency, specs, now)
        result = check(p.conn, [op_id], margins, access.principal, now)
        p.event.objects = [f"operation:{op_id}"]
        p.event.result_count = len(result.findings)
        return _view(p, op_id)


def add_targets(access: Access, operation_id: int, targets: list[tuple[str, Any]],
                margins: Margins, region: str | None = None) -> OperationView:
    """Add targets to an operation of the principal's service, and check it again."""
    specs = _parse_targets(targets, region)
    if not specs:
        raise BadInput(N_("give at least one target"), field="targets")
    event = AuditEvent(AuditAction.OPERATION_WRITE, objects=[f"operation:{operation_id}"],
                       detail=f"add {len(specs)} targets")
    with access.writing(Permission.OPERATION_WRITE, event) as p:
        repo.lock(p.conn)
        op = _visible(p, operation_id)
        _writes_for(access, p, op.agency)
        now = datetime.now(UTC)
        _store_targets(access, p, op.id, op.agency, specs, now)
        repo.change(p.conn, op.id, now)
        p.event.result_count = len(check(p.conn, [op.id], margins, access.principal,
                                         now).findings)
        return _view(p, op.id)


def change(access: Access, operation_id: int, margins: Margins, *,
           status: str | None = None, start: datetime | str | None = None,
           end: datetime | str | None = None, latitude: float | None = None,
           longitude: float | None = None, radius_m: float | None = None,
           address: str | None = None) -> OperationView:
    """Change an operation's status, window or place, and check it again (a cancelled or
    finished operation's conflicts no longer stand)."""
    event = AuditEvent(AuditAction.OPERATION_WRITE, objects=[f"operation:{operation_id}"])
    with access.writing(Permission.OPERATION_WRITE, event) as p:
        repo.lock(p.conn)
        op = _visible(p, operation_id)
        _writes_for(access, p, op.agency)
        new_status = _status(status) if status is not None else None
        window = None
        if start is not None or end is not None:
            window = read_in.window(start or op.starts_at, end or op.ends_at)
        place = None
        if any(v is not None for v in (latitude, longitude, radius_m, address)):
            place = read_in.place(
                op.latitude if latitude is None else latitude,
                op.longitude if longitude is None else longitude,
                op.radius_m if radius_m is None else radius_m,
                op.address if address is None else address)
        if new_status is None and window is None and place is None:
            raise BadInput(N_("nothing to change"), field="status")
        now = datetime.now(UTC)
        repo.change(p.conn, op.id, now, status=new_status, place=place, window=window)
        p.event.detail = "change " + ", ".join(name for name, v in (
            ("status", new_status), ("window", window), ("place", place)) if v is not None)
        check(p.conn, [op.id], margins, access.principal, now)
        return _view(p, op.id)


def read(access: Access, operation_id: int) -> OperationView:
    """One operation the principal may see, with its targets and standing conflicts."""
    event = AuditEvent(AuditAction.OPERATION_READ, objects=[f"operation:{operation_id}"])
    with access.reading(Permission.OPERATION_READ, event) as p:
        view = _view(p, _visible(p, operation_id).id)
        p.event.result_count = 1
        return view


def by_reference(access: Access, agency: str, reference: str) -> OperationView:
    """An operation named AGENCY and reference, if the principal may see it."""
    event = AuditEvent(AuditAction.OPERATION_READ, query={"agency": agency,
                                                           "reference": reference})
    with access.reading(Permission.OPERATION_READ, event) as p:
        op = repo.by_reference(p.conn, p.scope, agency.strip().upper(), reference.strip())
        if op is None:
            raise NotFound(N_("no such operation"))
        p.event.objects, p.event.result_count = [f"operation:{op.id}"], 1
        return _view(p, op.id)


def listing(access: Access, statuses: tuple[OperationStatus, ...] = ()
            ) -> list[OperationSummary]:
    """The operations the principal may see, the soonest first, each marked when a
    conflict stands on it."""
    event = AuditEvent(AuditAction.OPERATION_READ, query={"statuses": list(statuses)})
    with access.reading(Permission.OPERATION_READ, event) as p:
        ops = repo.listing(p.conn, p.scope, statuses)
        conflicted = repo.in_conflict(p.conn, [o.id for o in ops])
        p.event.result_count = len(ops)
    return [OperationSummary(o, o.id in conflicted) for o in ops]


def features(access: Access, statuses: tuple[OperationStatus, ...] = (
        OperationStatus.PLANNED,)) -> dict[str, Any]:
    """The operations of `listing` as a GeoJSON FeatureCollection: a point per operation
    with its radius, window, kind, service and whether a conflict stands on it."""
    return {"type": "FeatureCollection", "features": [{
        "type": "Feature", "id": s.operation.id,
        "geometry": {"type": "Point", "coordinates": [s.operation.longitude,
                                                      s.operation.latitude]},
        "properties": {
            "id": s.operation.id, "agency": s.operation.agency,
            "reference": s.operation.reference, "kind": s.operation.kind.value,
            "status": s.operation.status.value, "radius_m": s.operation.radius_m,
            "start": s.operation.starts_at.isoformat(), "end": s.operation.ends_at.isoformat(),
            "conflict": s.in_conflict, "url": f"/operations/{s.operation.id}"}}
        for s in listing(access, statuses)]}


@dataclass(frozen=True)
class StandingConflict:
    left: str  # AGENCY:REFERENCE
    right: str
    kinds: list[str]
    alert_id: int | None


def standing(access: Access) -> list[StandingConflict]:
    """The conflicts standing between operations the principal sees both of (for the
    staff's operators: every conflict within their clearance)."""
    event = AuditEvent(AuditAction.OPERATION_READ, query={"conflicts": True})
    with access.reading(Permission.OPERATION_READ, event) as p:
        out = []
        for c in repo.all_conflicts(p.conn):
            left, right = repo.get(p.conn, p.scope, c.left_id), repo.get(
                p.conn, p.scope, c.right_id)
            if left is not None and right is not None:
                out.append(StandingConflict(left.ref, right.ref, [k.value for k in c.kinds],
                                            c.alert_id))
        p.event.result_count = len(out)
    return out


def check_all(access: Access, margins: Margins) -> CheckSummary:
    """Check every planned operation again. The staff's operators only: the counts span
    every service."""
    event = AuditEvent(AuditAction.DECONFLICT_CHECK, detail="every planned operation")
    with access.writing(Permission.OPERATION_WRITE, event) as p:
        if p.scope.agencies is not None:
            raise Forbidden(N_("only the staff's operators check every service's "
                               "operations"))
        ids = repo.planned_ids(p.conn)
        result = check(p.conn, ids, margins, access.principal, datetime.now(UTC))
        p.event.result_count = len(result.findings)
    return _summary(len(ids), result)


def on_entities_changed(access: Access, entities: set[str]) -> None:
    """Resolution merged or split these entities: check again the operations whose
    targets designate them, and every planned move (see the module's docstring)."""
    from emco.settings import get_settings

    event = AuditEvent(AuditAction.DECONFLICT_CHECK,
                       detail=f"entities changed: {len(entities)}")
    with access.writing(Permission.OPERATION_WRITE, event) as p:
        if not repo.planned_ids(p.conn):
            return
        ids = set(operation_targets.designating(p.conn, entities))
        ids |= set(repo.planned_ids(p.conn, MOVES))
        result = check(p.conn, sorted(ids), Margins.of(get_settings()), access.principal,
                       datetime.now(UTC))
        p.event.result_count = len(result.findings)


if on_entities_changed not in resolve_service.ON_CHANGE:  # once, however often imported
    resolve_service.ON_CHANGE.append(on_entities_changed)


# --- helpers --------------------------------------------------------------------------------

def _writes_for(access: Access, p: Passage, agency: str) -> None:
    """A service registers its own operations; the staff's operators may for any."""
    if agencies.get(p.conn, agency) is None:
        raise BadInput(N_("unknown agency %(agency)s", agency=agency), field="agency")
    if agency != access.principal.agency and p.scope.agencies is not None:
        raise Forbidden(N_("%(user)s (%(own)s) cannot register operations of %(agency)s",
                           user=access.principal.username, own=access.principal.agency,
                           agency=agency))


def _visible(p: Passage, operation_id: int) -> OperationRow:
    op = repo.get(p.conn, p.scope, operation_id)
    if op is None:
        raise NotFound(N_("no such operation"))
    return op


def _status(value: str) -> OperationStatus:
    try:
        return OperationStatus(str(value).strip().lower())
    except ValueError:
        raise BadInput(N_("unknown status %(status)s; one of %(statuses)s",
                          status=repr(value),
                          statuses=", ".join(s.value for s in OperationStatus)),
                       field="status") from None


def _parse_targets(targets: list[tuple[str, Any]], region: str | None) -> list[TargetSpec]:
    if len(targets) > MAX_TARGETS:
        raise BadInput(N_("an operation has at most %(n)s targets", n=MAX_TARGETS),
                       field="targets")
    specs = []
    for i, (kind, value) in enumerate(targets):
        try:
            specs.append(parse_target(kind, value, region))
        except InvalidTarget as exc:  # the same message, placed in the list
            raise InvalidTarget(exc.message, field=f"targets[{i}].{exc.field or 'value'}"
                                ) from None
    return specs


def _store_targets(access: Access, p: Passage, op_id: int, agency: str,
                   specs: list[TargetSpec], now: datetime) -> None:
    """Targets of an operation, kept as investigations keep theirs (`refresh_matches`: a
    person's matched records and blocking keys, a record, an entity's records). A record
    or entity target must be one the principal sees; a target is given once."""
    have = targets_repo.of_owners(p.conn, OWNER, [op_id])[op_id]
    seen = {(t.kind, t.key, t.record_id, t.entity_id) for t in have}
    if len(have) + len(specs) > MAX_TARGETS:
        raise BadInput(N_("an operation has at most %(n)s targets", n=MAX_TARGETS),
                       field="targets")
    for i, spec in enumerate(specs):
        where = f"targets[{i}]"
        if spec.record_id is not None and records_repo.get(
                p.conn, p.scope, spec.record_id) is None:
            raise NotFound(N_("no record %(id)s among those you may see", id=spec.record_id),
                           field=where)
        if spec.entity_id is not None and not resolution_repo.members(
                p.conn, p.scope, spec.entity_id):
            raise NotFound(N_("no entity %(id)s among those you may see", id=spec.entity_id),
                           field=where)
        identity = (spec.kind, spec.key, spec.record_id, spec.entity_id)
        if identity in seen:
            raise Conflict(N_("the operation already targets this %(kind)s",
                              kind=spec.kind.value), field=where)
        seen.add(identity)
        target_id = targets_repo.add(
            p.conn, owner_type=OWNER, owner_id=op_id, agency=agency, kind=spec.kind,
            value=spec.value, key_kind=spec.key_kind, key=spec.key, record_id=spec.record_id,
            entity_id=spec.entity_id, author=access.principal.username, now=now)
        refresh_matches(access.db, p.conn, target_id, spec)


def _view(p: Passage, op_id: int) -> OperationView:
    op = repo.unscoped(p.conn, [op_id])[op_id]
    case = investigations_repo.unscoped(p.conn, [op.investigation_id]).get(
        op.investigation_id) if op.investigation_id is not None else None
    targets = targets_repo.of_owners(p.conn, OWNER, [op.id])[op.id]
    return OperationView(op, case.reference if case else None, targets,
                         [_conflict_view(p, op, c) for c in repo.conflicts_of(p.conn,
                                                                               [op.id])],
                         _warnings(p, op, targets))


def _warnings(p: Passage, op: OperationRow, targets: list[TargetRow]) -> list[RiskWarning]:
    """The warnings an operation that moves people carries (`RiskWarning`)."""
    if op.kind not in MOVES:
        return []
    live = [t.id for t in targets if t.removed_at is None]
    # each target's resolved entities: an entity target's, a person's or a record's
    # matches, the holders of an identifier (`emco.store.targets`: designations `E…`)
    people = sorted({d for found in operation_targets.designations(p.conn, live).values()
                     for d in found if d.startswith("E")})
    found = risk_repo.latest_assessments(p.conn, people)
    return [RiskWarning(e, a.level, a.criteria, a.at) for e, a in sorted(found.items())
            if a.level in WARN_LEVELS or a.criteria]


def _conflict_view(p: Passage, op: OperationRow, c: ConflictRow) -> ConflictView:
    """The staff's operators see the whole picture when both operations are within
    their clearance; a service sees what it was told."""
    kinds = [k.value for k in c.kinds]
    other = repo.get(p.conn, p.scope, c.other(op.id))
    if p.scope.agencies is None and other is not None:
        return ConflictView(c.alert_id, kinds, staff_view=c.detail)
    told = None
    if c.alert_id is not None:
        for r in alerts_repo.recipients(p.conn, [c.alert_id])[c.alert_id]:
            if r.agency == op.agency:
                told = json.loads(r.disclosure)
    return ConflictView(c.alert_id, kinds, disclosure=told)


def _summary(checked: int, result: CheckResult) -> CheckSummary:
    by_kind: dict[str, int] = {}
    for f in result.findings:
        for k in f.kinds:
            by_kind[k.value] = by_kind.get(k.value, 0) + 1
    return CheckSummary(checked, dict(sorted(by_kind.items())), len(result.findings),
                        result.alerts_raised, result.alerts_updated, result.cleared)
