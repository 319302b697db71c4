"""Raising: one alert per (kind, key), new evidence as UPDATED events, reopening only on new
evidence, webhook deliveries queued in the raiser's transaction, bad input refused whole."""

import json

import pytest
import sqlalchemy as sa

from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.alerts.service import (
    Recipient,
    acknowledge,
    alert_detail,
    raise_alert,
    resolve_alert,
    set_webhook,
)
from emco.errors import BadInput
from emco.model.enums import (
    AlertAction,
    AlertKind,
    AlertOutcome,
    AlertSeverity,
    AlertState,
    AuditAction,
    Permission,
    Role,
)
from emco.store import alerts as repo
from emco.store.db import Database
from emco.store.tables import alert_deliveries, alert_events, alert_recipients, alerts
from tests.alerts.conftest import (
    DNPJ_SEES,
    OFAST_SEES,
    STAFF_VIEW,
    audit_rows,
    liaison,
    operator,
    overlap_recipients,
    raise_overlap,
    utc,
)
from tests.factories import principal


def _count(db: Database, table: sa.Table) -> int:
    with db.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _actions(db: Database, alert_id: int) -> list[tuple[str, str | None]]:
    with db.read() as conn:
        return [(e.action, e.agency) for e in repo.events(conn, [alert_id])[alert_id]]


def test_raising_twice_gives_one_alert(db: Database) -> None:
    first = raise_overlap(db)
    again = raise_overlap(db)
    assert first.created
    assert not first.updated
    assert (again.alert_id, again.created, again.updated) == (first.alert_id, False, False)
    assert _count(db, alerts) == 1
    assert _count(db, alert_recipients) == 2
    assert _actions(db, first.alert_id) == [("raised", None)]


def test_the_same_key_of_another_kind_is_another_alert(db: Database) -> None:
    a = raise_overlap(db, "pair:1")
    b = raise_overlap(db, "pair:1", kind=AlertKind.OPERATION_CONFLICT)
    assert a.alert_id != b.alert_id


def test_a_new_recipient_is_added_with_an_updated_event(db: Database) -> None:
    first = raise_overlap(db)
    third = {"other_service": "OFAST", "contact": "x", "case_ref": "OFAST-2026-042",
             "matched": {"plate": "AB123CD"}}
    again = raise_overlap(db, recipients=[*overlap_recipients(), Recipient("DGGN", third)])
    assert (again.alert_id, again.created, again.updated) == (first.alert_id, False, True)
    assert _actions(db, first.alert_id) == [("raised", None), ("updated", "DGGN")]
    dggn = alert_detail(liaison(db, "DGGN"), first.alert_id)
    assert dggn.disclosure == third
    assert dggn.state == AlertState.NEW


def test_a_recipient_left_out_later_stays_a_recipient(db: Database) -> None:
    first = raise_overlap(db)
    again = raise_overlap(db, recipients=[Recipient("OFAST", OFAST_SEES)])
    assert not again.updated
    assert alert_detail(liaison(db, "DNPJ"), first.alert_id).disclosure == DNPJ_SEES


def test_a_changed_disclosure_updates_that_recipient_only(db: Database) -> None:
    first = raise_overlap(db)
    more = {**DNPJ_SEES, "matched": {"record": "d-dupont", "phone": "+33612345678"}}
    again = raise_overlap(db, recipients=[Recipient("OFAST", OFAST_SEES),
                                          Recipient("DNPJ", more)])
    assert again.updated
    assert _actions(db, first.alert_id)[-1] == ("updated", "DNPJ")
    assert alert_detail(liaison(db, "DNPJ"), first.alert_id).disclosure == more
    ofast = alert_detail(liaison(db, "OFAST"), first.alert_id)
    assert ofast.disclosure == OFAST_SEES
    assert [h.action for h in ofast.history] == ["raised"]  # DNPJ's update is DNPJ's


def test_new_evidence_for_the_staff_updates_the_alert(db: Database) -> None:
    first = raise_overlap(db)
    view = {**STAFF_VIEW, "target": {"entity": "E000123", "phone": "+33612345678",
                                     "plate": "AB123CD"}}
    again = raise_overlap(db, staff_view=view)
    assert again.updated
    staff = alert_detail(operator(db), first.alert_id)
    assert staff.staff_view == view
    assert staff.history[-1].action == "updated"
    assert staff.history[-1].detail == {"changed": ["staff_view"]}
    # the recipients' own views did not change, and they do not see the staff's update
    assert [h.action for h in alert_detail(liaison(db, "OFAST"), first.alert_id).history] \
        == ["raised"]


def test_key_order_in_a_disclosure_does_not_count_as_a_change(db: Database) -> None:
    raise_overlap(db)
    shuffled = dict(reversed(list(OFAST_SEES.items())))
    again = raise_overlap(db, recipients=[Recipient("OFAST", shuffled),
                                          Recipient("DNPJ", DNPJ_SEES)])
    assert not again.updated


def test_a_higher_severity_brings_unacknowledged_deadlines_closer(db: Database) -> None:
    t0 = utc(2026, 3, 2, 9, 0)
    first = raise_overlap(db, severity=AlertSeverity.LOW, now=t0)
    with db.read() as conn:
        before = {r.agency: r.deadline for r in repo.recipients(conn, [first.alert_id])
                  [first.alert_id]}
    assert before["OFAST"] == utc(2026, 3, 9, 9, 0)  # a week
    raise_overlap(db, severity=AlertSeverity.CRITICAL, now=utc(2026, 3, 2, 10, 0))
    with db.read() as conn:
        after = {r.agency: r.deadline for r in repo.recipients(conn, [first.alert_id])
                 [first.alert_id]}
    assert after == {"OFAST": utc(2026, 3, 2, 12, 0), "DNPJ": utc(2026, 3, 2, 12, 0)}
    raise_overlap(db, severity=AlertSeverity.LOW, now=utc(2026, 3, 2, 11, 0))
    with db.read() as conn:  # less urgent again: deadlines are never pushed back
        assert {r.agency: r.deadline for r in repo.recipients(conn, [first.alert_id])
                [first.alert_id]} == after


def test_a_resolved_alert_raised_again_with_the_same_evidence_stays_resolved(
        db: Database) -> None:
    first = raise_overlap(db)
    resolve_alert(operator(db), first.alert_id, AlertOutcome.NO_CONFLICT, "vu avec les deux")
    again = raise_overlap(db)
    assert (again.created, again.updated) == (False, False)
    assert alert_detail(operator(db), first.alert_id).state == AlertState.RESOLVED
    # nor do new recipients or disclosures alone reopen it
    again = raise_overlap(db, recipients=[*overlap_recipients(), Recipient("DGGN", {})])
    assert not again.updated
    assert alert_detail(operator(db), first.alert_id).state == AlertState.RESOLVED


def test_a_resolved_alert_reopens_on_new_evidence(db: Database) -> None:
    first = raise_overlap(db, now=utc(2026, 3, 2, 9, 0))
    ofast = liaison(db, "OFAST")
    acknowledge(ofast, first.alert_id)
    resolve_alert(ofast, first.alert_id, AlertOutcome.JOINT_OPERATION, "opération commune")
    view = {**STAFF_VIEW, "target": {"entity": "E000999"}}
    again = raise_overlap(db, staff_view=view, now=utc(2026, 3, 5, 9, 0))
    assert (again.alert_id, again.created, again.updated) == (first.alert_id, False, True)
    seen = alert_detail(ofast, first.alert_id)
    assert seen.state == AlertState.NEW  # acknowledge again
    assert seen.resolution is None
    assert seen.deadline == utc(2026, 3, 6, 9, 0)  # a new deadline from the reopening
    assert [h.action for h in seen.history] == ["raised", "acknowledged", "resolved",
                                                "reopened"]


def test_raising_queues_one_delivery_per_recipient_with_a_webhook(db: Database) -> None:
    set_webhook(liaison(db, "OFAST"), "OFAST", "https://ofast.example/hook", "s" * 32)
    first = raise_overlap(db)
    with db.read() as conn:
        queued = repo.deliveries(conn, first.alert_id)
    assert [(d.agency, d.event, d.status) for d in queued] == [("OFAST", "raised", "pending")]
    sent = json.loads(queued[0].body)
    assert sent["alert"]["disclosure"] == OFAST_SEES
    assert "DNPJ-2026-117" in queued[0].body
    assert "OFAST-2026-042" not in queued[0].body
    assert "staff_view" not in sent["alert"]


def test_everything_rolls_back_with_the_raisers_transaction(db: Database) -> None:
    set_webhook(liaison(db, "OFAST"), "OFAST", "https://ofast.example/hook", "s" * 32)
    access = Access(db, principal("OFAST", Role.LIAISON))

    def register_then_fail() -> None:
        event = AuditEvent(AuditAction.INVESTIGATION_WRITE)
        with access.writing(Permission.INVESTIGATION_WRITE, event) as p:
            raise_alert(p.conn, kind=AlertKind.TARGET_OVERLAP, key="k",
                        severity=AlertSeverity.HIGH, title="t",
                        recipients=overlap_recipients(), staff_view={}, author="x")
            raise RuntimeError("the registration failed after the alert was raised")

    with pytest.raises(RuntimeError):
        register_then_fail()
    for table in (alerts, alert_recipients, alert_events, alert_deliveries):
        assert _count(db, table) == 0
    assert not audit_rows(db, "alerts:alert:raise")


def test_raising_is_audited_when_something_changed(db: Database) -> None:
    first = raise_overlap(db)
    raise_overlap(db)  # nothing new: no row
    raise_overlap(db, staff_view={"more": True})
    rows = audit_rows(db, "alerts:alert:raise")
    assert [(r["username"], r["objects"]) for r in rows] == [
        ("liaison.ofast", f'["alert:{first.alert_id}"]')] * 2
    assert rows[0]["detail"].startswith("raised: target_overlap")
    assert rows[1]["detail"].startswith("updated: target_overlap")


@pytest.mark.parametrize(("change", "field"), [
    ({"recipients": []}, "recipients"),
    ({"recipients": [Recipient("NOPE", {})]}, "recipients"),
    ({"recipients": [Recipient("OFAST", {}), Recipient("ofast", {})]}, "recipients"),
    ({"recipients": [Recipient("OFAST", {"when": object()})]}, "disclosure"),
    ({"recipients": [Recipient("OFAST", ["not", "an", "object"])]}, "disclosure"),  # type: ignore[arg-type]
    ({"staff_view": {"x": float("nan")}}, "staff_view"),
    ({"key": "  "}, "key"),
    ({"key": "k" * 201}, "key"),
    ({"title": ""}, "title"),
    ({"severity": "urgent"}, "severity"),
    ({"kind": "gossip"}, "kind"),
])
def test_bad_input_names_the_field_and_writes_nothing(db: Database, change: dict[str, object],
                                                      field: str) -> None:
    arguments: dict[str, object] = {
        "kind": AlertKind.TARGET_OVERLAP, "key": "k", "severity": AlertSeverity.HIGH,
        "title": "t", "recipients": overlap_recipients(), "staff_view": {}, "author": "x"}
    arguments.update(change)
    access = Access(db, principal("OFAST", Role.LIAISON))
    with pytest.raises(BadInput) as caught, access.writing(
            Permission.INVESTIGATION_WRITE, AuditEvent(AuditAction.INVESTIGATION_WRITE)) as p:
        raise_alert(p.conn, **arguments)  # type: ignore[arg-type]
    assert caught.value.field == field
    assert _count(db, alerts) == 0


def test_without_a_principal_the_audit_row_names_the_author(db: Database) -> None:
    access = Access(db, principal("OFAST", Role.LIAISON))
    with access.writing(Permission.INVESTIGATION_WRITE,
                        AuditEvent(AuditAction.INVESTIGATION_WRITE)) as p:
        raise_alert(p.conn, kind=AlertKind.UNDER_ASSESSMENT, key="person:E1",
                    severity=AlertSeverity.MEDIUM, title="t",
                    recipients=[Recipient("DAP", {"escort": "low"})], staff_view={},
                    author="risk")
    [row] = audit_rows(db, "alerts:alert:raise")
    assert (row["username"], row["agency_code"]) == ("risk", "-")


def test_events_record_who_raised(db: Database) -> None:
    first = raise_overlap(db)
    with db.read() as conn:
        [event] = repo.events(conn, [first.alert_id])[first.alert_id]
    assert (event.action, event.author) == (AlertAction.RAISED, "deconflict")
    assert event.detail == {"recipients": ["DNPJ", "OFAST"]}
