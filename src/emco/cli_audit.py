"""`emco audit`: verify the chain, search and export the log (docs/audit.md).

    emco audit verify [--json]
    emco audit search [--user U] [--agency A] [--action case:] [--object record:12]
                      [--outcome denied] [--from 2024-05-01] [--to 2024-05-31]
                      [--limit 50] [--cursor SEQ] [--json]
    emco audit export --format csv|jsonl [--out FILE] [same filters]

Commands run as an auditor of the staff; each search and export is itself audited.
"""

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from emco.access import auditing, auditlog
from emco.access.gate import Access
from emco.cli_common import print_json, staff, store
from emco.errors import BadInput
from emco.model.enums import Protection, Role
from emco.store.audit import AuditFilter

audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
User = Annotated[str | None, typer.Option("--user", help="Who acted (user name).")]
Agency = Annotated[str | None, typer.Option("--agency", help="The actor's service code.")]
Action = Annotated[str | None, typer.Option("--action", help="An action such as "
                                            "case:record:read, or a prefix such as case:.")]
Object = Annotated[str | None, typer.Option("--object", help="An object reference such as "
                                            "record:12 or entity:E00000001.")]
OutcomeOpt = Annotated[str | None, typer.Option("--outcome", help="ok, denied or failed.")]
Since = Annotated[str | None, typer.Option("--from", help="From this date or time (UTC "
                                           "unless an offset is given), included.")]
Until = Annotated[str | None, typer.Option("--to", help="To this date or time, included.")]


def _auditor() -> Access:
    return staff(store(), Role.AUDITOR, Protection.NP)


def _filter(user: str | None, agency: str | None, action: str | None, obj: str | None,
            outcome: str | None, since: str | None, until: str | None) -> AuditFilter:
    return auditing.parse_filter(user=user, agency=agency, action=action, obj=obj,
                                 outcome=outcome, since=since, until=until)


@audit_app.command("verify")
def audit_verify(as_json: JsonFlag = False) -> None:
    """Check the hash chain of the audit log (from the last purge on); exit 1 at the
    first broken row."""
    result = auditlog.verify(_auditor())
    if as_json:
        print_json({"ok": result.ok, "checked": result.checked,
                    "first_bad_row": result.first_bad, "problem": result.problem})
    elif result.ok:
        out.print(f"Audit log intact: {result.checked:,} rows checked.")
    else:
        err.print(f"Audit log BROKEN: {result.problem}.")
    raise typer.Exit(0 if result.ok else 1)


@audit_app.command("search")
def audit_search(user: User = None, agency: Agency = None, action: Action = None,
                 obj: Object = None, outcome: OutcomeOpt = None, since: Since = None,
                 until: Until = None,
                 limit: Annotated[int, typer.Option(help="Rows per page, 1 to 500.")] =
                 auditing.DEFAULT_LIMIT,
                 cursor: Annotated[int | None, typer.Option(help="Rows older than this "
                                                            "row number (the previous "
                                                            "page's next cursor).")] = None,
                 as_json: JsonFlag = False) -> None:
    """Rows of the log, newest first, one page at a time."""
    selection = _filter(user, agency, action, obj, outcome, since, until)
    page = auditing.search(_auditor(), selection, limit, cursor)
    if as_json:
        print_json({"rows": page.rows, "limit": page.limit, "next_cursor": page.next_cursor})
        return
    table = Table("seq", "at", "user", "service", "action", "objects", "outcome", "count")
    for r in page.rows:
        table.add_row(str(r["seq"]), r["at"].strftime("%Y-%m-%d %H:%M:%S"), r["username"],
                      r["agency_code"], r["action"], ", ".join(r["objects"]), r["outcome"],
                      "" if r["result_count"] is None else str(r["result_count"]))
    out.print(table)
    if page.next_cursor is not None:
        out.print(f"More rows: --cursor {page.next_cursor}", highlight=False)


@audit_app.command("export")
def audit_export(format: Annotated[str, typer.Option(help="csv or jsonl.")] = "jsonl",
                 output: Annotated[Path | None, typer.Option("--out", help="File to write "
                                                             "(whole or not at all); "
                                                             "standard output when not "
                                                             "given.")] = None,
                 user: User = None, agency: Agency = None, action: Action = None,
                 obj: Object = None, outcome: OutcomeOpt = None, since: Since = None,
                 until: Until = None) -> None:
    """Every row of the selection in sequence order, every column (seq, prev_hash and
    hash included) so that the chain can be checked outside EMCO."""
    selection = _filter(user, agency, action, obj, outcome, since, until)
    if output is not None and not output.parent.is_dir():
        raise BadInput(f"--out: no such folder {output.parent}", field="out")
    lines = auditing.export(_auditor(), selection, format)
    if output is None:
        for line in lines:
            sys.stdout.write(line)
        return
    partial = output.with_name(output.name + ".part")
    try:
        with partial.open("w", encoding="utf-8", newline="") as fp:
            for line in lines:
                fp.write(line)
        os.replace(partial, output)  # the file appears whole, or not at all
    finally:
        partial.unlink(missing_ok=True)
    err.print(f"Exported to {output}.", highlight=False)
