"""`emco retention`: apply the retention rules, list and decide the reviews
(docs/retention.md).

    emco retention run [--today 2026-01-31] [--dry-run] [--json]
    emco retention reviews [--agency DGSI] [--json]
    emco retention decide REVIEW (--keep-until 2031-01-31 | --purge) [--agency DGSI]

`run` acts as the staff's administrator, and has the staff's operator re-resolve and
tell the stages that depend on records; `reviews` and `decide` act as the liaison officer
of `--agency`, or as the staff's operator (every service) without it.
"""

from datetime import date
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from emco import retention
from emco.access.gate import Access
from emco.cli_common import liaison, print_json, staff, store
from emco.errors import BadInput
from emco.model.enums import Protection, Role
from emco.resolve.service import Thresholds
from emco.settings import get_settings
from emco.store.db import Database

retention_app = typer.Typer(help="Retention: purge records past their date, review "
                                 "those the law asks to review, purge old audit rows.",
                            no_args_is_help=True)
out = Console(soft_wrap=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
AgencyOpt = Annotated[str | None, typer.Option("--agency", help="Act as this service's "
                                               "liaison officer (default: the staff).")]


def _day(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"--{field}: not a date (2026-01-31): {value!r}",
                       field=field.replace("-", "_")) from None


def _reviewer(db: Database, agency: str | None) -> Access:
    return liaison(db, agency) if agency else staff(db, Role.OPERATOR, Protection.DR)


@retention_app.command("run")
def run_cmd(today: Annotated[str | None, typer.Option(help="Apply the rules as of this "
                                                      "date (default: today, UTC).")] = None,
            dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be "
                                                  "done; change nothing.")] = False,
            as_json: JsonFlag = False) -> None:
    """Purge the records past their date (or put them up for review), then the audit
    rows past their keeping period."""
    settings = get_settings()
    db = store()
    summary = retention.run(staff(db, Role.ADMIN, Protection.DR),
                            retention.Rules.of(settings), today=_day(today, "today"),
                            dry_run=dry_run,
                            follow=retention.FollowUp(staff(db), Thresholds.of(settings)))
    if as_json:
        print_json(summary.to_dict())
        return
    verb = "would be" if dry_run else "were"
    out.print(f"As of {summary.today}: {summary.purged:,} records {verb} purged, "
              f"{summary.reviews_created:,} put up for review; {summary.audit_rows_purged:,} "
              f"audit rows {verb} purged ({summary.seconds:.1f} s).", highlight=False)


@retention_app.command("reviews")
def reviews_cmd(agency: AgencyOpt = None, as_json: JsonFlag = False) -> None:
    """The due reviews: records past their date that their service must keep or purge."""
    found = retention.reviews(_reviewer(store(), agency))
    if as_json:
        print_json([r.__dict__ for r in found])
        return
    table = Table("review", "record", "service", "source id", "kind", "retained until",
                  "due on")
    for r in found:
        table.add_row(str(r.id), str(r.record_id), r.agency, r.source_id, r.schema,
                      str(r.retain_until), str(r.due_on))
    out.print(table)
    out.print(f"{len(found)} due reviews.")


@retention_app.command("decide")
def decide_cmd(review: Annotated[int, typer.Argument(help="The review's number.")],
               keep_until: Annotated[str | None, typer.Option(help="Keep the record until "
                                                              "this date.")] = None,
               purge: Annotated[bool, typer.Option("--purge", help="Purge the record "
                                                   "now.")] = False,
               agency: AgencyOpt = None) -> None:
    """Decide a due review: keep the record until a date, or purge it now."""
    settings = get_settings()
    db = store()
    found = retention.decide(_reviewer(db, agency), review,
                             keep_until=_day(keep_until, "keep-until"), purge=purge,
                             follow=retention.FollowUp(staff(db), Thresholds.of(settings)))
    what = "purged" if purge else f"kept until {keep_until}"
    out.print(f"Review {review}: record {found.record_id} ({found.agency}:{found.source_id}) "
              f"{what}.", highlight=False)
