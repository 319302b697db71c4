"""Deadlines per severity and escalation to the staff, at fixed times."""

from datetime import timedelta

import pytest

from emco.alerts.service import (
    Recipient,
    acknowledge,
    alert_detail,
    escalate_overdue,
    inbox,
    resolve_alert,
    set_webhook,
)
from emco.errors import Forbidden
from emco.model.enums import AlertOutcome, AlertSeverity, AlertState
from emco.settings import get_settings
from emco.store import alerts as repo
from emco.store.db import Database
from tests.alerts.conftest import (
    DNPJ_SEES,
    OFAST_SEES,
    STAFF_VIEW,
    analyst,
    audit_rows,
    liaison,
    operator,
    raise_overlap,
    utc,
)

T0 = utc(2026, 3, 2, 9, 0)


@pytest.mark.parametrize(("severity", "hours"), [
    (AlertSeverity.CRITICAL, 2), (AlertSeverity.HIGH, 24), (AlertSeverity.MEDIUM, 72),
    (AlertSeverity.LOW, 168)])
def test_deadline_per_severity(db: Database, severity: AlertSeverity, hours: int) -> None:
    alert_id = raise_overlap(db, severity=severity, now=T0).alert_id
    due = T0 + timedelta(hours=hours)
    assert alert_detail(analyst(db, "OFAST"), alert_id).deadline == due
    assert escalate_overdue(db, now=due - timedelta(seconds=1)) == []
    late = escalate_overdue(db, now=due)
    assert sorted((e.alert_id, e.agency, e.told) for e in late) == [
        (alert_id, "DNPJ", ("EMCO",)), (alert_id, "OFAST", ("EMCO",))]


def test_deadline_settings_are_read(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMCO_ALERT_DEADLINE_CRITICAL_HOURS", "1")
    get_settings.cache_clear()
    try:
        alert_id = raise_overlap(db, severity=AlertSeverity.CRITICAL, now=T0).alert_id
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert alert_detail(analyst(db, "OFAST"), alert_id).deadline == T0 + timedelta(hours=1)


def test_only_the_late_recipient_is_escalated_and_only_once(db: Database) -> None:
    alert_id = raise_overlap(db, severity=AlertSeverity.CRITICAL, now=T0).alert_id
    acknowledge(liaison(db, "OFAST"), alert_id)
    late = escalate_overdue(db, now=T0 + timedelta(hours=3))
    assert [(e.agency, e.deadline) for e in late] == [("DNPJ", T0 + timedelta(hours=2))]
    assert escalate_overdue(db, now=T0 + timedelta(hours=4)) == []  # once per recipient
    staff = alert_detail(operator(db), alert_id)
    assert [r.agency for r in staff.recipients] == ["DNPJ", "OFAST", "EMCO"]
    emco = staff.recipients[-1]
    assert emco.disclosure == {"overdue": ["DNPJ"]}
    assert emco.deadline == T0 + timedelta(hours=5)  # its own, from the escalation
    assert staff.history[-1].action == "escalated"
    assert staff.history[-1].agency == "DNPJ"
    # the staff is never escalated to itself
    assert escalate_overdue(db, now=T0 + timedelta(days=30)) == []


def test_the_late_recipient_sees_its_own_escalation_only(db: Database) -> None:
    alert_id = raise_overlap(db, severity=AlertSeverity.CRITICAL, now=T0).alert_id
    escalate_overdue(db, now=T0 + timedelta(hours=3))
    dnpj = alert_detail(analyst(db, "DNPJ"), alert_id)
    assert [(h.action, h.agency) for h in dnpj.history] == [("raised", None),
                                                            ("escalated", "DNPJ")]
    assert dnpj.escalated_at == T0 + timedelta(hours=3)
    assert dnpj.disclosure == DNPJ_SEES  # not the staff's list of late services


def test_the_staffs_own_service_receives_the_escalated_alert(db: Database) -> None:
    alert_id = raise_overlap(db, severity=AlertSeverity.HIGH, now=T0).alert_id
    staff_member = analyst(db, "EMCO")  # of the staff's service, not an operator
    assert inbox(staff_member).total == 0
    escalate_overdue(db, now=T0 + timedelta(days=2))
    [item] = inbox(staff_member).alerts
    assert item.id == alert_id
    assert item.disclosure == {"overdue": ["DNPJ", "OFAST"]}
    assert item.staff_view is None  # the whole picture is for operators
    acknowledge(operator(db), alert_id)  # now a recipient, the staff acknowledges
    assert {r.agency: r.state for r in alert_detail(operator(db), alert_id).recipients}[
        "EMCO"] == AlertState.ACKNOWLEDGED


def test_resolved_alerts_are_not_escalated(db: Database) -> None:
    alert_id = raise_overlap(db, severity=AlertSeverity.CRITICAL, now=T0).alert_id
    resolve_alert(operator(db), alert_id, AlertOutcome.NO_CONFLICT, "aucun conflit")
    assert escalate_overdue(db, now=T0 + timedelta(days=1)) == []


def test_a_reopened_alert_can_be_escalated_again(db: Database) -> None:
    alert_id = raise_overlap(db, severity=AlertSeverity.CRITICAL, now=T0).alert_id
    assert len(escalate_overdue(db, now=T0 + timedelta(hours=3))) == 2
    resolve_alert(operator(db), alert_id, AlertOutcome.POSTPONED, "reporté")
    reopened_at = T0 + timedelta(days=1)
    raise_overlap(db, severity=AlertSeverity.CRITICAL, now=reopened_at,
                  staff_view={**STAFF_VIEW, "new": True})
    assert escalate_overdue(db, now=reopened_at + timedelta(hours=1)) == []
    again = escalate_overdue(db, now=reopened_at + timedelta(hours=2))
    assert sorted(e.agency for e in again) == ["DNPJ", "OFAST"]


def test_overdue_is_shown_to_the_late_recipient(db: Database) -> None:
    alert_id = raise_overlap(db, severity=AlertSeverity.CRITICAL,
                             now=utc(2020, 1, 1, 0, 0)).alert_id
    [item] = inbox(analyst(db, "OFAST")).alerts
    assert item.overdue
    acknowledge(liaison(db, "OFAST"), alert_id)
    assert not alert_detail(analyst(db, "OFAST"), alert_id).overdue
    staff = alert_detail(operator(db), alert_id)
    assert {r.agency: r.overdue for r in staff.recipients} == {"OFAST": False, "DNPJ": True}


def test_escalation_is_audited_per_alert(db: Database) -> None:
    first = raise_overlap(db, "a", severity=AlertSeverity.CRITICAL, now=T0).alert_id
    second = raise_overlap(db, "b", severity=AlertSeverity.CRITICAL, now=T0).alert_id
    escalate_overdue(db, now=T0 + timedelta(hours=3))
    rows = audit_rows(db, "alerts:alert:escalate")
    assert [(r["objects"], r["username"], r["agency_code"], r["result_count"]) for r in rows] \
        == [(f'["alert:{first}"]', "system:alerts", "EMCO", 2),
            (f'["alert:{second}"]', "system:alerts", "EMCO", 2)]
    assert rows[0]["detail"] == "overdue: DNPJ, OFAST; told: EMCO"


def test_an_operator_may_escalate_a_service_may_not(db: Database) -> None:
    raise_overlap(db, severity=AlertSeverity.CRITICAL, now=T0)
    with pytest.raises(Forbidden):
        escalate_overdue(liaison(db, "OFAST"), now=T0 + timedelta(hours=3))
    assert [r["outcome"] for r in audit_rows(db, "alerts:alert:escalate")] == ["denied"]
    done = escalate_overdue(operator(db), now=T0 + timedelta(hours=3))
    assert len(done) == 2
    assert audit_rows(db, "alerts:alert:escalate")[-1]["username"] == "op.emco"


def test_escalation_is_sent_to_the_staff_and_to_the_late_service(db: Database) -> None:
    set_webhook(operator(db), "EMCO", "https://emco.example/hook", "e" * 32)
    set_webhook(liaison(db, "OFAST"), "OFAST", "https://ofast.example/hook", "o" * 32)
    set_webhook(liaison(db, "DNPJ"), "DNPJ", "https://dnpj.example/hook", "d" * 32)
    alert_id = raise_overlap(db, severity=AlertSeverity.CRITICAL, now=T0).alert_id
    acknowledge(liaison(db, "DNPJ"), alert_id)
    escalate_overdue(db, now=T0 + timedelta(hours=3))
    with db.read() as conn:
        queued = [d for d in repo.deliveries(conn, alert_id) if d.event == "escalated"]
    by_agency = {d.agency: d.body for d in queued}
    assert sorted(by_agency) == ["EMCO", "OFAST"]
    assert '"overdue": ["OFAST"]' in by_agency["OFAST"]
    assert '"staff_view"' in by_agency["EMCO"]  # the staff's endpoint gets its view
    assert '"staff_view"' not in by_agency["OFAST"]
    assert OFAST_SEES["case_ref"] in by_agency["OFAST"]


def test_a_staff_recipient_keeps_what_it_was_told(db: Database) -> None:
    alert_id = raise_overlap(db, severity=AlertSeverity.CRITICAL, now=T0, recipients=[
        Recipient("DAP", {"detainee": "n° 4521"}),
        Recipient("EMCO", {"signals": 4})]).alert_id
    escalate_overdue(db, now=T0 + timedelta(hours=3))
    staff = {r.agency: r.disclosure for r in alert_detail(operator(db), alert_id).recipients}
    assert staff == {"DAP": {"detainee": "n° 4521"},
                     "EMCO": {"signals": 4, "overdue": ["DAP"]}}
