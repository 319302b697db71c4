"""The `emco` command. Each command calls the same stage function as the API and pages."""

import csv
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn
from rich.table import Table
from typer.core import TyperGroup

from emco.access import auth, tokens
from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.cli_alerts import alert_app, webhook_app
from emco.cli_audit import audit_app
from emco.cli_calls import ingest_calls_cmd
from emco.cli_common import print_json, staff
from emco.cli_deconflict import deconflict_app, hit_cmd, investigation_app
from emco.cli_handling import export_app, handling_app, record_app
from emco.cli_network import network_app
from emco.cli_oidc import link_oidc_cmd
from emco.cli_operations import app as operation_app
from emco.cli_retention import retention_app
from emco.cli_risk import risk_app
from emco.deconflict.conflicts import Margins
from emco.deconflict.operations import check_all
from emco.deconflict.overlaps import after_ingest, check_targets
from emco.demo.accounts import ensure_accounts
from emco.demo.evaluate import Evaluation, evaluate
from emco.demo.generate import generate
from emco.demo.load import (
    load_declarations,
    load_folder,
    load_investigations,
    load_operations,
)
from emco.demo.summary import summary
from emco.demo.truth import read_truth
from emco.errors import BadInput, EmcoError
from emco.ingest.pipeline import IngestRequest, IngestSummary, ingest
from emco.model.enums import (
    AuditAction,
    HandlingCode,
    InformationCredibility,
    PersonCategory,
    Protection,
    Role,
    SourceReliability,
)
from emco.model.types import RecordMeta
from emco.network.networks import map_networks
from emco.resolve.service import (
    Thresholds,
    explain,
    explanation_dict,
    export_entities,
    on_arrival,
    record_ref,
    resolve,
)
from emco.risk.assess import assess_all
from emco.settings import Settings, get_settings
from emco.store import agencies
from emco.store.db import Database
from emco.store.migrate import require_current, upgrade


class _Commands(TyperGroup):
    """The command group that turns a domain error into its message on stderr and its
    exit code, for every command (and wherever the app is run from: `main`, tests)."""

    def invoke(self, ctx: Any) -> Any:  # typer's vendored click Context
        try:
            return super().invoke(ctx)
        except EmcoError as exc:
            err.print(f"error: {exc.message}", highlight=False, markup=False)
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(help="EMCO: share, resolve and account for organised-crime records "
                       "across services.", no_args_is_help=True, cls=_Commands,
                  pretty_exceptions_enable=False, add_completion=False)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
agency_app = typer.Typer(help="Participating services.", no_args_is_help=True)
user_app = typer.Typer(help="User accounts.", no_args_is_help=True)
token_app = typer.Typer(help="Service API tokens.", no_args_is_help=True)
demo_app = typer.Typer(help="The demonstration data.", no_args_is_help=True)
resolve_app = typer.Typer(help="Cross-service entity resolution: run it (incremental by "
                               "default), export it, explain a pair.",
                          invoke_without_command=True)
app.add_typer(db_app, name="db")
app.add_typer(agency_app, name="agency")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
app.add_typer(audit_app, name="audit")
app.add_typer(demo_app, name="demo")
app.add_typer(resolve_app, name="resolve")
app.add_typer(investigation_app, name="investigation")
app.add_typer(deconflict_app, name="deconflict")
app.command("hit")(hit_cmd)
app.command("ingest-calls")(ingest_calls_cmd)
app.add_typer(operation_app, name="operation")
app.add_typer(alert_app, name="alert")
app.add_typer(network_app, name="network")
app.add_typer(risk_app, name="risk")
app.add_typer(retention_app, name="retention")
app.add_typer(handling_app, name="handling")
app.add_typer(export_app, name="export")
app.add_typer(record_app, name="record")
agency_app.add_typer(webhook_app, name="webhook")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)
SAMPLES = Path(__file__).parent / "demo" / "samples"
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


def _db(settings: Settings, migrated: bool = True) -> Database:
    """The configured store; unless `migrated` is False, refuse one not at the newest
    schema with a message saying to run `emco db upgrade`."""
    db = Database(settings.database_url)
    if migrated:
        require_current(db)
    return db


def staff_principal(db: Database, role: Role,
                    clearance: Protection = Protection.NP) -> Access:
    """A command-line principal of the coordination staff with one role."""
    return staff(db, role, clearance)


_print_json = print_json


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply the migrations, then load the agencies file."""
    settings = get_settings()
    db = _db(settings, migrated=False)
    upgrade(db)
    added, changed, gone = sync_agencies(db, settings)
    out.print(f"Database at the newest schema; agencies: {added} added, {changed} updated, "
              f"{gone} deactivated.")


def sync_agencies(db: Database, settings: Settings) -> tuple[int, int, int]:
    wanted = agencies.load_config(settings.agencies_file)
    with db.write() as conn:
        result = agencies.sync(conn, wanted)
    staff = next((a.code for a in wanted if a.is_staff), "EMCO")
    Access(db, auth.cli_principal(staff, frozenset({Role.ADMIN}))).record(
        AuditEvent(AuditAction.AGENCY_SYNC, objects=[f"agency:{a.code}" for a in wanted],
                   detail="added {}, updated {}, deactivated {}".format(*result)))
    return result


@agency_app.command("sync")
def agency_sync() -> None:
    """Load the agencies file (EMCO_AGENCIES_FILE, or the packaged list) into the store."""
    settings = get_settings()
    added, changed, gone = sync_agencies(_db(settings), settings)
    out.print(f"Agencies: {added} added, {changed} updated, {gone} deactivated.")


@agency_app.command("list")
def agency_list(as_json: JsonFlag = False) -> None:
    """The participating services and their contact points."""
    with _db(get_settings()).read() as conn:
        found = agencies.all_agencies(conn)
    if as_json:
        _print_json([a.__dict__ for a in found])
        return
    table = Table("code", "name", "ministry", "contact")
    for a in found:
        table.add_row(a.code + (" (staff)" if a.is_staff else ""), a.name, a.ministry,
                      f"{a.contact_name}, {a.contact_phone}, {a.contact_email}")
    out.print(table)


@user_app.command("add")
def user_add(
    username: str,
    agency: Annotated[str, typer.Option(help="Code of the user's service.")],
    role: Annotated[list[Role], typer.Option(help="Role; repeat for several.")],
    clearance: Annotated[Protection, typer.Option(help="NP, or DR to see DR items.")] =
    Protection.NP,
    name: Annotated[str, typer.Option(help="Full name shown in the interface.")] = "",
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard "
                                                      "input instead of prompting.")] = False,
) -> None:
    """Create a user account."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    db = _db(get_settings())
    user_id = auth.create_user(staff_principal(db, Role.ADMIN), username=username,
                               display_name=name, agency=agency.upper(),
                               roles=frozenset(role), clearance=clearance, password=password)
    out.print(f"User {username} created (id {user_id}).")


@user_app.command("unlock")
def user_unlock(username: str) -> None:
    """Lift an account's lockout (after too many failed logins) before its time."""
    auth.unlock(staff_principal(_db(get_settings()), Role.ADMIN), username)
    out.print(f"User {username} unlocked.")


@user_app.command("reset-totp")
def user_reset_totp(username: str) -> None:
    """Clear an account's authenticator (a lost phone): it enrols a new one at its next
    login; its open sessions end."""
    auth.reset_second_factor(staff_principal(_db(get_settings()), Role.ADMIN), username)
    out.print(f"Second factor of {username} cleared: it enrols a new one at its next login.")


@user_app.command("sessions")
def user_sessions(
    username: str,
    concurrent: Annotated[bool, typer.Option("--concurrent/--single", help="Allow several "
                                             "sessions at once, or one (the default).")],
) -> None:
    """Allow an account several sessions at once, or only one (a login ends the others)."""
    auth.allow_concurrent_sessions(staff_principal(_db(get_settings()), Role.ADMIN),
                                   username, concurrent)
    out.print(f"User {username}: {'several sessions' if concurrent else 'one session'} "
              "at a time.")


user_app.command("link-oidc")(link_oidc_cmd)


@token_app.command("create")
def token_create(
    username: str,
    name: Annotated[str, typer.Option(help="What the token is for.")],
    scope: Annotated[list[str], typer.Option(help="A permission the token acts with "
                                                   "(repeat), among the user's.")],
    days: Annotated[int, typer.Option(help="Days it lasts.")] = 90,
    as_json: JsonFlag = False,
) -> None:
    """Make a service token for a user; it is printed once and cannot be read back."""
    made = tokens.create(staff_principal(_db(get_settings()), Role.ADMIN), username=username,
                         name=name, scopes=scope, days=days)
    if as_json:
        _print_json({"id": made.token.id, "token": made.secret,
                     "expires_at": made.token.expires_at.isoformat()})
        return
    out.print(f"Token {made.token.id} for {username}, until {made.token.expires_at:%Y-%m-%d}:")
    out.print(made.secret, highlight=False, markup=False)


@token_app.command("list")
def token_list(username: Annotated[str | None, typer.Argument()] = None,
               as_json: JsonFlag = False) -> None:
    """The service tokens (of one user, or everyone's); never their secret."""
    found = tokens.listing(staff_principal(_db(get_settings()), Role.ADMIN), username)
    if as_json:
        _print_json([{"id": t.id, "prefix": t.prefix, "name": t.name, "user": t.username,
                      "scopes": sorted(t.scopes), "expires_at": t.expires_at.isoformat(),
                      "revoked": t.revoked_at is not None} for t in found])
        return
    table = Table("id", "user", "name", "scopes", "expires", "state")
    for t in found:
        table.add_row(str(t.id), t.username, t.name, ", ".join(sorted(t.scopes)),
                      f"{t.expires_at:%Y-%m-%d}", "revoked" if t.revoked_at else "live")
    out.print(table)


@token_app.command("revoke")
def token_revoke(token_id: int) -> None:
    """Revoke a service token at once."""
    tokens.revoke(staff_principal(_db(get_settings()), Role.ADMIN), token_id)
    out.print(f"Token {token_id} revoked.")


@app.command("ingest")
def ingest_cmd(
    path: Annotated[Path, typer.Argument(help="FtM JSON lines, or CSV with --mapping.")],
    agency: Annotated[str, typer.Option(help="Code of the service the file comes from.")],
    mapping: Annotated[Path | None, typer.Option(help="FollowTheMoney mapping (YAML) of "
                                                      "a CSV file's columns.")] = None,
    format: Annotated[str | None, typer.Option(help="jsonl or csv; from the extension "
                                                    "when not given.")] = None,
    encoding: Annotated[str, typer.Option(help="Encoding of a CSV file.")] = "utf-8",
    handling: Annotated[HandlingCode, typer.Option(help="Default handling code.")] =
    HandlingCode.H0,
    condition: Annotated[str | None, typer.Option(help="Default H3 condition.")] = None,
    reliability: Annotated[SourceReliability, typer.Option(help="Default source "
                                                                "reliability.")] =
    SourceReliability.X,
    credibility: Annotated[InformationCredibility, typer.Option(help="Default information "
                                                                     "credibility.")] =
    InformationCredibility.UNVERIFIED,
    protection: Annotated[Protection, typer.Option(help="Default protection mention.")] =
    Protection.NP,
    category: Annotated[PersonCategory, typer.Option(help="Default category of the people "
                                                          "and organisations in the file.")] =
    PersonCategory.OTHER,
    as_json: JsonFlag = False,
) -> None:
    """Load a file of one service. Exit code 0: all accepted; 3: some rows quarantined;
    2: nothing usable (nothing written)."""
    settings = get_settings()
    db = _db(settings)
    code = agency.upper()
    access = Access(db, auth.cli_principal(code, frozenset({Role.LIAISON}), Protection.DR))
    request = IngestRequest(
        path=path, agency=code, mapping=mapping, format=format, encoding=encoding,
        defaults=RecordMeta(handling=handling, handling_condition=condition,
                            reliability=reliability, credibility=credibility,
                            protection=protection, category=category))
    summary = run_ingest(access, request, settings, show_progress=not as_json)
    matched = None
    if summary.created or summary.updated:  # matched on arrival
        matched = on_arrival(staff_principal(db, Role.OPERATOR, Protection.DR),
                             thresholds(settings))
        after_ingest(staff_principal(db, Role.OPERATOR, Protection.DR), summary.batch,
                     thresholds(settings))  # targets its records may now designate
    if as_json:
        _print_json(summary.to_dict())
    else:
        print_summary(summary)
        if matched is not None:
            out.print(f"Resolution: {matched.featured:,} new or changed records matched; "
                      f"{matched.positive:,} joined an entity, {matched.unsure:,} pairs "
                      "for review.", highlight=False)
    raise typer.Exit(summary.exit_code)


def run_ingest(access: Access, request: IngestRequest, settings: Settings,
               show_progress: bool) -> IngestSummary:
    size = request.path.stat().st_size if request.path.is_file() else 0
    options: dict[str, Any] = {
        "region": settings.default_region, "retention_years": settings.retention_years,
        "quarantine_dir": settings.quarantine_dir, "chunk_size": settings.ingest_chunk_size,
        "workers": settings.workers}
    if not show_progress or size < 2**20:
        return ingest(access, request, **options)
    columns = (*Progress.get_default_columns()[:1], BarColumn(), DownloadColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(f"{request.path.name}", total=size)
        return ingest(access, request, progress=lambda done: bar.update(task, completed=done),
                      **options)


def print_summary(s: IngestSummary) -> None:
    line = (f"Batch {s.batch}: {s.accepted:,} accepted ({s.created:,} new, {s.updated:,} "
            f"updated, {s.unchanged:,} unchanged), {s.rejected:,} rejected.")
    out.print(line, highlight=False)
    for e in s.first_errors:
        where = f"line {e['line']}" + (f", {e['field']}" if e["field"] else "")
        out.print(f"  {where}: {e['reason']}", highlight=False, markup=False)
    if s.rejected > len(s.first_errors):
        out.print(f"  … and {s.rejected - len(s.first_errors):,} more.")
    if s.quarantine:
        out.print(f"Rejected rows are in {s.quarantine}", highlight=False)
    if s.accepted == 0:
        err.print("Nothing usable in the file; nothing was written.")


@demo_app.command("generate")
def demo_generate(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the scenario in "
                                                        "(empty, or a scenario to replace).")],
    seed: Annotated[int, typer.Option(help="The same seed gives the same world.")] = 7,
    scale: Annotated[float, typer.Option(help="1: three networks, a few thousand records; "
                                              "each unit adds three networks.")] = 1.0,
    call_rate: Annotated[float, typer.Option(help="Calls per month between two people in "
                                                  "contact, in the intercepted lines.")] = 1.5,
) -> None:
    """Write a synthetic scenario: every service's files, their manifest, and the hidden
    truth (truth.json) that `emco demo evaluate` grades the platform against."""
    with Progress(console=err, transient=True) as bar:
        task = bar.add_task("networks", total=None)
        made = generate(seed, scale, out_dir, call_rate,
                        progress=lambda done, total: bar.update(task, completed=done,
                                                                total=total))
    out.print(f"Scenario written to {made.folder}: {made.networks} networks, "
              f"{made.people:,} people, {made.total - made.calls:,} records and "
              f"{made.calls:,} call records across {len(made.records)} services; "
              f"{made.overlaps} overlapping investigations, "
              f"{made.conflicts} operation conflicts, {made.under_assessed} under-assessed "
              "detainees in the truth.", highlight=False)


@demo_app.command("load")
def demo_load(
    folder: Annotated[Path, typer.Argument(help="Folder with a manifest.yml (a generated "
                                                "scenario, or the hand-written samples).")],
    stages: Annotated[bool, typer.Option(help="Run every stage that exists after the "
                                              "load (resolution...).")] = True,
) -> None:
    """Load every file of a demonstration folder, each as its own service, then run the
    stages that exist."""
    settings = get_settings()
    db = _db(settings)
    results = load_folder(db, folder, lambda access, request: run_ingest(
        access, request, settings, show_progress=True))
    table = Table("service", "file", "entities read", "records new", "updated",
                  "rejected rows")
    for entry, s in results:
        table.add_row(entry.agency, entry.path.name, f"{s.accepted:,}", f"{s.created:,}",
                      f"{s.updated:,}", f"{s.rejected:,}")
    out.print(table)
    if any(s.rejected for _, s in results):
        out.print("Rejected rows are in " + ", ".join(s.quarantine for _, s in results
                                                     if s.quarantine))
    operator = staff_principal(db, Role.OPERATOR, Protection.DR)  # sees every record
    if stages:
        with err.status("Resolving the records across services…"):
            resolve(operator, thresholds(settings), full=True, workers=settings.workers)
        with err.status("Mapping the networks of the joint graph…"):
            map_networks(operator)
    load_declarations(db, folder)  # each service's declared levels, by its liaison
    if stages:
        with err.status("Assessing every person's dangerousness…"):
            assess_all(operator)
    registered = load_investigations(db, folder, thresholds(settings))  # each by its liaison
    if stages and registered:
        with err.status("Checking the investigations' targets across services…"):
            check_targets(operator, thresholds(settings))
    margins = Margins.of(settings)  # operations: each registered by its service's liaison
    planned = load_operations(db, folder, margins, settings.default_region)
    if stages and planned:
        with err.status("Checking every operation against the other services'…"):
            check_all(operator, margins)
    for line in summary(operator, [s for _, s in results]):
        out.print(line, highlight=False, markup=False)


@demo_app.command("evaluate")
def demo_evaluate(
    folder: Annotated[Path, typer.Argument(help="Scenario folder with its truth.json, "
                                                "loaded by `emco demo load`.")],
    as_json: JsonFlag = False,
) -> None:
    """Compare what the platform found with a scenario's hidden truth, stage by stage.
    Exit code 2 when the truth is unreadable or does not describe the records stored
    (--json then still prints the store's counts, with no stage run)."""
    if not folder.is_dir():
        raise BadInput(f"{folder}: no such folder", field="path")
    db = _db(get_settings())
    with err.status("Reading the truth and comparing it with the store…"):
        truth = read_truth(folder)
        result = evaluate(staff_principal(db, Role.OPERATOR, Protection.DR), truth)
    if as_json:
        _print_json(result.to_dict())
    elif result.store.ok:  # otherwise no stage ran: the error below says it all
        print_evaluation(result)
    if not result.store.ok:
        raise BadInput(result.store.message())


def print_evaluation(result: Evaluation) -> None:
    table = Table("stage", "measure", "value")
    for stage, measure, value in result.rows():
        table.add_row(stage, measure, value)
    out.print(table)
    out.print(result.store.message(), highlight=False, markup=False)


@demo_app.command("accounts")
def demo_accounts() -> None:
    """Create the demonstration accounts (or give them new passwords) and print them."""
    settings = get_settings()
    db = _db(settings)
    created = ensure_accounts(staff_principal(db, Role.ADMIN))
    out.print(f"\n[bold]EMCO will be served at http://{settings.host}:{settings.port}/[/bold]")
    for account, password in created:
        out.print(f"  login [bold]{account.username}[/bold]  password [bold]{password}"
                  f"[/bold]   ({account.what})", highlight=False)
    out.print("At its first login each account enrols a second factor: scan the QR code "
              "with an authenticator app (FreeOTP, Aegis, Google Authenticator…). "
              "Without a phone at hand, `.venv/bin/python -m emco.access.totp KEY` "
              "prints the current code of the key shown under the QR code.",
              highlight=False, markup=False)
    out.print()


def thresholds(settings: Settings) -> Thresholds:
    return Thresholds.of(settings)


@resolve_app.callback()
def resolve_cmd(
    ctx: typer.Context,
    full: Annotated[bool, typer.Option("--full", help="Score every pair again with the "
                                                      "batch model (Splink).")] = False,
    retrain: Annotated[bool, typer.Option("--retrain", help="Train a new model version "
                                                            "first.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Resolve the records: new and changed ones against everything already resolved,
    or all of them with --full."""
    if ctx.invoked_subcommand is not None:
        return
    settings = get_settings()
    db = _db(settings)
    operator = staff_principal(db, Role.OPERATOR, Protection.DR)
    with err.status("Resolving…"):
        summary = resolve(operator, thresholds(settings), full=full, retrain=retrain,
                          workers=settings.workers if full else 0)
    if as_json:
        _print_json(summary.to_dict())
        return
    s = summary
    out.print(f"Model version {s.model_version}{' (trained now)' if s.trained else ''}; "
              f"{s.featured:,} records featured, {s.scored_pairs:,} pairs judged by the "
              f"model ({s.positive:,} same, {s.unsure:,} for review, {s.negative:,} apart), "
              f"{s.rule_links:,} links by identifier. {s.entities:,} entities; "
              f"{s.merged_records:,} records merged with others; {s.changed:,} records "
              "changed entity.", highlight=False)
    out.print("Seconds: " + ", ".join(f"{stage} {seconds:.1f}"
                                      for stage, seconds in s.seconds.items()) + ".",
              highlight=False)


@resolve_app.command("export")
def resolve_export(
    format: Annotated[str, typer.Option(help="csv: one row per record.")] = "csv",
    output: Annotated[Path | None, typer.Option("--out", help="File to write; standard "
                                                               "output when not given.")] = None,
) -> None:
    """One row per record: agency, source record id, resolved entity id."""
    if format != "csv":
        raise BadInput(f"unknown format {format!r}; use csv", field="format")
    db = _db(get_settings())
    rows = export_entities(staff_principal(db, Role.OPERATOR, Protection.DR))
    stream = output.open("w", newline="", encoding="utf-8") if output else sys.stdout
    try:
        writer = csv.writer(stream)
        writer.writerow(["agency", "source_id", "entity_id"])
        writer.writerows(rows)
    finally:
        if output:
            stream.close()


@resolve_app.command("explain")
def resolve_explain(
    left: Annotated[str, typer.Argument(help="A record: its id, or AGENCY:SOURCE_ID.")],
    right: Annotated[str, typer.Argument(help="The other record.")],
    as_json: JsonFlag = False,
) -> None:
    """Why two records are (or are not) one entity: the score and its parts."""
    db = _db(get_settings())
    operator = staff_principal(db, Role.OPERATOR, Protection.DR)
    a, b = record_ref(operator, left), record_ref(operator, right)
    result = explain(operator, a, b)
    data = explanation_dict(result)
    if as_json:
        _print_json(data)
        return
    table = Table("comparison", "level", "weight", f"record {a}", f"record {b}")
    for part in data["parts"]:
        table.add_row(part["comparison"], part["level"], f"{part['weight']:+.2f}",
                      str(part["left"]), str(part["right"]))
    out.print(table)
    if data["probability"] is None:
        out.print("No model score: one of the records is not a person, or no model is "
                  "trained yet.")
    else:
        out.print(f"Match probability {data['probability']:.4f} (weight "
                  f"{data['match_weight']:+.2f}: the prior {data['prior_weight']:+.2f} "
                  "plus the comparisons above).", highlight=False)
    out.print(f"Entities: {data['left_entity']} and {data['right_entity']}"
              f"{' (the same)' if data['left_entity'] == data['right_entity'] else ''}.",
              highlight=False)
    for j in data["judgements"]:
        state = "superseded" if j["superseded_at"] else "standing"
        out.print(f"  {j['created_at']}  {j['author']}: {j['verdict']} ({state})",
                  highlight=False)


@app.command("serve")
def serve(
    host: Annotated[str | None, typer.Option(help="Listen address (EMCO_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (EMCO_PORT).")] = None,
) -> None:
    """Serve the web interface and the API."""
    import uvicorn

    from emco.web.app import create_app

    settings = get_settings()
    uvicorn.run(create_app(settings), host=host or settings.host, port=port or settings.port,
                log_level="info", proxy_headers=False)


def main() -> None:
    try:
        app()
    except ValidationError as exc:  # an EMCO_ environment variable that does not parse
        for problem in exc.errors():
            name = "EMCO_" + "_".join(str(p) for p in problem["loc"]).upper()
            err.print(f"error: {name}: {problem['msg']}", highlight=False, markup=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
