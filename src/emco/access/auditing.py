"""The audit log for auditors: a search and an export of a selection, each audited.

The same functions serve `emco audit search|export`, `GET /api/v1/audit[/export]` and the
`/audit` page. Filters arrive as text (a query string, command-line options) and are
checked here, each refusal naming its field; what is asked is written in the searcher's
own audit row as a query hash, with the number of rows returned.

An export gives every column, `seq`, `prev_hash` and `hash` included, and `at` in the
exact form the hash covers, so that a party outside EMCO can recompute the chain (see
docs/audit.md); rows come in sequence order, a search's newest first.
"""

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from emco.access.audit import HASHED_FIELDS, AuditEvent, canonical_time
from emco.access.gate import Access
from emco.errors import BadInput
from emco.i18n import N_
from emco.model.enums import AuditAction, Outcome, Permission
from emco.store import audit as store
from emco.store.audit import AuditFilter
from emco.store.db import utc

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_SEQ = 2**62
FORMATS = ("csv", "jsonl")
EXPORT_FIELDS = (*HASHED_FIELDS, "prev_hash", "hash")
_OBJECT = re.compile(r"^[a-z][a-z_]*:[A-Za-z0-9_.:@|-]{1,180}$")
_NAME = re.compile(r"^[^\x00-\x1f]{1,100}$")


@dataclass(frozen=True)
class AuditPage:
    rows: list[dict[str, Any]]
    limit: int
    next_cursor: int | None  # pass as `cursor` for the next (older) page


def parse_filter(*, user: str | None = None, agency: str | None = None,
                 action: str | None = None, obj: str | None = None,
                 outcome: str | None = None, since: str | None = None,
                 until: str | None = None) -> AuditFilter:
    """A selection of the log from text; `BadInput` names the first bad field. Empty
    values mean no filter. `action` may be a prefix ending in ":" (`case:`); `since` and
    `until` are dates or ISO times (UTC unless an offset is given), both included."""
    user, agency, action, obj, outcome, since, until = (
        (v or "").strip() or None for v in (user, agency, action, obj, outcome, since, until))
    if user is not None and not _NAME.match(user):
        raise BadInput(N_("user: not a user name"), field="user")
    if agency is not None:
        agency = agency.upper()
        if not re.fullmatch(r"[A-Z0-9_-]{1,16}", agency):
            raise BadInput(N_("agency: not a service code"), field="agency")
    if action is not None:
        action = _action(action)
    if obj is not None and not _OBJECT.match(obj):
        raise BadInput(N_("object: expected a reference such as record:12 or "
                          "entity:E00000001"), field="object")
    if outcome is not None and outcome not in {o.value for o in Outcome}:
        raise BadInput(N_("outcome: expected one of %(values)s",
                          values=", ".join(o.value for o in Outcome)), field="outcome")
    start = _time(since, "from", end=False)
    end = _time(until, "to", end=True)
    if start is not None and end is not None and start >= end:
        raise BadInput(N_("from: must not be after to"), field="from")
    return AuditFilter(username=user, agency=agency, action=action, obj=obj,
                       outcome=outcome, since=start, until=end)


def _action(value: str) -> str:
    known = [a.value for a in AuditAction]
    prefix = value[:-1] if value.endswith("*") else value
    if prefix in known:
        return prefix
    if prefix.endswith(":") and any(a.startswith(prefix) for a in known):
        return prefix
    if any(a.startswith(prefix + ":") for a in known):  # "case" for "case:"
        return prefix + ":"
    raise BadInput(N_("action: unknown action %(value)s; give one such as "
                      "case:record:read, or a prefix such as case:", value=repr(value)),
                   field="action")


def _time(value: str | None, field: str, end: bool) -> datetime | None:
    """A bound in UTC; a date alone is its whole day (`to` then reaches its midnight).
    Returned as the exclusive upper bound when `end`."""
    if value is None:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            at = datetime.combine(day + timedelta(days=1) if end else day, time(), UTC)
            return at
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise BadInput(N_("%(field)s: not a date (2024-05-31) or a time "
                          "(2024-05-31T14:00:00Z): %(value)s", field=field,
                          value=repr(value[:40])), field=field) from None
    parsed = utc(parsed)  # a time without an offset is UTC
    return parsed + timedelta(microseconds=1) if end else parsed


def check_page(limit: int | None, cursor: int | None) -> tuple[int, int | None]:
    if limit is None:
        limit = DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise BadInput(N_("limit: must be between 1 and %(max)s", max=MAX_LIMIT),
                       field="limit")
    if cursor is not None and not 1 <= cursor <= MAX_SEQ:
        raise BadInput(N_("cursor: must be a row number of the log"), field="cursor")
    return limit, cursor


def _query(f: AuditFilter, **more: Any) -> dict[str, Any]:
    """What was asked, as the searcher's audit row hashes it."""
    return {k: v for k, v in {**asdict(f), **more}.items() if v is not None}


def search(access: Access, f: AuditFilter, limit: int | None = None,
           cursor: int | None = None) -> AuditPage:
    """One page of the selection, newest first, older than row `cursor` when given."""
    limit, cursor = check_page(limit, cursor)
    event = AuditEvent(AuditAction.AUDIT_READ, query=_query(f, limit=limit, cursor=cursor))
    with access.reading(Permission.AUDIT_READ, event) as p:
        rows = store.search(p.conn, f, limit + 1, cursor)
        p.event.result_count = min(len(rows), limit)
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage([shown(r) for r in rows], limit,
                     int(rows[-1]["seq"]) if more and rows else None)


def export(access: Access, f: AuditFilter, fmt: str) -> Iterator[str]:
    """The whole selection in sequence order, as lines of CSV (with a header) or JSON.
    The permission is checked now, before any line; the export's audit row, with the
    count, is written when the last line has been taken (or, if the reader stops
    early, with the count so far and the outcome `failed`)."""
    if fmt not in FORMATS:
        raise BadInput(N_("format: expected csv or jsonl"), field="format")
    event = AuditEvent(AuditAction.AUDIT_EXPORT, query=_query(f, format=fmt))
    access.check(Permission.AUDIT_READ, event)
    return _lines(access, f, fmt, event)


def _lines(access: Access, f: AuditFilter, fmt: str, event: AuditEvent) -> Iterator[str]:
    count = 0
    try:
        if fmt == "csv":
            yield _csv_line(EXPORT_FIELDS)
        with access.db.read() as conn:
            for row in store.rows(conn, f):
                out = exported(row)
                count += 1
                yield (_csv_line([_cell(out[k]) for k in EXPORT_FIELDS]) if fmt == "csv"
                       else json.dumps(out, ensure_ascii=False) + "\n")
    except GeneratorExit:
        event.result_count = count
        access.record(event, Outcome.FAILED, f"export stopped by the reader after {count} "
                      "rows")
        raise
    except Exception as exc:
        event.result_count = count
        access.record(event, Outcome.FAILED, type(exc).__name__)
        raise
    event.result_count = count
    access.record(event, Outcome.OK)


def exported(row: dict[str, Any]) -> dict[str, Any]:
    """A row as exported: every column, `at` as the hash covers it."""
    return {k: canonical_time(row[k]) if k == "at" else row[k] for k in EXPORT_FIELDS}


def shown(row: dict[str, Any]) -> dict[str, Any]:
    """A row as a search returns it: `objects` as a list, `at` aware."""
    out = exported(row)
    out["at"] = utc(row["at"])
    try:
        out["objects"] = json.loads(row["objects"])
    except ValueError:  # shown as stored: `verify` names the row
        out["objects"] = [row["objects"]]
    return out


def _cell(value: Any) -> Any:
    return "" if value is None else value


def _csv_line(values: Any) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()
