"""Readers: FollowTheMoney JSON lines, and CSV with a FollowTheMoney mapping.

Reading is split in two so that the expensive half can run in worker processes: `units`
walks the file in the main process and yields cheap units (a line's bytes, a CSV row);
a parser turns each unit into raw records, or a rejection naming the line and the field.
"""

import codecs
import csv
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import orjson
import yaml
from followthemoney import model
from followthemoney.exc import InvalidMapping
from followthemoney.mapping.entity import EntityMapping
from followthemoney.mapping.query import QueryMapping
from followthemoney.types import registry

from emco.errors import BadInput
from emco.ingest.validate import META_FIELDS, RawRecord, Rejection

MAX_LINE_BYTES = 16 * 1024 * 1024
RAW_EXCERPT = 2_000  # characters of a rejected line kept in the quarantine file

Unit = tuple[int, Any]  # line number, payload (bytes of a JSON line, or a CSV row)


def _excerpt(text: str) -> str:
    return text if len(text) <= RAW_EXCERPT else text[:RAW_EXCERPT] + "…"


def _printable(text: str) -> str:
    """Bytes the CSV encoding could not read (kept as surrogate escapes) shown as \\xNN:
    rejections and messages are written as UTF-8, which has no room for surrogates."""
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


class JsonLinesParser:
    """One FollowTheMoney entity per line: {"id", "schema", "properties", "meta"?}."""

    format = "jsonl"

    def units(self, fp: BinaryIO) -> Iterator[Unit | Rejection]:
        yield from _lines(fp)

    def parse(self, unit: Unit) -> list[RawRecord] | Rejection:
        line, data = unit
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            return Rejection(line, None, f"not valid UTF-8 (byte {exc.start + 1} of the line); "
                             "convert the file to UTF-8", _excerpt(data.decode("latin-1")))
        try:
            obj = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            return Rejection(line, None, f"malformed JSON: {exc}", _excerpt(text))
        if not isinstance(obj, dict):
            return Rejection(line, None, "each line must be a JSON object (an entity)",
                             _excerpt(text))
        meta = obj.get("meta", {})
        return [RawRecord(line, obj.get("id"), obj.get("schema"), obj.get("properties", {}),
                          meta if meta is not None else {})]

    def excerpt(self, unit: Unit) -> str:
        return _excerpt(unit[1].decode("utf-8", errors="replace"))


def _lines(fp: BinaryIO) -> Iterator[Unit | Rejection]:
    """Non-blank lines with their numbers; a line over the limit is rejected, not read."""
    number = 0
    while True:
        data = fp.readline(MAX_LINE_BYTES + 1)
        if not data:
            return
        number += 1
        if len(data) > MAX_LINE_BYTES and not data.endswith(b"\n"):
            head = data[:200].decode("utf-8", errors="replace")
            while data and not data.endswith(b"\n"):  # skip the rest of the long line
                data = fp.readline(MAX_LINE_BYTES)
            yield Rejection(number, None, f"line longer than {MAX_LINE_BYTES // 2**20} MB",
                            head + "…")
            continue
        if number == 1 and data.startswith(codecs.BOM_UTF8):  # as Windows editors write
            data = data[len(codecs.BOM_UTF8):]
        if data.strip():
            yield number, data


@dataclass
class _EntitySpec:
    mapping: EntityMapping
    props: list[Any]  # PropertyMapping


class CsvMappingParser:
    """CSV rows mapped to entities by a FollowTheMoney mapping (`entities:` with `keys`
    or `id_column` and `properties`). An optional `meta:` section names the columns that
    override a row's handling code, grades, category, observation and retention dates;
    an optional `delimiter:` gives the column separator (`;` in files from French
    spreadsheets; `,` by default)."""

    format = "csv"

    def __init__(self, config: dict[str, Any], key_prefix: str, encoding: str,
                 where: str) -> None:
        self.config = config
        self.key_prefix = key_prefix
        self.encoding = encoding
        try:
            query = dict(config)
            query.setdefault("csv_url", "-")  # the file is given on the command line
            self.meta_columns: dict[str, str] = _meta_columns(query.pop("meta", None) or {},
                                                              where)
            self.delimiter = str(query.pop("delimiter", ","))
            if len(self.delimiter) != 1 or self.delimiter in "\"\r\n":
                raise BadInput(f"{where}: `delimiter:` is one character, such as ; or ,",
                               field="mapping")
            self.query: QueryMapping = model.make_mapping(query, key_prefix=key_prefix)
        except InvalidMapping as exc:
            raise BadInput(f"{where}: invalid mapping: {exc}", field="mapping") from None
        except (TypeError, AttributeError, KeyError) as exc:
            raise BadInput(f"{where}: invalid mapping ({exc})", field="mapping") from None
        self.entities = [_EntitySpec(e, list(e.properties)) for e in self.query.entities]
        self.columns: set[str] = set(self.query.refs) | set(self.meta_columns.values())
        source = self.query.source
        for key, _ in [*source.filters, *source.filters_not]:
            self.columns.add(key)
        self.header: list[str] = []

    @classmethod
    def from_file(cls, path: Path, key_prefix: str, encoding: str) -> "CsvMappingParser":
        if not path.is_file():
            raise BadInput(f"{path}: mapping file not found", field="mapping")
        try:
            config = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError) as exc:
            raise BadInput(f"{path}: not a readable YAML file ({exc})", field="mapping") from None
        if not isinstance(config, dict) or "entities" not in config:
            raise BadInput(f"{path}: a mapping needs an `entities:` section", field="mapping")
        return cls(config, key_prefix, encoding, str(path))

    def __getstate__(self) -> dict[str, Any]:
        return {"config": self.config, "key_prefix": self.key_prefix,
                "encoding": self.encoding, "header": self.header}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["config"], state["key_prefix"], state["encoding"], "mapping")  # type: ignore[misc]
        self.header = state["header"]

    def units(self, fp: BinaryIO) -> Iterator[Unit | Rejection]:
        import io

        text = io.TextIOWrapper(fp, encoding=self.encoding, errors="surrogateescape",
                                newline="")
        csv.field_size_limit(min(sys.maxsize, MAX_LINE_BYTES))
        reader = csv.reader(text, delimiter=self.delimiter)
        try:
            header = next(reader)
        except StopIteration:
            raise BadInput("the CSV file is empty (no header line)", field="file") from None
        header = [h.strip().lstrip("\ufeff") for h in header]
        missing = sorted(self.columns - set(header))
        if missing:
            hint = ""
            if len(header) == 1 and any(c in header[0] for c in ";\t|"):
                hint = "; the file seems separated by another character: set it with " \
                       "`delimiter:` in the mapping"
            raise BadInput(
                f"the mapping uses column(s) {', '.join(missing)} missing from the header "
                f"line (columns: {_printable(', '.join(header))}){hint}", field="file")
        self.header = header
        line = reader.line_num
        while True:
            start = line + 1
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                line = reader.line_num
                yield Rejection(start, None, f"unreadable CSV: {exc}", "")
                continue
            line = reader.line_num
            if row:
                yield start, row

    def parse(self, unit: Unit) -> list[RawRecord] | Rejection:
        line, row = unit
        if len(row) != len(self.header):
            return Rejection(line, None, f"row has {len(row)} fields, the header has "
                             f"{len(self.header)}", self.excerpt(unit))
        for name, value in zip(self.header, row, strict=True):
            if any("\udc80" <= ch <= "\udcff" for ch in value):
                return Rejection(line, name, f"not valid {self.encoding}; give the file's "
                                 "encoding with --encoding (for instance cp1252)",
                                 self.excerpt(unit))
        record = {h: v.strip() for h, v in zip(self.header, row, strict=True)}
        if not self.query.source.check_filters(record):  # type: ignore[attr-defined]
            return []
        meta = {k: record.get(col) for k, col in self.meta_columns.items()}
        ids: dict[str, str] = {}
        out: list[RawRecord] = []
        for spec in self.entities:
            entity_id = spec.mapping.compute_key(record)
            if not entity_id:  # an empty `id_column` cell: no such entity in this row
                continue
            props: dict[str, list[str]] = {}
            formats: dict[str, str] = {}
            for pm in spec.props:
                name = pm.prop.name
                if pm.entity is not None:
                    if pm.entity in ids:
                        props.setdefault(name, []).append(ids[pm.entity])
                    continue
                values = [v for v in pm.record_values(record) if v]
                if pm.join is not None and values:
                    values = [pm.join.join(values)]
                if pm.split is not None:
                    values = [p for v in values for p in v.split(pm.split)]
                if values:
                    props.setdefault(name, []).extend(values)
                if pm.format and pm.prop.type == registry.date:
                    formats[name] = pm.format
            if any(pm.required and not props.get(pm.prop.name) for pm in spec.props):
                continue
            ids[spec.mapping.name] = entity_id
            out.append(RawRecord(line, entity_id, spec.mapping.schema.name, props, meta,
                                 formats, spec.mapping.name))
        return out

    def excerpt(self, unit: Unit) -> str:
        return _excerpt(_printable(",".join(unit[1])))


def _meta_columns(section: Any, where: str) -> dict[str, str]:
    if not isinstance(section, dict):
        raise BadInput(f"{where}: `meta:` must map metadata fields to column names",
                       field="mapping")
    unknown = set(section) - META_FIELDS
    if unknown:
        raise BadInput(f"{where}: unknown field(s) in `meta:`: {', '.join(sorted(unknown))}; "
                       f"known: {', '.join(sorted(META_FIELDS))}", field="mapping")
    return {str(k): str(v) for k, v in section.items()}


Parser = JsonLinesParser | CsvMappingParser
