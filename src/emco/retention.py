"""Retention: records past their date are purged, or put up for review where the law asks
for one; audit rows past their keeping period are purged, the chain anchored at the last
row removed (docs/retention.md).

- `run`: every record whose `retain_until` is past is purged with everything derived from
  it, in one transaction per batch, one audit row per record (never its content); or, for
  the services of `EMCO_RETENTION_REVIEW_AGENCIES`, gets a due review instead. A record
  under a due review is left alone. Then the audit rows older than
  `EMCO_AUDIT_RETENTION_YEARS` are purged. The stages that work on entities are told, as
  after a resolution run (`emco.resolve.service.after_removal`).
- `reviews`, `decide`: the owning service's liaison, or the staff, keeps the record until
  a new date or has it purged.
"""

import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from typing import Any

# The stages that follow entities register their hooks when imported (ON_CHANGE).
import emco.deconflict
import emco.deconflict.operations
import emco.network.networks
import emco.risk.assess  # noqa: F401 (all four)
from emco.access import audit
from emco.access.audit import AuditEvent
from emco.access.gate import Access, Passage
from emco.errors import BadInput, Conflict, NotFound
from emco.i18n import N_
from emco.model.enums import AuditAction, Permission, Protection, Role
from emco.model.types import Principal
from emco.resolve.service import Thresholds, after_removal
from emco.settings import Settings
from emco.store import agencies
from emco.store import audit as audit_store
from emco.store import retention as repo
from emco.store.retention import Expired, Review

BATCH = 1000  # records purged per transaction


@dataclass(frozen=True)
class Rules:
    """Whose records are reviewed rather than purged, and how long audit rows are kept."""

    review_agencies: frozenset[str]
    audit_years: int

    @classmethod
    def of(cls, settings: Settings) -> "Rules":
        return cls(settings.review_agencies, settings.audit_retention_years)


@dataclass(frozen=True)
class FollowUp:
    """Who re-resolves the entities a purge touched (the staff's operator), and with which
    thresholds; the stages that depend on entities are then told."""

    access: Access
    thresholds: Thresholds


def follow_up(access: Access, thresholds: Thresholds) -> FollowUp:
    """The follow-up of a run started over the API by `access` (an administrator): the
    staff's operator, as the command has it, named after who started the run
    (`retention:USERNAME` in the audit log)."""
    with access.db.read() as conn:
        codes = sorted(agencies.staff_codes(conn))
    operator = Principal(username=f"retention:{access.principal.username}"[:100],
                         agency=codes[0] if codes else access.principal.agency,
                         roles=frozenset({Role.OPERATOR}), clearance=Protection.DR)
    return FollowUp(Access(access.db, operator), thresholds)


@dataclass
class RetentionSummary:
    today: date
    dry_run: bool
    purged: int = 0
    reviews_created: int = 0
    audit_rows_purged: int = 0
    audit_through_seq: int | None = None
    entities_changed: int = 0
    seconds: float = 0.0
    purged_records: list[str] = field(default_factory=list)  # AGENCY:SOURCE_ID, first 100

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "today": self.today.isoformat()}


def run(access: Access, rules: Rules, *, today: date | None = None, dry_run: bool = False,
        follow: FollowUp | None = None, batch: int = BATCH) -> RetentionSummary:
    """Apply the retention rules as of `today`. `follow` re-resolves and tells the stages
    that depend on records; without it they catch up at their next run.
    A dry run writes nothing but its own audit row, and says what a run would do."""
    today = today or datetime.now(UTC).date()
    summary = RetentionSummary(today, dry_run)
    started = time.perf_counter()
    event = AuditEvent(AuditAction.RETENTION_RUN, query={"today": today.isoformat(),
                                                          "dry_run": dry_run})
    access.check(Permission.RETENTION_RUN, event)
    entities: set[str] = set()
    after = 0
    while True:
        with access.db.read() as conn:  # nothing held while there is nothing to do
            found = repo.expired(conn, today, after, batch)
        if not found:
            break
        first, after = found[0].id - 1, found[-1].id
        if dry_run:
            _count(rules, found, summary)
            continue
        with access.writing(Permission.RETENTION_RUN, _batch_event(today)) as p:
            again = [r for r in repo.expired(p.conn, today, first, batch) if r.id <= after]
            entities |= _apply(p, access, rules, again, today, summary)
    _purge_audit(access, rules, today, dry_run, summary)
    if entities and follow is not None and not dry_run:
        changed = after_removal(follow.access, follow.thresholds, entities)
        summary.entities_changed = len(entities) + changed.changed
    summary.seconds = round(time.perf_counter() - started, 3)
    event.result_count = summary.purged
    event.detail = json.dumps({k: v for k, v in summary.to_dict().items()
                               if k not in ("purged_records", "seconds")})
    access.record(event)
    return summary


def _batch_event(today: date) -> AuditEvent:
    return AuditEvent(AuditAction.RETENTION_RUN, query={"today": today.isoformat(),
                                                         "batch": True})


def _count(rules: Rules, found: list[Expired], summary: RetentionSummary
           ) -> tuple[list[Expired], list[Expired]]:
    """Split a batch into the records to review and those to purge, and count them."""
    review = [r for r in found if r.agency in rules.review_agencies and not r.purge_decided]
    doomed = [r for r in found if r not in review]
    summary.reviews_created += len(review)
    summary.purged += len(doomed)
    room = max(0, 100 - len(summary.purged_records))
    summary.purged_records.extend(f"{r.agency}:{r.source_id}" for r in doomed[:room])
    return review, doomed


def _apply(p: Passage, access: Access, rules: Rules, found: list[Expired], today: date,
           summary: RetentionSummary) -> set[str]:
    """One batch: reviews created, records purged, one audit row each; the entities the
    purge touches."""
    review, doomed = _count(rules, found, summary)
    now = datetime.now(UTC)
    p.event.result_count = len(doomed)
    p.event.detail = f"{len(doomed)} purged, {len(review)} put up for review"
    repo.add_reviews(p.conn, [r.id for r in review], today, now)
    for r in review:
        audit.append(p.conn, access.principal, AuditEvent(
            AuditAction.RETENTION_REVIEW_DUE, objects=[f"record:{r.id}"],
            detail=_identity(r.agency, r.source_id, r.retain_until)))
    return _purge(p, access, doomed, now)


def _purge(p: Passage, access: Access, doomed: Sequence[Expired | Review],
           now: datetime) -> set[str]:
    ids = [r.id if isinstance(r, Expired) else r.record_id for r in doomed]
    entities = repo.entities_of(p.conn, ids)
    entities |= repo.purge(p.conn, ids, now)
    for r, record_id in zip(doomed, ids, strict=True):
        audit.append(p.conn, access.principal, AuditEvent(
            AuditAction.RETENTION_PURGE, objects=[f"record:{record_id}"],
            detail=_identity(r.agency, r.source_id, r.retain_until)))
    return entities


def _identity(agency: str, source_id: str, retain_until: date) -> str:
    """What an audit row says of a record purged or reviewed: never its content."""
    return json.dumps({"agency": agency, "source_id": source_id,
                       "retain_until": retain_until.isoformat()}, ensure_ascii=False)


def _purge_audit(access: Access, rules: Rules, today: date, dry_run: bool,
                 summary: RetentionSummary) -> None:
    """Remove the audit rows older than the keeping period, from the start of the log
    on, and anchor the chain at the last one removed (in the same transaction as the
    audit row that records it)."""
    cutoff = datetime.combine(_years_before(today, rules.audit_years), datetime.min.time(),
                              UTC)
    with access.db.read() as conn:
        last = audit_store.last_before(conn, cutoff)
        start, _ = audit_store.anchor(conn)
    if last is None or last[0] <= start:
        return
    summary.audit_through_seq, summary.audit_rows_purged = last[0], last[0] - start
    if dry_run:  # no purge row: `verify` reads the last one as the anchor's witness
        return
    event = AuditEvent(AuditAction.AUDIT_PURGE, query={"before": cutoff.isoformat()})
    with access.writing(Permission.RETENTION_RUN, event) as p:
        last = audit_store.last_before(p.conn, cutoff)  # again, under the write lock
        if last is None:
            return
        seq, hash_ = last
        rows = audit_store.purge_through(p.conn, seq, hash_, access.principal.username,
                                         datetime.now(UTC))
        summary.audit_rows_purged, summary.audit_through_seq = rows, seq
        p.event.result_count = rows
        p.event.detail = json.dumps({"through_seq": seq, "through_hash": hash_,
                                     "rows": rows})


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# --- reviews ---------------------------------------------------------------------------------

def _sees(access: Access) -> frozenset[str] | None:
    """The services whose reviews the principal handles: every one for the staff, else
    its own."""
    with access.db.read() as conn:
        staff = agencies.staff_codes(conn)
    return None if access.principal.agency in staff else frozenset({access.principal.agency})


def reviews(access: Access, due_only: bool = True) -> list[Review]:
    """The due reviews of the principal's service (the staff: of every service)."""
    sees = _sees(access)
    event = AuditEvent(AuditAction.RETENTION_REVIEW_READ, query={"due_only": due_only})
    with access.reading(Permission.RETENTION_REVIEW, event) as p:
        found = repo.reviews(p.conn, sees, due_only)
        p.event.result_count = len(found)
    return found


def decide(access: Access, review_id: int, *, keep_until: date | None = None,
           purge: bool = False, today: date | None = None, follow: FollowUp | None = None
           ) -> Review:
    """Keep the record of a due review until `keep_until`, or `purge` it now (with what
    derives from it, audited as by `run`). Returns the review as it was."""
    today = today or datetime.now(UTC).date()
    if purge == (keep_until is not None):
        raise BadInput(N_("decision: give either a date to keep the record until, or "
                          "purge"), field="decision")
    if keep_until is not None and keep_until <= today:
        raise BadInput(N_("keep_until: must be after %(today)s", today=today.isoformat()),
                       field="keep_until")
    sees = _sees(access)
    event = AuditEvent(AuditAction.RETENTION_DECIDE, objects=[f"retention_review:{review_id}"],
                       detail="purge" if purge else f"keep until {keep_until}")
    entities: set[str] = set()
    with access.writing(Permission.RETENTION_REVIEW, event) as p:
        found = repo.review(p.conn, review_id)
        if found is None or (sees is not None and found.agency not in sees):
            raise NotFound(N_("no retention review %(id)s", id=review_id), field="review")
        if found.decision is not None:
            raise Conflict(N_("retention review %(id)s was already decided (%(decision)s)",
                              id=review_id, decision=found.decision), field="review")
        p.event.objects.append(f"record:{found.record_id}")
        now = datetime.now(UTC)
        repo.decide(p.conn, review_id, "purge" if purge else "keep", keep_until,
                    access.principal.username, now)
        if purge:
            entities = _purge(p, access, [found], now)
    if entities and follow is not None:
        after_removal(follow.access, follow.thresholds, entities)
    return found
