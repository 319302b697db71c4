"""Response bodies of the API. The pages render these same objects (a page's JSON twin
returns exactly what it shows)."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from emco.access.records import SearchResults
from emco.model.enums import Verdict
from emco.model.types import Agency, Fact, RecordSummary, RecordView
from emco.resolve.review import Decision, EntityView, ReviewItem, Side

# Text that reaches the store (and the audit log) holds no NUL: PostgreSQL refuses it.
NO_NUL = r"^[^\x00]*$"
# Record ids are 64-bit; a larger number cannot name a record (and overflows the driver).
MAX_ID = 2**63 - 1


class Provenance(BaseModel):
    """Where a fact comes from and how far it may travel."""

    agency: str = Field(description="Code of the service that submitted the record.")
    source_id: str = Field(description="The record's id in that service's file.")
    handling: str = Field(description="Europol handling code, H0 to H3.")
    handling_condition: str | None = Field(description="The owner's condition, for H3.")
    grade: str = Field(description="Source reliability (A, B, C, X) and information "
                                   "credibility (1-4), such as B2.")
    protection: str = Field(description="NP, or DR (diffusion restreinte).")
    category: str | None = Field(description="Person category, for people and companies.")
    observed: date | None
    retain_until: date | None


class RecordOut(BaseModel):
    id: int
    schema_: str = Field(alias="schema", serialization_alias="schema")
    caption: str
    provenance: Provenance

    @classmethod
    def of(cls, r: RecordSummary) -> "RecordOut":
        m = r.meta
        return cls(id=r.id, schema=r.schema, caption=r.caption, provenance=Provenance(
            agency=r.agency, source_id=r.source_id, handling=m.handling.value,
            handling_condition=m.handling_condition, grade=m.grade,
            protection=m.protection.value, category=m.category.value if m.category else None,
            observed=m.observed, retain_until=m.retention))


class FactOut(BaseModel):
    prop: str
    label: str
    type: str
    value: str
    original_value: str
    ref: int | None = Field(description="Id of the record this value points at, if visible.")

    @classmethod
    def of(cls, f: Fact) -> "FactOut":
        return cls(prop=f.prop, label=f.prop_label, type=f.prop_type, value=f.value,
                   original_value=f.original_value, ref=f.ref)


class RecordDetail(RecordOut):
    batch: str
    ingested_at: datetime
    facts: list[FactOut]
    referenced_by: list[RecordOut]

    @classmethod
    def of_view(cls, v: RecordView) -> "RecordDetail":
        base = RecordOut.of(v.summary)
        return cls(**base.model_dump(by_alias=True), batch=v.batch,
                   ingested_at=v.ingested_at, facts=[FactOut.of(f) for f in v.facts],
                   referenced_by=[RecordOut.of(r) for r in v.referenced_by])


class SearchOut(BaseModel):
    query: str
    total: int = Field(description="Matching records the caller may see.")
    records: list[RecordOut]

    @classmethod
    def of(cls, s: SearchResults) -> "SearchOut":
        return cls(query=s.query, total=s.total, records=[RecordOut.of(r) for r in s.records])


class AgencyOut(BaseModel):
    code: str
    name: str
    ministry: str
    contact_name: str
    contact_email: str
    contact_phone: str
    is_staff: bool

    @classmethod
    def of(cls, a: Agency) -> "AgencyOut":
        return cls(**a.__dict__)


class PrincipalOut(BaseModel):
    username: str
    agency: str
    roles: list[str]
    clearance: str


class LoginIn(BaseModel):
    username: str = Field(max_length=100, pattern=NO_NUL)
    password: str = Field(max_length=1000)
    code: str = Field(default="", max_length=10, pattern=NO_NUL,
                      description="The six-digit code of the account's authenticator.")


class ErrorOut(BaseModel):
    error: str
    message: str
    field: str | None


# --- resolution ------------------------------------------------------------------------------

class PartOut(BaseModel):
    """One comparison's contribution to a pair's score."""

    comparison: str = Field(description="What is compared: first_name, surname, "
                                        "birth_date, phone, identity_document, birthplace, "
                                        "gender.")
    level: str = Field(description="How alike the two values are, as the model grades it.")
    weight: float = Field(description="Match weight of that level (log2 of how much more "
                                      "often true matches show it than random pairs): for "
                                      "when positive, against when negative.")
    left: Any = Field(description="The left record's value as compared.")
    right: Any = Field(description="The right record's value as compared.")


class JudgementOut(BaseModel):
    verdict: str = Field(description="positive (same), negative (not the same), unsure.")
    author: str = Field(description="model:N, rule:NAME, or the operator's username.")
    score: float | None = Field(description="The model's match probability, for its own.")
    evidence: dict[str, Any] | None = Field(description="The score's parts (model), the "
                                                        "shared identifier (rule), or the "
                                                        "operator's reason.")
    created_at: str
    superseded_at: str | None = Field(description="When a later run or decision replaced "
                                                  "it; null while it stands.")


def _parts(parts: list[dict[str, Any]]) -> list[PartOut]:
    return [PartOut(**p) for p in parts]


class PairOut(BaseModel):
    """Why two records are, or are not, one entity."""

    left: int
    right: int
    probability: float | None = Field(description="Match probability by the latest model; "
                                                  "null when a record is not a person or "
                                                  "no model is trained.")
    match_weight: float | None = Field(description="prior_weight plus the parts' weights.")
    prior_weight: float | None = Field(description="What two records drawn at random "
                                                   "score before any comparison.")
    parts: list[PartOut]
    left_entity: str | None
    right_entity: str | None
    judgements: list[JudgementOut] = Field(description="Every judgement of the pair, "
                                                       "oldest first.")

    @classmethod
    def of(cls, data: dict[str, Any]) -> "PairOut":
        """From `emco.resolve.service.explanation_dict`."""
        return cls(left=data["left"], right=data["right"], probability=data["probability"],
                   match_weight=data["match_weight"],
                   prior_weight=data["prior_weight"],
                   parts=_parts(data["parts"]), left_entity=data["left_entity"],
                   right_entity=data["right_entity"],
                   judgements=[JudgementOut(**j) for j in data["judgements"]])


class ReviewSideOut(BaseModel):
    record: RecordDetail
    entity_id: str | None = Field(description="The record's resolved entity now.")
    entity_records: int = Field(description="Records of that entity the caller sees, "
                                            "this one included.")

    @classmethod
    def of(cls, s: Side) -> "ReviewSideOut":
        return cls(record=RecordDetail.of_view(s.record), entity_id=s.entity,
                   entity_records=s.entity_records)


class AlignedFactOut(BaseModel):
    prop: str
    label: str
    left: list[str]
    right: list[str]
    agreement: str = Field(description="same, partly, alike, different, left_only, "
                                       "right_only.")


class ReviewItemOut(BaseModel):
    """A pair for an operator to decide, both records side by side."""

    position: int | None = Field(description="Place in the queue, from 0.")
    left: ReviewSideOut
    right: ReviewSideOut
    probability: float | None
    match_weight: float | None
    prior_weight: float | None
    parts: list[PartOut]
    facts: list[AlignedFactOut] = Field(description="The two records' facts by property.")
    same_entity: bool = Field(description="Already one entity through other links.")
    records_if_merged: int = Field(description="Records of the entity a merge would make.")
    operator_judged: bool = Field(description="An operator's decision stands on the pair: "
                                              "a new one must override it.")
    judgements: list[JudgementOut]
    danger: str | None = Field(
        default=None, description="In the staff's queue: the higher dangerousness level "
        "(low, moderate, high, critical) of the two records' persons in the latest "
        "assessment; null when neither is assessed, and for a service's operator.")

    @classmethod
    def of(cls, i: ReviewItem) -> "ReviewItemOut":
        return cls(position=i.position, left=ReviewSideOut.of(i.left),
                   right=ReviewSideOut.of(i.right), probability=i.probability,
                   match_weight=i.match_weight, prior_weight=i.prior_weight,
                   parts=_parts(i.parts),
                   facts=[AlignedFactOut(prop=f.prop, label=f.label, left=f.left,
                                         right=f.right, agreement=f.agreement.value)
                          for f in i.facts],
                   same_entity=i.same_entity, records_if_merged=i.records_if_merged,
                   operator_judged=i.operator_judged,
                   judgements=[JudgementOut(**j) for j in i.judgements], danger=i.danger)


class ReviewQueueOut(BaseModel):
    offset: int
    limit: int
    pairs: list[ReviewItemOut] = Field(
        description="Those touching the most dangerous person first (the staff's queue), "
        "then those joining two services' records, then the likeliest matches.")
    next_offset: int | None = Field(description="Offset of the next page; null at the end.")

    @classmethod
    def of(cls, items: list[ReviewItem], limit: int, offset: int) -> "ReviewQueueOut":
        return cls(offset=offset, limit=limit, pairs=[ReviewItemOut.of(i) for i in items],
                   next_offset=offset + limit if len(items) == limit else None)


class JudgementIn(BaseModel):
    verdict: Verdict = Field(description="positive: the same; negative: not the same; "
                                         "unsure.")
    reason: str = Field(max_length=1000, pattern=NO_NUL,
                        description="Why; recorded with the decision.")
    override: bool = Field(default=False, description="Replace an earlier operator's "
                                                      "contrary decision.")


class EntityOut(BaseModel):
    """A record's resolved entity and the entity's other records the caller sees."""

    record_id: int
    entity_id: str | None = Field(description="Null until resolution has run.")
    records: list[RecordOut] = Field(description="The entity's other records in sight.")
    total: int = Field(description="How many they are (the list stops at 200).")

    @classmethod
    def of(cls, e: EntityView) -> "EntityOut":
        return cls(record_id=e.record_id, entity_id=e.entity,
                   records=[RecordOut.of(r) for r in e.others], total=e.others_total)


class NewJudgementOut(BaseModel):
    left: int
    right: int
    verdict: str
    author: str
    reason: str


class DecisionOut(BaseModel):
    judgement: NewJudgementOut
    entities: list[EntityOut] = Field(description="Both records' entities after it.")

    @classmethod
    def of(cls, d: Decision) -> "DecisionOut":
        j = d.judgement
        return cls(judgement=NewJudgementOut(left=j.left, right=j.right,
                                             verdict=j.verdict.value, author=j.author,
                                             reason=d.reason),
                   entities=[EntityOut.of(e) for e in d.entities])
