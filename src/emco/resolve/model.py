"""The person model: trained without labels by Splink (Fellegi-Sunter, EM) on DuckDB,
kept as Splink's own JSON settings so that the same model runs on Spark for a cluster,
and applied record by record in-process by `Scorer` with the same weights.
"""

import logging
import math
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from emco.resolve.comparisons import (
    BLOCK_CAP,
    BLOCKING_ARRAYS,
    BLOCKING_KEYS,
    PERSON,
    Comparison,
    Row,
)

log = logging.getLogger("emco.resolve")

# Pairs of records that share one of these are almost surely one person: used to estimate
# how likely two records drawn at random are the same person. A shared document or phone
# is found by joining on each of them (`arrays_to_explode`): a join on the surname alone,
# filtered by `list_has_any`, compares every two namesakes of a million records.
DETERMINISTIC: tuple[Any, ...] = (  # SQL, or Splink's blocking rule as a dict
    'l."fn" = r."fn" AND l."sn" = r."sn" AND l."dob" = r."dob"',
    *({"blocking_rule": f'l."{col}" = r."{col}" AND l."sn" = r."sn"',
       "arrays_to_explode": [col], "sql_dialect": "duckdb"} for col in ("ids", "phones")),
)
TF_COLUMNS = ("fn", "sn")


def untrained_settings() -> dict[str, Any]:
    blocking: list[dict[str, Any]] = [
        {"blocking_rule": f'l."{key}" = r."{key}"', "sql_dialect": "duckdb"}
        for key in BLOCKING_KEYS]
    blocking += [{"blocking_rule": f'l."{col}" = r."{col}"', "sql_dialect": "duckdb",
                  "arrays_to_explode": [col]} for col in BLOCKING_ARRAYS]
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": [c.splink() for c in PERSON],
        "blocking_rules_to_generate_predictions": blocking,
        "retain_intermediate_calculation_columns": False,
        "retain_matching_columns": False,
        "additional_columns_to_retain": ["agency"],
        "probability_two_random_records_match": 1e-5,
        "sql_dialect": "duckdb",
    }


@dataclass(frozen=True)
class Part:
    """One comparison's contribution to a pair's score."""

    comparison: str
    level: str
    weight: float  # log2(m/u), plus the term-frequency adjustment
    left: Any
    right: Any

    def to_dict(self) -> dict[str, Any]:
        return {"comparison": self.comparison, "level": self.level,
                "weight": round(self.weight, 3), "left": self.left, "right": self.right}


@dataclass(frozen=True)
class Score:
    probability: float
    weight: float
    parts: list[Part] = field(default_factory=list)
    prior: float = 0.0  # the weight before any comparison: weight = prior + sum of parts

    def explain(self) -> list[dict[str, Any]]:
        return [p.to_dict() for p in self.parts]


# Which feature each comparison shows in an explanation.
SHOWN = {"first_name": "fn", "surname": "sn", "birth_date": "dob", "phone": "phones",
         "identity_document": "ids", "birthplace": "birthplace", "address": "address",
         "gender": "gender"}


class Scorer:
    """A trained model's weights, applied in-process: the same levels as the SQL (see
    comparisons.py) and Splink's formula for match weights and term frequencies."""

    def __init__(self, settings: dict[str, Any], tf: dict[str, dict[str, float]]) -> None:
        self.settings = settings
        self.tf = tf
        prior = float(settings["probability_two_random_records_match"])
        self.prior_weight = math.log2(prior / (1 - prior))
        self.comparisons: list[tuple[Comparison, dict[int, tuple[str, float, float | None,
                                                                 str | None]]]] = []
        for comparison, spec in zip(PERSON, settings["comparisons"], strict=True):
            table: dict[int, tuple[str, float, float | None, str | None]] = {}
            exact_u = None
            levels = spec["comparison_levels"]
            top = len(levels) - 2
            for i, level in enumerate(levels):
                if level.get("is_null_level"):
                    table[-1] = (level["label_for_charts"], 0.0, None, None)
                    continue
                cvv = top - (i - 1)
                m, u = level.get("m_probability"), level.get("u_probability")
                weight = math.log2(m / u) if m and u else 0.0
                if level.get("tf_adjustment_column") and u:
                    exact_u = u
                table[cvv] = (level["label_for_charts"], weight, exact_u
                              if level.get("tf_adjustment_column") else None,
                              level.get("tf_adjustment_column"))
            self.comparisons.append((comparison, table))

    def score(self, left: Row, right: Row) -> Score:
        total = self.prior_weight
        parts = []
        for comparison, table in self.comparisons:
            cvv = comparison.level_of(left, right)
            label, weight, exact_u, tf_column = table[cvv]
            if tf_column and exact_u:
                frequencies = self.tf.get(tf_column, {})
                value = left[tf_column]
                tf = max(frequencies.get(value, 0.0), frequencies.get(right[tf_column], 0.0))
                if tf > 0:
                    weight += math.log2(exact_u) - math.log2(tf)
            total += weight
            column = SHOWN[comparison.name]
            parts.append(Part(comparison.name, label, weight, _shown(left[column]),
                              _shown(right[column])))
        probability = 1 / (1 + 2 ** -total) if total > -1000 else 0.0
        return Score(probability, total, parts, self.prior_weight)


def _shown(value: Any) -> Any:
    return list(value) if isinstance(value, tuple | list) else value


def train(frame: pd.DataFrame, seed: int = 1, max_pairs: float = 2e6) -> dict[str, Any]:
    """Estimate the model without labels: the chance two random records match from
    near-certain rules, u by random sampling, m by EM on two blockings that leave the
    other comparisons free. Returns Splink's settings with the trained values."""
    from splink import DuckDBAPI, Linker, block_on

    con = _duckdb()
    db_api = DuckDBAPI(connection=con)
    table = db_api.register(frame, dataset_display_name="people")
    linker = Linker(table, untrained_settings(), log_level=logging.ERROR)
    linker.training.estimate_probability_two_random_records_match(
        list(DETERMINISTIC), recall=0.6)
    # On a handful of records the estimate reaches 0 or 1: no longer a prior but a verdict
    # (Splink offers no public setter; the attribute is the one its estimator writes).
    settings_obj = linker._settings_obj
    prior = settings_obj._probability_two_random_records_match
    settings_obj._probability_two_random_records_match = min(max(prior, 1e-9), 0.1)
    linker.training.estimate_u_using_random_sampling(max_pairs=max_pairs, seed=seed)
    # Each blocking fixes some comparisons and trains the others: names free under the
    # first, dates and identifiers free under the second.
    for column in ("dob", "k_fs"):
        # A small file may hold no two records sharing the key; EM has nothing to learn
        # from then (and Splink would leave the linker half-changed if asked).
        if not frame[column].dropna().duplicated().any():
            log.warning("EM skipped: no two records share %s", column)
            continue
        linker.training.estimate_parameters_using_expectation_maximisation(
            block_on(column), estimate_without_term_frequencies=True, max_pairs=max_pairs)
    settings: dict[str, Any] = linker.misc.save_model_to_json()
    con.close()
    sampled = min(max_pairs, len(frame) * (len(frame) - 1) / 2)
    return _fill_unseen(settings, sampled)


def fits(settings: dict[str, Any]) -> bool:
    """Whether a stored model was trained on this code's comparisons (the same levels, in
    the same SQL) and blocks as this code does: the batch runs a model's own SQL and
    blocking rules, `Scorer` and the real-time matcher this code's Python and keys, so a
    model of other comparisons or keys is trained again before it is used."""
    def form(comparisons: list[dict[str, Any]]) -> list[Any]:
        return [(c["output_column_name"], [(lv["label_for_charts"], lv["sql_condition"],
                                            bool(lv.get("fix_m_probability")))
                                           for lv in c["comparison_levels"]])
                for c in comparisons]
    current = untrained_settings()
    return form(settings.get("comparisons", [])) == form(current["comparisons"]) and \
        settings.get("blocking_rules_to_generate_predictions") == \
        current["blocking_rules_to_generate_predictions"]


def _fill_unseen(settings: dict[str, Any], sampled: float) -> dict[str, Any]:
    """Give the levels training could not estimate stated values rather than Splink's
    defaults.

    - A comparison EM never reached (too few records) takes Splink's stated prior: most
      matches agree exactly, the rest spread evenly over the weaker levels; its levels
      unseen among random pairs are neutral (u = m).
    - A level of a trained comparison EM never saw among matches is rare among them
      (`UNSEEN_M`), and none is rarer than that (`M_FLOOR`).
    - A level EM saw among matches but never among the `sampled` random pairs is rarer
      than that among non-matches: its u is the "rule of three" bound, 3 / `sampled` (at
      a million records no two random records shared a document; taken as neutral, a
      shared document said nothing). Seen in neither, it stays neutral."""
    for comparison in settings["comparisons"]:
        levels = [lv for lv in comparison["comparison_levels"] if not lv.get("is_null_level")]
        trained = any(lv.get("m_probability") is not None for lv in levels)
        rest = 0.05 / max(len(levels) - 1, 1)
        for i, level in enumerate(levels):
            m_seen = level.get("m_probability") is not None
            if not trained:
                level["m_probability"] = 0.95 if i == 0 else rest
            elif not m_seen:
                level["m_probability"] = UNSEEN_M.get(level["label_for_charts"],
                                                      UNSEEN_M_DEFAULT)
            else:  # EM may reach 0: a weight of minus infinity, a verdict, not evidence
                level["m_probability"] = max(level["m_probability"], M_FLOOR)
            if level.get("u_probability") is None:
                level["u_probability"] = min(3 / max(sampled, 3), level["m_probability"]) \
                    if m_seen else level["m_probability"]
    return settings


# What share of true matches fall in a level EM never saw among them (it happens in small
# files): rare, and for "else" (nothing alike) rarer still, so that it counts against.
UNSEEN_M = {"else": 0.002, "first and last names swapped": 0.02}
UNSEEN_M_DEFAULT = 0.01
M_FLOOR = UNSEEN_M["else"]  # no level is rarer among matches than one EM never saw there


def term_frequencies(frame: pd.DataFrame) -> dict[str, dict[str, float]]:
    """How common each value is (share of the records that have one), as Splink counts
    them for its term-frequency adjustment; and, under `NAMES`, what a full name is worth
    in this file (`namesake_rate`)."""
    out: dict[str, dict[str, float]] = {}
    for column in TF_COLUMNS:
        counts = frame[column].dropna().value_counts(normalize=True)
        out[column] = {str(k): float(v) for k, v in counts.items()}
    measured: dict[str, float] = {}
    rate, pairs = namesake_rate(frame)
    if rate is not None:
        measured.update(namesake_rate=rate, pairs=float(pairs))
    differ, pairs = dates_differ(frame)
    if differ is not None:
        measured.update(dates_differ=differ, dated_pairs=float(pairs))
    if measured:
        out[NAMES] = measured
    return out


NAMES = "names"  # the key of `namesake_rate` and `dates_differ` among the frequencies
NAMESAKE_PAIRS = 30  # dated pairs of one full name needed to say anything


def namesake_rate(frame: pd.DataFrame) -> tuple[float | None, int]:
    """Of the pairs of records bearing one full name (given name and surname, exactly)
    and both a complete birth date, the share whose dates are not one date (the same, day
    and month swapped, or one typing error apart): how often one full name is two people
    in this file, measured where the dates can tell. Names alone say little in a file of
    many namesakes, and much in a small one; no file-wide constant can say which this is.
    Names borne by more than `BLOCK_CAP` records are left out, as in blocking. None when
    fewer than `NAMESAKE_PAIRS` pairs can tell."""
    # The SQL is ours: the birth-date levels' own, and fixed text.
    return _share_of_pairs(frame, ["unique_id", "fn", "sn", "dob"], f"""
        WITH dated AS (
            SELECT unique_id, fn, sn, dob, substr(dob, 1, 4) AS dob_y,
                   substr(dob, 6, 2) AS dob_m, substr(dob, 9, 2) AS dob_d FROM people
            WHERE fn IS NOT NULL AND sn IS NOT NULL AND dob IS NOT NULL
            QUALIFY count(*) OVER (PARTITION BY fn, sn) <= ?)
        SELECT count(*), count(*) FILTER (WHERE NOT ({_paired(_one_date())}))
        FROM dated l JOIN dated r
          ON l.fn = r.fn AND l.sn = r.sn AND l.unique_id < r.unique_id""")  # noqa: S608


def dates_differ(frame: pd.DataFrame) -> tuple[float | None, int]:
    """Of the pairs of records sharing a document number (or e-mail address), both with a
    complete birth date, the share whose dates differ as namesakes' do (`DATES_DIFFER`):
    how often the dates of one person's records are not his date, in this file.
    Documents borne by more than `BLOCK_CAP` records are left out. None when fewer than
    `NAMESAKE_PAIRS` pairs can tell."""
    # The SQL is ours: the birth-date levels' own, and fixed text.
    return _share_of_pairs(frame, ["unique_id", "ids", "dob", "dob_y", "dob_m", "dob_d"], f"""
        WITH documents AS (
            SELECT unique_id, dob, dob_y, dob_m, dob_d, unnest(ids) AS id FROM people
            WHERE dob IS NOT NULL),
        held AS (
            SELECT * FROM documents QUALIFY count(*) OVER (PARTITION BY id) <= ?),
        pairs AS (
            SELECT DISTINCT l.unique_id, r.unique_id AS other, {_paired(DATES_DIFFER)} AS differ
            FROM held l JOIN held r ON l.id = r.id AND l.unique_id < r.unique_id)
        SELECT count(*), count(*) FILTER (WHERE differ) FROM pairs""")  # noqa: S608


def _share_of_pairs(frame: pd.DataFrame, needed: list[str], sql: str
                    ) -> tuple[float | None, int]:
    """`sql` over the table `people` (`needed` of `frame`, `BLOCK_CAP` its one parameter)
    counts pairs and those of them that tell: their share, and how many pairs. None when
    fewer than `NAMESAKE_PAIRS` pairs can tell, or the frame lacks a column."""
    if any(column not in frame.columns for column in needed):
        return None, 0
    con = _duckdb()
    con.register("people", frame[needed])
    row = con.execute(sql, [BLOCK_CAP]).fetchone()
    con.close()
    total, told = row if row is not None else (0, 0)
    if total < NAMESAKE_PAIRS:
        return None, int(total)
    return told / total, int(total)


ONE_DATE = ("same date", "day and month swapped", "one character apart")
YEAR_ONLY = "-01-01"  # a complete date some services write when they know the year only


def _one_date() -> str:
    """Two complete birth dates are one date written twice: the `ONE_DATE` levels of the
    birth-date comparison, their SQL over a pair's columns (as Splink names them)."""
    birth = next(c for c in PERSON if c.name == "birth_date")
    return " OR ".join(f"({level.sql})" for level in birth.levels if level.label in ONE_DATE)


# Two birth dates differ as namesakes' do: years apart, or both complete with months and
# days both apart (neither a 1st of January, which may stand for "that year"), and not
# one date (a typing error, day and month swapped). `classify`'s test, in SQL.
DATES_DIFFER = (
    f'NOT coalesce({_one_date()}, false) AND ("dob_y_l" <> "dob_y_r" OR ('
    '"dob_l" IS NOT NULL AND "dob_r" IS NOT NULL AND "dob_m_l" <> "dob_m_r" AND '
    f'"dob_d_l" <> "dob_d_r" AND NOT ends_with("dob_l", \'{YEAR_ONLY}\') AND '
    f'NOT ends_with("dob_r", \'{YEAR_ONLY}\')))')


def _paired(sql: str) -> str:
    """A pair's SQL (Splink's "x_l", "x_r") over the tables `l` and `r` of a self-join."""
    return re.sub(r'"(\w+)_([lr])"', r'\2."\1"', sql)


PREDICT_CHUNK = 100_000  # records on the left-hand side of each slice of the prediction


@dataclass(frozen=True)
class Judging:
    """The SQL a prediction runs on DuckDB: `setup` once before the first slice (with
    `tables` registered by name), `each` over every slice's pairs (the view `pairs`),
    then `rows` whose result is yielded, and `final` after the last slice (once
    `before_final` has been given the connection), yielded too.
    What must wait for every slice (a verdict that depends on other pairs) is kept in
    DuckDB's tables between slices, never in Python."""

    rows: str = "SELECT * FROM pairs"
    setup: tuple[str, ...] = ()
    each: tuple[str, ...] = ()
    final: str | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    before_final: Callable[[duckdb.DuckDBPyConnection], None] | None = None


def predict(settings: dict[str, Any], frame: pd.DataFrame, threshold: float,
            query: str | Judging = "SELECT * FROM pairs",
            tf: dict[str, dict[str, float]] | None = None) -> Iterator[pd.DataFrame]:
    """Every blocked pair scoring at least `threshold`, with both records' values
    (`fn_l`, `fn_r`...), comparison levels (`gamma_*`) and weights (`mw_*`, `match_weight`),
    as the table `pairs` of `query` (a `Judging`, or just its `rows`); its result in
    frames. `tf`: the model's term frequencies (`term_frequencies` when it was trained),
    which `Scorer` weighs with, rather than the frame's own: a model reused on a store that
    has grown since scores a pair as the real-time matcher does."""
    from splink import DuckDBAPI, Linker

    judging = query if isinstance(query, Judging) else Judging(rows=query)
    con = _duckdb()
    db_api = DuckDBAPI(connection=con)
    table = db_api.register(capped(frame), dataset_display_name="people")
    for name, extra in judging.tables.items():
        con.register(name, extra)
    for statement in judging.setup:
        con.execute(statement)
    config = dict(settings)
    config["retain_intermediate_calculation_columns"] = True
    config["retain_matching_columns"] = True
    linker = Linker(table, config, log_level=logging.ERROR)
    for column, frequencies in (tf or {}).items():
        if column in TF_COLUMNS:
            lookup = pd.DataFrame({column: list(frequencies),
                                   f"tf_{column}": list(frequencies.values())})
            linker.table_management.register_term_frequency_lookup(
                db_api.register(lookup), column)
    # Slices of the left-hand records, each scored against all and dropped once read:
    # Splink keeps every pair of a prediction, with all its columns, until it is dropped.
    chunks = max(1, -(-len(frame) // PREDICT_CHUNK))
    for chunk in range(1, chunks + 1):
        pairs = linker.inference.predict_chunk(
            left_chunk=(chunk, chunks), right_chunk=(1, 1),
            threshold_match_probability=threshold, warning_mode="never")
        # The table name is Splink's own, never input.
        con.execute(f"CREATE OR REPLACE VIEW pairs AS SELECT * FROM "  # noqa: S608
                    f"{pairs.physical_name}")
        for statement in judging.each:
            con.execute(statement)
        for batch in con.sql(judging.rows).to_arrow_reader(100_000):
            yield batch.to_pandas()
        pairs.drop_table_from_database_and_remove_from_cache()
    if judging.before_final is not None:
        judging.before_final(con)
    if judging.final is not None:
        for batch in con.sql(judging.final).to_arrow_reader(100_000):
            yield batch.to_pandas()
    con.close()


def capped(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without the key values more than `BLOCK_CAP` records share (the
    real-time matcher leaves them out too)."""
    wide = {}
    for column in BLOCKING_KEYS:
        counts = frame[column].value_counts()
        values = counts.index[counts > BLOCK_CAP]
        if len(values):
            wide[column] = frame[column].where(~frame[column].isin(values), None)
    return frame.assign(**wide) if wide else frame


def _duckdb() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    con.execute("SET memory_limit = '3GB'")
    # Spills beyond the limit go to the system's temporary folder, not the working one.
    con.execute("SET temp_directory = ?", [str(Path(tempfile.gettempdir()) / "emco-duckdb")])
    con.execute("SET preserve_insertion_order = false")
    return con
