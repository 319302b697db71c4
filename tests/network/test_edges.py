from pathlib import Path

import pandas as pd
import pytest

from emco.errors import BadInput
from emco.network import edges
from emco.network.edges import (
    normalise_edges,
    read_edge_file,
    read_nodes_file,
    read_roles_file,
)


def _file(tmp_path: Path, text: str, name: str = "edges.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_reads_all_columns(tmp_path: Path) -> None:
    path = _file(tmp_path, "source,target,weight,type,time,extra\n"
                           "a,b,2.5,Call,2024-03-01,x\nb,c,,payment,,y\n")
    table = read_edge_file(path, directed=True)
    assert table["source"].tolist() == ["a", "b"]
    assert table["weight"].tolist() == [2.5, 1.0]
    assert table["type"].tolist() == ["call", "payment"]
    assert table["time"].iloc[0] == pd.Timestamp("2024-03-01")
    assert pd.isna(table["time"].iloc[1])


def test_keeps_ids_that_look_like_missing_values(tmp_path: Path) -> None:
    # cocaine_acero has a person whose initials are NA
    table = read_edge_file(_file(tmp_path, "source,target\nNA,SAR\n"))
    assert table["source"].tolist() == ["NA"]


@pytest.mark.parametrize(("text", "message"), [
    ("source,weight\na,1\n", "line 1: missing column(s) target"),
    ("source,target\na,a\n", "line 2: self-loop"),
    ("source,target\na,\n", "line 2: target: empty id"),
    ("source,target,weight\na,b,-1\n", "line 2: weight '-1' is not positive"),
    ("source,target,weight\na,b,nan\n", "line 2: weight 'nan' is not a finite number"),
    ("source,target,weight\na,b,inf\n", "line 2: weight 'inf' is not a finite number"),
    ("source,target,weight\na,b,lots\n", "line 2: weight 'lots' is not a number"),
    ("source,target,time\na,b,yesterday-ish\n", "line 2: time 'yesterday-ish' is not a date"),
    ("source,target,weight\na,b\n", "line 2: 2 cells where the header has 3"),
    ("", "the file is empty"),
])
def test_bad_lines_are_named(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(BadInput) as caught:
        read_edge_file(_file(tmp_path, text))
    assert message in caught.value.message


def test_problems_are_collected_and_counted(tmp_path: Path) -> None:
    text = "source,target\n" + "".join(f"x{i},x{i}\n" for i in range(15))
    with pytest.raises(BadInput) as caught:
        read_edge_file(_file(tmp_path, text))
    assert "line 2: self-loop" in caught.value.message
    assert "(and 5 more)" in caught.value.message


def test_unknown_ids_against_a_nodes_file(tmp_path: Path) -> None:
    nodes = read_nodes_file(_file(tmp_path, "id,name\na,A\nb,B\n", "nodes.csv"))
    with pytest.raises(BadInput, match="line 3: target: unknown id 'z'"):
        read_edge_file(_file(tmp_path, "source,target\na,b\nb,z\n"), nodes=nodes)


def test_an_overlong_line_is_refused_without_reading_it_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(edges, "MAX_LINE_BYTES", 1000)
    path = _file(tmp_path, "source,target\na,b\n" + "x" * 5000 + ",c\n")
    with pytest.raises(BadInput, match="line 3: longer than 1,000 bytes"):
        read_edge_file(path)


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "edges.csv"
    path.write_bytes(b"source,target\n\xff\xfe,b\n")
    with pytest.raises(BadInput, match="line 2: not UTF-8"):
        read_edge_file(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="cannot be read"):
        read_edge_file(tmp_path / "nope.csv")


def test_roles_file(tmp_path: Path) -> None:
    declared = read_roles_file(_file(tmp_path, "node,role,grade\nn1,Head,A1\nn1,finance,B3\n",
                                     "roles.csv"))
    assert declared == {"n1": [("head", "A1"), ("finance", "B3")]}
    with pytest.raises(BadInput, match="line 2: role 'capo'"):
        read_roles_file(_file(tmp_path, "node,role,grade\nn1,capo,A1\n", "r2.csv"))
    with pytest.raises(BadInput, match="line 2: grade 'Z9'"):
        read_roles_file(_file(tmp_path, "node,role,grade\nn1,head,Z9\n", "r3.csv"))


def test_normalise_fills_defaults_and_checks_rows() -> None:
    table = normalise_edges(pd.DataFrame({"source": ["a"], "target": ["b"]}))
    assert table.columns.tolist() == ["source", "target", "weight", "type", "time"]
    assert (table["weight"].iloc[0], table["type"].iloc[0]) == (1.0, "")
    with pytest.raises(BadInput, match="row 1: weight is not a positive finite number"):
        normalise_edges(pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"],
                                      "weight": [1.0, float("inf")]}))
    with pytest.raises(BadInput, match="row 0: self-loop"):
        normalise_edges(pd.DataFrame({"source": ["a"], "target": ["a"]}))
    with pytest.raises(BadInput, match="missing column"):
        normalise_edges(pd.DataFrame({"source": ["a"]}))
