"""The audit log for auditors: filters checked field by field, searches newest first and
paged, exports that an outside party re-verifies with hashlib and json alone, every
search and export audited, and refusals audited (both backends). The `emco audit search`
and `export` commands run in-process on the same data."""

import csv
import hashlib
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from emco.access import audit, auditing
from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.errors import BadInput, Forbidden
from emco.model.enums import AuditAction, Outcome, Role
from emco.store import audit as store
from emco.store.audit import AuditFilter
from emco.store.db import Database
from tests.factories import principal
from tests.test_cli import _configure, invoke


def _fill(db: Database) -> None:
    ofast = Access(db, principal("OFAST", Role.LIAISON, username="ana"))
    dnpj = Access(db, principal("DNPJ", Role.ANALYST, username="bob"))
    ofast.record(AuditEvent(AuditAction.LOGIN_SUCCESS))
    ofast.record(AuditEvent(AuditAction.RECORD_READ, objects=["record:12"], result_count=1))
    ofast.record(AuditEvent(AuditAction.RECORD_READ, objects=["record:123"], result_count=1))
    dnpj.record(AuditEvent(AuditAction.RECORD_SEARCH, objects=["record:12", "record:7"],
                           query={"q": "Benali"}, result_count=2))
    dnpj.record(AuditEvent(AuditAction.ENTITY_READ, objects=["entity:E00000001"]),
                Outcome.DENIED, "not in scope")
    ofast.record(AuditEvent(AuditAction.LOGOUT))


def _auditor(db: Database) -> Access:
    return Access(db, principal("EMCO", Role.AUDITOR, username="aud"))


def _rows(db: Database) -> list[dict[str, Any]]:
    with db.read() as conn:
        return list(store.rows(conn))


@pytest.mark.parametrize(("args", "field"), [
    ({"action": "case:record:nope"}, "action"),
    ({"action": "nothing:"}, "action"),
    ({"since": "2024-13-01"}, "from"),
    ({"until": "yesterday"}, "to"),
    ({"since": "2024-06-02", "until": "2024-06-01"}, "from"),
    ({"outcome": "maybe"}, "outcome"),
    ({"obj": "record 12"}, "object"),
    ({"agency": "O F"}, "agency"),
])
def test_bad_filters_name_their_field(args: dict[str, str], field: str) -> None:
    with pytest.raises(BadInput) as caught:
        auditing.parse_filter(**args)
    assert caught.value.field == field
    assert caught.value.message.startswith(field)


@pytest.mark.parametrize(("limit", "cursor", "field"), [
    (0, None, "limit"), (501, None, "limit"), (10, 0, "cursor")])
def test_page_bounds_are_checked(limit: int, cursor: int | None, field: str) -> None:
    with pytest.raises(BadInput) as caught:
        auditing.check_page(limit, cursor)
    assert caught.value.field == field


def test_filters_read_actions_prefixes_and_days() -> None:
    f = auditing.parse_filter(action="case", agency="ofast", since="2024-05-01",
                              until="2024-05-01")
    assert f.action == "case:"
    assert f.agency == "OFAST"
    assert f.since == datetime(2024, 5, 1, tzinfo=UTC)
    assert f.until == datetime(2024, 5, 2, tzinfo=UTC)  # the whole day, exclusive bound
    assert auditing.parse_filter(action="case:*").action == "case:"
    assert auditing.parse_filter(action="auth:login:success").action == "auth:login:success"
    at = auditing.parse_filter(since="2024-05-01T12:00:00+02:00").since
    assert at == datetime(2024, 5, 1, 10, tzinfo=UTC)
    assert auditing.parse_filter(user=" ", action="") == AuditFilter()


def _seqs(page: auditing.AuditPage) -> list[int]:
    return [r["seq"] for r in page.rows]


def test_search_filters_newest_first_and_is_audited(db: Database) -> None:
    _fill(db)
    auditor = _auditor(db)
    everything = auditing.search(auditor, AuditFilter())
    assert _seqs(everything) == [6, 5, 4, 3, 2, 1]
    assert everything.next_cursor is None
    by = {  # each filter, and the rows it selects
        AuditFilter(username="bob"): [5, 4],
        AuditFilter(agency="OFAST"): [6, 3, 2, 1],
        AuditFilter(action="case:"): [4, 3, 2],
        AuditFilter(action="case:record:read"): [3, 2],
        AuditFilter(obj="record:12"): [4, 2],  # not record:123
        AuditFilter(outcome="denied"): [5],
    }
    for f, expected in by.items():
        assert _seqs(auditing.search(auditor, f)) == expected, f
    searches = auditing.search(auditor, AuditFilter(action="audit:"))
    assert _seqs(searches) == list(range(13, 6, -1))  # the searches above, audited
    last = _rows(db)[-1]
    assert (last["action"], last["username"], last["outcome"], last["result_count"]) == (
        "audit:log:read", "aud", "ok", 7)
    assert last["query_hash"] == audit.query_hash({"action": "audit:", "limit": 50})
    with db.read() as conn:
        assert audit.verify(conn).ok


def test_search_by_time(db: Database) -> None:
    _fill(db)
    with db.engine.begin() as conn:  # row 1 a year back; the chain is not checked here
        conn.execute(sa.update(store.audit_events).where(store.audit_events.c.seq == 1)
                     .values(at=datetime.now(UTC) - timedelta(days=365)))
    auditor = _auditor(db)
    today = datetime.now(UTC).date().isoformat()
    assert 1 not in _seqs(auditing.search(auditor, auditing.parse_filter(since=today)))
    old = auditing.parse_filter(until=(datetime.now(UTC) - timedelta(days=30)).isoformat())
    assert _seqs(auditing.search(auditor, old)) == [1]


def test_search_pages_with_a_cursor(db: Database) -> None:
    _fill(db)
    auditor = _auditor(db)
    first = auditing.search(auditor, AuditFilter(), limit=4)
    assert _seqs(first) == [6, 5, 4, 3]
    assert first.next_cursor == 3
    second = auditing.search(auditor, AuditFilter(), limit=4, cursor=first.next_cursor)
    assert _seqs(second) == [2, 1]
    assert second.next_cursor is None


def test_others_are_refused_and_the_refusal_audited(db: Database) -> None:
    _fill(db)
    for role in (Role.LIAISON, Role.OPERATOR, Role.ADMIN):
        someone = Access(db, principal("EMCO", role, username=f"x.{role.value}"))
        with pytest.raises(Forbidden):
            auditing.search(someone, AuditFilter())
        with pytest.raises(Forbidden):
            auditing.export(someone, AuditFilter(), "csv")
    refused = [r for r in _rows(db) if r["outcome"] == "denied" and r["seq"] > 6]
    assert [r["action"] for r in refused] == ["audit:log:read", "audit:log:export"] * 3


def reverify(lines: list[dict[str, Any]]) -> bool:
    """What a party outside EMCO runs on a JSON-lines export: hashlib and json only."""
    fields = ("seq", "at", "username", "agency_code", "roles", "action", "objects", "motif",
              "case_ref", "query_hash", "result_count", "outcome", "detail")
    prev = lines[0]["prev_hash"]
    for row in lines:
        if row["prev_hash"] != prev:
            return False
        content = json.dumps({k: row[k] for k in fields}, sort_keys=True,
                             ensure_ascii=False)
        if hashlib.sha256(f"{prev}\n{content}".encode()).hexdigest() != row["hash"]:
            return False
        prev = row["hash"]
    return True


def test_export_is_complete_reverifiable_and_audited(db: Database) -> None:
    _fill(db)
    auditor = _auditor(db)
    lines = [json.loads(x) for x in auditing.export(auditor, AuditFilter(), "jsonl")]
    assert [r["seq"] for r in lines] == [1, 2, 3, 4, 5, 6]
    assert set(lines[0]) == set(auditing.EXPORT_FIELDS)
    assert reverify(lines)
    lines[3]["username"] = "someone else"
    assert not reverify(lines)
    last = _rows(db)[-1]
    assert (last["action"], last["result_count"], last["outcome"]) == (
        "audit:log:export", 6, "ok")
    text = "".join(auditing.export(auditor, AuditFilter(obj="record:12"), "csv"))
    table = list(csv.DictReader(io.StringIO(text)))
    assert [int(r["seq"]) for r in table] == [2, 4]
    assert table[0]["motif"] == ""  # none
    assert table[0]["hash"] == lines[1]["hash"]
    with pytest.raises(BadInput) as caught:
        auditing.export(auditor, AuditFilter(), "xml")
    assert caught.value.field == "format"


def test_an_export_stopped_early_is_audited_as_such(db: Database) -> None:
    _fill(db)
    lines = auditing.export(_auditor(db), AuditFilter(), "jsonl")
    next(lines), next(lines)
    lines.close()  # type: ignore[attr-defined]
    last = _rows(db)[-1]
    assert (last["action"], last["outcome"], last["result_count"]) == (
        "audit:log:export", "failed", 2)


@pytest.fixture
def cli_store(db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Database:
    _configure(monkeypatch, db.url, tmp_path / "var")
    return db


def test_cli_search_and_export(cli_store: Database, tmp_path: Path) -> None:
    _fill(cli_store)
    found = invoke("audit", "search", "--action", "case:", "--limit", "2", "--json")
    assert found.exit_code == 0, found.output
    page = json.loads(found.stdout)
    assert [r["seq"] for r in page["rows"]] == [4, 3]
    assert page["next_cursor"] == 3
    more = invoke("audit", "search", "--action", "case:", "--cursor", "3")
    assert more.exit_code == 0, more.output
    assert "ana" in more.stdout
    assert "bob" not in more.stdout
    out = tmp_path / "log.jsonl"
    exported = invoke("audit", "export", "--format", "jsonl", "--out", str(out))
    assert exported.exit_code == 0, exported.output
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert reverify(lines)
    assert not list(tmp_path.glob("*.part"))
    bad = invoke("audit", "search", "--from", "2024-02-30")
    assert bad.exit_code == 2
    assert "from: not a date" in bad.stderr
    wrong = invoke("audit", "export", "--format", "xml", "--out", str(tmp_path / "x"))
    assert wrong.exit_code == 2
    assert "format" in wrong.stderr
    assert not (tmp_path / "x").exists()
