"""The alerts repository: one alert per (kind, key) even when two transactions race, and
a delivery claimed by one worker only."""

from datetime import timedelta

from emco.model.enums import AlertAction
from emco.store import alerts as repo
from emco.store.db import Database
from tests.alerts.conftest import utc

T0 = utc(2026, 3, 2, 9, 0)


def _create(db: Database, key: str = "k") -> int | None:
    with db.write() as conn:
        return repo.create(conn, kind="target_overlap", key=key, severity="high", title="t",
                           staff_view="{}", now=T0)


def test_a_second_alert_of_the_same_key_is_not_created(db: Database) -> None:
    first = _create(db)
    assert first is not None
    assert _create(db) is None  # the unique (kind, key) holds; the caller reads it instead
    with db.read() as conn:
        found = repo.find(conn, "target_overlap", "k")
    assert found is not None
    assert (found.id, found.created_at) == (first, T0)


def test_a_delivery_is_claimed_once(db: Database) -> None:
    alert_id = _create(db)
    assert alert_id is not None
    with db.write() as conn:
        repo.queue_delivery(conn, alert_id, "OFAST", AlertAction.RAISED, "{}", T0)
        [due] = repo.due(conn, T0, 10)
    with db.write() as conn:
        assert repo.claim(conn, due, T0 + timedelta(minutes=2))
    with db.write() as conn:  # a second worker holding the row it read before
        assert not repo.claim(conn, due, T0 + timedelta(minutes=2))
        assert repo.due(conn, T0 + timedelta(minutes=1), 10) == []  # leased meanwhile
        assert [d.id for d in repo.due(conn, T0 + timedelta(minutes=2), 10)] == [due.id]


def test_overdue_leaves_out_the_exempt_and_the_answered(db: Database) -> None:
    alert_id = _create(db)
    assert alert_id is not None
    with db.write() as conn:
        for agency in ("OFAST", "DNPJ", "EMCO"):
            repo.add_recipient(conn, alert_id, agency, "{}", T0 + timedelta(hours=1), T0)
        repo.add_event(conn, alert_id, AlertAction.RAISED, "x", T0)
        repo.add_event(conn, alert_id, AlertAction.ACKNOWLEDGED, "x", T0, agency="OFAST")
    with db.read() as conn:
        assert repo.overdue(conn, T0, ["EMCO"]) == []
        assert repo.overdue(conn, T0 + timedelta(hours=1), ["EMCO"]) == [(alert_id, "DNPJ")]
