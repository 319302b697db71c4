"""The network stage: ids kept across runs (pure), then a mapping of ingested records."""

from emco.network.networks import match


def test_a_network_keeps_its_id_when_members_come_and_go() -> None:
    previous = {"R0001": {"a", "b", "c", "d"}, "R0002": {"x", "y", "z"}}
    found, dissolved = match(previous, [["a", "b", "c", "e"], ["x", "y", "z", "w"]], 3)
    assert [(f.id, f.new) for f in found] == [("R0001", False), ("R0002", False)]
    assert dissolved == []


def test_a_split_is_noted_and_a_new_network_numbered() -> None:
    previous = {"R0001": {"a", "b", "c", "d", "e", "f"}}
    found, dissolved = match(previous, [["a", "b", "c", "d"], ["e", "f", "g"]], 2)
    ids = {f.id: f for f in found}
    assert set(ids) == {"R0001", "R0002"}
    assert ids["R0002"].new
    assert ids["R0002"].origin == {"split_from": "R0001"}
    assert dissolved == []


def test_a_merge_keeps_the_larger_share_and_notes_the_other() -> None:
    previous = {"R0001": {"a", "b", "c", "d"}, "R0002": {"x", "y"}}
    found, dissolved = match(previous, [["a", "b", "c", "d", "x", "y"]], 3)
    assert [f.id for f in found] == ["R0001"]
    assert found[0].origin == {"merged": ["R0002"]}
    assert dissolved == ["R0002"]


def test_nothing_shared_makes_new_networks() -> None:
    found, dissolved = match({"R0001": {"a", "b", "c"}}, [["p", "q", "r"]], 2)
    assert [(f.id, f.new, f.origin) for f in found] == [("R0002", True, {})]
    assert dissolved == ["R0001"]
