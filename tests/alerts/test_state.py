"""The state of an alert is a pure function of its history."""

from datetime import timedelta

from emco.alerts.state import fold
from emco.model.enums import AlertAction, AlertState
from emco.store.alerts import EventRow
from tests.alerts.conftest import utc

T0 = utc(2026, 3, 2, 9, 0)


def _event(n: int, action: AlertAction, agency: str | None = None) -> EventRow:
    return EventRow(id=n, alert_id=1, agency=agency, action=action.value, outcome=None,
                    lead_agency=None, author="x", note=None, detail=None,
                    at=T0 + timedelta(minutes=n))


def test_acknowledgements_count_per_recipient() -> None:
    status = fold([_event(1, AlertAction.RAISED),
                   _event(2, AlertAction.ACKNOWLEDGED, "OFAST")])
    assert status.state_of("OFAST") == AlertState.ACKNOWLEDGED
    assert status.state_of("DNPJ") == AlertState.NEW
    assert status.overall(["OFAST", "DNPJ"]) == AlertState.NEW
    assert status.overall(["OFAST"]) == AlertState.ACKNOWLEDGED


def test_the_first_acknowledgement_and_escalation_stand() -> None:
    status = fold([_event(1, AlertAction.RAISED), _event(2, AlertAction.ESCALATED, "DNPJ"),
                   _event(3, AlertAction.ACKNOWLEDGED, "DNPJ"),
                   _event(4, AlertAction.ACKNOWLEDGED, "DNPJ")])
    assert status.acknowledged["DNPJ"].id == 3
    assert status.escalated["DNPJ"].id == 2


def test_resolution_then_reopening_starts_afresh() -> None:
    history = [_event(1, AlertAction.RAISED), _event(2, AlertAction.ACKNOWLEDGED, "OFAST"),
               _event(3, AlertAction.ESCALATED, "DNPJ"), _event(4, AlertAction.RESOLVED)]
    resolved = fold(history)
    assert resolved.resolved
    assert resolved.state_of("DNPJ") == AlertState.RESOLVED
    assert resolved.overall(["OFAST", "DNPJ"]) == AlertState.RESOLVED
    reopened = fold([*history, _event(5, AlertAction.REOPENED)])
    assert not reopened.resolved
    assert reopened.acknowledged == {}
    assert reopened.escalated == {}
    assert reopened.opened_at == T0 + timedelta(minutes=5)


def test_updates_change_no_state() -> None:
    status = fold([_event(1, AlertAction.RAISED), _event(2, AlertAction.ACKNOWLEDGED, "OFAST"),
                   _event(3, AlertAction.UPDATED, "OFAST"), _event(4, AlertAction.UPDATED)])
    assert status.state_of("OFAST") == AlertState.ACKNOWLEDGED
