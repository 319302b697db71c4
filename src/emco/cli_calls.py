"""`emco ingest-calls`: a service's call detail records, aggregated into contact edges.
The command calls the same stage function as any other entry point
(`emco.network.calls.ingest_calls`)."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from emco.access import auth
from emco.access.gate import Access
from emco.errors import BadInput
from emco.model.enums import HandlingCode, Protection, Role
from emco.network.calls import CallsSummary, ingest_calls
from emco.settings import get_settings
from emco.store.db import Database
from emco.store.migrate import require_current

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)


def parse_columns(text: str | None) -> dict[str, str] | None:
    """`caller=appelant,callee=appele,...` as a mapping of roles to header names."""
    if not text:
        return None
    mapping: dict[str, str] = {}
    for part in text.split(","):
        role, sep, name = part.partition("=")
        if not sep or not role.strip() or not name.strip():
            raise BadInput(f"--columns: {part.strip()!r} is not ROLE=NAME; write for "
                           "instance caller=appelant,callee=appele,start=debut,duration=duree",
                           field="columns")
        mapping[role.strip().lower()] = name.strip()
    return mapping


def ingest_calls_cmd(
    path: Annotated[Path, typer.Argument(help="CSV of call records: caller, callee, start, "
                                              "duration[, cell], with a header line.")],
    agency: Annotated[str, typer.Option(help="Code of the service the file comes from.")],
    columns: Annotated[str | None, typer.Option(
        help="The file's header names when they differ: caller=NAME,callee=NAME,"
             "start=NAME,duration=NAME[,cell=NAME].")] = None,
    handling: Annotated[HandlingCode, typer.Option(help="Handling code of the edges.")] =
    HandlingCode.H0,
    condition: Annotated[str | None, typer.Option(help="The owner's condition (H3).")] = None,
    protection: Annotated[Protection, typer.Option(help="Protection mention of the edges.")] =
    Protection.NP,
    time_zone: Annotated[str, typer.Option(help="Time zone of times written without an "
                                                "offset.")] = "Europe/Paris",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Load call detail records as contact edges per caller, callee and month. Exit code 0:
    every line loaded; 3: some lines rejected; 2: the file refused (nothing written)."""
    settings = get_settings()
    db = Database(settings.database_url)
    require_current(db)
    code = agency.strip().upper()
    # The command line acts as the service's liaison officer, as `emco ingest` does.
    access = Access(db, auth.cli_principal(code, frozenset({Role.LIAISON}), Protection.DR))
    options: dict[str, Any] = {
        "columns": parse_columns(columns), "handling": handling, "condition": condition,
        "protection": protection, "region": settings.default_region,
        "time_zone": time_zone, "quarantine_dir": settings.quarantine_dir}
    if as_json:
        summary = ingest_calls(access, path, code, **options)
        out.file.write(json.dumps(summary.to_dict(), ensure_ascii=False) + "\n")
        raise typer.Exit(summary.exit_code)
    bar_columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn())
    with Progress(*bar_columns, console=err, transient=True) as bar:
        task = bar.add_task(path.name, total=None)

        def progress(phase: str, done: int | None, total: int | None) -> None:
            bar.update(task, description=f"{path.name}: {phase}", completed=done or 0,
                       total=total)

        summary = ingest_calls(access, path, code, progress=progress, **options)
    print_calls_summary(summary)
    raise typer.Exit(summary.exit_code)


def print_calls_summary(s: CallsSummary) -> None:
    out.print(f"Batch {s.batch}: {s.rows_read:,} lines read, {s.rows_loaded:,} loaded, "
              f"{s.rejected_count:,} rejected; {s.edges:,} edges between {s.numbers:,} "
              f"numbers, in {s.seconds:.1f} s.", highlight=False)
    for r in s.rejected:
        where = f"line {r.line}" + (f", {r.column}" if r.column else "")
        value = f" ({r.value!r})" if r.value is not None and r.column else ""
        out.print(f"  {where}: {r.reason}{value}", highlight=False, markup=False)
    if s.rejected_count > len(s.rejected):
        out.print(f"  … and {s.rejected_count - len(s.rejected):,} more.", highlight=False)
    if s.quarantine:
        out.print(f"Rejected lines are in {s.quarantine}", highlight=False)
    if s.rows_loaded == 0:
        err.print("Nothing usable in the file; nothing was written.")
