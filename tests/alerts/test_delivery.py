"""Webhook deliveries against a real HTTP server on 127.0.0.1: signed, one recipient's
disclosure per body, retried with backoff, given up after the last attempt, every attempt
audited; raising never waits for an endpoint."""

import hashlib
import hmac
import json
import socket
import time
from datetime import timedelta

import httpx

from emco.alerts.service import (
    BACKOFF,
    MAX_ATTEMPTS,
    deliver_pending,
    remove_webhook,
    resolve_alert,
    set_webhook,
)
from emco.model.enums import AlertOutcome
from emco.store import alerts as repo
from emco.store.db import Database
from tests.alerts.conftest import (
    DNPJ_SEES,
    OFAST_SEES,
    STAFF_VIEW,
    HookServer,
    audit_rows,
    liaison,
    operator,
    raise_overlap,
    utc,
)

T0 = utc(2026, 3, 2, 9, 0)
OFAST_SECRET = "ofast-shared-secret-0123456789"
DNPJ_SECRET = "dnpj-shared-secret-9876543210"


def _hooks(db: Database, server: HookServer) -> None:
    set_webhook(liaison(db, "OFAST"), "OFAST", server.url("/ofast"), OFAST_SECRET)
    set_webhook(liaison(db, "DNPJ"), "DNPJ", server.url("/dnpj"), DNPJ_SECRET)


def _verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a service's endpoint does with a delivery."""
    signed = headers["x-emco-timestamp"].encode() + b"." + body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-emco-signature"])


def _deliveries(db: Database) -> list[repo.DeliveryRow]:
    with db.read() as conn:
        return repo.deliveries(conn)


def test_each_endpoint_gets_its_own_disclosure_signed(db: Database,
                                                      hook_server: HookServer) -> None:
    _hooks(db, hook_server)
    alert_id = raise_overlap(db, now=T0).alert_id
    report = deliver_pending(db, now=T0)
    assert len(report.sent) == 2
    assert not report.retrying
    assert not report.failed
    got = {r.path: r for r in hook_server.received}
    assert sorted(got) == ["/dnpj", "/ofast"]
    for path, secret, own, other in (("/ofast", OFAST_SECRET, OFAST_SEES, DNPJ_SEES),
                                     ("/dnpj", DNPJ_SECRET, DNPJ_SEES, OFAST_SEES)):
        r = got[path]
        assert _verify(secret, r.headers, r.body)
        assert not _verify("another secret", r.headers, r.body)
        assert r.headers["x-emco-timestamp"] == str(int(T0.timestamp()))
        assert r.headers["x-emco-event"] == "raised"
        assert r.headers["content-type"] == "application/json"
        sent = r.json()
        assert sent["event"] == "raised"
        assert sent["alert"]["id"] == alert_id
        assert sent["alert"]["disclosure"] == own
        assert "staff_view" not in sent["alert"]
        assert other["case_ref"] not in r.body.decode()
        assert STAFF_VIEW["target"]["entity"] not in r.body.decode()  # type: ignore[index]
    ids = {d.agency: d.id for d in _deliveries(db)}
    assert got["/ofast"].headers["x-emco-delivery"] == str(ids["OFAST"])
    assert {(d.status, d.attempts, d.sent_at) for d in _deliveries(db)} == {("sent", 1, T0)}
    assert deliver_pending(db, now=T0 + timedelta(days=1)).sent == []  # sent once


def test_a_tampered_body_fails_the_signature(db: Database, hook_server: HookServer) -> None:
    _hooks(db, hook_server)
    raise_overlap(db, now=T0)
    deliver_pending(db, now=T0)
    r = hook_server.received[0]
    secret = OFAST_SECRET if r.path == "/ofast" else DNPJ_SECRET
    assert not _verify(secret, r.headers, r.body.replace(b"raised", b"resolved"))
    later = dict(r.headers, **{"x-emco-timestamp": str(int(T0.timestamp()) + 3600)})
    assert not _verify(secret, later, r.body)  # the timestamp is signed too


def test_a_failed_attempt_is_retried_after_the_backoff(db: Database,
                                                       hook_server: HookServer) -> None:
    set_webhook(liaison(db, "OFAST"), "OFAST", hook_server.url("/ofast"), OFAST_SECRET)
    raise_overlap(db, now=T0)
    hook_server.statuses = [500]
    first = deliver_pending(db, now=T0)
    assert len(first.retrying) == 1
    [d] = _deliveries(db)
    assert (d.status, d.attempts, d.next_attempt_at) == ("pending", 1, T0 + BACKOFF[0])
    assert d.last_error == "HTTP 500 from the endpoint"
    assert deliver_pending(db, now=T0 + BACKOFF[0] - timedelta(seconds=1)).sent == []
    assert len(hook_server.received) == 1
    second = deliver_pending(db, now=T0 + BACKOFF[0])
    assert second.sent == [d.id]
    assert len(hook_server.received) == 2
    assert hook_server.received[0].body == hook_server.received[1].body  # the same bytes
    [d] = _deliveries(db)
    assert (d.status, d.attempts, d.last_error) == ("sent", 2, None)
    rows = audit_rows(db, "alerts:alert:deliver")
    assert [(r["outcome"], r["username"]) for r in rows] == [("failed", "system:alerts"),
                                                            ("ok", "system:alerts")]
    assert "HTTP 500" in rows[0]["detail"]
    assert f"delivery:{d.id}" in rows[0]["objects"]


def test_delivery_is_given_up_after_the_last_attempt(db: Database,
                                                     hook_server: HookServer) -> None:
    set_webhook(liaison(db, "OFAST"), "OFAST", hook_server.url("/ofast"), OFAST_SECRET)
    raise_overlap(db, now=T0)
    hook_server.statuses = [503] * 10
    at = T0
    for attempt in range(1, MAX_ATTEMPTS + 1):
        report = deliver_pending(db, now=at)
        [d] = _deliveries(db)
        assert d.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            assert report.retrying == [d.id]
            assert d.next_attempt_at == at + BACKOFF[attempt - 1]
            at = d.next_attempt_at
        else:
            assert report.failed == [d.id]
    assert (d.status, d.next_attempt_at) == ("failed", None)
    assert deliver_pending(db, now=at + timedelta(days=30)).sent == []
    assert len(hook_server.received) == MAX_ATTEMPTS
    assert "given up" in audit_rows(db, "alerts:alert:deliver")[-1]["detail"]


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = int(sock.getsockname()[1])
    sock.close()
    return port


def test_raising_never_waits_for_a_dead_endpoint(db: Database) -> None:
    set_webhook(liaison(db, "OFAST"), "OFAST", f"http://127.0.0.1:{_closed_port()}/hook",
                OFAST_SECRET)
    started = time.monotonic()
    raise_overlap(db, now=T0)
    assert time.monotonic() - started < 2  # nothing is sent while raising
    report = deliver_pending(db, now=T0)
    assert len(report.retrying) == 1
    [d] = _deliveries(db)
    assert d.last_error is not None
    assert d.last_error.startswith("ConnectError")


def test_a_slow_endpoint_times_out_and_is_retried(db: Database,
                                                  hook_server: HookServer) -> None:
    set_webhook(liaison(db, "OFAST"), "OFAST", hook_server.url("/ofast"), OFAST_SECRET)
    raise_overlap(db, now=T0)
    hook_server.delay = 3
    started = time.monotonic()
    with httpx.Client(timeout=0.5) as client:
        report = deliver_pending(db, now=T0, client=client)
    assert time.monotonic() - started < 2.5
    assert len(report.retrying) == 1
    [d] = _deliveries(db)
    assert d.last_error is not None
    assert "Timeout" in d.last_error


def test_a_new_secret_signs_the_retries(db: Database, hook_server: HookServer) -> None:
    set_webhook(liaison(db, "OFAST"), "OFAST", hook_server.url("/ofast"), OFAST_SECRET)
    raise_overlap(db, now=T0)
    hook_server.statuses = [500]
    deliver_pending(db, now=T0)
    rotated = "a-brand-new-secret-for-ofast"
    set_webhook(liaison(db, "OFAST"), "OFAST", hook_server.url("/new"), rotated)
    deliver_pending(db, now=T0 + BACKOFF[0])
    last = hook_server.received[-1]
    assert last.path == "/new"
    assert _verify(rotated, last.headers, last.body)


def test_a_removed_endpoint_gives_its_deliveries_up(db: Database,
                                                    hook_server: HookServer) -> None:
    set_webhook(liaison(db, "OFAST"), "OFAST", hook_server.url("/ofast"), OFAST_SECRET)
    raise_overlap(db, now=T0)
    remove_webhook(liaison(db, "OFAST"), "OFAST")
    report = deliver_pending(db, now=T0)
    assert len(report.failed) == 1
    assert hook_server.received == []
    [d] = _deliveries(db)
    assert (d.status, d.last_error) == ("failed",
                                        "the service has no webhook endpoint any more")


def test_resolution_is_delivered_to_every_recipient(db: Database,
                                                    hook_server: HookServer) -> None:
    _hooks(db, hook_server)
    alert_id = raise_overlap(db, now=T0).alert_id
    deliver_pending(db, now=T0)
    resolve_alert(operator(db), alert_id, AlertOutcome.LEAD_DESIGNATED, "l'OFAST mène",
                  lead_agency="OFAST")
    deliver_pending(db)
    resolved = [r.json() for r in hook_server.received if r.headers["x-emco-event"]
                == "resolved"]
    assert len(resolved) == 2
    for sent in resolved:
        assert sent["resolution"] == {"outcome": "lead_designated", "lead_agency": "OFAST",
                                      "note": "l'OFAST mène"}
    assert {json.dumps(s["alert"]["disclosure"], sort_keys=True) for s in resolved} == {
        json.dumps(OFAST_SEES, sort_keys=True), json.dumps(DNPJ_SEES, sort_keys=True)}
