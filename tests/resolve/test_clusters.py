"""Entities as a pure function of the judgements, and their stable ids."""

from collections.abc import Sequence
from random import Random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from emco.model.enums import Verdict
from emco.model.types import Judgement
from emco.resolve.clusters import (
    Components,
    Edges,
    assign_ids,
    cluster_labels,
    clusters,
    current,
)
from emco.resolve.clusters import standing as standing_edges

THRESHOLD = 0.5
P, N, U = Verdict.POSITIVE, Verdict.NEGATIVE, Verdict.UNSURE


def j(left: int, right: int, verdict: Verdict, score: float | None = None,
      author: str = "model:1", id: int = 0) -> Judgement:
    return Judgement(left, right, verdict, score, author, id)


def numbered(judgements: Sequence[Judgement]) -> list[Judgement]:
    """Ids in the order given, as the store numbers rows."""
    return [Judgement(x.left, x.right, x.verdict, x.score, x.author, i)
            for i, x in enumerate(judgements, 1)]


def together(found: list[list[int]], a: int, b: int) -> bool:
    return any(a in c and b in c for c in found)


AUTHORS = st.sampled_from(["model:1", "model:2", "rule:plate", "alice", "bob"])


@st.composite
def judgement_lists(draw: st.DrawFn) -> tuple[list[int], list[Judgement]]:
    n = draw(st.integers(1, 12))
    records = list(range(1, n + 1))
    raw = draw(st.lists(st.tuples(
        st.integers(1, n + 1),  # n + 1: a record no longer there
        st.integers(1, n + 1),
        st.sampled_from(list(Verdict)),
        AUTHORS,
        st.floats(0, 1)), max_size=30))
    out = []
    for i, (a, b, verdict, author, score) in enumerate(raw, 1):
        if a == b:
            continue
        human = not author.startswith(("model:", "rule:"))
        out.append(Judgement(a, b, verdict, None if human else score, author, i))
    return records, out


@given(judgement_lists())
def test_clusters_are_a_partition_of_the_records(
        drawn: tuple[list[int], list[Judgement]]) -> None:
    records, judgements = drawn
    found = clusters(records, judgements, THRESHOLD)
    members = [r for c in found for r in c]
    assert sorted(members) == records  # each record once, none added
    assert all(c for c in found)
    assert found == sorted(found, key=lambda c: c[0])
    assert all(c == sorted(c) for c in found)


@given(judgement_lists())
def test_a_standing_negative_is_never_violated(
        drawn: tuple[list[int], list[Judgement]]) -> None:
    records, judgements = drawn
    found = clusters(records, judgements, THRESHOLD)
    for (a, b), standing in current(judgements).items():
        if standing.verdict == N and a in records and b in records:
            assert not together(found, a, b), (a, b)


@given(judgement_lists())
def test_the_latest_operators_negative_keeps_two_records_apart_whatever_the_positives(
        drawn: tuple[list[int], list[Judgement]]) -> None:
    records, judgements = drawn
    latest: dict[tuple[int, int], Judgement] = {}
    for x in judgements:
        if not x.author.startswith(("model:", "rule:")):
            latest[(min(x.left, x.right), max(x.left, x.right))] = x
    found = clusters(records, judgements, THRESHOLD)
    for (a, b), x in latest.items():
        if x.verdict == N and a in records and b in records:
            assert not together(found, a, b)


@given(judgement_lists(), st.randoms(use_true_random=False))
def test_the_order_of_the_judgements_does_not_matter(
        drawn: tuple[list[int], list[Judgement]], random: Random) -> None:
    records, judgements = drawn
    shuffled = list(judgements)
    random.shuffle(shuffled)
    shuffled_records = list(records)
    random.shuffle(shuffled_records)
    assert clusters(shuffled_records, shuffled, THRESHOLD) == \
        clusters(records, judgements, THRESHOLD)


@given(judgement_lists())
def test_model_positives_below_the_threshold_never_merge(
        drawn: tuple[list[int], list[Judgement]]) -> None:
    records, judgements = drawn
    weak = [x for x in judgements if x.author.startswith("model:")
            and (x.score or 0) < THRESHOLD]
    assert clusters(records, weak, THRESHOLD) == [[r] for r in records]


@given(judgement_lists())
def test_every_cluster_is_held_together_by_its_positives(
        drawn: tuple[list[int], list[Judgement]]) -> None:
    """No cluster forms without positive judgements linking its records."""
    records, judgements = drawn
    found = clusters(records, judgements, THRESHOLD)
    links: dict[int, set[int]] = {r: set() for r in records}
    for (a, b), x in current(judgements).items():
        strong = x.verdict == P and (x.human or (x.score or 0) >= THRESHOLD)
        if strong and a in links and b in links:
            links[a].add(b)
            links[b].add(a)
    for cluster in found:
        reached, todo = {cluster[0]}, [cluster[0]]
        while todo:
            for other in links[todo.pop()]:
                if other in cluster and other not in reached:
                    reached.add(other)
                    todo.append(other)
        assert reached == set(cluster)


def one_by_one(records: list[int], judgements: list[Judgement], match_threshold: float
               ) -> list[list[int]]:
    """The clustering as it was written before it worked on columns: every positive
    link taken strongest first, record by record, two clusters joined only when no
    negative stands between them. `clusters` must give exactly the same partition."""
    standing_ = current(judgements)
    parent = {r: r for r in records}
    members = {r: [r] for r in parent}
    apart: dict[int, set[int]] = {}

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for (a, b), x in standing_.items():
        if x.verdict == N and a in parent and b in parent:
            apart.setdefault(a, set()).add(b)
            apart.setdefault(b, set()).add(a)
    positives = [x for x in standing_.values() if x.verdict == P
                 and (x.human or (x.score or 0.0) >= match_threshold)]
    positives.sort(key=lambda x: (not x.human, -(x.score or 1.0), min(x.left, x.right),
                                  max(x.left, x.right)))
    for x in positives:
        if x.left not in parent or x.right not in parent:
            continue
        ra, rb = find(x.left), find(x.right)
        if ra == rb or any(find(o) == rb for r in members[ra] for o in apart.get(r, ())):
            continue
        if len(members[ra]) < len(members[rb]):
            ra, rb = rb, ra
        parent[rb] = ra
        members[ra].extend(members.pop(rb))
    return sorted((sorted(m) for m in members.values()), key=lambda m: m[0])


@given(judgement_lists())
def test_the_columns_cluster_as_the_records_one_by_one(
        drawn: tuple[list[int], list[Judgement]]) -> None:
    records, judgements = drawn
    assert clusters(records, judgements, THRESHOLD) == \
        one_by_one(records, judgements, THRESHOLD)


@given(judgement_lists())
def test_the_standing_columns_are_the_current_judgements(
        drawn: tuple[list[int], list[Judgement]]) -> None:
    _, judgements = drawn
    found = standing_edges(Edges.of(judgements))
    assert sorted(found.id.tolist()) == sorted(x.id for x in current(judgements).values())
    assert (found.left < found.right).all()


def test_a_large_store_clusters_as_one_by_one() -> None:
    """Thousands of records in chains of namesakes: many components hold a negative."""
    rng = Random(5)
    records = list(range(3000))
    judgements = []
    for i in range(6000):
        a, b = rng.randrange(3000), rng.randrange(3000)
        if a != b:
            verdict = N if rng.random() < 0.2 else P
            judgements.append(j(a, b, verdict, round(rng.random(), 2), id=i + 1))
    assert clusters(records, judgements, THRESHOLD) == \
        one_by_one(records, judgements, THRESHOLD)


def test_a_long_chain_without_negatives_is_one_component() -> None:
    """Components are found at once, however long the chain (no link by link)."""
    n = 100_000
    left = np.arange(n - 1, dtype=np.int64)
    edges = Edges(left, left + 1, np.ones(n - 1, np.int8), np.full(n - 1, 0.9),
                  np.zeros(n - 1, np.bool_), np.arange(n - 1, dtype=np.int64))
    labels = cluster_labels(np.arange(n, dtype=np.int64), edges, THRESHOLD)
    assert (labels == 0).all()


@given(st.lists(st.tuples(st.integers(0, 30), st.integers(0, 30)), max_size=40),
       st.lists(st.integers(0, 40), max_size=10))
def test_components_name_each_record_by_the_smallest_it_is_linked_to(
        links: list[tuple[int, int]], asked: list[int]) -> None:
    """As a plain union-find would: a record no link touches is its own component."""
    parent = {x: x for pair in links for x in pair}

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b in links:
        ra, rb = find(a), find(b)
        parent[max(ra, rb)] = min(ra, rb)
    found = Components.of(np.array([a for a, _ in links], np.int64),
                          np.array([b for _, b in links], np.int64))
    assert found(np.array(asked, np.int64)).tolist() == [
        find(x) if x in parent else x for x in asked]
    for x in asked:
        if x in parent:
            expected = sorted(y for y in parent if find(y) == find(x))
            assert found.members(find(x)).tolist() == expected
        else:
            assert found.members(x).tolist() == [x]


# --- operators' judgements win on their pair -----------------------------------------------

@pytest.mark.parametrize("human_first", [True, False])
def test_an_operators_negative_splits_a_pair_the_model_merged(human_first: bool) -> None:
    model = j(1, 2, P, 0.99)
    human = j(2, 1, N, author="alice")
    judgements = numbered([human, model] if human_first else [model, human])
    assert clusters([1, 2], judgements, THRESHOLD) == [[1], [2]]


@pytest.mark.parametrize("model_verdict", [U, N])
def test_an_operators_positive_merges_a_pair_the_model_was_unsure_of(
        model_verdict: Verdict) -> None:
    judgements = numbered([j(1, 2, model_verdict, 0.3), j(1, 2, P, author="alice")])
    assert clusters([1, 2], judgements, THRESHOLD) == [[1, 2]]


def test_an_operators_unsure_replaces_the_models_positive() -> None:
    judgements = numbered([j(1, 2, P, 0.99), j(1, 2, U, author="alice")])
    assert clusters([1, 2], judgements, THRESHOLD) == [[1], [2]]


def test_the_latest_operator_wins_over_an_earlier_one() -> None:
    judgements = numbered([j(1, 2, P, author="alice"), j(1, 2, N, author="bob")])
    assert clusters([1, 2], judgements, THRESHOLD) == [[1], [2]]
    judgements = numbered([j(1, 2, N, author="alice"), j(1, 2, P, author="bob")])
    assert clusters([1, 2], judgements, THRESHOLD) == [[1, 2]]


def test_a_negative_keeps_apart_records_a_chain_of_positives_would_join() -> None:
    """1-2 and 2-3 are the model's matches, but 1 and 3 are surely different."""
    judgements = numbered([j(1, 2, P, 0.9), j(2, 3, P, 0.8), j(1, 3, N, 0.01)])
    found = clusters([1, 2, 3], judgements, THRESHOLD)
    assert not together(found, 1, 3)
    assert found == [[1, 2], [3]]  # the stronger link first


def test_operators_positives_are_taken_before_the_models() -> None:
    judgements = numbered([j(1, 2, P, 0.99), j(2, 3, P, author="alice"), j(1, 3, N, 0.01)])
    assert clusters([1, 2, 3], judgements, THRESHOLD) == [[1], [2, 3]]


def test_a_rule_links_without_a_threshold_of_its_own() -> None:
    judgements = numbered([j(1, 2, P, 1.0, author="rule:plate")])
    assert clusters([1, 2], judgements, 0.99) == [[1, 2]]


def test_judgements_on_records_no_longer_there_are_ignored() -> None:
    judgements = numbered([j(1, 9, P, 0.99), j(9, 2, P, 0.99), j(1, 2, P, 0.2)])
    assert clusters([1, 2], judgements, THRESHOLD) == [[1], [2]]


def test_a_model_positive_below_the_threshold_does_not_merge() -> None:
    assert clusters([1, 2], numbered([j(1, 2, P, 0.49)]), THRESHOLD) == [[1], [2]]
    assert clusters([1, 2], numbered([j(1, 2, P, 0.5)]), THRESHOLD) == [[1, 2]]
    assert clusters([1, 2], numbered([j(1, 2, P, None)]), THRESHOLD) == [[1], [2]]


# --- stable ids ----------------------------------------------------------------------------

def test_ids_are_kept_when_nothing_changes() -> None:
    found = [[1, 2], [3], [4, 5, 6]]
    first, after = assign_ids(found, {}, 1)
    again, after_again = assign_ids(found, first, after)
    assert again == first
    assert after_again == after


def test_new_clusters_get_new_consecutive_ids() -> None:
    first, after = assign_ids([[1, 2], [3]], {}, 7)
    assert sorted(set(first.values())) == ["E00000007", "E00000008"]
    assert first[1] == first[2] == "E00000007"  # the largest first
    assert after == 9
    second, after = assign_ids([[1, 2], [3], [4], [5, 6]], first, after)
    assert {second[r] for r in (1, 2, 3)} == {"E00000007", "E00000008"}
    assert second[5] == second[6] == "E00000009"
    assert second[4] == "E00000010"
    assert after == 11


def test_the_larger_part_keeps_the_id_on_a_split() -> None:
    previous = {1: "E00000001", 2: "E00000001", 3: "E00000001"}
    found, after = assign_ids([[1], [2, 3]], previous, 2)
    assert found == {1: "E00000002", 2: "E00000001", 3: "E00000001"}
    assert after == 3


def test_a_merge_keeps_the_id_of_the_majority() -> None:
    previous = {1: "E00000002", 2: "E00000001", 3: "E00000002", 4: "E00000003"}
    found, after = assign_ids([[1, 2, 3, 4]], previous, 4)
    assert set(found.values()) == {"E00000002"}
    assert after == 4


def test_a_tie_is_broken_by_the_smaller_id() -> None:
    previous = {1: "E00000002", 2: "E00000001"}
    found, _ = assign_ids([[1, 2]], previous, 3)
    assert set(found.values()) == {"E00000001"}


@given(st.lists(st.integers(0, 4), min_size=1, max_size=15),
       st.lists(st.integers(0, 4), min_size=1, max_size=15))
def test_ids_are_unique_per_cluster_and_every_record_has_one(
        before: list[int], after: list[int]) -> None:
    """Records 0..n-1 in clusters labelled by the lists, before and after a change."""
    def grouped(labels: list[int]) -> list[list[int]]:
        groups: dict[int, list[int]] = {}
        for record, label in enumerate(labels):
            groups.setdefault(label, []).append(record)
        return list(groups.values())

    first, number = assign_ids(grouped(before), {}, 1)
    second, last = assign_ids(grouped(after), first, number)
    assert set(second) == set(range(len(after)))
    ids_of = {tuple(c): {second[r] for r in c} for c in grouped(after)}
    assert all(len(ids) == 1 for ids in ids_of.values())
    assert len({next(iter(ids)) for ids in ids_of.values()}) == len(ids_of)
    new = {e for e in second.values() if e not in first.values()}
    assert sorted(new) == [f"E{n:08d}" for n in range(number, last)]
