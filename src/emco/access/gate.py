"""The gate: every read and write of case data passes here, with a principal.

`Access.reading` and `Access.writing` check the permission, hand the caller a connection
and the principal's record scope, and write the audit row: in the same transaction as a
write (both land or neither); after a read, in its transaction on PostgreSQL and right
after it on SQLite. A denial and a failure are audited too.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy import Connection

from emco.access import audit, policy
from emco.access.audit import AuditEvent
from emco.errors import EmcoError, Forbidden
from emco.model.enums import Outcome, Permission
from emco.model.types import Principal, RecordScope
from emco.store import agencies, handling
from emco.store.db import Database


@dataclass
class Passage:
    """What the gate hands to the code inside: the connection, the scope of records the
    principal sees, and the audit event to complete (result count, objects)."""

    conn: Connection
    scope: RecordScope
    event: AuditEvent


class Access:
    def __init__(self, db: Database, principal: Principal) -> None:
        self.db = db
        self.principal = principal

    @cached_property
    def scope(self) -> RecordScope:
        with self.db.read() as conn:
            staff = agencies.staff_codes(conn)
            granted = frozenset() if policy.sees_all(self.principal, staff) \
                else handling.granted_to(conn, self.principal.agency)
        return policy.record_scope(self.principal, staff, granted)

    def check(self, permission: Permission | None, event: AuditEvent) -> None:
        """Raise `Forbidden` (and audit the denial) unless the principal holds `permission`
        (None: an action on one's own account, which every principal may take)."""
        if permission is None:
            return
        try:
            policy.require(self.principal, permission)
        except Forbidden as exc:
            self.record(event, Outcome.DENIED, exc.message)
            raise

    def record(self, event: AuditEvent, outcome: Outcome = Outcome.OK,
               detail: str | None = None) -> None:
        """Write an audit row on its own (for actions outside a reading or writing)."""
        event.outcome = outcome
        if detail is not None:
            event.detail = detail[:1000]
        with self.db.write() as conn:
            audit.append(conn, self.principal, event)

    @contextmanager
    def reading(self, permission: Permission | None, event: AuditEvent) -> Iterator[Passage]:
        self.check(permission, event)
        # The scope is read before a connection is held: reading it takes another one,
        # and with every pooled connection held that way the server would stall.
        scope = self.scope
        # On PostgreSQL the audit row lands in the reading's own transaction: one
        # connection and one commit rather than two (the head of the chain is locked only
        # from the append to that commit). SQLite takes its write lock when a transaction
        # begins (`Database.write`), which a reading must not, so there it follows apart.
        together = not self.db.is_sqlite
        try:
            with self.db.read() as conn:
                yield Passage(conn, scope, event)
                if together:
                    audit.append(conn, self.principal, event)
        except Exception as exc:
            self.record(event, _outcome(exc), _detail(exc))
            raise
        if not together:
            self.record(event, event.outcome)

    @contextmanager
    def writing(self, permission: Permission | None, event: AuditEvent) -> Iterator[Passage]:
        self.check(permission, event)
        scope = self.scope  # before a connection is held (see `reading`)
        try:
            with self.db.write() as conn:
                passage = Passage(conn, scope, event)
                yield passage
                audit.append(conn, self.principal, passage.event)
        except Exception as exc:
            self.record(event, _outcome(exc), _detail(exc))
            raise


def _outcome(exc: Exception) -> Outcome:
    return Outcome.DENIED if isinstance(exc, Forbidden) else Outcome.FAILED


def _detail(exc: Exception) -> str:
    return exc.message if isinstance(exc, EmcoError) else type(exc).__name__
