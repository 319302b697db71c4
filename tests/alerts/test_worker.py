"""The background worker: one pass delivers and escalates; the thread starts and stops
cleanly, and the web app runs it for its lifetime."""

import time
from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from emco.alerts.service import AlertWorker, alert_detail, set_webhook
from emco.model.enums import AlertSeverity
from emco.settings import Settings
from emco.store import alerts as repo
from emco.store.db import Database
from emco.web.app import create_app
from tests.alerts.conftest import HookServer, liaison, operator, raise_overlap


def test_one_pass_delivers_and_escalates(db: Database, hook_server: HookServer) -> None:
    set_webhook(liaison(db, "OFAST"), "OFAST", hook_server.url(), "s" * 20)
    alert_id = raise_overlap(db, severity=AlertSeverity.CRITICAL,
                             now=datetime.now(UTC) - timedelta(hours=3)).alert_id
    AlertWorker(db, interval=60).run_once()
    assert [r.headers["x-emco-event"] for r in hook_server.received] == ["raised"]
    escalated = alert_detail(operator(db), alert_id)
    assert {r.agency for r in escalated.recipients} == {"OFAST", "DNPJ", "EMCO"}
    with db.read() as conn:  # the escalation is queued for the next pass
        assert [d.event for d in repo.deliveries(conn) if d.status == "pending"] == [
            "escalated"]


def test_the_thread_runs_every_interval_and_stops(db: Database,
                                                  hook_server: HookServer) -> None:
    set_webhook(liaison(db, "OFAST"), "OFAST", hook_server.url(), "s" * 20)
    worker = AlertWorker(db, interval=0.05)
    worker.start()
    try:
        raise_overlap(db)
        deadline = time.monotonic() + 10
        while not hook_server.received:
            assert time.monotonic() < deadline, "the worker sent nothing"
            time.sleep(0.02)
    finally:
        worker.stop(timeout=5)
    assert not worker.running


def test_the_app_runs_the_worker_for_its_lifetime(db: Database, settings: Settings,
                                                  hook_server: HookServer) -> None:
    set_webhook(liaison(db, "OFAST"), "OFAST", hook_server.url(), "s" * 20)
    app = create_app(settings.model_copy(update={"alert_worker_seconds": 1}), db)
    with TestClient(app) as client:
        worker = app.state.alert_worker
        assert worker.running
        raise_overlap(db)
        deadline = time.monotonic() + 10
        while not hook_server.received:
            assert time.monotonic() < deadline, "the worker sent nothing"
            assert client.get("/login").status_code == 200  # requests are served meanwhile
            time.sleep(0.05)
    assert not worker.running


def test_no_worker_when_turned_off(db: Database, settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"alert_worker_seconds": 0}), db)
    with TestClient(app):
        assert app.state.alert_worker is None
