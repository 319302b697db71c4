"""Accounts, logins and sessions; every attempt audited."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa

from emco.access import auth, totp
from emco.access.gate import Access
from emco.errors import BadInput, Conflict, Forbidden, NotFound, Unauthenticated
from emco.model.enums import Protection, Role
from emco.model.types import Principal
from emco.store import audit as audit_store
from emco.store import tables, users
from emco.store.db import Database
from emco.store.tables import sessions
from tests.factories import principal, totp_code, user

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


def _login(db: Database, username: str, password: str = PASSWORD) -> tuple[str, Principal]:
    return auth.login(db, username, password, totp_code(db, username))


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
    token, who = _login(db, "alice")
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
        stored = conn.execute(sa.select(sessions.c.token_hash).where(
            sessions.c.ended_at.is_(None))).scalars().all()  # the pending one has ended
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
            auth.login(db, username, password, "000000")
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
    token, _ = _login(db, "alice")
    _age_session(db, column, by)
    with pytest.raises(Unauthenticated, match="expired"):
        auth.session_principal(db, token, IDLE, MAX_AGE)
    assert all(e is not None for e in _ended(db))
    _age_session(db, column, timedelta(0))  # ended is ended, even if it looks fresh again
    with pytest.raises(Unauthenticated, match="please log in"):
        auth.session_principal(db, token, IDLE, MAX_AGE)


def test_session_within_the_limits_is_kept_alive(db: Database) -> None:
    user(db, "alice", "OFAST", Role.LIAISON)
    token, _ = _login(db, "alice")
    _age_session(db, "last_seen_at", IDLE - timedelta(minutes=1))
    auth.session_principal(db, token, IDLE, MAX_AGE)
    with db.read() as conn:
        last_seen = conn.execute(sa.select(sessions.c.last_seen_at).where(
            sessions.c.ended_at.is_(None))).scalar_one()
    if last_seen.tzinfo is None:
        last_seen = last_seen.replace(tzinfo=UTC)
    assert datetime.now(UTC) - last_seen < timedelta(minutes=1)  # touched


def test_logout_ends_the_session(db: Database) -> None:
    user(db, "alice", "OFAST", Role.LIAISON)
    auth.allow_concurrent_sessions(_admin(db), "alice", True)
    token, who = _login(db, "alice")
    other, _ = _login(db, "alice")
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
        _login(db, "alice")
    _login(db, "alice", "a new long passphrase")
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
    _login(db, "alice")  # unchanged


# --- the second factor, lockout, sessions ----------------------------------------------------

def test_the_password_alone_opens_nothing(db: Database) -> None:
    user(db, "alice", "OFAST", Role.LIAISON)
    step = auth.check_password(db, "alice", PASSWORD)
    assert not step.enrol
    with pytest.raises(Unauthenticated, match="please log in"):
        auth.session_principal(db, step.token, IDLE, MAX_AGE)  # a pending session
    assert _log(db)[-1]["action"] == "auth:login:password"
    token, who = auth.second_factor(db, step.token, totp_code(db, "alice"))
    assert token != step.token  # a new token: the pending one never becomes the session
    assert auth.session_principal(db, token, IDLE, MAX_AGE)[0] == who
    with pytest.raises(Unauthenticated):  # the pending one is spent
        auth.second_factor(db, step.token, totp_code(db, "alice"))


def test_a_wrong_or_replayed_code_is_refused(db: Database) -> None:
    user(db, "alice", "OFAST", Role.LIAISON)
    for code in ("123", "abcdef", ""):
        step = auth.check_password(db, "alice", PASSWORD)
        with pytest.raises(Unauthenticated, match="wrong second-factor code") as caught:
            auth.second_factor(db, step.token, code)
        assert caught.value.field == "code"
    auth.unlock(_admin(db), "alice")
    secret = _user(db, "alice").totp_secret  # type: ignore[union-attr]
    now = datetime.now(UTC)
    code = totp.code_at(secret, now)  # type: ignore[arg-type]
    step = auth.check_password(db, "alice", PASSWORD)
    auth.second_factor(db, step.token, code)
    step = auth.check_password(db, "alice", PASSWORD)
    with pytest.raises(Unauthenticated, match="wrong second-factor code"):
        auth.second_factor(db, step.token, code)  # the same code, a second time
    earlier = totp.code_at(secret, now, -1)  # type: ignore[arg-type]
    with pytest.raises(Unauthenticated, match="wrong second-factor code"):
        auth.second_factor(db, step.token, earlier)  # older than the one used
    failures = [e for e in _log(db) if e["action"] == "auth:login:failure"]
    assert failures[-1]["detail"] == "wrong second-factor code"


def test_five_failures_lock_the_account_for_ten_minutes(db: Database) -> None:
    user(db, "alice", "OFAST", Role.LIAISON)
    for _ in range(4):
        with pytest.raises(Unauthenticated, match="wrong username or password"):
            auth.check_password(db, "alice", "wrong password!")
    step = auth.check_password(db, "alice", PASSWORD)
    with pytest.raises(Unauthenticated, match="locked for 10 minutes"):
        auth.second_factor(db, step.token, "000000")  # the fifth failure: a wrong code
    with pytest.raises(Unauthenticated, match="locked for 10 minutes"):
        _login(db, "alice")  # the right password and code are refused too
    assert [e["action"] for e in _log(db)].count("auth:account:lock") == 1
    with db.engine.begin() as conn:  # ten minutes later
        conn.execute(sa.update(tables.users).values(
            locked_until=datetime.now(UTC) - timedelta(seconds=1)))
    _login(db, "alice")
    assert _user(db, "alice").failed_logins == 0  # type: ignore[union-attr]


def test_an_unknown_username_locks_alike(db: Database) -> None:
    """Five failures on a name with no account answer as a real account's lockout does:
    the lockout does not tell whether an account exists."""
    user(db, "alice", "OFAST", Role.LIAISON)
    answers = []
    for name in ("alice", "nobody"):
        for _ in range(5):
            with pytest.raises(Unauthenticated):
                auth.check_password(db, name, "wrong password!")
        with pytest.raises(Unauthenticated) as caught:
            auth.check_password(db, name, PASSWORD)
        answers.append(caught.value.message)
    assert answers[0] == answers[1]
    assert "locked" in answers[0]


def test_an_administrator_unlocks_and_resets_the_second_factor(db: Database) -> None:
    user(db, "alice", "OFAST", Role.LIAISON)
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            auth.check_password(db, "alice", "wrong password!")
    with pytest.raises(Forbidden):
        auth.unlock(Access(db, principal("OFAST", Role.LIAISON)), "alice")
    auth.unlock(_admin(db), "alice")
    token, _ = _login(db, "alice")
    auth.reset_second_factor(_admin(db), "alice")
    with pytest.raises(Unauthenticated):  # its sessions ended
        auth.session_principal(db, token, IDLE, MAX_AGE)
    step = auth.check_password(db, "alice", PASSWORD)
    assert step.enrol
    with pytest.raises(NotFound, match="no user bob"):
        auth.reset_second_factor(_admin(db), "bob")
    assert {"admin:user:unlock", "admin:totp:reset"} <= {e["action"] for e in _log(db)}


def test_a_new_account_enrols_its_authenticator_at_its_first_login(db: Database) -> None:
    user(db, "alice", "OFAST", Role.LIAISON, enrolled=False)
    with pytest.raises(Unauthenticated, match="no second factor yet"):
        auth.login(db, "alice", PASSWORD, "000000")  # the API cannot enrol
    step = auth.check_password(db, "alice", PASSWORD)
    assert step.enrol
    with pytest.raises(Unauthenticated, match="no second factor yet"):
        auth.second_factor(db, step.token, "000000")
    shown = auth.enrolment(db, step.token)
    assert auth.enrolment(db, step.token).secret == shown.secret  # a reload shows the same
    assert shown.uri.startswith("otpauth://totp/EMCO:alice?secret=")
    assert shown.qr_svg.startswith("data:image/svg+xml")
    with pytest.raises(Unauthenticated, match="wrong second-factor code"):
        auth.confirm_enrolment(db, step.token, "000000")
    token, _ = auth.confirm_enrolment(db, step.token, totp.code_at(shown.secret,
                                                                  datetime.now(UTC)))
    assert auth.session_principal(db, token, IDLE, MAX_AGE)[0].username == "alice"
    assert _user(db, "alice").totp_enrolled  # type: ignore[union-attr]
    step = auth.check_password(db, "alice", PASSWORD)
    with pytest.raises(Conflict):
        auth.enrolment(db, step.token)  # enrolled: a new secret needs an administrator
    assert "auth:totp:enrol" in [e["action"] for e in _log(db)]


def test_a_pending_login_expires(db: Database) -> None:
    user(db, "alice", "OFAST", Role.LIAISON)
    step = auth.check_password(db, "alice", PASSWORD)
    _age_session(db, "created_at", auth.PENDING_MAX + timedelta(seconds=1))
    with pytest.raises(Unauthenticated, match="took too long"):
        auth.second_factor(db, step.token, totp_code(db, "alice"))


def test_a_login_ends_the_accounts_other_sessions(db: Database) -> None:
    user(db, "alice", "OFAST", Role.LIAISON)
    first, _ = _login(db, "alice")
    second, _ = _login(db, "alice")
    with pytest.raises(Unauthenticated):
        auth.session_principal(db, first, IDLE, MAX_AGE)
    auth.session_principal(db, second, IDLE, MAX_AGE)
    assert _log(db)[-1]["detail"] == "1 other session(s) ended"
    auth.allow_concurrent_sessions(_admin(db), "alice", True)
    third, _ = _login(db, "alice")
    auth.session_principal(db, second, IDLE, MAX_AGE)  # allowed now: both live
    auth.session_principal(db, third, IDLE, MAX_AGE)
