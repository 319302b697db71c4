"""The REST API: sessions, search, records, errors as JSON, the OpenAPI document."""

from http.cookies import SimpleCookie

from fastapi.testclient import TestClient

from emco.web.deps import SESSION_COOKIE
from tests import factories
from tests.web.conftest import PASSWORD, World, login

API_ROUTES = {
    "/api/v1/session": {"post", "delete"},
    "/api/v1/tokens": {"get", "post"},
    "/api/v1/audit": {"get"},
    "/api/v1/audit/export": {"get"},
    "/api/v1/tokens/{token_id}": {"delete"},
    "/api/v1/me": {"get"},
    "/api/v1/agencies": {"get"},
    "/api/v1/records": {"get"},
    "/api/v1/records/{record_id}": {"get"},
    "/api/v1/records/{record_id}/entity": {"get"},
    "/api/v1/review": {"get"},
    "/api/v1/review/{left}/{right}": {"get"},
    "/api/v1/pairs/{left}/{right}": {"get"},
    "/api/v1/pairs/{left}/{right}/judgements": {"post"},
    "/api/v1/alerts": {"get"},
    "/api/v1/alerts/{alert_id}": {"get"},
    "/api/v1/alerts/{alert_id}/acknowledgements": {"post"},
    "/api/v1/alerts/{alert_id}/resolution": {"post"},
    "/api/v1/agencies/{code}/webhook": {"put", "delete"},
    "/api/v1/operations": {"get", "post"},
    "/api/v1/operations/map": {"get"},
    "/api/v1/operations/{operation_id}": {"get", "patch"},
    "/api/v1/operations/{operation_id}/targets": {"post"},
    "/api/v1/investigations": {"get", "post"},
    "/api/v1/investigations/{investigation_id}": {"get", "patch"},
    "/api/v1/investigations/{investigation_id}/targets": {"post"},
    "/api/v1/investigations/{investigation_id}/targets/{target_id}": {"delete"},
    "/api/v1/hits": {"post"},
    "/api/v1/networks": {"get"},
    "/api/v1/networks/run": {"post"},
    "/api/v1/networks/{network_id}": {"get"},
    "/api/v1/entities/{entity_id}/neighbourhood": {"get"},
    "/api/v1/paths": {"get"},
    "/api/v1/risk": {"get"},
    "/api/v1/risk/run": {"post"},
    "/api/v1/risk/{entity_id}": {"get"},
    "/api/v1/risk/{entity_id}/decisions": {"post"},
    "/api/v1/handling-requests": {"get", "post"},
    "/api/v1/handling-requests/{request_id}/decision": {"post"},
    "/api/v1/handling-requests/{request_id}/withdrawal": {"post"},
    "/api/v1/entities/{entity_id}/judicial-export": {"get"},
    "/api/v1/retention/run": {"post"},
}

WHY = {"motif": "enquête", "case_ref": "PV-1"}  # why a person is looked at


def _cookie(response_header: str, name: str) -> dict[str, str | bool]:
    jar = SimpleCookie()
    jar.load(response_header)
    morsel = jar[name]
    return {"value": morsel.value, "httponly": bool(morsel["httponly"]),
            "samesite": morsel["samesite"], "path": morsel["path"]}


def _ids(body: dict[str, object]) -> list[int]:
    return [r["id"] for r in body["records"]]  # type: ignore[attr-defined]


# Sessions

def test_session_opens_with_good_credentials(client: TestClient, world: World) -> None:
    db = client.app.state.db  # type: ignore[attr-defined]
    response = client.post("/api/v1/session", json={
        "username": world.ofast_user, "password": PASSWORD,
        "code": factories.totp_code(db, world.ofast_user)})
    assert response.status_code == 200
    assert response.json() == {"username": world.ofast_user, "agency": "OFAST",
                               "roles": ["analyst"], "clearance": "NP"}
    cookie = _cookie(response.headers["set-cookie"], SESSION_COOKIE)
    assert cookie["httponly"] is True
    assert str(cookie["samesite"]).lower() == "strict"
    assert client.get("/api/v1/me").json()["username"] == world.ofast_user


def test_session_refused_with_bad_credentials(client: TestClient, world: World) -> None:
    refused = {"error": "Unauthenticated", "message": "wrong username or password",
               "field": None}
    for username, password in [(world.ofast_user, "wrong password!"),
                               ("nobody.here", PASSWORD), (world.ofast_user, ""), ("", ""),
                               (world.ofast_user.upper(), PASSWORD)]:
        response = client.post("/api/v1/session", json={"username": username,
                                                        "password": password})
        # The same answer for an unknown user and a wrong password: nothing to enumerate.
        assert (response.status_code, response.json()) == (401, refused), username
        assert "set-cookie" not in response.headers
    assert client.get("/api/v1/me").status_code == 401


def test_me_returns_the_logged_in_principal(client: TestClient, world: World) -> None:
    login(client, world.dnpj_user)
    assert client.get("/api/v1/me").json() == {
        "username": world.dnpj_user, "agency": "DNPJ", "roles": ["analyst"],
        "clearance": "NP"}


def test_every_route_but_login_needs_a_session(client: TestClient, world: World) -> None:
    record = world.ids["o-dupont"]
    for method, path in [("GET", "/api/v1/me"), ("GET", "/api/v1/agencies"),
                         ("GET", "/api/v1/records?q=dupont"),
                         ("GET", f"/api/v1/records/{record}"),
                         ("DELETE", "/api/v1/session")]:
        response = client.request(method, path)
        # A JSON answer, never the login page's redirect.
        assert response.status_code == 401, path
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {"error": "Unauthenticated", "message": "please log in",
                                   "field": None}


def test_a_forged_session_cookie_is_refused(client: TestClient, world: World) -> None:
    client.cookies.set(SESSION_COOKIE, "not-a-session")
    assert client.get("/api/v1/me").status_code == 401


def test_delete_session_logs_out_for_good(client: TestClient, world: World) -> None:
    login(client)
    token = client.cookies[SESSION_COOKIE]
    response = client.delete("/api/v1/session")
    assert response.status_code == 204
    assert _cookie(response.headers["set-cookie"], SESSION_COOKIE)["value"] == ""
    assert client.get("/api/v1/me").status_code == 401
    client.cookies.set(SESSION_COOKIE, token)  # the old token, replayed, is dead
    assert client.get("/api/v1/me").status_code == 401


# Search and records

def test_search_by_name_finds_only_own_agency_records(client: TestClient,
                                                      world: World) -> None:
    login(client)
    for q in ["DUPONT", "Dupônt", "jean dupont", "Dupont Jean"]:
        body = client.get("/api/v1/records", params={**WHY, "q": q}).json()
        assert _ids(body) == [world.ids["o-dupont"]], q
    response = client.get("/api/v1/records", params={**WHY, "q": "dupont"})
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "dupont"
    assert body["total"] == 1
    assert _ids(body) == [world.ids["o-dupont"]]  # not DNPJ's namesake
    record = body["records"][0]
    assert record["caption"] == "Jean Dupont"
    assert record["schema"] == "Person"
    assert record["provenance"] == {
        "agency": "OFAST", "source_id": "o-dupont", "handling": "H1",
        "handling_condition": None, "grade": "B2", "protection": "NP",
        "category": "suspect", "observed": "2024-03-01",
        "retain_until": record["provenance"]["retain_until"]}


def test_search_by_phone_in_any_format(client: TestClient, world: World) -> None:
    login(client)
    for q in ["06 12 34 56 78", "0612345678", "+33 6 12 34 56 78", "+33612345678",
              "06.12.34.56.78", "0033 6 12 34 56 78"]:
        body = client.get("/api/v1/records", params={**WHY, "q": q}).json()
        assert _ids(body) == [world.ids["o-dupont"]], q


def test_search_by_email(client: TestClient, world: World) -> None:
    login(client)
    body = client.get("/api/v1/records", params={**WHY, "q": "Marie.Curie@example.org"}).json()
    assert _ids(body) == [world.ids["o-curie"]]


def test_each_service_sees_its_own_namesake(client: TestClient, world: World) -> None:
    login(client, world.dnpj_user)
    body = client.get("/api/v1/records", params={**WHY, "q": "dupont"}).json()
    assert _ids(body) == [world.ids["d-dupont"]]


def test_limit_cuts_the_list_not_the_total(client: TestClient, world: World) -> None:
    login(client)
    full = client.get("/api/v1/records", params={**WHY, "q": "jean"}).json()
    assert full["total"] == 2
    assert sorted(_ids(full)) == sorted([world.ids["o-dupont"], world.ids["o-dupuis"]])
    cut = client.get("/api/v1/records", params={**WHY, "q": "jean", "limit": 1}).json()
    assert cut["total"] == 2
    assert len(cut["records"]) == 1


def test_no_match_is_an_empty_list(client: TestClient, world: World) -> None:
    login(client)
    assert client.get("/api/v1/records", params={**WHY, "q": "Zorglub"}).json() == {
        "query": "Zorglub", "total": 0, "records": []}


def test_get_record_with_facts_and_provenance(client: TestClient, world: World) -> None:
    login(client)
    record_id = world.ids["o-dupont"]
    response = client.get(f"/api/v1/records/{record_id}", params=WHY)
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == record_id
    assert body["caption"] == "Jean Dupont"
    assert body["provenance"]["grade"] == "B2"
    assert body["provenance"]["handling"] == "H1"
    facts = {f["prop"]: f for f in body["facts"]}
    assert facts["phone"]["value"] == "+33612345678"
    assert facts["phone"]["original_value"] == "06 12 34 56 78"
    assert facts["birthDate"]["value"] == "1980-01-02"
    assert facts["name"]["value"] == "Jean Dupont"
    assert body["batch"]
    assert body["referenced_by"] == []


def test_h3_record_carries_the_owners_condition(client: TestClient, world: World) -> None:
    login(client)
    body = client.get(f"/api/v1/records/{world.ids['o-curie']}", params=WHY).json()
    assert body["provenance"]["handling"] == "H3"
    assert body["provenance"]["handling_condition"].startswith("Ne pas diffuser hors OFAST")


def test_another_agencys_record_looks_exactly_like_a_missing_one(
        client: TestClient, world: World) -> None:
    theirs = world.ids["d-dupont"]
    missing = max(world.ids.values()) + 1000
    login(client)
    hidden = client.get(f"/api/v1/records/{theirs}", params=WHY)
    absent = client.get(f"/api/v1/records/{missing}", params=WHY)
    assert hidden.status_code == absent.status_code == 404
    assert hidden.json() == absent.json() == {"error": "NotFound",
                                              "message": "no such record", "field": None}
    assert hidden.headers.keys() == absent.headers.keys()
    # ... and the record does exist, for its own service.
    login(client, world.dnpj_user)
    assert client.get(f"/api/v1/records/{theirs}", params=WHY).status_code == 200


# Errors

BAD_PARAMETERS = [
    ("/api/v1/records?q=dupont&limit=0", "limit"),
    ("/api/v1/records?q=dupont&limit=201", "limit"),
    ("/api/v1/records?q=dupont&limit=abc", "limit"),
    ("/api/v1/records?q=dupont&limit=99999999999999999999999", "limit"),
    ("/api/v1/records", "q"),
    ("/api/v1/records?q=" + "a" * 201, "q"),
    ("/api/v1/records?q=dupont&motif=" + "m" * 501, "motif"),
    ("/api/v1/records?q=dupont&motif=a%00b", "motif"),
    ("/api/v1/records?q=dupont&case_ref=%00", "case_ref"),
    ("/api/v1/records/abc", "record_id"),
    ("/api/v1/records/1.5", "record_id"),
    ("/api/v1/records/0", "record_id"),
    ("/api/v1/records/-1", "record_id"),
    ("/api/v1/records/99999999999999999999", "record_id"),
    ("/api/v1/records/9223372036854775808", "record_id"),
    ("/api/v1/records/1?motif=%00", "motif"),
]


def test_bad_parameter_is_422_naming_the_field(client: TestClient, world: World) -> None:
    login(client)
    for path, field in BAD_PARAMETERS:
        response = client.get(path)
        assert response.status_code == 422, (path, response.text)
        body = response.json()
        assert set(body) == {"error", "message", "field"}
        assert body["error"] == "BadInput"
        assert body["field"] == field, path
        assert field in body["message"], path  # "limit must be at least 1"


def test_bad_login_body_is_422_naming_the_field(client: TestClient, world: World) -> None:
    for body, field in [
        ({"username": "ana.ofast"}, "password"),
        ({"password": PASSWORD}, "username"),
        ({"username": "a" * 101, "password": PASSWORD}, "username"),
        ({"username": "ana\x00ofast", "password": PASSWORD}, "username"),
        ({"username": ["ana.ofast"], "password": PASSWORD}, "username"),
    ]:
        response = client.post("/api/v1/session", json=body)
        assert response.status_code == 422, body
        assert response.json()["field"] == field, body


def test_login_body_that_is_not_json_is_422(client: TestClient, world: World) -> None:
    response = client.post("/api/v1/session", content=b"username=ana.ofast",
                           headers={"content-type": "application/x-www-form-urlencoded"})
    assert response.status_code == 422
    assert response.json()["error"] == "BadInput"


def test_blank_search_is_400_naming_q(client: TestClient, world: World) -> None:
    login(client)
    response = client.get("/api/v1/records", params={**WHY, "q": "   "})
    assert response.status_code == 400
    assert response.json() == {"error": "BadInput",
                               "message": "type a name or an identifier to search",
                               "field": "q"}


ODD_QUERIES = [
    "' OR 1=1 --",
    "Robert'); DROP TABLE records;--",
    "dupont' UNION SELECT password_hash FROM users --",
    "%",
    "_%_",
    "\\",
    '"',
    "a\x00b",
    "\u202e\u200b",
    "Ǆ𝔘ñí©ødé 🙂",
    "Дюпон 杜邦 دوبون",
    "１２３４５６７８",
    "@",
    "@@@.@",
    "+" * 50,
    "0" * 200,
    "FR76 3000 6000 0112 3456 7890 189",
    "AB-123-CD",
]


def test_odd_search_input_never_breaks_anything(client: TestClient, world: World) -> None:
    login(client)
    for q in ODD_QUERIES:
        response = client.get("/api/v1/records", params={**WHY, "q": q})
        assert response.status_code == 200, (q, response.text)
        assert response.json()["total"] == 0, q
    # The store is intact and the session alive afterwards.
    assert _ids(client.get("/api/v1/records", params={**WHY, "q": "dupont"}).json()) == [
        world.ids["o-dupont"]]


def test_very_long_query_is_refused(client: TestClient, world: World) -> None:
    login(client)
    for length in (201, 5000):
        response = client.get("/api/v1/records", params={**WHY, "q": "x" * length})
        assert 400 <= response.status_code < 500
        assert response.json()["field"] == "q"


def test_unknown_api_path_is_json_404(client: TestClient) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"error": "HTTPError", "message": "page not found",
                               "field": None}


def test_wrong_method_is_json_405(client: TestClient) -> None:
    response = client.put("/api/v1/me")
    assert response.status_code == 405
    assert response.json()["message"] == "method not allowed"


# The OpenAPI document

def test_openapi_document_lists_the_api_routes(client: TestClient) -> None:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["info"]["title"] == "EMCO"
    paths = {path: set(ops) for path, ops in doc["paths"].items()}
    assert paths == API_ROUTES  # and no page routes
    search = doc["paths"]["/api/v1/records"]["get"]
    assert {p["name"] for p in search["parameters"]} == {"q", "motif", "case_ref", "limit"}
    assert "ErrorOut" in doc["components"]["schemas"]
    assert "422" in search["responses"]


def test_api_docs_page_is_served(client: TestClient) -> None:
    response = client.get("/api/docs")
    assert response.status_code == 200
    assert "/api/openapi.json" in response.text
