import pytest

from emco.errors import BadInput
from emco.network.analysis import analyze
from emco.network.disruption import simulate_removal
from tests.network.covert import caviar, hierarchy


def test_removing_the_bosses_splits_the_crews() -> None:
    f = simulate_removal(hierarchy(), ["B", "C"])
    assert f.largest_share_before == 1.0
    assert f.pieces_before == 1
    assert f.pieces_after == 2  # the two crews of lieutenants
    assert f.largest_share_after <= 0.6  # L1-L3 and their soldiers
    assert f.efficiency_after < f.efficiency_before
    assert not f.efficiency_estimated


def test_unknown_ids_are_refused() -> None:
    with pytest.raises(BadInput, match="not in the network: Z"):
        simulate_removal(hierarchy(), ["B", "Z"])


def test_key_players_fragment_at_least_as_much_as_any_single_ranking() -> None:
    result = analyze(caviar(), key_players=5)
    best, *singles = result.disruption
    assert best.strategy == "key players"
    assert {s.strategy for s in singles} == {"degree", "betweenness", "head score"}
    score = best.fragmentation.largest_share_after + best.fragmentation.efficiency_after
    for single in singles:
        f = single.fragmentation
        assert score <= f.largest_share_after + f.efficiency_after + 1e-9
    assert len(result.key_players) == 5
    again = simulate_removal(caviar(), result.key_players)
    assert again.largest_share_after == pytest.approx(best.fragmentation.largest_share_after)
    assert "n1" in result.key_players


def test_no_key_players_asked() -> None:
    result = analyze(hierarchy(), key_players=0)
    assert (result.key_players, result.disruption) == ([], [])
