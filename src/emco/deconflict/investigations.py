"""The register of investigations, through the gate: what the CLI, the API and the pages
call. A service's liaison registers its own service's cases (the staff's operators any
service's); a service sees its own, the staff all, DR ones need DR clearance. Each write
checks the targets it touches for overlaps in the same transaction (`overlaps.check_in`).
"""

import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, date, datetime

from emco.access.audit import AuditEvent
from emco.access.gate import Access, Passage
from emco.alerts.service import AlertView, alert_detail
from emco.deconflict import overlaps
from emco.deconflict.targets import TargetSpec, refresh_matches
from emco.errors import BadInput, Conflict, Forbidden, NotFound
from emco.i18n import N_
from emco.ingest.normalize import Invalid, clean_text, normalize_email, normalize_phone
from emco.model.enums import (
    AuditAction,
    InvestigationStatus,
    Permission,
    Protection,
    TargetOwner,
)
from emco.resolve.service import Thresholds
from emco.store import agencies, resolution
from emco.store import investigations as repo
from emco.store import records as records_repo
from emco.store import targets as targets_repo
from emco.store.investigations import Contact, InvestigationRow, NewInvestigation
from emco.store.targets import TargetRow

OWNER = TargetOwner.INVESTIGATION.value
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
LIMITS = {"reference": 100, "title": 500, "contact_name": 200, "contact_email": 200,
          "contact_phone": 40, "court": 200, "prosecutor": 200}


@dataclass(frozen=True)
class InvestigationView:
    """An investigation with its targets, as its own service and the staff see it."""

    investigation: InvestigationRow
    targets: list[TargetRow]


def new_investigation(*, agency: str, reference: str, title: str, contact_name: str,
                      contact_phone: str | None = None, contact_email: str | None = None,
                      court: str | None = None, prosecutor: str | None = None,
                      protection: Protection | str = Protection.NP,
                      opened: date | None = None, region: str = "FR",
                      today: date | None = None) -> NewInvestigation:
    """Check and clean what a service registers, naming the field of any mistake (pure:
    nothing is read, nothing is written)."""
    texts = {"reference": reference, "title": title, "contact_name": contact_name,
             "contact_phone": contact_phone, "contact_email": contact_email, "court": court,
             "prosecutor": prosecutor}
    clean: dict[str, str | None] = {}
    for name, value in texts.items():
        text = clean_text(value) if value else ""
        if len(text) > LIMITS[name]:
            raise BadInput(N_("%(field)s must be at most %(limit)s characters long",
                              field=name, limit=LIMITS[name]), field=name)
        if value and _CONTROL.search(value.replace("\n", " ").replace("\t", " ")):
            raise BadInput(N_("%(field)s cannot hold control characters", field=name),
                           field=name)
        clean[name] = text or None
    for name in ("reference", "title", "contact_name"):
        if not clean[name]:
            raise BadInput(N_("%(field)s is required", field=name), field=name)
    if clean["contact_phone"]:
        try:
            normalize_phone(clean["contact_phone"], region)
        except Invalid as exc:
            raise BadInput(N_("%(value)s is not a valid phone: %(reason)s",
                              value=repr(clean["contact_phone"]), reason=str(exc)),
                           field="contact_phone") from None
    if clean["contact_email"]:
        try:
            clean["contact_email"] = normalize_email(clean["contact_email"])
        except Invalid as exc:
            raise BadInput(N_("%(value)s is not a valid e-mail address: %(reason)s",
                              value=repr(clean["contact_email"]), reason=str(exc)),
                           field="contact_email") from None
    try:
        mention = Protection(str(protection).upper())
    except ValueError:
        raise BadInput(N_("protection is NP or DR"), field="protection") from None
    if opened is not None and opened > (today or datetime.now(UTC).date()):
        raise BadInput(N_("%(day)s is in the future", day=opened.isoformat()),
                       field="opened")
    code = clean_text(agency or "").upper()
    if not code:
        raise BadInput(N_("%(field)s is required", field="agency"), field="agency")
    return NewInvestigation(
        agency=code, reference=str(clean["reference"]), title=str(clean["title"]),
        contact=Contact(str(clean["contact_name"]), clean["contact_phone"],
                        clean["contact_email"]),
        court=clean["court"], prosecutor=clean["prosecutor"],
        status=InvestigationStatus.OPEN, protection=mention, opened=opened)


def register(access: Access, new: NewInvestigation, targets: list[TargetSpec] | None = None,
             thresholds: Thresholds | None = None) -> InvestigationView:
    """Register an open investigation of a service, with its first targets, and check
    them for overlaps: all in one transaction, so a refusal leaves nothing written."""
    event = AuditEvent(AuditAction.INVESTIGATION_WRITE, objects=[f"agency:{new.agency}"],
                       detail=f"register {new.agency}:{new.reference}")
    with access.writing(Permission.INVESTIGATION_WRITE, event) as p:
        if agencies.get(p.conn, new.agency) is None:
            raise BadInput(N_("unknown agency %(agency)s", agency=repr(new.agency)),
                           field="agency")
        _writes_for(access, p, new.agency)
        if new.protection not in p.scope.protections:
            raise Forbidden(N_("your clearance does not allow registering a DR "
                               "investigation"), field="protection")
        if repo.reference_taken(p.conn, new.agency, new.reference):
            raise Conflict(N_("%(agency)s already has an investigation %(reference)s",
                              agency=new.agency, reference=new.reference), field="reference")
        now = datetime.now(UTC)
        investigation_id = repo.create(p.conn, new, access.principal.username, now)
        row = repo.get(p.conn, p.scope, investigation_id)
        assert row is not None
        added = [_add(access, p, row, spec, now, f"targets[{i}]", thresholds)
                 for i, spec in enumerate(targets or [])]
        overlaps.check_in(access, p, [t.id for t in added])
        p.event.objects = [f"investigation:{investigation_id}"]
        return InvestigationView(row, added)


def listing(access: Access, status: InvestigationStatus | None = None,
            agency: str | None = None) -> list[InvestigationRow]:
    """The investigations the principal may see, newest first."""
    event = AuditEvent(AuditAction.INVESTIGATION_READ, query={
        "status": status.value if status else None, "agency": agency})
    with access.reading(Permission.INVESTIGATION_READ, event) as p:
        found = repo.listing(p.conn, p.scope, status, agency.upper() if agency else None)
        p.event.result_count = len(found)
    return found


def read(access: Access, investigation_id: int) -> InvestigationView:
    """One investigation with its live targets; NotFound when out of sight."""
    event = AuditEvent(AuditAction.INVESTIGATION_READ,
                       objects=[f"investigation:{investigation_id}"])
    with access.reading(Permission.INVESTIGATION_READ, event) as p:
        row = _visible(p, investigation_id)
        found = targets_repo.of_owners(p.conn, OWNER, [row.id])[row.id]
        p.event.result_count = 1
    return InvestigationView(row, found)


def overlap_alerts(access: Access, investigation_id: int) -> list[AlertView]:
    """The overlap alerts of an investigation, as the principal may see each (its own
    service's disclosure; the whole picture for the staff), newest first."""
    event = AuditEvent(AuditAction.INVESTIGATION_READ,
                       objects=[f"investigation:{investigation_id}"], detail="alerts")
    with access.reading(Permission.INVESTIGATION_READ, event) as p:
        _visible(p, investigation_id)
        ids = repo.overlap_alert_ids(p.conn, investigation_id)
        p.event.result_count = len(ids)
    out = []
    for alert_id in ids:
        with suppress(NotFound):  # raised before the service joined the pair: not its own
            out.append(alert_detail(access, alert_id))
    return out


def find(access: Access, text: str) -> int:
    """An investigation given by its id, or as AGENCY:REFERENCE, among those in sight."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    agency, _, reference = text.partition(":")
    if not reference:
        raise BadInput(N_("give an investigation's id, or AGENCY:REFERENCE"),
                       field="investigation")
    event = AuditEvent(AuditAction.INVESTIGATION_READ, query={"ref": text})
    with access.reading(Permission.INVESTIGATION_READ, event) as p:
        row = repo.by_reference(p.conn, p.scope, agency.strip().upper(), reference.strip())
        p.event.result_count = 0 if row is None else 1
    if row is None:
        raise NotFound(N_("no investigation %(ref)s among those you may see", ref=text),
                       field="investigation")
    return row.id


def set_status(access: Access, investigation_id: int, status: InvestigationStatus
               ) -> InvestigationRow:
    """Open, suspend or close an investigation; reopened, its targets are checked again."""
    event = AuditEvent(AuditAction.INVESTIGATION_WRITE,
                       objects=[f"investigation:{investigation_id}"],
                       detail=f"status {status.value}")
    with access.writing(Permission.INVESTIGATION_WRITE, event) as p:
        row = _visible(p, investigation_id)
        if row.status != status:
            repo.set_status(p.conn, row.id, status, datetime.now(UTC))
            if status == InvestigationStatus.OPEN:
                live = targets_repo.of_owners(p.conn, OWNER, [row.id])[row.id]
                overlaps.check_in(access, p, [t.id for t in live])
        updated = repo.get(p.conn, p.scope, row.id)
        assert updated is not None
        return updated


def add_target(access: Access, investigation_id: int, spec: TargetSpec,
               thresholds: Thresholds | None = None) -> TargetRow:
    """Add a target to an open or suspended investigation and check it for overlaps."""
    event = AuditEvent(AuditAction.INVESTIGATION_WRITE,
                       objects=[f"investigation:{investigation_id}"],
                       detail=f"target {spec.kind.value}")
    with access.writing(Permission.INVESTIGATION_WRITE, event) as p:
        row = _visible(p, investigation_id)
        target = _add(access, p, row, spec, datetime.now(UTC), "value", thresholds)
        overlaps.check_in(access, p, [target.id])
        p.event.objects.append(f"target:{target.id}")
        return target


def remove_target(access: Access, investigation_id: int, target_id: int) -> None:
    """Withdraw a target (kept, marked removed). Alerts it raised stay: the staff close
    them with their outcome."""
    event = AuditEvent(AuditAction.INVESTIGATION_WRITE,
                       objects=[f"investigation:{investigation_id}", f"target:{target_id}"],
                       detail="remove target")
    with access.writing(Permission.INVESTIGATION_WRITE, event) as p:
        row = _visible(p, investigation_id)
        _writes_for(access, p, row.agency)
        target = targets_repo.get(p.conn, target_id)
        if target is None or target.owner_type != OWNER or target.owner_id != row.id \
                or target.removed_at is not None:
            raise NotFound(N_("investigation %(ref)s has no target %(target)s",
                              ref=row.ref, target=target_id), field="target_id")
        targets_repo.remove(p.conn, target_id, access.principal.username, datetime.now(UTC))


# --- inside a passage ----------------------------------------------------------------------

def _visible(p: Passage, investigation_id: int) -> InvestigationRow:
    row = repo.get(p.conn, p.scope, investigation_id)
    if row is None:  # the same words for absent and out of sight
        raise NotFound(N_("no investigation %(ref)s among those you may see",
                          ref=investigation_id), field="investigation")
    return row


def _writes_for(access: Access, p: Passage, agency: str) -> None:
    """A liaison writes for its own service; the staff's operators for any."""
    if p.scope.agencies is not None and agency not in p.scope.agencies:
        raise Forbidden(N_("%(user)s (%(own)s) registers investigations of its own service "
                           "only, not of %(agency)s", user=access.principal.username,
                           own=access.principal.agency, agency=agency), field="agency")


def _add(access: Access, p: Passage, row: InvestigationRow, spec: TargetSpec, now: datetime,
         where: str, thresholds: Thresholds | None = None) -> TargetRow:
    _writes_for(access, p, row.agency)
    if row.status == InvestigationStatus.CLOSED:
        raise Conflict(N_("investigation %(ref)s is closed: reopen it to add targets",
                          ref=row.ref), field="status")
    if spec.record_id is not None and records_repo.get(p.conn, p.scope, spec.record_id) is None:
        raise NotFound(N_("no record %(id)s among those you may see", id=spec.record_id),
                       field=where)
    if spec.entity_id is not None and not resolution.members(p.conn, p.scope, spec.entity_id):
        raise NotFound(N_("no entity %(id)s among those you may see", id=spec.entity_id),
                       field=where)
    for other in targets_repo.of_owners(p.conn, OWNER, [row.id])[row.id]:
        if (other.kind, other.key, other.record_id, other.entity_id) == (
                spec.kind, spec.key, spec.record_id, spec.entity_id):
            raise Conflict(N_("investigation %(ref)s already targets this %(kind)s",
                              ref=row.ref, kind=spec.kind.value), field=where)
    target_id = targets_repo.add(
        p.conn, owner_type=OWNER, owner_id=row.id, agency=row.agency, kind=spec.kind,
        value=spec.value, key_kind=spec.key_kind, key=spec.key, record_id=spec.record_id,
        entity_id=spec.entity_id, author=access.principal.username, now=now)
    refresh_matches(access.db, p.conn, target_id, spec, thresholds)
    target = targets_repo.get(p.conn, target_id)
    assert target is not None
    return target
