"""Validation of raw records against FollowTheMoney, and their normalisation."""

from datetime import date
from typing import Any

import pytest
from followthemoney import model
from followthemoney.exc import InvalidData
from hypothesis import example, given, settings
from hypothesis import strategies as st

from emco.ingest.validate import META_FIELDS, RawRecord, Rejection, Validator
from emco.model.enums import (
    HandlingCode,
    InformationCredibility,
    PersonCategory,
    Protection,
    SourceReliability,
)
from emco.model.records import ValidRecord, retain_until
from emco.model.types import RecordMeta

TODAY = date(2024, 6, 1)


def validator(defaults: RecordMeta | None = None) -> Validator:
    return Validator(defaults or RecordMeta(), "FR", TODAY)


def raw(source_id: Any = "p1", schema: Any = "Person", properties: Any = None,
        meta: Any = None, line: int = 7, **formats: str) -> RawRecord:
    if properties is None:
        properties = {"name": ["Jean Dupont"]}
    return RawRecord(line, source_id, schema, properties, {} if meta is None else meta,
                     dict(formats))


def valid(record: RawRecord, defaults: RecordMeta | None = None) -> ValidRecord:
    result = validator(defaults).validate(record, "the line")
    assert isinstance(result, ValidRecord), result
    return result


def rejected(record: RawRecord, field: str, reason: str) -> Rejection:
    result = validator().validate(record, "the line")
    assert isinstance(result, Rejection), result
    assert (result.line, result.field, result.raw) == (record.line, field, "the line")
    assert reason in result.reason
    return result


# --- rejections ----------------------------------------------------------------------------

@pytest.mark.parametrize(("record", "field", "reason"), [
    (raw(schema="Personne"), "schema", "unknown FollowTheMoney schema 'Personne'"),
    (raw(schema=None), "schema", "needs a schema"),
    (raw(schema="Thing"), "schema", "abstract"),
    (raw(properties={"nom": ["Dupont"]}), "properties.nom", "Person has no property 'nom'"),
    (raw(properties={"familyPerson": ["f1"]}), "properties.familyPerson", "no property"),
    (raw(properties=["Jean"]), "properties", "must be an object"),
    (raw(properties={"name": {"first": "Jean"}}), "properties.name", "must be a list"),
    (raw(properties={"name": [["Jean"]]}), "properties.name", "not list"),
    (raw(properties={"name": [True]}), "properties.name", "not bool"),
    (raw(properties={"phone": ["06 12"]}), "properties.phone", "'06 12': not a possible"),
    (raw(properties={"birthDate": ["1987-02-31"]}), "properties.birthDate", "not a date"),
    (raw(properties={"name": ["Jean\x00Dupont"]}), "properties.name", "NUL character"),
    (raw(schema="Document", properties={"mimeType": ["text/plain\nx"]}),
     "properties.mimeType", "not a valid mimetype"),
    (raw(meta={"handling": "H7"}), "meta.handling", "'H7' is not one of H0, H1, H2, H3"),
    (raw(meta={"reliability": "E"}), "meta.reliability", "not one of A, B, C, X"),
    (raw(meta={"category": "boss"}), "meta.category", "not one of suspect"),
    (raw(meta={"handling": "H3"}), "meta.condition", "H3 needs the owner's condition"),
    (raw(meta={"handling": "H3", "condition": "  "}), "meta.condition", "H3 needs"),
    (raw(meta={"observed": "2024-06-02"}), "meta.observed", "2024-06-02 is in the future"),
    (raw(meta={"observed": "yesterday"}), "meta.observed", "not a date"),
    (raw(meta={"handlng": "H1"}), "meta.handlng", "unknown metadata field"),
    (raw(meta=["H1"]), "meta", "must be an object"),
    (raw(source_id=None), "id", "needs an id"),
    (raw(source_id=["p1"]), "id", "needs an id"),
    (raw(source_id="  "), "id", "cannot be empty"),
    (raw(source_id="a\tb"), "id", "control characters"),
    (raw(source_id="x" * 201), "id", "at most 200"),
])
def test_rejection_names_the_field(record: RawRecord, field: str, reason: str) -> None:
    rejected(record, field, reason)


def test_too_long_a_value_is_rejected() -> None:
    rejected(raw(properties={"notes": ["x" * 100_001]}), "properties.notes", "longer than")


# --- metadata ------------------------------------------------------------------------------

def test_category_only_on_legal_entities() -> None:
    assert valid(raw(meta={"category": "Suspect"})).meta.category == PersonCategory.SUSPECT
    assert valid(raw()).meta.category == PersonCategory.OTHER
    assert valid(raw(schema="Company")).meta.category == PersonCategory.OTHER
    vehicle = raw(schema="Vehicle", properties={"registrationNumber": ["AB-123-CD"]},
                  meta={"category": "suspect"})
    assert valid(vehicle).meta.category is None


def test_defaults_apply_and_rows_override_them() -> None:
    defaults = RecordMeta(handling=HandlingCode.H2, reliability=SourceReliability.B,
                          credibility=InformationCredibility.KNOWN_TO_SOURCE,
                          protection=Protection.DR, category=PersonCategory.WITNESS,
                          observed=date(2020, 1, 1))
    assert valid(raw(), defaults).meta == defaults
    overridden = valid(raw(meta={"reliability": "a", "credibility": 1, "protection": "np",
                                 "handling": "h3", "condition": "ask OFAST",
                                 "observed": "2023-02-28", "retention": "2030-01-01"}),
                       defaults)
    assert overridden.meta == RecordMeta(
        handling=HandlingCode.H3, reliability=SourceReliability.A,
        credibility=InformationCredibility.KNOWN, protection=Protection.NP,
        category=PersonCategory.WITNESS, observed=date(2023, 2, 28),
        retention=date(2030, 1, 1), handling_condition="ask OFAST")
    assert overridden.meta.grade == "A1"


def test_retention_left_to_the_default_rule_counts_from_observation_or_today() -> None:
    unset = valid(raw()).meta
    assert unset.retention is None  # not part of what the service said
    assert retain_until(unset, 20, TODAY) == date(2044, 6, 1)
    observed = valid(raw(meta={"observed": "2020-02-29"})).meta
    assert retain_until(observed, 20, TODAY) == date(2040, 2, 29)
    assert retain_until(observed, 1, TODAY) == date(2021, 3, 1)
    given = valid(raw(meta={"retention": "2030-01-01"})).meta
    assert retain_until(given, 20, TODAY) == date(2030, 1, 1)
    assert valid(raw(meta={"observed": "2024-06-01"})).meta.observed == TODAY


def test_retention_before_observation_is_refused() -> None:
    bad = validator().validate(raw(meta={"observed": "2024-01-01",
                                         "retention": "2023-01-01"}), "")
    assert isinstance(bad, Rejection)
    assert bad.field == "meta.retention"


def test_a_condition_only_stays_with_h3() -> None:
    assert valid(raw(meta={"handling": "H2", "condition": "ask"})).meta.handling_condition \
        is None


def test_h3_condition_may_come_from_the_defaults() -> None:
    defaults = RecordMeta(handling=HandlingCode.H3, handling_condition="ask OFAST")
    assert valid(raw(), defaults).meta.handling_condition == "ask OFAST"


def test_metadata_cache_never_changes_a_verdict() -> None:
    """The validator caches metadata combinations; a value equal to a cached one in Python
    (1 == 1.0 == True) must still be judged on its own."""
    shared = validator()
    for meta in [{"credibility": 1}, {"credibility": True}, {"credibility": 1.0}]:
        alone = validator().validate(raw(meta=meta), "")
        after_others = shared.validate(raw(meta=meta), "")
        assert type(after_others) is type(alone), meta


# --- values, keys ----------------------------------------------------------------------------

def test_original_value_kept_beside_the_normalised_one() -> None:
    record = valid(raw(properties={
        "name": ["  Jean   DUPONT "], "phone": ["06 12 34 56 78", "+33612345678"],
        "birthDate": ["14/05/1987"], "nationality": ["France"], "notes": ["", "  "]},
        birthDate="%d/%m/%Y"))
    assert record.statements == [
        ("name", "name", "Jean DUPONT", "  Jean   DUPONT "),
        ("phone", "phone", "+33612345678", "06 12 34 56 78"),  # the duplicate is dropped
        ("birthDate", "date", "1987-05-14", "14/05/1987"),
        ("nationality", "country", "fr", "France"),
    ]
    assert record.caption == "Jean DUPONT"
    assert (record.line, record.source_id, record.schema) == (7, "p1", "Person")


def test_single_values_and_numbers_are_read_as_lists() -> None:
    record = valid(raw(source_id=42, properties={"name": "Jean", "idNumber": 1234}))
    assert record.source_id == "42"
    assert [s[2] for s in record.statements] == ["Jean", "1234"]


def test_caption_falls_back_to_the_id() -> None:
    assert valid(raw(properties={"birthDate": ["1987"]})).caption == "p1"


def test_keys_of_each_kind() -> None:
    person = valid(raw(properties={
        "name": ["Karim Ben Ali"], "phone": ["06 12 34 56 78"], "email": ["K.B@Example.fr"],
        "idNumber": ["12-ab 34"]}))
    assert person.keys == {("token", "karim"), ("token", "ben"), ("token", "ali"),
                           ("token", "benali"), ("phone", "+33612345678"),
                           ("email", "k.b@example.fr"), ("id", "12AB34")}
    vehicle = valid(raw("v1", "Vehicle", {"registrationNumber": ["ab-123-cd"], "owner": ["p1"]}))
    assert vehicle.keys == {("plate", "AB123CD"), ("ref", "p1")}
    company = valid(raw("c1", "Company", {"name": ["Acme"], "registrationNumber": ["ab 1"]}))
    assert company.keys == {("token", "acme"), ("id", "AB1")}
    account = valid(raw("b1", "BankAccount", {"iban": ["fr76 3000 6000 0112 3456 7890 189"]}))
    assert account.keys == {("iban", "FR7630006000011234567890189")}


def test_content_hash_ignores_order_and_sees_changes() -> None:
    a = valid(raw(properties={"name": ["Jean"], "phone": ["0612345678", "0698765432"]}))
    b = valid(raw(properties={"phone": ["0698765432", "0612345678"], "name": ["Jean"]}))
    c = valid(raw(properties={"name": ["Jean"], "phone": ["0612345678"]}))
    d = valid(raw(properties={"name": ["Jean"], "phone": ["0612345678", "0698765432"]},
                  meta={"handling": "H1"}))
    assert a.content_hash == b.content_hash
    assert len({a.content_hash, c.content_hash, d.content_hash}) == 3


# --- merging fragments ---------------------------------------------------------------------

def test_merge_unites_facts_under_the_stricter_codes() -> None:
    first = valid(raw(properties={"name": ["Jean"], "phone": ["0612345678"]},
                      meta={"handling": "H2", "protection": "NP"}))
    second = valid(raw(schema="LegalEntity", line=9,
                       properties={"name": ["Jean"], "email": ["j@example.fr"]},
                       meta={"handling": "H1", "protection": "DR"}))
    merged = first.merge(second, RecordMeta())
    assert merged.schema == "Person"
    assert (merged.line, merged.source_id) == (7, "p1")
    assert merged.meta.handling == HandlingCode.H2
    assert merged.meta.protection == Protection.DR
    assert [s[0] for s in merged.statements] == ["name", "phone", "email"]
    assert merged.keys == first.keys | second.keys
    whole = valid(raw(properties={"name": ["Jean"], "phone": ["0612345678"],
                                  "email": ["j@example.fr"]},
                      meta={"handling": "H2", "protection": "DR"}))
    assert merged.content_hash == whole.content_hash  # as if submitted in one piece


def test_merge_keeps_the_h3_condition() -> None:
    restricted = valid(raw(meta={"handling": "H3", "condition": "ask OFAST first"}))
    plain = valid(raw(properties={"birthDate": ["1987"]}))
    for merged in (restricted.merge(plain, RecordMeta()), plain.merge(restricted, RecordMeta())):
        assert merged.meta.handling == HandlingCode.H3
        assert merged.meta.handling_condition == "ask OFAST first"


def test_merge_caption_comes_from_the_united_facts() -> None:
    unnamed = valid(raw(properties={"birthDate": ["1987"]}))
    named = valid(raw(properties={"name": ["Jean Dupont"]}))
    assert unnamed.merge(named, RecordMeta()).caption == "Jean Dupont"


def test_merge_of_incompatible_schemata_raises() -> None:
    person = valid(raw())
    vehicle = valid(raw(schema="Vehicle", properties={"registrationNumber": ["AB123CD"]}))
    with pytest.raises(InvalidData):
        person.merge(vehicle, RecordMeta())


# --- any input -----------------------------------------------------------------------------

SCHEMATA = ["Person", "Company", "Vehicle", "BankAccount", "Thing", "Ownership", "Address"]
PROPS = ["name", "phone", "email", "birthDate", "nationality", "idNumber", "iban", "owner",
         "registrationNumber", "notes", "website", "amount", "startDate", "country", "full",
         "sourceUrl", "ipAddress", "topics", "gender", "familyPerson", "nom"]
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats(allow_nan=False,
    allow_infinity=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=8)
VALUES = (st.lists(st.text(max_size=40) | st.integers() | st.none(), max_size=4)
          | st.text(max_size=40) | JSON)
META_VALUES = st.sampled_from(["H0", "h3", "B", "2", "DR", "suspect", "2001-01-01", "", "x"])


@settings(max_examples=300, deadline=None)
@given(
    source_id=st.text(max_size=10) | JSON,
    schema=st.sampled_from(SCHEMATA) | JSON,
    properties=st.dictionaries(st.sampled_from(PROPS) | st.text(max_size=5), VALUES,
                               max_size=4) | JSON,
    meta=st.dictionaries(st.sampled_from(sorted(META_FIELDS)) | st.text(max_size=5),
                         META_VALUES | JSON, max_size=3) | JSON,
)
def test_any_input_gives_a_record_or_a_rejection(source_id: Any, schema: Any,
                                                 properties: Any, meta: Any) -> None:
    result = validator().validate(RawRecord(3, source_id, schema, properties,
                                            meta if isinstance(meta, dict) else {}), "raw")
    if isinstance(result, Rejection):
        assert result.line == 3
        assert result.reason
        assert result.raw == "raw"
        return
    assert all(s[2] and s[3].strip() for s in result.statements)
    assert {k[0] for k in result.keys} <= {"token", "phone", "email", "id", "iban", "plate",
                                           "ref"}
    assert all(0 < len(k[1]) <= 200 for k in result.keys)


PROPERTIES = sorted((s.name, p.name) for s in model.schemata.values() if not s.abstract
                    for p in s.properties.values() if not p.stub)


@settings(max_examples=300, deadline=None)
@example(("Document", "mimeType"), "text/plain\nx")
@given(st.sampled_from(PROPERTIES), st.text(max_size=40))
def test_any_value_of_any_property(prop: tuple[str, str], value: str) -> None:
    schema, name = prop
    result = validator().validate(RawRecord(1, "x", schema, {name: [value]}), "raw")
    if isinstance(result, Rejection):
        assert result.field == f"properties.{name}"
    else:
        assert all(s[0] == name and s[3] == value for s in result.statements)
