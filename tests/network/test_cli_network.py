"""`emco network` through the `emco` app (typer's CliRunner, in-process, no database)."""

import json
from pathlib import Path

from typer.testing import CliRunner

from emco.cli import app
from tests.network.covert import COVERT

runner = CliRunner()
CAVIAR = str(COVERT / "caviar" / "edges.csv")


def test_analyze_json() -> None:
    result = runner.invoke(app, ["network", "analyze", CAVIAR, "--directed", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["nodes"][0]["id"] == "n1"
    assert data["nodes"][0]["head_rank"] == 1
    assert len(data["key_players"]) == 5
    assert data["nodes"][0]["parts"]["betweenness"]["weight"] > 0


def test_analyze_table_roles_and_export(tmp_path: Path) -> None:
    roles = tmp_path / "roles.csv"
    roles.write_text("node,role,grade\nn3,lieutenant,B2\n", encoding="utf-8")
    out = tmp_path / "caviar.gexf"
    result = runner.invoke(app, ["network", "analyze", CAVIAR, "--roles", str(roles),
                                 "--key-players", "3", "--export", "gexf", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "n1" in result.stdout
    assert "key players" in result.stdout
    assert out.stat().st_size > 0


def test_bad_file_gives_a_message_and_exit_code_2(tmp_path: Path) -> None:
    bad = tmp_path / "edges.csv"
    bad.write_text("source,target,weight\na,b,1\nc,c,1\nd,e,-3\n", encoding="utf-8")
    result = runner.invoke(app, ["network", "analyze", str(bad)])
    assert result.exit_code == 2
    assert "line 3: self-loop" in result.output
    assert "line 4: weight '-3'" in result.output


def test_timeline_and_simulate(tmp_path: Path) -> None:
    dated = tmp_path / "dated.csv"
    dated.write_text("source,target,time\na,b,2024-01-03\nb,c,2024-01-09\nc,d,2024-02-01\n"
                     "d,a,2024-02-11\n", encoding="utf-8")
    result = runner.invoke(app, ["network", "timeline", str(dated), "--json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.stdout)["windows"]) == 2
    result = runner.invoke(app, ["network", "simulate", CAVIAR, "--remove", "n1", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["largest_share_after"] < 0.98
