"""`emco audit verify` as CI runs it: the real command in a subprocess, over a database
seeded through the platform's own entry points (accounts, logins and searches over the
HTTP API, an ingest), on SQLite and PostgreSQL. Exit 0 on the intact log; after one
field of one row is changed with SQL, exit 1 naming that row. tests/test_cli.py and
tests/access/test_audit.py test the same check in-process, row by row.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi.testclient import TestClient

from emco.access import auth
from emco.model.enums import Protection, Role
from emco.settings import Settings
from emco.store.db import Database
from emco.web.app import create_app
from tests import factories
from tests.web.conftest import login

PASSWORD = "correct horse battery"


def emco(db: Database, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed command, as CI runs it, with only the store's address set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMCO_")}
    env.update(EMCO_DATABASE_URL=db.url, EMCO_DATA_DIR=str(tmp_path / "var"))
    return subprocess.run([sys.executable, "-m", "emco.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300, check=False)


def seed(db: Database, settings: Settings, tmp_path: Path,
         monkeypatch: pytest.MonkeyPatch) -> None:
    """Three accounts, their logins and searches over the API, one service's ingest."""
    # The cost of the hash is not what is tested here.
    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                        parallelism=1))
    path = factories.write_jsonl(tmp_path / "ofast.jsonl", [
        factories.person("p1", "Karim BENALI", phone="06 12 34 56 78"),
        factories.person("p2", "Jean DUPONT", birthDate="1980-01-02")])
    assert factories.load(db, settings, path, agency="OFAST").accepted == 2
    accounts = [("ana.ofast", "OFAST", Role.ANALYST), ("liaison.dnpj", "DNPJ", Role.LIAISON),
                ("op.emco", "EMCO", Role.OPERATOR)]
    for username, agency, role in accounts:
        factories.user(db, username, agency, role, clearance=Protection.DR,
                       password=PASSWORD)
    with TestClient(create_app(settings, db)) as client:
        for username, _, _ in accounts:
            client.cookies.clear()
            login(client, username, PASSWORD)  # as every web test logs in
            for q in ("Benali", "0612345678"):
                found = client.get("/api/v1/records", params={
                    "q": q, "motif": "vérification", "case_ref": "PV-2026-1"})
                assert found.status_code == 200, found.text
        wrong = client.post("/api/v1/session", json={"username": "ana.ofast",
                                                     "password": "not the password"})
        assert wrong.status_code == 401


def test_verify_in_ci_on_a_seeded_database(db: Database, settings: Settings,
                                           tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    seed(db, settings, tmp_path, monkeypatch)
    with db.read() as conn:
        rows = conn.execute(sa.text("SELECT count(*) FROM audit_events")).scalar_one()
    assert rows >= 15
    intact = emco(db, tmp_path, "audit", "verify")
    assert intact.returncode == 0, intact.stderr
    assert f"{rows:,} rows checked" in intact.stdout
    middle = rows // 2
    with db.engine.begin() as conn:
        conn.execute(sa.text("UPDATE audit_events SET username = 'intruder' WHERE seq = :s"),
                     {"s": middle})
    broken = emco(db, tmp_path, "audit", "verify")
    assert broken.returncode == 1
    assert f"BROKEN: row {middle} was altered" in broken.stderr
    as_json = emco(db, tmp_path, "audit", "verify", "--json")
    assert as_json.returncode == 1
    assert json.loads(as_json.stdout)["first_bad_row"] == middle
