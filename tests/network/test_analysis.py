import pandas as pd
import pytest

from emco.errors import BadInput
from emco.network.analysis import CREWS, ORGANISATIONS, analyze
from tests.network.covert import caviar, hierarchy


def test_caviar_mastermind_ranks_first_and_lieutenant_next() -> None:
    result = analyze(caviar(), directed=True, resolution=CREWS)
    assert result.node("n1").head_rank == 1
    assert result.node("n1").role.value == "head"
    assert result.node("n3").head_rank == 2
    # Morales (n12) organised the cocaine import: he leads its branch, not a satellite
    # of his who speaks to him and one other hub.
    branch = result.communities[result.node("n12").community]
    assert branch.heads[0] == "n12"


def test_caviar_as_organisations() -> None:
    result = analyze(caviar(), directed=True)
    assert ORGANISATIONS < CREWS  # the default: an organisation, not its crews
    assert result.node("n1").head_rank == 1
    assert result.node("n3").head_rank <= 3
    assert result.communities[result.node("n12").community].heads[0] == "n12"


def test_communities_are_ordered_and_cover_everyone() -> None:
    result = analyze(caviar(), resolution=CREWS)
    sizes = [len(c.members) for c in result.communities]
    assert sizes == sorted(sizes, reverse=True)
    assert [c.id for c in result.communities] == list(range(len(sizes)))
    assert sum(sizes) == len(result.nodes) == 107
    assert 0.3 < result.modularity < 0.6


def test_same_seed_same_result_any_row_order() -> None:
    first = analyze(caviar(), seed=3).to_json()
    again = analyze(caviar().sample(frac=1.0, random_state=1), seed=3).to_json()
    assert first == again


def test_json_shape() -> None:
    data = analyze(hierarchy(), key_players=2).to_json()
    assert {"modularity", "communities", "nodes", "key_players"} <= set(data)
    node = data["nodes"][0]
    assert {"id", "community", "head_score", "head_rank", "role", "parts"} <= set(node)
    assert [n["head_rank"] for n in data["nodes"]] == list(range(1, len(data["nodes"]) + 1))
    assert {"id", "members"} <= set(data["communities"][0])
    assert len(data["key_players"]) == 2


def test_parallel_rows_are_aggregated() -> None:
    doubled = pd.concat([hierarchy(), hierarchy()], ignore_index=True)
    single = hierarchy().assign(weight=2.0)
    assert analyze(doubled).to_json() == analyze(single).to_json()


def test_empty_and_bad_tables() -> None:
    empty = analyze(pd.DataFrame({"source": [], "target": []}))
    assert (empty.nodes, empty.communities, empty.key_players) == ([], [], [])
    with pytest.raises(BadInput):
        analyze(pd.DataFrame({"source": ["a"], "target": [""]}))
