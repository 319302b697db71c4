"""`emco operation add|list|check`, run in-process by typer's CliRunner on the `db`
fixture (both backends), with the EMCO_ environment set as tests/test_cli.py does."""

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from emco.cli import app
from emco.settings import get_settings
from emco.store.db import Database

runner = CliRunner()
RAID = ["operation", "add", "--agency", "OFAST", "--reference", "OFAST-OP-1", "--kind",
        "raid", "--lat", "43.357", "--lon", "5.364", "--radius", "300",
        "--start", "2026-02-03T06:00+01:00", "--end", "2026-02-03T10:00+01:00"]


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


def test_add_list_and_check(store: Database) -> None:
    first = invoke(*RAID, "--target", "phone=06 12 34 56 78", "--target",
                   "person=Mohamed Amra;1994-02-13", "--json")
    assert first.exit_code == 0, first.output
    body = json.loads(first.stdout)
    assert [t["kind"] for t in body["targets"]] == ["phone", "person"]
    assert body["start"] == "2026-02-03T05:00:00+00:00"
    second = invoke("operation", "add", "--agency", "DGGN", "--reference", "DGGN-OP-1",
                    "--kind", "arrest", "--lat", "43.358", "--lon", "5.363", "--radius",
                    "200", "--start", "2026-02-03T07:00+01:00", "--end",
                    "2026-02-03T09:00+01:00")
    assert second.exit_code == 3, second.output  # in conflict
    assert "CONFLICT (place_time) with OFAST OFAST-OP-1" in second.stdout
    assert "Permanence OFAST" in second.stdout
    listed = invoke("operation", "list", "--json")
    assert [(o["reference"], o["conflict"]) for o in json.loads(listed.stdout)] == [
        ("OFAST-OP-1", True), ("DGGN-OP-1", True)]
    own = invoke("operation", "list", "--agency", "DGGN", "--json")
    assert [o["reference"] for o in json.loads(own.stdout)] == ["DGGN-OP-1"]
    checked = invoke("operation", "check", "--json")
    assert checked.exit_code == 0, checked.output
    summary = json.loads(checked.stdout)
    assert summary["operations"] == 2
    assert summary["conflicts"] == {"place_time": 1}
    assert summary["alerts_raised"] == 0  # raised once already, at registration
    assert "1 pairs in conflict" in invoke("operation", "check").stdout


@pytest.mark.parametrize(("change", "field"), [
    (["--start", "2026-02-03T06:00"], "start"),
    (["--end", "2026-02-03T05:00+01:00"], "end"),
    (["--lat", "95"], "latitude"),
    (["--radius", "0"], "radius"),
    (["--investigation", "OFAST:NOPE"], "investigation"),
    (["--target", "phone=abc"], "phone"),
    (["--target", "nothing"], "KIND=VALUE"),
    (["--agency", "XXX"], "XXX"),
])
def test_bad_input_exits_2_with_a_message(store: Database, change: list[str],
                                          field: str) -> None:
    args = list(RAID)
    for option, value in zip(change[::2], change[1::2], strict=True):
        if option in args:
            args[args.index(option) + 1] = value
        else:
            args += [option, value]
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert "error:" in result.stderr
    assert field in result.stderr
    assert json.loads(invoke("operation", "list", "--json").stdout) == []
