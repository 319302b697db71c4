"""The resolution API: the review queue, a pair's explanation, operators' judgements and a
record's entity. Data: the `resolved` fixture (two services' records, resolved)."""

import json
import math

import sqlalchemy as sa
from fastapi.testclient import TestClient

from emco.model.enums import Verdict
from emco.store import resolution
from emco.store.tables import audit_events
from tests.web.conftest import Resolved, login

NOT_FOUND = {"error": "NotFound", "message": "no such record", "field": None}

WHY = {"motif": "enquête", "case_ref": "PV-1"}  # why a person is looked at


def _queue(client: TestClient, **params: int) -> list[dict]:
    response = client.get("/api/v1/review", params=params)
    assert response.status_code == 200, response.text
    return response.json()["pairs"]


def _pair(item: dict) -> tuple[int, int]:
    return item["left"]["record"]["id"], item["right"]["record"]["id"]


def _judge(client: TestClient, left: int, right: int, verdict: str, reason: str = "test",
           override: bool = False, status: int = 200) -> dict:
    response = client.post(f"/api/v1/pairs/{left}/{right}/judgements",
                           json={"verdict": verdict, "reason": reason, "override": override})
    assert response.status_code == status, response.text
    return response.json()


def _audit(resolved: Resolved, action: str) -> list[dict]:
    with resolved.db.read() as conn:
        rows = conn.execute(sa.select(audit_events).where(audit_events.c.action == action)
                            .order_by(audit_events.c.seq)).mappings().all()
    return [dict(r) for r in rows]


# The queue

def test_queue_lists_the_unsure_pairs_most_likely_first(client: TestClient,
                                                        resolved: Resolved) -> None:
    login(client, resolved.operator)
    body = client.get("/api/v1/review").json()
    assert body["offset"] == 0
    assert body["limit"] == 20
    assert body["next_offset"] is None
    pairs = [_pair(i) for i in body["pairs"]]
    assert sorted(pairs) == sorted(resolved.model_pairs(Verdict.UNSURE))
    scores = {(j.left, j.right): j.score for j in resolved.standing()}
    probabilities = [i["probability"] for i in body["pairs"]]
    assert probabilities == sorted(probabilities, reverse=True)
    assert probabilities == [scores[p] for p in pairs]
    assert all(0.2 <= p < 0.5 for p in probabilities)
    assert [i["position"] for i in body["pairs"]] == list(range(len(pairs)))
    entities = resolved.entities()
    for item in body["pairs"]:
        left, right = item["left"], item["right"]
        assert item["judgements"] == []  # the queue's items carry their score only
        # Both records whole, with the entity each belongs to now and its size.
        assert left["record"]["facts"]
        assert right["record"]["facts"]
        assert left["entity_id"] == entities[left["record"]["id"]]
        assert right["entity_id"] == entities[right["record"]["id"]]
        members = [r for r, e in entities.items() if e == left["entity_id"]]
        assert left["entity_records"] == len(members)
        assert item["same_entity"] == (left["entity_id"] == right["entity_id"])
        expected = left["entity_records"] if item["same_entity"] else \
            left["entity_records"] + right["entity_records"]
        assert item["records_if_merged"] == expected
        # The score's parts, and the facts side by side.
        assert {p["comparison"] for p in item["parts"]} >= {"first_name", "surname"}
        assert item["match_weight"] is not None
        assert item["facts"][0]["prop"] == "name"
        assert {f["agreement"] for f in item["facts"]} <= {
            "same", "partly", "alike", "different", "left_only", "right_only"}


def test_queue_pages(client: TestClient, resolved: Resolved) -> None:
    login(client, resolved.operator)
    everything = [_pair(i) for i in _queue(client)]
    first = client.get("/api/v1/review", params={"limit": 1}).json()
    assert [_pair(i) for i in first["pairs"]] == everything[:1]
    assert first["next_offset"] == 1
    second = _queue(client, limit=1, offset=1)
    assert [_pair(i) for i in second] == everything[1:2]
    assert second[0]["position"] == 1
    assert _queue(client, offset=len(everything)) == []


def test_queue_and_its_reading_are_audited(client: TestClient, resolved: Resolved) -> None:
    login(client, resolved.operator)
    items = _queue(client)
    [row] = _audit(resolved, "resolve:queue:read")
    assert row["username"] == resolved.operator
    assert row["result_count"] == len(items)
    assert set(json.loads(row["objects"])) == {
        f"record:{r}" for i in items for r in _pair(i)}


def test_a_judged_pair_leaves_the_queue(client: TestClient, resolved: Resolved) -> None:
    login(client, resolved.operator)
    before = [_pair(i) for i in _queue(client)]
    for verdict, pair in zip(["unsure", "negative"], before, strict=False):
        _judge(client, *pair, verdict)
    after = [_pair(i) for i in _queue(client)]
    assert after == before[2:]


# Judgements

def test_positive_merges_the_two_entities(client: TestClient, resolved: Resolved) -> None:
    login(client, resolved.operator)
    item = next(i for i in _queue(client) if not i["same_entity"])
    left, right = _pair(item)
    body = _judge(client, left, right, "positive", "même date de naissance, même téléphone")
    assert body["judgement"] == {"left": min(left, right), "right": max(left, right),
                                 "verdict": "positive", "author": resolved.operator,
                                 "reason": "même date de naissance, même téléphone"}
    [a, b] = body["entities"]
    assert a["record_id"] == left
    assert b["record_id"] == right
    assert a["entity_id"] == b["entity_id"] == resolved.entities()[left]
    assert right in [r["id"] for r in a["records"]]
    assert a["total"] == item["records_if_merged"] - 1
    # The record's entity says the same.
    entity = client.get(f"/api/v1/records/{left}/entity", params=WHY).json()
    assert entity["entity_id"] == a["entity_id"]
    assert right in [r["id"] for r in entity["records"]]
    assert left not in [r["id"] for r in entity["records"]]


def test_negative_splits_a_merged_pair(client: TestClient, resolved: Resolved) -> None:
    login(client, resolved.operator)
    entities = resolved.entities()
    left, right = next((a, b) for a, b in resolved.model_pairs(Verdict.POSITIVE)
                       if entities[a] == entities[b])
    body = _judge(client, left, right, "negative", "homonymes")
    [a, b] = body["entities"]
    assert a["entity_id"] != b["entity_id"]
    assert right not in [r["id"] for r in a["records"]]
    now = resolved.entities()
    assert now[left] != now[right]
    explained = client.get(f"/api/v1/pairs/{left}/{right}").json()
    assert explained["left_entity"] != explained["right_entity"]
    assert explained["judgements"][-1]["verdict"] == "negative"
    assert explained["judgements"][-1]["evidence"] == {"reason": "homonymes"}


def test_unsure_changes_no_entity(client: TestClient, resolved: Resolved) -> None:
    login(client, resolved.operator)
    before = resolved.entities()
    item = _queue(client)[0]
    body = _judge(client, *_pair(item), "unsure", "à vérifier")
    assert body["judgement"]["verdict"] == "unsure"
    assert resolved.entities() == before
    assert [e["entity_id"] for e in body["entities"]] == [
        before[item["left"]["record"]["id"]], before[item["right"]["record"]["id"]]]


def test_a_judgement_is_audited(client: TestClient, resolved: Resolved) -> None:
    login(client, resolved.operator)
    left, right = _pair(_queue(client)[0])
    _judge(client, left, right, "positive", "même personne")
    [row] = _audit(resolved, "resolve:judgement:create")
    assert row["username"] == resolved.operator
    assert row["outcome"] == "ok"
    assert json.loads(row["objects"]) == [f"record:{left}", f"record:{right}"]
    assert row["detail"] == "positive: même personne"
    # The entities read back afterwards are audited too.
    reads = _audit(resolved, "resolve:entity:read")
    assert json.loads(reads[-1]["objects"]) == [f"record:{left}", f"record:{right}"]


def test_contradicting_an_operator_needs_override(client: TestClient,
                                                  resolved: Resolved) -> None:
    login(client, resolved.operator)
    item = next(i for i in _queue(client) if not i["same_entity"])
    left, right = _pair(item)
    merged = _judge(client, left, right, "positive")
    assert merged["entities"][0]["entity_id"] == merged["entities"][1]["entity_id"]
    refused = _judge(client, left, right, "negative", status=409)
    assert refused["error"] == "Conflict"
    assert refused["field"] == "verdict"
    assert "already judged this pair positive" in refused["message"]
    assert resolved.entities()[left] == resolved.entities()[right]  # nothing changed
    failed = _audit(resolved, "resolve:judgement:create")[-1]
    assert failed["outcome"] == "failed"
    split = _judge(client, left, right, "negative", "erreur de saisie", override=True)
    assert split["entities"][0]["entity_id"] != split["entities"][1]["entity_id"]
    # Saying the same again needs no override.
    _judge(client, left, right, "negative", "confirmé")


def test_the_same_record_twice_is_400(client: TestClient, resolved: Resolved) -> None:
    login(client, resolved.operator)
    record = resolved.ids["o-amra"]
    response = client.post(f"/api/v1/pairs/{record}/{record}/judgements",
                           json={"verdict": "positive", "reason": "x"})
    assert response.status_code == 400
    assert response.json()["field"] == "right"
    assert client.get(f"/api/v1/pairs/{record}/{record}").status_code == 400


def test_a_missing_record_is_404(client: TestClient, resolved: Resolved) -> None:
    login(client, resolved.operator)
    missing = max(resolved.ids.values()) + 1000
    record = resolved.ids["o-amra"]
    for method, path, body in [
            ("POST", f"/api/v1/pairs/{record}/{missing}/judgements",
             {"verdict": "positive", "reason": "x"}),
            ("GET", f"/api/v1/pairs/{missing}/{record}", None),
            ("GET", f"/api/v1/review/{record}/{missing}", None),
            ("GET", f"/api/v1/records/{missing}/entity", None)]:
        response = client.request(method, path, json=body)
        assert response.status_code == 404, path
        assert response.json() == NOT_FOUND


def test_bad_judgement_input_names_the_field(client: TestClient, resolved: Resolved) -> None:
    login(client, resolved.operator)
    left, right = resolved.ids["o-martin"], resolved.ids["s-martin"]
    path = f"/api/v1/pairs/{left}/{right}/judgements"
    for body, status, field in [
            ({"verdict": "maybe", "reason": "x"}, 422, "verdict"),
            ({"reason": "x"}, 422, "verdict"),
            ({"verdict": "positive"}, 422, "reason"),
            ({"verdict": "positive", "reason": "a\x00b"}, 422, "reason"),
            ({"verdict": "positive", "reason": "x" * 1001}, 422, "reason"),
            ({"verdict": "positive", "reason": "x", "override": "perhaps"}, 422, "override"),
            ({"verdict": "positive", "reason": "   "}, 400, "reason")]:
        response = client.post(path, json=body)
        assert response.status_code == status, (body, response.text)
        assert response.json()["field"] == field, body
        assert field in response.json()["message"] or status == 400, body
    for bad in ["/api/v1/pairs/0/1", "/api/v1/pairs/abc/1", "/api/v1/review?limit=0",
                "/api/v1/review?limit=101", "/api/v1/review?offset=-1"]:
        response = client.get(bad)
        assert response.status_code == 422, bad
    assert client.get("/api/v1/pairs/x/1").json()["field"] == "left"
    assert client.get("/api/v1/pairs/1/x").json()["field"] == "right"
    assert [j for j in resolved.standing() if j.human] == []  # nothing was judged


# Explanations

def test_explanation_parts_and_prior_add_up_to_the_match_weight(
        client: TestClient, resolved: Resolved) -> None:
    login(client, resolved.operator)
    with resolved.db.read() as conn:
        _version, settings, _tf = resolution.latest_model(conn, "person")  # type: ignore[misc]
    p = settings["probability_two_random_records_match"]
    prior = math.log2(p / (1 - p))
    for left, right in resolved.model_pairs(Verdict.UNSURE) + \
            resolved.model_pairs(Verdict.POSITIVE):
        body = client.get(f"/api/v1/pairs/{left}/{right}").json()
        weights = [part["weight"] for part in body["parts"]]
        assert len(weights) >= 7
        assert math.isclose(prior + sum(weights), body["match_weight"], abs_tol=0.01)
        assert math.isclose(body["prior_weight"], prior, abs_tol=0.01)
        assert math.isclose(body["probability"], 1 / (1 + 2 ** -body["match_weight"]),
                            abs_tol=0.001)
        assert body["judgements"][0]["author"].startswith("model:")
        assert body["judgements"][0]["evidence"]["parts"] == body["parts"]
        entities = resolved.entities()
        assert (body["left_entity"], body["right_entity"]) == (entities[left],
                                                               entities[right])
        # The review's view of the pair gives the same parts.
        review = client.get(f"/api/v1/review/{left}/{right}").json()
        assert review["parts"] == body["parts"]
        assert math.isclose(review["prior_weight"], prior, abs_tol=0.01)


def test_explanation_is_audited_and_open_to_analysts(client: TestClient,
                                                     resolved: Resolved) -> None:
    login(client, resolved.analyst)  # OFAST's analyst: OFAST's records only
    left, right = resolved.ids["o-amra"], resolved.ids["o-benali"]
    body = client.get(f"/api/v1/pairs/{left}/{right}").json()
    assert body["left"] == left
    assert body["right"] == right
    [row] = _audit(resolved, "resolve:pair:explain")
    assert row["username"] == resolved.analyst
    assert json.loads(row["objects"]) == [f"record:{left}", f"record:{right}"]


# A service's liaison officer

def test_a_liaison_officer_cannot_see_the_queue(client: TestClient,
                                                resolved: Resolved) -> None:
    login(client, resolved.liaison)
    for path in ["/api/v1/review",
                 f"/api/v1/review/{resolved.ids['o-amra']}/{resolved.ids['o-benali']}"]:
        response = client.get(path)
        assert response.status_code == 403, path
        assert response.json()["error"] == "Forbidden"
    denied = _audit(resolved, "resolve:queue:read")
    assert [r["outcome"] for r in denied] == ["denied", "denied"]
    response = client.post(f"/api/v1/pairs/{resolved.ids['o-amra']}/"
                           f"{resolved.ids['o-benali']}/judgements",
                           json={"verdict": "positive", "reason": "x"})
    assert response.status_code == 403


def test_a_liaison_officer_sees_no_pair_with_another_services_record(
        client: TestClient, resolved: Resolved) -> None:
    login(client, resolved.liaison)
    own, theirs = resolved.ids["o-martin"], resolved.ids["s-martin"]
    missing = max(resolved.ids.values()) + 1000
    hidden = client.get(f"/api/v1/pairs/{own}/{theirs}")
    absent = client.get(f"/api/v1/pairs/{own}/{missing}")
    assert hidden.status_code == absent.status_code == 404
    assert hidden.json() == absent.json() == NOT_FOUND
    assert hidden.headers.keys() == absent.headers.keys()
    hidden = client.get(f"/api/v1/records/{theirs}/entity", params=WHY)
    assert hidden.status_code == 404
    assert hidden.json() == NOT_FOUND
    # Their own record's entity holds SNRP's records too, which they do not see.
    entity = client.get(f"/api/v1/records/{resolved.ids['o-amra']}/entity", params=WHY).json()
    assert entity["entity_id"] == resolved.entities()[resolved.ids["o-amra"]]
    assert entity["records"] == []
    assert entity["total"] == 0


def test_resolution_routes_need_a_session(client: TestClient, resolved: Resolved) -> None:
    left, right = resolved.ids["o-amra"], resolved.ids["s-amra"]
    for method, path in [("GET", "/api/v1/review"), ("GET", f"/api/v1/review/{left}/{right}"),
                         ("GET", f"/api/v1/pairs/{left}/{right}"),
                         ("POST", f"/api/v1/pairs/{left}/{right}/judgements"),
                         ("GET", f"/api/v1/records/{left}/entity")]:
        response = client.request(method, path)
        assert response.status_code == 401, path
