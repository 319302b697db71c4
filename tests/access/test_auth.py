"""Accounts, logins and sessions; every attempt audited."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from emco.access import auth
from emco.access.gate import Access
from emco.errors import BadInput, Conflict, Forbidden, NotFound, Unauthenticated
from emco.model.enums import Protection, Role
from emco.store import audit as audit_store
from emco.store import users
from emco.store.db import Database
from emco.store.tables import sessions
from tests.factories import principal, user

IDLE, MAX_AGE = timedelta(minutes=30), timedelta(hours=12)
PASSWORD = "correct horse battery"


def _admin(db: Database) -> Access:
    return Access(db, auth.cli_principal("EMCO", frozenset({Role.ADMIN})))


def _create(db: Database, **kwargs: Any) -> int:
    values: dict[str, Any] = {
        "username": "alice", "display_name": "Alice", "agency": "OFAST",
        "roles": frozenset({Role.LIAISON}), "clearance": Protection.NP, "password": PASSWORD}
    values.update(kwargs)
    return auth.create_user(_admin(db), **values)


def _log(db: Database) -> list[dict[str, Any]]:
    with db.read() as conn:
        return list(audit_store.rows(conn))


def _user(db: Database, username: str) -> users.UserRow | None:
    with db.read() as conn:
        return users.by_username(conn, username)


def test_create_user_stores_an_argon2id_hash(db: Database) -> None:
    user_id = _create(db, clearance=Protection.DR, roles=frozenset({Role.LIAISON,
                                                                     Role.ANALYST}))
    row = _user(db, "alice")
    assert row is not None
    assert row.id == user_id
    assert row.password_hash.startswith("$argon2id$")
    assert PASSWORD not in row.password_hash
    assert (row.agency, row.roles, row.clearance, row.active) == (
        "OFAST", frozenset({Role.LIAISON, Role.ANALYST}), Protection.DR, True)
    [entry] = _log(db)
    assert (entry["action"], entry["outcome"], entry["objects"]) == (
        "admin:user:create", "ok", '["user:alice"]')
    assert PASSWORD not in str(entry)


BAD_USERNAMES = ["a", "Alice", "-alice", ".alice", "alice smith", "alice@ofast", "é",
                 "a" * 64, "alice\n", ""]


def test_create_user_refuses_a_bad_username(db: Database) -> None:
    for username in BAD_USERNAMES:  # checked before any write: one database for all
        with pytest.raises(BadInput) as caught:
            _create(db, username=username)
        assert caught.value.field == "username", username
        assert _user(db, username) is None, username


def test_create_user_accepts_a_good_username(db: Database) -> None:
    for username in ("al", "a_b-c.9", "0" + "a" * 62):
        _create(db, username=username)
        assert _user(db, username) is not None, username


def test_create_user_refuses_a_short_password(db: Database) -> None:
    with pytest.raises(BadInput, match="at least 12 characters") as caught:
        _create(db, password="x" * 11)
    assert caught.value.field == "password"
    assert _user(db, "alice") is None


def test_create_user_refuses_no_role(db: Database) -> None:
    with pytest.raises(BadInput) as caught:
        _create(db, roles=frozenset())
    assert caught.value.field == "role"
    assert _user(db, "alice") is None


def test_create_user_refuses_an_unknown_agency(db: Database) -> None:
    with pytest.raises(BadInput, match="unknown agency 'NOPE'") as caught:
        _create(db, agency="NOPE")
    assert caught.value.field == "agency"
    assert _user(db, "alice") is None
    assert [e["outcome"] for e in _log(db)] == ["failed"]


def test_create_user_refuses_a_duplicate(db: Database) -> None:
    _create(db)
    with pytest.raises(Conflict, match="already exists") as caught:
        _create(db, agency="DNPJ")
    assert caught.value.field == "username"
    row = _user(db, "alice")
    assert row is not None
    assert row.agency == "OFAST"


def test_only_an_admin_creates_users(db: Database) -> None:
    liaison = Access(db, principal("OFAST", Role.LIAISON))
    with pytest.raises(Forbidden):
        auth.create_user(liaison, username="bob", display_name="", agency="OFAST",
                         roles=frozenset({Role.ADMIN}), clearance=Protection.DR,
                         password=PASSWORD)
    assert _user(db, "bob") is None
    assert [(e["action"], e["outcome"]) for e in _log(db)] == [("admin:user:create", "denied")]


def test_login_opens_a_session_and_is_audited(db: Database) -> None:
    user(db, "alice", "OFAST", Role.LIAISON, clearance=Protection.DR)
    token, who = auth.login(db, "alice", PASSWORD)
    assert (who.username, who.agency, who.roles, who.clearance) == (
        "alice", "OFAST", frozenset({Role.LIAISON}), Protection.DR)
    assert len(token) >= 40
    found, locale = auth.session_principal(db, token, IDLE, MAX_AGE)
    assert found == who
    assert locale is None
    last = _log(db)[-1]
    assert (last["action"], last["outcome"], last["username"], last["agency_code"]) == (
        "auth:login:success", "ok", "alice", "OFAST")
    with db.read() as conn:  # the store keeps a digest of the token, not the token
        stored = conn.execute(sa.select(sessions.c.token_hash)).scalars().all()
    assert token not in stored
    assert len(stored) == 1


def test_failed_login_is_denied_alike_and_audited(db: Database) -> None:
    """A wrong password and an unknown (or wrongly cased) username get the same answer;
    each attempt leaves a denied row naming the username tried."""
    user(db, "alice", "OFAST", Role.LIAISON)
    answers = set()
    for username, password in (("alice", "wrong password!"), ("nobody", PASSWORD),
                               ("Alice", PASSWORD), ("alice", "")):
        with pytest.raises(Unauthenticated) as caught:
            auth.login(db, username, password)
        answers.add((type(caught.value), caught.value.message, caught.value.field))
        last = _log(db)[-1]
        assert (last["action"], last["outcome"], last["username"]) == (
            "auth:login:failure", "denied", username)
        assert not password or password not in str(last)
    assert answers == {(Unauthenticated, "wrong username or password", None)}
    with db.read() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sessions)).scalar() == 0


def test_unknown_token_is_unauthenticated(db: Database) -> None:
    with pytest.raises(Unauthenticated, match="please log in"):
        auth.session_principal(db, "not-a-token", IDLE, MAX_AGE)


def _age_session(db: Database, column: str, by: timedelta) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.update(sessions).values({column: datetime.now(UTC) - by}))


def _ended(db: Database) -> list[Any]:
    with db.read() as conn:
        return list(conn.execute(sa.select(sessions.c.ended_at)).scalars())


@pytest.mark.parametrize(("column", "by"), [
    ("last_seen_at", IDLE + timedelta(minutes=1)),
    ("created_at", MAX_AGE + timedelta(minutes=1)),
])
def test_expired_session_ends_and_is_refused(db: Database, column: str,
                                             by: timedelta) -> None:
    user(db, "alice", "OFAST", Role.LIAISON)
    token, _ = auth.login(db, "alice", PASSWORD)
    _age_session(db, column, by)
    with pytest.raises(Unauthenticated, match="expired"):
        auth.session_principal(db, token, IDLE, MAX_AGE)
    assert all(e is not None for e in _ended(db))
    _age_session(db, column, timedelta(0))  # ended is ended, even if it looks fresh again
    with pytest.raises(Unauthenticated, match="please log in"):
        auth.session_principal(db, token, IDLE, MAX_AGE)


def test_session_within_the_limits_is_kept_alive(db: Database) -> None:
    user(db, "alice", "OFAST", Role.LIAISON)
    token, _ = auth.login(db, "alice", PASSWORD)
    _age_session(db, "last_seen_at", IDLE - timedelta(minutes=1))
    auth.session_principal(db, token, IDLE, MAX_AGE)
    with db.read() as conn:
        last_seen = conn.execute(sa.select(sessions.c.last_seen_at)).scalar_one()
    if last_seen.tzinfo is None:
        last_seen = last_seen.replace(tzinfo=UTC)
    assert datetime.now(UTC) - last_seen < timedelta(minutes=1)  # touched


def test_logout_ends_the_session(db: Database) -> None:
    user(db, "alice", "OFAST", Role.LIAISON)
    token, who = auth.login(db, "alice", PASSWORD)
    other, _ = auth.login(db, "alice", PASSWORD)
    auth.logout(db, token, who)
    with pytest.raises(Unauthenticated):
        auth.session_principal(db, token, IDLE, MAX_AGE)
    assert auth.session_principal(db, other, IDLE, MAX_AGE)[0] == who  # only that one
    last = _log(db)[-1]
    assert (last["action"], last["outcome"], last["username"]) == (
        "auth:session:end", "ok", "alice")


def test_set_password(db: Database) -> None:
    user(db, "alice", "OFAST", Role.LIAISON)
    auth.set_password(_admin(db), "alice", "a new long passphrase")
    with pytest.raises(Unauthenticated):
        auth.login(db, "alice", PASSWORD)
    auth.login(db, "alice", "a new long passphrase")
    row = _user(db, "alice")
    assert row is not None
    assert row.password_hash.startswith("$argon2id$")
    assert ("admin:user:password", "ok") in [(e["action"], e["outcome"]) for e in _log(db)]


def test_set_password_refusals(db: Database) -> None:
    user(db, "alice", "OFAST", Role.LIAISON)
    with pytest.raises(BadInput, match="at least 12"):
        auth.set_password(_admin(db), "alice", "short")
    with pytest.raises(NotFound, match="no user 'bob'"):
        auth.set_password(_admin(db), "bob", "a new long passphrase")
    with pytest.raises(Forbidden):
        auth.set_password(Access(db, principal("OFAST", Role.LIAISON)), "alice",
                          "a new long passphrase")
    auth.login(db, "alice", PASSWORD)  # unchanged
