"""Ingestion of whole files into the store, on both backends: exit codes, quarantine,
idempotent reloads, updates, fragments, access control, audit and crash safety."""

import itertools
import os
from pathlib import Path
from typing import Any

import orjson
import pytest
import yaml
from sqlalchemy import func, select

from emco.access import audit
from emco.access.gate import Access
from emco.errors import BadInput, Forbidden
from emco.ingest import pipeline
from emco.ingest.pipeline import IngestRequest, IngestSummary, ingest
from emco.ingest.validate import RawRecord, Validator
from emco.model.enums import BatchStatus, HandlingCode, Protection, Role
from emco.model.types import Principal, RecordMeta
from emco.settings import Settings
from emco.store.db import Database
from emco.store.tables import audit_events, batches, record_keys, records, statements
from emco.store.writing import BatchWriter
from tests.factories import entity, load, person, principal, write_jsonl

# --- looking at the store ------------------------------------------------------------------


def counts(db: Database) -> dict[str, int]:
    with db.read() as conn:
        return {t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for t in (batches, records, statements, record_keys)}


def stored(db: Database, agency: str = "OFAST") -> dict[str, dict[str, Any]]:
    """Each record of an agency by source id: its row, current and retired facts, keys."""
    out: dict[str, dict[str, Any]] = {}
    with db.read() as conn:
        rows = conn.execute(select(records).where(records.c.agency_code == agency)).mappings()
        for row in rows.all():
            facts = conn.execute(
                select(statements).where(statements.c.record_id == row["id"])
                .order_by(statements.c.n)).mappings().all()
            keys = conn.execute(select(record_keys.c.kind, record_keys.c.key)
                                .where(record_keys.c.record_id == row["id"])).all()
            out[row["source_id"]] = {
                "row": dict(row),
                "current": [(f["prop"], f["value"], f["original_value"]) for f in facts
                            if f["retired_batch_id"] is None],
                "retired": [(f["prop"], f["value"], f["batch_id"], f["retired_batch_id"])
                            for f in facts if f["retired_batch_id"] is not None],
                "batches": {f["batch_id"] for f in facts if f["retired_batch_id"] is None},
                "keys": set(map(tuple, keys)),
            }
    return out


def content(db: Database, agency: str) -> dict[str, Any]:
    """What an agency's records say, without ids, batches and times."""
    kept = ("schema", "caption", "handling", "handling_condition", "reliability",
            "credibility", "protection", "category", "observed_on", "retain_until",
            "content_hash")
    return {sid: ({k: r["row"][k] for k in kept}, sorted(r["current"]), r["keys"])
            for sid, r in stored(db, agency).items()}


def audit_rows(db: Database) -> list[dict[str, Any]]:
    with db.read() as conn:
        return [dict(r) for r in conn.execute(
            select(audit_events).order_by(audit_events.c.seq)).mappings()]


def batch_row(db: Database, batch_id: str) -> dict[str, Any]:
    with db.read() as conn:
        return dict(conn.execute(select(batches).where(batches.c.id == batch_id))
                    .mappings().one())


def quarantined(summary: IngestSummary) -> list[dict[str, Any]]:
    assert summary.quarantine is not None
    return [orjson.loads(line) for line in Path(summary.quarantine).read_bytes().splitlines()]


def chain_ok(db: Database) -> bool:
    with db.read() as conn:
        return audit.verify(conn).ok


PEOPLE = [person("p1", "Jean Dupont", phone="06 12 34 56 78"),
          person("p2", "Marie Curie", birthDate="1967-11-07"),
          person("p3", "Karim Ben Ali", email="karim@example.fr")]


# --- exit codes and quarantine -------------------------------------------------------------

def test_clean_file(db: Database, settings: Settings, tmp_path: Path) -> None:
    summary = load(db, settings, write_jsonl(tmp_path / "people.jsonl", PEOPLE))
    assert summary.to_dict() == {
        "batch": summary.batch, "accepted": 3, "rejected": 0, "quarantine": None,
        "created": 3, "updated": 0, "unchanged": 0, "status": "complete"}
    assert summary.exit_code == 0
    assert counts(db) == {"batches": 1, "records": 3, "statements": 6, "record_keys": 10}
    row = batch_row(db, summary.batch or "")
    assert (row["status"], row["accepted"], row["rejected"], row["created"]) == (
        "complete", 3, 0, 3)
    assert (row["agency_code"], row["format"], row["username"]) == ("OFAST", "jsonl",
                                                                    "test.ofast")
    p1 = stored(db)["p1"]
    assert p1["current"] == [("name", "Jean Dupont", "Jean Dupont"),
                             ("phone", "+33612345678", "06 12 34 56 78")]
    assert p1["keys"] == {("token", "jean"), ("token", "dupont"), ("phone", "+33612345678")}
    assert p1["row"]["caption"] == "Jean Dupont"


def test_bad_rows_are_quarantined_and_the_rest_kept(db: Database, settings: Settings,
                                                    tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "mixed.jsonl", [
        PEOPLE[0],
        '{"id": "x", "schema": ',
        person("p4", "Paul", nom="Durand"),
        PEOPLE[1],
        person("p5", "Luc", phone="call me"),
        "",
        entity("v1", "Vehicle", meta={"handling": "H7"}, registrationNumber="AB-123-CD"),
    ])
    summary = load(db, settings, path)
    assert (summary.accepted, summary.rejected, summary.exit_code) == (2, 4, 3)
    assert summary.status == BatchStatus.COMPLETE
    entries = quarantined(summary)
    assert [(e["line"], e["field"]) for e in entries] == [
        (2, None), (3, "properties.nom"), (5, "properties.phone"), (7, "meta.handling")]
    assert entries[0]["reason"].startswith("malformed JSON")
    assert entries[0]["raw"] == '{"id": "x", "schema": \n'
    assert entries[1]["reason"] == "Person has no property 'nom'"
    assert "'call me'" in entries[2]["reason"]
    assert orjson.loads(entries[3]["raw"])["id"] == "v1"
    assert summary.first_errors == [{k: v for k, v in e.items() if k != "raw"}
                                    for e in entries]
    assert Path(summary.quarantine or "").parent == settings.quarantine_dir
    assert set(stored(db)) == {"p1", "p2"}
    row = batch_row(db, summary.batch or "")
    assert (row["accepted"], row["rejected"], row["quarantine_path"]) == (
        2, 4, summary.quarantine)


def test_nothing_usable_writes_nothing(db: Database, settings: Settings,
                                       tmp_path: Path) -> None:
    files = {"empty": [], "blank": ["", "  "],
             "all-bad": ['{"id": "x"', person("p1", "Jean", phone="12")]}
    for n, (name, lines) in enumerate(files.items(), 1):
        summary = load(db, settings, write_jsonl(tmp_path / f"{name}.jsonl", lines))
        assert (summary.accepted, summary.exit_code, summary.status) == (
            0, 2, BatchStatus.FAILED), name
        assert summary.rejected == (2 if name == "all-bad" else 0)
        assert counts(db) == {"batches": 0, "records": 0, "statements": 0, "record_keys": 0}
        rows = audit_rows(db)
        assert len(rows) == 2 * n  # the attempt, then its failure
        assert rows[-2]["action"] == "case:batch:start"
        assert (rows[-1]["action"], rows[-1]["outcome"], rows[-1]["username"]) == (
            "case:batch:end", "failed", "test.ofast")
        assert "nothing written" in rows[-1]["detail"]
    assert [e["line"] for e in quarantined(summary)] == [1, 2]


def test_values_the_database_cannot_hold_are_rejected(db: Database, settings: Settings,
                                                      tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "nul.jsonl", [person("p1", "Jean\u0000Dupont"), PEOPLE[1]])
    summary = load(db, settings, path)
    assert (summary.accepted, summary.rejected) == (1, 1)
    assert quarantined(summary)[0]["field"] == "properties.name"
    assert set(stored(db)) == {"p2"}


# --- requests refused before reading -------------------------------------------------------

def test_refused_requests_write_nothing(db: Database, settings: Settings,
                                        tmp_path: Path) -> None:
    jsonl = write_jsonl(tmp_path / "people.jsonl", PEOPLE)
    csv = tmp_path / "people.csv"
    csv.write_text("id,name\np1,Jean\n")
    mapping = tmp_path / "mapping.yml"
    mapping.write_text(yaml.safe_dump({"entities": {"p": {
        "schema": "Person", "id_column": "id", "properties": {"name": {"column": "name"}}}}}))
    txt = tmp_path / "people.txt"
    txt.write_text("Jean")
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"path": jsonl, "agency": "NOPE"}, "agency", "unknown agency 'NOPE'; known: "),
        ({"path": tmp_path / "nope.jsonl"}, "path", "file not found"),
        ({"path": tmp_path}, "path", "not a file"),
        ({"path": csv}, "mapping", "needs --mapping"),
        ({"path": jsonl, "mapping": mapping}, "mapping", "CSV files only"),
        ({"path": csv, "mapping": tmp_path / "nope.yml"}, "mapping", "mapping file not found"),
        ({"path": csv, "mapping": mapping, "encoding": "klingon"}, "encoding",
         "unknown encoding"),
        ({"path": txt}, "format", "cannot tell the format"),
        ({"path": txt, "format": "xml"}, "format", "unknown format 'xml'"),
    ]
    for request, field, message in cases:
        with pytest.raises(BadInput, match=message) as exc:
            load(db, settings, **{"agency": "OFAST", **request})
        assert exc.value.field == field
    assert counts(db) == {"batches": 0, "records": 0, "statements": 0, "record_keys": 0}
    assert not settings.quarantine_dir.exists()


def test_csv_header_without_a_mapped_column_writes_nothing(db: Database, settings: Settings,
                                                           tmp_path: Path) -> None:
    csv = tmp_path / "people.csv"
    csv.write_text("id,nom\np1,Jean\n")
    mapping = tmp_path / "mapping.yml"
    mapping.write_text(yaml.safe_dump({"entities": {"p": {
        "schema": "Person", "id_column": "id", "properties": {"name": {"column": "name"}}}}}))
    with pytest.raises(BadInput, match="column\\(s\\) name missing"):
        load(db, settings, csv, mapping=mapping)
    assert counts(db)["batches"] == 0


def _ingest_as(db: Database, settings: Settings, who: Principal, path: Path,
               agency: str = "OFAST") -> IngestSummary:
    return ingest(Access(db, who), IngestRequest(path=path, agency=agency),
                  region="FR", retention_years=20, quarantine_dir=settings.quarantine_dir,
                  chunk_size=100, workers=0)


REFUSED: list[tuple[Principal, str]] = [
    (principal("DNPJ", Role.LIAISON), "cannot write records of OFAST"),
    (principal("OFAST", Role.ANALYST, Role.OPERATOR), "may not do this"),
    (principal("EMCO", Role.OPERATOR, Role.ADMIN), "may not do this"),
]


def test_principal_refused_and_denial_audited(db: Database, settings: Settings,
                                              tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "people.jsonl", PEOPLE)
    for n, (who, message) in enumerate(REFUSED, 1):
        with pytest.raises(Forbidden, match=message):
            _ingest_as(db, settings, who, path)
        assert counts(db) == {"batches": 0, "records": 0, "statements": 0, "record_keys": 0}
        rows = audit_rows(db)
        assert len(rows) == n
        assert (rows[-1]["action"], rows[-1]["outcome"], rows[-1]["username"]) == (
            "case:batch:start", "denied", who.username)
        assert orjson.loads(rows[-1]["objects"]) == ["agency:OFAST"]
        assert message in rows[-1]["detail"]
    assert chain_ok(db)


# --- loading again -------------------------------------------------------------------------

def test_same_file_twice_changes_nothing(db: Database, settings: Settings,
                                         tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "people.jsonl", PEOPLE)
    load(db, settings, path)
    before, first = counts(db), stored(db)
    again = load(db, settings, path)
    assert (again.created, again.updated, again.unchanged, again.exit_code) == (0, 0, 3, 0)
    assert counts(db) == {**before, "batches": 2}
    assert stored(db) == first  # not even the batch or time of a record moves


def test_changed_record_is_updated_with_history(db: Database, settings: Settings,
                                                tmp_path: Path) -> None:
    first = load(db, settings, write_jsonl(tmp_path / "v1.jsonl", PEOPLE))
    original = stored(db)["p1"]["current"]
    changed = [person("p1", "Jean Dupont", phone="07 11 22 33 44"), *PEOPLE[1:]]
    second = load(db, settings, write_jsonl(tmp_path / "v2.jsonl", changed))
    assert (second.created, second.updated, second.unchanged) == (0, 1, 2)
    row = batch_row(db, second.batch or "")
    assert (row["created"], row["updated"], row["unchanged"]) == (0, 1, 2)
    p1, p2 = stored(db)["p1"], stored(db)["p2"]
    assert p1["current"] == [("name", "Jean Dupont", "Jean Dupont"),
                             ("phone", "+33711223344", "07 11 22 33 44")]
    assert p1["retired"] == [("name", "Jean Dupont", first.batch, second.batch),
                             ("phone", "+33612345678", first.batch, second.batch)]
    assert p1["batches"] == {second.batch}
    assert p1["row"]["batch_id"] == second.batch
    assert p1["keys"] == {("token", "jean"), ("token", "dupont"), ("phone", "+33711223344")}
    assert p2["batches"] == {first.batch}
    assert p2["retired"] == []
    assert counts(db)["records"] == 3
    third = load(db, settings, write_jsonl(tmp_path / "v3.jsonl", PEOPLE))  # and back
    assert (third.updated, third.unchanged) == (1, 2)
    assert len(stored(db)["p1"]["retired"]) == 4
    assert stored(db)["p1"]["current"] == original


def test_metadata_change_is_an_update(db: Database, settings: Settings,
                                      tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "people.jsonl", PEOPLE)
    load(db, settings, path)
    summary = load(db, settings, path, defaults=RecordMeta(protection=Protection.DR))
    assert (summary.updated, summary.unchanged) == (3, 0)
    assert {r["row"]["protection"] for r in stored(db).values()} == {"DR"}


# --- fragments -----------------------------------------------------------------------------

FRAGMENTS = [
    person("p1", "Jean Dupont", phone="06 12 34 56 78"),
    person("p2", "Marie Curie"),
    person("p3", "Karim Ben Ali"),
    entity("p1", "LegalEntity", meta={"handling": "H2", "protection": "DR"},
           email="jean@example.fr", name="Jean Dupont"),
    person("p4", "Paul Durand"),
    person("p1", "Jean Dupont", birthDate="1970"),
]


def test_fragments_of_one_id_are_merged_in_and_across_chunks(
        db: Database, settings: Settings, tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "fragments.jsonl", FRAGMENTS)
    whole = load(db, settings, path, agency="OFAST")
    split = load(db, settings, path, agency="DNPJ", chunk_size=2)
    for summary in (whole, split):
        assert (summary.accepted, summary.rejected, summary.created) == (6, 0, 4)
    assert content(db, "OFAST") == content(db, "DNPJ")
    p1 = stored(db, "DNPJ")["p1"]
    assert sorted(p1["current"]) == [
        ("birthDate", "1970", "1970"), ("email", "jean@example.fr", "jean@example.fr"),
        ("name", "Jean Dupont", "Jean Dupont"), ("phone", "+33612345678", "06 12 34 56 78")]
    assert p1["retired"] == []
    assert ("email", "jean@example.fr") in p1["keys"]
    assert ("phone", "+33612345678") in p1["keys"]
    assert (p1["row"]["schema"], p1["row"]["handling"], p1["row"]["protection"]) == (
        "Person", "H2", "DR")
    assert counts(db)["records"] == 8


def test_fragments_across_chunks_reload_unchanged(db: Database, settings: Settings,
                                                  tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "fragments.jsonl", FRAGMENTS)
    load(db, settings, path, chunk_size=2)
    before, first = counts(db), stored(db)
    again = load(db, settings, path, chunk_size=2)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 4)
    assert counts(db) == {**before, "batches": 2}
    assert stored(db) == first


def test_fragment_of_another_kind_is_quarantined(db: Database, settings: Settings,
                                                 tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "clash.jsonl", [
        PEOPLE[0], PEOPLE[1], PEOPLE[2],
        entity("p1", "Vehicle", registrationNumber="AB-123-CD")])
    for agency, chunk_size in [("OFAST", 100), ("DNPJ", 2)]:  # in one chunk, across chunks
        summary = load(db, settings, path, agency=agency, chunk_size=chunk_size)
        assert (summary.accepted, summary.rejected, summary.exit_code) == (3, 1, 3)
        [entry] = quarantined(summary)
        assert (entry["line"], entry["field"]) == (4, "schema")
        assert batch_row(db, summary.batch or "")["rejected"] == 1
        p1 = stored(db, agency)["p1"]
        assert p1["row"]["schema"] == "Person"
        assert p1["current"] == [("name", "Jean Dupont", "Jean Dupont"),
                                 ("phone", "+33612345678", "06 12 34 56 78")]


# --- audit ---------------------------------------------------------------------------------

def test_each_chunk_writes_one_audit_row(db: Database, settings: Settings,
                                         tmp_path: Path) -> None:
    people = [person(f"p{n}", f"Person {n}") for n in range(5)]
    summary = load(db, settings, write_jsonl(tmp_path / "people.jsonl", people), chunk_size=2)
    start, *rows = audit_rows(db)
    assert (start["action"], start["outcome"]) == ("case:batch:start", "ok")
    assert orjson.loads(start["objects"]) == ["agency:OFAST", f"batch:{summary.batch}"]
    assert [(r["action"], r["outcome"], r["result_count"], r["detail"]) for r in rows] == [
        ("case:batch:write", "ok", 2, "lines 1-2"),
        ("case:batch:write", "ok", 2, "lines 3-4"),
        ("case:batch:write", "ok", 1, "lines 5-5"),
        ("case:batch:end", "ok", 5, "accepted 5, rejected 0"),
    ]
    assert {r["objects"] for r in rows} == {orjson.dumps([f"batch:{summary.batch}"]).decode()}
    assert {(r["username"], r["agency_code"]) for r in rows} == {("test.ofast", "OFAST")}
    assert chain_ok(db)


# --- worker processes and failures ---------------------------------------------------------

def validate_only_in_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make validation in this process fail: the pool's processes are forked from it."""
    parent, validate = os.getpid(), Validator.validate

    def in_a_worker(self: Validator, raw: RawRecord, text: str) -> Any:
        assert os.getpid() != parent, "validated in the main process, not in the pool"
        return validate(self, raw, text)

    monkeypatch.setattr(Validator, "validate", in_a_worker)


def test_worker_pool_gives_the_same_result(db: Database, settings: Settings, tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "POOL_MIN_BYTES", 0)
    monkeypatch.setattr(pipeline, "BLOCK", 2)  # several blocks in flight
    lines = [*FRAGMENTS, '{"id": ', person("p9", "Eve", phone="12"),
             entity("v1", "Vehicle", meta={"handling": "H1", "observed": "2020-01-02"},
                    registrationNumber="ab-123-cd")]
    path = write_jsonl(tmp_path / "mixed.jsonl", lines)
    alone = load(db, settings, path, agency="OFAST", chunk_size=3)
    validate_only_in_workers(monkeypatch)
    pooled = load(db, settings, path, agency="DNPJ", chunk_size=3, workers=1)
    fields = ("accepted", "rejected", "created", "updated", "unchanged", "status")
    assert [getattr(pooled, f) for f in fields] == [getattr(alone, f) for f in fields]
    assert (pooled.accepted, pooled.rejected) == (7, 2)
    assert quarantined(pooled) == quarantined(alone)
    assert content(db, "DNPJ") == content(db, "OFAST")
    assert stored(db, "DNPJ")["v1"]["row"]["handling"] == HandlingCode.H1


def test_csv_through_the_worker_pool(db: Database, settings: Settings, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pipeline, "POOL_MIN_BYTES", 0)
    mapping = tmp_path / "mapping.yml"
    mapping.write_text(yaml.safe_dump({
        "entities": {"person": {"schema": "Person", "id_column": "id", "properties": {
            "name": {"column": "name"}, "birthDate": {"column": "dob", "format": "%d/%m/%Y"}}}},
        "meta": {"handling": "code", "condition": "condition"}}))
    csv = tmp_path / "people.csv"
    csv.write_bytes("id,name,dob,code,condition\r\n"
                    "P1,Hélène Dupont,14/05/1987,H3,ask OFAST\r\n"
                    "P2,Marie,31/02/1987,,\r\n"
                    "P3,Luc,,H1,\r\n".encode("latin-1"))
    validate_only_in_workers(monkeypatch)
    as_utf8 = load(db, settings, csv, mapping=mapping, workers=1)
    assert (as_utf8.accepted, as_utf8.rejected) == (1, 2)
    assert [(e["line"], e["field"]) for e in quarantined(as_utf8)] == [
        (2, "name"), (3, "properties.birthDate")]
    assert "--encoding" in quarantined(as_utf8)[0]["reason"]
    as_latin1 = load(db, settings, csv, mapping=mapping, encoding="latin-1", workers=1)
    assert (as_latin1.created, as_latin1.unchanged, as_latin1.rejected) == (1, 1, 1)
    p1 = stored(db)["P1"]
    assert sorted(p1["current"]) == [("birthDate", "1987-05-14", "14/05/1987"),
                                     ("name", "Hélène Dupont", "Hélène Dupont")]
    assert (p1["row"]["handling"], p1["row"]["handling_condition"]) == ("H3", "ask OFAST")
    assert batch_row(db, as_latin1.batch or "")["mapping_sha256"]


def test_failure_midway_leaves_whole_chunks(db: Database, settings: Settings, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    real = BatchWriter.write
    calls = itertools.count(1)

    def failing_second_time(*args: Any, **kwargs: Any) -> Any:
        if next(calls) == 2:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(BatchWriter, "write", failing_second_time)
    people = [person(f"p{n}", f"Person {n}", phone=f"06 00 00 00 0{n}") for n in range(1, 6)]
    with pytest.raises(RuntimeError, match="disk full"):
        load(db, settings, write_jsonl(tmp_path / "people.jsonl", people), chunk_size=2)
    kept = stored(db)
    assert set(kept) == {"p1", "p2"}
    for n in (1, 2):
        assert kept[f"p{n}"]["current"] == [
            ("name", f"Person {n}", f"Person {n}"), ("phone", f"+3360000000{n}",
                                                    f"06 00 00 00 0{n}")]
        assert ("phone", f"+3360000000{n}") in kept[f"p{n}"]["keys"]
    assert counts(db) == {"batches": 1, "records": 2, "statements": 4, "record_keys": 6}
    rows = audit_rows(db)
    assert [(r["action"], r["outcome"]) for r in rows] == [
        ("case:batch:start", "ok"), ("case:batch:write", "ok"), ("case:batch:write", "failed")]
    assert rows[2]["detail"] == "RuntimeError"
    assert chain_ok(db)
