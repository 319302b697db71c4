"""Evaluation against a scenario's truth: the shared measures against hand-computed values
and brute force, the registry of stages, and the check that truth and store agree (on both
backends)."""

import itertools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emco.access.gate import Access
from emco.demo import evaluate as ev
from emco.demo.evaluate import (
    Scores,
    check_store,
    cluster_scores,
    evaluate,
    found_missed_false,
    labels,
    nmi,
    pairwise_scores,
    precision_at_k,
)
from emco.demo.summary import FINDINGS
from emco.demo.truth import Truth
from emco.model.enums import Protection, Role
from emco.settings import Settings
from emco.store import audit as audit_store
from emco.store.db import Database
from tests.factories import entity, load, person, principal, write_jsonl


def _clusters(*groups: str) -> dict[str, int]:
    """"ab c" -> a and b together, c alone."""
    return labels(groups)


def _prf(s: Scores) -> tuple[float, float, float]:
    return s.precision, s.recall, s.f1


# --- pairwise -------------------------------------------------------------------------

def test_pairwise_hand_computed() -> None:
    # true pairs ab ac bc de (4); found ab cd ce de (4); correct ab de (2)
    s = pairwise_scores(_clusters("abc", "de"), _clusters("ab", "cde"))
    assert (s.correct, s.found, s.true) == (2, 4, 4)
    assert _prf(s) == (0.5, 0.5, 0.5)


def test_pairwise_under_merged() -> None:
    s = pairwise_scores(_clusters("abcd"), _clusters("ab", "c", "d"))
    assert (s.correct, s.found, s.true) == (1, 1, 6)
    assert s.precision == 1.0
    assert s.recall == pytest.approx(1 / 6)
    assert s.f1 == pytest.approx(2 / 7)


@pytest.mark.parametrize(("true", "found", "expected"), [
    ((), (), (1.0, 1.0, 1.0)),  # nothing to find, nothing found
    (("a", "b", "c"), ("a", "b", "c"), (1.0, 1.0, 1.0)),  # singletons only
    (("a", "b", "c", "d"), ("abcd",), (0.0, 1.0, 0.0)),  # one giant cluster, wrongly
    (("abcd",), ("a", "b", "c", "d"), (1.0, 0.0, 0.0)),  # the giant cluster missed
    (("abcd",), ("abcd",), (1.0, 1.0, 1.0)),
])
def test_pairwise_edges(true: tuple[str, ...], found: tuple[str, ...],
                        expected: tuple[float, float, float]) -> None:
    assert _prf(pairwise_scores(_clusters(*true), _clusters(*found))) == expected


def test_an_item_one_side_omits_is_alone_there() -> None:
    # the resolver lists no singletons: c is alone on the found side
    true, found = _clusters("ab", "c"), {"a": 1, "b": 1}
    assert _prf(pairwise_scores(true, found)) == (1.0, 1.0, 1.0)
    assert _prf(cluster_scores(true, found)) == (1.0, 1.0, 1.0)
    # x, unknown to the truth, merged with a: a false pair
    s = pairwise_scores(true, {"a": 1, "b": 1, "x": 1})
    assert (s.correct, s.found, s.true) == (1, 3, 1)


def test_labels_refuse_an_item_in_two_clusters() -> None:
    with pytest.raises(ValueError, match="'b' is in two clusters"):
        labels(["ab", "bc"])


def _brute_pairs(clustering: dict[int, object]) -> set[frozenset[int]]:
    return {frozenset((x, y)) for x, y in itertools.combinations(clustering, 2)
            if clustering[x] == clustering[y]}


clusterings = st.dictionaries(st.integers(0, 30), st.integers(0, 5), max_size=25)


@given(clusterings, clusterings)
def test_pairwise_equals_brute_force(true: dict[int, int], found: dict[int, int]) -> None:
    everyone = set(true) | set(found)
    # brute force needs both sides over the same items: the absent are alone
    true_all: dict[int, object] = {i: true.get(i, ("t", i)) for i in everyone}
    found_all: dict[int, object] = {i: found.get(i, ("f", i)) for i in everyone}
    true_pairs, found_pairs = _brute_pairs(true_all), _brute_pairs(found_all)
    s = pairwise_scores(true, found)
    assert (s.correct, s.found, s.true) == (len(true_pairs & found_pairs), len(found_pairs),
                                            len(true_pairs))
    expected = Scores.of(len(true_pairs & found_pairs), len(found_pairs), len(true_pairs))
    assert _prf(s) == _prf(expected)


# --- clusters -------------------------------------------------------------------------

def test_cluster_hand_computed() -> None:
    s = cluster_scores(_clusters("ab", "c", "d"), _clusters("ab", "cd"))
    assert (s.correct, s.found, s.true) == (1, 2, 3)
    assert s.precision == 0.5
    assert s.recall == pytest.approx(1 / 3)
    assert s.f1 == pytest.approx(0.4)


@pytest.mark.parametrize(("true", "found", "expected"), [
    ((), (), (1.0, 1.0, 1.0)),
    (("a", "b"), ("a", "b"), (1.0, 1.0, 1.0)),
    (("a", "b", "c"), ("abc",), (0.0, 0.0, 0.0)),
    (("abc",), ("abc",), (1.0, 1.0, 1.0)),
    (("abc",), ("ab", "c"), (0.0, 0.0, 0.0)),
])
def test_cluster_edges(true: tuple[str, ...], found: tuple[str, ...],
                       expected: tuple[float, float, float]) -> None:
    assert _prf(cluster_scores(_clusters(*true), _clusters(*found))) == expected


@given(clusterings, clusterings)
def test_cluster_equals_brute_force(true: dict[int, int], found: dict[int, int]) -> None:
    everyone = set(true) | set(found)

    def sets(c: dict[int, int]) -> set[frozenset[int]]:
        groups: dict[object, set[int]] = {}
        for i in everyone:
            groups.setdefault(c.get(i, ("alone", i)), set()).add(i)
        return {frozenset(g) for g in groups.values()}

    t, f = sets(true), sets(found)
    s = cluster_scores(true, found)
    assert (s.correct, s.found, s.true) == (len(t & f), len(f), len(t))


# --- NMI ------------------------------------------------------------------------------

def test_nmi_hand_computed() -> None:
    h_true = math.log(2)
    h_found = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    mutual = 0.5 * math.log(4 / 3) + 0.25 * math.log(2 / 3) + 0.25 * math.log(2)
    value = nmi(dict(enumerate([0, 0, 1, 1])), dict(enumerate([0, 0, 0, 1])))
    assert value == pytest.approx(mutual / ((h_true + h_found) / 2))
    assert value == pytest.approx(0.34371, abs=1e-5)


def test_nmi_identical_labelings_is_1_whatever_the_names() -> None:
    true = dict(enumerate([0, 0, 1, 1, 2, 2, 2]))
    assert nmi(true, true) == pytest.approx(1.0)
    renamed = {i: f"community-{9 - label}" for i, label in true.items()}
    assert nmi(true, renamed) == pytest.approx(1.0)


def test_nmi_independent_labelings_is_0() -> None:
    grid = list(itertools.product(range(4), range(5)))  # rows tell nothing of columns
    assert nmi({g: g[0] for g in grid}, {g: g[1] for g in grid}) == pytest.approx(0.0)


def test_nmi_edges() -> None:
    assert nmi({}, {}) == 1.0
    assert nmi({"a": 1}, {"a": 2}) == 1.0
    one_cluster = dict.fromkeys("abcd", 0)
    assert nmi(one_cluster, one_cluster) == 1.0
    apart = {item: i for i, item in enumerate("abcd")}
    assert nmi(one_cluster, apart) == 0.0  # all together against all apart


@given(clusterings, clusterings)
def test_nmi_is_a_symmetric_share(true: dict[int, int], found: dict[int, int]) -> None:
    value = nmi(true, found)
    assert 0.0 <= value <= 1.0
    assert value == pytest.approx(nmi(found, true))


# --- detection and ranking ------------------------------------------------------------

def test_found_missed_false() -> None:
    d = found_missed_false({"a", "b", "c"}, ["b", "c", "x", "y", "x"])
    assert (d.found, d.missed, d.false) == (2, 1, 2)
    assert d.to_dict() == {"found": 2, "missed": 1, "false": 2}
    assert found_missed_false(set(), set()).to_dict() == {"found": 0, "missed": 0,
                                                          "false": 0}


def test_precision_at_k() -> None:
    ranked = ["a", "b", "c", "d"]
    assert precision_at_k(ranked, {"a", "c"}, 2) == 0.5
    assert precision_at_k(ranked, ["a", "c"], 4) == 0.5
    assert precision_at_k(ranked, {"a", "c"}, 1) == 1.0
    assert precision_at_k(["a"], {"a"}, 3) == pytest.approx(1 / 3)  # divided by k
    assert precision_at_k([], {"a"}, 1) == 0.0
    with pytest.raises(ValueError, match="k must be at least 1"):
        precision_at_k(ranked, {"a"}, 0)


# --- registry ----------------------------------------------------------------------------

def test_the_stages_that_exist_and_the_load_summary_knows_the_same_stages() -> None:
    assert list(ev.STAGES) == ["resolve", "deconflict", "network", "risk"]
    assert [stage for stage, evaluator in ev.STAGES.items() if evaluator] == [
        "resolve", "deconflict", "network", "risk"]
    assert list(FINDINGS) == ["store", *ev.STAGES]


# --- the truth against the store (both backends) -------------------------------------

OFAST = [person("o-p1", "Karim BELKACEM"), entity("o-v1", "Vehicle",
                                                  registrationNumber="AB-123-CD")]
DNPJ = [person("d-p1", "Karim BELKACEM"), entity("d-p2", "Person", name="Agent Secret",
                                                 meta={"protection": "DR"})]
RECORDS = {("OFAST", "o-p1"): "P1", ("OFAST", "o-v1"): "V1", ("DNPJ", "d-p1"): "P1",
           ("DNPJ", "d-p2"): "P2"}


def _truth(records: dict[tuple[str, str], str]) -> Truth:
    return Truth(version=1, seed=7, scale=1.0, records=records, entities={}, networks=[],
                 overlaps=[], conflicts=[], under_assessed=[])


@pytest.fixture
def operator(db: Database, settings: Settings, tmp_path: Path,
             seeded: Callable[..., None]) -> Access:
    def build() -> None:
        load(db, settings, write_jsonl(tmp_path / "ofast.jsonl", OFAST), "OFAST")
        load(db, settings, write_jsonl(tmp_path / "dnpj.jsonl", DNPJ), "DNPJ")

    seeded("operator", build)
    return Access(db, principal("EMCO", Role.OPERATOR, clearance=Protection.DR))


def test_truth_matching_the_store(operator: Access) -> None:
    check = check_store(operator, _truth(RECORDS))
    assert check.ok
    assert check.to_dict() == {"records_in_truth": 4, "records_in_store": 4, "missing": 0,
                               "unknown": 0}
    assert check.message() == ("The truth matches the store: 4 records, none missing, "
                               "none unknown.")


def test_mismatch_counts_and_names_the_first_records(operator: Access) -> None:
    records = {k: v for k, v in RECORDS.items() if k != ("DNPJ", "d-p2")}
    records |= {("SNRP", "s-2"): "P9", ("SNRP", "s-1"): "P9"}
    check = check_store(operator, _truth(records))
    assert (check.missing, check.unknown) == (2, 1)
    assert check.missing_examples == ("SNRP:s-1", "SNRP:s-2")
    assert check.unknown_examples == ("DNPJ:d-p2",)
    assert check.message().startswith(
        "the truth file does not match the database: 2 records of the truth are not in the "
        "store (e.g. SNRP:s-1, SNRP:s-2), 1 record of the store is not in the truth "
        "(e.g. DNPJ:d-p2)")


def test_the_check_sees_only_what_the_principal_sees(db: Database, operator: Access) -> None:
    cleared_np = Access(db, principal("EMCO", Role.OPERATOR))
    check = check_store(cleared_np, _truth(RECORDS))
    assert (check.records_in_store, check.missing, check.unknown) == (3, 1, 0)


def test_evaluate_runs_existing_stages_only_when_the_store_matches(operator: Access) -> None:
    calls: list[Truth] = []

    def resolve(access: Access, truth: Truth) -> dict[str, Any]:
        calls.append(truth)
        return {"pairwise": {"precision": 1.0, "recall": 0.5, "f1": 2 / 3}, "clusters": 3}

    stages = {"resolve": resolve, "deconflict": None}
    result = evaluate(operator, _truth(RECORDS), stages)
    assert result.to_dict() == {
        "store": {"records_in_truth": 4, "records_in_store": 4, "missing": 0, "unknown": 0},
        "resolve": {"pairwise": {"precision": 1.0, "recall": 0.5, "f1": 2 / 3},
                    "clusters": 3},
        "deconflict": None}
    assert result.rows() == [("resolve", "pairwise precision", "1.000"),
                             ("resolve", "pairwise recall", "0.500"),
                             ("resolve", "pairwise f1", "0.667"),
                             ("resolve", "clusters", "3"),
                             ("deconflict", "", "absent")]
    assert len(calls) == 1

    skipped = evaluate(operator, _truth({**RECORDS, ("SNRP", "s-1"): "P9"}), stages)
    assert not skipped.store.ok
    assert skipped.measures == {"resolve": None, "deconflict": None}
    assert [r[2] for r in skipped.rows()] == ["not evaluated", "absent"]
    assert len(calls) == 1


def test_stages_not_built_are_absent(operator: Access) -> None:
    result = evaluate(operator, _truth(RECORDS))
    data = result.to_dict()
    assert data["store"] == {"records_in_truth": 4, "records_in_store": 4, "missing": 0,
                             "unknown": 0}
    assert data["network"]["networks"] == 0
    # no assessment run: nothing flagged, a precision over nothing is not reported as 0
    assert data["risk"] == {"under_assessed": {"found": 0, "missed": 0, "false": 0},
                            "precision": None}
    assert data["resolve"] is not None
    assert data["deconflict"]["overlaps"] == {"found": 0, "missed": 0, "false": 0}
    assert [stage for stage, _, value in result.rows() if value == "absent"] == []


def test_the_export_is_one_audit_row(db: Database, operator: Access) -> None:
    check_store(operator, _truth(RECORDS))
    with db.read() as conn:
        row = audit_store.recent(conn, 1)[0]
    assert (row["action"], row["result_count"], row["objects"]) == (
        "case:record:export", 4, "[]")
