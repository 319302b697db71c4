"""`emco ingest-calls`, run in-process by typer's CliRunner against real databases.

As in `tests/test_cli.py`: settings come from EMCO_ environment variables, read once per
process, so each invocation clears the cached settings first; every test runs on the
`db` fixture (a fresh migrated store, on each backend), its data folder in `tmp_path`.
"""

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner, Result

from emco.cli import app
from emco.settings import get_settings
from emco.store.db import Database

runner = CliRunner()

HEADER = "caller,callee,start,duration,cell\n"
GOOD = ("06 12 34 56 78,0698765432,2024-01-05 10:00:00,60,208-01-1",
        "+33612345678,06.98.76.54.32,05/01/2024 11:30:00,00:01:05,208-01-2",
        "0698765432,0612345678,2024-02-01 09:00:00,30,208-01-1")
BAD = ("0612345678,MASQUE,2024-01-06 10:00:00,60,208-01-1",  # line 5: not a number
       "0612345678,0698765432,2024-01-06 10:00:00,-5,208-01-1")  # line 6: negative


def invoke(*args: str) -> Result:
    get_settings.cache_clear()
    return runner.invoke(app, list(args))


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    yield
    get_settings.cache_clear()  # leave no test's settings behind for the next


@pytest.fixture
def store(db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Database:
    """A migrated store with the agencies, on each backend, as the command's store."""
    for name in list(os.environ):
        if name.startswith("EMCO_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("EMCO_DATABASE_URL", db.url)
    monkeypatch.setenv("EMCO_DATA_DIR", str(tmp_path / "var"))
    return db


def _file(tmp_path: Path, *lines: str, header: str = HEADER) -> Path:
    path = tmp_path / "calls.csv"
    path.write_text(header + "".join(f"{line}\n" for line in lines), encoding="utf-8")
    return path


def _edges(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM call_edges")).scalar_one())


def test_every_line_loaded_exits_0_with_a_summary(store: Database, tmp_path: Path) -> None:
    result = invoke("ingest-calls", str(_file(tmp_path, *GOOD)), "--agency", "ofast")
    assert result.exit_code == 0, result.output
    assert "3 lines read, 3 loaded, 0 rejected; 2 edges between 2 numbers" in result.stdout
    assert "Rejected lines" not in result.stdout
    assert _edges(store) == 2  # A to B in January (two calls), B to A in February


def test_a_file_without_a_required_column_is_refused_with_exit_2(store: Database,
                                                                 tmp_path: Path) -> None:
    path = _file(tmp_path, *(line.rsplit(",", 2)[0] for line in GOOD),
                 header="caller,callee,start\n")
    result = invoke("ingest-calls", str(path), "--agency", "OFAST")
    assert result.exit_code == 2, result.output
    assert "lacks the column(s) duration" in result.stderr
    assert "--columns" in result.stderr  # and says how to name the file's columns
    assert _edges(store) == 0


def test_some_bad_lines_exit_3_naming_them(store: Database, tmp_path: Path) -> None:
    result = invoke("ingest-calls", str(_file(tmp_path, *GOOD, *BAD)), "--agency", "OFAST")
    assert result.exit_code == 3, result.output
    assert "5 lines read, 3 loaded, 2 rejected" in result.stdout
    assert "line 5, callee" in result.stdout
    assert "line 6, duration: a negative duration" in result.stdout
    quarantine = next((tmp_path / "var" / "quarantine").glob("*.jsonl"))
    assert f"Rejected lines are in {quarantine}" in result.stdout
    assert [json.loads(line)["line"] for line in
            quarantine.read_text(encoding="utf-8").splitlines()] == [5, 6]
    assert _edges(store) == 2


def test_json_prints_one_object_with_the_exit_code_of_the_run(store: Database,
                                                              tmp_path: Path) -> None:
    result = invoke("ingest-calls", str(_file(tmp_path, *GOOD, *BAD)), "--agency", "OFAST",
                    "--json")
    assert result.exit_code == 3, result.output
    [line] = result.stdout.splitlines()
    summary = json.loads(line)
    assert (summary["status"], summary["rows_loaded"], summary["rejected_count"],
            summary["edges"]) == ("complete", 3, 2, 2)
    assert [r["line"] for r in summary["rejected"]] == [5, 6]
