"""Fixture strategy: every alerts test runs on the `db` fixture of tests/conftest.py (a
fresh, migrated store with the packaged agencies, on SQLite and on PostgreSQL).

Alerts are raised the way the deconfliction stage raises them: inside a write passage of
the gate (`raise_overlap`), with a disclosure per recipient that names only the other
service's contact point, its case reference and what matched as the recipient knows it.
OFAST and DNPJ share a target; EMCO is the staff. Principals are made with
`tests.factories.principal`; no account is needed below the web layer.

`hook_server` is a real HTTP server on 127.0.0.1 (the standard library's, in a thread)
that records what it receives and answers with the statuses a test queues; nothing is
mocked.
"""

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.alerts.service import RaiseResult, Recipient, raise_alert
from emco.model.enums import (
    AlertKind,
    AlertSeverity,
    AuditAction,
    Permission,
    Protection,
    Role,
)
from emco.store import audit as audit_store
from emco.store.db import Database
from tests.factories import principal

TITLE = "Deux enquêtes partagent une cible"
OFAST_SEES = {"other_service": "DNPJ", "contact": "Cdt Martin, 01 40 00 00 01",
              "case_ref": "DNPJ-2026-117", "matched": {"phone": "+33612345678"}}
DNPJ_SEES = {"other_service": "OFAST", "contact": "Lt Durand, 01 40 00 00 02",
             "case_ref": "OFAST-2026-042", "matched": {"record": "d-dupont"}}
STAFF_VIEW = {"investigations": ["OFAST-2026-042", "DNPJ-2026-117"],
              "target": {"entity": "E000123", "phone": "+33612345678"}}


def overlap_recipients() -> list[Recipient]:
    return [Recipient("OFAST", OFAST_SEES), Recipient("DNPJ", DNPJ_SEES)]


def raise_overlap(db: Database, key: str = "investigation:1|investigation:2", *,
                  recipients: list[Recipient] | None = None,
                  staff_view: dict[str, Any] | None = None,
                  severity: AlertSeverity = AlertSeverity.HIGH,
                  kind: AlertKind = AlertKind.TARGET_OVERLAP, title: str = TITLE,
                  now: datetime | None = None) -> RaiseResult:
    """Raise as the deconfliction stage does: in a write passage of the gate."""
    access = Access(db, principal("OFAST", Role.LIAISON, username="liaison.ofast"))
    event = AuditEvent(AuditAction.INVESTIGATION_WRITE, objects=["investigation:1"])
    with access.writing(Permission.INVESTIGATION_WRITE, event) as p:
        return raise_alert(p.conn, kind=kind, key=key, severity=severity, title=title,
                           recipients=overlap_recipients() if recipients is None
                           else recipients,
                           staff_view=STAFF_VIEW if staff_view is None else staff_view,
                           author="deconflict", now=now, principal=access.principal)


def operator(db: Database) -> Access:
    return Access(db, principal("EMCO", Role.OPERATOR, clearance=Protection.DR,
                                username="op.emco"))


def liaison(db: Database, agency: str) -> Access:
    return Access(db, principal(agency, Role.LIAISON, username=f"liaison.{agency.lower()}"))


def analyst(db: Database, agency: str) -> Access:
    return Access(db, principal(agency, Role.ANALYST, username=f"ana.{agency.lower()}"))


def audit_rows(db: Database, prefix: str = "alerts:") -> list[dict[str, Any]]:
    with db.read() as conn:
        return [r for r in audit_store.rows(conn) if r["action"].startswith(prefix)]


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


# --- a real webhook endpoint ------------------------------------------------------------

@dataclass
class Received:
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HookServer:
    """What the endpoint received, and the statuses it answers with next (200 when none
    is queued); `delay` seconds before answering."""

    base: str  # http://127.0.0.1:PORT: any path under it answers
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0

    def url(self, path: str = "/emco/hook") -> str:
        return self.base + path


@pytest.fixture
def hook_server() -> Iterator[HookServer]:
    state = HookServer(base="")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            with lock:
                headers = {k.lower(): v for k, v in self.headers.items()}
                state.received.append(Received(self.path, headers, raw))
                status = state.statuses.pop(0) if state.statuses else 200
            if state.delay:
                threading.Event().wait(state.delay)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)
