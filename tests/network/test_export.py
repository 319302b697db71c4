import csv
import json
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from emco.errors import BadInput
from emco.network.analysis import analyze
from emco.network.export import export
from tests.network.covert import hierarchy


@pytest.fixture
def typed() -> pd.DataFrame:
    extra = pd.DataFrame({"source": ["L1", "B"], "target": ["B", "C"],
                          "weight": [900.0, 2.0], "type": ["payment", "call"],
                          "time": pd.to_datetime(["2024-02-01", "2024-03-05"])})
    return pd.concat([hierarchy(), extra], ignore_index=True)


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_graph_files_carry_the_analysis(tmp_path: Path, typed: pd.DataFrame, fmt: str) -> None:
    result = analyze(typed)
    out = tmp_path / f"net.{fmt}"
    export(result, typed, fmt, out)
    graph = nx.read_graphml(out) if fmt == "graphml" else nx.read_gexf(out)
    assert graph.number_of_nodes() == len(result.nodes)
    top = result.nodes[0]
    b = graph.nodes[top.id]
    assert (b["role"], int(b["head_rank"]), int(b["community"])) == (
        top.role.value, 1, top.community)
    assert float(b["head_score"]) == pytest.approx(top.head_score, abs=1e-5)
    assert "payment" in graph.edges["L1", "B"]["tie_type"]


def test_csv(tmp_path: Path, typed: pd.DataFrame) -> None:
    result = analyze(typed)
    people, ties = export(result, typed, "csv", tmp_path / "net.csv")
    rows = list(csv.DictReader(people.open(encoding="utf-8")))
    assert rows[0]["id"] == result.nodes[0].id
    assert rows[0]["head_rank"] == "1"
    assert "insulation" in rows[0]
    assert "flows" in rows[0]
    assert len(list(csv.DictReader(ties.open(encoding="utf-8")))) == len(typed)


def test_ftm_lines(tmp_path: Path, typed: pd.DataFrame) -> None:
    result = analyze(typed)
    out = tmp_path / "net.ftm.json"
    export(result, typed, "ftm", out)
    entities = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    schemata = {e["schema"] for e in entities}
    assert {"Person", "Payment", "Call", "UnknownLink"} <= schemata
    top = result.nodes[0]
    boss = next(e for e in entities if e["schema"] == "Person"
                and e["properties"]["name"] == [top.id])
    assert f"role:{top.role.value}" in boss["properties"]["keywords"]
    payment = next(e for e in entities if e["schema"] == "Payment")
    assert payment["properties"]["startDate"] == ["2024-02-01"]


def test_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="unknown export format"):
        export(analyze(hierarchy()), hierarchy(), "pdf", tmp_path / "x.pdf")
