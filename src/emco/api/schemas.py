"""Response bodies of the API. The pages render these same objects (a page's JSON twin
returns exactly what it shows)."""

from datetime import date, datetime

from pydantic import BaseModel, Field

from emco.access.records import SearchResults
from emco.model.types import Agency, Fact, RecordSummary, RecordView

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


class ErrorOut(BaseModel):
    error: str
    message: str
    field: str | None
