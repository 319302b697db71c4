"""Domain value types shared by the stages."""

from dataclasses import dataclass, field
from datetime import date, datetime

from emco.model.enums import (
    HandlingCode,
    InformationCredibility,
    PersonCategory,
    Protection,
    Role,
    SourceReliability,
    Verdict,
)


@dataclass(frozen=True)
class Principal:
    """Who acts: a user (or a local command-line run) of one agency."""

    username: str
    agency: str
    roles: frozenset[Role]
    clearance: Protection = Protection.NP
    user_id: int | None = None
    # A service token acts with only these permissions of its user (None: all of them).
    scopes: frozenset[str] | None = None

    def has_role(self, role: Role) -> bool:
        return role in self.roles


@dataclass(frozen=True)
class RecordScope:
    """The records a principal sees: those of `agencies` (every agency when None), and the
    records `granted` to the principal's service by their owners (approved dissemination
    requests), whose protection mention is among `protections`. Only
    `emco.access.policy` makes one."""

    agencies: frozenset[str] | None
    protections: frozenset[Protection]
    granted: frozenset[int] = frozenset()


@dataclass(frozen=True)
class RecordMeta:
    """Metadata a service attaches to every fact of one record."""

    handling: HandlingCode = HandlingCode.H0
    reliability: SourceReliability = SourceReliability.X
    credibility: InformationCredibility = InformationCredibility.UNVERIFIED
    protection: Protection = Protection.NP
    category: PersonCategory | None = None
    observed: date | None = None
    retention: date | None = None
    handling_condition: str | None = None

    @property
    def grade(self) -> str:
        """The evaluation in its usual short form, such as `B2`."""
        return f"{self.reliability.value}{self.credibility.value}"


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    ministry: str
    contact_name: str
    contact_email: str
    contact_phone: str
    is_staff: bool = False


@dataclass(frozen=True)
class Fact:
    """One statement of a record, as shown to a user."""

    prop: str
    prop_label: str
    prop_type: str
    value: str
    original_value: str
    ref: int | None = None  # the record an entity-typed value points at, when in sight


@dataclass(frozen=True)
class RecordSummary:
    id: int
    agency: str
    source_id: str
    schema: str
    caption: str
    meta: RecordMeta


@dataclass(frozen=True)
class RecordView:
    """A record with its facts, each fact carrying the record's provenance."""

    summary: RecordSummary
    batch: str
    ingested_at: datetime
    facts: list[Fact] = field(default_factory=list)
    referenced_by: list[RecordSummary] = field(default_factory=list)


@dataclass(frozen=True)
class Judgement:
    """A decision on a pair of records, as it stands: by the model (`model:N`), a rule
    (`rule:NAME`) or an operator (a username)."""

    left: int
    right: int
    verdict: Verdict
    score: float | None
    author: str
    id: int = 0

    @property
    def human(self) -> bool:
        return not self.author.startswith(("model:", "rule:"))
