"""`ingest_calls`: call records aggregated into contact edges, bad lines named by line and
column, refused files leaving nothing behind, every step on record; on both backends."""

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from emco.access.gate import Access
from emco.errors import BadInput, Conflict, Forbidden
from emco.model.enums import BatchStatus, HandlingCode, Protection, Role
from emco.network.calls import call_edges, ingest_calls
from emco.store import audit as audit_store
from emco.store import calls as repo
from emco.store.db import Database
from emco.store.tables import batches
from emco.store.tables import call_edges as edges_table
from tests.factories import principal

HEADER = "caller,callee,start,duration,cell\n"
A, B, C = "+33612345678", "+33698765432", "+33711223344"


def _write(tmp_path: Path, text: str | bytes, name: str = "calls.csv") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def _liaison(db: Database, agency: str = "OFAST") -> Access:
    return Access(db, principal(agency, Role.LIAISON, clearance=Protection.DR))


def _log(db: Database) -> list[dict[str, Any]]:
    with db.read() as conn:
        return list(audit_store.rows(conn))


def _counts(db: Database) -> tuple[int, int]:
    with db.read() as conn:
        return (conn.execute(sa.select(sa.func.count()).select_from(batches)).scalar_one(),
                conn.execute(sa.select(sa.func.count()).select_from(edges_table)).scalar_one())


def _edges(db: Database) -> dict[tuple[str, str, date], repo.CallEdge]:
    with db.read() as conn:
        return {(e.caller, e.callee, e.month): e for e in repo.all_edges(conn)}


def test_calls_become_one_edge_per_direction_and_month(db: Database, tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + "\n".join([
        "06 12 34 56 78,0698765432,2024-01-05 10:00:00,60,208-01-1",  # Paris: 09:00 UTC
        "+33612345678,06.98.76.54.32,05/01/2024 11:30:00,00:01:05,208-01-2",
        "0033612345678,+33698765432,2024-01-20T08:00:00Z,10,208-01-1",
        "0612345678,0698765432,2024-02-01 00:30:00,5,",  # February in Paris
        "0698765432,0612345678,2024-01-06 12:00:00,30,208-01-9",  # the other way
        "0612345678,07 11 22 33 44,2024-07-01 10:00:00,0,208-01-1",  # summer: UTC+2
    ]) + "\n")
    summary = ingest_calls(_liaison(db), path, "OFAST", handling=HandlingCode.H2)
    assert (summary.status, summary.rows_read, summary.rows_loaded, summary.rejected_count,
            summary.edges, summary.numbers, summary.exit_code) == (
        BatchStatus.COMPLETE, 6, 6, 0, 4, 3, 0)
    edges = _edges(db)
    january = edges[(A, B, date(2024, 1, 1))]
    assert (january.calls, january.seconds, january.days, january.cells) == (3, 135, 2, 2)
    assert january.first_at == datetime(2024, 1, 5, 9, 0, tzinfo=UTC)
    assert january.last_at == datetime(2024, 1, 20, 8, 0, tzinfo=UTC)
    february = edges[(A, B, date(2024, 2, 1))]
    assert (february.calls, february.cells) == (1, 0)
    assert february.first_at == datetime(2024, 1, 31, 23, 30, tzinfo=UTC)
    assert edges[(B, A, date(2024, 1, 1))].calls == 1
    assert edges[(A, C, date(2024, 7, 1))].first_at == datetime(2024, 7, 1, 8, 0, tzinfo=UTC)
    assert {(e.agency_code, e.handling, e.protection, e.batch_id) for e in edges.values()} == {
        ("OFAST", HandlingCode.H2, Protection.NP, summary.batch)}
    with db.read() as conn:
        batch = repo.batches_of(conn, [summary.batch])[summary.batch]
    assert (batch.filename, batch.username, batch.status, batch.rows_loaded, batch.edges,
            batch.handling, batch.time_zone, batch.columns["caller"]) == (
        str(path), "test.ofast", "complete", 6, 4, HandlingCode.H2, "Europe/Paris", "caller")
    actions = [(r["action"], r["outcome"], r["result_count"]) for r in _log(db)]
    assert actions == [("case:batch:start", "ok", None), ("case:batch:end", "ok", 4)]


def test_bad_lines_are_named_by_line_and_column_and_the_rest_is_kept(
        db: Database, tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + "\n".join([
        "0612345678,0698765432,2024-01-05 10:00:00,60,c1",  # 2: kept
        "",  # 3: blank, skipped
        "0612345678,MASQUE,2024-01-05 10:00:00,60,c1",  # 4
        "0612345678,0698765432,2024-01-05 10:00:00,60,c1,extra",  # 5: too many fields
        "0612345678,0698765432,2024-01-06 10:00:00,45,c2",  # 6: kept
        "0612345678,0698765432,2024-01-05 10:00:00,-4,c1",  # 7
        "0612345678,+33612345678,2024-01-05 10:00:00,60,c1",  # 8: calls himself
        "0612345678,0698765432,31/02/2024 25:00:00,60,c1",  # 9
        ",0698765432,2024-01-05 10:00:00,60,c1",  # 10: no caller
        "0612345678,0698765432,2024-01-05 10:00:00,abc,c1",  # 11
        "0612345678,0698765432,2999-01-05 10:00:00,60,c1",  # 12: in the future
    ]) + "\n")
    summary = ingest_calls(_liaison(db), path, "OFAST", quarantine_dir=tmp_path / "q")
    assert [(r.line, r.column) for r in summary.rejected] == [
        (4, "callee"), (5, None), (7, "duration"), (8, "callee"), (9, "start"),
        (10, "caller"), (11, "duration"), (12, "start")]
    reasons = {r.line: (r.reason, r.value) for r in summary.rejected}
    assert reasons[5][0].startswith("too many fields")
    assert reasons[7] == ("a negative duration", "-4")
    assert reasons[8] == ("the caller calls his own number", "+33612345678")
    assert reasons[9][1] == "31/02/2024 25:00:00"
    assert reasons[10][0] == "no number"
    assert "future" in reasons[12][0]
    assert (summary.rows_read, summary.rows_loaded, summary.rejected_count, summary.edges,
            summary.exit_code) == (10, 2, 8, 1, 3)
    [edge] = _edges(db).values()
    assert (edge.calls, edge.seconds, edge.days, edge.cells) == (2, 105, 2, 2)
    assert summary.quarantine is not None
    kept = [json.loads(line) for line in Path(summary.quarantine).read_text().splitlines()]
    assert [k["line"] for k in kept] == [4, 5, 7, 8, 9, 10, 11, 12]


def test_other_header_names_and_delimiters_through_the_column_mapping(
        db: Database, tmp_path: Path) -> None:
    path = _write(tmp_path, "\ufeffAppelant;Appele;Debut;Duree\n"
                            "0612345678;0698765432;05/01/2024 10:00;60\n")
    summary = ingest_calls(_liaison(db), path, "OFAST", columns={
        "caller": "appelant", "callee": "appele", "start": "debut", "duration": "duree"})
    assert (summary.rows_loaded, summary.edges) == (1, 1)
    [edge] = _edges(db).values()
    assert edge.cells is None  # the file has no cell column


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty file"),
    (b"\x00\x01binary\x00", "binary file"),
    (b"caller,callee,when,duration\n0612345678,0698765432,2024-01-05,1\n",
     "lacks the column\\(s\\) start"),
    (HEADER.encode(), "no call records below the header"),
    (HEADER.encode() + b"0612345678,0698765432,2024-01-05 10:00:00,60,c1\n"
     + b"x" * (1 << 20) + b",a,b,c,d\n", "line 3 is longer than 1 MiB"),
])
def test_a_file_that_is_not_call_records_is_refused_and_nothing_written(
        db: Database, tmp_path: Path, content: bytes, message: str) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(BadInput, match=message):
        ingest_calls(_liaison(db), path, "OFAST")
    assert _counts(db) == (0, 0)


def test_unknown_roles_and_missing_mapped_columns_are_named(db: Database,
                                                            tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + "0612345678,0698765432,2024-01-05 10:00:00,60,c\n")
    with pytest.raises(BadInput, match="unknown role 'phone'"):
        ingest_calls(_liaison(db), path, "OFAST", columns={"phone": "caller"})
    with pytest.raises(BadInput, match="start \\('debut'\\)"):
        ingest_calls(_liaison(db), path, "OFAST", columns={"start": "debut"})
    with pytest.raises(BadInput, match="H3 needs"):
        ingest_calls(_liaison(db), path, "OFAST", handling=HandlingCode.H3)
    with pytest.raises(BadInput, match="not a time zone"):
        ingest_calls(_liaison(db), path, "OFAST", time_zone="Mars/Olympus")
    assert _counts(db) == (0, 0)


def test_nothing_usable_writes_nothing_and_says_so(db: Database, tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + "MASQUE,0698765432,2024-01-05 10:00:00,60,c\n")
    summary = ingest_calls(_liaison(db), path, "OFAST")
    assert (summary.status, summary.exit_code, summary.rejected_count) == (
        BatchStatus.FAILED, 2, 1)
    assert _counts(db) == (0, 0)
    assert [(r["action"], r["outcome"]) for r in _log(db)] == [
        ("case:batch:start", "ok"), ("case:batch:end", "failed")]


def test_the_same_file_twice_is_refused(db: Database, tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + "0612345678,0698765432,2024-01-05 10:00:00,60,c\n")
    first = ingest_calls(_liaison(db), path, "OFAST")
    with pytest.raises(Conflict, match=f"already loaded for OFAST as batch {first.batch}"):
        ingest_calls(_liaison(db), path, "OFAST")
    assert _counts(db) == (1, 1)


def test_a_service_loads_only_its_own_calls(db: Database, tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + "0612345678,0698765432,2024-01-05 10:00:00,60,c\n")
    with pytest.raises(Forbidden):
        ingest_calls(_liaison(db, "OFAST"), path, "DNPJ")
    with pytest.raises(Forbidden):
        ingest_calls(Access(db, principal("OFAST", Role.ANALYST)), path, "OFAST")
    assert _counts(db) == (0, 0)
    assert [r["outcome"] for r in _log(db)] == ["denied", "denied"]


def test_edges_are_read_within_the_readers_scope(db: Database, tmp_path: Path) -> None:
    path = _write(tmp_path, HEADER + "0612345678,0698765432,2024-01-05 10:00:00,60,c\n")
    ingest_calls(_liaison(db, "OFAST"), path, "OFAST", protection=Protection.DR)
    other = _write(tmp_path, HEADER + "0612345678,0711223344,2024-01-05 10:00:00,9,c\n",
                   "dnpj.csv")
    ingest_calls(_liaison(db, "DNPJ"), other, "DNPJ")

    def seen(access: Access) -> set[tuple[str, str]]:
        return {(e.agency_code, e.callee) for e in call_edges(access, ["06 12 34 56 78"])}

    staff = Access(db, principal("EMCO", Role.OPERATOR, clearance=Protection.DR))
    assert seen(staff) == {("OFAST", B), ("DNPJ", C)}
    assert seen(Access(db, principal("OFAST", Role.ANALYST, clearance=Protection.DR))) == {
        ("OFAST", B)}
    assert seen(Access(db, principal("OFAST", Role.ANALYST))) == set()  # DR, not cleared
    assert seen(Access(db, principal("DNPJ", Role.ANALYST))) == {("DNPJ", C)}
    last = _log(db)[-1]
    assert (last["action"], last["result_count"]) == ("case:calls:read", 1)
    with pytest.raises(BadInput, match="'12'"):
        call_edges(staff, ["12"])
