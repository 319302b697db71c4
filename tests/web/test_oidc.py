"""Logging in through an OpenID Connect provider, against the small provider of
`oidc_idp.py` served over HTTP: EMCO fetches its discovery document and keys and exchanges
the code for real (Authlib is not mocked). The test client plays the browser: it follows
EMCO's redirect to the provider with httpx, and the provider's redirect back to EMCO.

Each test runs on SQLite and PostgreSQL (the `db` fixture), but the one in Chromium (on
SQLite: the browser's cookie rules are what it checks). The pages are asked in English
(the language cookie), so that the messages can be read here; one test reads the French.
The `emco user link-oidc` command is run in-process, as in tests/test_cli.py."""

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import playwright.sync_api as playwright_api
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.testing import CliRunner, Result

from emco.access import auth, oidc, oidc_login
from emco.access.gate import Access
from emco.cli import app as cli_app
from emco.errors import Unauthenticated
from emco.model.enums import Role
from emco.settings import Settings, get_settings
from emco.store import audit as audit_store
from emco.store import tables, users
from emco.store.db import Database
from emco.web.app import create_app
from emco.web.oidc import FLOW_COOKIE
from tests import factories
from tests.web.conftest import PASSWORD, csrf, login, parse
from tests.web.oidc_idp import CLIENT_ID, CLIENT_SECRET, IdentityProvider, Plan, serving

CHROMIUM = Path("/usr/bin/chromium")  # Debian's, as in test_browser.py
ANA = "ana.ofast"
SUBJECT = "sub-ana"


@pytest.fixture
def idp(request: pytest.FixtureRequest) -> Iterator[IdentityProvider]:
    """The provider, at 127.0.0.1 unless the test names another host (`indirect`)."""
    with serving(getattr(request, "param", "127.0.0.1")) as provider:
        yield provider


@pytest.fixture
def settings(db: Database, tmp_path: Path, idp: IdentityProvider) -> Settings:
    """The settings of tests/conftest.py, with the provider configured."""
    return Settings(database_url=db.url, data_dir=tmp_path / "var", oidc_issuer=idp.url,
                    oidc_client_id=CLIENT_ID, oidc_client_secret=CLIENT_SECRET,
                    oidc_label="Test IdP")


@pytest.fixture
def client(client: TestClient) -> TestClient:
    """The logged-out browser of tests/web/conftest.py, reading pages in English."""
    assert client.get("/login?lang=en").status_code == 200
    return client


@pytest.fixture
def trusting(settings: Settings, db: Database) -> Iterator[TestClient]:
    """A browser of an EMCO that trusts the provider's second factor."""
    app = create_app(settings.model_copy(update={"oidc_trust_idp_mfa": True}), db)
    with TestClient(app, follow_redirects=False) as browser:
        assert browser.get("/login?lang=en").status_code == 200
        yield browser


@pytest.fixture
def ana(db: Database, idp: IdentityProvider) -> str:
    """OFAST's analyst, her authenticator enrolled, linked to her subject at the provider."""
    factories.user(db, ANA, "OFAST", Role.ANALYST, password=PASSWORD)
    oidc_login.link(_admin(db), ANA, SUBJECT, idp.url)
    return ANA


def _admin(db: Database) -> Access:
    return Access(db, auth.cli_principal("EMCO", frozenset({Role.ADMIN})))


def _to_provider(client: TestClient, next: str | None = None) -> str:
    """Click "Sign in with ...": the provider's authorization address."""
    response = client.get("/login/oidc", params={"next": next} if next else None)
    assert response.status_code == 303, response.text
    return response.headers["location"]


def _at_provider(address: str) -> str:
    """What the provider sends the browser back to (it asks nothing of the person)."""
    response = httpx.get(address, follow_redirects=False)
    assert response.status_code == 302, response.text
    back = response.headers["location"]
    assert back.startswith("http://testserver/login/oidc/callback?"), back
    return back


def _sign_in(client: TestClient, next: str | None = None) -> httpx.Response:
    """The whole round trip; the answer of EMCO's callback."""
    return client.get(_at_provider(_to_provider(client, next)))


def _continue(response: httpx.Response) -> str:
    """Where the page that sets the cookies after the provider moves on to by itself."""
    assert response.status_code == 200, response.text
    page = parse(response.text)
    refresh = [a for tag, a in page.tags if tag == "meta" and a.get("http-equiv") == "refresh"]
    target = next(a["href"] for tag, a in page.tags if tag == "a" and a.get("id") == "continue")
    assert refresh[0]["content"] == f"0; url={target}"
    return target


def _log(db: Database) -> list[dict[str, Any]]:
    with db.read() as conn:
        return list(audit_store.rows(conn))


def _forget(client: TestClient, db: Database) -> None:
    """End every session, and drop the browser's pending one: a fresh start, so that a
    refusal can be seen to open none."""
    client.cookies.delete("emco_pending")
    with db.write() as conn:
        conn.execute(sa.update(tables.sessions).values(ended_at=sa.func.now()))


def _open_sessions(db: Database) -> int:
    with db.read() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(tables.sessions)
                                .where(tables.sessions.c.ended_at.is_(None))).scalar_one())


# --- the login page ------------------------------------------------------------------


def test_the_login_page_offers_the_provider(client: TestClient) -> None:
    page = parse(client.get("/login?next=/hits").text)
    assert "/login/oidc?next=/hits" in page.links()
    assert page.by_id["oidc-login"] == "Sign in with Test IdP"
    french = parse(client.get("/login?lang=fr").text)
    assert french.by_id["oidc-login"] == "Se connecter avec Test IdP"


def test_without_a_provider_there_is_no_button(db: Database, tmp_path: Path) -> None:
    app = create_app(Settings(database_url=db.url, data_dir=tmp_path / "var"), db)
    with TestClient(app, follow_redirects=False) as browser:
        assert "oidc-login" not in parse(browser.get("/login").text).by_id
        assert browser.get("/login/oidc").status_code == 404
        assert browser.get("/login/oidc/callback?code=x&state=y").status_code == 404


# --- logins that succeed ------------------------------------------------------------


def test_provider_then_code_then_session(client: TestClient, db: Database,
                                         idp: IdentityProvider, ana: str) -> None:
    back = _sign_in(client, next="/hits")
    assert FLOW_COOKIE not in client.cookies  # the login under way is over
    assert "emco_session" not in client.cookies
    assert client.cookies.get("emco_pending")
    target = _continue(back)
    assert target == "/login/code?next=%2Fhits"
    assert client.get(target).status_code == 200
    done = client.post("/login/code", data={"code": factories.totp_code(db, ana),
                                            "csrf_token": csrf(client), "next": "/hits"})
    assert done.status_code == 303
    assert done.headers["location"] == "/hits"
    assert client.get("/search").status_code == 200
    # The round trip had its state, its nonce and PKCE S256, and the secret went along.
    asked = idp.authorize_requests[0]
    assert asked["code_challenge_method"] == "S256"
    assert asked["nonce"] == idp.issued[0]["nonce"]
    assert asked["scope"] == "openid profile email"
    assert idp.token_requests[0]["code_verifier"]
    actions = [(r["action"], r["username"]) for r in _log(db)]
    assert actions[-2:] == [("auth:login:oidc", ana), ("auth:login:success", ana)]
    assert f"subject {SUBJECT} of {idp.url}" in _log(db)[-2]["detail"]


def test_first_login_through_the_provider_enrols_the_second_factor(
        client: TestClient, db: Database, idp: IdentityProvider) -> None:
    factories.user(db, "new.ofast", "OFAST", Role.ANALYST, enrolled=False)
    oidc_login.link(_admin(db), "new.ofast", "sub-new", idp.url)
    idp.plan = Plan(subject="sub-new", username="new.ofast")
    target = _continue(_sign_in(client))
    assert target == "/login/enrol?next=%2Fsearch"
    assert client.get(target).status_code == 200  # the QR code to scan
    done = client.post("/login/enrol", data={"code": factories.totp_code(db, "new.ofast"),
                                             "csrf_token": csrf(client)})
    assert done.status_code == 303
    assert client.get("/search").status_code == 200


def test_a_trusted_provider_second_factor_opens_the_session(
        trusting: TestClient, client: TestClient, db: Database, idp: IdentityProvider,
        ana: str) -> None:
    login(client, ana)  # a session opened with the password, in another browser
    idp.plan = Plan(amr=["pwd", "mfa"])
    back = _sign_in(trusting, next="//elsewhere.example/")
    assert "emco_pending" not in trusting.cookies
    assert trusting.cookies.get("emco_session")
    assert _continue(back) == "/search"  # never another site
    assert trusting.get("/search").status_code == 200
    assert client.get("/search").status_code == 303  # one session per account
    row = _log(db)[-1]
    assert (row["action"], row["username"]) == ("auth:login:success", ana)
    assert "the provider's second factor" in row["detail"]
    assert "1 other session(s) ended" in row["detail"]


@pytest.mark.parametrize("amr", [["pwd"], ["pwd", "sms"], []])
def test_without_a_second_factor_at_the_provider_emco_asks_for_its_own(
        trusting: TestClient, idp: IdentityProvider, ana: str, amr: list[str]) -> None:
    idp.plan = Plan(amr=amr)
    assert _continue(_sign_in(trusting)).startswith("/login/code?")
    assert "emco_session" not in trusting.cookies


def test_the_provider_second_factor_is_not_trusted_unless_configured(
        client: TestClient, idp: IdentityProvider, ana: str) -> None:
    idp.plan = Plan(amr=["pwd", "otp", "hwk", "mfa"])
    assert _continue(_sign_in(client)).startswith("/login/code?")
    assert "emco_session" not in client.cookies


# --- refusals: a page that says why, an audit row, no session -------------------------


def _refused(response: httpx.Response, client: TestClient, db: Database, status: int,
             message: str, reason: str) -> None:
    assert response.status_code == status, response.text
    assert message in parse(response.text).by_class["error"][0]
    assert "emco_session" not in client.cookies
    assert "emco_pending" not in client.cookies
    assert _open_sessions(db) == 0
    row = _log(db)[-1]
    assert (row["action"], row["outcome"]) == ("auth:oidc:refuse", "denied")
    assert reason in row["detail"]


PAST = int(time.time()) - 3600


@pytest.mark.parametrize(("plan", "message", "reason"), [
    (Plan(error="access_denied"), "the identity provider refused the sign-in "
     "(access_denied)", "provider error access_denied"),
    (Plan(rogue_key=True), "the identity token's signature is not valid", "bad signature"),
    (Plan(claims={"aud": "another-client"}), "the identity token was not issued to EMCO",
     "wrong audience"),
    (Plan(claims={"aud": "another-client", "azp": CLIENT_ID}),
     "the identity token was not issued to EMCO", "wrong audience"),
    (Plan(claims={"aud": ["another-client", CLIENT_ID]}),
     "the identity token was not issued to EMCO", "wrong audience"),  # no azp
    (Plan(claims={"aud": None}), "the identity token was not issued to EMCO",
     "wrong audience"),
    (Plan(claims={"exp": PAST, "iat": PAST - 300}), "the identity token has expired",
     "expired token"),
    (Plan(claims={"nonce": None}), "the identity token does not belong to this sign-in",
     "nonce mismatch"),
    (Plan(claims={"iss": "https://another.example"}),
     "the identity token comes from another issuer", "wrong issuer"),
    (Plan(subject="sub-nobody", username="nobody"), "no EMCO account is linked to this "
     "identity", "unknown subject; subject sub-nobody"),
], ids=["provider-error", "signature", "audience", "audience-with-our-azp",
        "audiences-without-azp", "no-audience",
        "expired", "no-nonce", "issuer", "unknown-subject"])
def test_refusals(client: TestClient, db: Database, idp: IdentityProvider, ana: str,
                  plan: Plan, message: str, reason: str) -> None:
    idp.plan = plan
    _refused(_sign_in(client), client, db, 403, message, reason)
    assert FLOW_COOKIE not in client.cookies


def test_a_replayed_nonce_is_refused(client: TestClient, db: Database,
                                     idp: IdentityProvider, ana: str) -> None:
    """The provider (or whoever stands in its place) answers a new login with an ID
    token of an earlier one: its nonce is not this login's."""
    _continue(_sign_in(client))
    _forget(client, db)
    idp.plan = Plan(claims={"nonce": idp.issued[0]["nonce"]})
    _refused(_sign_in(client), client, db, 403,
             "the identity token does not belong to this sign-in", "nonce mismatch")


def test_the_provider_never_links_an_account_by_itself(
        client: TestClient, db: Database, idp: IdentityProvider) -> None:
    factories.user(db, ANA, "OFAST", Role.ANALYST, password=PASSWORD)
    idp.plan = Plan(subject="sub-ana-new", username=ANA)
    _refused(_sign_in(client), client, db, 403,
             f"the EMCO account {ANA} is not linked to this identity yet: an administrator "
             "must link it", f"account {ANA} not linked")
    with db.read() as conn:
        assert users.by_oidc(conn, idp.url, "sub-ana-new") is None
        assert users.by_username(conn, ANA).oidc_subject is None  # type: ignore[union-attr]


def test_disabled_and_locked_accounts_are_refused(client: TestClient, db: Database,
                                                  idp: IdentityProvider, ana: str) -> None:
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            auth.check_password(db, ana, "not the password at all")
    _refused(_sign_in(client), client, db, 403, "this EMCO account is locked",
             "account locked")
    assert _log(db)[-1]["username"] == ana
    auth.unlock(_admin(db), ana)
    with db.write() as conn:
        conn.execute(sa.update(tables.users).values(active=False))
    _refused(_sign_in(client), client, db, 403, "this EMCO account is disabled",
             "account disabled")


def test_a_missing_or_forged_state_is_refused(client: TestClient, db: Database,
                                              idp: IdentityProvider, ana: str) -> None:
    back = _at_provider(_to_provider(client))
    without_state = back.replace("state=", "x=")
    _refused(client.get(without_state), client, db, 400,
             "this sign-in was not started in this browser", "missing state")
    back = _at_provider(_to_provider(client))
    forged = back.replace("state=", "state=forged")
    _refused(client.get(forged), client, db, 400, "not started in this browser",
             "state does not match")


def test_a_callback_in_another_browser_is_refused(client: TestClient, app: Any,
                                                  db: Database, ana: str) -> None:
    """Login CSRF: a link back from the provider made in one browser (an attacker's, with
    the attacker's code) does not log in another."""
    back = _at_provider(_to_provider(client))
    with TestClient(app, follow_redirects=False) as victim:
        victim.get("/login?lang=en")
        _refused(victim.get(back), victim, db, 400, "not started in this browser",
                 "no sign-in under way in this browser")


def test_a_callback_serves_once(client: TestClient, db: Database, ana: str) -> None:
    back = _at_provider(_to_provider(client))
    state = dict(client.cookies.items())[FLOW_COOKIE]
    _continue(client.get(back))
    _forget(client, db)
    client.cookies.set(FLOW_COOKIE, state, path="/login/oidc")  # the cookie kept too
    _refused(client.get(back), client, db, 400, "not started in this browser",
             "unknown or expired state")


def test_a_late_callback_is_refused(client: TestClient, db: Database, ana: str,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    back = _at_provider(_to_provider(client))
    monkeypatch.setattr(oidc, "FLOW_SECONDS", 0)  # now every login under way is too old
    _refused(client.get(back), client, db, 400, "or has expired", "unknown or expired state")


def test_an_unreachable_provider_is_a_bad_gateway(db: Database, tmp_path: Path) -> None:
    with serving() as stopped:
        pass  # a provider that stopped: nobody answers at its address any more
    app = create_app(Settings(database_url=db.url, data_dir=tmp_path / "var",
                              oidc_issuer=stopped.url, oidc_client_id=CLIENT_ID,
                              default_locale="en"), db)
    with TestClient(app, follow_redirects=False) as browser:
        response = browser.get("/login/oidc")
        _refused(response, browser, db, 502, "the identity provider cannot be reached",
                 "provider unreachable")


def test_refusals_are_translated(client: TestClient, db: Database,
                                 idp: IdentityProvider) -> None:
    client.get("/login?lang=fr")
    idp.plan = Plan(subject="sub-nobody")
    response = _sign_in(client)
    assert response.status_code == 403
    assert "aucun compte EMCO" in parse(response.text).by_class["error"][0]


# --- settings ------------------------------------------------------------------------


@pytest.mark.parametrize(("changes", "problem"), [
    ({"oidc_issuer": "http://idp.example"}, "EMCO_OIDC_ISSUER must be an https://"),
    ({"oidc_scopes": "profile email"}, "EMCO_OIDC_SCOPES must include openid"),
    ({"oidc_redirect_url": "http://emco.example/login/oidc/callback"},
     "EMCO_OIDC_REDIRECT_URL must be an https://"),
])
def test_settings_refuse_an_unsafe_provider(changes: dict[str, str], problem: str) -> None:
    base = {"oidc_issuer": "https://idp.example", "oidc_client_id": "emco"}
    with pytest.raises(ValidationError, match=problem):
        Settings(**{**base, **changes})  # type: ignore[arg-type]
    assert not Settings(oidc_issuer="https://idp.example").oidc_enabled  # no client id


# --- the command that links accounts ---------------------------------------------------


runner = CliRunner()


def _emco(*args: str) -> Result:
    get_settings.cache_clear()
    return runner.invoke(cli_app, list(args))


@pytest.fixture
def cli(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The `emco` command over `db`, with the provider of the settings."""
    for name in list(os.environ):
        if name.startswith("EMCO_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("EMCO_DATABASE_URL", db.url)
    monkeypatch.setenv("EMCO_DATA_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("EMCO_OIDC_ISSUER", "https://idp.example")
    monkeypatch.setenv("EMCO_OIDC_CLIENT_ID", "emco")
    yield
    get_settings.cache_clear()


def _link(db: Database, username: str) -> tuple[str | None, str | None]:
    with db.read() as conn:
        user = users.by_username(conn, username)
    assert user is not None
    return user.oidc_issuer, user.oidc_subject


def test_the_command_links_and_unlinks(cli: None, db: Database) -> None:
    factories.user(db, ANA, "OFAST", Role.ANALYST)
    factories.user(db, "bob.ofast", "OFAST", Role.ANALYST)
    linked = _emco("user", "link-oidc", ANA, "--subject", SUBJECT)
    assert linked.exit_code == 0, linked.output
    assert _link(db, ANA) == ("https://idp.example", SUBJECT)
    other = _emco("user", "link-oidc", "bob.ofast", "--subject", "sub-bob",
                  "--issuer", "https://other.example")
    assert other.exit_code == 0, other.output
    assert _link(db, "bob.ofast") == ("https://other.example", "sub-bob")
    again = _emco("user", "link-oidc", ANA, "--subject", "sub-2")
    assert again.exit_code == 2
    assert "already linked to subject sub-ana" in again.stderr
    taken = _emco("user", "link-oidc", "bob.ofast", "--subject", SUBJECT)
    assert taken.exit_code == 2  # bob is linked already
    auth.login(db, ANA, PASSWORD, factories.totp_code(db, ANA))
    unlinked = _emco("user", "link-oidc", ANA, "--unlink")
    assert unlinked.exit_code == 0, unlinked.output
    assert _link(db, ANA) == (None, None)
    assert _open_sessions(db) == 0  # the account's sessions ended with the link
    assert _emco("user", "link-oidc", ANA, "--unlink").exit_code == 2
    actions = [r["action"] for r in _log(db) if r["action"].startswith("admin:oidc")]
    assert actions == ["admin:oidc:link", "admin:oidc:link", "admin:oidc:link",
                       "admin:oidc:link", "admin:oidc:unlink", "admin:oidc:unlink"]


def test_the_command_refuses_what_it_cannot_link(cli: None, db: Database,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    factories.user(db, ANA, "OFAST", Role.ANALYST)
    factories.user(db, "bob.ofast", "OFAST", Role.ANALYST)
    assert _emco("user", "link-oidc", ANA, "--subject", SUBJECT).exit_code == 0
    taken = _emco("user", "link-oidc", "bob.ofast", "--subject", SUBJECT)
    assert taken.exit_code == 2
    assert f"this subject is already linked to {ANA}" in taken.stderr
    nobody = _emco("user", "link-oidc", "nobody", "--subject", "sub-x")
    assert nobody.exit_code == 2
    assert "no user nobody" in nobody.stderr
    assert _emco("user", "link-oidc", "bob.ofast").exit_code == 2  # no --subject
    bad = _emco("user", "link-oidc", "bob.ofast", "--subject", "a\nb")
    assert bad.exit_code == 2
    monkeypatch.delenv("EMCO_OIDC_ISSUER")
    monkeypatch.delenv("EMCO_OIDC_CLIENT_ID")
    unset = _emco("user", "link-oidc", "bob.ofast", "--subject", "sub-bob")
    assert unset.exit_code == 2
    assert "give --issuer, or set EMCO_OIDC_ISSUER" in unset.stderr


# --- in a real browser ---------------------------------------------------------------


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
@pytest.mark.parametrize("idp", ["localhost"], indirect=True)
def test_in_a_browser_from_another_site(live_server: str, db: Database,
                                        idp: IdentityProvider, ana: str) -> None:
    """Chromium, with the provider on another site (localhost) than EMCO (127.0.0.1),
    where the person clicks to come back: the browser must bring the login's cookie back
    from the provider (SameSite=Lax), then the pending session's (SameSite=Strict) to the
    code form, which it would not along redirects begun on the provider's site."""
    idp.interactive = True
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page()
            page.set_default_timeout(5000)
            expect = playwright_api.expect
            page.goto(f"{live_server}/login?lang=en&next=/hits")
            page.click("#oidc-login")
            page.click("#approve")  # at the provider
            expect(page.locator("h1")).to_have_text("Second factor")
            page.fill("#code", factories.totp_code(db, ana))
            page.get_by_role("button", name="Confirm").click()
            expect(page).to_have_url(f"{live_server}/hits")
        finally:
            browser.close()
    assert idp.token_requests  # the code was exchanged
