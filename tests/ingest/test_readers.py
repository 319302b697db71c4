"""Readers: JSON lines, and CSV with a FollowTheMoney mapping, turned into raw records or
rejections that name their line."""

import csv
import io
import pickle
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from emco.errors import BadInput
from emco.ingest import readers
from emco.ingest.readers import CsvMappingParser, JsonLinesParser, Parser
from emco.ingest.validate import RawRecord, Rejection, Validator
from emco.model.records import ValidRecord
from emco.model.types import RecordMeta

Result = RawRecord | Rejection


def read(parser: Parser, data: bytes) -> list[Result]:
    """Every raw record and rejection of a file, in order."""
    out: list[Result] = []
    for unit in parser.units(io.BytesIO(data)):
        parsed = unit if isinstance(unit, Rejection) else parser.parse(unit)
        if isinstance(parsed, Rejection):
            out.append(parsed)
        else:
            out.extend(parsed)
    return out


def only(results: list[Result], kind: type) -> list[Any]:
    return [r for r in results if isinstance(r, kind)]


def storable(rejection: Rejection) -> None:
    """A rejection goes to the quarantine file as JSON: it must encode."""
    orjson.dumps(rejection.to_dict())


# --- JSON lines ----------------------------------------------------------------------------

ENTITY = b'{"id": "p1", "schema": "Person", "properties": {"name": ["Jean"]}}'
BOM = b"\xef\xbb\xbf"


def test_jsonl_records_carry_their_line_numbers() -> None:
    data = ENTITY + b"\n\n   \r\n" + ENTITY.replace(b"p1", b"p2") + b"\r\n\n" + \
        b'{"id": "p3", "schema": "Person", "meta": null}'  # no final newline
    results = read(JsonLinesParser(), data)
    assert [(r.line, r.source_id) for r in results] == [(1, "p1"), (4, "p2"), (6, "p3")]
    assert results[0] == RawRecord(1, "p1", "Person", {"name": ["Jean"]}, {})
    assert (results[2].properties, results[2].meta) == ({}, {})


def test_jsonl_bad_lines_are_rejected_in_place() -> None:
    data = b"\n".join([ENTITY, b'{"id": "p2", "schema": ', b"[1, 2]", b'"Person"',
                       b'{"id": "\xe9t\xe9"}', ENTITY.replace(b"p1", b"p6")])
    results = read(JsonLinesParser(), data)
    assert [(r.line, type(r).__name__) for r in results] == [
        (1, "RawRecord"), (2, "Rejection"), (3, "Rejection"), (4, "Rejection"),
        (5, "Rejection"), (6, "RawRecord")]
    malformed, array, string, latin = only(results, Rejection)
    assert malformed.reason.startswith("malformed JSON")
    assert malformed.raw == '{"id": "p2", "schema": \n'
    assert array.reason == string.reason == "each line must be a JSON object (an entity)"
    assert latin.reason.startswith("not valid UTF-8 (byte 9 of the line)")
    assert "convert the file to UTF-8" in latin.reason
    assert latin.raw.startswith('{"id": "été"}')
    assert {r.field for r in only(results, Rejection)} == {None}


def test_jsonl_byte_order_mark_is_ignored() -> None:
    results = read(JsonLinesParser(), BOM + ENTITY + b"\n" + ENTITY)
    assert [(r.line, type(r).__name__) for r in results] == [(1, "RawRecord"), (2, "RawRecord")]


def test_jsonl_line_over_the_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readers, "MAX_LINE_BYTES", len(ENTITY))
    long = b'{"id": "p2", "schema": "Person", "properties": {"name": ["' + b"x" * 300 + b'"]}}'
    data = b"\n".join([ENTITY, long, ENTITY.replace(b"p1", b"p3"), long])
    results = read(JsonLinesParser(), data)
    assert [(r.line, type(r).__name__) for r in results] == [
        (1, "RawRecord"), (2, "Rejection"), (3, "RawRecord"), (4, "Rejection")]
    rejection = results[1]
    assert rejection.reason.startswith("line longer than")
    assert rejection.raw.startswith(long[:50].decode())
    assert rejection.raw.endswith("…")


def test_jsonl_excerpt_is_cut() -> None:
    line = b'{"id": "' + b"x" * 5000 + b'"'
    [rejection] = read(JsonLinesParser(), line)
    assert len(rejection.raw) == readers.RAW_EXCERPT + 1
    assert rejection.raw.endswith("…")
    assert JsonLinesParser().excerpt((1, b"\xff{}")) == "\ufffd{}"


LINES = st.one_of(
    st.binary(max_size=60),
    st.sampled_from([ENTITY, b"{}", b"[]", b"null", b"  ", b"", BOM, BOM + b"{}", BOM + ENTITY,
                     BOM + b" " * 15, b"\xff\xfe", b"\r",
                     b'{"meta": null, "properties": null}', b'{"id": 1e400}', b"\x00",
                     b'{"a": "\\ud800"}', b'{"a": "\\u0000"}', b"[" * 2000]),
)


def _expected_lines(data: bytes, limit: int) -> list[int]:
    """The numbers of the lines that give a unit: over the limit, or not blank."""
    lines = data.split(b"\n")
    if lines[-1] == b"":  # the final newline ends the last line
        lines.pop()
    out = []
    for n, line in enumerate(lines, 1):
        if len(line) > limit or line.removeprefix(BOM if n == 1 else b"").strip():
            out.append(n)
    return out


@settings(max_examples=200, deadline=None)
@given(st.lists(LINES, max_size=8), st.sampled_from([b"\n", b"\r\n"]),
       st.sampled_from([16, 40, 1000]))
def test_jsonl_any_bytes_give_records_or_rejections(lines: list[bytes], newline: bytes,
                                                    limit: int) -> None:
    data = newline.join(lines)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(readers, "MAX_LINE_BYTES", limit)
        results = read(JsonLinesParser(), data)
    assert [r.line for r in results] == _expected_lines(data, limit)
    for r in results:
        assert isinstance(r, RawRecord | Rejection)
        if isinstance(r, Rejection):
            assert r.reason
            assert r.field is None
            storable(r)


# --- CSV with a mapping --------------------------------------------------------------------

MAPPING: dict[str, Any] = {
    "entities": {
        # The ownership comes first and points at the others: the mapping orders them.
        "ownership": {"schema": "Ownership", "keys": ["person_id", "plate"], "properties": {
            "owner": {"entity": "person"}, "asset": {"entity": "vehicle", "required": True}}},
        "vehicle": {"schema": "Vehicle", "keys": ["plate"], "properties": {
            "registrationNumber": {"column": "plate"}}},
        "person": {"schema": "Person", "keys": ["person_id"], "properties": {
            "name": {"columns": ["first", "last"], "join": " "},
            "birthDate": {"column": "dob", "format": "%d/%m/%Y"},
            "phone": {"column": "phones", "split": ";"}}},
    },
    "meta": {"handling": "handling", "condition": "condition"},
    "filters_not": {"status": "deleted"},
}
HEADER = "person_id,first,last,dob,phones,plate,handling,condition,status"


def csv_parser(mapping: dict[str, Any] | None = None, agency: str = "OFAST",
               encoding: str = "utf-8") -> CsvMappingParser:
    return CsvMappingParser(mapping or MAPPING, agency, encoding, "test mapping")


def csv_bytes(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> bytes:
    return "\r\n".join([header, *lines]).encode(encoding)


def test_csv_rows_map_to_related_entities() -> None:
    results = read(csv_parser(), csv_bytes(
        "P1,Jean,Dupont,14/05/1987,06 12 34 56 78;0698765432,AB-123-CD,H3,ask OFAST,",
        "P2,Marie,Curie,,,,,,"))
    # Within a row, an entity comes after those it points at.
    assert [(r.line, r.schema) for r in results] == [
        (2, "Vehicle"), (2, "Person"), (2, "Ownership"), (3, "Person")]
    vehicle, person, ownership, lone = results
    assert person.properties == {"name": ["Jean Dupont"], "birthDate": ["14/05/1987"],
                                 "phone": ["06 12 34 56 78", "0698765432"]}
    assert person.formats == {"birthDate": "%d/%m/%Y"}
    assert person.meta == vehicle.meta == {"handling": "H3", "condition": "ask OFAST"}
    assert vehicle.properties == {"registrationNumber": ["AB-123-CD"]}
    assert ownership.properties == {"owner": [person.source_id], "asset": [vehicle.source_id]}
    assert ownership.meta == person.meta
    assert lone.properties == {"name": ["Marie Curie"]}
    assert lone.schema == "Person"
    assert lone.meta == {"handling": "", "condition": ""}  # empty cells: the defaults
    # Ids are keyed by the agency, so that two services' row keys never collide.
    [other] = read(csv_parser(agency="DNPJ"), csv_bytes("P2,Marie,Curie,,,,,,"))
    assert other.source_id != lone.source_id


def test_csv_records_validate_with_their_date_format_and_meta() -> None:
    results = read(csv_parser(), csv_bytes(
        "P1,Jean,Dupont,14/05/1987,06 12 34 56 78,AB-123-CD,H3,ask OFAST,"))
    validator = Validator(RecordMeta(), "FR", date(2024, 6, 1))
    vehicle, person, ownership = (validator.validate(r, "") for r in results)
    assert isinstance(person, ValidRecord)
    assert isinstance(ownership, ValidRecord)
    assert ("birthDate", "date", "1987-05-14", "14/05/1987") in person.statements
    assert person.meta.handling_condition == "ask OFAST"
    assert ownership.keys == {("ref", person.source_id), ("ref", vehicle.source_id)}


def test_csv_filters_drop_rows() -> None:
    data = csv_bytes("P1,Jean,Dupont,,,,,,deleted", "P2,Marie,Curie,,,,,,active")
    assert [r.line for r in read(csv_parser(), data)] == [3]
    keep_only = {**MAPPING, "filters": {"status": "archived"}}
    assert read(csv_parser(keep_only), data) == []


def test_csv_required_property_skips_the_entity() -> None:
    mapping = {"entities": {"person": {"schema": "Person", "id_column": "person_id",
                                       "properties": {"name": {"column": "first",
                                                               "required": True}}}}}
    results = read(csv_parser(mapping), csv_bytes("P1,Jean", "P2,", header="person_id,first"))
    assert [(r.line, r.source_id) for r in results] == [(2, "P1")]


def test_csv_entity_with_an_empty_id_cell_is_left_out() -> None:
    mapping = {"entities": {
        "person": {"schema": "Person", "id_column": "person_id",
                   "properties": {"name": {"column": "name"}}},
        "vehicle": {"schema": "Vehicle", "id_column": "plate", "properties": {
            "registrationNumber": {"column": "plate"}}},
        "ownership": {"schema": "Ownership", "keys": ["plate"], "properties": {
            "owner": {"entity": "person"}, "asset": {"entity": "vehicle"}}}}}
    results = read(csv_parser(mapping), csv_bytes("P1,Jean,", "P2,Marie,AB123CD",
                                                  header="person_id,name,plate"))
    assert [(r.line, r.schema) for r in results] == [
        (2, "Person"), (3, "Person"), (3, "Vehicle"), (3, "Ownership")]
    assert results[3].properties == {"owner": ["P2"], "asset": ["AB123CD"]}


def test_csv_header_missing_a_mapped_column() -> None:
    parser = csv_parser()
    header = HEADER.replace(",dob", "").replace(",condition", "")
    with pytest.raises(BadInput, match="column\\(s\\) condition, dob missing") as exc:
        list(parser.units(io.BytesIO(csv_bytes(header=header))))
    assert exc.value.field == "file"


def test_csv_with_another_delimiter() -> None:
    semicolons = csv_bytes("P1;Jean;Dupont;14/05/1987;06 12 34 56 78;AB-123-CD;;;",
                           header=HEADER.replace(",", ";"))
    with pytest.raises(BadInput, match="delimiter:"):  # read with commas: a hint
        list(csv_parser().units(io.BytesIO(semicolons)))
    results = read(csv_parser({**MAPPING, "delimiter": ";"}), semicolons)
    person = next(r for r in results if r.schema == "Person")
    assert person.properties["name"] == ["Jean Dupont"]
    with pytest.raises(BadInput, match="one character"):
        csv_parser({**MAPPING, "delimiter": ";;"})


def test_csv_header_in_another_encoding_gives_a_printable_message() -> None:
    with pytest.raises(BadInput, match="missing from the header") as exc:
        list(csv_parser().units(io.BytesIO("prénom,nom\n".encode("latin-1"))))
    assert "pr\\xe9nom" in exc.value.message
    exc.value.message.encode("utf-8")


def test_csv_empty_file() -> None:
    with pytest.raises(BadInput, match="empty"):
        list(csv_parser().units(io.BytesIO(b"")))


def test_csv_bom_and_padded_header() -> None:
    header = "\ufeff" + " , ".join(HEADER.split(","))
    [person] = read(csv_parser(), csv_bytes("P1,Jean,,,,,,,", header=header))
    assert person.properties == {"name": ["Jean"]}


def test_csv_row_with_wrong_field_count() -> None:
    results = read(csv_parser(), csv_bytes("P1,Jean,Dupont", "P2,Marie,Curie,,,,,,"))
    rejection, person = results
    assert isinstance(rejection, Rejection)
    assert (rejection.line, rejection.field) == (2, None)
    assert rejection.reason == "row has 3 fields, the header has 9"
    assert rejection.raw == "P1,Jean,Dupont"
    assert person.line == 3


def test_csv_line_numbers_count_quoted_line_breaks() -> None:
    results = read(csv_parser(), csv_bytes('P1,"Jean\nPierre",Dupont,,,,,,', "", "P2,Marie,,,,,,,"))
    assert [(r.line, r.properties["name"]) for r in results] == [
        (2, ["Jean\nPierre Dupont"]), (5, ["Marie"])]


def test_csv_in_another_encoding_asks_for_encoding() -> None:
    data = csv_bytes("P1,Hélène,Dupont,,,,,,", "P2,Marie,Curie,,,,,,", "P3,Zoé", encoding="latin-1")
    rejection, marie, short = read(csv_parser(), data)
    assert isinstance(rejection, Rejection)
    assert isinstance(short, Rejection)
    assert (rejection.line, rejection.field) == (2, "first")
    assert "not valid utf-8" in rejection.reason
    assert "--encoding" in rejection.reason
    assert (marie.line, short.line) == (3, 4)
    storable(rejection)
    storable(short)
    assert "Dupont" in rejection.raw
    person, _, _ = read(csv_parser(encoding="latin-1"), data)
    assert person.properties["name"] == ["Hélène Dupont"]


def test_csv_parser_survives_pickling() -> None:
    parser = csv_parser()
    units = parser.units(io.BytesIO(csv_bytes("P1,Jean,Dupont,,,,,,")))
    unit = next(units)
    copy = pickle.loads(pickle.dumps(parser))  # the header travels with it
    assert copy.parse(unit) == parser.parse(unit)


ROW_VALUES = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.lists(ROW_VALUES, min_size=1, max_size=4), max_size=6))
def test_csv_any_rows_give_records_or_rejections(rows: list[list[str]]) -> None:
    mapping = {"entities": {"person": {"schema": "Person", "id_column": "a", "properties": {
        "name": {"column": "b"}, "notes": {"columns": ["c", "d"]}}}}}
    text = io.StringIO(newline="")
    writer = csv.writer(text)
    writer.writerow(["a", "b", "c", "d"])
    writer.writerows(rows)
    results = read(csv_parser(mapping), text.getvalue().encode())
    expected: list[tuple[str, ...]] = []
    for row in rows:
        if len(row) != 4:
            expected.append(("rejected",))
        elif row[0].strip():
            expected.append((row[0].strip(), *([row[1].strip()] if row[1].strip() else [])))
    assert [("rejected",) if isinstance(r, Rejection)
            else (r.source_id, *r.properties.get("name", [])) for r in results] == expected
    assert [r.line for r in results] == sorted({r.line for r in results})
    for r in results:
        if isinstance(r, Rejection):
            storable(r)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=200))
def test_csv_any_bytes_give_records_or_rejections(data: bytes) -> None:
    mapping = {"entities": {"person": {"schema": "Person", "id_column": "a",
                                       "properties": {"name": {"column": "b"}}}}}
    try:
        results = read(csv_parser(mapping), b"a,b\n" + data)
    except BadInput:  # a header line ending inside a quoted field
        return
    for r in results:
        if isinstance(r, Rejection):
            storable(r)


# --- mapping files -------------------------------------------------------------------------

def write_mapping(tmp_path: Path, content: Any) -> Path:
    path = tmp_path / "mapping.yml"
    path.write_text(content if isinstance(content, str) else yaml.safe_dump(content))
    return path


def test_mapping_file_is_read(tmp_path: Path) -> None:
    parser = CsvMappingParser.from_file(write_mapping(tmp_path, MAPPING), "OFAST", "utf-8")
    assert [e.mapping.name for e in parser.entities][-1] == "ownership"


@pytest.mark.parametrize(("content", "message"), [
    ({"entities": {"p": {"schema": "Personne", "keys": ["id"]}}}, "Invalid schema"),
    ({"entities": {"p": {"schema": "Person", "keys": ["id"],
                         "properties": {"nom": {"column": "n"}}}}}, "Invalid property"),
    ({"entities": {"p": {"schema": "Person", "keys": ["id"],
                         "properties": {"familyPerson": {"column": "n"}}}}}, "stub"),
    ({"entities": {"p": {"schema": "Person"}}}, "No keys"),
    ({"entities": {"o": {"schema": "Ownership", "keys": ["id"],
                         "properties": {"owner": {"entity": "nobody"}}}}}, "No entity"),
    ({"entities": {"v": {"schema": "Vehicle", "keys": ["id"]},
                   "o": {"schema": "Ownership", "keys": ["id"],
                         "properties": {"owner": {"entity": "v"}}}}}, "must be a .*LegalEntity"),
    ({"entities": {}}, "No entity mappings"),
    ({"entities": {"p": {"schema": "Person", "keys": ["id"]}}, "meta": {"grade": "g"}},
     "unknown field\\(s\\) in `meta:`: grade"),
    ({"entities": {"p": {"schema": "Person", "keys": ["id"]}}, "meta": ["handling"]},
     "`meta:` must map"),
    ({"entities": ["p"]}, "invalid mapping"),
    ({"schema": "Person"}, "needs an `entities:` section"),
    ("entities: [unclosed\n", "not a readable YAML file"),
    ("- just\n- a list\n", "needs an `entities:` section"),
])
def test_invalid_mapping_file(tmp_path: Path, content: Any, message: str) -> None:
    with pytest.raises(BadInput, match=message) as exc:
        CsvMappingParser.from_file(write_mapping(tmp_path, content), "OFAST", "utf-8")
    assert exc.value.field == "mapping"


def test_missing_mapping_file(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="mapping file not found"):
        CsvMappingParser.from_file(tmp_path / "nope.yml", "OFAST", "utf-8")
