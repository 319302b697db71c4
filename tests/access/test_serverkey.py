"""The second factor's shared secrets at rest, sealed with the server key
(`emco.access.serverkey`), on both backends: the column never holds the secret, logins and
enrolment work as before, a key that does not open a secret is a clear error naming the
account that `emco user reset-totp` ends, secrets stored in clear before are read and
sealed at their next write, old keys still open, and a key file is made once, 0600. The
key of the tests is `SERVER_KEY` (tests/conftest.py)."""

import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pydantic
import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from fastapi.testclient import TestClient

from emco.access import auth, serverkey, totp
from emco.access.gate import Access
from emco.model.enums import Role
from emco.settings import Settings, get_settings
from emco.store import tables, users
from emco.store.db import Database
from tests import factories
from tests.web.conftest import app, cheap_passwords, client, login

__all__ = ["app", "cheap_passwords", "client"]  # the web fixtures, for the API's answer
PASSWORD = "correct horse battery"
ROOT = Path(__file__).resolve().parents[2]


def _stored(db: Database, username: str) -> str | None:
    with db.read() as conn:
        return conn.execute(sa.select(tables.users.c.totp_secret).where(
            tables.users.c.username == username)).scalar_one()


def _use_key(monkeypatch: pytest.MonkeyPatch, key: str, old: str = "") -> None:
    """Restart, as it were, with another server key (and earlier ones)."""
    monkeypatch.setenv("EMCO_SECRET_KEY", key)
    monkeypatch.setenv("EMCO_SECRET_KEY_OLD", old)
    get_settings.cache_clear()


def _login(db: Database, username: str) -> str:
    token, _who = auth.login(db, username, PASSWORD, factories.totp_code(db, username))
    return token


def test_the_column_never_holds_the_secret(db: Database) -> None:
    factories.user(db, "alice", "OFAST", Role.LIAISON, enrolled=False)
    step = auth.check_password(db, "alice", PASSWORD)
    secret = auth.enrolment(db, step.token).secret  # the page shows it, once made
    stored = _stored(db, "alice")
    assert stored is not None
    assert secret not in stored
    assert stored.startswith("gAAAAA")  # a Fernet token
    assert auth.enrolment(db, step.token).secret == secret  # the same key on a reload
    auth.confirm_enrolment(db, step.token, totp.code_at(secret, datetime.now(UTC)))
    assert _stored(db, "alice") not in (None, stored, secret)  # sealed again, anew
    assert _login(db, "alice")  # and the logins go on
    with db.read() as conn:
        row = users.by_username(conn, "alice")
    assert row is not None
    assert row.totp_secret == secret
    assert secret not in repr(row)


def test_a_key_that_does_not_open_the_secret_names_the_account(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    factories.user(db, "alice", "OFAST", Role.LIAISON)
    _use_key(monkeypatch, Fernet.generate_key().decode())
    step = auth.check_password(db, "alice", PASSWORD)  # the password is not sealed
    with pytest.raises(serverkey.UnreadableSecret) as refused:
        auth.second_factor(db, step.token, "123456")
    assert "alice" in refused.value.message
    assert "emco user reset-totp alice" in refused.value.message
    # the way out: the administrator clears it, the account enrols under the new key
    auth.reset_second_factor(Access(db, auth.cli_principal("EMCO", frozenset({Role.ADMIN}))),
                             "alice")
    step = auth.check_password(db, "alice", PASSWORD)
    assert step.enrol
    secret = auth.enrolment(db, step.token).secret
    auth.confirm_enrolment(db, step.token, totp.code_at(secret, datetime.now(UTC)))
    assert _login(db, "alice")


def test_the_api_answers_a_key_that_does_not_open_with_the_message(
        client: TestClient, db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    factories.user(db, "alice", "OFAST", Role.LIAISON)
    code = factories.totp_code(db, "alice")
    _use_key(monkeypatch, Fernet.generate_key().decode())
    response = client.post("/api/v1/session", json={"username": "alice",
                                                     "password": PASSWORD, "code": code})
    assert response.status_code == 500
    body = response.json()
    assert body["error"] == "UnreadableSecret"
    assert "reset-totp alice" in body["message"]


def test_a_secret_stored_in_clear_is_read_and_sealed_at_its_next_write(
        db: Database) -> None:
    factories.user(db, "alice", "OFAST", Role.LIAISON, enrolled=False)
    factories.user(db, "bob", "OFAST", Role.LIAISON)
    clear = totp.new_secret()
    with db.write() as conn:  # as a database from before sealing holds them
        conn.execute(sa.update(tables.users).values(totp_secret=clear))
    assert _login(db, "bob")  # an enrolled one logs in
    step = auth.check_password(db, "alice", PASSWORD)  # one enrolling goes on
    assert auth.enrolment(db, step.token).secret == clear
    auth.confirm_enrolment(db, step.token, totp.code_at(clear, datetime.now(UTC)))
    sealed = _stored(db, "alice")
    assert sealed is not None
    assert clear not in sealed
    assert serverkey.unseal_totp(sealed, "alice") == clear


def test_old_keys_still_open_what_they_sealed(db: Database,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    factories.user(db, "alice", "OFAST", Role.LIAISON)
    old = get_settings().secret_key.get_secret_value()
    new = Fernet.generate_key().decode()
    _use_key(monkeypatch, new, old=f" {old} ")
    assert _login(db, "alice")
    with db.write() as conn:
        alice = users.by_username(conn, "alice")
        assert alice is not None
        assert alice.totp_secret is not None
        users.set_totp(conn, alice.id, alice.totp_secret, datetime.now(UTC))
    sealed = _stored(db, "alice")
    assert sealed is not None
    assert Fernet(new.encode()).decrypt(sealed.encode()).decode() == alice.totp_secret


def test_without_a_key_set_a_key_file_is_made_once(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EMCO_SECRET_KEY")
    monkeypatch.setenv("EMCO_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    sealed = serverkey.seal("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    made = tmp_path / "var" / serverkey.KEY_FILE
    assert made.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in made.parent.iterdir()] == [serverkey.KEY_FILE]
    key = made.read_bytes()
    assert Fernet(key.strip()).decrypt(sealed.encode()) == b"JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    get_settings.cache_clear()
    serverkey.seal("again")
    assert made.read_bytes() == key  # made once


@pytest.mark.parametrize("variable", ["EMCO_SECRET_KEY", "EMCO_SECRET_KEY_OLD"])
def test_a_malformed_key_is_refused_by_name(monkeypatch: pytest.MonkeyPatch,
                                            variable: str) -> None:
    monkeypatch.setenv(variable, "not-a-key")
    with pytest.raises(pydantic.ValidationError, match="32 bytes in URL-safe base64"):
        Settings()


def test_the_demonstration_prints_an_accounts_code(db: Database, tmp_path: Path) -> None:
    factories.user(db, "alice", "OFAST", Role.LIAISON, enrolled=False)
    secret = factories.enrol(db, "alice")
    env = {**os.environ, "EMCO_DATABASE_URL": db.url, "EMCO_DATA_DIR": str(tmp_path)}
    for argument in ("alice", " ".join(secret[i:i + 4] for i in range(0, 32, 4))):
        shown = subprocess.run([sys.executable, "-m", "emco.access.totp", argument],
                               env=env, cwd=ROOT, capture_output=True, text=True,
                               check=True).stdout.strip()
        now = datetime.now(UTC)
        assert shown in {totp.code_at(secret, now, step) for step in (-1, 0)}
    unknown = subprocess.run([sys.executable, "-m", "emco.access.totp", "nobody"], env=env,
                             cwd=ROOT, capture_output=True, text=True)
    assert unknown.returncode == 1
    assert "nobody" in unknown.stderr


def test_login_through_the_api_still_works(client: TestClient, db: Database) -> None:
    factories.user(db, "alice", "OFAST", Role.LIAISON, password=PASSWORD)
    login(client, "alice")
    assert client.get("/api/v1/me").json()["username"] == "alice"
