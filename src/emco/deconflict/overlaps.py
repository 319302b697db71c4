"""Target deconfliction: two open investigations of two services that share a target
(the same resolved entity, record or normalised identifier) are told, in one alert per
pair of investigations however many triggers and shared targets.

Triggers: a target registered or an investigation reopened (`check_in`, in the writer's
transaction), records ingested (`after_ingest`), entities merged or split by resolution
(`on_entities_changed`, registered in `emco.resolve.service.ON_CHANGE`), and the check on
demand (`check_targets`). The alert's content is a pure function of the current state,
so raising it again after every trigger changes nothing when nothing changed.

Need to know: each service learns that another service works on the same target, that
service's contact point and case reference, and which of ITS OWN targets matched, as it
registered them; never the other side's title, targets or content. The staff's operators
see the whole picture (`staff_view`).
"""

import json
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from emco.access.audit import AuditEvent
from emco.access.gate import Access, Passage
from emco.alerts.service import Recipient, raise_alert
from emco.deconflict.targets import refresh_matches, shared_targets, spec_of
from emco.model.enums import (
    AlertKind,
    AlertSeverity,
    AuditAction,
    InvestigationStatus,
    Permission,
    TargetKind,
    TargetOwner,
)
from emco.model.types import Agency
from emco.resolve.service import Thresholds
from emco.store import agencies
from emco.store import investigations as investigations_repo
from emco.store import target_records as matching
from emco.store import targets as repo
from emco.store.investigations import InvestigationRow
from emco.store.targets import Designated, TargetRow

OWNER = TargetOwner.INVESTIGATION.value
AUTHOR = "deconflict"
# Two services on one target is what the staff exists to catch, and a raid by one may
# ruin the other's months of work: HIGH (short deadline) for every overlap; CRITICAL when
# both sides have an operation planned, as one may then act on the target any day.
SEVERITY = AlertSeverity.HIGH
IMMINENT = AlertSeverity.CRITICAL
# Beyond this many changed entities or arriving records, one set-based check of every
# pair costs less than looking the changes up one by one.
FULL_ABOVE = 2000


@dataclass
class CheckSummary:
    rematched: int = 0  # person targets whose matched records changed
    pairs: int = 0  # pairs of open investigations of two services sharing a target
    raised: int = 0  # alerts created
    updated: int = 0  # existing alerts that took new evidence (or reopened)

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def alert_key(a: int, b: int) -> str:
    """One alert per pair of investigations: their ids, sorted."""
    return f"investigations:{min(a, b)}:{max(a, b)}"


# --- triggers -------------------------------------------------------------------------------

def check_in(access: Access, p: Passage, target_ids: Iterable[int]) -> CheckSummary:
    """Inside a write passage: every pair of open investigations these targets make
    overlap now, one alert each."""
    return _raise(access, p, _pairs_touching(p, set(target_ids)))


def check_targets(access: Access, thresholds: Thresholds | None = None) -> CheckSummary:
    """The whole register checked on demand: person targets matched again with the
    current model and records, then every pair of open investigations sharing a target,
    in one set-based query. Idempotent: nothing changes when nothing changed."""
    event = AuditEvent(AuditAction.DECONFLICT_CHECK, query={"check": "targets"})
    with access.writing(Permission.INVESTIGATION_WRITE, event) as p:
        return _full(access, p, thresholds)


def after_ingest(access: Access, batch_id: str | None,
                 thresholds: Thresholds | None = None) -> CheckSummary | None:
    """After a batch of records: the targets its records may now designate (by their
    identifiers, or as the person a person target names). None when no target exists."""
    if batch_id is None or not _any_target(access):
        return None
    event = AuditEvent(AuditAction.DECONFLICT_CHECK, query={"batch": batch_id})
    with access.writing(Permission.INVESTIGATION_WRITE, event) as p:
        arrived = matching.records_of_batch(p.conn, batch_id)
        if len(arrived) > FULL_ABOVE:
            return _full(access, p, thresholds)
        d = Designated.of(matching.record_designations(p.conn, arrived))
        affected = set(repo.sharing(p.conn, d, OWNER, investigations_repo.is_open))
        if matching.has_model(p.conn):
            people = matching.person_targets_blocked_by(p.conn, arrived)
        else:  # matched by exact name and date until a model exists: a small store
            people = {t.id for t in repo.live_of_kind(p.conn, TargetKind.PERSON)}
        changed = _rematch(access, p, people, thresholds)
        summary = check_in(access, p, affected | changed)
        summary.rematched = len(changed)
        p.event.result_count = summary.pairs
        return summary


def on_entities_changed(access: Access, changed: set[str]) -> None:
    """Resolution merged or split entities (`ON_CHANGE`): targets designating them may
    now share one; records new to an entity may be a person some target names."""
    if not changed or not _any_target(access):
        return
    event = AuditEvent(AuditAction.DECONFLICT_CHECK, query={"entities": len(changed)})
    with access.writing(Permission.INVESTIGATION_WRITE, event) as p:
        if len(changed) > FULL_ABOVE:
            summary = _full(access, p, None)
        else:
            d = Designated([], sorted(changed), [])
            behind = repo.records_designated(p.conn, d)
            people = _rematch(access, p, matching.person_targets_blocked_by(p.conn, behind), None)
            affected = set(repo.sharing(p.conn, d, OWNER, investigations_repo.is_open))
            summary = check_in(access, p, affected | people)
        p.event.result_count = summary.pairs


def _any_target(access: Access) -> bool:
    # Whether any target exists at all, before opening an audited passage: every
    # resolution run calls the hook, and a store without targets has nothing to check.
    with access.db.read() as conn:
        return repo.any_live(conn)


# --- finding the pairs ----------------------------------------------------------------------

def _full(access: Access, p: Passage, thresholds: Thresholds | None) -> CheckSummary:
    people = {t.id for t in repo.live_of_kind(p.conn, TargetKind.PERSON)}
    changed = _rematch(access, p, people, thresholds)
    shared = repo.all_shared(p.conn, OWNER, investigations_repo.is_open)
    summary = _raise(access, p, {(s.owner_a, s.owner_b) for s in shared})
    summary.rematched = len(changed)
    p.event.result_count = summary.pairs
    return summary


def _rematch(access: Access, p: Passage, target_ids: Iterable[int],
             thresholds: Thresholds | None) -> set[int]:
    """Match person targets again; returns those whose matched records changed."""
    found = repo.by_ids(p.conn, target_ids)
    return {tid for tid, row in sorted(found.items())
            if row.removed_at is None and row.kind == TargetKind.PERSON
            and refresh_matches(access.db, p.conn, tid, spec_of(row), thresholds)}


def _pairs_touching(p: Passage, target_ids: set[int]) -> set[tuple[int, int]]:
    """Pairs of open investigations of two services in which one of these targets
    shares a designation with a target of the other: indexed lookups from these targets
    outwards, never the whole register."""
    conn = p.conn
    mine = {t.id: t for t in repo.by_ids(conn, target_ids).values()
            if t.owner_type == OWNER and t.removed_at is None}
    owners = investigations_repo.unscoped(conn, sorted({t.owner_id for t in mine.values()}))
    mine = {tid: t for tid, t in mine.items()
            if owners[t.owner_id].status == InvestigationStatus.OPEN}
    if not mine:
        return set()
    des = repo.designations(conn, mine)
    wanted = Designated.of(set().union(*des.values()) if des else set())
    others = repo.sharing(conn, wanted, OWNER, investigations_repo.is_open)
    theirs = repo.designations(conn, others)
    rows = repo.by_ids(conn, others)
    pairs = set()
    for tid, target in mine.items():
        for oid, other in rows.items():
            if other.agency != target.agency and other.owner_id != target.owner_id \
                    and des.get(tid, set()) & theirs.get(oid, set()):
                pairs.add((min(target.owner_id, other.owner_id),
                           max(target.owner_id, other.owner_id)))
    return pairs


# --- telling both sides ---------------------------------------------------------------------

def _raise(access: Access, p: Passage, pairs: set[tuple[int, int]]) -> CheckSummary:
    """One alert per pair, with everything the pair shares now (not only what the
    trigger found), so that its content depends on the state alone."""
    conn = p.conn
    summary = CheckSummary()
    found = investigations_repo.unscoped(conn, sorted({i for pair in pairs for i in pair}))
    acting = investigations_repo.with_planned_operations(conn, sorted(found))
    services = {a.code: a for a in agencies.all_agencies(conn, active_only=False)}
    for a_id, b_id in sorted(pairs):
        a, b = found[a_id], found[b_id]
        if a.agency == b.agency or a.status != InvestigationStatus.OPEN or \
                b.status != InvestigationStatus.OPEN:
            continue
        shared = shared_targets(conn, OWNER, a_id, b_id)
        if not shared:
            continue
        rows = repo.by_ids(conn, {t for ta, tb, _ in shared for t in (ta, tb)})
        own_a = [rows[t] for t in sorted({ta for ta, _, _ in shared})]
        own_b = [rows[t] for t in sorted({tb for _, tb, _ in shared})]
        result = raise_alert(
            conn, kind=AlertKind.TARGET_OVERLAP, key=alert_key(a_id, b_id),
            severity=IMMINENT if {a_id, b_id} <= acting else SEVERITY,
            title=f"Cible commune : {a.agency} et {b.agency}",
            recipients=[Recipient(a.agency, disclosure(a, own_a, b, services[b.agency])),
                        Recipient(b.agency, disclosure(b, own_b, a, services[a.agency]))],
            staff_view=staff_view(a, b, shared, rows), author=AUTHOR,
            principal=access.principal)
        summary.pairs += 1
        summary.raised += int(result.created)
        summary.updated += int(result.updated)
    return summary


def _target(t: TargetRow) -> dict[str, Any]:
    given: Any = spec_given(t)
    return {"id": t.id, "kind": t.kind.value, "value": given}


def spec_given(t: TargetRow) -> Any:
    """A target's value as its service registered it."""
    return json.loads(t.value) if t.kind == TargetKind.PERSON else t.value


def _contact(name: str | None, phone: str | None, email: str | None) -> dict[str, Any]:
    return {"name": name, "phone": phone, "email": email}


def disclosure(own: InvestigationRow, matched: Sequence[TargetRow], other: InvestigationRow,
               service: Agency) -> dict[str, Any]:
    """What one side learns: its own case and ITS OWN targets that matched, and who to
    call on the other side. Nothing of the other side's title, targets or jurisdiction."""
    return {
        "investigation": {"id": own.id, "reference": own.reference},
        "matched": [_target(t) for t in matched],
        "other_service": {"agency": service.code, "name": service.name,
                          "contact_point": _contact(service.contact_name,
                                                    service.contact_phone,
                                                    service.contact_email)},
        "other_investigation": {"reference": other.reference,
                                "lead_contact": _contact(other.contact.name,
                                                         other.contact.phone,
                                                         other.contact.email)},
    }


def _investigation(i: InvestigationRow) -> dict[str, Any]:
    return {"id": i.id, "agency": i.agency, "reference": i.reference, "title": i.title,
            "status": i.status.value, "protection": i.protection.value,
            "opened": i.opened.isoformat() if i.opened else None,
            "lead_contact": _contact(i.contact.name, i.contact.phone, i.contact.email),
            "court": i.court, "prosecutor": i.prosecutor}


def staff_view(a: InvestigationRow, b: InvestigationRow, shared: list[tuple[int, int, str]],
               rows: dict[int, TargetRow]) -> dict[str, Any]:
    """The whole picture, for the staff: both cases and every shared designation with
    the targets of each side that lead to it."""
    return {
        "investigations": [_investigation(a), _investigation(b)],
        "shared": [{"designation": d, "targets": [_target(rows[ta]), _target(rows[tb])]}
                   for ta, tb, d in sorted(shared, key=lambda s: (s[2], s[0], s[1]))],
    }
