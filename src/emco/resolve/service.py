"""Resolution, end to end: features, model, judgements, clusters. The functions here are
what the CLI, the API and the pages call.

- `resolve(full=True)`: the batch. Features of every record, the model trained if there
  is none (or on request), every blocked pair scored by Splink on DuckDB, the model's
  judgements renewed, identifier rules applied, clusters recomputed.
- `resolve()`: incremental. Only records new or changed since the last run: their
  candidates found through the blocking keys in the store, scored in-process with the
  trained model's weights (see `matcher.py`); the batch is not run again.
- `judge`: an operator's decision, which always wins over the model's.
"""

import io
import json
import marshal
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field, replace
from functools import reduce
from itertools import chain, pairwise
from typing import Any

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import json as pa_json
from sqlalchemy import Connection

from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.errors import BadInput, Conflict, NotFound
from emco.i18n import N_
from emco.model.enums import AuditAction, Permission, Protection, Verdict
from emco.model.types import Judgement
from emco.resolve import model as person_model
from emco.resolve.clusters import (
    CODES,
    Components,
    Edges,
    Ints,
    assign_numbers,
    cluster_labels,
    entity_id,
    entity_number,
)
from emco.resolve.features import (
    COMPANY_SCHEMATA,
    IDENTIFIED,
    PERSON_SCHEMATA,
    POSTCODE,
    company_key,
    person_features,
    person_keys,
)
from emco.resolve.model import DATES_DIFFER, SHOWN, YEAR_ONLY, Score, Scorer
from emco.settings import Settings
from emco.store import resolution as repo
from emco.store.db import ANALYZE_AFTER, Database
from emco.store.records import Facts
from emco.workers import in_order

FEATURES_VERSION = "11"  # bump when feature code changes: every record is featured again
KIND = "person"
SCHEMATA = sorted(PERSON_SCHEMATA | COMPANY_SCHEMATA | set(IDENTIFIED))
FLOOR = 0.001  # pairs scoring below this are not kept, whatever their verdict
FEATURE_BLOCK = 2000  # records featured at a time

# Stages that depend on clusters register here; called with the entities that changed.
ON_CHANGE: list[Callable[[Access, set[str]], None]] = []


@dataclass(frozen=True)
class Thresholds:
    match: float
    review: float
    # Send pairs alike by their names alone to review rather than merge them (`classify`);
    # None: as the model's file says (`for_model`).
    names_alone_to_review: bool | None = False
    # Birth dates that differ keep two records apart (`classify`); `for_model` turns it off
    # where the file's own dates are unreliable.
    dates_separate: bool = True

    @classmethod
    def of(cls, settings: Settings) -> "Thresholds":
        """The thresholds the settings give (EMCO_RESOLVE_*)."""
        choice = settings.resolve_names_alone_to_review
        return cls(settings.resolve_match_threshold, settings.resolve_review_threshold,
                   None if choice == "auto" else choice == "true")

    def for_model(self, tf: dict[str, Any]) -> "Thresholds":
        """The thresholds for a model's judgements, by what was measured of the file when
        the model was trained (under `model.NAMES` in its term frequencies):

        - names alone go to review, when the settings leave it to the file, if two records
          of one full name were more often two people than one where their birth dates
          tell (`model.namesake_rate`; a model without it merges on names);
        - birth dates that differ keep two records apart unless the file's dates are
          unreliable: records sharing a document number, where enough of them have dates
          (`model.dates_differ`), had dates that differ more than `DATES_RELIABLE` of the
          time. A date that differs is then evidence the model weighs, not a verdict."""
        measured = tf.get(person_model.NAMES, {})
        differ = measured.get("dates_differ")
        out = replace(self, dates_separate=differ is None or differ <= DATES_RELIABLE)
        if self.names_alone_to_review is not None:
            return out
        rate = measured.get("namesake_rate")
        return replace(out, names_alone_to_review=rate is not None and 1 - rate < self.match)


# Birth dates are a verdict where those of one person differ at most one time in a hundred:
# never in the scenario (0 of 1,040 pairs sharing a document at 70,000 records), 4.6 % in
# FEBRL4, whose duplicates' dates were often made up.
DATES_RELIABLE = 0.01


@dataclass
class ResolveSummary:
    model_version: int | None = None
    trained: bool = False
    featured: int = 0
    scored_pairs: int = 0
    positive: int = 0
    unsure: int = 0
    negative: int = 0
    rule_links: int = 0
    entities: int = 0
    merged_records: int = 0
    changed: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def count(self, rows: Sequence["JudgementRow"]) -> None:
        """Count the model's judgements of a run by verdict."""
        for row in rows:
            if row[2] == Verdict.POSITIVE:
                self.positive += 1
            elif row[2] == Verdict.UNSURE:
                self.unsure += 1
            else:
                self.negative += 1
        self.scored_pairs += len(rows)


def resolve(access: Access, thresholds: Thresholds, full: bool = False,
            retrain: bool = False, workers: int = 0) -> ResolveSummary:
    """Resolve the records the principal may see (the staff's operators see all).
    `workers`: processes that compute features beside this one (0: none)."""
    summary = ResolveSummary()
    clock = _Clock(summary)
    event = AuditEvent(AuditAction.RESOLVE_RUN, query={"full": full, "retrain": retrain})
    access.check(Permission.RESOLVE_RUN, event)
    with clock("features"):
        summary.featured, new_people = _feature(access, not full, workers)
    with access.reading(Permission.RESOLVE_RUN,
                        AuditEvent(AuditAction.RESOLVE_READ)) as p:
        stored = current_model(p.conn)
    frame = None
    if stored is None or retrain:
        with clock("train"):
            frame = _people(access)
            if len(frame) < 2:  # no two people to learn from: identifiers still join
                return _finish(access, event, summary, _nothing, thresholds, clock)
            settings = person_model.train(frame)
            tf = person_model.term_frequencies(frame)
        with access.writing(Permission.RESOLVE_RUN,
                            AuditEvent(AuditAction.RESOLVE_RUN, detail="model trained")) as p:
            version = repo.save_model(p.conn, KIND, len(frame), settings, tf)
        summary.trained, full = True, True
    else:
        version, settings, tf = stored
    summary.model_version = version
    thresholds = thresholds.for_model(tf)
    author = f"model:{version}"
    if full:
        frame = _people(access) if frame is None else frame
        # Pairs are judged in SQL and written as they come: a million records' judgements
        # with their explanations do not fit in memory at once.
        batch = frame

        def judged(conn: Connection, outside: Links) -> Iterable[list[JudgementRow]]:
            return _batch_judgements(settings, tf, batch, thresholds, author,
                                     _stored_links(conn, outside))
        return _finish(access, event, summary, judged, thresholds, clock)
    scorer = Scorer(settings, tf)

    def matched(conn: Connection, outside: Links) -> Iterable[list[JudgementRow]]:
        return [_incremental_judgements(conn, scorer, new_people, thresholds, author,
                                        outside)]
    return _finish(access, event, summary, matched, thresholds, clock, full=False,
                   rescored=list(new_people))


# Pairs of records joined by a positive judgement.
Links = Sequence[tuple[int, int]]
# Judgements of a run, given the store and the pairs the identifier rules join.
Judge = Callable[[Connection, Links], Iterable[list["JudgementRow"]]]


def _nothing(conn: Connection, outside: Links) -> Iterable[list["JudgementRow"]]:
    return []


def _finish(access: Access, event: AuditEvent, summary: ResolveSummary, judge: Judge,
            thresholds: Thresholds, clock: "_Clock", full: bool = True,
            rescored: Sequence[int] = ()) -> ResolveSummary:
    """Store the judgements of a run, the identifier rules' too, and recompute the
    entities, in one transaction. The model's judgements on a record matched again (new
    or changed) are all replaced: a pair it no longer scores must not keep an old merge.
    The identifier rules run first: their links are among those that decide where a
    negative of the model matters (`_apart_where_links_meet`)."""
    with access.writing(Permission.RESOLVE_RUN, event) as p:
        db = access.db
        if full:
            repo.supersede_automatic(p.conn, "model:%")
            repo.supersede_automatic(p.conn, "rule:%")
        else:
            repo.supersede_touching(p.conn, rescored, "model:%")
        with clock("rules"):
            rule_rows = _rule_judgements(p.conn)
        with clock("score"):
            for rows in judge(p.conn, [(a, b) for a, b, *_ in rule_rows]):
                if not full:
                    pairs = [(a, b) for a, b, *_ in rows]
                    repo.supersede_pairs(p.conn, pairs, "model:%")
                    repo.supersede_pairs(p.conn, pairs, "rule:%")
                repo.add_judgements(db, p.conn, rows)
                summary.count(rows)
        with clock("rules"):
            if not full:
                repo.supersede_pairs(p.conn, [(a, b) for a, b, *_ in rule_rows], "rule:%")
            repo.add_judgements(db, p.conn, rule_rows)
            summary.rule_links = len(rule_rows)
        with clock("cluster"):
            changed_entities = _recluster(p.conn, db, thresholds, summary)
        event.result_count = summary.changed
        event.detail = json.dumps({k: v for k, v in summary.to_dict().items()
                                   if k != "seconds"})
    if summary.changed >= ANALYZE_AFTER:  # the stages below read entities by their ids
        with clock("analyze"):
            access.db.analyze()
    with clock("following stages"):
        _notify(access, changed_entities)
    return summary


def _notify(access: Access, changed_entities: set[str]) -> None:
    """Tell the stages that work on entities which ones a merge or split changed."""
    if changed_entities:
        for hook in ON_CHANGE:
            hook(access, changed_entities)


def _recluster(conn: Connection, db: Database, thresholds: Thresholds,
               summary: ResolveSummary) -> set[str]:
    """Recompute every entity from the standing judgements, in columns; write the
    records whose entity changed. Returns the entities a merge or split changed."""
    records = np.unique(np.array(repo.all_record_ids(conn), np.int64))
    edges = Edges.concat([Edges.columns(part)
                          for part in repo.standing_columns(conn, CODES)])
    labels = cluster_labels(records, edges, thresholds.match)
    del edges
    before = np.zeros(len(records), np.int64)
    for part in repo.entity_rows(conn):
        ids = np.array([r for r, _ in part], np.int64)
        numbers = np.array([entity_number(e) for _, e in part], np.int64)
        at = np.minimum(np.searchsorted(records, ids), max(len(records) - 1, 0))
        there = records[at] == ids if len(records) else np.zeros(len(ids), np.bool_)
        before[at[there]] = numbers[there]
    after, _ = assign_numbers(labels, before, repo.next_entity_number(conn))
    _, sizes = np.unique(labels, return_counts=True)
    summary.entities = len(sizes)
    summary.merged_records = int(sizes[sizes > 1].sum())
    moved = np.flatnonzero(after != before)
    changed = {entity_id(n) for n in np.unique(after[moved]).tolist()}
    changed |= {entity_id(n) for n in np.unique(before[moved]).tolist() if n > 0}
    summary.changed = repo.replace_entities(db, conn, [
        (r, entity_id(n)) for r, n in zip(records[moved].tolist(), after[moved].tolist(),
                                          strict=True)])
    return changed


# --- features ------------------------------------------------------------------------------

def _feature(access: Access, incremental: bool, workers: int
             ) -> tuple[int, dict[int, dict[str, Any]]]:
    """Compute and store the features and keys of records new or changed, chunk by
    chunk, in `workers` other processes when more than 0. Features are a function of a
    record's content and `FEATURES_VERSION`: a full run features again only what changed,
    unless none is current (a first run, a new version), when all are replaced at once.
    Returns how many records were featured and, when `incremental`, the features of the
    people among them (a full run reads them back column-wise: `_people`)."""
    count = 0
    people: dict[int, dict[str, Any]] = {}
    with ExitStack() as stack:
        read = stack.enter_context(access.reading(Permission.RESOLVE_RUN,
                                                  AuditEvent(AuditAction.RESOLVE_READ)))
        everything = read.scope.agencies is None and \
            read.scope.protections == frozenset(Protection) and \
            not repo.any_current_features(read.conn, FEATURES_VERSION)
        blocks = repo.resolvable(read.conn, read.scope, SCHEMATA, not everything,
                                 FEATURES_VERSION, FEATURE_BLOCK)
        first = next(blocks, [])
        blocks = chain([first], blocks)
        # Processes only pay off beyond one block (and a test's few records stay here).
        results = in_order(_feature_block, blocks, workers) \
            if workers > 0 and len(first) == FEATURE_BLOCK else map(_feature_block, blocks)
        save = None
        for data in results:
            rows = marshal.loads(data)  # noqa: S302 (bytes from our own worker processes)
            if not rows:
                continue
            if save is None:  # the first changed record opens the write
                write = stack.enter_context(access.writing(
                    Permission.RESOLVE_RUN, AuditEvent(AuditAction.RESOLVE_RUN)))
                save = stack.enter_context(repo.features_writer(access.db, write.conn,
                                                                everything))
            save(rows)
            count += len(rows)
            write.event.detail = f"features of {count} records"
            if incremental:
                people.update((rid, json.loads(text)) for rid, kind, _, text, _ in rows
                              if kind == KIND)
    return count, people


def _feature_block(block: list[tuple[int, str, str, str, Facts]]) -> bytes:
    """The stored rows of a block of records: (id, kind, content hash with the features
    version, features JSON, keys)."""
    out = []
    for rid, agency, schema, digest, facts in block:
        kind, feats, keys = _features_of(rid, agency, schema, facts)
        out.append((rid, kind, f"{digest}:{FEATURES_VERSION}",
                    orjson.dumps(feats).decode(), tuple(keys)))
    return marshal.dumps(out)


def _features_of(rid: int, agency: str, schema: str, facts: list[tuple[str, str, str, str]]
                 ) -> tuple[str, dict[str, Any], list[tuple[str, str]]]:
    if schema in PERSON_SCHEMATA:
        person = person_features(rid, agency, facts)
        row = person.row()
        return KIND, row, person_keys(row) if person.usable else []
    if schema in IDENTIFIED:
        prop = IDENTIFIED[schema]
        wanted = "registrationNumber" if prop == "plate" else "iban"
        values = sorted({v for p, _t, v, _o in facts if p == wanted})
        return prop, {"values": values}, [(prop[:2], v) for v in values]
    regs = sorted({v for p, _t, v, _o in facts if p == "registrationNumber"})
    names = sorted({k for p, _t, v, _o in facts if p == "name"
                    for k in [company_key(v)] if k})
    postcodes = sorted({m.group(0) for p, _t, v, _o in facts if p == "address"
                        for m in [POSTCODE.search(v)] if m})
    keys = [("rn", r) for r in regs] + [("cn", n) for n in names]
    return "company", {"registration": regs, "names": names, "postcodes": postcodes}, keys


def _people(access: Access) -> pd.DataFrame:
    """The model's input table: one row per person record with a name or identifier.
    Parsed by Arrow into columns, chunk by chunk: a million records' features as dicts,
    or in pandas' object columns, take gigabytes (and minutes)."""
    tables: list[pa.Table] = []
    with access.reading(Permission.RESOLVE_RUN, AuditEvent(AuditAction.RESOLVE_READ)) as p:
        for texts in repo.feature_texts(p.conn, KIND):
            schema = tables[0].schema if tables else _schema(json.loads(texts[0]))
            table = pa_json.read_json(
                io.BytesIO("\n".join(texts).encode()),  # one JSON object a line
                parse_options=pa_json.ParseOptions(explicit_schema=schema,
                                                   unexpected_field_behavior="ignore"))
            tables.append(table.filter(_usable_rows(table)))
    if not tables:
        return pd.DataFrame()
    return pa.concat_tables(tables).to_pandas(types_mapper=pd.ArrowDtype)


def _schema(row: dict[str, Any]) -> pa.Schema:
    """Features are text but for the record id and the parts of a birth date (integers),
    phones and identity documents (lists)."""
    def kind(column: str) -> pa.DataType:
        if column in ("unique_id", "dob_y", "dob_m", "dob_d"):
            return pa.int64()
        return pa.list_(pa.string()) if column in ("phones", "ids") else pa.string()
    return pa.schema([(column, kind(column)) for column in row])


def _usable_rows(table: pa.Table) -> pa.Array:
    """`_usable` of each row."""
    named = [pc.not_equal(table[column], "") for column in ("sn", "fn")]
    listed = [pc.greater(pc.list_value_length(table[column]), 0)
              for column in ("phones", "ids")]
    return reduce(pc.or_, [pc.fill_null(test, False) for test in named + listed])


def _usable(f: dict[str, Any]) -> bool:
    return bool(f.get("sn") or f.get("fn") or f.get("phones") or f.get("ids"))


# --- judging pairs -------------------------------------------------------------------------

JudgementRow = tuple[int, int, Verdict, float | None, str, str | None]


def classify(score: Score, thresholds: Thresholds) -> Verdict | None:
    """What the model concludes of a pair: merge, ask an operator, keep apart, or
    nothing worth recording. Two records whose birth dates or genders disagree, with no
    phone or document in common (nor documents one typing error apart), are surely
    different people (namesakes): recorded as negative, so that no chain of weaker links
    can join them later. Dates disagree when their years differ, or when both are
    complete and their months and days differ (not a typing error, nor day and month
    swapped; a 1st of January may stand for "that year").

    Where the file's dates are unreliable (`Thresholds.dates_separate` off), dates that
    disagree are no verdict but still weigh against: such a pair is merged only with
    something besides its names in common (phone, document, address (a postcode alone is
    not one: thousands share it), place of birth); otherwise it goes to an operator.

    So does a pair alike by its names alone (no birth date to compare on one side, nothing
    else in common) where the file is full of namesakes (`names_alone_to_review`), however
    rare the names. Namesakes abound among a million people: seven in ten merges of that
    kind at 70,000 records joined two people (engineering notes)."""
    levels = {p.comparison: p.level for p in score.parts}
    parts = {p.comparison: p for p in score.parts}
    shared = levels.get("phone") == "a number in common" or \
        levels.get("identity_document") in ("a document in common", "one character apart")
    dates = parts.get("birth_date")
    other_day = dates is not None and dates.level == "same year" and all(
        isinstance(d, str) and not d.endswith(YEAR_ONLY) for d in (dates.left, dates.right)) \
        and dates.left[5:7] != dates.right[5:7] and dates.left[8:] != dates.right[8:]
    differ = levels.get("birth_date") == "else" or other_day
    conflict = levels.get("gender") == "else" or (thresholds.dates_separate and differ)
    if conflict and not shared:
        return Verdict.NEGATIVE if score.probability >= FLOOR else None
    if score.probability >= thresholds.match:
        names_only = not shared and levels.get("birthplace") != "exact" and \
            levels.get("address") in (None, "null", "same postcode", "else") and (
                differ or (thresholds.names_alone_to_review
                and levels.get("birth_date") == "null"))
        return Verdict.UNSURE if names_only else Verdict.POSITIVE
    if score.probability >= thresholds.review:
        return Verdict.UNSURE
    return None


APART = "birth dates or genders differ, and no phone or document in common"
KEPT_APART = 1  # a negative's evidence says `APART` by this code; `judgement_dict` reads it


def _evidence(score: Score, verdict: Verdict) -> str:
    """What a judgement of the model keeps of its score. The parts only where an operator
    will read them (a merge, a doubt): records kept apart are the bulk of the rows at
    scale, and their parts are computed again when asked (`explain`)."""
    if verdict == Verdict.NEGATIVE:  # millions of rows at scale: stored short (`KEPT_APART`)
        return json.dumps({"match_weight": round(score.weight, 3), "apart": KEPT_APART})
    return json.dumps({"probability": round(score.probability, 6),
                       "match_weight": round(score.weight, 3), "parts": score.explain()},
                      ensure_ascii=False)


def _stored_links(conn: Connection, extra: Links) -> tuple[Ints, Ints]:
    """The links of the standing judgements, and `extra`, as two columns."""
    parts = [*repo.linking_columns(conn), ([a for a, _ in extra], [b for _, b in extra])]
    return (np.concatenate([np.array(left, np.int64) for left, _ in parts]),
            np.concatenate([np.array(right, np.int64) for _, right in parts]))


def _batch_judgements(settings: dict[str, Any], tf: dict[str, dict[str, float]],
                      frame: pd.DataFrame, thresholds: Thresholds, author: str,
                      outside: tuple[Ints, Ints]) -> Iterator[list[JudgementRow]]:
    """Every blocked pair of the batch, scored by Splink, judged and explained in the same
    SQL (`_judging`): pair by pair in Python, a million records took many minutes. The
    merges and doubts come slice by slice; the pairs kept apart at the end, only those
    within one component of the links (this run's, and `outside`: the links of the
    judgements that stand beside it)."""
    if len(frame) < 2:
        return
    judging = _judging(settings, thresholds, outside)
    for batch in person_model.predict(settings, frame, FLOOR, judging, tf):
        yield [(int(left), int(right), Verdict(verdict), probability, author, evidence)
               for left, right, verdict, probability, evidence
               in batch.itertuples(index=False)]


def _judging(settings: dict[str, Any], thresholds: Thresholds, outside: tuple[Ints, Ints]
             ) -> person_model.Judging:
    """`classify` and `_evidence` as SQL over Splink's pairs: each comparison's level
    labelled as `Scorer` labels it, its weight with the term-frequency adjustment, the
    values shown. `outside`: the links judged by others than this run (an operator, an
    identifier rule)."""
    def text(value: str) -> str:
        return "'" + value.replace("'", "''") + "'"

    labels, parts = [], []
    for spec in settings["comparisons"]:
        name, levels = spec["output_column_name"], spec["comparison_levels"]
        top = len(levels) - 2
        cases = " ".join(
            f"WHEN {-1 if lv.get('is_null_level') else top - (i - 1)} "
            f"THEN {text(lv['label_for_charts'])}" for i, lv in enumerate(levels))
        labels.append(f'CASE "gamma_{name}" {cases} END AS "level_{name}"')
        weight = f'"mw_{name}"'
        if any(lv.get("tf_adjustment_column") for lv in levels):
            weight += f' + "mw_tf_adj_{name}"'
        shown = SHOWN[name]
        parts.append(f"json_object('comparison', {text(name)}, 'level', \"level_{name}\", "
                     f"'weight', round({weight}, 3), 'left', \"{shown}_l\", "
                     f"'right', \"{shown}_r\")")
    negative, positive, unsure = (text(v.value) for v in (
        Verdict.NEGATIVE, Verdict.POSITIVE, Verdict.UNSURE))
    p = "match_probability"
    shared = ("(level_phone = 'a number in common' OR level_identity_document IN "
              "('a document in common', 'one character apart'))")
    undated = " OR level_birth_date = 'null'" if thresholds.names_alone_to_review else ""
    names_only = (f"NOT {shared} AND level_address IN ('null', 'same postcode', 'else') "
                  f"AND level_birthplace <> 'exact' AND ({DATES_DIFFER}{undated})")
    merge = f"CASE WHEN {names_only} THEN {unsure} ELSE {positive} END"
    conflict = f"level_gender = 'else' OR {DATES_DIFFER}" if thresholds.dates_separate \
        else "level_gender = 'else'"
    verdict = (
        f"CASE WHEN ({conflict}) AND NOT {shared} "
        f"THEN CASE WHEN {p} >= {FLOOR!r} THEN {negative} END "
        f"WHEN {p} >= {thresholds.match!r} THEN {merge} "
        f"WHEN {p} >= {thresholds.review!r} THEN {unsure} END")
    explained = (f"json_object('probability', round({p}, 6), 'match_weight', "
                 f"round(match_weight, 3), 'parts', json_array({', '.join(parts)}))")
    apart = f"json_object('match_weight', round(w, 3), 'apart', {KEPT_APART})"
    # Each slice: its verdicts into `judged`; the pairs kept apart wait in `held` (with
    # their score only: the parts are computed again when asked), the pairs the slice
    # joins go to `links`. At the end, a pair kept apart is stored only when the links
    # connect its two records: otherwise no cluster could hold both. (Joined with the
    # left record's component first: components can be large, and a join of the
    # components with themselves on their label is their size squared.)
    return person_model.Judging(
        setup=("CREATE TABLE held (l BIGINT, r BIGINT, p DOUBLE, w DOUBLE)",
               "CREATE TABLE links AS SELECT l, r FROM outside"),
        tables={"outside": pd.DataFrame({"l": outside[0], "r": outside[1]})},
        each=("CREATE OR REPLACE TABLE judged AS "  # noqa: S608 (our own SQL)
              f"SELECT unique_id_l, unique_id_r, verdict, {p} AS p, match_weight AS w, "
              f"CASE WHEN verdict <> {negative} THEN {explained} END AS evidence "
              f"FROM (SELECT *, {verdict} AS verdict FROM (SELECT *, {', '.join(labels)} "
              "FROM pairs)) WHERE verdict IS NOT NULL",
              "INSERT INTO held SELECT unique_id_l, unique_id_r, p, w "  # noqa: S608
              f"FROM judged WHERE verdict = {negative}",
              "INSERT INTO links SELECT unique_id_l, unique_id_r "  # noqa: S608
              f"FROM judged WHERE verdict = {positive}"),
        before_final=_components_table,
        # In the order of the store's index on pairs: millions of rows go in faster.
        rows=("SELECT unique_id_l, unique_id_r, verdict, p, evidence "  # noqa: S608
              f"FROM judged WHERE verdict <> {negative} ORDER BY 1, 2"),
        final=("WITH sided AS MATERIALIZED (SELECT held.*, a.c FROM held "  # noqa: S608
               "JOIN components a ON a.id = held.l) "
               f"SELECT l, r, {negative} AS verdict, p, {apart} AS evidence FROM sided "
               "JOIN components b ON b.id = sided.r AND b.c = sided.c ORDER BY l, r"))


def _components_table(con: Any) -> None:
    """The table `components` (id, c) of a batch's DuckDB: the component of each record
    the table `links` touches."""
    links = con.execute("SELECT l, r FROM links").fetchnumpy()  # one read: rows unordered
    found = Components.of(np.asarray(links["l"], np.int64), np.asarray(links["r"], np.int64))
    con.register("components", pd.DataFrame({"id": found.ids, "c": found.labels}))


def _incremental_judgements(conn: Connection, scorer: Scorer,
                            new_people: dict[int, dict[str, Any]], thresholds: Thresholds,
                            author: str, outside: Links) -> list[JudgementRow]:
    """The judgements of the records new or changed, each matched against the store,
    with the pairs kept apart that their links make matter (`_apart_where_links_meet`)."""
    from emco.resolve.matcher import match

    found: dict[tuple[int, int], JudgementRow] = {}
    for rid, feats in new_people.items():
        if not _usable(feats):
            continue
        for other, score in match(conn, scorer, rid, feats):
            verdict = classify(score, thresholds)
            if verdict is not None and (min(rid, other), max(rid, other)) not in found:
                found[(min(rid, other), max(rid, other))] = (
                    rid, other, verdict, score.probability, author, _evidence(score, verdict))
    rows = [row for row in found.values() if row[2] != Verdict.NEGATIVE]
    apart = [row for row in found.values() if row[2] == Verdict.NEGATIVE]
    links = [(a, b) for a, b, verdict, *_ in rows if verdict == Verdict.POSITIVE]
    return rows + _apart_where_links_meet(conn, scorer, thresholds, author,
                                          [*links, *outside], apart, set(new_people))


def _apart_where_links_meet(conn: Connection, scorer: Scorer, thresholds: Thresholds,
                            author: str, links: Links, found: Sequence[JudgementRow] = (),
                            matched: set[int] | frozenset[int] = frozenset()
                            ) -> list[JudgementRow]:
    """The model's negatives to store beside new positive `links`. A negative
    matters only between two records the links connect (elsewhere no cluster can hold
    both), and the store holds those of every component of its links. Where the new
    links join components, the negatives between them are found by matching again the
    records of each component joined but the largest. `found`: the negatives this run
    already scored, of the records it matched in full (`matched`), whose earlier
    judgements it superseded (kept wherever their records share a component, a new one
    or an old one)."""
    if not links and not found:
        return []
    new_left = np.array([a for a, _ in links], np.int64)
    new_right = np.array([b for _, b in links], np.int64)
    before = Components.of(*_stored_links(conn, []))
    # The components after: those before, joined by the new links.
    joined = Components.of(before(new_left), before(new_right))

    def after(records: Ints) -> Ints:
        return joined(before(records))

    ends = np.unique(np.concatenate([new_left, new_right]))
    old, new = before(ends), after(ends)
    again: set[int] = set()
    for component in np.unique(new).tolist():
        parts = [before.members(c) for c in np.unique(old[new == component]).tolist()]
        if len(parts) > 1:
            parts.sort(key=len)
            again.update(x for part in parts[:-1] for x in part.tolist())
    candidates = [*found, *_negatives(conn, scorer, sorted(again - matched), thresholds,
                                      author)]
    if not candidates:
        return []
    left = np.array([row[0] for row in candidates], np.int64)
    right = np.array([row[1] for row in candidates], np.int64)
    fresh = np.isin(left, list(matched)) | np.isin(right, list(matched))
    keep = (after(left) == after(right)) & (fresh | (before(left) != before(right)))
    linked = {(min(a, b), max(a, b)) for a, b in links}
    out: dict[tuple[int, int], JudgementRow] = {}
    for row, kept in zip(candidates, keep.tolist(), strict=True):
        pair = (min(row[0], row[1]), max(row[0], row[1]))
        if kept and pair not in linked:
            out.setdefault(pair, row)
    return list(out.values())


def _negatives(conn: Connection, scorer: Scorer, record_ids: Sequence[int],
               thresholds: Thresholds, author: str) -> list[JudgementRow]:
    """The pairs kept apart of records already resolved, matched again: the store holds
    none for a record no judgement joined to anything (see `_batch_judgements`)."""
    from emco.resolve.matcher import match

    out: list[JudgementRow] = []
    for rid, feats in repo.features(conn, KIND, record_ids):
        if not _usable(feats):
            continue
        for other, score in match(conn, scorer, rid, feats):
            if classify(score, thresholds) == Verdict.NEGATIVE:
                out.append((rid, other, Verdict.NEGATIVE, score.probability, author,
                            _evidence(score, Verdict.NEGATIVE)))
    return out


def _rule_judgements(conn: Any) -> list[JudgementRow]:
    """Things with one identifier are one thing: a plate, an IBAN, a company number.
    Records sharing one are chained by positive judgements of the identifier rule. A
    company written without its number is known by its name (legal form left out) where
    it is (the postcode of an address), when that names one company only: two "Atlas" of
    one town with two numbers leave an unnumbered "Atlas" there unjoined."""
    out: list[JudgementRow] = []
    for kind, rule in (("plate", "rule:plate"), ("iban", "rule:iban"),
                       ("company", "rule:company")):
        groups: dict[str, list[int]] = {}
        places: dict[str, list[tuple[int, tuple[str, ...]]]] = {}
        for rid, feats in repo.features(conn, kind):
            values = feats.get("values") or feats.get("registration") or []
            for value in values:
                groups.setdefault(value, []).append(rid)
            for name in feats.get("names") or []:
                for code in feats.get("postcodes") or []:
                    places.setdefault(f"{name} @ {code}", []).append(
                        (rid, tuple(feats.get("registration") or ())))
        for place, found in places.items():
            numbered = {regs for _, regs in found if regs}
            unnumbered = sorted({rid for rid, regs in found if not regs})
            if unnumbered and len(numbered) <= 1:
                anchor = [min(rid for rid, regs in found if regs)] if numbered else []
                groups[place] = anchor + unnumbered
        for value, members in groups.items():
            members = sorted(set(members))
            evidence = json.dumps({"rule": rule, "value": value})
            out += [(a, b, Verdict.POSITIVE, 1.0, rule, evidence)
                    for a, b in pairwise(members)]
    return out


# --- explaining and judging by hand --------------------------------------------------------

@dataclass
class PairExplanation:
    left: int
    right: int
    score: Score | None
    judgements: list[dict[str, Any]]
    left_entity: str | None
    right_entity: str | None


def explain(access: Access, left: int, right: int) -> PairExplanation:
    """The score of two records with its parts, the judgements on the pair, and the
    entity of each. Records out of the principal's sight are not found."""
    _check_pair(left, right)
    event = AuditEvent(AuditAction.RESOLVE_EXPLAIN, objects=[f"record:{left}",
                                                             f"record:{right}"])
    with access.reading(Permission.RESOLVE_EXPLAIN, event) as p:
        _require_visible(p, [left, right])
        score = score_now(p.conn, left, right)
        p.event.result_count = 1
        return PairExplanation(left, right, score, repo.judgements_of_pair(p.conn, left,
                                                                            right),
                               repo.entity_of(p.conn, left), repo.entity_of(p.conn, right))


def current_model(conn: Connection) -> tuple[int, dict[str, Any], dict[str, dict[str, float]]
                                            ] | None:
    """The latest trained model (version, Splink's settings, term frequencies), unless it
    was trained on other comparisons than this code's: the next `emco resolve` trains
    one again (`on_arrival` runs it as soon as a record arrives)."""
    stored = repo.latest_model(conn, KIND)
    return stored if stored is not None and person_model.fits(stored[1]) else None


def score_now(conn: Any, left: int, right: int) -> Score | None:
    """Two person records scored with the latest model; None when one is not a person
    with features, or no model is trained yet."""
    feats = dict(repo.features(conn, KIND, [left, right]))
    stored = current_model(conn)
    if stored is None or left not in feats or right not in feats:
        return None
    return Scorer(stored[1], stored[2]).score(feats[left], feats[right])


def judgement_dict(j: dict[str, Any]) -> dict[str, Any]:
    """A stored judgement as the CLI, the API and the pages show it."""
    evidence = json.loads(j["evidence"]) if j["evidence"] else None
    if isinstance(evidence, dict) and evidence.get("apart") == KEPT_APART:
        evidence = {"probability": j["score"], **evidence, "apart": APART}
    return {"verdict": j["verdict"], "author": j["author"], "score": j["score"],
            "evidence": evidence if isinstance(evidence, dict) and evidence else None,
            "created_at": str(j["created_at"]),
            "superseded_at": str(j["superseded_at"]) if j["superseded_at"] else None}


def explanation_dict(e: PairExplanation) -> dict[str, Any]:
    """What the CLI, the API and the page show of a pair."""
    return {
        "left": e.left, "right": e.right,
        "probability": round(e.score.probability, 6) if e.score else None,
        "match_weight": round(e.score.weight, 3) if e.score else None,
        "prior_weight": round(e.score.prior, 3) if e.score else None,
        "parts": e.score.explain() if e.score else [],
        "left_entity": e.left_entity, "right_entity": e.right_entity,
        "judgements": [judgement_dict(j) for j in e.judgements],
    }


def export_entities(access: Access) -> Iterator[tuple[str, str, str]]:
    """Every record in sight with its entity: (agency, source record id, entity id)."""
    event = AuditEvent(AuditAction.ENTITY_EXPORT)
    with access.reading(Permission.ENTITY_EXPORT, event) as p:
        rows = list(repo.export_rows(p.conn, p.scope))
        p.event.result_count = len(rows)
    yield from rows


def record_ref(access: Access, text: str) -> int:
    """A record given by its id, or as AGENCY:SOURCE_ID."""
    if text.isdigit():
        return int(text)
    agency, _, source = text.partition(":")
    if not source:
        raise BadInput(N_("give a record id, or AGENCY:SOURCE_ID"), field="record")
    with access.reading(Permission.RECORD_READ, AuditEvent(
            AuditAction.RECORD_SEARCH, query={"ref": text})) as p:
        found = repo.record_by_source(p.conn, p.scope, agency.upper(), source)
        p.event.result_count = 0 if found is None else 1
    if found is None:
        raise NotFound(N_("no such record"))
    return found


def judge(access: Access, left: int, right: int, verdict: Verdict, reason: str,
          thresholds: Thresholds, override: bool = False) -> Judgement:
    """Record an operator's decision on a pair and recompute the entities. Contradicting
    an earlier operator's decision must be said (`override`)."""
    _check_pair(left, right)
    reason = reason.strip()
    if not reason:
        raise BadInput(N_("say why (a reason is recorded with the decision)"), field="reason")
    event = AuditEvent(AuditAction.JUDGEMENT_CREATE, objects=[f"record:{left}",
                                                              f"record:{right}"],
                       detail=f"{verdict.value}: {reason[:500]}")
    with access.writing(Permission.JUDGEMENT_CREATE, event) as p:
        _require_visible(p, [left, right])
        mine = [j for j in repo.standing(p.conn, [left, right])
                if {j.left, j.right} == {left, right}]
        humans = [j for j in mine if j.human]
        if humans and humans[-1].verdict != verdict and not override:
            raise Conflict(N_("an operator already judged this pair %(verdict)s; confirm "
                              "to replace that decision", verdict=humans[-1].verdict.value),
                           field="verdict")
        author = access.principal.username
        # Records an operator connects for the first time had none of the model's
        # negatives between them stored: they are found now, so that namesakes on either
        # side stay apart.
        apart = _apart_for_operator(p.conn, left, right, thresholds) \
            if verdict == Verdict.POSITIVE else []
        repo.add_judgements(access.db, p.conn, [(left, right, verdict, None, author,
                                                 json.dumps({"reason": reason},
                                                            ensure_ascii=False))])
        repo.supersede_pairs(p.conn, [(a, b) for a, b, *_ in apart], "model:%")
        repo.add_judgements(access.db, p.conn, apart)
        summary = ResolveSummary()
        changed_entities = _recluster(p.conn, access.db, thresholds, summary)
        p.event.result_count = summary.changed
    _notify(access, changed_entities)
    return Judgement(min(left, right), max(left, right), verdict, None, author)


def _apart_for_operator(conn: Connection, left: int, right: int, thresholds: Thresholds
                        ) -> list[JudgementRow]:
    """The model's negatives an operator's link between two records makes matter (none
    without a trained model)."""
    stored = current_model(conn)
    if stored is None:
        return []
    version, settings, tf = stored
    return _apart_where_links_meet(conn, Scorer(settings, tf), thresholds.for_model(tf),
                                   f"model:{version}", [(left, right)])


def _check_pair(left: int, right: int) -> None:
    if left == right:
        raise BadInput(N_("a record cannot be judged against itself"), field="right")


def _require_visible(p: Any, ids: Sequence[int]) -> None:
    from emco.store import records as records_repo

    for rid in ids:
        if records_repo.get(p.conn, p.scope, rid) is None:
            raise NotFound(N_("no such record"))


class _Clock:
    def __init__(self, summary: ResolveSummary) -> None:
        self.summary = summary

    def __call__(self, name: str) -> "_Clock":
        self.name = name
        return self

    def __enter__(self) -> None:
        self.start = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        self.summary.seconds[self.name] = round(
            self.summary.seconds.get(self.name, 0) + time.perf_counter() - self.start, 2)



@dataclass
class Overview:
    records: int  # records with an entity
    entities: int
    merged_records: int  # records sharing their entity with another
    largest: int
    to_review: int


def overview(access: Access, thresholds: Thresholds) -> Overview:
    """How far resolution has gone: entities, merged records, pairs awaiting review."""
    with access.reading(Permission.REVIEW_READ, AuditEvent(AuditAction.RESOLVE_READ)) as p:
        sizes = repo.entity_sizes(p.conn, p.scope)
        waiting = repo.review_count(p.conn, p.scope, thresholds.review)
        p.event.result_count = len(sizes)
    return Overview(records=sum(sizes), entities=len(sizes),
                    merged_records=sum(n for n in sizes if n > 1),
                    largest=max(sizes, default=0), to_review=waiting)


def on_arrival(access: Access, thresholds: Thresholds) -> ResolveSummary | None:
    """Match newly arrived records against everything resolved, if a model has been
    trained (the first resolution is a batch the staff runs: `emco resolve`). A model of
    older comparisons is trained again first (`current_model`)."""
    with access.reading(Permission.RESOLVE_RUN, AuditEvent(AuditAction.RESOLVE_READ)) as p:
        trained = repo.latest_model(p.conn, KIND) is not None
    return resolve(access, thresholds) if trained else None


def after_removal(access: Access, thresholds: Thresholds, entities: set[str]
                  ) -> ResolveSummary:
    """Records were removed (`emco retention run`): recompute the entities from the
    standing judgements (a purged record may have been what joined two others), then tell
    the stages that work on entities, as a resolution run does: the entities of the
    removed records, and any that split, changed."""
    summary = ResolveSummary()
    event = AuditEvent(AuditAction.RESOLVE_RUN, query={"removed_from": len(entities)})
    with access.writing(Permission.RESOLVE_RUN, event) as p:
        changed = _recluster(p.conn, access.db, thresholds, summary)
        event.result_count = summary.changed
    _notify(access, changed | entities)
    return summary
