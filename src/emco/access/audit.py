"""The audit log: one append-only row per action, each chained to the previous by SHA-256.

A row's hash covers its content and the previous row's hash, so altering, deleting or
reordering any row breaks the chain from that row on; `verify` names the first break.
"""

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection

from emco.model.enums import AuditAction, Outcome
from emco.model.types import Principal
from emco.store import audit as store
from emco.store.db import utc

HASHED_FIELDS = ("seq", "at", "username", "agency_code", "roles", "action", "objects", "motif",
                 "case_ref", "query_hash", "result_count", "outcome", "detail")


@dataclass
class AuditEvent:
    action: AuditAction
    objects: list[str] = field(default_factory=list)
    motif: str | None = None
    case_ref: str | None = None
    query: dict[str, Any] | None = None
    result_count: int | None = None
    outcome: Outcome = Outcome.OK
    detail: str | None = None


def query_hash(query: dict[str, Any] | None) -> str | None:
    """SHA-256 of the query parameters, so the log proves what was asked without holding
    search terms in clear."""
    if query is None:
        return None
    canonical = json.dumps(query, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def canonical_time(value: datetime) -> str:
    """A time as the hash covers it (and exports give it): UTC, microseconds, "Z"."""
    return utc(value).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_hash(prev_hash: str, row: dict[str, Any]) -> str:
    content = {k: row[k] for k in HASHED_FIELDS}
    content["at"] = canonical_time(row["at"])
    payload = prev_hash + "\n" + json.dumps(content, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def append(conn: Connection, principal: Principal, event: AuditEvent) -> int:
    """Write one row at the end of the chain, inside the caller's write transaction."""
    seq, prev = store.lock_head(conn)
    row: dict[str, Any] = {
        "seq": seq + 1,
        "at": datetime.now(UTC),
        "username": principal.username,
        "agency_code": principal.agency,
        "roles": ",".join(sorted(principal.roles)),
        "action": event.action.value,
        "objects": json.dumps(event.objects, ensure_ascii=False),
        "motif": event.motif,
        "case_ref": event.case_ref,
        "query_hash": query_hash(event.query),
        "result_count": event.result_count,
        "outcome": event.outcome.value,
        "detail": event.detail,
    }
    row["prev_hash"] = prev
    row["hash"] = row_hash(prev, row)
    store.append(conn, row)
    return int(row["seq"])


@dataclass
class Verification:
    checked: int
    first_bad: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.first_bad is None


def verify_rows(rows: Iterable[dict[str, Any]], head: tuple[int, str],
                start: tuple[int, str] = (0, store.GENESIS)) -> Verification:
    """Walk the chain from `start` (the last row purged and its hash, or the genesis);
    stop at the first row that breaks it."""
    first, prev = start
    expected_seq, checked = first + 1, 0
    for row in rows:
        seq = int(row["seq"])
        if seq != expected_seq:
            return Verification(checked, expected_seq,
                                f"row {expected_seq} is missing (the log jumps from row "
                                f"{expected_seq - 1} to row {seq})")
        if row["prev_hash"] != prev:
            return Verification(checked, seq, f"row {seq} does not follow row {seq - 1} "
                                "(rows deleted or reordered)")
        if row_hash(prev, row) != row["hash"]:
            return Verification(checked, seq, f"row {seq} was altered (its content does "
                                "not match its hash)")
        prev = row["hash"]
        expected_seq += 1
        checked += 1
    last_seq, last_hash = head
    reached = first + checked
    if reached > last_seq:  # chained rows past the head were written outside the log
        return Verification(last_seq - first, last_seq + 1,
                            f"row {last_seq + 1} lies past the head of the log (row "
                            f"{last_seq}): rows were added outside the log")
    if reached < last_seq:
        return Verification(checked, reached + 1,
                            f"the log ends at row {reached} but its head records row "
                            f"{last_seq}: rows were deleted from the end")
    if checked and last_hash != prev:
        return Verification(checked - 1, reached,
                            f"row {reached} does not match the head of the log (the last "
                            "row was replaced)")
    return Verification(checked)


def verify(conn: Connection) -> Verification:
    """Check the chain from the anchor of the last purge (`emco retention run`) on; the
    anchor itself must be named by the chained row that recorded the purge."""
    start = store.anchor(conn)
    result = verify_rows(store.rows(conn), store.head(conn), start)
    if result.ok and start[0] and not _purge_recorded(conn, start):
        return Verification(result.checked, start[0] + 1,
                            f"the log starts after row {start[0]}, but no row of the log "
                            "records that purge (the purge record was altered)")
    return result


def _purge_recorded(conn: Connection, start: tuple[int, str]) -> bool:
    """Whether a chained row records the purge that left the log starting at `start`."""
    for row in store.search(conn, store.AuditFilter(action=AuditAction.AUDIT_PURGE.value),
                            limit=100, before=None):
        try:
            detail = json.loads(row["detail"] or "{}")
        except ValueError:
            continue
        if detail.get("through_seq") == start[0] and detail.get("through_hash") == start[1]:
            return True
    return False
