"""`emco risk`: the consolidated dangerousness assessment (docs/risk.md).

    emco risk assess [--json]                  # assess every person, store, raise alerts
    emco risk explain ENTITY --motif M --case-ref R [--json]  # level, signals, changes
    emco risk declare --agency DAP (--record DAP:SOURCEID | --entity E...) --escort 1 --dps no
    emco risk decide ENTITY --agency DAP --decision keep --motif "..."

Commands run as the staff's operator (`declare` as the service's liaison officer).
"""

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from emco.access import auth
from emco.access.gate import Access
from emco.cli_common import print_json, staff, store
from emco.errors import BadInput
from emco.model.enums import Protection, Role
from emco.risk.assess import assess_all
from emco.risk.review import decide, declare, explain

risk_app = typer.Typer(help="Dangerousness: consolidated levels, declared levels, "
                            "under-assessment alerts.", no_args_is_help=True)
out = Console(soft_wrap=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@risk_app.command("assess")
def assess_cmd(as_json: JsonFlag = False) -> None:
    """Assess every person, store the assessments and raise the under-assessment alerts."""
    summary = assess_all(staff(store()))
    if as_json:
        print_json(summary.to_dict())
        return
    out.print(f"Run {summary.run_id} (catalogue {summary.catalogue_version}): "
              f"{summary.persons:,} people, {summary.assessed:,} with signals; "
              f"{summary.signals:,} signals ({summary.unresolved_signals:,} about records "
              "not resolved yet).", highlight=False)
    table = Table("level", "people")
    for level, n in summary.by_level.items():
        table.add_row(level, f"{n:,}")
    out.print(table)
    alerts = Table("entity", "service", "level", "criteria", "reasons", "alert")
    for f in summary.findings:
        alerts.add_row(f.entity_id, f.agency, f.level, ", ".join(f.criteria),
                       ", ".join(f.reasons), str(f.alert_id))
    out.print(f"Under-assessed: {len(summary.findings)} ({summary.alerts_raised} alerts "
              f"raised, {summary.alerts_updated} updated).", highlight=False)
    if summary.findings:
        out.print(alerts)


@risk_app.command("explain")
def explain_cmd(entity: Annotated[str, typer.Argument(help="A resolved entity id.")],
                motif: Annotated[str | None, typer.Option(
                    "--motif", help="Why (at most 500 characters).")] = None,
                case_ref: Annotated[str | None, typer.Option(
                    "--case-ref", help="The case it serves (at most 100 characters).")] = None,
                as_json: JsonFlag = False) -> None:
    """A person's level, score, criteria, every signal and what changed (a motif and a
    case reference required, as for a person's record)."""
    data = explain(staff(store()), entity, motif=motif, case_ref=case_ref).to_dict()
    if as_json:
        print_json(data)
        return
    out.print(f"{entity}: {data['level']} (score {data['score']}), criteria: "
              f"{', '.join(data['criteria']) or 'none'}; catalogue "
              f"{data['catalogue_version']}", highlight=False)
    table = Table("signal", "service", "date", "grade", "contribution")
    for s in data["signals"]:
        table.add_row(s["type"], s["agency"], str(s["date"]), s["grade"],
                      f"{s['contribution']:.3f}")
    out.print(table)
    for d in data["declarations"]:
        out.print(f"Declared by {d['agency']}: escort {d['escort']}, DPS {d['dps']}, "
                  f"watch {d['watch']} ({d['at']})", highlight=False)
    for d in data["decisions"]:
        out.print(f"Decision for {d['agency']}: {d['decision']} — {d['motif']} "
                  f"({d['author']}, {d['at']})", highlight=False)
    changes = data["changes"]
    if not changes.get("first", True):
        out.print(f"Since the previous assessment: level {changes['level'][0]} → "
                  f"{changes['level'][1]}, {len(changes['signals_added'])} signals added, "
                  f"{len(changes['signals_removed'])} gone.", highlight=False)


def _yes_no(value: str | None, name: str) -> bool | None:
    if value is None:
        return None
    text = value.strip().lower()
    if text in ("yes", "oui", "true", "1"):
        return True
    if text in ("no", "non", "false", "0"):
        return False
    raise BadInput(f"--{name}: yes or no", field=name)


@risk_app.command("declare")
def declare_cmd(
    agency: Annotated[str, typer.Option(help="The declaring service.")],
    record: Annotated[str | None, typer.Option(help="AGENCY:SOURCE_ID of its record.")] = None,
    entity: Annotated[str | None, typer.Option(help="A resolved entity id.")] = None,
    escort: Annotated[int | None, typer.Option(help="Escort level 1-4.")] = None,
    dps: Annotated[str | None, typer.Option(help="Special-detainee status: yes/no.")] = None,
    watch: Annotated[str | None, typer.Option(help="On the watch list: yes/no.")] = None,
    note: Annotated[str | None, typer.Option(help="A free note.")] = None,
) -> None:
    """Record a service's own handling of a person (as that service's liaison)."""
    liaison = Access(store(), auth.cli_principal(agency.strip().upper(),
                                                 frozenset({Role.LIAISON}), Protection.DR))
    declared = declare(liaison, agency=agency, record=record, entity=entity, escort=escort,
                       dps=_yes_no(dps, "dps"), watch=_yes_no(watch, "watch"), note=note)
    out.print(f"Declaration {declared} recorded.")


@risk_app.command("decide")
def decide_cmd(
    entity: Annotated[str, typer.Argument(help="A resolved entity id.")],
    agency: Annotated[str, typer.Option(help="The service whose declared level is "
                                             "reviewed.")],
    decision: Annotated[str, typer.Option(help="raise or keep.")],
    motif: Annotated[str, typer.Option(help="Why.")],
) -> None:
    """Record a reviewer's decision on an under-assessment (the staff's operator)."""
    decided = decide(staff(store()), entity, agency=agency, decision=decision, motif=motif)
    out.print(f"Decision {decided} recorded.")
