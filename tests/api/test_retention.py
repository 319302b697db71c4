"""`POST /api/v1/retention/run`, the twin of `emco retention run` (both backends): a dry
run by default that changes nothing, a run that purges when asked and answers the
command's summary, audited; refused without `admin:retention:run`, and a bad body
answered 422 naming the field. Records come in through ingestion (tests/test_retention.py
tests the rules themselves)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from emco.model.enums import Role
from emco.settings import Settings
from emco.store import tables as t
from emco.store.db import Database
from tests import factories
from tests.web.conftest import PASSWORD, login

ADMIN, OPERATOR = "adm.emco", "op.emco"
PAST, FUTURE = "2020-01-01", "2090-01-01"
SUMMARY = {"today", "dry_run", "purged", "reviews_created", "audit_rows_purged",
           "audit_through_seq", "entities_changed", "seconds", "purged_records"}


@pytest.fixture
def expired(db: Database, settings: Settings, tmp_path: Path,
            seeded: Callable[..., dict[str, int]]) -> dict[str, int]:
    """OFAST's records: one past its date, one not; the accounts."""
    return seeded("expired", lambda: _expired(db, settings, tmp_path))


def _expired(db: Database, settings: Settings, tmp_path: Path) -> dict[str, int]:
    path = factories.write_jsonl(tmp_path / "ofast.jsonl", [
        factories.entity("old", "Person", meta={"retention": PAST}, name="Karim BENALI"),
        factories.entity("new", "Person", meta={"retention": FUTURE}, name="Jean DUPONT")])
    assert factories.load(db, settings, path, agency="OFAST").accepted == 2
    factories.user(db, ADMIN, "EMCO", Role.ADMIN, password=PASSWORD)
    factories.user(db, OPERATOR, "EMCO", Role.OPERATOR, password=PASSWORD)
    with db.read() as conn:
        return {s: int(i) for i, s in conn.execute(sa.select(t.records.c.id,
                                                             t.records.c.source_id))}


def _records(db: Database) -> set[str]:
    with db.read() as conn:
        return {s for (s,) in conn.execute(sa.select(t.records.c.source_id))}


def _runs(db: Database) -> list[dict[str, Any]]:
    """The audit rows of runs (not of their batches: "1 purged, 0 put up for review")."""
    with db.read() as conn:
        return [dict(r) for r in conn.execute(sa.select(t.audit_events).where(
            t.audit_events.c.action == "retention:batch:run",
            t.audit_events.c.detail.not_like("% purged, % put up for review")).order_by(
            t.audit_events.c.seq)).mappings()]


def _post(client: TestClient, body: Any = None, status: int = 200,
          **kwargs: Any) -> Any:
    response = client.post("/api/v1/retention/run", json=body, **kwargs)
    assert response.status_code == status, response.text
    return response.json()


def test_a_run_is_a_dry_run_unless_asked_to_purge(client: TestClient, db: Database,
                                                 expired: dict[str, int]) -> None:
    with db.write() as conn:  # one person: the staff's operator recomputes it after
        conn.execute(sa.insert(t.record_entities), [
            {"record_id": expired["old"], "entity_id": "E00000001"},
            {"record_id": expired["new"], "entity_id": "E00000001"}])
    login(client, ADMIN)
    for body in (None, {}, {"dry_run": True}):
        dry = _post(client, body)
        assert set(dry) == SUMMARY
        assert (dry["dry_run"], dry["purged"], dry["purged_records"]) == (
            True, 1, ["OFAST:old"])
        assert dry["today"] == datetime.now(UTC).date().isoformat()
    assert _records(db) == {"old", "new"}
    done = _post(client, {"dry_run": False})
    assert (done["dry_run"], done["purged"], done["purged_records"]) == (
        False, 1, ["OFAST:old"])
    assert _records(db) == {"new"}
    assert done["entities_changed"] >= 1
    with db.read() as conn:  # as the command does, on behalf of who ran it
        followed = conn.execute(sa.select(t.audit_events.c.username).where(
            t.audit_events.c.action == "resolve:batch:run")).scalars().all()
    assert followed == [f"retention:{ADMIN}"]
    assert _post(client, {"dry_run": False})["purged"] == 0
    runs = _runs(db)
    assert [(r["username"], r["outcome"], r["result_count"]) for r in runs] == [
        (ADMIN, "ok", 1)] * 4 + [(ADMIN, "ok", 0)]
    assert '"dry_run": false' in runs[3]["detail"]


def test_a_run_as_of_another_day(client: TestClient, db: Database,
                                 expired: dict[str, int]) -> None:
    login(client, ADMIN)
    before = _post(client, {"as_of": "2019-12-31", "dry_run": False})
    assert (before["today"], before["purged"]) == ("2019-12-31", 0)  # not yet past
    later = (datetime.now(UTC).date() + timedelta(days=365 * 80)).isoformat()
    preview = _post(client, {"as_of": later})  # a dry run may look ahead...
    assert (preview["today"], preview["purged"]) == (later, 2)
    refused = _post(client, {"as_of": later, "dry_run": False}, 400)  # ...a purge may not
    assert refused["field"] == "as_of"
    assert _records(db) == {"old", "new"}


def test_only_an_administrator_runs_it(client: TestClient, db: Database,
                                       expired: dict[str, int]) -> None:
    assert _post(client, {"dry_run": False}, 401)["error"] == "Unauthenticated"
    login(client, OPERATOR)
    refused = _post(client, {"dry_run": False}, 403)
    assert "admin:retention:run" in refused["message"]
    assert _records(db) == {"old", "new"}
    [denied] = _runs(db)
    assert (denied["username"], denied["outcome"]) == (OPERATOR, "denied")


@pytest.mark.parametrize(("body", "field", "words"), [
    ({"dry_run": "no"}, "dry_run", "true or false"),
    ({"dry_run": 0}, "dry_run", "true or false"),
    ({"as_of": "31/12/2026"}, "as_of", "a date such as"),
    ({"as_of": "2026-02-30"}, "as_of", "a date such as"),
    ({"dryrun": False}, "dryrun", "not a field"),
    ([], None, "a JSON object"),
])
def test_a_bad_body_is_named(client: TestClient, db: Database, expired: dict[str, int],
                             body: Any, field: str | None, words: str) -> None:
    login(client, ADMIN)
    refused = _post(client, body, 422)
    assert refused["field"] == field, refused
    assert words in refused["message"], refused
    assert _records(db) == {"old", "new"}
    assert _runs(db) == []


def test_a_body_that_is_not_json_is_named(client: TestClient, expired: dict[str, int]
                                          ) -> None:
    login(client, ADMIN)
    refused = _post(client, None, 422, content=b'{"dry_run": fals',
                    headers={"content-type": "application/json"})
    assert (refused["field"], refused["message"]) == (None, "request is not valid JSON")
