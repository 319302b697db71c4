"""`emco alert` and `emco agency webhook`: the same stage functions as the API and the pages,
run on the server by its administrator.

Who acts: an operator of the staff by default (who sees every alert, with the whole
picture); with `--agency`, that service's liaison officer (to acknowledge or resolve on
its behalf, and to see exactly what it sees). Deliveries and escalations run as the
staff's system principal, as the web server's worker does.
"""

from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from emco.access.gate import Access
from emco.alerts import service as alerts
from emco.api.schemas_alerts import AlertOut, InboxOut
from emco.cli_common import liaison, print_json, staff, store
from emco.model.enums import AlertOutcome, AlertState
from emco.store.db import Database

alert_app = typer.Typer(help="Alerts: list, acknowledge, resolve; send the webhooks and "
                             "escalate overdue alerts.", no_args_is_help=True)
webhook_app = typer.Typer(help="A service's webhook endpoint, where its alerts are sent.",
                          no_args_is_help=True)

out = Console(soft_wrap=True)
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
AlertId = Annotated[int, typer.Argument(min=1, help="The alert's id.")]
AsAgency = Annotated[str | None, typer.Option(
    "--agency", help="Act as this service's liaison officer (default: an operator of the "
                     "staff).")]


_db = store
_print_json = print_json


def _access(db: Database, agency: str | None) -> Access:
    """The staff's operator, or the liaison officer of `agency`."""
    return liaison(db, agency) if agency else staff(db)


def _show(alert: alerts.AlertView) -> None:
    out.print(f"Alert {alert.id} ({alert.kind}, {alert.severity}): {alert.title}",
              highlight=False, markup=False)
    out.print(f"  state: {alert.state.value}"
              + (f", deadline {alert.deadline:%Y-%m-%d %H:%M} UTC" if alert.deadline else "")
              + (" (overdue)" if alert.overdue else ""), highlight=False, markup=False)
    if alert.resolution:
        r = alert.resolution
        out.print(f"  resolved by {r.agency}: {r.outcome}"
                  + (f", lead {r.lead_agency}" if r.lead_agency else "")
                  + (f" ({r.note})" if r.note else ""), highlight=False, markup=False)
    for rc in alert.recipients:
        out.print(f"  {rc.agency}: {rc.state.value}" + (" (overdue)" if rc.overdue else ""),
                  highlight=False, markup=False)


@alert_app.command("list")
def alert_list(
    state: Annotated[AlertState | None, typer.Option(help="new, acknowledged or "
                                                          "resolved.")] = None,
    agency: AsAgency = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = alerts.INBOX_PAGE,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonFlag = False,
) -> None:
    """The inbox: every alert for the staff, or what one service receives."""
    found = alerts.inbox(_access(_db(), agency), state=state, limit=limit, offset=offset)
    if as_json:
        _print_json(InboxOut.of(found).model_dump(mode="json"))
        return
    table = Table("id", "severity", "kind", "state", "deadline (UTC)", "title")
    for a in found.alerts:
        deadline = f"{a.deadline:%Y-%m-%d %H:%M}" if a.deadline else ""
        table.add_row(str(a.id), a.severity, a.kind, a.state.value + (" (overdue)" if
                      a.overdue else ""), deadline, a.title)
    out.print(table)
    out.print(f"{found.total} alerts.")


@alert_app.command("show")
def alert_show(alert_id: AlertId, agency: AsAgency = None, as_json: JsonFlag = False) -> None:
    """One alert with its history."""
    found = alerts.alert_detail(_access(_db(), agency), alert_id)
    if as_json:
        _print_json(AlertOut.of(found).model_dump(mode="json"))
        return
    _show(found)
    for h in found.history:
        out.print(f"  {h.at:%Y-%m-%d %H:%M}  {h.action}  {h.agency or ''}  {h.author or ''}"
                  f"  {h.note or ''}".rstrip(), highlight=False, markup=False)


@alert_app.command("ack")
def alert_ack(alert_id: AlertId, agency: AsAgency = None,
              note: Annotated[str | None, typer.Option(help="Seen by the service and the "
                                                            "staff.")] = None,
              as_json: JsonFlag = False) -> None:
    """Acknowledge an alert (idempotent) for the staff, or for `--agency`."""
    found = alerts.acknowledge(_access(_db(), agency), alert_id, note)
    if as_json:
        _print_json(AlertOut.of(found).model_dump(mode="json"))
        return
    _show(found)


@alert_app.command("resolve")
def alert_resolve(
    alert_id: AlertId,
    outcome: Annotated[AlertOutcome, typer.Option(help="lead_designated, joint_operation, "
                                                       "postponed or no_conflict.")],
    note: Annotated[str, typer.Option(help="Why; shown to every recipient.")],
    lead: Annotated[str | None, typer.Option(help="The lead service, with "
                                                  "lead_designated.")] = None,
    agency: AsAgency = None,
    as_json: JsonFlag = False,
) -> None:
    """Resolve an alert with its outcome."""
    found = alerts.resolve_alert(_access(_db(), agency), alert_id, outcome, note,
                                 lead_agency=lead)
    if as_json:
        _print_json(AlertOut.of(found).model_dump(mode="json"))
        return
    _show(found)


@alert_app.command("deliver")
def alert_deliver(as_json: JsonFlag = False) -> None:
    """Send the webhook deliveries that are due (one pass), as the worker does."""
    report = alerts.deliver_pending(_db())
    if as_json:
        _print_json(report.to_dict())
        return
    out.print(f"Deliveries: {len(report.sent)} sent, {len(report.retrying)} to retry, "
              f"{len(report.failed)} given up.")


@alert_app.command("escalate")
def alert_escalate(as_json: JsonFlag = False) -> None:
    """Escalate to the staff every recipient past its deadline (one pass)."""
    done = alerts.escalate_overdue(_db())
    if as_json:
        _print_json([{"alert_id": e.alert_id, "agency": e.agency,
                      "deadline": e.deadline.isoformat(), "told": list(e.told)}
                     for e in done])
        return
    for e in done:
        out.print(f"Alert {e.alert_id}: {e.agency} is late (deadline "
                  f"{e.deadline:%Y-%m-%d %H:%M} UTC); told {', '.join(e.told)}.",
                  highlight=False)
    out.print(f"{len(done)} escalated.")


@webhook_app.command("set")
def webhook_set(
    code: Annotated[str, typer.Argument(help="The service's code.")],
    url: Annotated[str, typer.Argument(help="http:// or https:// address.")],
    secret: Annotated[str | None, typer.Option(help="The shared secret of the signatures "
                                                    "(16-200 characters); generated and "
                                                    "printed when absent.")] = None,
) -> None:
    """Set the endpoint that receives a service's alerts (as an operator of the staff)."""
    done = alerts.set_webhook(_access(_db(), None), code, url, secret)
    out.print(f"Webhook of {done.agency}: {done.url}", highlight=False, markup=False)
    if done.secret:
        out.print(f"Secret (give it to the service; it is not shown again): {done.secret}",
                  highlight=False, markup=False)


@webhook_app.command("remove")
def webhook_remove(code: Annotated[str, typer.Argument(help="The service's code.")]) -> None:
    """Stop sending a service's alerts by webhook."""
    alerts.remove_webhook(_access(_db(), None), code)
    out.print(f"Webhook of {code.upper()} removed.")
