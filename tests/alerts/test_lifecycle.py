"""The inbox, one alert, acknowledging and resolving, through the gate: each recipient sees
its own disclosure only, non-recipients are told the alert does not exist, the staff's
operators see the whole picture, and every read and decision is audited."""

import json

import pytest
import sqlalchemy as sa

from emco.alerts.service import (
    Recipient,
    acknowledge,
    alert_detail,
    inbox,
    resolve_alert,
)
from emco.errors import BadInput, Conflict, Forbidden, NotFound
from emco.model.enums import AlertOutcome, AlertSeverity, AlertState
from emco.store.db import Database
from emco.store.tables import alert_events
from tests.alerts.conftest import (
    DNPJ_SEES,
    OFAST_SEES,
    STAFF_VIEW,
    analyst,
    audit_rows,
    liaison,
    operator,
    raise_overlap,
)


def _events(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(alert_events))
                   .scalar_one())


def test_each_recipient_sees_only_its_own_disclosure(db: Database) -> None:
    alert_id = raise_overlap(db).alert_id
    for agency, own, other in (("OFAST", OFAST_SEES, DNPJ_SEES),
                               ("DNPJ", DNPJ_SEES, OFAST_SEES)):
        access = analyst(db, agency)
        [item] = inbox(access).alerts
        detail = alert_detail(access, alert_id)
        for view in (item, detail):
            assert view.disclosure == own
            assert view.recipient == agency
            assert view.staff_view is None
            assert view.recipients == []
            text = json.dumps(view.__dict__, default=str)
            assert other["case_ref"] not in text  # the other side's own reference
            assert other["contact"] not in text


def test_the_staff_sees_the_whole_picture(db: Database) -> None:
    alert_id = raise_overlap(db).alert_id
    listed = inbox(operator(db))
    assert listed.total == 1
    view = alert_detail(operator(db), alert_id)
    assert view.staff_view == STAFF_VIEW
    assert {r.agency: r.disclosure for r in view.recipients} == {"OFAST": OFAST_SEES,
                                                                 "DNPJ": DNPJ_SEES}
    assert view.recipient is None  # the staff is not a recipient (yet)
    assert view.disclosure is None
    assert view.history[0].author == "deconflict"


def test_a_service_that_is_not_a_recipient_is_told_no_such_alert(db: Database) -> None:
    alert_id = raise_overlap(db).alert_id
    outsider = liaison(db, "DGGN")
    assert inbox(outsider).total == 0
    with pytest.raises(NotFound) as absent:
        alert_detail(outsider, alert_id + 1000)
    with pytest.raises(NotFound) as hidden:
        alert_detail(outsider, alert_id)
    assert absent.value.message == hidden.value.message  # the same words
    with pytest.raises(NotFound):
        acknowledge(outsider, alert_id)
    with pytest.raises(NotFound):
        resolve_alert(outsider, alert_id, AlertOutcome.NO_CONFLICT, "rien")
    assert _events(db) == 1  # only the raising


def test_each_recipient_acknowledges_for_itself(db: Database) -> None:
    alert_id = raise_overlap(db).alert_id
    seen = acknowledge(liaison(db, "OFAST"), alert_id, note="pris en compte")
    assert seen.state == AlertState.ACKNOWLEDGED
    assert seen.acknowledged_at is not None
    assert alert_detail(analyst(db, "DNPJ"), alert_id).state == AlertState.NEW
    assert alert_detail(operator(db), alert_id).state == AlertState.NEW  # DNPJ has not
    staff = alert_detail(operator(db), alert_id)
    assert {r.agency: r.state for r in staff.recipients} == {
        "OFAST": AlertState.ACKNOWLEDGED, "DNPJ": AlertState.NEW}
    acknowledge(liaison(db, "DNPJ"), alert_id)
    assert alert_detail(operator(db), alert_id).state == AlertState.ACKNOWLEDGED


def test_a_recipient_does_not_learn_who_else_acknowledged(db: Database) -> None:
    alert_id = raise_overlap(db).alert_id
    acknowledge(liaison(db, "OFAST"), alert_id, note="note interne OFAST")
    dnpj = alert_detail(analyst(db, "DNPJ"), alert_id)
    assert [h.action for h in dnpj.history] == ["raised"]
    assert "note interne OFAST" not in json.dumps(dnpj.__dict__, default=str)
    ofast = alert_detail(analyst(db, "OFAST"), alert_id)
    assert [(h.action, h.author, h.note) for h in ofast.history] == [
        ("raised", None, None), ("acknowledged", "liaison.ofast", "note interne OFAST")]


def test_acknowledging_twice_is_idempotent(db: Database) -> None:
    alert_id = raise_overlap(db).alert_id
    first = acknowledge(liaison(db, "OFAST"), alert_id)
    second = acknowledge(liaison(db, "OFAST"), alert_id)
    assert second.acknowledged_at == first.acknowledged_at
    assert _events(db) == 2
    rows = audit_rows(db, "alerts:alert:acknowledge")
    assert [r["outcome"] for r in rows] == ["ok", "ok"]
    assert rows[1]["detail"] == "already acknowledged: nothing written"


def test_an_analyst_may_read_but_not_acknowledge(db: Database) -> None:
    alert_id = raise_overlap(db).alert_id
    with pytest.raises(Forbidden):
        acknowledge(analyst(db, "OFAST"), alert_id)
    assert [r["outcome"] for r in audit_rows(db, "alerts:alert:acknowledge")] == ["denied"]


def test_the_staff_acknowledges_only_as_a_recipient(db: Database) -> None:
    alert_id = raise_overlap(db).alert_id
    with pytest.raises(Conflict, match="not a recipient"):
        acknowledge(operator(db), alert_id)


@pytest.mark.parametrize("outcome", [AlertOutcome.JOINT_OPERATION, AlertOutcome.POSTPONED,
                                     AlertOutcome.NO_CONFLICT])
def test_resolving_with_an_outcome(db: Database, outcome: AlertOutcome) -> None:
    alert_id = raise_overlap(db).alert_id
    done = resolve_alert(liaison(db, "DNPJ"), alert_id, outcome, "réunion du 3 mars")
    assert done.state == AlertState.RESOLVED
    assert done.resolution is not None
    assert (done.resolution.outcome, done.resolution.lead_agency, done.resolution.agency) == (
        outcome.value, None, "DNPJ")
    ofast = alert_detail(analyst(db, "OFAST"), alert_id)
    assert ofast.state == AlertState.RESOLVED
    resolved = ofast.history[-1]
    # every recipient reads the decision and its note, and which service took it
    assert (resolved.action, resolved.agency, resolved.author, resolved.note) == (
        "resolved", "DNPJ", None, "réunion du 3 mars")


def test_designating_a_lead_service(db: Database) -> None:
    alert_id = raise_overlap(db).alert_id
    done = resolve_alert(operator(db), alert_id, "lead_designated", "OFAST mène",
                         lead_agency="ofast")
    assert done.resolution is not None
    assert done.resolution.lead_agency == "OFAST"
    assert done.resolution.agency == "EMCO"


@pytest.mark.parametrize(("outcome", "lead", "field"), [
    (AlertOutcome.LEAD_DESIGNATED, None, "lead_agency"),
    (AlertOutcome.LEAD_DESIGNATED, "DGGN", "lead_agency"),  # not a recipient
    (AlertOutcome.NO_CONFLICT, "OFAST", "lead_agency"),
    ("abandoned", None, "outcome"),
])
def test_bad_resolutions_name_the_field_and_write_nothing(
        db: Database, outcome: str, lead: str | None, field: str) -> None:
    alert_id = raise_overlap(db).alert_id
    with pytest.raises(BadInput) as caught:
        resolve_alert(operator(db), alert_id, outcome, "note", lead_agency=lead)
    assert caught.value.field == field
    assert _events(db) == 1
    assert alert_detail(operator(db), alert_id).state == AlertState.NEW


def test_a_resolution_needs_a_note(db: Database) -> None:
    alert_id = raise_overlap(db).alert_id
    with pytest.raises(BadInput) as caught:
        resolve_alert(operator(db), alert_id, AlertOutcome.NO_CONFLICT, "  ")
    assert caught.value.field == "note"


def test_resolving_twice_is_a_conflict(db: Database) -> None:
    alert_id = raise_overlap(db).alert_id
    resolve_alert(operator(db), alert_id, AlertOutcome.NO_CONFLICT, "rien")
    with pytest.raises(Conflict, match="already resolved"):
        resolve_alert(liaison(db, "OFAST"), alert_id, AlertOutcome.POSTPONED, "plus tard")
    with pytest.raises(Conflict, match="resolved"):
        acknowledge(liaison(db, "OFAST"), alert_id)
    assert [r["outcome"] for r in audit_rows(db, "alerts:alert:resolve")] == ["ok", "failed"]


def test_inbox_filters_by_state_and_pages(db: Database) -> None:
    ids = [raise_overlap(db, f"pair:{n}").alert_id for n in range(5)]
    ofast = liaison(db, "OFAST")
    acknowledge(ofast, ids[0])
    acknowledge(ofast, ids[1])
    resolve_alert(ofast, ids[2], AlertOutcome.POSTPONED, "après l'interpellation")
    assert inbox(ofast).total == 5
    assert {a.id for a in inbox(ofast, state="new").alerts} == {ids[3], ids[4]}
    assert {a.id for a in inbox(ofast, state=AlertState.ACKNOWLEDGED).alerts} == {ids[0],
                                                                                  ids[1]}
    assert [a.id for a in inbox(ofast, state="resolved").alerts] == [ids[2]]
    # DNPJ acknowledged none: its own state differs from OFAST's
    assert {a.id for a in inbox(liaison(db, "DNPJ"), state="new").alerts} == {
        ids[0], ids[1], ids[3], ids[4]}
    # the staff filters on the overall state: new until every recipient acknowledged
    assert inbox(operator(db), state="acknowledged").total == 0
    page = inbox(ofast, limit=2, offset=2)
    assert (page.total, len(page.alerts), page.next_offset) == (5, 2, 4)
    assert page.alerts[-1].id == inbox(ofast).alerts[3].id
    assert inbox(ofast).alerts[-1].id == ids[2]  # resolved last


def test_the_inbox_state_agrees_with_the_history(db: Database) -> None:
    """The inbox filters in SQL, the detail folds the events in Python: one rule."""
    ids = [raise_overlap(db, f"pair:{n}").alert_id for n in range(5)]
    acknowledge(liaison(db, "OFAST"), ids[0])
    acknowledge(liaison(db, "DNPJ"), ids[0])
    acknowledge(liaison(db, "DNPJ"), ids[1])
    resolve_alert(operator(db), ids[2], AlertOutcome.NO_CONFLICT, "rien")
    # acknowledged and resolved, then reopened: only what follows the reopening counts
    acknowledge(liaison(db, "OFAST"), ids[4])
    resolve_alert(operator(db), ids[4], AlertOutcome.NO_CONFLICT, "rien")
    raise_overlap(db, "pair:4", staff_view={"new": "evidence"})
    acknowledge(liaison(db, "DNPJ"), ids[4])
    for access in (liaison(db, "OFAST"), liaison(db, "DNPJ"), operator(db)):
        for state in AlertState:
            listed = {a.id for a in inbox(access, state=state).alerts}
            folded = {i for i in ids if alert_detail(access, i).state == state}
            assert listed == folded, (access.principal.agency, state)
    assert alert_detail(liaison(db, "OFAST"), ids[4]).state == AlertState.NEW
    assert alert_detail(liaison(db, "DNPJ"), ids[4]).state == AlertState.ACKNOWLEDGED


def test_inbox_orders_open_alerts_by_severity(db: Database) -> None:
    low = raise_overlap(db, "a", severity=AlertSeverity.LOW).alert_id
    critical = raise_overlap(db, "b", severity=AlertSeverity.CRITICAL).alert_id
    medium = raise_overlap(db, "c", severity=AlertSeverity.MEDIUM).alert_id
    assert [a.id for a in inbox(analyst(db, "OFAST")).alerts] == [critical, medium, low]


@pytest.mark.parametrize(("arguments", "field"), [
    ({"state": "lost"}, "state"), ({"limit": 0}, "limit"), ({"limit": 1000}, "limit"),
    ({"offset": -1}, "offset")])
def test_inbox_bad_input(db: Database, arguments: dict[str, object], field: str) -> None:
    with pytest.raises(BadInput) as caught:
        inbox(analyst(db, "OFAST"), **arguments)  # type: ignore[arg-type]
    assert caught.value.field == field


def test_every_read_and_decision_is_audited(db: Database) -> None:
    alert_id = raise_overlap(db).alert_id
    ofast = liaison(db, "OFAST")
    inbox(ofast)
    alert_detail(ofast, alert_id)
    acknowledge(ofast, alert_id)
    resolve_alert(ofast, alert_id, AlertOutcome.LEAD_DESIGNATED, "OFAST mène", "OFAST")
    with pytest.raises(NotFound):
        alert_detail(liaison(db, "DGGN"), alert_id)
    rows = [(r["action"], r["username"], r["objects"], r["outcome"])
            for r in audit_rows(db) if r["action"] != "alerts:alert:raise"]
    ref = f'["alert:{alert_id}"]'
    assert rows == [
        ("alerts:alert:read", "liaison.ofast", ref, "ok"),
        ("alerts:alert:read", "liaison.ofast", ref, "ok"),
        ("alerts:alert:acknowledge", "liaison.ofast", ref, "ok"),
        ("alerts:alert:resolve", "liaison.ofast", ref, "ok"),
        ("alerts:alert:read", "liaison.dggn", ref, "failed"),
    ]


def test_an_under_assessment_alert_for_one_service(db: Database) -> None:
    """The risk stage's alerts: one service, and the staff."""
    alert_id = raise_overlap(db, "person:E1", recipients=[
        Recipient("DAP", {"person": "détenu n° 4521", "your_escort_level": 2,
                          "joined_signals": 4})], severity=AlertSeverity.CRITICAL,
        staff_view={"signals": ["évasion", "menaces"]}).alert_id
    [item] = inbox(analyst(db, "DAP")).alerts
    assert (item.id, item.severity, item.disclosure) == (
        alert_id, "critical", {"person": "détenu n° 4521", "your_escort_level": 2,
                               "joined_signals": 4})
