"""`emco investigation`, `emco hit` and `emco deconflict`: the same stage functions as the
API and the pages, run on the server by its administrator.

Who acts: a service's investigations are registered as that service's liaison officer
would (`--agency`); the register is listed and targets are added as an operator of the
staff, who sees every service's cases; a hit query is asked as the service named by
`--agency` (the staff when none is), so that its answer leaves that service out.
"""

from datetime import date
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from emco.cli_common import liaison, print_json, staff
from emco.deconflict import investigations as register_
from emco.deconflict.hits import hit
from emco.deconflict.overlaps import check_targets, spec_given
from emco.deconflict.targets import parse_target
from emco.model.enums import InvestigationStatus, Protection, TargetKind
from emco.resolve.service import Thresholds
from emco.settings import Settings, get_settings
from emco.store.db import Database
from emco.store.migrate import require_current

investigation_app = typer.Typer(help="The register of investigations and their targets.",
                                no_args_is_help=True)
target_app = typer.Typer(help="Targets of an investigation.", no_args_is_help=True)
deconflict_app = typer.Typer(help="Deconfliction between services.", no_args_is_help=True)
investigation_app.add_typer(target_app, name="target")

out = Console(soft_wrap=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
Investigation = Annotated[str, typer.Argument(help="The investigation: its id, or "
                                                   "AGENCY:REFERENCE.")]
Kind = Annotated[TargetKind, typer.Option(help="record, entity, phone, plate, iban, "
                                               "document, email or person.")]
Value = Annotated[str, typer.Option(help="The identifier as the service knows it; a record "
                                         "or entity id; a person's name.")]
BirthDate = Annotated[str | None, typer.Option(help="A person's birth date (1994-02-13, "
                                                    "1994-02 or 1994).")]
Phone = Annotated[str | None, typer.Option(help="A person's phone, if known.")]


def _db(settings: Settings) -> Database:
    db = Database(settings.database_url)
    require_current(db)
    return db


def _thresholds(settings: Settings) -> Thresholds:
    return Thresholds.of(settings)


_staff = staff  # an operator of the staff, cleared DR: every service's cases
_liaison = liaison
_print_json = print_json


def _value(kind: TargetKind, value: str, birth_date: str | None, phone: str | None) -> Any:
    if kind == TargetKind.PERSON:
        return {"name": value, "birth_date": birth_date, "phone": phone}
    return value


def _investigation_dict(view: register_.InvestigationView) -> dict[str, Any]:
    i = view.investigation
    return {"id": i.id, "agency": i.agency, "reference": i.reference, "title": i.title,
            "status": i.status.value, "protection": i.protection.value,
            "opened": i.opened, "lead_contact": i.contact.__dict__, "court": i.court,
            "prosecutor": i.prosecutor,
            "targets": [{"id": t.id, "kind": t.kind.value, "value": spec_given(t),
                         "key": t.key} for t in view.targets]}


@investigation_app.command("add")
def investigation_add(
    agency: Annotated[str, typer.Option(help="The service's code.")],
    reference: Annotated[str, typer.Option(help="The service's case reference.")],
    title: Annotated[str, typer.Option(help="What the case is about.")],
    contact_name: Annotated[str, typer.Option(help="The lead investigator.")],
    contact_phone: Annotated[str | None, typer.Option(help="Their phone.")] = None,
    contact_email: Annotated[str | None, typer.Option(help="Their e-mail.")] = None,
    court: Annotated[str | None, typer.Option(help="The court in charge.")] = None,
    prosecutor: Annotated[str | None, typer.Option(help="Prosecutor or judge.")] = None,
    protection: Annotated[Protection, typer.Option(help="NP or DR.")] = Protection.NP,
    opened: Annotated[str | None, typer.Option(help="Opening date, YYYY-MM-DD.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register an open investigation of a service, as its liaison officer."""
    settings = get_settings()
    db = _db(settings)
    day = _date(opened) if opened else None
    new = register_.new_investigation(
        agency=agency, reference=reference, title=title, contact_name=contact_name,
        contact_phone=contact_phone, contact_email=contact_email, court=court,
        prosecutor=prosecutor, protection=protection, opened=day,
        region=settings.default_region)
    view = register_.register(_liaison(db, new.agency), new, [], _thresholds(settings))
    if as_json:
        _print_json(_investigation_dict(view))
    else:
        out.print(f"Investigation {view.investigation.ref} registered "
                  f"(id {view.investigation.id}).", highlight=False)


def _date(text: str) -> date:
    from emco.errors import BadInput

    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadInput(f"--opened: {text!r} is not a date (YYYY-MM-DD)",
                       field="opened") from None


@investigation_app.command("list")
def investigation_list(
    agency: Annotated[str | None, typer.Option(help="One service's only.")] = None,
    status: Annotated[InvestigationStatus | None, typer.Option(help="open, suspended or "
                                                                    "closed.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Every service's investigations, newest first."""
    found = register_.listing(_staff(_db(get_settings())), status, agency)
    if as_json:
        _print_json([{"id": i.id, "agency": i.agency, "reference": i.reference,
                      "title": i.title, "status": i.status.value,
                      "protection": i.protection.value, "opened": i.opened,
                      "lead_contact": i.contact.__dict__} for i in found])
        return
    table = Table("id", "service", "reference", "title", "status", "opened")
    for i in found:
        table.add_row(str(i.id), i.agency, i.reference + (" (DR)" if i.protection ==
                                                          Protection.DR else ""),
                      i.title, i.status.value, str(i.opened or ""))
    out.print(table)


@investigation_app.command("status")
def investigation_status(investigation: Investigation,
                         status: Annotated[InvestigationStatus, typer.Argument(
                             help="open, suspended or closed.")]) -> None:
    """Open, suspend or close an investigation (reopened, it is checked again)."""
    access = _staff(_db(get_settings()))
    row = register_.set_status(access, register_.find(access, investigation), status)
    out.print(f"Investigation {row.ref} is {row.status.value}.", highlight=False)


@target_app.command("add")
def target_add(investigation: Investigation, kind: Kind, value: Value,
               birth_date: BirthDate = None, phone: Phone = None,
               as_json: JsonFlag = False) -> None:
    """Add a target and check it against every other service's open investigations."""
    settings = get_settings()
    access = _staff(_db(settings))
    spec = parse_target(kind, _value(kind, value, birth_date, phone), settings.default_region)
    target = register_.add_target(access, register_.find(access, investigation), spec,
                                  _thresholds(settings))
    overlaps = register_.overlap_alerts(access, target.owner_id)
    if as_json:
        _print_json({"id": target.id, "kind": target.kind.value, "value": spec_given(target),
                     "key": target.key, "overlap_alerts": [a.id for a in overlaps]})
        return
    out.print(f"Target {target.id} added ({target.kind.value} {target.key or value}); "
              f"{len(overlaps)} overlap alert(s) concern this investigation.",
              highlight=False)


@target_app.command("remove")
def target_remove(investigation: Investigation,
                  target: Annotated[int, typer.Argument(help="The target's id.")]) -> None:
    """Withdraw a target (it stays in the history, marked removed)."""
    access = _staff(_db(get_settings()))
    register_.remove_target(access, register_.find(access, investigation), target)
    out.print(f"Target {target} removed.")


def hit_cmd(kind: Kind, value: Value, birth_date: BirthDate = None, phone: Phone = None,
            agency: Annotated[str | None, typer.Option(help="The service asking (its own "
                                                            "holdings are left out).")] = None,
            as_json: JsonFlag = False) -> None:
    """Is this identifier or person known to another service? Hit or no hit, with the
    contact points of the services to call. Audited."""
    settings = get_settings()
    db = _db(settings)
    access = _liaison(db, agency) if agency else _staff(db)
    result = hit(access, kind, _value(kind, value, birth_date, phone),
                 settings.default_region, _thresholds(settings))
    if as_json:
        _print_json(result.to_dict())
        return
    if not result.hit:
        out.print("No hit.")
        return
    out.print("Hit. Call:")
    for c in result.contacts:
        out.print(f"  {c.agency} ({c.name}): {c.contact_name}, {c.phone}, {c.email}",
                  highlight=False)


@deconflict_app.command("check")
def deconflict_check(as_json: JsonFlag = False) -> None:
    """Check every open investigation's targets against every other service's (person
    targets matched again with the current model), one alert per pair. Idempotent."""
    settings = get_settings()
    summary = check_targets(_staff(_db(settings)), _thresholds(settings))
    if as_json:
        _print_json(summary.to_dict())
        return
    out.print(f"{summary.pairs:,} pair(s) of investigations of two services share a "
              f"target: {summary.raised:,} alert(s) raised, {summary.updated:,} updated; "
              f"{summary.rematched:,} person target(s) matched anew.", highlight=False)
