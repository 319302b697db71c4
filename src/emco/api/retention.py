"""The retention API: `POST /api/v1/retention/run`, the twin of `emco retention run`
(docs/retention.md). The route parses, calls the stage (`emco.retention.run`) and returns
the summary the command prints with `--json`; the stage checks the permission
(`admin:retention:run`) and audits the run.
"""

from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Body
from pydantic import BaseModel, ConfigDict, Field

from emco import retention
from emco.api.routes import ERRORS
from emco.errors import BadInput
from emco.i18n import N_
from emco.web.deps import AccessDep, SettingsDep, ThresholdsDep

router = APIRouter(prefix="/api/v1", responses=ERRORS, tags=["retention"])


class RetentionRunIn(BaseModel):
    """What a run is asked; an empty body (or none) is a dry run as of today."""

    model_config = ConfigDict(extra="forbid")  # a misspelt `dry_run` is refused, not ignored

    dry_run: bool = Field(
        default=True, strict=True,
        description="Count what a run would do and change nothing (the default: a purge "
                    "cannot be undone). `false` purges.")
    as_of: date | None = Field(
        default=None,
        description="Apply the rules as of this date (default: today, UTC), as the "
                    "command's `--today`. A run that purges refuses a date after today.")


class RetentionRunOut(BaseModel):
    today: date = Field(description="The date the rules were applied as of.")
    dry_run: bool
    purged: int = Field(description="Records purged (or that would be, in a dry run).")
    reviews_created: int = Field(description="Records put up for review by their service.")
    audit_rows_purged: int
    audit_through_seq: int | None = Field(description="The last audit row purged, if any.")
    entities_changed: int = Field(description="Entities recomputed after the purge.")
    seconds: float
    purged_records: list[str] = Field(description="AGENCY:SOURCE_ID of the first 100.")


@router.post("/retention/run")
def run_retention(access: AccessDep, settings: SettingsDep, thresholds: ThresholdsDep,
                  body: Annotated[RetentionRunIn | None, Body()] = None) -> RetentionRunOut:
    """Apply the retention rules now: purge the records past their date (or put them up
    for review, for the services whose records are reviewed), then the audit rows past
    their keeping period (an administrator: `admin:retention:run`). A dry run unless
    `dry_run` is false. The answer comes when the run is over; a large backlog is better
    left to the daily `emco retention run`."""
    asked = body or RetentionRunIn()
    if not asked.dry_run and asked.as_of and asked.as_of > datetime.now(UTC).date():
        # records would go before their date: a preview only
        raise BadInput(N_("as_of: a run that purges applies the rules as of today at the "
                          "latest; ask a dry run for a later date"), field="as_of")
    summary = retention.run(access, retention.Rules.of(settings), today=asked.as_of,
                            dry_run=asked.dry_run,
                            follow=retention.follow_up(access, thresholds))
    return RetentionRunOut(**summary.to_dict())
