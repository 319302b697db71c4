"""Validation of submitted entities against FollowTheMoney, and their normalisation.

A reader turns each line or row into a `RawRecord`; `Validator.validate` turns it into a
`ValidRecord` (statements and search keys, ready to store) or a `Rejection` naming the
line, the field and the reason. Nothing here touches the database, so validation can run
in worker processes.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from followthemoney import model
from followthemoney.property import Property
from followthemoney.schema import Schema
from followthemoney.types import registry

from emco.ingest.normalize import (
    Invalid,
    check_source_id,
    clean_text,
    name_tokens,
    normalize_country,
    normalize_date,
    normalize_email,
    normalize_iban,
    normalize_identifier,
    normalize_phone,
    normalize_ref,
)
from emco.model.enums import (
    HandlingCode,
    InformationCredibility,
    PersonCategory,
    Protection,
    SourceReliability,
)
from emco.model.records import Key, Statement, ValidRecord, caption, content_hash
from emco.model.types import RecordMeta

MAX_VALUE_LENGTH = 100_000
MAX_VALUES_PER_RECORD = 10_000

@dataclass
class RawRecord:
    """One submitted entity before validation. `line` is where it starts in the file."""

    line: int
    source_id: Any
    schema: Any
    properties: Any
    meta: dict[str, Any] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)  # prop -> date format
    mapping_name: str | None = None  # the entity of a CSV mapping it comes from


@dataclass
class Rejection:
    line: int
    field: str | None
    reason: str
    raw: str

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "reason": self.reason, "raw": self.raw}


class FieldError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field = field
        self.reason = reason


Cleaner = Callable[[str, str | None], tuple[str, Key | None, list[str]]]


class Validator:
    """Validates and normalises raw records with one set of defaults."""

    def __init__(self, defaults: RecordMeta, region: str, today: date) -> None:
        self.defaults = defaults
        self.region = region
        self.today = today
        self._cleaners: dict[tuple[str, str], Cleaner] = {}
        self._metas: dict[tuple[Any, ...], RecordMeta] = {}

    def validate(self, raw: RawRecord, text: str) -> ValidRecord | Rejection:
        try:
            return self._validate(raw)
        except FieldError as err:
            return Rejection(raw.line, err.field, err.reason, text)

    def _validate(self, raw: RawRecord) -> ValidRecord:
        source_id = _source_id(raw.source_id)
        schema = _schema(raw.schema)
        meta = self._meta(raw.meta, schema)
        if not isinstance(raw.properties, dict):
            raise FieldError("properties", "properties must be an object of lists of values")
        statements: list[Statement] = []
        keys: set[Key] = set()
        seen: set[tuple[str, str]] = set()
        for prop_name, values in raw.properties.items():
            prop = _property(schema, prop_name)
            cleaner = self._cleaner(schema, prop)
            where = f"properties.{prop_name}"
            for original in _values(values, where):
                if len(original) > MAX_VALUE_LENGTH:
                    raise FieldError(where, f"a value is longer than {MAX_VALUE_LENGTH} characters")
                if not original.strip():
                    continue
                if "\x00" in original:  # kept as the original value: PostgreSQL refuses it
                    raise FieldError(where, "a value cannot hold a NUL character (\\x00)")
                try:
                    value, key, tokens = cleaner(original, raw.formats.get(prop_name))
                except Invalid as exc:
                    raise FieldError(where, f"{original!r}: {exc}") from None
                if (prop_name, value) in seen:
                    continue
                seen.add((prop_name, value))
                # The model's own name objects: shared, they cross to the writer as refs.
                statements.append((prop.name, prop.type.name, value, original))
                if key is not None:
                    keys.add(key)
                keys.update(("token", t[:200]) for t in tokens)
        if len(statements) > MAX_VALUES_PER_RECORD:
            raise FieldError("properties", f"more than {MAX_VALUES_PER_RECORD} values")
        record = ValidRecord(raw.line, source_id, schema.name, caption(schema.name, statements,
                             source_id), meta, statements, keys)
        record.content_hash = content_hash(record)
        return record

    def _meta(self, raw: dict[str, Any], schema: Schema) -> RecordMeta:
        if not isinstance(raw, dict):
            raise FieldError("meta", "meta must be an object")
        try:  # most rows repeat a few metadata combinations
            # The type is part of the key: 1, 1.0 and True are equal in Python but are
            # not read alike (True is no credibility).
            key = (schema.is_a("LegalEntity"),
                   *sorted((k, type(v).__name__, v) for k, v in raw.items()))
            hash(key)
        except TypeError:
            return self._read_meta(raw, schema)
        meta = self._metas.get(key)
        if meta is None:
            meta = self._read_meta(raw, schema)
            if len(self._metas) < 10_000:
                self._metas[key] = meta
        return meta

    def _read_meta(self, raw: dict[str, Any], schema: Schema) -> RecordMeta:
        d = self.defaults
        unknown = set(raw) - META_FIELDS
        if unknown:
            raise FieldError(f"meta.{sorted(unknown)[0]}",
                             f"unknown metadata field; known: {', '.join(sorted(META_FIELDS))}")
        handling = _enum(raw, "handling", HandlingCode, d.handling)
        condition = _text(raw, "condition", d.handling_condition)
        if handling != HandlingCode.H3:
            condition = None  # a condition is the substance of H3 only
        elif not condition:
            raise FieldError("meta.condition", "handling code H3 needs the owner's condition")
        category = _enum(raw, "category", PersonCategory, d.category)
        if not schema.is_a("LegalEntity"):
            category = None
        elif category is None:
            category = PersonCategory.OTHER
        observed = _date(raw, "observed", d.observed)
        retention = _date(raw, "retention", d.retention)  # None: the store's default rule
        if observed is not None and observed > self.today:
            raise FieldError("meta.observed", f"{observed} is in the future")
        if retention is not None and observed is not None and retention < observed:
            raise FieldError("meta.retention", f"{retention} is before the observation "
                             f"date {observed}")
        return RecordMeta(
            handling=handling,
            reliability=_enum(raw, "reliability", SourceReliability, d.reliability),
            credibility=_enum(raw, "credibility", InformationCredibility, d.credibility),
            protection=_enum(raw, "protection", Protection, d.protection),
            category=category,
            observed=observed,
            retention=retention,
            handling_condition=condition,
        )

    def _cleaner(self, schema: Schema, prop: Property) -> Cleaner:
        key = (schema.name, prop.name)
        cleaner = self._cleaners.get(key)
        if cleaner is None:
            cleaner = self._cleaners[key] = _make_cleaner(schema, prop, self.region)
        return cleaner


META_FIELDS = frozenset({"handling", "condition", "reliability", "credibility", "protection",
                         "category", "observed", "retention"})


def _make_cleaner(schema: Schema, prop: Property, region: str) -> Cleaner:
    """Pick the normaliser of a property once; it returns (value, key, name tokens)."""
    kind = prop.type
    if kind == registry.name:
        return lambda raw, _f: _name(raw)
    if kind == registry.phone:
        return lambda raw, _f: _keyed("phone", normalize_phone(raw, region))
    if kind == registry.email:
        return lambda raw, _f: _keyed("email", normalize_email(raw))
    if kind == registry.identifier:
        if prop.format == "iban":
            return lambda raw, _f: _keyed("iban", normalize_iban(raw))
        id_kind = "plate" if schema.is_a("Vehicle") and prop.name == "registrationNumber" else "id"
        return lambda raw, _f: _keyed(id_kind, normalize_identifier(raw))
    if kind == registry.date:
        return lambda raw, fmt: (normalize_date(raw, fmt), None, [])
    if kind == registry.country:
        return lambda raw, _f: (normalize_country(raw), None, [])
    if kind == registry.entity:  # indexed, to find the records that point at a record
        return lambda raw, _f: _keyed("ref", normalize_ref(raw))
    if kind in (registry.string, registry.text, registry.html, registry.address,
                registry.json):
        return lambda raw, _f: (clean_text(raw) if kind != registry.json else raw, None, [])

    def typed(raw: str, _f: str | None) -> tuple[str, Key | None, list[str]]:
        try:
            value = kind.clean(raw)
        except ValueError:  # some cleaners raise rather than answer None ("a\nb" mimetype)
            value = None
        if value is None:
            raise Invalid(f"not a valid {kind.name}")
        return value, None, []

    return typed


def _name(raw: str) -> tuple[str, Key | None, list[str]]:
    value = clean_text(raw)
    return value, None, name_tokens(value)


def _keyed(kind: str, value: str) -> tuple[str, Key | None, list[str]]:
    return value, (kind, value[:200]), []


def _source_id(raw: Any) -> str:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        raise FieldError("id", "every record needs an id (a string)")
    try:
        check_source_id(raw.strip())
    except Invalid as exc:
        raise FieldError("id", str(exc)) from None
    return raw.strip()


def _schema(raw: Any) -> Schema:
    if not isinstance(raw, str) or not raw:
        raise FieldError("schema", "every record needs a schema (Person, Vehicle, Call...)")
    schema = model.get(raw)
    if schema is None:
        raise FieldError("schema", f"unknown FollowTheMoney schema {raw!r}")
    if schema.abstract:
        raise FieldError("schema", f"{raw} is abstract; use a concrete schema such as Person")
    return schema


def _property(schema: Schema, name: str) -> Property:
    prop = schema.properties.get(name)
    if prop is None or prop.stub:
        raise FieldError(f"properties.{name}", f"{schema.name} has no property {name!r}")
    return prop


def _values(values: Any, where: str) -> list[str]:
    if isinstance(values, str | int | float) and not isinstance(values, bool):
        values = [values]
    if not isinstance(values, list):
        raise FieldError(where, "values must be a list of strings")
    out = []
    for v in values:
        if isinstance(v, str):
            out.append(v)
        elif isinstance(v, int | float) and not isinstance(v, bool):
            out.append(str(v))
        elif v is None:
            continue
        else:
            raise FieldError(where, f"a value must be a string, not {type(v).__name__}")
    return out


def _enum(raw: dict[str, Any], name: str, enum: Any, default: Any) -> Any:
    value = raw.get(name)
    if value is None or value == "":
        return default
    try:
        return enum(str(value).strip().upper() if enum is not PersonCategory
                    else str(value).strip().lower())
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise FieldError(f"meta.{name}", f"{value!r} is not one of {allowed}") from None


def _text(raw: dict[str, Any], name: str, default: str | None) -> str | None:
    value = raw.get(name)
    if value is None:
        return default
    return clean_text(str(value)) or default


def _date(raw: dict[str, Any], name: str, default: date | None) -> date | None:
    value = raw.get(name)
    if value is None or value == "":
        return default
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise FieldError(f"meta.{name}", f"{value!r} is not a date (YYYY-MM-DD)") from None
