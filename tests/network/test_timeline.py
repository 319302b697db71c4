import pandas as pd
import pytest

from emco.errors import BadInput
from emco.network.analysis import CREWS
from emco.network.timeline import timeline
from tests.network.covert import caviar_phases


def test_caviar_phases() -> None:
    result = timeline(caviar_phases(), freq="2MS", directed=True, top=5)
    assert len(result.windows) == 11
    assert result.undated == 0
    assert sum(w.top[0] == "n1" for w in result.windows) >= 9  # the mastermind throughout
    # Morales (n12) and the cocaine branch come in with phase 5
    assert any(r.id == "n12" and r.window == 4 for r in result.risers)
    assert all(c.kind in ("split", "merge") for c in result.changes)


def test_a_network_splitting_then_merging() -> None:
    one = [("a", "b"), ("b", "c"), ("c", "a"), ("d", "e"), ("e", "f"), ("f", "d"), ("c", "d")]
    two = [("a", "b"), ("b", "c"), ("c", "a"), ("d", "e"), ("e", "f"), ("f", "d")]
    everyone = [(s, t) for i, s in enumerate("abcdef") for t in "abcdef"[i + 1:]]
    rows = ([(s, t, "2024-01-15") for s, t in one] + [(s, t, "2024-02-15") for s, t in two]
            + [(s, t, "2024-03-15") for s, t in everyone])
    table = pd.DataFrame(rows, columns=["source", "target", "time"])
    result = timeline(table, freq="MS", resolution=CREWS)  # crews split and merge
    assert [len(w.communities) for w in result.windows] == [2, 2, 1]
    assert [(c.kind, c.window) for c in result.changes] == [("merge", 2)]


def test_undated_edges_are_counted_and_all_undated_refused() -> None:
    table = pd.DataFrame({"source": ["a", "b"], "target": ["b", "c"],
                          "time": [pd.Timestamp("2024-01-01"), pd.NaT]})
    assert timeline(table).undated == 1
    with pytest.raises(BadInput, match="no edge has a time"):
        timeline(table.assign(time=pd.NaT))
    with pytest.raises(BadInput, match="not a frequency"):
        timeline(table, freq="fortnightly")
