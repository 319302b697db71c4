"""The review pages (the queue, one pair, deciding) and the record page's entity panel.
Data: the `resolved` fixture (two services' records, resolved)."""

import re
from datetime import UTC, datetime

from fastapi.testclient import TestClient

from emco.i18n import translate
from emco.model.enums import Verdict
from emco.resolve.comparisons import PERSON
from emco.resolve.review import COMPARISON_LABELS, LEVEL_LABELS
from emco.store import risk
from tests.web.conftest import (
    WHY,
    WHY_Q,
    Page,
    Resolved,
    World,
    form_login,
    login,
    parse,
)

AGREEMENTS = {"same", "partly", "different", "left_only", "right_only"}


def _page(client: TestClient, url: str, status: int = 200) -> Page:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("text/html")
    return parse(response.text)


def _queue(client: TestClient) -> list[tuple[int, int]]:
    pairs = client.get("/api/v1/review").json()["pairs"]
    return [(p["left"]["record"]["id"], p["right"]["record"]["id"]) for p in pairs]


def _first_pair_url(client: TestClient) -> str:
    response = client.get("/review/next?at=0")
    assert response.status_code == 303
    return str(response.headers["location"])


def _form(page: Page) -> dict[str, str]:
    """The hidden fields and the reason of the decision form."""
    return {a["name"]: a.get("value", "") for tag, a in page.tags
            if tag == "input" and a.get("name") in ("csrf_token", "at", "reason")}


def _rows_by_label(page: Page, table: str) -> dict[str, list[str]]:
    return {row[0]: row[1:] for row in page.tables[table]}


def _row_classes(page: Page) -> list[str]:
    return [a.get("class", "") for tag, a in page.tags
            if tag == "tr" and a.get("class", "") in AGREEMENTS]


# Who sees the review

def test_operators_have_a_review_link_others_do_not(client: TestClient,
                                                    resolved: Resolved) -> None:
    form_login(client, resolved.operator)
    assert "/review" in _page(client, "/search").links()
    for user in (resolved.liaison, resolved.analyst):
        client.cookies.clear()
        form_login(client, user)
        assert "/review" not in _page(client, "/search").links()


def test_a_liaison_officer_cannot_open_the_review_pages(client: TestClient,
                                                       resolved: Resolved) -> None:
    form_login(client, resolved.liaison)
    left, right = resolved.ids["o-amra"], resolved.ids["o-benali"]
    for url in ["/review", f"/review/{left}/{right}", "/review/next?at=0"]:
        page = _page(client, url, status=403)
        assert "Erreur 403" in page.text
    assert client.post(f"/review/{left}/{right}", data={
        "verdict": "positive", "reason": "x", "csrf_token": client.cookies["emco_csrf"]}
    ).status_code == 403
    assert [j for j in resolved.standing() if j.human] == []


# The queue

def test_queue_page_lists_the_pairs_in_the_queue_s_order(client: TestClient,
                                                         resolved: Resolved) -> None:
    form_login(client, resolved.operator)
    page = _page(client, "/review")
    assert "Paires à revoir" in page.text
    pairs = _queue(client)
    assert page.links("review-link") == [f"/review/{a}/{b}?at={n}"
                                         for n, (a, b) in enumerate(pairs)]
    rows = page.tables["queue"]
    assert [r[0] for r in rows] == [str(n + 1) for n in range(len(pairs))]
    assert all(r[3].endswith("%") for r in rows)  # the probability, as a percentage
    [twin] = page.links("json-twin")
    body = client.get(twin).json()
    assert [(p["left"]["record"]["id"], p["right"]["record"]["id"])
            for p in body["pairs"]] == pairs


def test_a_pair_touching_a_dangerous_person_comes_first(client: TestClient,
                                                        resolved: Resolved) -> None:
    form_login(client, resolved.operator)
    pairs = _queue(client)
    last = pairs[-1]
    assert "Dangerosité" not in _page(client, "/review").text  # nobody assessed yet
    entity = resolved.entities()[last[1]]
    now = datetime.now(UTC)
    with resolved.db.write() as conn:
        run = risk.start_run(conn, resolved.operator, now, "1")
        risk.write_assessments(resolved.db, conn, [
            (run, entity, 0.9, "critical", "[]", "[]", "1", now)])
    assert _queue(client) == [last, *pairs[:-1]]
    rows = _page(client, "/review").tables["queue"]
    assert rows[0][3] == "critique"  # the Dangerousness column, before the probability
    assert [r[3] for r in rows[1:]] == [""] * (len(rows) - 1)
    assert client.get("/api/v1/review").json()["pairs"][0]["danger"] == "critical"


def test_queue_page_says_when_nothing_waits(client: TestClient, resolved: Resolved) -> None:
    form_login(client, resolved.operator)
    for left, right in _queue(client):
        client.post(f"/api/v1/pairs/{left}/{right}/judgements",
                    json={"verdict": "unsure", "reason": "plus tard"})
    page = _page(client, "/review")
    assert page.by_id["queue-empty"] == "Aucune paire n'attend de décision."
    assert page.links("review-link") == []
    # With nothing left, "the next pair" is the queue itself.
    assert client.get("/review/next?at=0").headers["location"] == "/review"


# One pair

def test_pair_page_shows_both_records_the_parts_and_the_effect(client: TestClient,
                                                              resolved: Resolved) -> None:
    form_login(client, resolved.operator)
    url = _first_pair_url(client)
    left, right = map(int, re.findall(r"\d+", url.split("?")[0]))
    assert url == f"/review/{left}/{right}?at=0"
    page = _page(client, url)
    twin = client.get(f"/api/v1/review/{left}/{right}").json()
    assert page.links("json-twin") == [f"/api/v1/review/{left}/{right}"]
    assert "Même personne ?" in page.text
    # Both records, side by side, linked, with their service.
    assert f"/records/{left}" in page.links()
    assert f"/records/{right}" in page.links()
    captions = [twin["left"]["record"]["caption"], twin["right"]["record"]["caption"]]
    head = page.by_class["side"]
    assert captions[0] in head[0]
    assert captions[1] in head[1]
    assert twin["left"]["record"]["provenance"]["agency"] in head[0]
    facts = page.tables["compare"]
    assert len(facts) == len(twin["facts"])
    assert _row_classes(page) == [f["agreement"] for f in twin["facts"]]
    # The score's parts: the prior, one row per comparison, a bar each, the total.
    parts = page.tables["parts"]
    assert len(parts) == 1 + len(twin["parts"])  # the prior, then the parts
    assert parts[0][0] == "A priori"
    labels = [r[0] for r in parts[1:]]
    assert labels[:3] == ["Prénom", "Nom", "Date de naissance"]
    weights = [r[4] for r in parts[1:]]
    assert all(re.fullmatch(r"[+-]\d+,\d\d|0,00", w) for w in weights), weights
    [total] = page.by_class["total"]
    assert total.startswith("Total probabilité de correspondance")
    bars = [a["class"] for tag, a in page.tags if tag == "span"
            and a.get("class", "").startswith("bar ")]
    assert len(bars) == 1 + len(twin["parts"])
    assert all(re.fullmatch(r"bar (for|against) w(10|\d)", b) for b in bars), bars
    assert ("meter", {"min": "0", "max": "1", "low": "0.2", "high": "0.5", "optimum": "1",
                      "value": str(twin["probability"])}) in page.tags
    # What deciding would do to the entities.
    effect = page.by_id["effect"]
    if twin["same_entity"]:
        assert f"appartiennent déjà à l'entité {twin['left']['entity_id']}" in effect
    else:
        assert twin["left"]["entity_id"] in effect
        assert twin["right"]["entity_id"] in effect
        assert "une entité de 2 fiches" in effect or \
            f"une entité de {twin['records_if_merged']} fiches" in effect
    # Three buttons with their keys, a reason, and the shortcuts explained.
    buttons = [(a["value"], a["data-key"]) for tag, a in page.tags if tag == "button"
               and a.get("name") == "verdict"]
    assert buttons == [("positive", "s"), ("negative", "n"), ("unsure", "u")]
    assert page.by_class["same"][-1].startswith("Même personne")
    assert page.by_class["apart"][-1].startswith("Pas la même personne")
    assert page.by_class["unsure"][-1].startswith("Incertain")
    form = _form(page)
    assert form["reason"] == "revue"
    assert form["at"] == "0"
    assert form["csrf_token"] == client.cookies["emco_csrf"]
    shortcuts = page.by_id["shortcuts"]
    for key in "snujk":
        assert f" {key} " in f" {shortcuts} "
    assert ("script", {"src": "/static/review.js", "defer": ""}) in page.tags
    # j and k go to the neighbours in the queue.
    keyed = {a["data-key"]: a["href"] for tag, a in page.tags
             if tag == "a" and "data-key" in a}
    assert keyed == {"j": "/review/next?at=1"}  # the first pair has no previous one


def test_pair_pages_follow_the_queue(client: TestClient, resolved: Resolved) -> None:
    form_login(client, resolved.operator)
    pairs = _queue(client)
    response = client.get("/review/next?at=1")
    assert response.headers["location"] == f"/review/{pairs[1][0]}/{pairs[1][1]}?at=1"
    page = _page(client, response.headers["location"])
    keyed = {a["data-key"]: a["href"] for tag, a in page.tags
             if tag == "a" and "data-key" in a}
    assert keyed == {"k": "/review/next?at=0", "j": "/review/next?at=2"}
    assert "paire 2 de la file" in page.text


def test_facts_are_aligned_and_differences_marked(client: TestClient,
                                                 resolved: Resolved) -> None:
    form_login(client, resolved.operator)
    # Any pair can be looked at, queued or not: here one the model merged.
    page = _page(client, f"/review/{resolved.ids['o-amra']}/{resolved.ids['s-amra']}")
    rows = dict(zip([r[0] for r in page.tables["compare"]], _row_classes(page),
                    strict=True))
    assert rows == {"= Nom": "same",  # "Mohamed AMRA" and "AMRA Mohamed"
                    "= Date de naissance": "same",
                    "◧ Téléphone": "left_only",
                    "= Sexe": "same",
                    "= Lieu de naissance": "same"}
    page = _page(client, f"/review/{resolved.ids['o-leroy']}/{resolved.ids['s-leroy']}")
    compare = _rows_by_label(page, "compare")
    assert compare["∼ Nom"] == ["Sophie LEROY", "Sophie LEROI"]
    assert compare["∼ Date de naissance"] == ["1982-11-20", "1982-11-02"]
    assert "Aucune paire" not in page.text
    # Not in the queue: no place in it, and j goes to its first pair.
    keyed = {a["data-key"]: a["href"] for tag, a in page.tags
             if tag == "a" and "data-key" in a}
    assert keyed == {"j": "/review/next?at=0"}
    # The model's judgement of the pair is listed.
    assert page.tables["judgements"][0][1].startswith("model:")


# Deciding

def test_deciding_posts_with_csrf_and_goes_to_the_next_pair(client: TestClient,
                                                           resolved: Resolved) -> None:
    form_login(client, resolved.operator)
    pairs = _queue(client)
    url = _first_pair_url(client)
    form = _form(_page(client, url))
    left, right = pairs[0]
    response = client.post(f"/review/{left}/{right}", data={**form, "verdict": "positive"})
    assert response.status_code == 303
    assert response.headers["location"] == "/review/next?at=0"
    response = client.get(response.headers["location"])
    assert response.headers["location"] == f"/review/{pairs[1][0]}/{pairs[1][1]}?at=0"
    [judged] = [j for j in resolved.standing() if j.human]
    assert (judged.left, judged.right, judged.verdict, judged.author) == (
        left, right, Verdict.POSITIVE, resolved.operator)
    assert _queue(client) == pairs[1:]
    entities = resolved.entities()
    assert entities[left] == entities[right]
    # The decision is on the pair's page now.
    page = _page(client, f"/review/{left}/{right}")
    assert page.tables["judgements"][-1][3:] == ["revue", "en vigueur"]


def test_the_next_pair_keeps_the_language_asked_for(client: TestClient,
                                                    resolved: Resolved) -> None:
    form_login(client, resolved.operator)
    left, right = _queue(client)[0]
    response = client.get("/review/next?at=0&lang=en")
    assert response.headers["location"] == f"/review/{left}/{right}?at=0&lang=en"
    response = client.get("/review/next?at=100000&lang=en")
    assert response.headers["location"] == "/review?lang=en"
    response = client.get("/review/next?at=100000&lang=xx")
    assert response.headers["location"] == "/review"


def test_deciding_without_the_csrf_token_is_refused(client: TestClient,
                                                   resolved: Resolved) -> None:
    form_login(client, resolved.operator)
    left, right = _queue(client)[0]
    for token in ["", "forged"]:
        response = client.post(f"/review/{left}/{right}", data={
            "verdict": "positive", "reason": "revue", "csrf_token": token})
        assert response.status_code == 403
        assert "le formulaire a expiré" in parse(response.text).text
    assert [j for j in resolved.standing() if j.human] == []


def test_a_contrary_decision_on_the_page_needs_the_box_ticked(client: TestClient,
                                                            resolved: Resolved) -> None:
    form_login(client, resolved.operator)
    left, right = _queue(client)[0]
    login(client, resolved.operator)
    client.post(f"/api/v1/pairs/{left}/{right}/judgements",
                json={"verdict": "positive", "reason": "même personne"})
    page = _page(client, f"/review/{left}/{right}")
    assert "Un opérateur a déjà tranché" in page.text
    assert ("input", {"type": "checkbox", "name": "override", "value": "true"}) in page.tags
    form = _form(page)
    refused = client.post(f"/review/{left}/{right}", data={**form, "verdict": "negative"})
    assert refused.status_code == 409
    assert "un opérateur a déjà jugé cette paire" in parse(refused.text).text
    accepted = client.post(f"/review/{left}/{right}", data={
        **form, "verdict": "negative", "override": "true"})
    assert accepted.status_code == 303
    entities = resolved.entities()
    assert entities[left] != entities[right]


def test_a_blank_reason_or_a_bad_verdict_is_refused(client: TestClient,
                                                   resolved: Resolved) -> None:
    form_login(client, resolved.operator)
    left, right = _queue(client)[0]
    form = _form(_page(client, f"/review/{left}/{right}"))
    response = client.post(f"/review/{left}/{right}", data={**form, "reason": " ",
                                                            "verdict": "positive"})
    assert response.status_code == 400
    assert "dites pourquoi" in parse(response.text).text
    response = client.post(f"/review/{left}/{right}", data={**form, "verdict": "peut-être"})
    assert response.status_code == 422
    assert [j for j in resolved.standing() if j.human] == []


# The record page's entity

def test_record_page_shows_the_entity_and_its_other_records(client: TestClient,
                                                           resolved: Resolved) -> None:
    form_login(client, resolved.operator)
    record = resolved.ids["o-amra"]
    entities = resolved.entities()
    others = sorted(r for r, e in entities.items() if e == entities[record] and r != record)
    assert others  # the model merged SNRP's records of him
    page = _page(client, f"/records/{record}?{WHY_Q}")
    panel = page.by_id["entity"]
    assert panel.startswith("Entité résolue")
    assert page.by_class["entity-id"] == [entities[record]]
    links = [int(h.split("?")[0].rsplit("/", 1)[1]) for h in page.links()
             if h.startswith("/records/")]
    assert links == others
    assert page.links("entity-twin") == [f"/api/v1/records/{record}/entity?{WHY_Q}"]
    twin = client.get(f"/api/v1/records/{record}/entity", params=WHY).json()
    assert [r["id"] for r in twin["records"]] == others
    # OFAST's liaison officer sees the entity, not SNRP's records in it.
    client.cookies.clear()
    form_login(client, resolved.liaison)
    page = _page(client, f"/records/{record}?{WHY_Q}")
    assert page.by_class["entity-id"] == [entities[record]]
    assert not [h for h in page.links() if h.startswith("/records/")]
    assert "Aucune autre fiche que vous pouvez voir" in page.by_id["entity"]


def test_record_page_before_resolution(client: TestClient, world: World) -> None:
    form_login(client)
    page = _page(client, f"/records/{world.ids['o-dupont']}?{WHY_Q}")
    assert "Pas encore résolue." in page.by_id["entity"]
    assert client.get(f"/api/v1/records/{world.ids['o-dupont']}/entity",
                      params=WHY).json() == {
        "record_id": world.ids["o-dupont"], "entity_id": None, "records": [], "total": 0}


# Language, security, labels

def test_review_pages_in_english(client: TestClient, resolved: Resolved) -> None:
    form_login(client, resolved.operator)
    left, right = _queue(client)[0]
    page = _page(client, f"/review/{left}/{right}?lang=en")
    assert "Same person?" in page.text
    assert page.by_class["same"][-1].startswith("Same person")
    assert _form(page)["reason"] == "review"
    assert "Pairs to review" in _page(client, "/review").text  # the choice is kept


def test_no_inline_script_or_style_in_the_review_pages(client: TestClient,
                                                      resolved: Resolved) -> None:
    form_login(client, resolved.operator)
    left, right = _queue(client)[0]
    for lang in ("fr", "en"):
        for url in ["/review", f"/review/{left}/{right}", f"/records/{left}"]:
            response = client.get(url, params={"lang": lang, **WHY})
            assert "script-src 'self'" in response.headers["content-security-policy"]
            page = parse(response.text)
            assert all(a.get("src") and not body for a, body in page.scripts), url
            assert not [tag for tag, _ in page.tags if tag == "style"], url
            for tag, attrs in page.tags:
                assert "style" not in attrs, (url, tag, attrs)
                assert not [a for a in attrs if a.startswith("on")], (url, tag, attrs)
    script = client.get("/static/review.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]


def test_every_comparison_and_level_of_the_model_reads_in_french() -> None:
    for comparison in PERSON:
        assert comparison.name in COMPARISON_LABELS, comparison.name
        for level in comparison.levels:
            assert level.label in LEVEL_LABELS, (comparison.name, level.label)
    for label in [*COMPARISON_LABELS.values(), *LEVEL_LABELS.values()]:
        assert translate("fr", label) != str(label), label
