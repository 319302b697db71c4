"""`emco handling`, `emco export judicial` and `emco record`: handling codes enforced, and
looks at a person's data with their motif (docs/handling.md).

    emco handling request RECORD --kind disseminate --to DNPJ --motif "..." [--case-ref R]
    emco handling request RECORD --kind judicial --motif "..." --case-ref R
    emco handling decide ID --approve|--refuse [--note "..."] --as OFAST
    emco handling withdraw ID
    emco handling list [--as OFAST] [--json]
    emco export judicial ENTITY --case-ref R --motif M [--network] [--out FILE]
    emco record search QUERY --motif M --case-ref R [--json]
    emco record show ID [--motif M --case-ref R] [--json]

Commands run as the staff's operator, or with `--as AGENCY` as that service's liaison
officer (who decides for its own service's records).
"""

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from emco.access import handling, judicial, records
from emco.access.gate import Access
from emco.api.schemas import RecordDetail, SearchOut
from emco.cli_common import liaison, print_json, staff, store
from emco.settings import get_settings

handling_app = typer.Typer(help="Handling requests: pass an H2 record to another service, "
                                "use an H1 record before a court.", no_args_is_help=True)
export_app = typer.Typer(help="Exports for use outside the platform.", no_args_is_help=True)
record_app = typer.Typer(help="Search and open records (with a motif).",
                         no_args_is_help=True)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
AsAgency = Annotated[str | None, typer.Option(
    "--as", help="Act as this service's liaison officer (default: the staff's operator).")]
Motif = Annotated[str | None, typer.Option("--motif", help="Why (at most 500 characters).")]
CaseRef = Annotated[str | None, typer.Option("--case-ref", help="The case it serves.")]


def _who(agency: str | None) -> Access:
    db = store()
    return liaison(db, agency) if agency else staff(db)


def _print_request(d: dict[str, object]) -> None:
    out.print(f"Request {d['id']}: {d['kind']} record {d['record']} ({d['handling']}) of "
              f"{d['owner_agency']} for {d['for_agency']}: {d['status']}", highlight=False)
    if d.get("handling_condition"):
        out.print(f"H3 condition: {d['handling_condition']}", highlight=False)


@handling_app.command("request")
def request_cmd(record: Annotated[int, typer.Argument(help="The record's id in EMCO.")],
                kind: Annotated[str, typer.Option(help="disseminate or judicial.")],
                motif: Motif = None, case_ref: CaseRef = None,
                to: Annotated[str | None, typer.Option(
                    "--to", help="The service to pass it to (disseminate).")] = None,
                as_agency: AsAgency = None, as_json: JsonFlag = False) -> None:
    """Ask a record's owner for a use of it (granted at once when its code allows)."""
    row = handling.request(_who(as_agency), record, kind=kind, motif=motif,
                           case_ref=case_ref, for_agency=to)
    data = handling.request_dict(row)
    print_json(data) if as_json else _print_request(data)


@handling_app.command("decide")
def decide_cmd(request_id: Annotated[int, typer.Argument(help="The request's id.")],
               approve: Annotated[bool, typer.Option("--approve/--refuse")],
               as_agency: Annotated[str, typer.Option(
                   "--as", help="The owning service (its liaison officer decides).")],
               note: Annotated[str | None, typer.Option(help="Why.")] = None,
               as_json: JsonFlag = False) -> None:
    """Approve or refuse a pending request, for the service that owns the record."""
    data = handling.request_dict(handling.decide(_who(as_agency), request_id,
                                                 approve=approve, note=note))
    print_json(data) if as_json else _print_request(data)


@handling_app.command("withdraw")
def withdraw_cmd(request_id: Annotated[int, typer.Argument(help="The request's id.")],
                 as_agency: AsAgency = None, as_json: JsonFlag = False) -> None:
    """Withdraw one's own pending request."""
    data = handling.request_dict(handling.withdraw(_who(as_agency), request_id))
    print_json(data) if as_json else _print_request(data)


@handling_app.command("list")
def list_cmd(as_agency: AsAgency = None, as_json: JsonFlag = False) -> None:
    """The requests to decide for the service, its decisions, and one's own requests."""
    data = handling.listing(_who(as_agency)).to_dict()
    if as_json:
        print_json(data)
        return
    for title, rows in (("To decide", data["to_decide"]), ("Decided", data["decided"]),
                        ("Mine", data["mine"])):
        table = Table("id", "record", "code", "kind", "from", "to", "motif", "status",
                      title=title)
        for r in rows:
            table.add_row(str(r["id"]), f"{r['record']} {r['caption'] or ''}",
                          str(r["handling"]), r["kind"], r["owner_agency"],
                          r["for_agency"], r["motif"], r["status"])
        out.print(table)


@export_app.command("judicial")
def judicial_cmd(entity: Annotated[str, typer.Argument(help="A resolved entity id.")],
                 case_ref: CaseRef = None, motif: Motif = None,
                 network: Annotated[bool, typer.Option(
                     help="Also the records of its network's other members.")] = False,
                 to: Annotated[Path | None, typer.Option(
                     "--out", help="Write the FtM lines here (default: standard output).")
                 ] = None) -> None:
    """An entity's records as FtM JSON lines for a court; what was withheld (H1 without
    the owner's consent) is said on standard error, per owning service."""
    found = judicial.export(staff(store()), entity, case_ref=case_ref, motif=motif,
                            network=network)
    if to is None:
        typer.echo(found.jsonl(), nl=False)
    else:
        to.write_text(found.jsonl(), encoding="utf-8")
    err.print(f"{len(found.lines)} records exported for {found.case_ref}.", highlight=False)
    for w in found.withheld_list():
        err.print(f"Withheld (H1) of {w['agency']}: {w['count']} records: "
                  f"{', '.join(str(i) for i in w['records'])} (emco handling request ID "
                  "--kind judicial)", highlight=False)


@record_app.command("search")
def search_cmd(query: Annotated[str, typer.Argument(help="A name or an identifier.")],
               motif: Motif = None, case_ref: CaseRef = None,
               as_agency: AsAgency = None, as_json: JsonFlag = False) -> None:
    """Records matching a name or identifier (a motif and a case reference required)."""
    found = SearchOut.of(records.search(_who(as_agency), query,
                                        region=get_settings().default_region,
                                        motif=motif, case_ref=case_ref))
    if as_json:
        print_json(found.model_dump(by_alias=True, mode="json"))
        return
    table = Table("id", "record", "kind", "service", "grade", "handling")
    for r in found.records:
        p = r.provenance
        code = p.handling + (f" ({p.handling_condition})" if p.handling_condition else "")
        table.add_row(str(r.id), r.caption, r.schema_, p.agency, p.grade, code)
    out.print(f"{found.total} matching records.", highlight=False)
    out.print(table)


@record_app.command("show")
def show_cmd(record_id: Annotated[int, typer.Argument(help="The record's id in EMCO.")],
             motif: Motif = None, case_ref: CaseRef = None, as_agency: AsAgency = None,
             as_json: JsonFlag = False) -> None:
    """One record with its facts (a Person record needs a motif and a case reference)."""
    view = RecordDetail.of_view(records.read(_who(as_agency), record_id, motif=motif,
                                             case_ref=case_ref))
    if as_json:
        print_json(view.model_dump(by_alias=True, mode="json"))
        return
    p = view.provenance
    out.print(f"{view.caption} ({view.schema_}) · {p.agency}:{p.source_id} · {p.grade} · "
              f"{p.handling}", highlight=False)
    if p.handling_condition:
        out.print(f"H3 condition: {p.handling_condition}", highlight=False)
    for f in view.facts:
        out.print(f"  {f.label}: {f.value}", highlight=False)
