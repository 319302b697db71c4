"""Logging in on the pages (password, then the authenticator's code), lockout and rate
limits, request size limits, and service tokens on the API and the account page."""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from emco.access import totp
from emco.model.enums import Role
from emco.settings import Settings
from emco.store import audit as audit_store
from emco.store import tables
from emco.store.db import Database
from emco.web.app import create_app
from tests import factories
from tests.web.conftest import PASSWORD, Page, csrf, form_login, login, parse


@pytest.fixture
def tight(settings: Settings) -> Settings:
    return settings.model_copy(update={"login_rate": "6/minute", "hit_rate": "3/minute",
                                       "max_request_bytes": 4096})


@pytest.fixture
def client(tight: Settings, db: Database) -> Iterator[TestClient]:
    factories.user(db, "ana.ofast", "OFAST", Role.LIAISON, password=PASSWORD)
    with TestClient(create_app(tight, db), follow_redirects=False) as c:
        yield c


def _attrs(page: Page, element: str) -> dict[str, str]:
    return next(a for _, a in page.tags if a.get("id") == element)


def _actions(db: Database) -> list[str]:
    with db.read() as conn:
        return [row["action"] for row in audit_store.rows(conn)]


def test_the_login_asks_the_code_after_the_password(client: TestClient, db: Database) -> None:
    token = csrf(client)
    first = client.post("/login", data={"username": "ana.ofast", "password": PASSWORD,
                                        "csrf_token": token, "next": "/hits"})
    assert first.status_code == 303
    assert first.headers["location"] == "/login/code?next=%2Fhits"
    assert "emco_session" not in client.cookies
    assert client.get("/search").status_code == 303  # the password alone opens nothing
    page = parse(client.get("/login/code?next=/hits").text)
    assert _attrs(page, "code")["autocomplete"] == "one-time-code"
    wrong = client.post("/login/code", data={"code": "000000", "csrf_token": token,
                                             "next": "/hits"})
    assert wrong.status_code == 401
    assert "Code erroné" in parse(wrong.text).by_id["login-error"]
    right = client.post("/login/code", data={
        "code": factories.totp_code(db, "ana.ofast"), "csrf_token": token, "next": "/hits"})
    assert right.status_code == 303
    assert right.headers["location"] == "/hits"
    assert client.get("/hits").status_code == 200
    assert client.post("/login/code", data={"code": "000000", "csrf_token": "forged"}
                       ).status_code == 403  # CSRF, as on every form


def test_a_new_account_enrols_with_a_qr_code(client: TestClient, db: Database) -> None:
    factories.user(db, "new.ofast", "OFAST", Role.ANALYST, password=PASSWORD,
                   enrolled=False)
    token = csrf(client)
    first = client.post("/login", data={"username": "new.ofast", "password": PASSWORD,
                                        "csrf_token": token})
    assert first.headers["location"] == "/login/enrol?next=%2Fsearch"
    page = parse(client.get(first.headers["location"]).text)
    assert _attrs(page, "totp-qr")["src"].startswith("data:image/svg+xml")
    key = page.by_id["totp-key"].replace(" ", "")
    wrong = client.post("/login/enrol", data={"code": "123456", "csrf_token": token})
    assert wrong.status_code == 401
    assert _attrs(parse(wrong.text), "totp-qr")  # the QR code stays on the page
    done = client.post("/login/enrol", data={
        "code": totp.code_at(key, datetime.now(UTC)), "csrf_token": token})
    assert done.status_code == 303
    assert done.headers["location"] == "/search"
    assert "auth:totp:enrol" in _actions(db)


def test_a_locked_account_is_told_so_on_the_page(client: TestClient, db: Database) -> None:
    for _ in range(5):
        assert form_login(client, password="wrong password!").status_code == 401
    locked = form_login(client)  # the right password
    assert locked.status_code == 401
    assert "verrouillé" in parse(locked.text).text


def test_logins_from_one_address_are_rate_limited(client: TestClient, db: Database) -> None:
    answers = [form_login(client, username=f"who{i}", password="x" * 12).status_code
               for i in range(7)]
    assert answers == [401] * 6 + [429]
    api = client.post("/api/v1/session", json={"username": "ana.ofast",
                                                "password": PASSWORD, "code": "000000"})
    assert api.status_code == 429
    assert int(api.headers["Retry-After"]) >= 1
    assert api.json()["error"] == "TooManyRequests"
    assert _actions(db).count("auth:login:throttle") == 2


def test_hit_queries_are_rate_limited_per_user(client: TestClient, db: Database) -> None:
    login(client)
    query = {"kind": "phone", "value": "06 12 34 56 78"}
    answers = [client.post("/api/v1/hits", json=query).status_code for _ in range(4)]
    assert answers == [200, 200, 200, 429]
    page = client.post("/hits", data={"kind": "phone", "value": "06 12 34 56 78",
                                      "csrf_token": csrf(client)})
    assert page.status_code == 429  # the page counts with the API
    assert _actions(db).count("deconflict:hit:throttle") == 2


def test_oversized_bodies_are_refused(client: TestClient) -> None:
    big = {"username": "ana.ofast", "password": "x" * 5000, "code": "1"}
    response = client.post("/api/v1/session", json=big)
    assert response.status_code == 413
    assert response.text == "Content Too Large"

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it arrives
        yield b'{"username": "ana.ofast", "password": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'
    streamed = client.post("/api/v1/session", content=chunks(),
                           headers={"content-type": "application/json"})
    assert streamed.status_code == 413
    assert client.post("/login", data={"username": "x" * 5000}).status_code == 413


def test_tampered_or_foreign_cookies_open_nothing(client: TestClient) -> None:
    login(client)
    assert client.get("/api/v1/me").status_code == 200
    real = client.cookies["emco_session"]
    for forged in (real[:-2] + "xx", "", "a" * 4000, "' OR 1=1 --"):
        client.cookies.set("emco_session", forged)
        assert client.get("/api/v1/me").status_code == 401
        assert client.get("/search").status_code == 303


# --- service tokens -----------------------------------------------------------------------

def test_a_token_acts_with_its_scopes_only(client: TestClient, db: Database) -> None:
    login(client)
    made = client.post("/api/v1/tokens", json={"name": "hit robot",
                                                "scopes": ["deconflict:hit:query"],
                                                "days": 30})
    assert made.status_code == 201, made.text
    secret = made.json()["token"]
    assert secret.startswith("emco_")
    with db.read() as conn:  # only a digest is kept
        assert secret not in str(conn.execute(sa.select(tables.api_tokens)).all())
    listed = client.get("/api/v1/tokens").json()
    assert [t["name"] for t in listed] == ["hit robot"]
    assert "token" not in listed[0]

    robot = TestClient(client.app, follow_redirects=False)
    bearer = {"Authorization": f"Bearer {secret}"}
    query = {"kind": "phone", "value": "07 00 00 00 01"}
    assert robot.post("/api/v1/hits", json=query, headers=bearer).status_code == 200
    assert robot.get("/api/v1/investigations", headers=bearer).status_code == 403
    assert robot.get("/search", headers=bearer).status_code == 303  # pages take no token
    for header in (f"Bearer {secret}x", "Bearer ", "Basic YTpi", f"bearer {secret[:-1]}"):
        answer = robot.get("/api/v1/me", headers={"Authorization": header})
        assert answer.status_code == 401, header

    assert client.delete(f"/api/v1/tokens/{made.json()['id']}").status_code == 200
    assert robot.post("/api/v1/hits", json=query, headers=bearer).status_code == 401
    assert client.delete(f"/api/v1/tokens/{made.json()['id']}").status_code == 409
    actions = _actions(db)
    assert {"auth:token:create", "auth:token:revoke", "auth:token:refuse"} <= set(actions)


def test_token_requests_are_checked(client: TestClient, db: Database) -> None:
    login(client)
    for body, field in (({"name": "x", "scopes": ["admin:user:create"]}, "scope"),
                        ({"name": "x", "scopes": ["no:such:thing"]}, "scope"),
                        ({"name": "x", "scopes": []}, "scopes"),
                        ({"name": "", "scopes": ["deconflict:hit:query"]}, "name"),
                        ({"name": "x", "scopes": ["deconflict:hit:query"], "days": 400},
                         "days"),
                        ({"name": "x", "scopes": ["deconflict:hit:query"],
                          "username": "someone.else"}, None)):
        answer = client.post("/api/v1/tokens", json=body)
        assert answer.status_code in (400, 403, 422), (body, answer.text)
        if field:
            assert answer.json()["field"] == field, body


def test_an_expired_token_is_refused(client: TestClient, db: Database) -> None:
    login(client)
    secret = client.post("/api/v1/tokens", json={
        "name": "old", "scopes": ["deconflict:hit:query"]}).json()["token"]
    with db.engine.begin() as conn:
        conn.execute(sa.update(tables.api_tokens).values(
            expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    robot = TestClient(client.app)
    answer = robot.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status_code == 401
    assert "expired" in answer.json()["message"]


def test_the_account_page_makes_and_revokes_tokens(client: TestClient, db: Database) -> None:
    form_login(client)
    page = parse(client.get("/account").text)
    assert "Aucun jeton" in page.text
    made = client.post("/account/tokens", data={
        "name": "script", "scope": ["deconflict:hit:query", "alerts:alert:read"],
        "days": "7", "csrf_token": csrf(client)})
    assert made.status_code == 201
    shown = parse(made.text)
    assert shown.by_id["new-token"].count("emco_") == 1
    refused = client.post("/account/tokens", data={"name": "x", "csrf_token": csrf(client)})
    assert refused.status_code == 400
    assert "token-error" in parse(refused.text).by_id
    with db.read() as conn:
        token_id = conn.execute(sa.select(tables.api_tokens.c.id)).scalar_one()
    assert client.post(f"/account/tokens/{token_id}/revoke",
                       data={"csrf_token": csrf(client)}).status_code == 303
    assert "révoqué" in parse(client.get("/account").text).text
