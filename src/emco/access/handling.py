"""Handling codes enforced: what a code allows, and the owner's permission when it does not.

The rule (`needs_permission`): an H2 record is not passed beyond its owning service, and
an H1 record is not used before a court, without the owner's permission. H0 and H3 need
none (an H3 record travels with its owner's condition, shown wherever it is).

The flow: a staff operator, or another service's liaison, asks (`request`: a
`disseminate` request to pass record R to service B, or a `judicial` request to use it in
a court case), with a motif and a case reference; a liaison of the owning service
approves or refuses with a note (`decide`); the author may withdraw a pending request
(`withdraw`). When no code forbids it, or the owner itself asks, the same call grants at
once (approved, decided by the requester). An approved dissemination puts the record in
service B's scope (`emco.access.gate` reads the grants; `emco.store.records.scope_filter`
applies them). Every step is audited.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from emco.access import motif as purpose
from emco.access import policy
from emco.access.audit import AuditEvent
from emco.access.gate import Access, Passage
from emco.errors import BadInput, Conflict, Forbidden, NotFound
from emco.i18n import N_
from emco.model.enums import (
    AuditAction,
    HandlingCode,
    HandlingKind,
    HandlingStatus,
    Outcome,
    Permission,
)
from emco.store import agencies
from emco.store import handling as repo
from emco.store import records as records_repo
from emco.store.handling import RequestRow

MAX_NOTE = 1000
# The code that forbids each kind of use without the owner's permission.
RESTRICTS = {HandlingKind.DISSEMINATE: HandlingCode.H2, HandlingKind.JUDICIAL: HandlingCode.H1}


def needs_permission(kind: HandlingKind, code: HandlingCode) -> bool:
    """Whether a use of a record under `code` waits for its owner's permission."""
    return RESTRICTS[kind] == code


def request(access: Access, record_id: int, *, kind: str, motif: str | None,
            case_ref: str | None = None, for_agency: str | None = None) -> RequestRow:
    """Ask the owner of a record in sight for a use of it: `disseminate` to `for_agency`,
    or `judicial` (for the requester's own service). Granted at once when the record's
    code does not restrict that use, or when its owner asks."""
    try:
        use = HandlingKind(kind.strip().lower())
    except ValueError:
        raise BadInput(N_("a request is disseminate or judicial"), field="kind") from None
    event = AuditEvent(AuditAction.HANDLING_REQUEST, objects=[f"record:{record_id}"],
                       detail=use.value)
    access.check(Permission.HANDLING_REQUEST, event)
    why, ref = _purpose(access, event, use, motif, case_ref)
    own = access.principal.agency
    target = (for_agency or "").strip().upper() if use is HandlingKind.DISSEMINATE else own
    with access.writing(Permission.HANDLING_REQUEST, event) as p:
        if not target:
            raise BadInput(N_("give the service to pass the record to"), field="for_agency")
        if agencies.get(p.conn, target) is None:
            raise BadInput(N_("unknown agency %(agency)s", agency=target), field="for_agency")
        if not records_repo.summaries(p.conn, p.scope, [record_id]):
            raise NotFound(N_("no record %(id)s among those you may see", id=record_id),
                           field="record")
        record = repo.records_handling(p.conn, [record_id])[record_id]
        if use is HandlingKind.DISSEMINATE and record.agency == target:
            raise BadInput(N_("record %(id)s belongs to %(agency)s already",
                              id=record_id, agency=target), field="for_agency")
        _not_twice(p.conn, record_id, use, target)
        at_once = not needs_permission(use, record.handling) or record.agency == own
        status = HandlingStatus.APPROVED if at_once else HandlingStatus.PENDING
        request_id = repo.add(p.conn, record_id=record_id, kind=use,
                              owner_agency=record.agency, for_agency=target, case_ref=ref,
                              motif=why, requested_by=access.principal.username,
                              at=datetime.now(UTC), status=status,
                              decided_by=access.principal.username)
        p.event.objects.append(f"handling_request:{request_id}")
        p.event.detail = f"{use.value} {record.handling.value} to {target}: {status.value}"
        p.event.result_count = 1
        row = repo.get(p.conn, request_id)
    assert row is not None
    return row


def _purpose(access: Access, event: AuditEvent, use: HandlingKind, motif: str | None,
             case_ref: str | None) -> tuple[str, str | None]:
    """A request states its motif; a judicial one its case reference too."""
    if use is HandlingKind.JUDICIAL:
        return purpose.require(access, event, motif, case_ref)
    why, ref = purpose.audited(access, event, lambda: _motif_given(motif, case_ref))
    event.motif, event.case_ref = why, ref
    return why, ref


def _motif_given(motif: str | None, case_ref: str | None) -> tuple[str, str | None]:
    why, ref = purpose.clean(motif, case_ref)
    if why is None:
        raise BadInput(N_("give the motif of the request"), field="motif")
    return why, ref


def _not_twice(conn: Any, record_id: int, use: HandlingKind, target: str) -> None:
    found = repo.open_request(conn, record_id, use, target,
                              (HandlingStatus.PENDING, HandlingStatus.APPROVED))
    if found is None:
        return
    if found.status is HandlingStatus.PENDING:
        raise Conflict(N_("request %(id)s for this already waits for a decision",
                          id=found.id), field="record")
    raise Conflict(N_("request %(id)s granted this already", id=found.id), field="record")


def decide(access: Access, request_id: int, *, approve: bool, note: str | None = None
           ) -> RequestRow:
    """Approve or refuse a pending request, as a liaison of the record's owning service."""
    text = (note or "").strip() or None
    event = AuditEvent(AuditAction.HANDLING_DECIDE,
                       objects=[f"handling_request:{request_id}"],
                       detail="approve" if approve else "refuse")
    if text is not None and len(text) > MAX_NOTE:
        access.record(event, Outcome.FAILED, "note too long")
        raise BadInput(N_("a note is at most %(n)s characters", n=MAX_NOTE), field="note")
    with access.writing(Permission.HANDLING_DECIDE, event) as p:
        found = _get(p.conn, request_id)
        _concerns(p, access, found)
        if found.owner_agency != access.principal.agency:
            raise Forbidden(N_("only %(agency)s, which owns the record, decides this request",
                               agency=found.owner_agency))
        if not _sees_record(p, found):
            # a record beyond the decider's clearance: its request is not theirs to see
            raise NotFound(N_("no handling request %(id)s", id=request_id), field="request")
        status = HandlingStatus.APPROVED if approve else HandlingStatus.REFUSED
        p.event.objects.append(f"record:{found.record_id}")
        p.event.detail = f"{found.kind.value} to {found.for_agency}: {status.value}"
        return _close(p, found, status, text, access.principal.username)


def withdraw(access: Access, request_id: int) -> RequestRow:
    """Withdraw one's own pending request."""
    event = AuditEvent(AuditAction.HANDLING_WITHDRAW,
                       objects=[f"handling_request:{request_id}"])
    with access.writing(Permission.HANDLING_REQUEST, event) as p:
        found = _get(p.conn, request_id)
        if found.requested_by != access.principal.username:
            _concerns(p, access, found)
            raise Forbidden(N_("only %(user)s, who asked, withdraws this request",
                               user=found.requested_by))
        return _close(p, found, HandlingStatus.WITHDRAWN, None, access.principal.username)


def _get(conn: Any, request_id: int) -> RequestRow:
    found = repo.get(conn, request_id)
    if found is None:
        raise NotFound(N_("no handling request %(id)s", id=request_id), field="request")
    return found


def _concerns(p: Passage, access: Access, found: RequestRow) -> None:
    """A request is known to the services it is between (the record's owner, the one it
    was asked for) and to those who see its record; to anyone else it reads as a request
    that does not exist (its refusal would name the owner of a record out of sight)."""
    if access.principal.agency not in (found.owner_agency, found.for_agency) and \
            not _sees_record(p, found):
        raise NotFound(N_("no handling request %(id)s", id=found.id), field="request")


def _sees_record(p: Passage, found: RequestRow) -> bool:
    return bool(records_repo.summaries(p.conn, p.scope, [found.record_id]))


def _close(p: Passage, found: RequestRow, status: HandlingStatus, note: str | None,
           by: str) -> RequestRow:
    """Write the decision on a request still pending (a concurrent one may have won)."""
    if found.status is not HandlingStatus.PENDING:
        raise Conflict(N_("request %(id)s is %(status)s, no longer pending",
                          id=found.id, status=found.status.value))
    if not repo.decide(p.conn, found.id, status, by, datetime.now(UTC), note):
        raise Conflict(N_("request %(id)s was decided meanwhile", id=found.id))
    p.event.result_count = 1
    row = repo.get(p.conn, found.id)
    assert row is not None
    return row


@dataclass(frozen=True)
class Requests:
    to_decide: list[RequestRow]  # pending, about the principal's service's records
    decided: list[RequestRow]  # the service's past decisions
    mine: list[RequestRow]  # made by the principal

    def to_dict(self) -> dict[str, Any]:
        return {"to_decide": [request_dict(r) for r in self.to_decide],
                "decided": [request_dict(r) for r in self.decided],
                "mine": [request_dict(r) for r in self.mine]}


def listing(access: Access) -> Requests:
    """The requests a liaison of the owning service decides, and those the principal made."""
    event = AuditEvent(AuditAction.HANDLING_READ, query={"list": "handling requests"})
    decides = policy.allows(access.principal, Permission.HANDLING_DECIDE)
    with access.reading(Permission.HANDLING_REQUEST, event) as p:
        owner = access.principal.agency
        about = repo.listing(p.conn, owner_agency=owner) if decides else []
        mine = repo.listing(p.conn, requested_by=access.principal.username)
        # Only requests about records in the reader's sight (a DR record's request is
        # not listed to a liaison cleared NP only: it names and describes the record).
        seen = {r.id for r in records_repo.summaries(
            p.conn, p.scope, sorted({r.record_id for r in [*about, *mine]}))}
        about = [r for r in about if r.record_id in seen]
        mine = [r for r in mine if r.record_id in seen]
        p.event.result_count = len(about) + len(mine)
    return Requests([r for r in about if r.status is HandlingStatus.PENDING],
                    [r for r in about if r.status is not HandlingStatus.PENDING], mine)


def request_dict(r: RequestRow) -> dict[str, Any]:
    """A request as the API and the page show it, the record's H3 condition included."""
    rec = r.record
    return {"id": r.id, "record": r.record_id, "kind": r.kind.value,
            "owner_agency": r.owner_agency, "for_agency": r.for_agency,
            "case_ref": r.case_ref, "motif": r.motif, "requested_by": r.requested_by,
            "requested_at": r.requested_at.isoformat(), "status": r.status.value,
            "decided_by": r.decided_by,
            "decided_at": r.decided_at.isoformat() if r.decided_at else None,
            "decision_note": r.decision_note,
            "caption": rec.caption if rec else None, "schema": rec.schema if rec else None,
            "handling": rec.handling.value if rec else None,
            "handling_condition": rec.condition if rec else None}


def withheld_from(conn: Any, agency: str, record_ids: Any) -> set[int]:
    """Among `record_ids`, the H2 records of other services not passed to `agency`: what
    derived views (risk explanations, alert texts) must not tell that service."""
    found = repo.records_handling(conn, [int(i) for i in record_ids if i is not None])
    if not any(r.handling is HandlingCode.H2 for r in found.values()):
        return set()
    granted = repo.granted_to(conn, agency)
    return {i for i, r in found.items() if r.handling is HandlingCode.H2
            and r.agency != agency and i not in granted}


def part_withheld(part: dict[str, Any], withheld: set[int]) -> bool:
    """Whether a risk signal (an assessment part) rests on a withheld record."""
    return part.get("record") in withheld or part.get("source_record") in withheld
