"""The calls repository: a batch written whole or not at all, edges read within a scope;
on both backends."""

import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from emco.model.enums import HandlingCode, Protection
from emco.model.types import RecordScope
from emco.store import calls as repo
from emco.store.db import Database
from emco.store.tables import batches, call_batches, call_edges
from emco.store.writing import BatchInfo

A, B, C = "+33612345678", "+33698765432", "+33711223344"
READ_WITH = repo.ReadWith(handling=HandlingCode.H2, handling_condition=None,
                          protection=Protection.NP, time_zone="Europe/Paris", region="FR",
                          columns={"caller": "appelant"})


class Rows:
    """Edges given as rows, in the two forms `write_batch` takes (an `EdgeSource`)."""

    def __init__(self, db: Database, rows: list[tuple[Any, ...]], folder: Path) -> None:
        self.db = db
        self.rows = rows
        self.folder = folder
        self.count = len(rows)

    def chunks(self) -> Iterator[Sequence[Sequence[Any]]]:
        values = [row[len(repo.BATCH_COLUMNS):] for row in self.rows]
        for i in range(0, len(values), 2):  # small chunks: a failure comes mid-way
            yield values[i:i + 2]

    def csv(self) -> Iterator[tuple[int, bytes]]:
        for i in range(0, len(self.rows), 2):  # small chunks: a failure comes mid-way
            part = self.rows[i:i + 2]
            yield len(part), "".join(",".join("" if v is None else str(v) for v in row)
                                     + "\n" for row in part).encode()


def _info(batch: str, agency: str = "OFAST", sha: str = "a" * 64) -> BatchInfo:
    return BatchInfo(id=batch, agency=agency, username="test.ofast", filename="calls.csv",
                     file_sha256=sha, format=repo.FORMAT, mapping_sha256=None,
                     started_at=datetime(2024, 3, 1, 12, 0, tzinfo=UTC))


def _row(db: Database, batch: str, caller: str | None, callee: str, agency: str = "OFAST",
         protection: str = "NP") -> tuple[Any, ...]:
    at = datetime(2024, 1, 5, 9, 0, tzinfo=UTC).strftime(repo.time_format(db))
    return (batch, agency, READ_WITH.handling.value, protection, caller, callee, "2024-01-01",
            3, 120, at, at, 1, None)


def _write(db: Database, tmp_path: Path, batch: str, rows: list[tuple[Any, ...]],
           agency: str = "OFAST", sha: str = "a" * 64,
           timings: dict[str, float] | None = None, read_with: repo.ReadWith = READ_WITH
           ) -> int:
    """Write a batch; its rows must carry its batch id, agency, handling and protection
    (SQLite takes those from the batch, PostgreSQL from the rows)."""
    with db.write() as conn:
        return repo.write_batch(db, conn, _info(batch, agency, sha), read_with, rows_loaded=9,
                                rows_rejected=1, quarantine=None,
                                edges=Rows(db, rows, tmp_path), timings=timings)


def _indexes(db: Database) -> list[tuple[str, list[str]]]:
    with db.engine.connect() as conn:
        found = sa.inspect(conn).get_indexes("call_edges")
    return sorted((str(ix["name"]), [str(c) for c in ix["column_names"]]) for ix in found)


INDEXES = [("ix_call_edges_callee", ["callee"]), ("ix_call_edges_caller", ["caller"])]


def test_a_batch_is_written_with_its_provenance(db: Database, tmp_path: Path) -> None:
    written = _write(db, tmp_path, "b1", [_row(db, "b1", A, B), _row(db, "b1", B, C)])
    assert written == 2
    with db.read() as conn:
        [edge] = repo.edges_of(conn, RecordScope(None, frozenset(Protection)), [A])
        batch = repo.same_file(conn, "OFAST", "a" * 64)
        assert repo.same_file(conn, "DNPJ", "a" * 64) is None
    assert (edge.caller, edge.callee, edge.month, edge.calls, edge.seconds, edge.cells) == (
        A, B, date(2024, 1, 1), 3, 120, None)
    assert edge.first_at == datetime(2024, 1, 5, 9, 0, tzinfo=UTC)
    assert batch is not None
    assert (batch.id, batch.status, batch.rows_loaded, batch.rows_rejected, batch.edges,
            batch.handling, batch.columns) == (
        "b1", "complete", 9, 1, 2, HandlingCode.H2, {"caller": "appelant"})


def test_a_failure_mid_way_leaves_nothing(db: Database, tmp_path: Path) -> None:
    rows = [_row(db, "b1", A, B), _row(db, "b1", B, C), _row(db, "b1", None, C)]
    with pytest.raises((sqlite3.IntegrityError, psycopg.errors.NotNullViolation)):
        _write(db, tmp_path, "b1", rows)
    with db.read() as conn:
        for table in (batches, call_batches, call_edges):
            assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 0


def test_edges_are_read_within_a_scope(db: Database, tmp_path: Path) -> None:
    _write(db, tmp_path, "b1", [_row(db, "b1", A, B)])
    for name in ("b2", "b3"):
        (tmp_path / name).mkdir()
    _write(db, tmp_path / "b2", "b2", [_row(db, "b2", A, C, protection="DR")], sha="c" * 64,
           read_with=replace(READ_WITH, protection=Protection.DR))
    _write(db, tmp_path / "b3", "b3", [_row(db, "b3", C, A, agency="DNPJ")], agency="DNPJ",
           sha="b" * 64)
    everything = RecordScope(None, frozenset(Protection))
    ofast_np = RecordScope(frozenset({"OFAST"}), frozenset({Protection.NP}))
    with db.read() as conn:
        assert {(e.caller, e.callee) for e in repo.edges_of(conn, everything, [A])} == {
            (A, B), (A, C), (C, A)}
        assert {(e.caller, e.callee) for e in repo.edges_of(conn, ofast_np, [A])} == {(A, B)}
        assert [e.batch_id for e in repo.all_edges(conn)] == ["b1", "b2", "b3"]
        assert [e.callee for e in repo.all_edges(conn, ofast_np)] == [B]
        assert set(repo.batches_of(conn, ["b1", "b3", "nope"])) == {"b1", "b3"}


def test_a_large_batch_rebuilds_the_indexes_inside_its_transaction(
        db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(repo, "REBUILD_MIN", 2)
    timings: dict[str, float] = {}
    _write(db, tmp_path, "b1", [_row(db, "b1", A, B), _row(db, "b1", B, C)], timings=timings)
    assert "indexes" in timings  # dropped, loaded without, and made again
    assert _indexes(db) == INDEXES
    with db.read() as conn:
        everything = RecordScope(None, frozenset(Protection))
        assert {(e.caller, e.callee) for e in repo.edges_of(conn, everything, [B])} == {
            (A, B), (B, C)}


def test_a_large_batch_failing_mid_way_leaves_the_indexes_and_nothing_else(
        db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(repo, "REBUILD_MIN", 2)
    rows = [_row(db, "b1", A, B), _row(db, "b1", B, C), _row(db, "b1", None, C)]
    with pytest.raises((sqlite3.IntegrityError, psycopg.errors.NotNullViolation)):
        _write(db, tmp_path, "b1", rows)
    assert _indexes(db) == INDEXES  # the DROP INDEX was rolled back with the rest
    with db.read() as conn:
        for table in (batches, call_batches, call_edges):
            assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 0


def test_a_batch_small_beside_the_table_keeps_the_indexes(
        db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(repo, "REBUILD_MIN", 2)
    _write(db, tmp_path, "b1", [_row(db, "b1", A, B), _row(db, "b1", B, C),
                                _row(db, "b1", C, A)])
    (tmp_path / "b2").mkdir()
    timings: dict[str, float] = {}
    _write(db, tmp_path / "b2", "b2", [_row(db, "b2", A, C), _row(db, "b2", B, A)],
           sha="b" * 64, timings=timings)
    assert "indexes" not in timings  # two edges into a table of three: kept
    with db.read() as conn:
        assert repo.rebuilds_indexes(conn, 1) is False  # below the minimum
        assert repo.rebuilds_indexes(conn, 5) is True  # at least the table's size
        assert repo.rebuilds_indexes(conn, 4) is False
    assert _indexes(db) == INDEXES


def test_a_large_batch_does_not_wait_long_for_a_reader(
        db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(repo, "REBUILD_MIN", 2)
    monkeypatch.setattr(repo, "PG_LOCK_WAIT", "100ms")
    timings: dict[str, float] = {}
    with db.read() as reader:  # a reader of the edges, in the middle of its transaction
        reader.execute(sa.select(sa.func.count()).select_from(call_edges)).scalar_one()
        _write(db, tmp_path, "b1", [_row(db, "b1", A, B), _row(db, "b1", B, C)],
               timings=timings)
    # PostgreSQL gives up dropping the indexes (the reader holds the table) and loads
    # with them; SQLite's readers take no lock a writer waits for.
    assert ("indexes" in timings) is db.is_sqlite
    assert _indexes(db) == INDEXES
    with db.read() as conn:
        assert [e.caller for e in repo.all_edges(conn)] == [A, B]
