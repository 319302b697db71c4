"""A validated record ready to store: its statements, search keys and content digest."""

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TypeVar

import orjson
from followthemoney import model

from emco.model.enums import HandlingCode, Protection
from emco.model.types import RecordMeta

Statement = tuple[str, str, str, str]  # prop, prop type, normalised value, original value
Key = tuple[str, str]  # kind, key
T = TypeVar("T")

# H3 carries an owner's condition that no other code can stand for: it ranks highest.
_HANDLING_RANK = {HandlingCode.H0: 0, HandlingCode.H1: 1, HandlingCode.H2: 2,
                  HandlingCode.H3: 3}


@dataclass(slots=True)
class ValidRecord:
    line: int
    source_id: str
    schema: str
    caption: str
    meta: RecordMeta
    statements: list[Statement]
    keys: set[Key]
    content_hash: str = ""

    def merge(self, other: "ValidRecord", defaults: RecordMeta) -> "ValidRecord":
        """Join two fragments of one entity (same id in one batch): the union of their
        facts, under the stricter handling code and protection mention, with both owners'
        conditions; other metadata from the first fragment that set it explicitly (not
        left to the batch `defaults`).

        Raises `followthemoney.exc.InvalidData` when the two schemata cannot be one entity
        (a Person and a Vehicle under one id)."""
        seen = {(s[0], s[2]) for s in self.statements}
        statements = self.statements + [s for s in other.statements if (s[0], s[2]) not in seen]
        schema = model.common_schema(self.schema, other.schema).name
        merged = ValidRecord(self.line, self.source_id, schema,
                             caption(schema, statements, self.source_id),
                             merge_meta(self.meta, other.meta, defaults), statements,
                             self.keys | other.keys)
        merged.content_hash = content_hash(merged)
        return merged


def _set(first: T, second: T, default: T) -> T:
    """The first value a fragment set itself, rather than leaving the batch default."""
    return first if first != default else second


def merge_meta(a: RecordMeta, b: RecordMeta, defaults: RecordMeta) -> RecordMeta:
    d = defaults
    handling = max(a.handling, b.handling, key=_HANDLING_RANK.__getitem__)
    conditions = [c for c in dict.fromkeys((a.handling_condition, b.handling_condition)) if c]
    return RecordMeta(
        handling=handling,
        handling_condition=" ; ".join(conditions) or None,
        reliability=_set(a.reliability, b.reliability, d.reliability),
        credibility=_set(a.credibility, b.credibility, d.credibility),
        protection=Protection.DR if Protection.DR in (a.protection, b.protection)
        else Protection.NP,
        category=_set(a.category, b.category, d.category),
        observed=_set(a.observed, b.observed, d.observed),
        retention=_set(a.retention, b.retention, d.retention),
    )


def caption(schema: str, statements: list[Statement], fallback: str) -> str:
    """The value a record is shown by: the first of its schema's caption properties."""
    found = model.get(schema)
    for prop in found.caption if found else ():
        for s in statements:
            if s[0] == prop:
                return s[2]
    return fallback


def content_hash(record: ValidRecord) -> str:
    """A digest of what the service submitted (values as written, metadata as given), to
    recognise a record submitted again. Derived values stay out of it, so the same file
    loaded on another day is still the same."""
    meta = record.meta
    payload = orjson.dumps([
        record.schema,
        sorted((s[0], s[3]) for s in record.statements),
        meta.handling, meta.handling_condition, meta.reliability, meta.credibility,
        meta.protection, meta.category, str(meta.observed), str(meta.retention),
    ])
    return hashlib.blake2b(payload, digest_size=16).hexdigest()


def retain_until(meta: RecordMeta, years: int, today: date) -> date:
    """The retention date a service gave, or `years` after observation (or `today`)."""
    if meta.retention is not None:
        return meta.retention
    start = meta.observed or today
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28) + timedelta(days=1)
