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
from dataclasses import asdict, dataclass, field
from functools import reduce
from itertools import chain, pairwise
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import json as pa_json
from rapidfuzz.distance import OSA

from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.errors import BadInput, Conflict, NotFound
from emco.i18n import N_
from emco.model.enums import AuditAction, Permission, Protection, Verdict
from emco.model.types import Judgement
from emco.resolve import model as person_model
from emco.resolve.clusters import assign_ids, clusters
from emco.resolve.features import (
    COMPANY_SCHEMATA,
    IDENTIFIED,
    PERSON_SCHEMATA,
    POSTCODE,
    company_key,
    person_features,
)
from emco.resolve.model import SHOWN, Score, Scorer
from emco.store import resolution as repo
from emco.store.records import Facts
from emco.workers import in_order

FEATURES_VERSION = "6"  # bump when feature code changes: every record is featured again
KIND = "person"
SCHEMATA = sorted(PERSON_SCHEMATA | COMPANY_SCHEMATA | set(IDENTIFIED))
FLOOR = 0.001  # pairs scoring below this are not kept (unless surely different people)
FEATURE_BLOCK = 2000  # records featured at a time
YEAR_ONLY = "-01-01"  # a complete date some services write when they know the year only

# Stages that depend on clusters register here; called with the entities that changed.
ON_CHANGE: list[Callable[[Access, set[str]], None]] = []


@dataclass
class Thresholds:
    match: float
    review: float


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
        stored = repo.latest_model(p.conn, KIND)
    frame = None
    if stored is None or retrain:
        with clock("train"):
            frame = _people(access)
            if len(frame) < 2:  # no two people to learn from: identifiers still join
                return _finish(access, event, summary, [], thresholds, clock)
            settings = person_model.train(frame)
            tf = person_model.term_frequencies(frame)
        with access.writing(Permission.RESOLVE_RUN,
                            AuditEvent(AuditAction.RESOLVE_RUN, detail="model trained")) as p:
            version = repo.save_model(p.conn, KIND, len(frame), settings, tf)
        summary.trained, full = True, True
    else:
        version, settings, tf = stored
    summary.model_version = version
    author = f"model:{version}"
    if full:
        frame = _people(access) if frame is None else frame
        # Pairs are judged in SQL and written as they come: a million records' judgements
        # with their explanations do not fit in memory at once.
        batches: Iterable[list[JudgementRow]] = _batch_judgements(settings, frame,
                                                                  thresholds, author)
        return _finish(access, event, summary, batches, thresholds, clock)
    with clock("score"):
        rows = _incremental_judgements(access, Scorer(settings, tf), new_people, thresholds,
                                       author)
    return _finish(access, event, summary, [rows], thresholds, clock, full=False,
                   rescored=list(new_people))


def _finish(access: Access, event: AuditEvent, summary: ResolveSummary,
            batches: Iterable[list["JudgementRow"]], thresholds: Thresholds,
            clock: "_Clock", full: bool = True, rescored: Sequence[int] = ()
            ) -> ResolveSummary:
    """Store the judgements of a run, the identifier rules' too, and recompute the
    entities, in one transaction. The model's judgements on a record matched again (new
    or changed) are all replaced: a pair it no longer scores must not keep an old merge."""
    with access.writing(Permission.RESOLVE_RUN, event) as p:
        db = access.db
        if full:
            repo.supersede_automatic(p.conn, "model:%")
            repo.supersede_automatic(p.conn, "rule:%")
        else:
            repo.supersede_touching(p.conn, rescored, "model:%")
        with clock("score"):
            for rows in batches:
                if not full:
                    pairs = [(a, b) for a, b, *_ in rows]
                    repo.supersede_pairs(p.conn, pairs, "model:%")
                    repo.supersede_pairs(p.conn, pairs, "rule:%")
                repo.add_judgements(db, p.conn, rows)
                summary.count(rows)
        with clock("rules"):
            rule_rows = _rule_judgements(p.conn)
            if not full:
                repo.supersede_pairs(p.conn, [(a, b) for a, b, *_ in rule_rows], "rule:%")
            repo.add_judgements(db, p.conn, rule_rows)
            summary.rule_links = len(rule_rows)
        with clock("cluster"):
            changed_entities = _recluster(p.conn, db, thresholds, summary)
        event.result_count = summary.changed
        event.detail = json.dumps({k: v for k, v in summary.to_dict().items()
                                   if k != "seconds"})
    _notify(access, changed_entities)
    return summary


def _notify(access: Access, changed_entities: set[str]) -> None:
    """Tell the stages that work on entities which ones a merge or split changed."""
    if changed_entities:
        for hook in ON_CHANGE:
            hook(access, changed_entities)


def _recluster(conn: Any, db: Any, thresholds: Thresholds, summary: ResolveSummary
               ) -> set[str]:
    records = repo.all_record_ids(conn)
    found = clusters(records, repo.standing(conn), thresholds.match)
    previous = repo.entities(conn)
    assignment, _ = assign_ids(found, previous, repo.next_entity_number(conn))
    summary.entities = len(found)
    summary.merged_records = sum(len(c) for c in found if len(c) > 1)
    changed = {assignment[r] for r in assignment if previous.get(r) != assignment[r]}
    changed |= {previous[r] for r in assignment if r in previous
                and previous[r] != assignment[r]}
    summary.changed = repo.replace_entities(db, conn, assignment, previous)
    return changed


# --- features ------------------------------------------------------------------------------

def _feature(access: Access, stale_only: bool, workers: int
             ) -> tuple[int, dict[int, dict[str, Any]]]:
    """Compute and store the features and keys of records new or changed (all when not
    `stale_only`), chunk by chunk, in `workers` other processes when more than 0. Returns
    how many records were featured and, when `stale_only`, the features of the people
    among them (a full run reads them back column-wise: `_people`)."""
    count = 0
    people: dict[int, dict[str, Any]] = {}
    with ExitStack() as stack:
        read = stack.enter_context(access.reading(Permission.RESOLVE_RUN,
                                                  AuditEvent(AuditAction.RESOLVE_READ)))
        blocks = repo.resolvable(read.conn, read.scope, SCHEMATA, stale_only,
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
                everything = not stale_only and read.scope.agencies is None and \
                    read.scope.protections == frozenset(Protection)
                save = stack.enter_context(repo.features_writer(access.db, write.conn,
                                                                everything))
            save(rows)
            count += len(rows)
            write.event.detail = f"features of {count} records"
            if stale_only:
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
                    json.dumps(feats, ensure_ascii=False), tuple(keys)))
    return marshal.dumps(out)


def _features_of(rid: int, agency: str, schema: str, facts: list[tuple[str, str, str, str]]
                 ) -> tuple[str, dict[str, Any], list[tuple[str, str]]]:
    if schema in PERSON_SCHEMATA:
        person = person_features(rid, agency, facts)
        keys = person.keys() if person.usable else []
        return KIND, person.row(), keys
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
    swapped; a 1st of January may stand for "that year")."""
    levels = {p.comparison: p.level for p in score.parts}
    parts = {p.comparison: p for p in score.parts}
    documents = parts.get("identity_document")
    shared = levels.get("phone") == "a number in common" or \
        levels.get("identity_document") == "a document in common" or (
            documents is not None and any(OSA.distance(a, b) <= 1 for a in documents.left or ()
                                          for b in documents.right or ()))
    dates = parts.get("birth_date")
    other_day = dates is not None and dates.level == "same year" and all(
        isinstance(d, str) and not d.endswith(YEAR_ONLY) for d in (dates.left, dates.right)) \
        and dates.left[5:7] != dates.right[5:7] and dates.left[8:] != dates.right[8:]
    conflict = levels.get("birth_date") == "else" or levels.get("gender") == "else" or \
        other_day
    if conflict and not shared:
        return Verdict.NEGATIVE if score.probability >= FLOOR else None
    if score.probability >= thresholds.match:
        return Verdict.POSITIVE
    if score.probability >= thresholds.review:
        return Verdict.UNSURE
    return None


APART = "birth dates or genders differ, and no phone or document in common"


def _evidence(score: Score, verdict: Verdict) -> str:
    """What a judgement of the model keeps of its score. The parts only where an operator
    will read them (a merge, a doubt): records kept apart are the bulk of the rows at
    scale, and their parts are computed again when asked (`explain`)."""
    evidence: dict[str, Any] = {"probability": round(score.probability, 6),
                                "match_weight": round(score.weight, 3)}
    if verdict == Verdict.NEGATIVE:
        evidence["apart"] = APART
    else:
        evidence["parts"] = score.explain()
    return json.dumps(evidence, ensure_ascii=False)


def _batch_judgements(settings: dict[str, Any], frame: pd.DataFrame,
                      thresholds: Thresholds, author: str) -> Iterator[list[JudgementRow]]:
    """Every blocked pair of the batch, scored by Splink, judged and explained in the same
    SQL (`_judging`): pair by pair in Python, a million records took many minutes."""
    if len(frame) < 2:
        return
    for batch in person_model.predict(settings, frame, FLOOR, _judging(settings, thresholds)):
        yield [(int(left), int(right), Verdict(verdict), probability, author, evidence)
               for left, right, verdict, probability, evidence
               in batch.itertuples(index=False)]


def _judging(settings: dict[str, Any], thresholds: Thresholds) -> str:
    """`classify` and `_evidence` as SQL over Splink's pairs: each comparison's level
    labelled as `Scorer` labels it, its weight with the term-frequency adjustment, the
    values shown."""
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
    verdict = (
        "CASE WHEN (level_birth_date = 'else' OR level_gender = 'else' OR "
        "(level_birth_date = 'same year' AND dob_l IS NOT NULL AND dob_r IS NOT NULL "
        f"AND NOT ends_with(dob_l, '{YEAR_ONLY}') AND NOT ends_with(dob_r, '{YEAR_ONLY}') "
        "AND substr(dob_l, 6, 2) <> substr(dob_r, 6, 2) AND substr(dob_l, 9) <> "
        "substr(dob_r, 9))) AND NOT "
        "(level_phone = 'a number in common' OR level_identity_document = "
        "'a document in common' OR len(list_filter(ids_l, lambda a: len(list_filter("
        "ids_r, lambda b: damerau_levenshtein(a, b) <= 1)) > 0)) > 0) "
        f"THEN CASE WHEN {p} >= {FLOOR!r} THEN {negative} END "
        f"WHEN {p} >= {thresholds.match!r} THEN {positive} "
        f"WHEN {p} >= {thresholds.review!r} THEN {unsure} END")
    evidence = (f"CASE WHEN verdict = {negative} THEN json_object('probability', "
                f"round({p}, 6), 'match_weight', round(match_weight, 3), 'apart', "
                f"{text(APART)}) ELSE json_object('probability', round({p}, 6), "
                f"'match_weight', round(match_weight, 3), 'parts', "
                f"json_array({', '.join(parts)})) END")
    return (f"SELECT unique_id_l, unique_id_r, verdict, {p}, {evidence} "  # noqa: S608
            f"FROM (SELECT *, {verdict} AS verdict FROM (SELECT *, {', '.join(labels)} "
            "FROM pairs)) WHERE verdict IS NOT NULL")


def _incremental_judgements(access: Access, scorer: Scorer,
                            new_people: dict[int, dict[str, Any]], thresholds: Thresholds,
                            author: str) -> list[JudgementRow]:
    from emco.resolve.matcher import match

    out: list[JudgementRow] = []
    with access.reading(Permission.RESOLVE_RUN, AuditEvent(AuditAction.RESOLVE_READ)) as p:
        for rid, feats in new_people.items():
            if not _usable(feats):
                continue
            for other, score in match(p.conn, scorer, rid, feats):
                verdict = classify(score, thresholds)
                if verdict is not None:
                    out.append((rid, other, verdict, score.probability, author,
                                _evidence(score, verdict)))
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


def score_now(conn: Any, left: int, right: int) -> Score | None:
    """Two person records scored with the latest model; None when one is not a person
    with features, or no model is trained yet."""
    feats = dict(repo.features(conn, KIND, [left, right]))
    stored = repo.latest_model(conn, KIND)
    if stored is None or left not in feats or right not in feats:
        return None
    return Scorer(stored[1], stored[2]).score(feats[left], feats[right])


def judgement_dict(j: dict[str, Any]) -> dict[str, Any]:
    """A stored judgement as the CLI, the API and the pages show it."""
    evidence = json.loads(j["evidence"]) if j["evidence"] else None
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
        repo.add_judgements(access.db, p.conn, [(left, right, verdict, None, author,
                                                 json.dumps({"reason": reason},
                                                            ensure_ascii=False))])
        summary = ResolveSummary()
        changed_entities = _recluster(p.conn, access.db, thresholds, summary)
        p.event.result_count = summary.changed
    _notify(access, changed_entities)
    return Judgement(min(left, right), max(left, right), verdict, None, author)


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
        waiting = repo.review_count(p.conn, p.scope, thresholds.review, thresholds.match)
        p.event.result_count = len(sizes)
    return Overview(records=sum(sizes), entities=len(sizes),
                    merged_records=sum(n for n in sizes if n > 1),
                    largest=max(sizes, default=0), to_review=waiting)


def on_arrival(access: Access, thresholds: Thresholds) -> ResolveSummary | None:
    """Match newly arrived records against everything resolved, if a model has been
    trained (the first resolution is a batch the staff runs: `emco resolve`)."""
    with access.reading(Permission.RESOLVE_RUN, AuditEvent(AuditAction.RESOLVE_READ)) as p:
        trained = repo.latest_model(p.conn, KIND) is not None
    return resolve(access, thresholds) if trained else None
