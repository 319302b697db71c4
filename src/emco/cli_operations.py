"""`emco operation`: register, list and check operations, as a service's liaison or the
staff. Each command calls the same stage function as the API and the pages."""

import json
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from emco.access.gate import Access
from emco.cli_common import liaison, print_json, staff, store
from emco.deconflict import operations as stage
from emco.deconflict.conflicts import Margins
from emco.deconflict.operation_input import OperationIn
from emco.errors import BadInput
from emco.model.enums import OperationKind, OperationStatus, Protection
from emco.settings import get_settings

app = typer.Typer(help="Operations: register a service's planned operation (checked at "
                       "once against every other service's), list them, check them all.",
                  no_args_is_help=True)
out = Console(soft_wrap=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
LOCAL_HINT = "with its offset from UTC, such as 2026-02-03T06:00+01:00"


_print_json = print_json
_db = store


def _liaison(agency: str) -> Access:
    """The command line acts as the service's liaison officer (as `emco ingest` does)."""
    return liaison(store(), agency)


def _staff() -> Access:
    return staff(store())


def _target(text: str) -> tuple[str, Any]:
    """KIND=VALUE; a person is person=NAME;BIRTH_DATE[;PHONE]."""
    kind, sep, value = text.partition("=")
    if not sep:
        raise BadInput(f"--target {text!r}: write KIND=VALUE, such as phone=0612345678 or "
                       "person='Mohamed Amra;1994-02-13'", field="target")
    kind = kind.strip().lower()
    if kind == "person":
        name, _, rest = value.partition(";")
        birth, _, phone = rest.partition(";")
        person = {"name": name, "birth_date": birth}
        if phone.strip():
            person["phone"] = phone
        return kind, person
    return kind, value


def operation_dict(view: stage.OperationView) -> dict[str, Any]:
    """An operation as the CLI and the API show it."""
    op = view.operation
    return {
        "id": op.id, "agency": op.agency, "reference": op.reference, "kind": op.kind.value,
        "status": op.status.value, "latitude": op.latitude, "longitude": op.longitude,
        "radius_m": op.radius_m, "address": op.address, "start": op.starts_at.isoformat(),
        "end": op.ends_at.isoformat(), "protection": op.protection.value,
        "investigation": view.investigation, "contact_name": op.contact_name,
        "contact_phone": op.contact_phone, "created_by": op.created_by,
        "created_at": op.created_at.isoformat(), "updated_at": op.updated_at.isoformat(),
        "targets": [{"id": t.id, "kind": t.kind.value,
                     "value": json.loads(t.value) if t.kind.value == "person" else t.value}
                    for t in view.targets],
        "conflicts": [{"alert_id": c.alert_id, "kinds": c.kinds, "disclosure": c.disclosure,
                       "staff_view": c.staff_view} for c in view.conflicts],
        "warnings": [{"entity": w.entity_id, "level": w.level, "criteria": w.criteria,
                      "assessed_at": w.assessed_at} for w in view.warnings],
    }


@app.command("add")
def add(
    agency: Annotated[str, typer.Option(help="Code of the service whose operation it is.")],
    reference: Annotated[str, typer.Option(help="The service's own reference.")],
    kind: Annotated[OperationKind, typer.Option(help="What the operation is.")],
    lat: Annotated[float, typer.Option(help="Latitude of the centre, in degrees.")],
    lon: Annotated[float, typer.Option(help="Longitude of the centre, in degrees.")],
    radius: Annotated[float, typer.Option(help="Radius of the area, in metres.")],
    start: Annotated[str, typer.Option(help=f"When it starts, {LOCAL_HINT}.")],
    end: Annotated[str, typer.Option(help=f"When it ends, {LOCAL_HINT}.")],
    investigation: Annotated[str | None, typer.Option(
        help="The service's investigation it belongs to: AGENCY:REFERENCE.")] = None,
    target: Annotated[list[str] | None, typer.Option(
        help="KIND=VALUE (phone, plate, iban, document, email, record, entity), or "
             "person='NAME;BIRTH DATE[;PHONE]'; repeat for several.")] = None,
    address: Annotated[str | None, typer.Option(help="Address, as text.")] = None,
    protection: Annotated[Protection, typer.Option(help="NP, or DR.")] = Protection.NP,
    contact: Annotated[str | None, typer.Option(help="Whom other services call about it "
                                                     "(the service's contact point when "
                                                     "not given).")] = None,
    phone: Annotated[str | None, typer.Option(help="That contact's phone.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Register an operation and check it against every other service's. Exit code 0,
    or 3 when it is in conflict (each service concerned is alerted)."""
    settings = get_settings()
    view = stage.register(_liaison(agency), OperationIn(
        agency=agency, reference=reference, kind=kind.value, latitude=lat, longitude=lon,
        radius_m=radius, start=start, end=end, address=address, investigation=investigation,
        protection=protection.value, contact_name=contact, contact_phone=phone,
        targets=[_target(t) for t in target or []]), Margins.of(settings),
        settings.default_region)
    if as_json:
        _print_json(operation_dict(view))
    else:
        op = view.operation
        out.print(f"Operation {op.ref} registered (id {op.id}), {op.kind.value} from "
                  f"{op.starts_at:%Y-%m-%d %H:%M} to {op.ends_at:%Y-%m-%d %H:%M} UTC, "
                  f"{len(view.targets)} targets.", highlight=False)
        for c in view.conflicts:
            other = (c.disclosure or {}).get("other", {})
            who = other.get("contact", {})
            out.print(f"  CONFLICT ({', '.join(c.kinds)}) with {other.get('agency')} "
                      f"{other.get('reference')}: call {who.get('name')}, "
                      f"{who.get('phone') or who.get('email')} (alert {c.alert_id}).",
                      highlight=False, markup=False)
        for w in view.warnings:
            out.print(f"  DANGEROUS PERSON MOVED: {w.entity_id}, assessed {w.level}"
                      + (f" ({', '.join(w.criteria)})" if w.criteria else "")
                      + ": adapt the escort.", highlight=False, markup=False)
    raise typer.Exit(3 if view.conflicts else 0)


@app.command("list")
def list_operations(
    agency: Annotated[str | None, typer.Option(
        help="List as this service's liaison (its own operations); the staff's operator "
             "sees every service's when not given.")] = None,
    status: Annotated[list[OperationStatus] | None, typer.Option(
        help="Only these statuses; repeat for several.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The operations, the soonest first, each marked when a conflict stands on it."""
    access = _liaison(agency) if agency else _staff()
    found = stage.listing(access, tuple(status or ()))
    if as_json:
        _print_json([{"id": s.operation.id, "agency": s.operation.agency,
                      "reference": s.operation.reference, "kind": s.operation.kind.value,
                      "status": s.operation.status.value,
                      "latitude": s.operation.latitude, "longitude": s.operation.longitude,
                      "radius_m": s.operation.radius_m,
                      "start": s.operation.starts_at.isoformat(),
                      "end": s.operation.ends_at.isoformat(), "conflict": s.in_conflict}
                     for s in found])
        return
    table = Table("id", "operation", "kind", "status", "start (UTC)", "end (UTC)", "place",
                  "conflict")
    for s in found:
        op = s.operation
        table.add_row(str(op.id), op.ref, op.kind.value, op.status.value,
                      _when(op.starts_at), _when(op.ends_at),
                      f"{op.latitude:.4f}, {op.longitude:.4f} ± {op.radius_m} m",
                      "yes" if s.in_conflict else "")
    out.print(table)


@app.command("check")
def check_all(as_json: JsonFlag = False) -> None:
    """Check every planned operation again (after a change of the margins, say), as the
    staff's operator: the conflicts standing, alerts raised for new ones."""
    settings = get_settings()
    summary = stage.check_all(_staff(), Margins.of(settings))
    if as_json:
        _print_json(summary.__dict__)
        return
    kinds = ", ".join(f"{n} {k}" for k, n in summary.conflicts.items()) or "none"
    out.print(f"{summary.operations:,} planned operations checked: {summary.pairs:,} pairs "
              f"in conflict ({kinds}); {summary.alerts_raised:,} alerts raised, "
              f"{summary.alerts_updated:,} updated; {summary.cleared:,} conflicts no longer "
              "stand.", highlight=False)


def _when(value: datetime) -> str:
    return f"{value:%Y-%m-%d %H:%M}"
