"""`emco network map|list|show|export|timeline --store`: the store's networks from the
command line, run in-process by typer's CliRunner on each backend (the `linked` store of
tests/network/conftest.py; settings from EMCO_ variables, cleared around each call)."""

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from emco.cli import app
from emco.settings import get_settings
from tests.network.conftest import Linked

runner = CliRunner()


def invoke(*args: str) -> Result:
    get_settings.cache_clear()
    return runner.invoke(app, list(args))


@pytest.fixture
def store(linked: Linked, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
          ) -> Iterator[Linked]:
    for name in list(os.environ):
        if name.startswith("EMCO_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("EMCO_DATABASE_URL", linked.db.url)
    monkeypatch.setenv("EMCO_DATA_DIR", str(tmp_path / "var"))
    yield linked
    get_settings.cache_clear()


def test_map_list_show(store: Linked) -> None:
    assert "No network mapped yet" in invoke("network", "list").output
    mapped = invoke("network", "map", "--json")
    assert mapped.exit_code == 0, mapped.output
    summary = json.loads(mapped.output)
    assert summary["networks"] >= 1
    assert summary["run"] == 1
    listed = json.loads(invoke("network", "list", "--json").output)
    first = listed[0]["id"]
    shown = invoke("network", "show", first)
    assert shown.exit_code == 0, shown.output
    assert "violence" in shown.output
    assert "homicide: 1" in shown.output
    detail = json.loads(invoke("network", "show", first, "--json").output)
    assert detail["members"][0]["head_rank"] == 1
    missing = invoke("network", "show", "R9999")
    assert missing.exit_code != 0
    assert "R9999" in missing.output


def test_export_and_timeline_of_the_store(store: Linked, tmp_path: Path) -> None:
    invoke("network", "map")
    out = tmp_path / "graph.gexf"
    done = invoke("network", "export", "--format", "gexf", "--out", str(out))
    assert done.exit_code == 0, done.output
    assert "<gexf" in out.read_text(encoding="utf-8")
    bad = invoke("network", "export", "--format", "pdf", "--out", str(out))
    assert bad.exit_code == 2
    assert "pdf" in bad.output
    timeline = invoke("network", "timeline", "--store", "--window", "3MS", "--json")
    assert timeline.exit_code == 0, timeline.output
    assert json.loads(timeline.output)["windows"]
    neither = invoke("network", "timeline")
    assert neither.exit_code == 2
    assert "--store" in neither.output
