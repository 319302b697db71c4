"""The `emco` command, run in-process by typer's CliRunner against real databases.

Settings come from EMCO_ environment variables, read once per process: each invocation
clears the cached settings first. Commands that need a migrated store run on the `db`
fixture (both backends); `db upgrade` and the refusal of an un-migrated store run on a
fresh SQLite file.
"""

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner, Result

from emco.access import auth
from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.cli import app
from emco.errors import Unauthenticated
from emco.model.enums import AuditAction, Role
from emco.settings import get_settings
from emco.store import users
from emco.store.db import Database
from tests import factories
from tests.factories import person, principal, write_jsonl

runner = CliRunner()


def invoke(*args: str, input: str | None = None) -> Result:
    get_settings.cache_clear()
    return runner.invoke(app, list(args), input=input)


def _configure(monkeypatch: pytest.MonkeyPatch, url: str, data_dir: Path) -> None:
    for name in list(os.environ):
        if name.startswith("EMCO_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("EMCO_DATABASE_URL", url)
    monkeypatch.setenv("EMCO_DATA_DIR", str(data_dir))


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    yield
    get_settings.cache_clear()  # leave no test's settings behind for the next


@pytest.fixture
def empty(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An un-migrated SQLite store (the file does not exist yet)."""
    path = tmp_path / "var" / "emco.sqlite3"
    _configure(monkeypatch, f"sqlite:///{path}", tmp_path / "var")
    return path


@pytest.fixture
def store(db: Database, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Database:
    """A migrated store with the agencies, on each backend."""
    _configure(monkeypatch, db.url, tmp_path / "var")
    return db


def test_upgrade_then_list_agencies(empty: Path) -> None:
    result = invoke("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "13 added" in result.stdout
    listed = invoke("agency", "list", "--json")
    assert listed.exit_code == 0, listed.output
    agencies = json.loads(listed.stdout)
    assert len(agencies) == 13
    assert [a["code"] for a in agencies if a["is_staff"]] == ["EMCO"]
    assert agencies[0]["code"] == "EMCO"
    again = invoke("db", "upgrade")
    assert again.exit_code == 0, again.output
    assert "0 added, 0 updated, 0 deactivated" in again.stdout
    verified = invoke("audit", "verify", "--json")  # the syncs were audited
    assert json.loads(verified.stdout)["checked"] == 2


@pytest.mark.parametrize("args", [("agency", "list"), ("audit", "verify"),
                                  ("agency", "sync")])
def test_unmigrated_store_is_refused(empty: Path, args: tuple[str, ...]) -> None:
    result = invoke(*args)
    assert result.exit_code == 2
    assert "run `emco db upgrade`" in result.stderr
    assert result.stdout == ""


def _file(tmp_path: Path, *lines: dict[str, object] | str) -> Path:
    return write_jsonl(tmp_path / "in.jsonl", lines)


GOOD = (person("p1", "Karim Benali", phone="06 12 34 56 78"), person("p2", "Jean Dupont"))
BAD = ('{"id": "x", "schema": "Person"', person("p3", "Paul", phone="not a phone"))


def test_ingest_all_valid_exits_0(store: Database, tmp_path: Path) -> None:
    result = invoke("ingest", str(_file(tmp_path, *GOOD)), "--agency", "ofast")
    assert result.exit_code == 0, result.output
    assert "2 accepted (2 new" in result.stdout
    assert "0 rejected" in result.stdout
    assert not (tmp_path / "var" / "quarantine").exists()


def test_ingest_some_bad_rows_exits_3_and_names_the_quarantine(store: Database,
                                                               tmp_path: Path) -> None:
    result = invoke("ingest", str(_file(tmp_path, *GOOD, *BAD)), "--agency", "OFAST")
    assert result.exit_code == 3, result.output
    assert "2 accepted" in result.stdout
    assert "2 rejected" in result.stdout
    quarantine = next((tmp_path / "var" / "quarantine").glob("*.jsonl"))
    assert f"Rejected rows are in {quarantine}" in result.stdout
    assert len(quarantine.read_text(encoding="utf-8").splitlines()) == 2
    assert "line 4, properties.phone" in result.stdout


def test_ingest_nothing_valid_exits_2(store: Database, tmp_path: Path) -> None:
    result = invoke("ingest", str(_file(tmp_path, *BAD)), "--agency", "OFAST")
    assert result.exit_code == 2, result.output
    assert "0 accepted" in result.stdout
    assert "nothing was written" in result.stderr
    with store.read() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM records")).scalar() == 0


@pytest.mark.parametrize(("lines", "code"), [(GOOD, 0), (GOOD + BAD, 3), (BAD, 2)])
def test_ingest_json_prints_one_object(store: Database, tmp_path: Path,
                                       lines: tuple[dict[str, object] | str, ...],
                                       code: int) -> None:
    result = invoke("ingest", str(_file(tmp_path, *lines)), "--agency", "OFAST", "--json")
    assert result.exit_code == code, result.output
    assert len(result.stdout.splitlines()) == 1
    summary = json.loads(result.stdout)
    assert {"batch", "accepted", "rejected", "quarantine"} <= set(summary)
    good = sum(1 for line in lines if line in GOOD)
    assert (summary["accepted"], summary["rejected"]) == (good, len(lines) - good)
    assert (summary["quarantine"] is None) == (code == 0)
    if summary["quarantine"]:
        assert Path(summary["quarantine"]).is_file()


def test_ingest_unknown_agency_exits_2_naming_it(store: Database, tmp_path: Path) -> None:
    result = invoke("ingest", str(_file(tmp_path, *GOOD)), "--agency", "nope")
    assert result.exit_code == 2
    assert "unknown agency 'NOPE'" in result.stderr
    assert "OFAST" in result.stderr  # and the known ones
    assert result.stdout == ""


def test_ingest_missing_file_exits_2(store: Database, tmp_path: Path) -> None:
    result = invoke("ingest", str(tmp_path / "none.jsonl"), "--agency", "OFAST")
    assert result.exit_code == 2
    assert "none.jsonl: file not found" in result.stderr


def test_audit_verify(store: Database) -> None:
    access = Access(store, principal("OFAST", Role.LIAISON))
    for _ in range(3):
        access.record(AuditEvent(AuditAction.RECORD_READ))
    result = invoke("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "3 rows checked" in result.stdout
    with store.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_events SET username = 'x' WHERE seq = 2"))
    broken = invoke("audit", "verify")
    assert broken.exit_code == 1
    assert "BROKEN: row 2 was altered" in broken.stderr
    as_json = invoke("audit", "verify", "--json")
    assert as_json.exit_code == 1
    assert json.loads(as_json.stdout)["first_bad_row"] == 2


def test_user_add_reads_the_password_from_stdin(store: Database) -> None:
    result = invoke("user", "add", "alice", "--agency", "ofast", "--role", "liaison",
                    "--role", "analyst", "--clearance", "DR", "--name", "Alice Martin",
                    "--password-stdin", input="a long enough secret\n")
    assert result.exit_code == 0, result.output
    assert "User alice created" in result.stdout
    assert "a long enough secret" not in result.output
    step = auth.check_password(store, "alice", "a long enough secret")
    assert step.enrol  # a new account enrols its second factor at its first login
    with store.read() as conn:
        who = users.by_username(conn, "alice")
    assert who is not None
    assert (who.agency, who.roles) == ("OFAST", frozenset({Role.LIAISON, Role.ANALYST}))


def test_accounts_are_unlocked_reset_and_given_tokens(store: Database) -> None:
    invoke("user", "add", "alice", "--agency", "OFAST", "--role", "liaison",
           "--password-stdin", input="a long enough secret\n")
    factories.enrol(store, "alice")
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            auth.check_password(store, "alice", "not the secret!")
    with pytest.raises(Unauthenticated, match="locked"):
        auth.check_password(store, "alice", "a long enough secret")
    assert invoke("user", "unlock", "alice").exit_code == 0
    assert not auth.check_password(store, "alice", "a long enough secret").enrol
    assert invoke("user", "reset-totp", "alice").exit_code == 0
    assert auth.check_password(store, "alice", "a long enough secret").enrol
    assert invoke("user", "unlock", "nobody").exit_code == 2
    made = invoke("token", "create", "alice", "--name", "robot", "--scope",
                  "deconflict:hit:query", "--days", "10", "--json")
    assert made.exit_code == 0, made.output
    token = json.loads(made.stdout)
    assert token["token"].startswith("emco_")
    listed = invoke("token", "list", "--json")
    assert [(t["name"], t["user"], t["revoked"]) for t in json.loads(listed.stdout)] == [
        ("robot", "alice", False)]
    assert token["token"] not in listed.stdout
    refused = invoke("token", "create", "alice", "--name", "x", "--scope", "admin:user:create")
    assert refused.exit_code == 2
    assert "does not hold admin:user:create" in refused.stderr
    assert invoke("token", "revoke", str(token["id"])).exit_code == 0
    assert invoke("token", "revoke", str(token["id"])).exit_code == 2  # already


def test_user_add_refusals_exit_2(store: Database) -> None:
    args = ("user", "add", "bob", "--agency", "OFAST", "--role", "liaison",
            "--password-stdin")
    short = invoke(*args, input="short\n")
    assert short.exit_code == 2
    assert "at least 12 characters" in short.stderr
    unknown = invoke("user", "add", "bob", "--agency", "NOPE", "--role", "liaison",
                     "--password-stdin", input="a long enough secret\n")
    assert unknown.exit_code == 2
    assert "unknown agency 'NOPE'" in unknown.stderr
    assert invoke(*args, input="a long enough secret\n").exit_code == 0
    again = invoke(*args, input="a long enough secret\n")
    assert again.exit_code == 2
    assert "user 'bob' already exists" in again.stderr


# --- demo load and evaluate: a tiny scenario folder ----------------------------------

SCENARIO_FILES = {
    "OFAST": [person("o-p1", "Karim BELKACEM", phone="06 12 34 56 78"),
              person("o-p2", "Jean Dupont")],
    "DNPJ": [person("d-p1", "BELKACEM Karim"),
             {"id": "d-v1", "schema": "Vehicle",
              "properties": {"registrationNumber": ["AB-123-CD"], "owner": ["d-p1"]}}],
}
TRUTH_RECORDS = [("OFAST", "o-p1", "P1"), ("OFAST", "o-p2", "P2"), ("DNPJ", "d-p1", "P1"),
                 ("DNPJ", "d-v1", "V1")]


def _scenario(folder: Path, records: list[tuple[str, str, str]] = TRUTH_RECORDS) -> Path:
    """A manifest, one JSON lines file per agency, and the truth of their records."""
    folder.mkdir(exist_ok=True)
    manifest = ["files:"]
    for agency, entities in SCENARIO_FILES.items():
        write_jsonl(folder / f"{agency.lower()}.jsonl", entities)
        manifest += [f"  - agency: {agency}", f"    path: {agency.lower()}.jsonl",
                     "    defaults: {protection: DR, category: suspect}"]
    (folder / "manifest.yml").write_text("\n".join(manifest) + "\n", encoding="utf-8")
    truth = {"version": 1, "seed": 7, "scale": 0.001,
             "records": [{"agency": a, "source_id": s, "entity": e} for a, s, e in records],
             "entities": {"P1": {"kind": "person", "name": "Karim BELKACEM"},
                          "P2": {"kind": "person", "name": "Jean DUPONT"},
                          "V1": {"kind": "vehicle", "name": "AB-123-CD"}},
             "networks": [{"id": "N01", "name": "Évreux",
                           "members": [{"entity": "P1", "role": "head"}]}],
             "overlaps": [], "conflicts": [], "under_assessed": []}
    (folder / "truth.json").write_text(json.dumps(truth), encoding="utf-8")
    return folder


@pytest.fixture
def scenario(store: Database, tmp_path: Path, seeded: Callable[..., None]) -> Path:
    """The tiny scenario, loaded by `emco demo load`."""
    folder = tmp_path / "scenario"

    def build() -> None:
        _scenario(folder)
        loaded = invoke("demo", "load", str(folder))
        assert loaded.exit_code == 0, loaded.output

    seeded("scenario", build)
    return folder


STORE_OK = {"records_in_truth": 4, "records_in_store": 4, "missing": 0, "unknown": 0}


def test_demo_load_summarises_what_the_platform_holds(scenario: Path) -> None:
    again = invoke("demo", "load", str(scenario))
    assert again.exit_code == 0, again.output
    lines = again.stdout.splitlines()
    assert "The platform holds 4 records of 2 services:" in lines
    assert any(line.split() == ["DNPJ", "2", "(Person", "1,", "Vehicle", "1)"]
               for line in lines), lines
    assert any(line.split() == ["OFAST", "2", "(Person", "2)"] for line in lines), lines
    assert "Rejected rows in this load: 0." in lines
    assert any(line.startswith("Resolution: 4 records in ") for line in lines), lines
    assert any(line.startswith("Deconfliction: 0 investigations") for line in lines), lines
    assert "Networks: none mapped (no links between three or more people)." in lines
    assert any(line.startswith("Risk: ") for line in lines), lines
    assert not any(line.startswith("Not run") for line in lines), lines  # every stage ran


def test_demo_evaluate_json_has_the_store_block_and_every_stage(scenario: Path) -> None:
    result = invoke("demo", "evaluate", str(scenario), "--json")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.splitlines()) == 1
    data = json.loads(result.stdout)
    assert data["store"] == STORE_OK
    assert data["deconflict"]["overlaps"] == {"found": 0, "missed": 0, "false": 0}
    assert set(data["resolve"]) == {"records", "pairwise", "cluster"}
    assert data["network"]["networks"] == 0  # no links: nothing to map, and it says so
    assert data["risk"] is not None


def test_demo_evaluate_table_says_absent_never_0(scenario: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from emco.demo import evaluate

    for stage in ("network", "risk"):  # as a stage that does not exist yet
        monkeypatch.setitem(evaluate.STAGES, stage, None)
    result = invoke("demo", "evaluate", str(scenario))
    assert result.exit_code == 0, result.output
    rows = [line.split() for line in result.stdout.splitlines()]
    for stage in ("network", "risk"):
        assert any(stage in row and "absent" in row for row in rows), result.stdout
    assert not any("resolve" in row and "absent" in row for row in rows)
    assert "The truth matches the store: 4 records, none missing, none unknown." \
        in result.stdout


def test_demo_evaluate_shows_a_stage_plugged_in(scenario: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from emco.demo import evaluate

    monkeypatch.setitem(evaluate.STAGES, "network", lambda access, truth: {
        "nmi": 0.5, "heads_precision_at_k": 1.0})
    monkeypatch.setitem(evaluate.STAGES, "risk", None)
    as_json = json.loads(invoke("demo", "evaluate", str(scenario), "--json").stdout)
    assert as_json["network"] == {"nmi": 0.5, "heads_precision_at_k": 1.0}
    assert as_json["risk"] is None
    table = invoke("demo", "evaluate", str(scenario)).stdout
    assert any(line.split() == ["│", "network", "│", "nmi", "│", "0.500", "│"]
               for line in table.splitlines()), table


def test_demo_evaluate_a_truth_record_not_stored_exits_2(scenario: Path) -> None:
    _scenario(scenario, [*TRUTH_RECORDS, ("SNRP", "snrp-p-0457", "P1")])
    result = invoke("demo", "evaluate", str(scenario), "--json")
    assert result.exit_code == 2
    assert json.loads(result.stdout)["store"] == {
        "records_in_truth": 5, "records_in_store": 4, "missing": 1, "unknown": 0}
    assert ("error: the truth file does not match the database: 1 record of the truth is "
            "not in the store (e.g. SNRP:snrp-p-0457)") in result.stderr


def test_demo_evaluate_a_stored_record_unknown_to_the_truth_exits_2(
        scenario: Path, tmp_path: Path) -> None:
    extra = write_jsonl(tmp_path / "dgsi.jsonl", [person("g-1", "Paul Martin")])
    assert invoke("ingest", str(extra), "--agency", "DGSI").exit_code == 0
    result = invoke("demo", "evaluate", str(scenario))
    assert result.exit_code == 2
    assert ("1 record of the store is not in the truth (e.g. DGSI:g-1)"
            in " ".join(result.stderr.split()))


@pytest.mark.parametrize(("make", "message"), [
    (lambda folder: None, "no such folder"),
    (lambda folder: folder.mkdir(), "truth.json: no such file"),
    (lambda folder: (folder.mkdir(), (folder / "truth.json").write_text('{"version": 2}')),
     "truth.json: version 2 is not supported"),
    (lambda folder: (folder.mkdir(), (folder / "truth.json").write_text("{")),
     "truth.json: not valid JSON at line 1, column 2"),
])
def test_demo_evaluate_bad_input_exits_2(store: Database, tmp_path: Path,
                                         make: Any, message: str) -> None:
    folder = tmp_path / "scenario"
    make(folder)
    result = invoke("demo", "evaluate", str(folder), "--json")
    assert result.exit_code == 2
    assert message in " ".join(result.stderr.split())
    assert result.stdout == ""
