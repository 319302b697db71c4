"""The person model: trained by Splink without labels, applied by Splink to the batch and
in-process by `Scorer` to each new record; both must give every pair the same weight.
Trained once per test process on the people of a small scenario (see conftest.py)."""

import json
import math
from itertools import combinations
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emco.resolve import model
from emco.resolve.comparisons import BLOCKING_ARRAYS, BLOCKING_KEYS, PERSON
from emco.resolve.features import person_features, person_keys
from emco.resolve.model import Scorer
from tests.resolve.conftest import Trained, usable


@pytest.fixture(scope="module")
def people(scenario_people: dict[int, dict[str, Any]]) -> dict[int, dict[str, Any]]:
    return {r["unique_id"]: r for r in usable(scenario_people.values())}


@pytest.fixture(scope="module")
def predicted(trained: Trained, people_frame: pd.DataFrame) -> pd.DataFrame:
    """Every pair the batch compares (threshold 0: none left out)."""
    return pd.concat(list(model.predict(trained[0], people_frame, 0.0)), ignore_index=True)


def test_the_frame_is_small_but_not_trivial(people_frame: pd.DataFrame) -> None:
    assert 100 <= len(people_frame) <= 2000


def test_training_gives_m_and_u_to_every_level(trained: Trained) -> None:
    settings_, _ = trained
    assert [c["output_column_name"] for c in settings_["comparisons"]] == \
        [c.name for c in PERSON]
    for comparison in settings_["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            where = (comparison["output_column_name"], level["label_for_charts"])
            assert 0 < level["m_probability"] <= 1, where
            assert 0 < level["u_probability"] <= 1, where
    assert 0 < settings_["probability_two_random_records_match"] < 0.5
    json.dumps(settings_)  # stored as JSON


def test_what_sets_two_records_apart_weighs_against_them(trained: Trained) -> None:
    """Sanity of the estimates: an exact surname is evidence for, "else" against."""
    scorer = Scorer(*trained)
    tables = dict(zip([c.name for c in PERSON], [t for _, t in scorer.comparisons],
                      strict=True))
    for name in ("first_name", "surname", "birth_date"):
        levels = tables[name]
        top = max(levels)
        assert levels[top][1] > 0, name  # exact
        assert levels[0][1] < 0, name  # else


def _levels(*pairs: tuple[float | None, float | None]) -> dict[str, Any]:
    return {"comparisons": [{"comparison_levels": [
        {"label_for_charts": "null", "is_null_level": True},
        *({"label_for_charts": label, "m_probability": m, "u_probability": u}
          for label, (m, u) in zip(("exact", "close", "else"), pairs, strict=True))]}]}


def _m_u(settings_: dict[str, Any]) -> list[tuple[float, float]]:
    return [(lv["m_probability"], lv["u_probability"])
            for lv in settings_["comparisons"][0]["comparison_levels"][1:]]


def test_a_level_seen_among_matches_but_never_at_random_is_strong_evidence() -> None:
    """At a million records no two random records shared a document: u unknown. Taken
    as neutral, a shared document said nothing; it is rarer than 3 in the pairs drawn."""
    filled = model._fill_unseen(_levels((0.54, None), (None, 0.01), (0.46, 0.99)), 2e6)
    (m_exact, u_exact), (m_close, u_close), (m_else, u_else) = _m_u(filled)
    assert (m_exact, u_exact) == (0.54, pytest.approx(1.5e-6))
    assert m_close == model.UNSEEN_M_DEFAULT  # never seen among matches: rare there
    assert u_close == 0.01
    assert (m_else, u_else) == (0.46, 0.99)


def test_no_level_weighs_minus_infinity() -> None:
    """EM may give a level m = 0 (never seen among its matches): a verdict, not evidence;
    Splink and `Scorer` would not even agree on its weight."""
    filled = model._fill_unseen(_levels((1.0, 1e-4), (None, None), (0.0, 0.99)), 2e6)
    assert _m_u(filled)[2] == (model.M_FLOOR, 0.99)
    assert _m_u(filled)[1] == (model.UNSEEN_M_DEFAULT, model.UNSEEN_M_DEFAULT)  # neutral


def test_a_comparison_em_never_reached_takes_the_stated_prior_and_stays_neutral() -> None:
    filled = model._fill_unseen(_levels((None, None), (None, None), (None, 0.9)), 1e5)
    assert [m for m, _ in _m_u(filled)] == [0.95, 0.025, 0.025]
    assert [u for _, u in _m_u(filled)] == [0.95, 0.025, 0.9]


def test_training_is_deterministic(people_frame: pd.DataFrame, trained: Trained) -> None:
    """A retrained model on the same records gives the same weights (and so the same
    entities)."""
    again = model.train(people_frame)
    for one, other in zip(trained[0]["comparisons"], again["comparisons"], strict=True):
        for a, b in zip(one["comparison_levels"], other["comparison_levels"], strict=True):
            assert a.get("m_probability") == pytest.approx(b.get("m_probability"))
            assert a.get("u_probability") == pytest.approx(b.get("u_probability"))


def test_scorer_gives_splinks_weight_to_every_pair_of_the_batch(
        trained: Trained, people: dict[int, dict[str, Any]], predicted: pd.DataFrame) -> None:
    """The real-time path and the batch agree, term frequencies included."""
    scorer = Scorer(trained[0], model.term_frequencies(pd.DataFrame(people.values())))
    assert len(predicted) >= 100
    for left, right, weight, probability in zip(
            predicted["unique_id_l"], predicted["unique_id_r"], predicted["match_weight"],
            predicted["match_probability"], strict=True):
        score = scorer.score(people[int(left)], people[int(right)])
        assert score.weight == pytest.approx(weight, abs=1e-6), (left, right)
        assert score.probability == pytest.approx(probability, abs=1e-6), (left, right)


def test_a_model_reused_on_a_grown_store_weighs_as_the_scorer_does(
        trained: Trained, people: dict[int, dict[str, Any]], people_frame: pd.DataFrame
        ) -> None:
    """The batch weighs names by the frequencies of the model's own training, not by
    those of the store it now runs on: the real-time matcher does the same."""
    earlier = model.term_frequencies(people_frame.head(len(people_frame) // 3))
    scorer = Scorer(trained[0], earlier)
    predicted = pd.concat(list(model.predict(trained[0], people_frame, 0.0, tf=earlier)),
                          ignore_index=True)
    adjusted = 0
    for left, right, weight in zip(predicted["unique_id_l"], predicted["unique_id_r"],
                                   predicted["match_weight"], strict=True):
        score = scorer.score(people[int(left)], people[int(right)])
        assert score.weight == pytest.approx(weight, abs=1e-6), (left, right)
        adjusted += any(p.level == "exact" and p.comparison in ("first_name", "surname")
                        for p in score.parts)
    assert adjusted >= 20


def test_the_batch_compares_exactly_the_pairs_sharing_a_blocking_key(
        people: dict[int, dict[str, Any]], predicted: pd.DataFrame) -> None:
    """The real-time matcher finds its candidates by `person_keys`: it must meet the same
    pairs as the batch's blocking rules."""
    batch = {(min(a, b), max(a, b)) for a, b in zip(
        predicted["unique_id_l"].astype(int), predicted["unique_id_r"].astype(int),
        strict=True)}
    by_key: dict[tuple[str, str], list[int]] = {}
    for rid, row in people.items():
        for key in set(person_keys(row)):
            by_key.setdefault(key, []).append(rid)
    keyed = {(min(a, b), max(a, b)) for members in by_key.values()
             for a, b in combinations(members, 2)}
    assert batch == keyed


def test_term_frequencies_are_shares(people_frame: pd.DataFrame) -> None:
    tf = model.term_frequencies(people_frame)
    assert set(tf) - {model.NAMES} == set(model.TF_COLUMNS)
    for column in model.TF_COLUMNS:
        shares = tf[column]
        assert sum(shares.values()) == pytest.approx(1.0), column
        assert all(0 < share <= 1 for share in shares.values()), column
        counts = people_frame[column].dropna().value_counts()
        most = str(counts.index[0])
        assert shares[most] == pytest.approx(counts.iloc[0] / counts.sum())


def test_term_frequencies_of_a_tiny_frame() -> None:
    frame = pd.DataFrame({"fn": ["ali", "ali", "karim", None], "sn": [None, None, None, "x"]})
    assert model.term_frequencies(frame) == {"fn": {"ali": 2 / 3, "karim": 1 / 3},
                                             "sn": {"x": 1.0}}


def test_a_handful_of_records_still_gives_a_usable_model() -> None:
    """No two records share a birth date: EM has nothing to learn from there, and the
    comparisons it could not reach keep a stated prior instead of failing."""
    rows = [person_features(i, "OFAST", [("name", "name", n, n)]).row() for i, n in
            enumerate(["Karim BELKACEM", "Jean DUPONT", "BELKACEM Karim"], 1)]
    settings = model.train(pd.DataFrame(rows))
    assert 0 < settings["probability_two_random_records_match"] <= 0.1
    for comparison in settings["comparisons"]:
        for level in comparison["comparison_levels"]:
            assert level.get("is_null_level") or level["m_probability"] > 0
    scorer = Scorer(settings, model.term_frequencies(pd.DataFrame(rows)))
    assert scorer.score(rows[0], rows[2]).weight > scorer.score(rows[0], rows[1]).weight


@pytest.fixture(scope="module")
def scorer(trained: Trained) -> Scorer:
    return Scorer(*trained)


def test_parts_and_prior_add_up_to_the_weight(
        scorer: Scorer, people: dict[int, dict[str, Any]]) -> None:
    ids = sorted(people)

    @settings(max_examples=200, deadline=None, database=None)
    @given(st.sampled_from(ids), st.sampled_from(ids))
    def check(left: int, right: int) -> None:
        score = scorer.score(people[left], people[right])
        assert [p.comparison for p in score.parts] == [c.name for c in PERSON]
        assert scorer.prior_weight + math.fsum(p.weight for p in score.parts) == \
            pytest.approx(score.weight, abs=1e-9)
        assert score.probability == pytest.approx(1 / (1 + 2 ** -score.weight))
        explained = score.explain()
        assert [p["comparison"] for p in explained] == [c.name for c in PERSON]
        json.dumps(explained)

    check()


def test_a_record_scored_against_itself_is_a_match(
        scorer: Scorer, people: dict[int, dict[str, Any]]) -> None:
    complete = [r for r in people.values() if r["fn"] and r["sn"] and r["dob"]]
    assert complete
    for row in complete[:20]:
        assert scorer.score(row, row).probability > 0.99


def test_swapped_names_are_one_swap_weighed_once(scorer: Scorer) -> None:
    """Both name comparisons see a swap; only the surname's weighs it, so that
    "Campbell Thomas" never counts for more than "Thomas Campbell" written alike twice
    (counted twice, a swap and a month in common merged two Thomas Campbells)."""
    def row(first: str, last: str) -> dict[str, Any]:
        return person_features(1, "OFAST", [("firstName", "name", first, first),
                                            ("lastName", "name", last, last)]).row()

    swapped = scorer.score(row("Karim", "Belkacem"), row("Belkacem", "Karim"))
    parts = {p.comparison: p for p in swapped.parts}
    assert parts["first_name"].level == parts["surname"].level == \
        "first and last names swapped"
    assert parts["first_name"].weight == 0
    assert parts["surname"].weight > 0
    alike = scorer.score(row("Karim", "Belkacem"), row("Karim", "Belkacem"))
    assert swapped.weight < alike.weight


def test_the_untrained_settings_block_on_every_key() -> None:
    rules = [r["blocking_rule"] for r in model.untrained_settings()
             ["blocking_rules_to_generate_predictions"]]
    assert rules == [f'l."{k}" = r."{k}"' for k in (*BLOCKING_KEYS, *BLOCKING_ARRAYS)]


def test_a_block_too_common_is_left_out_of_the_batch() -> None:
    """A key value more records share than BLOCK_CAP compares none of them; others stay."""
    from emco.resolve.comparisons import BLOCK_CAP

    n = BLOCK_CAP + 1
    frame = pd.DataFrame({column: [None] * (n + 2) for column in BLOCKING_KEYS})
    frame["k_fs"] = ["MHMT|B"] * n + ["KRM|BLKSM"] * 2
    frame["k_fd"] = ["BLKSM|1987-05-14"] * (n + 2)
    out = model.capped(frame)
    assert out["k_fs"].tolist() == [None] * n + ["KRM|BLKSM"] * 2
    assert out["k_fd"].isna().all()
    assert frame["k_fs"].iloc[0] == "MHMT|B"  # the caller's frame is left alone
