"""The server-rendered pages: login, search, record, errors, language, security."""

import re
from http.cookies import SimpleCookie
from urllib.parse import parse_qs, urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from emco.access import records
from emco.web.deps import LOCALE_COOKIE, SESSION_COOKIE
from emco.web.security import CSRF_COOKIE
from tests.web.conftest import (
    H3_CONDITION,
    PASSWORD,
    WHY,
    WHY_Q,
    Page,
    World,
    csrf,
    form_login,
    login,
    parse,
)


def _set_cookies(response_headers: list[str]) -> SimpleCookie:
    jar = SimpleCookie()
    for header in response_headers:
        jar.load(header)
    return jar


def _page(client: TestClient, url: str, status: int = 200) -> Page:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    assert response.headers["content-type"].startswith("text/html")
    return parse(response.text)


# Login

def test_pages_need_a_session_and_remember_where_the_user_was_going(
        client: TestClient, world: World) -> None:
    record = world.ids["o-dupont"]
    for path, target in [("/search", "/login?next=/search"),
                         (f"/records/{record}", f"/login?next=/records/{record}"),
                         ("/", "/search")]:
        response = client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"] == target
    # The search a user was making survives the detour through the login page.
    response = client.get("/search?q=Jean Dupont&" + WHY_Q)
    login_url = response.headers["location"]
    page = _page(client, login_url)
    nexts = [a["value"] for tag, a in page.tags if tag == "input" and a.get("name") == "next"]
    assert nexts == ["/search?q=Jean%20Dupont&" + WHY_Q]
    response = form_login(client, next=nexts[0])
    assert response.headers["location"] == "/search?q=Jean%20Dupont&" + WHY_Q
    assert parse(client.get(response.headers["location"]).text).record_ids() == [
        world.ids["o-dupont"]]


def test_login_page_is_french_and_carries_a_csrf_token(client: TestClient) -> None:
    response = client.get("/login")
    assert response.status_code == 200
    page = parse(response.text)
    assert ("html", {"lang": "fr"}) in page.tags
    assert "Connexion" in page.text
    assert "Mot de passe" in page.text
    cookie = _set_cookies(response.headers.get_list("set-cookie"))[CSRF_COOKIE]
    assert cookie["httponly"]
    assert cookie["samesite"].lower() == "strict"
    hidden = [a["value"] for tag, a in page.tags if tag == "input"
              and a.get("name") == "csrf_token"]
    assert hidden == [cookie.value]


@pytest.mark.parametrize("token", ["", "forged-token"])
def test_login_without_the_right_csrf_token_is_refused(client: TestClient, world: World,
                                                       token: str) -> None:
    response = form_login(client, token=token)
    assert response.status_code == 403
    page = parse(response.text)
    assert "Erreur 403" in page.text
    assert "le formulaire a expiré ; rechargez la page et recommencez" in page.text
    assert SESSION_COOKIE not in client.cookies
    assert client.get("/search").status_code == 303


def test_login_without_a_csrf_cookie_is_refused(client: TestClient, world: World) -> None:
    token = csrf(client)
    client.cookies.delete(CSRF_COOKIE)
    response = form_login(client, token=token)  # a form replayed from another browser
    assert response.status_code == 403
    assert SESSION_COOKIE not in client.cookies


def test_login_sets_an_httponly_samesite_cookie_and_goes_to_next(
        client: TestClient, world: World) -> None:
    record = world.ids["o-curie"]
    response = form_login(client, next=f"/records/{record}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/records/{record}"
    cookie = _set_cookies(response.headers.get_list("set-cookie"))[SESSION_COOKIE]
    assert cookie.value
    assert cookie["httponly"]
    assert cookie["samesite"].lower() == "strict"
    assert cookie["path"] == "/"
    assert client.get(f"/records/{record}").status_code == 200


def test_login_goes_only_to_a_local_next(client: TestClient, world: World) -> None:
    for target in ["//evil.example", "//evil.example/search", "https://evil.example",
                   "http://evil.example/search", "evil.example", "javascript:alert(1)",
                   "", "search"]:
        client.cookies.delete(SESSION_COOKIE)
        response = form_login(client, next=target)
        assert response.status_code == 303
        assert response.headers["location"] == "/search", target
    # Paths a browser might read as another host stay paths on this one.
    for target in ["/\\evil.example", "/\t/evil.example", "/%2F%2Fevil.example"]:
        client.cookies.delete(SESSION_COOKIE)
        location = form_login(client, next=target).headers["location"]
        assert location.startswith("/"), target
        assert not location.startswith("//"), target
        assert "\\" not in location, target
        assert not any(c in location for c in "\t\r\n"), target
        assert urlsplit(location).netloc == "", target


def test_wrong_password_shows_the_form_again_with_the_reason(client: TestClient,
                                                              world: World) -> None:
    response = form_login(client, password="not the password")
    assert response.status_code == 401
    page = parse(response.text)
    assert "identifiant ou mot de passe incorrect" in page.by_class["error"]
    assert ("input", {"id": "username", "name": "username", "autocomplete": "username",
                      "required": "", "autofocus": "", "value": world.ofast_user}) in page.tags
    assert SESSION_COOKIE not in client.cookies


def test_logout_ends_the_session(client: TestClient, world: World) -> None:
    form_login(client)
    assert client.get("/search").status_code == 200
    refused = client.post("/logout", data={"csrf_token": "forged"})
    assert refused.status_code == 403
    assert client.get("/search").status_code == 200
    response = client.post("/logout", data={"csrf_token": csrf(client)})
    assert response.status_code == 303
    assert response.headers["location"] == "/login"
    assert client.get("/search").status_code == 303


# Search and record

def test_search_page_lists_the_records_with_links(client: TestClient, world: World) -> None:
    form_login(client)
    page = _page(client, "/search?q=dupont&motif=verification&case_ref=PV-1")
    assert page.tables["results"] == [
        ["Jean Dupont", "Personne", "OFAST", "B2", "H1"]]
    assert page.record_ids() == [world.ids["o-dupont"]]  # DNPJ's namesake is not there
    assert ("input", {"id": "q", "name": "q", "value": "dupont", "maxlength": "200",
                      "required": "", "autofocus": ""}) in page.tags
    follow = client.get(f"/records/{world.ids['o-dupont']}?{WHY_Q}")
    assert follow.status_code == 200


def test_search_page_without_query_shows_only_the_form(client: TestClient,
                                                       world: World) -> None:
    form_login(client)
    for url in ["/search", "/search?q=", "/search?q=%20%20"]:
        page = _page(client, url)
        assert "results" not in page.tables
        assert "result-count" not in page.by_id
        assert page.links("json-twin") == []


@pytest.mark.parametrize(("lang", "q", "count"), [
    ("fr", "zorglub", "0 fiche correspondante"),
    ("fr", "dupont", "1 fiche correspondante"),
    ("fr", "jean", "2 fiches correspondantes"),
    ("en", "zorglub", "0 matching records"),
    ("en", "dupont", "1 matching record"),
    ("en", "jean", "2 matching records"),
])
def test_result_count_agrees_with_the_number(client: TestClient, world: World, lang: str,
                                             q: str, count: str) -> None:
    login(client)
    page = _page(client, f"/search?q={q}&lang={lang}&motif=verification&case_ref=PV-1")
    assert page.by_id["result-count"] == count


def test_record_page_shows_each_fact_with_its_provenance(client: TestClient,
                                                         world: World) -> None:
    login(client)
    page = _page(client, f"/records/{world.ids['o-dupont']}?{WHY_Q}")
    # Property, value, as submitted, service, grade, handling, observed.
    assert sorted(page.tables["facts"]) == sorted([
        ["Nom", "Jean Dupont", "", "OFAST", "B2", "H1", "1 mars 2024"],
        ["Téléphone", "+33612345678", "06 12 34 56 78", "OFAST", "B2", "H1", "1 mars 2024"],
        ["Date de naissance", "1980-01-02", "", "OFAST", "B2", "H1", "1 mars 2024"],
    ])
    assert "condition" not in page.by_class  # only H3 carries a condition
    assert "mis en cause" in page.text  # the category, translated


def test_record_page_shows_the_h3_condition(client: TestClient, world: World) -> None:
    login(client)
    page = _page(client, f"/records/{world.ids['o-curie']}?{WHY_Q}")
    assert page.by_class["condition"] == [
        f"H3 · Condition du service propriétaire : {H3_CONDITION}"]
    assert all(row[3:6] == ["OFAST", "A1", "H3"] for row in page.tables["facts"])
    assert "marie.curie@example.org" in [row[1] for row in page.tables["facts"]]


def test_another_agencys_record_page_is_not_found(client: TestClient, world: World) -> None:
    login(client)
    theirs = world.ids["d-dupont"]
    missing = max(world.ids.values()) + 1000
    hidden = client.get(f"/records/{theirs}")
    absent = client.get(f"/records/{missing}")
    assert hidden.status_code == absent.status_code == 404
    assert parse(hidden.text).by_class["error"] == ["fiche introuvable"]
    assert hidden.text == absent.text  # the same page, to the byte


# The JSON twin

def test_search_page_json_twin_returns_the_same_records(client: TestClient,
                                                        world: World) -> None:
    login(client)
    for q in ["jean", "dupont", "06 12 34 56 78", "zorglub"]:
        response = client.get("/search", params={**WHY, "q": q})
        page = parse(response.text)
        [twin] = page.links("json-twin")
        body = client.get(twin).json()
        assert [r["id"] for r in body["records"]] == page.record_ids(), q
        assert str(body["total"]) == page.by_id["result-count"].split()[0]
        assert [r["caption"] for r in body["records"]] == [
            row[0] for row in page.tables.get("results", [])]


def test_record_page_json_twin_returns_the_same_record(client: TestClient,
                                                       world: World) -> None:
    login(client)
    for source_id in ["o-dupont", "o-curie"]:
        record_id = world.ids[source_id]
        page = _page(client, f"/records/{record_id}?{WHY_Q}")
        [twin] = page.links("json-twin")
        body = client.get(twin).json()
        assert body["id"] == record_id
        assert [f["value"] for f in body["facts"]] == [
            row[1] for row in page.tables["facts"]]
        assert body["provenance"]["grade"] == page.by_class["grade"][0]


# Language

def test_french_by_default_english_on_request_and_kept(client: TestClient,
                                                       world: World) -> None:
    page = _page(client, "/login")
    assert ("html", {"lang": "fr"}) in page.tags
    assert "Connexion" in page.text
    response = client.get("/login?lang=en")
    cookie = _set_cookies(response.headers.get_list("set-cookie"))[LOCALE_COOKIE]
    assert cookie.value == "en"
    page = parse(response.text)
    assert ("html", {"lang": "en"}) in page.tags
    assert "Log in" in page.text
    assert "Connexion" not in page.text
    # The choice is kept, through the login and on the next pages.
    form_login(client)
    page = _page(client, "/search?q=dupont&motif=verification&case_ref=PV-1")
    assert ("html", {"lang": "en"}) in page.tags
    assert "Search the shared records" in page.text
    assert page.by_id["result-count"] == "1 matching record"
    page = _page(client, "/search?q=dupont&lang=fr&motif=verification&case_ref=PV-1")
    assert "Rechercher dans les fiches partagées" in page.text
    assert "Recherche" in page.text
    assert ("html", {"lang": "fr"}) in _page(client, "/search").tags


def test_unknown_language_falls_back_to_french(client: TestClient) -> None:
    for url in ["/login?lang=de", "/login?lang=", "/login?lang=%00"]:
        page = _page(client, url)
        assert ("html", {"lang": "fr"}) in page.tags, url


def test_language_links_keep_the_page_and_its_query(client: TestClient,
                                                    world: World) -> None:
    login(client)
    page = _page(client, "/search?q=jean&lang=fr&motif=verification&case_ref=PV-1")
    [english] = [a["href"] for tag, a in page.tags if a.get("hreflang") == "en"]
    assert parse_qs(urlsplit(english).query) == {"q": ["jean"], "lang": ["en"],
                                                  "motif": ["verification"],
                                                  "case_ref": ["PV-1"]}
    page = _page(client, "/search" + english)
    assert page.by_id["result-count"] == "2 matching records"
    assert len(page.record_ids()) == 2


# Errors

def test_error_pages_speak_the_users_language(client: TestClient, world: World) -> None:
    page = _page(client, "/no-such-page", 404)
    assert ("html", {"lang": "fr"}) in page.tags
    assert "Erreur 404" in page.text
    assert "page introuvable" in page.by_class["error"]
    assert "Retour à la recherche" in page.text

    response = client.post("/search")
    assert response.status_code == 405
    assert "méthode non autorisée" in parse(response.text).by_class["error"]

    client.cookies.set(LOCALE_COOKIE, "en")
    page = _page(client, "/no-such-page", 404)
    assert ("html", {"lang": "en"}) in page.tags
    assert "Error 404" in page.text
    assert "page not found" in page.by_class["error"]
    response = form_login(client, token="forged")
    assert response.status_code == 403
    assert "the form has expired; reload the page and try again" in parse(
        response.text).by_class["error"]

    login(client)
    theirs = world.ids["d-dupont"]
    page = _page(client, f"/records/{theirs}", 404)
    assert "no such record" in page.by_class["error"]
    page = _page(client, f"/records/{theirs}?lang=fr", 404)
    assert "fiche introuvable" in page.by_class["error"]


def test_bad_page_parameters_are_error_pages_not_crashes(client: TestClient,
                                                         world: World) -> None:
    login(client)
    for url, status in [("/records/abc", 422), ("/records/99999999999999999999", 422),
                        ("/records/0", 422), ("/search?q=" + "x" * 201, 422),
                        ("/search?q=dupont&motif=%00", 422),
                        ("/search?q=dupont&case_ref=" + "c" * 101, 422),
                        ("/search?q=%00&" + WHY_Q, 200),
                        ("/search?q=%27%20OR%201%3D1--&" + WHY_Q, 200)]:
        page = _page(client, url, status)
        assert ("html", {"lang": "fr"}) in page.tags, url
    page = _page(client, "/records/abc", 422)
    assert page.by_class["error"][0] == "record_id doit être un nombre entier"


def test_login_form_odd_input_is_refused_not_crashed(client: TestClient,
                                                     world: World) -> None:
    for data, status in [({"username": "ana\x00ofast", "password": PASSWORD}, 422),
                         ({"username": "x" * 101, "password": PASSWORD}, 422),
                         ({"username": "ana.ofast"}, 422),
                         ({"username": "' OR 1=1 --", "password": "' OR 1=1 --"}, 401)]:
        response = client.post("/login", data={**data, "csrf_token": csrf(client)})
        assert response.status_code == status, data
        assert SESSION_COOKIE not in client.cookies


# Security

SECURITY_HEADERS = {"x-frame-options": "DENY", "x-content-type-options": "nosniff"}


def _check_security_headers(response: object, where: str) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, (where, name)
    csp = headers.get("content-security-policy", "")
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives.get("script-src") == "'self'", where
    assert directives.get("style-src") == "'self'", where
    assert directives.get("frame-ancestors") == "'none'", where
    assert "unsafe-inline" not in csp, where
    assert "unsafe-eval" not in csp, where


def test_security_headers_on_every_response(client: TestClient, world: World) -> None:
    record = world.ids["o-dupont"]
    anonymous = [("GET", "/"), ("GET", "/login"), ("GET", "/login?lang=en"),
                 ("GET", "/search"), ("GET", f"/records/{record}"),
                 ("POST", "/login"), ("GET", "/no-such-page"), ("GET", "/static/emco.css"),
                 ("GET", "/api/v1/me"), ("GET", "/api/openapi.json"), ("PUT", "/search")]
    for method, url in anonymous:
        _check_security_headers(client.request(method, url), f"{method} {url}")
    _check_security_headers(form_login(client, password="wrong password"), "login 401")
    _check_security_headers(form_login(client, token="forged"), "login 403")
    _check_security_headers(form_login(client), "login 303")
    for url in ["/search", "/search?q=dupont&" + WHY_Q, f"/records/{record}", "/records/abc",
                f"/records/{world.ids['d-dupont']}", "/api/v1/records?q=dupont",
                f"/api/v1/records/{record}", "/api/v1/records?q=x&limit=0"]:
        _check_security_headers(client.get(url), url)


def test_security_headers_on_an_unexpected_error(app: FastAPI, world: World,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the store fell over")

    monkeypatch.setattr(records, "search", broken)
    with TestClient(app, raise_server_exceptions=False, follow_redirects=False) as client:
        login(client)
        page = client.get("/search?q=dupont&motif=verification&case_ref=PV-1")
        assert page.status_code == 500
        assert "erreur interne ; elle a été journalisée" in parse(page.text).by_class["error"]
        assert "the store fell over" not in page.text
        _check_security_headers(page, "500 page")
        api = client.get("/api/v1/records?q=dupont")
        assert api.status_code == 500
        assert api.json() == {"error": "InternalError",
                              "message": "internal error; it has been logged", "field": None}
        _check_security_headers(api, "500 JSON")


INLINE_EVENT = re.compile(r"^on[a-z]+$")


def test_no_inline_script_or_style_in_any_page(client: TestClient, world: World) -> None:
    def pages() -> dict[str, str]:
        out = {url: client.get(url).text for url in [
            "/login", "/login?lang=en", "/no-such-page"]}
        out["login 401"] = form_login(client, password="wrong password").text
        out["login 403"] = form_login(client, token="forged").text
        form_login(client)
        for lang in ("fr", "en"):
            for url in ["/search", "/search?q=dupont&" + WHY_Q, "/search?q=zorglub&" + WHY_Q,
                        f"/records/{world.ids['o-dupont']}?{WHY_Q}",
                        f"/records/{world.ids['o-curie']}?{WHY_Q}",
                        f"/records/{world.ids['d-dupont']}", "/records/abc"]:
                out[f"{url} {lang}"] = client.get(url, params={"lang": lang}).text
        return out

    for name, html in pages().items():
        page = parse(html)
        assert page.tags, name
        assert all(a.get("src") and not body for a, body in page.scripts), name
        assert not [tag for tag, _ in page.tags if tag == "style"], name
        for tag, attrs in page.tags:
            assert "style" not in attrs, (name, tag, attrs)
            assert not [a for a in attrs if INLINE_EVENT.match(a)], (name, tag, attrs)
            assert not attrs.get("href", "").lower().startswith("javascript:"), name
