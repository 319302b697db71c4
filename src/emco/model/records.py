"""A validated record ready to store: its statements, search keys and content digest."""

import hashlib
from dataclasses import dataclass, replace

import orjson
from followthemoney import model

from emco.model.enums import Protection
from emco.model.types import RecordMeta

Statement = tuple[str, str, str, str]  # prop, prop type, normalised value, original value
Key = tuple[str, str]  # kind, key


@dataclass
class ValidRecord:
    line: int
    source_id: str
    schema: str
    caption: str
    meta: RecordMeta
    statements: list[Statement]
    keys: set[Key]
    content_hash: str = ""

    def merge(self, other: "ValidRecord") -> "ValidRecord":
        """Join two fragments of one entity (same id in one batch): the union of their
        facts, under the stricter of their handling codes and protection mentions.

        Raises `followthemoney.exc.InvalidData` when the two schemata cannot be one entity
        (a Person and a Vehicle under one id)."""
        seen = {(s[0], s[2]) for s in self.statements}
        statements = self.statements + [s for s in other.statements if (s[0], s[2]) not in seen]
        meta = replace(
            other.meta,
            handling=max(self.meta.handling, other.meta.handling),
            protection=(Protection.DR if Protection.DR in (self.meta.protection,
                                                            other.meta.protection)
                        else Protection.NP),
        )
        schema = model.common_schema(self.schema, other.schema).name
        merged = ValidRecord(self.line, self.source_id, schema, self.caption, meta,
                             statements, self.keys | other.keys)
        merged.content_hash = content_hash(merged)
        return merged


def content_hash(record: ValidRecord) -> str:
    """A digest of what the record says, to recognise a record submitted again."""
    meta = record.meta
    payload = orjson.dumps([
        record.schema,
        sorted((s[0], s[3]) for s in record.statements),
        meta.handling, meta.handling_condition, meta.reliability, meta.credibility,
        meta.protection, meta.category, str(meta.observed), str(meta.retention),
    ])
    return hashlib.blake2b(payload, digest_size=16).hexdigest()
