"""The audit log for auditors: a search (one page, newest first) and a streamed export of
the same selection. Routes parse and call `emco.access.auditing`, which checks
`audit:log:read` and writes the reader's own audit row."""

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from emco.access import auditing
from emco.access.auditing import AuditPage
from emco.api.routes import ERRORS
from emco.api.schemas import NO_NUL
from emco.store.audit import AuditFilter
from emco.web.deps import AccessDep

router = APIRouter(prefix="/api/v1", responses=ERRORS, tags=["audit"])


def _text(description: str, length: int = 200) -> Any:
    return Query(max_length=length, pattern=NO_NUL, description=description)


User = Annotated[str | None, _text("Who acted (user name).", 100)]
Agency = Annotated[str | None, _text("The actor's service code.", 16)]
Action = Annotated[str | None, _text("An action such as case:record:read, or a prefix "
                                     "ending in a colon such as case:.", 64)]
Object = Annotated[str | None, _text("An object reference, such as record:12 or "
                                     "entity:E00000001.")]
OutcomeQ = Annotated[str | None, _text("ok, denied or failed.", 16)]
Since = Annotated[str | None, Query(alias="from", max_length=40, pattern=NO_NUL,
                                    description="From this date (2024-05-01) or time "
                                    "(UTC unless an offset is given), included.")]
Until = Annotated[str | None, Query(alias="to", max_length=40, pattern=NO_NUL,
                                    description="To this date or time, included.")]
Limit = Annotated[int, Query(ge=1, le=auditing.MAX_LIMIT, description="Rows per page.")]
Cursor = Annotated[int | None, Query(ge=1, le=auditing.MAX_SEQ,
                                     description="Rows older than this row number: the "
                                     "previous page's `next_cursor`.")]
Format = Annotated[str, Query(pattern="^(csv|jsonl)$", description="csv or jsonl.")]


class AuditRowOut(BaseModel):
    """One row of the log, every column: enough to recompute its hash (docs/audit.md)."""

    seq: int
    at: datetime
    username: str
    agency_code: str
    roles: str = Field(description="The actor's roles, comma-separated.")
    action: str
    objects: list[str] = Field(description="References such as record:12.")
    motif: str | None
    case_ref: str | None
    query_hash: str | None = Field(description="SHA-256 of what was asked.")
    result_count: int | None
    outcome: str
    detail: str | None
    prev_hash: str
    hash: str


class AuditPageOut(BaseModel):
    rows: list[AuditRowOut]
    limit: int
    next_cursor: int | None = Field(description="Pass as `cursor` for older rows; null "
                                                "on the last page.")

    @classmethod
    def of(cls, page: AuditPage) -> "AuditPageOut":
        return cls(rows=[AuditRowOut(**r) for r in page.rows], limit=page.limit,
                   next_cursor=page.next_cursor)


def selection(user: str | None, agency: str | None, action: str | None, obj: str | None,
              outcome: str | None, since: str | None, until: str | None) -> AuditFilter:
    return auditing.parse_filter(user=user, agency=agency, action=action, obj=obj,
                                 outcome=outcome, since=since, until=until)


@router.get("/audit")
def search_log(access: AccessDep, user: User = None, agency: Agency = None,
               action: Action = None, object: Object = None, outcome: OutcomeQ = None,
               since: Since = None, until: Until = None,
               limit: Limit = auditing.DEFAULT_LIMIT, cursor: Cursor = None) -> AuditPageOut:
    """Rows of the audit log, newest first (auditors). The search is itself audited."""
    chosen = selection(user, agency, action, object, outcome, since, until)
    return AuditPageOut.of(auditing.search(access, chosen, limit, cursor))


MEDIA = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


@router.get("/audit/export", response_class=StreamingResponse,
            responses={200: {"content": {m.split(";")[0]: {} for m in MEDIA.values()},
                             "description": "The selection, in sequence order."}})
def export_log(access: AccessDep, format: Format = "jsonl", user: User = None,
               agency: Agency = None, action: Action = None, object: Object = None,
               outcome: OutcomeQ = None, since: Since = None,
               until: Until = None) -> StreamingResponse:
    """Every row of the selection in sequence order, streamed as CSV or JSON lines, every
    column included (auditors). The export is itself audited, with its row count."""
    chosen = selection(user, agency, action, object, outcome, since, until)
    lines = auditing.export(access, chosen, format)
    name = f"emco-audit-{datetime.now(UTC):%Y%m%dT%H%M%SZ}.{format}"
    return StreamingResponse(lines, media_type=MEDIA[format],
                             headers={"Content-Disposition": f'attachment; filename="{name}"'})
