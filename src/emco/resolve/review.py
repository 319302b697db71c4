"""The review queue: pairs of records the model was unsure of, for an operator to decide.

Each pair comes with both records side by side (their facts aligned by property), the
score's parts and what a decision would do to the resolved entities. The pages and the
API call these functions; each passes the gate and leaves one audit row. Deciding is
`emco.resolve.service.judge`; `decide` adds the entities that result.
"""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from rapidfuzz.distance import JaroWinkler
from sqlalchemy import Connection

from emco.access import records as records_access
from emco.access.audit import AuditEvent
from emco.access.gate import Access, Passage
from emco.errors import BadInput, NotFound
from emco.i18n import N_, Message
from emco.ingest.normalize import fold
from emco.model.enums import AuditAction, Permission, Verdict
from emco.model.types import Fact, Judgement, RecordSummary, RecordView
from emco.resolve.service import Thresholds, judge, judgement_dict, score_now
from emco.store import records as records_repo
from emco.store import resolution as repo

ENTITY_RECORDS_SHOWN = 200


class Agreement(StrEnum):
    """How the two records' values of one property compare."""

    SAME = "same"
    PARTLY = "partly"  # some values in common, not all
    ALIKE = "alike"  # none in common, but written alike (a typing error, a variant)
    DIFFERENT = "different"
    LEFT_ONLY = "left_only"
    RIGHT_ONLY = "right_only"


@dataclass(frozen=True)
class Side:
    """One record of a pair, with its resolved entity as it stands."""

    record: RecordView
    entity: str | None
    entity_records: int  # records of that entity the principal sees, this one included


@dataclass(frozen=True)
class AlignedFact:
    """One property of the two records, side by side."""

    prop: str
    label: str
    left: list[str]
    right: list[str]
    agreement: Agreement


@dataclass(frozen=True)
class ReviewItem:
    """A pair to decide: the records, the score with its parts, the judgements so far."""

    left: Side
    right: Side
    probability: float | None
    match_weight: float | None
    parts: list[dict[str, Any]]
    judgements: list[dict[str, Any]] = field(default_factory=list)
    position: int | None = None  # in the queue, from 0
    danger: str | None = None  # the higher dangerousness of the two (the staff's queue)

    @property
    def prior_weight(self) -> float | None:
        return prior_weight(self.match_weight, self.parts)

    @property
    def same_entity(self) -> bool:
        """Already one entity (through other links): merging changes nothing, keeping
        them apart splits it."""
        return self.left.entity is not None and self.left.entity == self.right.entity

    @property
    def records_if_merged(self) -> int:
        if self.same_entity:
            return self.left.entity_records
        return self.left.entity_records + self.right.entity_records

    @property
    def operator_judged(self) -> bool:
        """An operator's decision stands on the pair: another one must say it replaces it."""
        return any(j["superseded_at"] is None and not _automatic(j["author"])
                   for j in self.judgements)

    @property
    def facts(self) -> list[AlignedFact]:
        return align(self.left.record.facts, self.right.record.facts)


@dataclass(frozen=True)
class EntityView:
    """The resolved entity of a record and the entity's other records in sight."""

    record_id: int
    entity: str | None
    others: list[RecordSummary]
    others_total: int


@dataclass(frozen=True)
class Decision:
    judgement: Judgement
    reason: str
    entities: list[EntityView]


def queue(access: Access, thresholds: Thresholds, limit: int = 20, offset: int = 0
          ) -> list[ReviewItem]:
    """The pairs waiting for an operator: the model's standing "unsure" judgements at or
    above the review threshold that no operator has judged, both records in the
    principal's sight; those touching the most dangerous person first (the staff's
    queue), then those joining two services, then the likeliest matches."""
    event = AuditEvent(AuditAction.REVIEW_READ, query={"limit": limit, "offset": offset})
    with access.reading(Permission.REVIEW_READ, event) as p:
        rows = repo.review_queue(p.conn, p.scope, thresholds.review, limit, offset)
        sides = _Sides(p)
        items = []
        for n, row in enumerate(rows):
            left, right = sides.get(row["left_id"]), sides.get(row["right_id"])
            if left is None or right is None:  # changed since the query: leave it out
                continue
            evidence = _evidence(row["evidence"])
            items.append(ReviewItem(
                left, right, row["score"], evidence.get("match_weight"),
                evidence.get("parts") or [], judgements=[], position=offset + n,
                danger=row["danger"]))
        p.event.result_count = len(items)
        p.event.objects = [f"record:{i.left.record.summary.id}" for i in items] + \
            [f"record:{i.right.record.summary.id}" for i in items]
    return items


def item(access: Access, left: int, right: int) -> ReviewItem:
    """One pair, queued or not, with every judgement it had. The score is the one the
    model stored with its standing judgement, else computed now with the latest model.
    Records out of the principal's sight are not found."""
    if left == right:
        raise BadInput(N_("a record cannot be judged against itself"), field="right")
    left, right = min(left, right), max(left, right)  # as judgements store pairs
    event = AuditEvent(AuditAction.REVIEW_READ, objects=[f"record:{left}",
                                                         f"record:{right}"])
    with access.reading(Permission.REVIEW_READ, event) as p:
        sides = _Sides(p)
        a, b = sides.get(left), sides.get(right)
        if a is None or b is None:
            raise NotFound(N_("no such record"))
        judgements = repo.judgements_of_pair(p.conn, left, right)
        probability, weight, parts = _score(p.conn, left, right, judgements)
        p.event.result_count = 1
    return ReviewItem(a, b, probability, weight, parts, judgements=[
        judgement_dict(j) for j in judgements])


def decide(access: Access, left: int, right: int, verdict: Verdict, reason: str,
           thresholds: Thresholds, override: bool = False) -> Decision:
    """Judge a pair as an operator (see `service.judge`), then read the entities of both
    records as they now stand."""
    judgement = judge(access, left, right, verdict, reason, thresholds, override=override)
    return Decision(judgement, reason.strip(), entities(access, [left, right]))


def record_entity(access: Access, record_id: int, *, motif: str | None = None,
                  case_ref: str | None = None) -> EntityView:
    """The resolved entity of a record and the other records of that entity the principal
    sees. A record out of sight is not found. A person's entity is a profile: opened with
    a motif and a case reference (refused, and audited as denied, without them)."""
    event = AuditEvent(AuditAction.ENTITY_READ, objects=[f"record:{record_id}"])
    access.check(Permission.RECORD_READ, event)
    why, ref = records_access.purpose_of(access, event, record_id, motif, case_ref)
    return entities(access, [record_id], motif=why, case_ref=ref)[0]


def entities(access: Access, record_ids: Sequence[int], *, motif: str | None = None,
             case_ref: str | None = None) -> list[EntityView]:
    event = AuditEvent(AuditAction.ENTITY_READ, objects=[f"record:{r}" for r in record_ids],
                       motif=motif, case_ref=case_ref)
    with access.reading(Permission.RECORD_READ, event) as p:
        out = []
        for rid in record_ids:
            if not records_repo.summaries(p.conn, p.scope, [rid]):
                raise NotFound(N_("no such record"))
            entity = repo.entity_of(p.conn, rid)
            members = [m for m in repo.members(p.conn, p.scope, entity) if m != rid] \
                if entity else []
            shown = records_repo.summaries(p.conn, p.scope, members[:ENTITY_RECORDS_SHOWN])
            out.append(EntityView(rid, entity, shown, len(members)))
        p.event.result_count = sum(len(e.others) for e in out)
    return out


# --- what a pair's score and facts show ----------------------------------------------------

def prior_weight(match_weight: float | None, parts: Sequence[dict[str, Any]]) -> float | None:
    """The model's prior, as a weight: what two records drawn at random score before any
    comparison. A score is the prior plus its parts, so the parts' sum gives it back."""
    if match_weight is None:
        return None
    return round(match_weight - sum(float(p["weight"]) for p in parts), 3)


def align(left: Sequence[Fact], right: Sequence[Fact]) -> list[AlignedFact]:
    """The facts of two records by property, the left record's order first, with how
    their values compare (names regardless of case, accents and word order)."""
    order: list[str] = []
    labels: dict[str, str] = {}
    values: dict[str, tuple[list[Fact], list[Fact]]] = {}
    for side, facts in ((0, left), (1, right)):
        for f in facts:
            if f.prop not in values:
                order.append(f.prop)
                labels[f.prop] = f.prop_label
                values[f.prop] = ([], [])
            values[f.prop][side].append(f)
    out = []
    for prop in order:
        a, b = values[prop]
        out.append(AlignedFact(prop, labels[prop], [f.value for f in a], [f.value for f in b],
                               _agreement(a, b)))
    return out


def _agreement(left: list[Fact], right: list[Fact]) -> Agreement:
    if not right:
        return Agreement.LEFT_ONLY
    if not left:
        return Agreement.RIGHT_ONLY
    a, b = {_comparable(f) for f in left}, {_comparable(f) for f in right}
    if a == b:
        return Agreement.SAME
    if a & b:
        return Agreement.PARTLY
    if any(JaroWinkler.similarity(x, y) >= ALIKE for x in a for y in b):
        return Agreement.ALIKE
    return Agreement.DIFFERENT


ALIKE = 0.9  # Jaro-Winkler similarity from which two values read as one written twice


def _comparable(f: Fact) -> str:
    if f.prop_type == "name":
        return " ".join(sorted(fold(f.value).split()))
    return f.value.strip().casefold()


# Words a person reads for the model's comparisons and levels (comparisons.py); the API
# gives the names themselves.
COMPARISON_LABELS: dict[str, Message] = {
    "first_name": N_("Given name"),
    "surname": N_("Surname"),
    "birth_date": N_("Date of birth"),
    "phone": N_("Phone numbers"),
    "identity_document": N_("Identity documents and e-mail"),
    "birthplace": N_("Place of birth"),
    "address": N_("Address"),
    "gender": N_("Gender"),
}
LEVEL_LABELS: dict[str, Message] = {
    "null": N_("missing on one side or both"),
    "exact": N_("the same"),
    "else": N_("different"),
    "first and last names swapped": N_("given name and surname swapped"),
    "same consonants": N_("same consonants"),
    "first and last names swapped, sounding alike":
        N_("given name and surname swapped, sounding alike"),
    "Jaro-Winkler ≥ 0.92": N_("spelt almost alike (Jaro-Winkler ≥ 0.92)"),
    "Jaro-Winkler ≥ 0.8": N_("spelt alike (Jaro-Winkler ≥ 0.8)"),
    "sounds alike": N_("sounds alike"),
    "same date": N_("the same date"),
    "day and month swapped": N_("day and month swapped"),
    "one character apart": N_("one character apart"),
    "same year and month": N_("the same year and month"),
    "same year": N_("the same year"),
    "a number in common": N_("a number in common"),
    "a document in common": N_("a document or an e-mail address in common"),
    "Jaro-Winkler ≥ 0.9": N_("written almost alike (Jaro-Winkler ≥ 0.9)"),
    "same postcode": N_("the same postcode"),
}


# --- inside the gate -----------------------------------------------------------------------

class _Sides:
    """Records and their entities, read once per passage."""

    def __init__(self, passage: Passage) -> None:
        self.p = passage
        self.sides: dict[int, Side | None] = {}
        self.sizes: dict[str, int] = {}

    def get(self, record_id: int) -> Side | None:
        if record_id not in self.sides:
            view = records_repo.get(self.p.conn, self.p.scope, record_id)
            side = None
            if view is not None:
                entity = repo.entity_of(self.p.conn, record_id)
                side = Side(view, entity, self._size(entity) if entity else 1)
            self.sides[record_id] = side
        return self.sides[record_id]

    def _size(self, entity: str) -> int:
        if entity not in self.sizes:
            self.sizes[entity] = len(repo.members(self.p.conn, self.p.scope, entity))
        return self.sizes[entity]


def _score(conn: Connection, left: int, right: int, judgements: list[dict[str, Any]]
           ) -> tuple[float | None, float | None, list[dict[str, Any]]]:
    model = [j for j in judgements if str(j["author"]).startswith("model:")]
    model.sort(key=lambda j: (j["superseded_at"] is None, j["id"]))
    if model and model[-1]["superseded_at"] is None:
        evidence = _evidence(model[-1]["evidence"])
        if "parts" in evidence:
            return model[-1]["score"], evidence.get("match_weight"), evidence["parts"]
    score = score_now(conn, left, right)
    if score is None:
        return None, None, []
    return round(score.probability, 6), round(score.weight, 3), score.explain()


def _evidence(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    data = json.loads(text)
    return data if isinstance(data, dict) else {}


def _automatic(author: str) -> bool:
    return author.startswith(("model:", "rule:"))

