"""How close the platform comes to a scenario's hidden truth (`truth.json`).

Each stage plugs its own evaluator into `STAGES`, replacing its `None` in the literal
below (stages never import `demo/`: the evaluator lives here, or in a sibling module of
`demo/`, and calls the stage's public functions through `access`):

    Evaluator = Callable[[Access, Truth], dict[str, Any]]

It receives a staff operator with DR clearance (who sees every record) and the truth, and
returns its measures as a JSON-ready dict, printed under the stage's key by
`emco demo evaluate --json` and flattened into rows of the table otherwise:

    resolve     {"pairwise": {"precision", "recall", "f1"}, "cluster": {...}}
    deconflict  {"overlaps": {"found", "missed", "false"}, "conflicts": {...}}
    network     {"nmi": 0.93, "heads_precision_at_k": 0.8}
    risk        {"under_assessed": {"found", "missed", "false"}}

A stage whose entry is `None` does not exist yet: it is reported as absent (null), never
as 0. Evaluators run only when the truth matches the store (`check_store`), so each may
take every record of the truth to be in the store and every stored record to be in the
truth. The measures they share are the pure functions below; they work from contingency
counts, never from pairs of records, so that they take seconds on a million records.
"""

import heapq
import math
from collections import Counter
from collections.abc import Callable, Collection, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from emco.access import records
from emco.access.gate import Access
from emco.demo.truth import Truth

Evaluator = Callable[[Access, Truth], dict[str, Any]]

def _resolve(access: Access, truth: Truth) -> dict[str, Any]:
    from emco.demo.grade_resolution import grade  # it uses this module's measures

    return grade(access, truth)


def _deconflict(access: Access, truth: Truth) -> dict[str, Any]:
    # Overlaps of investigations (grade_deconfliction) and conflicts of operations
    # (grade_operations), side by side.
    from emco.demo.grade_deconfliction import grade

    return {**grade(access, truth), **_conflicts(access, truth)}


def _conflicts(access: Access, truth: Truth) -> dict[str, Any]:
    """Conflicts of operations (the operations stage's grader)."""
    from emco.demo.grade_operations import grade_conflicts

    return {"conflicts": grade_conflicts(access, truth)}


def _network(access: Access, truth: Truth) -> dict[str, Any]:
    from emco.demo.grade_networks import grade

    return grade(access, truth)


def _risk(access: Access, truth: Truth) -> dict[str, Any]:
    from emco.demo.grade_risk import grade

    return grade(access, truth)


STAGES: dict[str, Evaluator | None] = {
    "resolve": _resolve,  # pairwise and cluster precision/recall/F1 over the truth's records
    "deconflict": _deconflict,  # overlaps and conflicts found/missed/false
    "network": _network,  # community NMI, heads precision at k
    "risk": _risk,  # under-assessed persons found/missed/false, precision
}

EXAMPLES = 3  # records named in a mismatch message


# --- the truth against the store -------------------------------------------------------

@dataclass(frozen=True)
class StoreCheck:
    """Whether the store holds exactly the records the truth describes."""

    records_in_truth: int
    records_in_store: int
    missing: int  # records of the truth the store lacks
    unknown: int  # records of the store the truth does not know
    missing_examples: tuple[str, ...] = ()  # "AGENCY:source_id", the first few in order
    unknown_examples: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.missing == 0 and self.unknown == 0

    def message(self) -> str:
        """One sentence on the comparison; for a mismatch, what differs and what to do."""
        if self.ok:
            return (f"The truth matches the store: {self.records_in_store:,} "
                    f"record{_s(self.records_in_store)}, none missing, none unknown.")
        parts = []
        if self.missing:
            parts.append(f"{self.missing:,} record{_s(self.missing)} of the truth "
                         f"{_are(self.missing)} not in the store "
                         f"(e.g. {', '.join(self.missing_examples)})")
        if self.unknown:
            parts.append(f"{self.unknown:,} record{_s(self.unknown)} of the store "
                         f"{_are(self.unknown)} not in the truth "
                         f"(e.g. {', '.join(self.unknown_examples)})")
        return ("the truth file does not match the database: " + ", ".join(parts) +
                "; load the scenario's folder into an empty database (`emco demo load "
                "DIR`) and evaluate that folder")

    def to_dict(self) -> dict[str, int]:
        return {"records_in_truth": self.records_in_truth,
                "records_in_store": self.records_in_store,
                "missing": self.missing, "unknown": self.unknown}


def check_store(access: Access, truth: Truth) -> StoreCheck:
    """Compare the (agency, source id) of every record the principal sees with the truth's."""
    stored = records.identities(access)
    known = truth.records
    unknown = [(a, s) for a, s, _ in stored if (a, s) not in known]
    missing = len(known) - (len(stored) - len(unknown))  # both sides are unique keys
    missing_examples: list[tuple[str, str]] = []
    if missing:  # the error path only: a set of the store's keys
        present = {(a, s) for a, s, _ in stored}
        missing_examples = heapq.nsmallest(EXAMPLES, (k for k in known if k not in present))
    return StoreCheck(
        records_in_truth=len(known), records_in_store=len(stored), missing=missing,
        unknown=len(unknown),
        missing_examples=tuple(f"{a}:{s}" for a, s in missing_examples),
        unknown_examples=tuple(f"{a}:{s}" for a, s in heapq.nsmallest(EXAMPLES, unknown)))


def _s(n: int) -> str:
    return "" if n == 1 else "s"


def _are(n: int) -> str:
    return "is" if n == 1 else "are"


# --- the evaluation --------------------------------------------------------------------

@dataclass(frozen=True)
class Evaluation:
    store: StoreCheck
    measures: dict[str, dict[str, Any] | None]  # per stage, in `STAGES` order
    absent: frozenset[str]  # stages that do not exist yet (their measures are None)

    def to_dict(self) -> dict[str, Any]:
        """What `emco demo evaluate --json` prints: the store block, then one key per
        stage (null when the stage is absent, or not run because the store differs)."""
        return {"store": self.store.to_dict(), **self.measures}

    def rows(self) -> list[tuple[str, str, str]]:
        """(stage, measure, value) rows of the table: a nested measure is named by its
        path ("pairwise precision"); a stage without measures has one row saying why."""
        out = []
        for stage, measures in self.measures.items():
            if stage in self.absent:
                out.append((stage, "", "absent"))
            elif measures is None:
                out.append((stage, "", "not evaluated"))
            else:
                out += [(stage, name, text) for name, text in _flatten(measures)]
        return out


def evaluate(access: Access, truth: Truth,
             stages: Mapping[str, Evaluator | None] | None = None) -> Evaluation:
    """Check the truth against the store, then run each existing stage's evaluator
    (`STAGES` unless `stages` is given); none runs when the store differs."""
    stages = STAGES if stages is None else stages
    store = check_store(access, truth)
    measures: dict[str, dict[str, Any] | None] = {}
    for name, evaluator in stages.items():
        measures[name] = evaluator(access, truth) if evaluator and store.ok else None
    absent = frozenset(name for name, evaluator in stages.items() if evaluator is None)
    return Evaluation(store, measures, absent)


def _flatten(measures: Mapping[str, Any], prefix: str = "") -> list[tuple[str, str]]:
    out = []
    for key, value in measures.items():
        name = f"{prefix} {key}".strip()
        if isinstance(value, Mapping):
            out += _flatten(value, name)
        elif isinstance(value, float):
            out.append((name, f"{value:.3f}"))
        elif isinstance(value, int) and not isinstance(value, bool):
            out.append((name, f"{value:,}"))
        else:
            out.append((name, "—" if value is None else str(value)))
    return out


# --- measures shared by the evaluators -------------------------------------------------
#
# A clustering is given as labels: item -> cluster id (for the truth's records,
# `truth.records` is one). An item that only one side labels is alone in a cluster of its
# own on the other side, so a resolver may leave its singletons out. A ratio over nothing
# is 1.0 (nothing to find, nothing found wrongly); F1 is 0.0 when precision and recall are.

T = TypeVar("T", bound=Hashable)
Clustering = Mapping[Any, Hashable]


@dataclass(frozen=True)
class Scores:
    """Precision, recall and F1, with the counts they come from."""

    precision: float
    recall: float
    f1: float
    correct: int  # found and true
    found: int
    true: int

    @classmethod
    def of(cls, correct: int, found: int, true: int) -> "Scores":
        precision = correct / found if found else 1.0
        recall = correct / true if true else 1.0
        total = precision + recall
        return cls(precision, recall, 2 * precision * recall / total if total else 0.0,
                   correct, found, true)

    def to_dict(self) -> dict[str, float]:
        return {"precision": self.precision, "recall": self.recall, "f1": self.f1}


@dataclass(frozen=True)
class Detection:
    """Items to detect (overlaps, conflicts, under-assessed persons): how many were found,
    missed, or reported without being true."""

    found: int
    missed: int
    false: int

    def to_dict(self) -> dict[str, int]:
        return {"found": self.found, "missed": self.missed, "false": self.false}


@dataclass(frozen=True)
class Contingency:
    """How many items each (true cluster, found cluster) pair shares, and the sizes."""

    cells: Counter[tuple[Hashable, Hashable]]
    true_sizes: Counter[Hashable]
    found_sizes: Counter[Hashable]
    total: int


class _Alone:
    """The found (or true) label of an item the other side alone labels: unique to it."""

    __slots__ = ("item",)

    def __init__(self, item: Hashable) -> None:
        self.item = item

    def __hash__(self) -> int:
        return hash((_Alone, self.item))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Alone) and other.item == self.item


def contingency(true: Clustering, found: Clustering) -> Contingency:
    """The contingency counts of two clusterings, in one pass over the items."""
    cells: Counter[tuple[Hashable, Hashable]] = Counter(
        (label, found[item] if item in found else _Alone(item))
        for item, label in true.items())
    cells.update((_Alone(item), label) for item, label in found.items() if item not in true)
    true_sizes: Counter[Hashable] = Counter()
    found_sizes: Counter[Hashable] = Counter()
    for (t, f), n in cells.items():
        true_sizes[t] += n
        found_sizes[f] += n
    return Contingency(cells, true_sizes, found_sizes, sum(true_sizes.values()))


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise_scores(true_clusters: Clustering, found_clusters: Clustering) -> Scores:
    """Precision, recall and F1 over pairs of items put in one cluster: a found pair is
    correct when the truth puts both items together. Counted as the sum of n·(n−1)/2 over
    the contingency cells, without listing pairs."""
    c = contingency(true_clusters, found_clusters)
    return Scores.of(correct=sum(_pairs(n) for n in c.cells.values()),
                     found=sum(_pairs(n) for n in c.found_sizes.values()),
                     true=sum(_pairs(n) for n in c.true_sizes.values()))


def cluster_scores(true: Clustering, found: Clustering) -> Scores:
    """Precision, recall and F1 over whole clusters: a found cluster is correct when it
    holds exactly the items of one true cluster (singletons included)."""
    c = contingency(true, found)
    exact = sum(1 for (t, f), n in c.cells.items()
                if n == c.true_sizes[t] and n == c.found_sizes[f])
    return Scores.of(correct=exact, found=len(c.found_sizes), true=len(c.true_sizes))


def nmi(true_labels: Clustering, found_labels: Clustering) -> float:
    """Normalised mutual information of two clusterings, arithmetic normalisation:
    I(T; F) / ((H(T) + H(F)) / 2). 1.0 for identical partitions (whatever the labels),
    near 0.0 for independent ones; 1.0 when both put every item in one cluster."""
    c = contingency(true_labels, found_labels)
    total = c.total
    h_true = _entropy(c.true_sizes.values(), total)
    h_found = _entropy(c.found_sizes.values(), total)
    if h_true == 0.0 and h_found == 0.0:
        return 1.0
    mutual = math.fsum(n / total * math.log(total * n / (c.true_sizes[t] * c.found_sizes[f]))
                       for (t, f), n in c.cells.items())
    return min(1.0, max(0.0, mutual / ((h_true + h_found) / 2)))


def _entropy(sizes: Iterable[int], total: int) -> float:
    return -math.fsum(n / total * math.log(n / total) for n in sizes if n)


def found_missed_false(true_set: Collection[T], found_set: Collection[T]) -> Detection:
    """How many true items were found, how many missed, how many found are not true."""
    true, found = set(true_set), set(found_set)
    return Detection(found=len(true & found), missed=len(true - found),
                     false=len(found - true))


def precision_at_k(ranked: Sequence[T], relevant: Collection[T], k: int) -> float:
    """The share of the first `k` ranked items that are relevant (divided by `k` even
    when fewer are ranked; with k = the number of relevant items, 1.0 is reachable)."""
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    wanted = relevant if isinstance(relevant, set | frozenset) else set(relevant)
    return sum(1 for item in ranked[:k] if item in wanted) / k


def labels(clusters: Iterable[Iterable[T]]) -> dict[T, int]:
    """Clusters given as collections of items, as labels (item -> cluster number)."""
    out: dict[T, int] = {}
    for number, cluster in enumerate(clusters):
        for item in cluster:
            if out.setdefault(item, number) != number:
                raise ValueError(f"{item!r} is in two clusters (#{out[item]} and #{number})")
    return out
