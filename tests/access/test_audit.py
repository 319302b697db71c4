"""The audit chain: appended under the head lock, verified row by row, every tampering
named at its first bad row. Tampering is done by direct SQL, as an intruder would."""

import threading
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import assume, given
from hypothesis import strategies as st

from emco.access import audit, auditlog
from emco.access.audit import HASHED_FIELDS, AuditEvent, Verification
from emco.access.gate import Access
from emco.errors import Forbidden
from emco.model.enums import AuditAction, Outcome, Role
from emco.store import audit as store
from emco.store.db import Database
from emco.store.tables import audit_events, audit_head
from tests.factories import principal

# Row 2 carries a distinct, non-null value in every optional field, so that every hashed
# field has something to alter there.
EVENTS = [
    AuditEvent(AuditAction.LOGIN_SUCCESS),
    AuditEvent(AuditAction.RECORD_SEARCH, objects=["record:1", "record:2"], motif="enquête",
               case_ref="PV-2024-001", query={"q": "Benali", "limit": 50}, result_count=2,
               detail="two found"),
    AuditEvent(AuditAction.RECORD_READ, objects=["record:1"], result_count=1),
    AuditEvent(AuditAction.RECORD_READ, objects=["record:2"], result_count=1),
    AuditEvent(AuditAction.LOGOUT),
]


def _fill(db: Database) -> None:
    access = Access(db, principal("OFAST", Role.LIAISON))
    for event in EVENTS:
        access.record(event)


def _verify(db: Database) -> Verification:
    with db.read() as conn:
        return audit.verify(conn)


def _rows(db: Database) -> list[dict[str, Any]]:
    with db.read() as conn:
        return list(store.rows(conn))


def _sql(db: Database, statement: str, **params: Any) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.text(statement), params)


def test_intact_chain_verifies_with_its_count(db: Database) -> None:
    assert _verify(db) == Verification(0)
    _fill(db)
    result = _verify(db)
    assert result.ok
    assert result.checked == len(EVENTS)
    rows = _rows(db)
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0]["prev_hash"] == store.GENESIS
    assert all(b["prev_hash"] == a["hash"] for a, b in pairwise(rows))
    with db.read() as conn:
        assert store.head(conn) == (5, rows[-1]["hash"])


def test_rows_hold_the_event(db: Database) -> None:
    _fill(db)
    row = _rows(db)[1]
    assert row["username"] == "test.ofast"
    assert row["agency_code"] == "OFAST"
    assert row["roles"] == "liaison"
    assert row["action"] == "case:record:search"
    assert row["objects"] == '["record:1", "record:2"]'
    assert (row["motif"], row["case_ref"], row["result_count"]) == ("enquête", "PV-2024-001", 2)
    assert row["query_hash"] == audit.query_hash({"limit": 50, "q": "Benali"})
    assert row["outcome"] == "ok"


def test_altered_field_is_named(db: Database) -> None:
    _fill(db)
    _sql(db, "UPDATE audit_events SET username = 'x' WHERE seq = 2")
    result = _verify(db)
    assert result.first_bad == 2
    assert result.checked == 1
    assert "row 2" in (result.problem or "")
    assert "altered" in (result.problem or "")


def _changed(field: str, row: dict[str, Any]) -> Any:
    """A value for `field` other than the one in `row`."""
    if field == "seq":
        return 1000
    if field == "at":
        return row["at"] + timedelta(seconds=1)
    if field == "result_count":
        return row["result_count"] + 1
    if field == "objects":
        return '["record:3"]'
    if field == "outcome":
        return "denied"
    return "x" if row[field] != "x" else "y"


def test_hash_covers_every_column() -> None:
    chained = {"prev_hash", "hash"}  # the chain itself: prev_hash prefixes the payload
    assert set(HASHED_FIELDS) == {c.name for c in audit_events.columns} - chained
    assert len(HASHED_FIELDS) == len(set(HASHED_FIELDS))


def test_changing_any_column_breaks_the_chain(db: Database) -> None:
    """Each column of row 2 in turn is changed by SQL (then restored): each change is
    caught at row 2. One database for all columns keeps this fast."""
    _fill(db)
    row = _rows(db)[1]
    for field in [c.name for c in audit_events.columns]:
        with db.engine.begin() as conn:
            conn.execute(sa.update(audit_events).where(audit_events.c.seq == 2)
                         .values({field: _changed(field, row)}))
        result = _verify(db)
        assert result.first_bad == 2, (field, result.problem)
        seq = 1000 if field == "seq" else 2
        with db.engine.begin() as conn:
            conn.execute(sa.update(audit_events).where(audit_events.c.seq == seq)
                         .values({field: row[field]}))
        assert _verify(db).ok, field  # restored: the chain is whole again


_BASE_ROW: dict[str, Any] = {
    "seq": 7, "at": datetime(2024, 5, 14, 10, 30, 0, 123456), "username": "alice",
    "agency_code": "OFAST", "roles": "liaison", "action": "case:record:read",
    "objects": '["record:1"]', "motif": "m", "case_ref": "c", "query_hash": "0" * 64,
    "result_count": 1, "outcome": "ok", "detail": None}


@given(field=st.sampled_from(HASHED_FIELDS), data=st.data())
def test_row_hash_covers_every_field(field: str, data: st.DataObject) -> None:
    if field == "at":
        value: Any = data.draw(st.datetimes())
    elif field in ("seq", "result_count"):
        value = data.draw(st.integers(min_value=-(2**31), max_value=2**31))
    else:
        value = data.draw(st.text(max_size=20))
    assume(value != _BASE_ROW[field])
    changed = {**_BASE_ROW, field: value}
    assert audit.row_hash("a" * 64, changed) != audit.row_hash("a" * 64, _BASE_ROW)


def test_row_hash_covers_the_previous_hash() -> None:
    assert audit.row_hash("a" * 64, _BASE_ROW) != audit.row_hash("b" * 64, _BASE_ROW)


def test_row_hash_reads_naive_time_as_utc() -> None:
    aware = {**_BASE_ROW, "at": _BASE_ROW["at"].replace(tzinfo=UTC)}
    assert audit.row_hash("a" * 64, aware) == audit.row_hash("a" * 64, _BASE_ROW)


def test_deleted_middle_row_is_named_missing(db: Database) -> None:
    _fill(db)
    _sql(db, "DELETE FROM audit_events WHERE seq = 3")
    result = _verify(db)
    assert result.first_bad == 3
    assert result.checked == 2
    assert "row 3 is missing" in (result.problem or "")


_CONTENT = [c for c in HASHED_FIELDS if c != "seq"]


@pytest.mark.parametrize(("columns", "word"), [
    ([*_CONTENT, "prev_hash", "hash"], "reordered"),  # whole rows moved
    (_CONTENT, "altered"),  # contents moved, hashes left in place
])
def test_swapped_rows_are_detected_at_the_first(db: Database, columns: list[str],
                                                word: str) -> None:
    _fill(db)
    second, third = _rows(db)[1:3]
    with db.engine.begin() as conn:
        for target, source in ((2, third), (3, second)):
            conn.execute(sa.update(audit_events).where(audit_events.c.seq == target)
                         .values({c: source[c] for c in columns}))
    result = _verify(db)
    assert result.first_bad == 2
    assert word in (result.problem or "")


def test_rows_deleted_from_the_end_break_the_head(db: Database) -> None:
    _fill(db)
    _sql(db, "DELETE FROM audit_events WHERE seq >= 4")
    result = _verify(db)
    assert result.checked == 3
    assert result.first_bad == 4
    assert "deleted from the end" in (result.problem or "")


def test_every_row_deleted_breaks_the_head(db: Database) -> None:
    _fill(db)
    _sql(db, "DELETE FROM audit_events")
    result = _verify(db)
    assert (result.checked, result.first_bad) == (0, 1)


def _forged_row(db: Database, hash_: str | None) -> dict[str, Any]:
    """Row 6 after the real last row, with `hash_` or (None) a correctly computed hash."""
    last = _rows(db)[-1]
    row = {**last, "seq": last["seq"] + 1, "username": "intruder",
           "at": datetime.now(UTC), "prev_hash": last["hash"]}
    row["hash"] = hash_ or audit.row_hash(last["hash"], row)
    with db.engine.begin() as conn:
        conn.execute(sa.insert(audit_events).values(**row))
    return row


def test_inserted_row_with_forged_hash_is_named(db: Database) -> None:
    _fill(db)
    _forged_row(db, "f" * 64)
    result = _verify(db)
    assert result.first_bad == 6
    assert "altered" in (result.problem or "")


def test_inserted_row_with_recomputed_hash_is_named_against_the_head(db: Database) -> None:
    """An intruder who computes the right hash but cannot move the head is caught there,
    and the row named is the one added."""
    _fill(db)
    _forged_row(db, None)
    result = _verify(db)
    assert result.first_bad == 6, result.problem
    assert "row 6" in (result.problem or "")


def test_replaced_last_row_is_named_against_the_head(db: Database) -> None:
    _fill(db)
    _sql(db, "DELETE FROM audit_events WHERE seq = 5")
    _forged_row(db, None)  # a new row 5, hashed right, but the head keeps the real hash
    result = _verify(db)
    assert result.first_bad == 5, result.problem
    assert "row 5" in (result.problem or "")


def test_forged_head_is_detected(db: Database) -> None:
    _fill(db)
    with db.engine.begin() as conn:
        conn.execute(sa.update(audit_head).values(hash="e" * 64))
    assert not _verify(db).ok


def test_verification_is_itself_audited(db: Database) -> None:
    _fill(db)
    auditor = Access(db, principal("EMCO", Role.AUDITOR))
    result = auditlog.verify(auditor)
    assert (result.ok, result.checked) == (True, 5)
    last = _rows(db)[-1]
    assert (last["seq"], last["action"], last["outcome"], last["result_count"]) == (
        6, "audit:log:verify", "ok", 5)
    _sql(db, "UPDATE audit_events SET detail = 'x' WHERE seq = 3")
    broken = auditlog.verify(auditor)
    assert broken.first_bad == 3
    last = _rows(db)[-1]
    assert last["outcome"] == "failed"
    assert "row 3" in last["detail"]


def test_verification_needs_the_permission(db: Database) -> None:
    with pytest.raises(Forbidden):
        auditlog.verify(Access(db, principal("OFAST", Role.LIAISON)))
    [row] = _rows(db)
    assert (row["action"], row["outcome"]) == ("audit:log:verify", Outcome.DENIED.value)


def test_concurrent_appends_keep_one_chain(db: Database) -> None:
    """Two writers, each with its own engine, append 50 rows each at the same time."""
    per_thread = 50
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def work(agency: str) -> None:
        own = Database(db.url)
        try:
            access = Access(own, principal(agency, Role.LIAISON))
            start.wait()
            for i in range(per_thread):
                access.record(AuditEvent(AuditAction.RECORD_READ, objects=[f"record:{i}"]))
        except BaseException as exc:
            errors.append(exc)
        finally:
            own.dispose()

    threads = [threading.Thread(target=work, args=(a,)) for a in ("OFAST", "DNPJ")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    result = _verify(db)
    assert (result.ok, result.checked) == (True, 2 * per_thread), result.problem
    seqs = [r["seq"] for r in _rows(db)]
    assert seqs == list(range(1, 2 * per_thread + 1))
    assert {r["agency_code"] for r in _rows(db)} == {"OFAST", "DNPJ"}
    with db.read() as conn:
        assert store.count(conn) == 2 * per_thread
        assert store.head(conn)[0] == 2 * per_thread
