"""The consolidated score of every person at once, from their signals (vectorised).

For each signal: strength = grade factor x decay x share, at most 1, where
- grade factor = reliability x credibility (`emco.network.heads.grade_weight`: A1 = 1.0,
  B2 = 0.64, X4 = 0.12);
- decay = 0.5 ** (age in days / the type's half-life); a signal with no date counts as
  one half-life old (neither fresh nor forgotten);
- share = 1, or for a network role the catalogue's share of that role.

Signals of one type corroborate each other without piling up: the type scores
weight x (1 - prod(1 - strength)), never above its weight (three services reporting the
same escape attempt make it surer, not three escapes). Each signal contributes its part
of its type's score in proportion to its strength, so the contributions listed sum to
the score. The level follows the catalogue's thresholds; a person with no signal has no
row here (the caller says "unknown"). A criterion is met when a signal of a type that
meets it has a strength of at least `criterion_strength` (so a lieutenant inferred by the
network mapping alone, B3 x 0.4, does not meet "organised crime"; a head, B3 x 1, does).
"""

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from emco.errors import BadInput
from emco.network.heads import grade_weight
from emco.risk.catalogue import Catalogue
from emco.risk.signals import role_share

WEAKEST = grade_weight("X4")  # what an unreadable grade counts as


@dataclass(frozen=True)
class Scored:
    persons: pd.DataFrame  # entity_id, score, level, criteria (tuple of str)
    parts: pd.DataFrame  # the signals with grade, decay, strength, contribution


def score(signals: pd.DataFrame, catalogue: Catalogue, today: date) -> Scored:
    """Score the signals of resolved persons (rows with an entity) of a catalogue's types."""
    frame = signals[signals["entity_id"].notna()
                    & signals["type"].isin(list(catalogue.signals))].copy()
    if frame.empty:
        empty = pd.DataFrame([], columns=["entity_id", "score", "level", "criteria"])
        return Scored(empty, frame.assign(grade=[], decay=[], strength=[], contribution=[]))
    types = catalogue.signals
    grades = frame["reliability"].astype(str) + frame["credibility"].astype(str)
    factor = {g: _grade(g) for g in grades.unique()}
    frame["grade"] = grades
    frame["grade_factor"] = grades.map(factor).astype(float)
    half_life = frame["type"].map({k: t.half_life_days for k, t in types.items()})
    observed = pd.to_datetime(frame["observed_on"], errors="coerce")
    age = (pd.Timestamp(today) - observed).dt.days.astype(float)
    age = age.clip(lower=0).fillna(half_life)  # undated: one half-life old
    frame["decay"] = np.power(0.5, age / half_life)
    frame["share"] = role_share(frame["detail"].astype("string"))
    frame["strength"] = (frame["grade_factor"] * frame["decay"] * frame["share"]).clip(0, 1)
    # corroboration within a type: weight x (1 - prod(1 - s)), by sums of log(1 - s)
    frame["log_miss"] = np.log1p(-frame["strength"].clip(upper=1 - 1e-12))
    keys = ["entity_id", "type"]
    grouped = frame.groupby(keys, sort=False)
    frame["type_total"] = grouped["strength"].transform("sum")
    weight = frame["type"].map({k: t.weight for k, t in types.items()})
    type_score = weight * (1 - np.exp(grouped["log_miss"].transform("sum")))
    frame["contribution"] = np.where(frame["type_total"] > 0,
                                     type_score * frame["strength"] / frame["type_total"], 0.0)
    persons = frame.groupby("entity_id", sort=True)["contribution"].sum().rename("score")
    persons = persons.reset_index()
    thresholds = np.array([lv.score for lv in catalogue.levels])
    names = np.array([lv.name for lv in catalogue.levels])
    at = np.searchsorted(thresholds, persons["score"].to_numpy() + 1e-12, side="right") - 1
    persons["level"] = names[np.clip(at, 0, len(names) - 1)]
    persons["criteria"] = _criteria(frame, catalogue).reindex(
        persons["entity_id"]).to_numpy()
    persons["criteria"] = persons["criteria"].map(
        lambda c: c if isinstance(c, tuple) else ())
    return Scored(persons, frame.drop(columns=["log_miss", "type_total"]))


def _grade(grade: str) -> float:
    try:
        return grade_weight(grade)
    except BadInput:
        return WEAKEST


def _criteria(frame: pd.DataFrame, catalogue: Catalogue) -> pd.Series:
    """entity -> sorted tuple of the criteria its signals meet."""
    meets = {k: list(t.criteria) for k, t in catalogue.signals.items() if t.criteria}
    strong = frame[(frame["strength"] >= catalogue.criterion_strength)
                   & frame["type"].isin(list(meets))]
    if strong.empty:
        return pd.Series(dtype=object)
    pairs = strong[["entity_id", "type"]].drop_duplicates().copy()
    pairs["criterion"] = pairs["type"].map(meets)
    pairs = pairs.explode("criterion")
    return pairs.groupby("entity_id")["criterion"].agg(lambda c: tuple(sorted(set(c))))
