"""Bodies of the risk API. The risk pages render these same objects, built from the
stage's own `to_dict()` (a page's JSON twin returns exactly what it shows)."""

from typing import Any

from pydantic import BaseModel, Field

from emco.api.schemas import NO_NUL
from emco.risk.assess import AssessSummary
from emco.risk.review import MAX_MOTIF, Explanation


class DeclaredOut(BaseModel):
    agency: str = Field(description="The service that declared its own handling.")
    escort: int | None = Field(description="Escort level 1-4; null when not declared.")
    dps: bool | None = Field(description="Special-detainee status (DPS).")
    watch: bool | None = Field(description="On the watch list.")
    note: str | None = None
    author: str
    at: str
    id: int


class RankedDeclaredOut(BaseModel):
    agency: str
    escort: int | None
    dps: bool | None
    watch: bool | None
    under: bool = Field(description="The latest run found this view below the assessment.")
    reasons: list[str] = Field(description="What is too low: escort, dps, watch.")
    alert: int | None = Field(description="The under-assessment alert of this person and "
                                          "service, when one was raised.")
    alert_open: bool = Field(description="That alert is not resolved yet.")


class RankedOut(BaseModel):
    entity: str = Field(description="The resolved entity's id.")
    name: str = Field(description="The name it goes by in the caller's records.")
    level: str = Field(description="low, moderate, high or critical.")
    score: float
    criteria: list[str] = Field(description="Special-detainee criteria met.")
    assessed_at: str
    declarations: list[RankedDeclaredOut] = Field(
        description="Each service's standing view (the caller's own only, for a service).")
    under_assessed: bool = Field(description="An under-assessment alert about this person "
                                             "is open.")


class RankingOut(BaseModel):
    run: int | None = Field(description="The latest assessment run; null before any.")
    assessed_at: str | None
    catalogue_version: str | None
    people: list[RankedOut] = Field(description="The people assessed that the caller may "
                                                "see, most dangerous first.")


class SignalOut(BaseModel):
    type: str = Field(description="The signal type (docs/risk.md).")
    agency: str = Field(description="The service that reports it.")
    date: str | None = Field(description="When it happened; null when no record says.")
    grade: str = Field(description="Reliability and credibility, such as B2.")
    contribution: float = Field(description="Its share of the score (the parts sum to the "
                                            "score).")
    decay: float | None = Field(default=None, description="Staff only: the age factor.")
    strength: float | None = Field(default=None, description="Staff only: grade x decay x "
                                                             "role share.")
    origin: str | None = Field(default=None, description="Staff only: record or network.")
    record: int | None = Field(default=None, description="Staff only: the record naming "
                                                         "the person.")
    source_record: int | None = Field(default=None, description="Staff only: the record "
                                                                "reporting it.")
    detail: str | None = Field(default=None, description="Staff only: the keyword or role.")


class DecisionMadeOut(BaseModel):
    agency: str
    decision: str = Field(description="raise or keep.")
    motif: str
    alert: int | None
    author: str
    at: str


class ExplanationOut(BaseModel):
    entity: str
    level: str = Field(description="low, moderate, high, critical, or unknown (no signal).")
    score: float | None
    criteria: list[str]
    catalogue_version: str | None
    assessed_at: str | None
    signals: list[SignalOut] = Field(description="Every signal, the largest share first.")
    changes: dict[str, Any] = Field(description="Since the previous assessment: `first`, "
                                                "or the level, score, criteria and signals "
                                                "added or gone.")
    declarations: list[DeclaredOut] = Field(description="The standing declarations (the "
                                                        "caller's own, for a service).")
    decisions: list[DecisionMadeOut] = Field(description="Reviewers' decisions, newest "
                                                         "first.")

    @classmethod
    def of(cls, e: Explanation) -> "ExplanationOut":
        return cls.model_validate(e.to_dict())


class UnderAssessedOut(BaseModel):
    entity: str
    agency: str
    level: str
    criteria: list[str]
    reasons: list[str]
    alert: int | None


class AssessRunOut(BaseModel):
    run: int
    catalogue_version: str
    persons: int
    assessed: int
    by_level: dict[str, int]
    signals: int
    unresolved_signals: int
    alerts_raised: int
    alerts_updated: int
    under_assessed: list[UnderAssessedOut]

    @classmethod
    def of(cls, s: AssessSummary) -> "AssessRunOut":
        return cls.model_validate(s.to_dict())


class RiskDecisionIn(BaseModel):
    agency: str = Field(max_length=16, pattern=NO_NUL,
                        description="The service whose declared level is reviewed.")
    decision: str = Field(max_length=16, pattern=NO_NUL, description="raise or keep.")
    motif: str = Field(max_length=MAX_MOTIF, pattern=NO_NUL, description="Why (required).")


class RiskDecisionOut(BaseModel):
    id: int
    entity: str
    agency: str
    decision: str
