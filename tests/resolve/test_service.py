"""Resolution end to end, on both backends: the batch, operators' judgements, explanations,
exports and the identifier rules, through the functions the CLI, the API and the pages
call."""

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select

from emco.access import audit
from emco.access.gate import Access
from emco.demo.evaluate import pairwise_scores
from emco.errors import BadInput, Conflict, Forbidden, NotFound
from emco.model.enums import AuditAction, Protection, Role, Verdict
from emco.model.types import RecordMeta
from emco.resolve import model, service
from emco.resolve.clusters import Components
from emco.resolve.features import person_features
from emco.resolve.model import Scorer
from emco.resolve.service import (
    Thresholds,
    current_model,
    explain,
    explanation_dict,
    export_entities,
    judge,
    resolve,
    score_now,
)
from emco.settings import Settings
from emco.store import audit as audit_store
from emco.store import resolution as repo
from emco.store.db import Database
from emco.store.tables import judgements, records
from tests.factories import entity, load, person, principal, write_jsonl
from tests.resolve.conftest import (
    EVERYTHING,
    NAMES_ALONE,
    THRESHOLDS,
    Trained,
    load_scenario,
    operator,
    seed_model,
)

# --- helpers -------------------------------------------------------------------------------


def record(db: Database, ref: str) -> int:
    agency, _, source = ref.partition(":")
    with db.read() as conn:
        found = repo.record_by_source(conn, EVERYTHING, agency, source)
    assert found is not None, ref
    return found


def entity_of(db: Database, ref: str) -> str:
    with db.read() as conn:
        found = repo.entity_of(conn, record(db, ref))
    assert found is not None, ref
    return found


def exported(access: Access) -> dict[tuple[str, str], str]:
    rows = list(export_entities(access))
    out = {(agency, source): entity_id for agency, source, entity_id in rows}
    assert len(out) == len(rows)
    return out


def actions(db: Database) -> list[str]:
    with db.read() as conn:
        return [row["action"] for row in audit_store.rows(conn)]


def chain_ok(db: Database) -> bool:
    with db.read() as conn:
        return audit.verify(conn).ok


PEOPLE = {
    "OFAST": [
        person("karim", "Karim BELKACEM", birthDate="1987-05-14", phone="+33612345678",
               address="3 rue d'Oran 13003 Marseille"),
        person("sofiane", "Sofiane HADDAD", birthDate="1990-02-03"),
        person("jean", "Jean DUPONT", address="12 boulevard National 13003 Marseille"),
        person("nobody", "—", birthDate="1987-05-14"),
    ],
    "DNPJ": [
        person("belkacem", "BELKACEM Karim", birthDate="1987-05-14"),
        person("mehdi", "Mehdi BELKACEM"),  # only the surname in common with karim
        person("ali", "Ali HAMZA", address="12 boulevard National 13003 Marseille"),
        person("haddad", "HADDAD Sofiane", birthDate="1990-02-03"),
    ],
    # Others, so that no name is common in the store (term frequencies).
    "DGGN": [person(f"dggn-{i}", name, birthDate=f"19{60 + i}-0{i + 1}-1{i}")
             for i, name in enumerate(["Lucas MARTIN", "Yanis ROUSSEL", "Inès MOREAU",
                                       "Paul LEROY", "Nadia CHERIF", "Omar TAZI",
                                       "Léa FOURNIER", "Hugo GIRARD"])],
}


def load_people(db: Database, settings: Settings, tmp_path: Path,
                extra: dict[str, list[dict[str, Any]]] | None = None) -> None:
    for agency in PEOPLE:
        entities = PEOPLE[agency] + (extra or {}).get(agency, [])
        summary = load(db, settings, write_jsonl(tmp_path / f"{agency}.jsonl", entities),
                       agency=agency)
        assert summary.rejected == 0, summary.first_errors


@pytest.fixture
def people(db: Database, settings: Settings, tmp_path: Path, trained: Trained,
           seeded: Callable[..., None]) -> Access:
    """A few people of two services, resolved by the batch with a trained model."""

    def build() -> None:
        load_people(db, settings, tmp_path)
        seed_model(db, trained)
        resolve(operator(db), THRESHOLDS, full=True)

    seeded("people", build)
    return operator(db)


# --- the batch -----------------------------------------------------------------------------

def test_a_first_resolution_trains_the_model_and_finds_the_scenarios_people(
        db: Database, tmp_path: Path, scenario: Path) -> None:
    load_scenario(db, scenario, tmp_path / "quarantine")
    access = operator(db)
    summary = resolve(access, THRESHOLDS)  # no model yet: the batch runs, and trains
    assert summary.trained
    assert summary.model_version == 1
    assert summary.featured > 100
    assert summary.positive > 0
    assert summary.merged_records > 0
    truth = json.loads((scenario / "truth.json").read_text(encoding="utf-8"))
    true = {(r["agency"], r["source_id"]): r["entity"] for r in truth["records"]}
    found = exported(access)
    assert set(found) == set(true)  # every record has an entity
    scores = pairwise_scores(true, found)
    assert scores.f1 >= 0.9, scores
    assert scores.precision >= 0.9, scores


def test_a_second_full_resolution_changes_no_entity(
        db: Database, tmp_path: Path, scenario: Path, trained: Trained) -> None:
    load_scenario(db, scenario, tmp_path / "quarantine")
    version = seed_model(db, trained)
    access = operator(db)
    first = resolve(access, THRESHOLDS, full=True)
    assert not first.trained
    assert first.model_version == version
    before = exported(access)
    assert len(set(before.values())) == first.entities
    second = resolve(access, THRESHOLDS, full=True)
    assert (second.trained, second.model_version, second.changed) == (False, version, 0)
    assert second.entities == first.entities
    assert exported(access) == before


def test_an_incremental_run_with_nothing_new_changes_nothing(people: Access) -> None:
    before = exported(people)
    summary = resolve(people, THRESHOLDS)
    assert (summary.featured, summary.scored_pairs, summary.changed) == (0, 0, 0)
    assert exported(people) == before


def test_a_model_of_other_comparisons_is_trained_again_before_use(
        db: Database, settings: Settings, tmp_path: Path, trained: Trained) -> None:
    load_people(db, settings, tmp_path)
    older = copy.deepcopy(trained[0])  # as an earlier release stored it: a level fewer
    document = next(c for c in older["comparisons"]
                    if c["output_column_name"] == "identity_document")
    document["comparison_levels"] = [lv for lv in document["comparison_levels"]
                                     if lv["label_for_charts"] != "one character apart"]
    version = seed_model(db, (older, trained[1]))
    access = operator(db)
    with db.read() as conn:
        assert current_model(conn) is None
        assert score_now(conn, *_two_people(db)) is None
    summary = resolve(access, THRESHOLDS)  # incremental asked; the batch runs, and trains
    assert summary.trained
    assert summary.model_version == version + 1
    with db.read() as conn:
        stored = current_model(conn)
        assert stored is not None
        assert stored[0] == version + 1


def _two_people(db: Database) -> tuple[int, int]:
    with db.read() as conn:
        first, second = conn.execute(select(records.c.id).order_by(records.c.id).limit(2)
                                     ).scalars()
    return first, second


def test_the_batch_joins_the_same_person_and_only_them(db: Database, people: Access) -> None:
    # the same person in two services
    assert entity_of(db, "OFAST:karim") == entity_of(db, "DNPJ:belkacem")
    assert entity_of(db, "OFAST:sofiane") == entity_of(db, "DNPJ:haddad")
    assert entity_of(db, "OFAST:karim") != entity_of(db, "OFAST:sofiane")
    # people sharing only a surname, or only an address
    assert entity_of(db, "OFAST:karim") != entity_of(db, "DNPJ:mehdi")
    assert entity_of(db, "OFAST:jean") != entity_of(db, "DNPJ:ali")
    # a record with no name nor identifier
    nobody = entity_of(db, "OFAST:nobody")
    assert [k for k, e in exported(people).items() if e == nobody] == [("OFAST", "nobody")]
    assert len(set(exported(people).values())) == 6 + len(PEOPLE["DGGN"])


def test_a_household_is_not_one_person(db: Database, settings: Settings, tmp_path: Path,
                                       trained: Trained) -> None:
    """Brothers at one address, with a wife of the same surname: a surname and an address
    in common, each; never one entity."""
    home = "3 rue d'Oran 13003 Marseille"
    load_people(db, settings, tmp_path, extra={"DGGN": [
        person("brother", "Nassim BELKACEM", birthDate="1991-08-02", address=home),
        person("wife", "Samira BELKACEM", address=home, gender="female")]})
    seed_model(db, trained)
    resolve(operator(db), THRESHOLDS, full=True)
    family = {entity_of(db, r) for r in ("OFAST:karim", "DGGN:brother", "DGGN:wife",
                                         "DNPJ:mehdi")}
    assert len(family) == 4


def test_only_the_staffs_operators_run_the_batch(db: Database, people: Access) -> None:
    liaison = Access(db, principal("OFAST", Role.LIAISON, clearance=Protection.DR))
    with pytest.raises(Forbidden):
        resolve(liaison, THRESHOLDS, full=True)


# --- identifier rules ----------------------------------------------------------------------

THINGS = {
    "OFAST": [entity("car", "Vehicle", registrationNumber="AB-123-CD", model="Clio"),
              entity("atlas", "Company", name="SARL Atlas", registrationNumber="552 100 554"),
              entity("iban", "BankAccount", iban="FR76 3000 6000 0112 3456 7890 189")],
    "DNPJ": [entity("voiture", "Vehicle", registrationNumber="ab 123 cd"),
             entity("atlas-ie", "Company", name="ATLAS IMPORT EXPORT",
                    registrationNumber="552100554"),
             entity("compte", "BankAccount", iban="FR7630006000011234567890189"),
             entity("other-car", "Vehicle", registrationNumber="EF-456-GH")],
}


def test_records_sharing_an_identifier_written_differently_are_one_entity(
        db: Database, settings: Settings, tmp_path: Path, trained: Trained) -> None:
    load_people(db, settings, tmp_path, extra=THINGS)
    seed_model(db, trained)
    summary = resolve(operator(db), THRESHOLDS, full=True)
    assert summary.rule_links == 3
    assert entity_of(db, "OFAST:car") == entity_of(db, "DNPJ:voiture")
    assert entity_of(db, "OFAST:atlas") == entity_of(db, "DNPJ:atlas-ie")
    assert entity_of(db, "OFAST:iban") == entity_of(db, "DNPJ:compte")
    assert entity_of(db, "DNPJ:other-car") != entity_of(db, "OFAST:car")
    assert len({entity_of(db, r) for r in ("OFAST:car", "OFAST:atlas", "OFAST:iban")}) == 3


def test_a_company_without_its_number_is_known_by_its_name_where_it_is(
        db: Database, settings: Settings, tmp_path: Path) -> None:
    """The same name and the postcode of an address: one company; the same name in
    another town: another company; the same name with no address: not guessed; a name
    two numbered companies share in one town: not guessed either."""
    for agency, things in {
        "TRACFIN": [entity("kebab", "Company", name="SAS Le Palmier", address="4 rue Colbert "
                           "13001 Marseille", registrationNumber="812345672")],
        "DNPJ": [entity("palmier", "Company", name="LE PALMIER",
                        address="4, rue Colbert, 13001 MARSEILLE")],
        "DNRED": [entity("lyon", "Company", name="Le Palmier SARL",
                         address="9 cours Gambetta 69003 Lyon"),
                  entity("nowhere", "Company", name="Le Palmier"),
                  entity("nice-1", "Company", name="Royal", address="06000 Nice",
                         registrationNumber="552100554"),
                  entity("nice-2", "Company", name="SARL Royal", address="06000 Nice",
                         registrationNumber="732829320"),
                  entity("nice", "Company", name="ROYAL", address="2 av. Jean Médecin "
                         "06000 Nice")],
    }.items():
        load(db, settings, write_jsonl(tmp_path / f"{agency}.jsonl", things), agency=agency)
    resolve(operator(db), THRESHOLDS, full=True)
    assert entity_of(db, "TRACFIN:kebab") == entity_of(db, "DNPJ:palmier")
    assert len({entity_of(db, r) for r in ("TRACFIN:kebab", "DNRED:lyon",
                                           "DNRED:nowhere")}) == 3
    assert len({entity_of(db, f"DNRED:{r}") for r in ("nice-1", "nice-2", "nice")}) == 3


def test_identifier_rules_apply_in_a_store_without_people(
        db: Database, settings: Settings, tmp_path: Path) -> None:
    """No person to train a model on: the vehicles are still one by their plate."""
    for agency, things in THINGS.items():
        load(db, settings, write_jsonl(tmp_path / f"{agency}.jsonl", things), agency=agency)
    resolve(operator(db), THRESHOLDS, full=True)
    assert entity_of(db, "OFAST:car") == entity_of(db, "DNPJ:voiture")
    assert entity_of(db, "OFAST:atlas") == entity_of(db, "DNPJ:atlas-ie")


# --- operators' judgements -----------------------------------------------------------------

def test_a_positive_judgement_merges_and_a_later_negative_undoes_it(
        db: Database, people: Access) -> None:
    a, b = record(db, "OFAST:jean"), record(db, "DNPJ:ali")
    kept = entity_of(db, "OFAST:jean")
    assert kept != entity_of(db, "DNPJ:ali")
    made = judge(people, a, b, Verdict.POSITIVE, "same man, seen together", THRESHOLDS)
    assert (made.left, made.right, made.verdict) == (min(a, b), max(a, b), Verdict.POSITIVE)
    assert made.author == people.principal.username
    assert entity_of(db, "OFAST:jean") == entity_of(db, "DNPJ:ali")
    with pytest.raises(Conflict):  # undoing one's own decision is said
        judge(people, b, a, Verdict.NEGATIVE, "wrong after all", THRESHOLDS)
    judge(people, b, a, Verdict.NEGATIVE, "wrong after all", THRESHOLDS, override=True)
    assert entity_of(db, "OFAST:jean") != entity_of(db, "DNPJ:ali")
    assert kept in {entity_of(db, "OFAST:jean"), entity_of(db, "DNPJ:ali")}


def test_a_merge_or_split_tells_the_stages_that_depend_on_entities(
        db: Database, people: Access, monkeypatch: pytest.MonkeyPatch) -> None:
    told: list[set[str]] = []
    monkeypatch.setattr(service, "ON_CHANGE", [lambda _access, changed: told.append(changed)])
    a, b = record(db, "OFAST:jean"), record(db, "DNPJ:ali")
    before = {entity_of(db, "OFAST:jean"), entity_of(db, "DNPJ:ali")}
    judge(people, a, b, Verdict.POSITIVE, "same man, seen together", THRESHOLDS)
    assert told == [before]  # one entity took the other's records; both changed
    judge(people, a, b, Verdict.POSITIVE, "still the same man", THRESHOLDS)
    assert len(told) == 1  # nothing changed, nobody told
    resolve(people, THRESHOLDS, full=True)
    assert len(told) == 1


def test_a_negative_judgement_splits_what_the_model_merged_for_good(
        db: Database, people: Access) -> None:
    a, b = record(db, "OFAST:karim"), record(db, "DNPJ:belkacem")
    assert entity_of(db, "OFAST:karim") == entity_of(db, "DNPJ:belkacem")
    judge(people, a, b, Verdict.NEGATIVE, "namesakes: different fathers", THRESHOLDS)
    assert entity_of(db, "OFAST:karim") != entity_of(db, "DNPJ:belkacem")
    # the model's next run does not undo an operator's decision
    resolve(people, THRESHOLDS, full=True)
    assert entity_of(db, "OFAST:karim") != entity_of(db, "DNPJ:belkacem")
    resolve(people, THRESHOLDS, full=True, retrain=True)
    assert entity_of(db, "OFAST:karim") != entity_of(db, "DNPJ:belkacem")


def test_contradicting_an_operator_must_be_confirmed(db: Database, people: Access) -> None:
    a, b = record(db, "OFAST:sofiane"), record(db, "DNPJ:mehdi")
    judge(people, a, b, Verdict.POSITIVE, "same phone in the wiretap", THRESHOLDS)
    other = Access(db, principal("EMCO", Role.OPERATOR, clearance=Protection.DR,
                                 username="other.operator"))
    with pytest.raises(Conflict):
        judge(other, a, b, Verdict.NEGATIVE, "different ages", THRESHOLDS)
    assert entity_of(db, "OFAST:sofiane") == entity_of(db, "DNPJ:mehdi")
    judge(other, a, b, Verdict.POSITIVE, "agreed", THRESHOLDS)  # agreeing needs no override
    judge(other, a, b, Verdict.NEGATIVE, "different ages", THRESHOLDS, override=True)
    assert entity_of(db, "OFAST:sofiane") != entity_of(db, "DNPJ:mehdi")


def test_a_record_cannot_be_judged_against_itself(db: Database, people: Access) -> None:
    a = record(db, "OFAST:karim")
    with pytest.raises(BadInput):
        judge(people, a, a, Verdict.POSITIVE, "same", THRESHOLDS)
    with pytest.raises(BadInput):
        explain(people, a, a)


def test_a_judgement_needs_a_reason(db: Database, people: Access) -> None:
    with pytest.raises(BadInput):
        judge(people, record(db, "OFAST:jean"), record(db, "DNPJ:ali"), Verdict.POSITIVE,
              "   ", THRESHOLDS)
    assert entity_of(db, "OFAST:jean") != entity_of(db, "DNPJ:ali")


def test_a_record_out_of_sight_is_not_found(db: Database, settings: Settings,
                                            tmp_path: Path, people: Access) -> None:
    load(db, settings, write_jsonl(tmp_path / "secret.jsonl", [
        person("secret", "Karim BELKACEM", birthDate="1987-05-14")]), agency="OFAST",
        defaults=RecordMeta(protection=Protection.DR))
    mine, theirs = record(db, "OFAST:karim"), record(db, "DNPJ:belkacem")
    secret = record(db, "OFAST:secret")
    # an operator of a service sees its own records only, and NP ones without clearance
    ofast = Access(db, principal("OFAST", Role.OPERATOR))
    for left, right in ((mine, theirs), (mine, secret), (mine, 10**9)):
        with pytest.raises(NotFound):
            judge(ofast, left, right, Verdict.NEGATIVE, "not him", THRESHOLDS)
        with pytest.raises(NotFound):
            explain(ofast, left, right)
    assert entity_of(db, "OFAST:karim") == entity_of(db, "DNPJ:belkacem")


def test_every_call_is_audited_and_the_chain_verifies(db: Database, people: Access) -> None:
    a, b = record(db, "OFAST:jean"), record(db, "DNPJ:ali")
    judge(people, a, b, Verdict.POSITIVE, "seen together", THRESHOLDS)
    explain(people, a, b)
    list(export_entities(people))
    done = actions(db)
    assert AuditAction.RESOLVE_RUN.value in done
    assert done.count(AuditAction.JUDGEMENT_CREATE.value) == 1
    assert AuditAction.RESOLVE_EXPLAIN.value in done
    assert AuditAction.ENTITY_EXPORT.value in done
    assert chain_ok(db)
    with db.read() as conn:
        rows = list(audit_store.rows(conn))
    judged = next(r for r in rows if r["action"] == AuditAction.JUDGEMENT_CREATE.value)
    assert judged["username"] == people.principal.username
    assert json.loads(judged["objects"]) == [f"record:{a}", f"record:{b}"]
    assert "seen together" in judged["detail"]
    runs = [r for r in rows if r["action"] == AuditAction.RESOLVE_RUN.value]
    assert any(r["detail"] and '"entities"' in r["detail"] for r in runs)


def test_a_denied_call_is_audited(db: Database, people: Access) -> None:
    liaison = Access(db, principal("OFAST", Role.LIAISON))
    with pytest.raises(Forbidden):
        judge(liaison, record(db, "OFAST:jean"), record(db, "OFAST:karim"),
              Verdict.POSITIVE, "mine", THRESHOLDS)
    with db.read() as conn:
        last = audit_store.recent(conn, 1)[0]
    assert (last["action"], last["outcome"]) == (AuditAction.JUDGEMENT_CREATE.value, "denied")
    assert chain_ok(db)


# --- ids, exports, explanations ------------------------------------------------------------

def test_an_entity_id_once_retired_is_never_given_to_another_entity(
        db: Database, settings: Settings, tmp_path: Path, people: Access) -> None:
    retired = entity_of(db, "DNPJ:ali")
    absorbing = entity_of(db, "OFAST:jean")
    a, b = record(db, "OFAST:jean"), record(db, "DNPJ:ali")
    judge(people, a, b, Verdict.POSITIVE, "same man", THRESHOLDS)
    gone = retired if entity_of(db, "DNPJ:ali") == absorbing else absorbing
    assert gone not in exported(people).values()
    load(db, settings, write_jsonl(tmp_path / "late.jsonl", [
        person(f"late-{i}", f"Person{i} NEWCOMER{i}") for i in range(3)]), agency="DGSI")
    resolve(people, THRESHOLDS)
    assert gone not in exported(people).values()


def test_the_export_has_one_row_per_record_in_sight(db: Database, people: Access) -> None:
    everything = exported(people)
    assert len(everything) == sum(len(v) for v in PEOPLE.values())
    ofast = Access(db, principal("OFAST", Role.OPERATOR))
    mine = exported(ofast)
    assert set(mine) == {("OFAST", e["id"]) for e in PEOPLE["OFAST"]}
    assert all(everything[key] == value for key, value in mine.items())


def test_an_explanation_adds_up(db: Database, people: Access) -> None:
    a, b = record(db, "OFAST:karim"), record(db, "DNPJ:belkacem")
    shown = explanation_dict(explain(people, a, b))
    assert shown["left_entity"] == shown["right_entity"] == entity_of(db, "OFAST:karim")
    assert shown["probability"] > THRESHOLDS.match
    assert [p["comparison"] for p in shown["parts"]][:3] == [
        "first_name", "surname", "birth_date"]
    assert {p["level"] for p in shown["parts"][:3]} == {"exact", "same date"}
    assert [j["author"].startswith("model:") for j in shown["judgements"]] == [True]
    assert shown["judgements"][0]["verdict"] == "positive"
    json.dumps(shown)
    # the prior and the parts a user reads add up to the weight shown beside them
    assert shown["prior_weight"] < 0
    assert shown["prior_weight"] + sum(p["weight"] for p in shown["parts"]) == pytest.approx(
        shown["match_weight"], abs=0.01)


def test_an_explanation_carries_the_models_weights(db: Database, people: Access,
                                                   trained: Trained) -> None:
    a, b = record(db, "OFAST:karim"), record(db, "DNPJ:mehdi")
    found = explain(people, a, b)
    assert found.score is not None
    with db.read() as conn:
        rows = dict(repo.features(conn, "person", [a, b]))
        _, settings_, tf = repo.latest_model(conn, "person") or (0, {}, {})
    expected = Scorer(settings_, tf).score(rows[a], rows[b])
    assert found.score.weight == pytest.approx(expected.weight)
    assert found.score.probability < THRESHOLDS.review
    assert found.judgements == []  # nothing recorded on a pair the model left alone


def test_classify_keeps_namesakes_apart_unless_they_share_a_phone(trained: Trained) -> None:
    """Same names, complete birth dates that disagree: recorded as different people."""
    scorer = Scorer(*trained)

    def row(birth: str, *phones: str) -> dict[str, Any]:
        facts = [("name", "name", "Karim BELKACEM", "Karim BELKACEM"),
                 ("birthDate", "date", birth, birth)]
        facts += [("phone", "phone", p, p) for p in phones]
        return person_features(1, "OFAST", facts).row()

    apart = scorer.score(row("1987-05-14"), row("1961-11-02"))
    assert service.classify(apart, THRESHOLDS) in (Verdict.NEGATIVE, None)
    shared = scorer.score(row("1987-05-14", "+33612345678"), row("1961-11-02", "+33612345678"))
    assert service.classify(shared, THRESHOLDS) != Verdict.NEGATIVE
    same = scorer.score(row("1987-05-14"), row("1987-05-14"))
    assert service.classify(same, THRESHOLDS) == Verdict.POSITIVE


def test_documents_one_typing_error_apart_keep_a_pair_from_being_set_apart(
        trained: Trained) -> None:
    """Dates that disagree, and document numbers that differ by one character or two
    neighbours swapped: a mistyped record of one man, not namesakes."""
    scorer = Scorer(*trained)

    def row(birth: str, document: str) -> dict[str, Any]:
        return person_features(1, "OFAST", [
            ("name", "name", "Karim BELKACEM", "Karim BELKACEM"),
            ("birthDate", "date", birth, birth),
            ("idNumber", "identifier", document, document)]).row()

    for other in ("6388424", "6398442"):
        score = scorer.score(row("1955-03-09", "6398424"), row("1950-11-09", other))
        assert service.classify(score, THRESHOLDS) != Verdict.NEGATIVE
    score = scorer.score(row("1955-03-09", "6398424"), row("1950-11-09", "1234567"))
    assert service.classify(score, THRESHOLDS) == Verdict.NEGATIVE


@pytest.mark.parametrize(("one", "other", "apart"), [
    ("1987-05-14", "1987-11-02", True),  # born the same year, another day
    ("1987-05-14", "1987-05-02", False),  # the same month: the day may be mistyped
    ("1987-05-11", "1987-11-05", False),  # day and month swapped
    ("1987-05-14", "1987-01-01", False),  # the 1st of January may mean "in 1987"
    ("1987-05-14", "1987", False),  # a year only
])
def test_a_complete_date_alike_only_in_its_year_sets_namesakes_apart(
        trained: Trained, one: str, other: str, apart: bool) -> None:
    scorer = Scorer(*trained)

    def row(birth: str) -> dict[str, Any]:
        return person_features(1, "OFAST", [("name", "name", "Karim BELKACEM", "Karim BELKACEM"),
                                            ("birthDate", "date", birth, birth)]).row()

    verdict = service.classify(scorer.score(row(one), row(other)), THRESHOLDS)
    assert (verdict == Verdict.NEGATIVE) == apart


@pytest.mark.parametrize("dates", ["reliable", "unreliable"])
def test_the_batch_judges_as_classify_does(db: Database, people: Access, settings: Settings,
                                          tmp_path: Path, trained: Trained, dates: str
                                          ) -> None:
    """The batch's verdicts are written in SQL; the real-time matcher's in Python, with
    dates that keep namesakes apart and with dates that do not. (The bridge, an undated
    Karim with both Karims' phones, connects them: their negative is stored.)"""
    if dates == "unreliable":
        seed_model(db, (trained[0], unreliable_dates(trained[1])))
    load(db, settings, write_jsonl(tmp_path / "dggn-more.jsonl", [
        person("twin", "Karim BELKACEM", birthDate="1987-11-02", phone="+33699887766"),
        person("twin-bis", "BELKACEM Karim", birthDate="1987-11-02", phone="+33699887766"),
        person("bridge", "Karim BELKACEM", phone=["+33612345678", "+33699887766"]),
        person("typo", "Sofiane HADDAD", birthDate="1991-12-23", idNumber="X1234567"),
        person("typo-2", "Sofiane HADDAD", birthDate="1990-02-03", idNumber="X1243567"),
        person("undated", "Yanis ROUSSEL", phone="+33699000111")]),
        agency="DGGN")
    resolve(people, NAMES_ALONE, full=True)
    with db.read() as conn:
        batch = {(a, b): Verdict(v) for a, b, v in conn.execute(
            select(judgements.c.left_id, judgements.c.right_id, judgements.c.verdict).where(
                judgements.c.superseded_at.is_(None), judgements.c.author.like("model:%")))}
        stored = repo.latest_model(conn, "person")
        feats = dict(repo.features(conn, "person"))
    assert stored is not None
    scorer = Scorer(stored[1], stored[2])
    thresholds = NAMES_ALONE.for_model(stored[2])
    assert batch
    for (left, right), verdict in batch.items():
        assert service.classify(scorer.score(feats[left], feats[right]), thresholds) == \
            verdict
    twin = record(db, "DGGN:twin")
    assert (batch.get((record(db, "OFAST:karim"), twin)) == Verdict.NEGATIVE) == \
        (dates == "reliable")
    # alike by the names alone: to review, in SQL as in Python
    assert batch[(record(db, "DGGN:dggn-1"), record(db, "DGGN:undated"))] == \
        Verdict.UNSURE


# --- pairs kept apart ----------------------------------------------------------------------

def model_verdicts(db: Database) -> dict[tuple[int, int], Verdict]:
    """The model's standing judgements, by pair."""
    with db.read() as conn:
        return {(a, b): Verdict(v) for a, b, v in conn.execute(
            select(judgements.c.left_id, judgements.c.right_id, judgements.c.verdict).where(
                judgements.c.superseded_at.is_(None), judgements.c.author.like("model:%")))}


def test_the_batch_keeps_apart_only_records_links_connect(
        db: Database, people: Access, settings: Settings, tmp_path: Path) -> None:
    """A negative matters only between two records a cluster could otherwise hold, those
    a chain of positive links connects. The bridge (both Karims' phones, no date)
    connects Karim and his namesake twin: their negative is stored. The twins' other
    namesake, the loner, is joined to nothing (alike to the bridge by its names alone, it
    waits for review): no negative of it is stored."""
    load(db, settings, write_jsonl(tmp_path / "dggn-more.jsonl", [
        person("twin", "Karim BELKACEM", birthDate="1987-11-02", phone="+33699887766"),
        person("twin-bis", "BELKACEM Karim", birthDate="1987-11-02", phone="+33699887766"),
        person("bridge", "Karim BELKACEM", phone=["+33612345678", "+33699887766"]),
        person("loner", "Karim BELKACEM", birthDate="1987-09-23")]), agency="DGGN")
    summary = resolve(people, NAMES_ALONE, full=True)
    verdicts = model_verdicts(db)
    with db.read() as conn:
        components = Components.of(*(np.concatenate([np.array(side, np.int64) for side in
                                                     sides]) for sides in
                                     zip(*repo.linking_columns(conn), strict=True)))
    apart = [pair for pair, v in verdicts.items() if v == Verdict.NEGATIVE]
    assert summary.negative == len(apart)
    left, right = (np.array(side, np.int64) for side in zip(*apart, strict=True))
    assert (components(left) == components(right)).all()
    karim, twin, loner = (record(db, r) for r in ("OFAST:karim", "DGGN:twin", "DGGN:loner"))
    assert verdicts[(karim, twin)] == Verdict.NEGATIVE
    assert loner not in components.ids
    assert not any(loner in pair for pair in apart)
    assert {v for pair, v in verdicts.items() if loner in pair} == {Verdict.UNSURE}
    # the pair not stored is still explained, its score computed again
    shown = explanation_dict(explain(people, karim, loner))
    assert shown["judgements"] == []
    assert shown["parts"]
    assert shown["probability"] is not None
    assert entity_of(db, "DGGN:loner") not in {entity_of(db, "OFAST:karim"),
                                               entity_of(db, "DGGN:twin")}


def test_a_record_joined_later_is_kept_apart_from_its_namesakes(
        db: Database, settings: Settings, tmp_path: Path, trained: Trained) -> None:
    """The batch stores no negative for a record joined to nothing (the loner). A new
    record then matches both the loner (their phone) and Karim (his phone): the loner's
    negatives are computed when it is first joined, so the chain never makes Karim and
    the loner, born the same year on another day, one man."""
    load_people(db, settings, tmp_path, extra={"DGGN": [
        person("loner", "Karim BELKACEM", birthDate="1987-09-23", phone="+33699887766")]})
    seed_model(db, trained)
    access = operator(db)
    resolve(access, THRESHOLDS, full=True)
    karim, loner = record(db, "OFAST:karim"), record(db, "DGGN:loner")
    assert (karim, loner) not in model_verdicts(db)
    load(db, settings, write_jsonl(tmp_path / "dnred.jsonl", [
        person("newcomer", "Karim BELKACEM", phone=["+33612345678", "+33699887766"])]),
        agency="DNRED")
    summary = resolve(access, THRESHOLDS)  # incremental
    newcomer = record(db, "DNRED:newcomer")
    verdicts = model_verdicts(db)
    assert verdicts[(min(newcomer, loner), max(newcomer, loner))] == Verdict.POSITIVE
    assert verdicts[(min(newcomer, karim), max(newcomer, karim))] == Verdict.POSITIVE
    assert summary.negative >= 1
    assert verdicts[(karim, loner)] == Verdict.NEGATIVE
    assert entity_of(db, "OFAST:karim") != entity_of(db, "DGGN:loner")
    assert entity_of(db, "OFAST:karim") == entity_of(db, "DNPJ:belkacem")
    # a later batch agrees with the incremental run
    resolve(access, THRESHOLDS, full=True)
    assert model_verdicts(db)[(karim, loner)] == Verdict.NEGATIVE
    assert entity_of(db, "OFAST:karim") != entity_of(db, "DGGN:loner")


def with_loner(db: Database, settings: Settings, tmp_path: Path, trained: Trained
               ) -> tuple[Access, int, int, int]:
    """The people, and a namesake of Karim born another day (the loner), resolved by the
    batch: an operator, and the record ids of Karim, the loner and Mehdi."""
    load_people(db, settings, tmp_path, extra={"DGGN": [
        person("loner", "Karim BELKACEM", birthDate="1987-09-23")]})
    seed_model(db, trained)
    access = operator(db)
    resolve(access, THRESHOLDS, full=True)
    karim, loner, mehdi = (record(db, r) for r in ("OFAST:karim", "DGGN:loner",
                                                    "DNPJ:mehdi"))
    return access, karim, loner, mehdi


def test_an_operator_joining_a_record_keeps_it_apart_from_its_namesakes(
        db: Database, settings: Settings, tmp_path: Path, trained: Trained) -> None:
    """An operator's link between two records nothing connected yet finds the model's
    negatives between their sides first: joining the loner to Mehdi stores nothing of
    Karim (nothing connects him to them yet); joining Karim to Mehdi then stores that
    Karim and the loner, namesakes, are two men, and the chain stops there."""
    access, karim, loner, mehdi = with_loner(db, settings, tmp_path, trained)
    assert (karim, loner) not in model_verdicts(db)
    judge(access, loner, mehdi, Verdict.POSITIVE, "the same man in two files", THRESHOLDS)
    assert (karim, loner) not in model_verdicts(db)
    assert entity_of(db, "DGGN:loner") == entity_of(db, "DNPJ:mehdi")
    # joining Karim to Mehdi as well cannot chain past the negative unless said on that
    # very pair
    judge(access, karim, mehdi, Verdict.POSITIVE, "seen together", THRESHOLDS)
    assert model_verdicts(db)[(karim, loner)] == Verdict.NEGATIVE
    assert entity_of(db, "OFAST:karim") != entity_of(db, "DGGN:loner")


def test_a_record_changed_keeps_apart_from_the_namesakes_an_operator_linked_it_to(
        db: Database, settings: Settings, tmp_path: Path, trained: Trained) -> None:
    """The loner and Karim are namesakes in one component (an operator joined each to
    Mehdi). The loner's file is sent again with a new phone: its judgements are made
    again, and the negative with Karim stands again, though no link of the model joins
    them."""
    access, karim, loner, mehdi = with_loner(db, settings, tmp_path, trained)
    judge(access, loner, mehdi, Verdict.POSITIVE, "the same man in two files", THRESHOLDS)
    judge(access, karim, mehdi, Verdict.POSITIVE, "seen together", THRESHOLDS)
    assert model_verdicts(db)[(karim, loner)] == Verdict.NEGATIVE
    load(db, settings, write_jsonl(tmp_path / "dggn-again.jsonl", [
        person("loner", "Karim BELKACEM", birthDate="1987-09-23", phone="+33655443322")]),
        agency="DGGN")
    assert resolve(access, THRESHOLDS).featured == 1
    assert model_verdicts(db)[(karim, loner)] == Verdict.NEGATIVE
    assert entity_of(db, "OFAST:karim") != entity_of(db, "DGGN:loner")


def test_names_alone_go_to_review_when_the_setting_says_so(trained: Trained) -> None:
    """With EMCO_RESOLVE_NAMES_ALONE_TO_REVIEW: no birth date to compare and nothing else
    in common, the names, however alike, send the pair to review; a phone, an address or
    a place of birth in common merges. Without it (the default), the score decides."""
    scorer = Scorer(*trained)

    def row(*facts: tuple[str, str]) -> dict[str, Any]:
        return person_features(1, "OFAST", [("name", "name", "Karim BELKACEM",
                                             "Karim BELKACEM")] +
                               [(p, p, v, v) for p, v in facts]).row()

    dated = row(("birthDate", "1987-05-14"), ("phone", "+33612345678"),
                ("address", "3 rue d'Oran 13003 Marseille"))
    alone = scorer.score(dated, row(("phone", "+33699887766")))
    assert alone.probability >= THRESHOLDS.match  # the model alone would merge them
    assert service.classify(alone, THRESHOLDS) == Verdict.POSITIVE
    assert service.classify(alone, NAMES_ALONE) == Verdict.UNSURE
    for corroborated in (row(("phone", "+33612345678")),
                         row(("address", "3 rue d'Oran 13003 Marseille"))):
        score = scorer.score(dated, corroborated)
        assert service.classify(score, NAMES_ALONE) == Verdict.POSITIVE
    # a postcode is shared by thousands: not an address in common
    nearby = scorer.score(dated, row(("phone", "+33699887766"),
                                     ("address", "41 boulevard National 13003 Marseille")))
    assert {p.comparison: p.level for p in nearby.parts}["address"] == "same postcode"
    assert service.classify(nearby, THRESHOLDS) == Verdict.POSITIVE
    assert service.classify(nearby, NAMES_ALONE) == Verdict.UNSURE



def _people_frame(rows: list[tuple[str, str, str | None]]) -> pd.DataFrame:
    return pd.DataFrame([{"unique_id": i, "fn": fn, "sn": sn, "dob": dob}
                         for i, (fn, sn, dob) in enumerate(rows, 1)])


def test_the_namesake_rate_counts_full_names_whose_dates_are_not_one_date() -> None:
    one = [("karim", f"belkacem{i}", d) for i in range(20)
           for d in ("1987-05-14", "1987-05-41")]  # a typing error: one person
    two = [("sofiane", f"haddad{i}", d) for i in range(10)
           for d in ("1990-01-02", "1962-07-30")]  # father and son
    undated = [("ali", "dupont", None)] * 5
    rate, pairs = model.namesake_rate(_people_frame(one + two + undated))
    assert pairs == 30
    assert rate == pytest.approx(10 / 30)
    assert model.namesake_rate(_people_frame(two)) == (None, 10)  # too few to tell


def test_names_alone_go_to_review_where_the_file_is_full_of_namesakes() -> None:
    auto = Thresholds(match=0.5, review=0.2, names_alone_to_review=None)
    crowded = {model.NAMES: {"namesake_rate": 0.93, "pairs": 4e6}}
    sparse = {model.NAMES: {"namesake_rate": 0.02, "pairs": 125}}
    assert auto.for_model(crowded).names_alone_to_review is True
    assert auto.for_model(sparse).names_alone_to_review is False
    assert auto.for_model({}).names_alone_to_review is False  # a model that did not measure
    assert NAMES_ALONE.for_model(sparse).names_alone_to_review is True  # the setting wins
    assert THRESHOLDS.for_model(crowded).names_alone_to_review is False


def unreliable_dates(tf: dict[str, Any]) -> dict[str, Any]:
    """The frequencies of a file where the records sharing a document have dates that
    differ one time in twenty (FEBRL4: 0.046)."""
    out = copy.deepcopy(tf)
    out.setdefault(model.NAMES, {}).update(dates_differ=0.046, dated_pairs=4371.0)
    return out


def test_the_share_of_dates_that_differ_is_measured_where_a_document_is_shared() -> None:
    frame = pd.DataFrame([
        {"unique_id": i, "ids": ids, "dob": d, "dob_y": int(d[:4]) if d else None,
         "dob_m": int(d[5:7]) if d else None, "dob_d": int(d[8:]) if d else None}
        for i, (ids, d) in enumerate(
            [([f"P{n}"], "1987-05-14") for n in range(40)]  # 40 pairs: 30 alike,
            + [([f"P{n}"], "1987-05-14") for n in range(30)]
            + [([f"P{n}"], "1987-05-41") for n in range(30, 34)]  # 4 one typing error,
            + [([f"P{n}"], "1961-11-02") for n in range(34, 38)]  # 4 other years,
            + [([f"P{n}"], "1987-11-02") for n in range(38, 40)]  # 2 other days
            + [(["P0"], None), ([], "1950-01-01")], 1)])  # undated, no document: not counted
    differ, pairs = model.dates_differ(frame)
    assert pairs == 40
    assert differ == pytest.approx(6 / 40)
    assert model.dates_differ(frame.head(45)) == (None, 5)  # too few to tell


def test_dates_keep_namesakes_apart_only_where_the_file_says_they_are_reliable(
        trained: Trained) -> None:
    """Where the records of one person often have dates that differ, differing dates are
    evidence, not a verdict: a pair with an address in common as well as its names may be
    merged; with its names alone (a postcode is no address), it goes to review at best."""
    settings, tf = trained
    assert THRESHOLDS.for_model(tf).dates_separate  # the scenario's dates are reliable
    loose = unreliable_dates(tf)
    thresholds = THRESHOLDS.for_model(loose)
    assert not thresholds.dates_separate
    scorer = Scorer(settings, loose)

    def row(birth: str, address: str) -> dict[str, Any]:
        return person_features(1, "OFAST", [
            ("name", "name", "Karim BELKACEM", "Karim BELKACEM"),
            ("birthDate", "date", birth, birth), ("address", "address", address, address)]
        ).row()

    home = "3 rue d'Oran 13003 Marseille"
    same_home = scorer.score(row("1987-05-14", home), row("1961-11-02", home))
    assert service.classify(same_home, THRESHOLDS) == Verdict.NEGATIVE  # reliable dates
    assert service.classify(same_home, thresholds) == Verdict.POSITIVE
    # born the same year, another day and month
    nearby = scorer.score(row("1987-05-14", home),
                          row("1987-11-02", "41 boulevard National 13003 Marseille"))
    assert nearby.probability >= thresholds.match
    assert service.classify(nearby, thresholds) == Verdict.UNSURE


@pytest.mark.parametrize(("value", "expected"), [("auto", None), ("AUTO", None),
                                                 ("true", True), ("false", False),
                                                 (True, True)])
def test_the_names_alone_setting(value: object, expected: bool | None) -> None:
    settings = Settings(resolve_names_alone_to_review=value)  # type: ignore[arg-type]
    assert Thresholds.of(settings).names_alone_to_review is expected


def test_an_unknown_names_alone_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="resolve_names_alone_to_review"):
        Settings(resolve_names_alone_to_review="sometimes")  # type: ignore[arg-type]


def test_the_batchs_components_are_those_of_its_links() -> None:
    """The batch reads its links back from DuckDB, which returns rows in no set order
    when it reads in parallel: both sides of each link must come from one read (two
    reads paired links that were never made, and kept namesakes apart nowhere)."""
    rng = np.random.default_rng(7)
    left = rng.integers(0, 2_000_000, 600_000)
    right = left + rng.integers(1, 50, len(left))
    con = model._duckdb()
    con.register("given", pd.DataFrame({"l": left, "r": right}))
    con.execute("CREATE TABLE links AS SELECT l, r FROM given")
    service._components_table(con)
    found = con.execute("SELECT id, c FROM components ORDER BY id").fetchnumpy()
    expected = Components.of(left, right)
    assert (found["id"] == expected.ids).all()
    assert (found["c"] == expected.labels).all()
