"""`emco alert` and `emco agency webhook`, run in-process by typer's CliRunner on both
backends (the same environment handling as tests/test_cli.py)."""

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from emco.cli import app
from emco.model.enums import AlertSeverity
from emco.settings import get_settings
from emco.store import alerts as repo
from emco.store.db import Database
from tests.alerts.conftest import DNPJ_SEES, OFAST_SEES, HookServer, audit_rows, raise_overlap
from tests.alerts.conftest import hook_server as hook_server  # the fixture, reused

runner = CliRunner()


def invoke(*args: str) -> Result:
    get_settings.cache_clear()
    return runner.invoke(app, list(args))


@pytest.fixture
def store(db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Database]:
    for name in list(os.environ):
        if name.startswith("EMCO_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("EMCO_DATABASE_URL", db.url)
    monkeypatch.setenv("EMCO_DATA_DIR", str(tmp_path / "var"))
    yield db
    get_settings.cache_clear()


def test_list_shows_every_alert_to_the_staff_and_one_services_own(store: Database) -> None:
    alert_id = raise_overlap(store).alert_id
    staff = invoke("alert", "list", "--json")
    assert staff.exit_code == 0, staff.output
    [item] = json.loads(staff.stdout)["alerts"]
    assert (item["id"], item["staff_view"] is not None) == (alert_id, True)
    own = invoke("alert", "list", "--agency", "dnpj", "--json")
    [item] = json.loads(own.stdout)["alerts"]
    assert item["disclosure"] == DNPJ_SEES
    assert str(OFAST_SEES["case_ref"]) not in own.stdout
    table = invoke("alert", "list")
    assert "1 alerts." in table.stdout


def test_acknowledge_and_resolve(store: Database) -> None:
    alert_id = raise_overlap(store).alert_id
    acked = invoke("alert", "ack", str(alert_id), "--agency", "OFAST", "--note", "vu")
    assert acked.exit_code == 0, acked.output
    assert "state: acknowledged" in acked.stdout
    missing_lead = invoke("alert", "resolve", str(alert_id), "--outcome", "lead_designated",
                          "--note", "x")
    assert missing_lead.exit_code == 2
    assert "lead_agency" in missing_lead.output
    unknown = invoke("alert", "resolve", str(alert_id), "--outcome", "abandoned", "--note", "x")
    assert unknown.exit_code == 2
    done = invoke("alert", "resolve", str(alert_id), "--outcome", "lead_designated",
                  "--lead", "DNPJ", "--note", "la DNPJ mène", "--json")
    assert done.exit_code == 0, done.output
    assert json.loads(done.stdout)["resolution"]["lead_agency"] == "DNPJ"
    again = invoke("alert", "resolve", str(alert_id), "--outcome", "no_conflict", "--note", "x")
    assert (again.exit_code, "already resolved" in again.output) == (2, True)
    shown = invoke("alert", "show", str(alert_id))
    assert "resolved by EMCO: lead_designated, lead DNPJ" in shown.stdout


def test_a_service_cannot_see_another_services_alert(store: Database) -> None:
    alert_id = raise_overlap(store).alert_id
    result = invoke("alert", "show", str(alert_id), "--agency", "DGGN")
    assert result.exit_code == 2
    assert "no such alert" in result.output


def test_webhook_set_deliver_and_escalate(store: Database, hook_server: HookServer) -> None:
    generated = invoke("agency", "webhook", "set", "ofast", hook_server.url())
    assert generated.exit_code == 0, generated.output
    assert "Secret (give it to the service" in generated.stdout
    bad = invoke("agency", "webhook", "set", "OFAST", "ftp://x.example/")
    assert (bad.exit_code, "http:// or https://" in bad.output) == (2, True)
    raise_overlap(store, severity=AlertSeverity.CRITICAL,
                  now=datetime.now(UTC) - timedelta(hours=3))
    delivered = invoke("alert", "deliver", "--json")
    assert json.loads(delivered.stdout)["sent"]
    assert [r.headers["x-emco-event"] for r in hook_server.received] == ["raised"]
    escalated = invoke("alert", "escalate", "--json")
    assert sorted(e["agency"] for e in json.loads(escalated.stdout)) == ["DNPJ", "OFAST"]
    assert invoke("alert", "escalate", "--json").stdout.strip() == "[]"
    removed = invoke("agency", "webhook", "remove", "OFAST")
    assert removed.exit_code == 0
    assert invoke("agency", "webhook", "remove", "OFAST").exit_code == 2
    with store.read() as conn:
        assert repo.webhook(conn, "OFAST") is None
    assert {r["username"].split(":")[0] for r in audit_rows(store, "alerts:webhook")} == {"cli"}
