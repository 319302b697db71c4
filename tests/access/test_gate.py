"""The gate: permission checked, every passage audited, a write and its audit row one
transaction."""

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from emco.access import audit
from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.errors import Forbidden, IntegrityError, NotFound
from emco.model.enums import AuditAction, Permission, Protection, Role
from emco.store import audit as audit_store
from emco.store import users
from emco.store.db import Database
from emco.store.tables import audit_head
from tests.factories import principal


def _log(db: Database) -> list[dict[str, Any]]:
    with db.read() as conn:
        return list(audit_store.rows(conn))


def _user_exists(db: Database, username: str) -> bool:
    with db.read() as conn:
        return users.by_username(conn, username) is not None


def _create(conn: sa.Connection, username: str) -> int:
    return users.create(conn, username=username, display_name=username, agency="OFAST",
                        roles=frozenset({Role.ANALYST}), clearance=Protection.NP,
                        password_hash="-", now=datetime.now(UTC))


def test_denied_read_raises_and_is_audited(db: Database) -> None:
    access = Access(db, principal("OFAST", Role.AUDITOR))
    event = AuditEvent(AuditAction.RECORD_SEARCH, motif="curiosity", query={"q": "x"})
    entered = False
    with pytest.raises(Forbidden), access.reading(Permission.RECORD_SEARCH, event):
        entered = True
    assert not entered
    [row] = _log(db)
    assert (row["action"], row["outcome"], row["username"]) == (
        "case:record:search", "denied", "test.ofast")
    assert row["motif"] == "curiosity"
    assert "case:record:search" in row["detail"]


def test_denied_write_raises_and_is_audited(db: Database) -> None:
    access = Access(db, principal("OFAST", Role.ANALYST))
    with pytest.raises(Forbidden), access.writing(
            Permission.USER_CREATE, AuditEvent(AuditAction.USER_CREATE)) as p:
        _create(p.conn, "never")
    assert not _user_exists(db, "never")
    assert [(r["action"], r["outcome"]) for r in _log(db)] == [("admin:user:create", "denied")]


def test_read_is_audited_after_it(db: Database) -> None:
    access = Access(db, principal("OFAST", Role.ANALYST))
    event = AuditEvent(AuditAction.RECORD_SEARCH, case_ref="PV-1")
    with access.reading(Permission.RECORD_SEARCH, event) as p:
        assert p.scope.agencies == frozenset({"OFAST"})
        assert _log(db) == []  # not before the read has happened
        p.event.result_count = 3
        p.event.objects = ["record:1"]
    [row] = _log(db)
    assert (row["outcome"], row["result_count"], row["objects"], row["case_ref"]) == (
        "ok", 3, '["record:1"]', "PV-1")


@pytest.mark.parametrize(("error", "detail"), [
    (NotFound("no record 7"), "no record 7"),
    (RuntimeError("secret internals"), "RuntimeError"),  # no internals in the log
])
def test_failing_read_is_audited_as_failed(db: Database, error: Exception,
                                           detail: str) -> None:
    access = Access(db, principal("OFAST", Role.ANALYST))
    with pytest.raises(type(error)), access.reading(
            Permission.RECORD_READ, AuditEvent(AuditAction.RECORD_READ)):
        raise error
    [row] = _log(db)
    assert (row["action"], row["outcome"], row["detail"]) == ("case:record:read", "failed",
                                                              detail)


def test_forbidden_inside_a_passage_is_audited_as_denied(db: Database) -> None:
    access = Access(db, principal("OFAST", Role.LIAISON))
    with pytest.raises(Forbidden), access.reading(
            Permission.RECORD_READ, AuditEvent(AuditAction.RECORD_READ)):
        raise Forbidden("not yours")
    assert [(r["outcome"], r["detail"]) for r in _log(db)] == [("denied", "not yours")]


def test_write_and_audit_row_land_together(db: Database) -> None:
    access = Access(db, principal("EMCO", Role.ADMIN))
    with access.writing(Permission.USER_CREATE,
                        AuditEvent(AuditAction.USER_CREATE, objects=["user:bob"])) as p:
        _create(p.conn, "bob")
        p.event.result_count = 1
    assert _user_exists(db, "bob")
    [row] = _log(db)
    assert (row["outcome"], row["objects"], row["result_count"]) == ("ok", '["user:bob"]', 1)


def test_failed_write_leaves_no_data_and_no_ok_row(db: Database) -> None:
    access = Access(db, principal("EMCO", Role.ADMIN))

    def write_then_fail() -> None:
        with access.writing(Permission.USER_CREATE, AuditEvent(AuditAction.USER_CREATE)) as p:
            _create(p.conn, "bob")
            raise ValueError("midway")

    with pytest.raises(ValueError, match="midway"):
        write_then_fail()
    assert not _user_exists(db, "bob")
    assert [(r["outcome"], r["detail"]) for r in _log(db)] == [("failed", "ValueError")]
    with db.read() as conn:
        assert audit.verify(conn).ok


def test_write_without_its_audit_row_does_not_land(db: Database) -> None:
    """When the audit row cannot be written, the data written with it is rolled back."""
    with db.engine.begin() as conn:
        conn.execute(sa.delete(audit_head))
    access = Access(db, principal("EMCO", Role.ADMIN))
    with pytest.raises(IntegrityError, match="no head row"), access.writing(
            Permission.USER_CREATE, AuditEvent(AuditAction.USER_CREATE)) as p:
        _create(p.conn, "bob")
    assert not _user_exists(db, "bob")
    assert _log(db) == []


def test_scope_follows_the_principal(db: Database) -> None:
    scope = Access(db, principal("EMCO", Role.OPERATOR, clearance=Protection.DR)).scope
    assert scope.agencies is None
    assert scope.protections == frozenset({Protection.NP, Protection.DR})
