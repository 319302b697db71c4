"""Real-time matching: a record arriving after the batch is matched against everything
resolved, through the blocking keys in the store and the trained model's weights,
without the batch running again. On both backends."""

import json
from pathlib import Path
from typing import Any

from emco.access.gate import Access
from emco.demo.load import read_manifest
from emco.resolve.features import person_features, person_keys
from emco.resolve.matcher import match
from emco.resolve.model import Scorer
from emco.resolve.service import export_entities, resolve
from emco.settings import Settings
from emco.store import resolution as repo
from emco.store.db import Database
from tests.factories import load, person, write_jsonl
from tests.resolve.conftest import (
    EVERYTHING,
    THRESHOLDS,
    Trained,
    load_scenario,
    operator,
    seed_model,
)


def record(db: Database, agency: str, source: str) -> int:
    with db.read() as conn:
        found = repo.record_by_source(conn, EVERYTHING, agency, source)
    assert found is not None, (agency, source)
    return found


def entity(db: Database, record_id: int) -> str | None:
    with db.read() as conn:
        return repo.entity_of(conn, record_id)


def exported(access: Access) -> dict[tuple[str, str], str]:
    return {(agency, source): e for agency, source, e in export_entities(access)}


def latest_version(db: Database) -> int | None:
    with db.read() as conn:
        stored = repo.latest_model(conn, "person")
    return stored[0] if stored else None


def someone_seen_twice(folder: Path) -> tuple[str, str, dict[str, Any]]:
    """A person of the scenario with a name and a complete birth date in one service's
    file, whom another record of the truth describes too: (agency, source id, entity)."""
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    owner = {(r["agency"], r["source_id"]): r["entity"] for r in truth["records"]}
    seen: dict[str, int] = {}
    for world in owner.values():
        seen[world] = seen.get(world, 0) + 1
    for entry in read_manifest(folder):
        if entry.path.suffix != ".jsonl":
            continue
        for line in entry.path.read_text(encoding="utf-8").splitlines():
            data = json.loads(line)
            props = data["properties"]
            dob = props.get("birthDate", [""])[0]
            if data["schema"] == "Person" and props.get("name") and len(dob) == 10 \
                    and seen[owner[(entry.agency, data["id"])]] > 1:
                return entry.agency, data["id"], data
    raise AssertionError("no person seen twice in the scenario")


def test_a_record_arriving_after_the_batch_joins_its_persons_entity(
        db: Database, settings: Settings, tmp_path: Path, scenario: Path,
        trained: Trained) -> None:
    load_scenario(db, scenario, tmp_path / "quarantine")
    version = seed_model(db, trained)
    access = operator(db)
    resolve(access, THRESHOLDS, full=True)
    before = exported(access)
    agency, source, known = someone_seen_twice(scenario)
    target = entity(db, record(db, agency, source))
    assert sum(1 for e in before.values() if e == target) > 1  # the batch joined them

    props = known["properties"]
    late = person("late-arrival", props["name"][0], birthDate=props["birthDate"][0])
    load(db, settings, write_jsonl(tmp_path / "late.jsonl", [late]), agency="DGSI")
    summary = resolve(access, THRESHOLDS)  # incremental: the new record only

    assert not summary.trained
    assert summary.model_version == version == latest_version(db)
    assert summary.featured == 1
    assert summary.positive >= 1
    assert entity(db, record(db, "DGSI", "late-arrival")) == target
    after = exported(access)
    assert {k: v for k, v in after.items() if k != ("DGSI", "late-arrival")} == before


def people_resolved(db: Database, settings: Settings, tmp_path: Path,
                    trained: Trained) -> Access:
    load(db, settings, write_jsonl(tmp_path / "ofast.jsonl", [
        person("karim", "Karim BELKACEM", birthDate="1987-05-14", gender="male"),
        person("sofiane", "Sofiane HADDAD", birthDate="1990-02-03")]), agency="OFAST")
    load(db, settings, write_jsonl(tmp_path / "dnpj.jsonl", [
        person("belkacem", "BELKACEM Karim", birthDate="1987-05-14")]), agency="DNPJ")
    # Others, so that no name is common in the store (term frequencies).
    load(db, settings, write_jsonl(tmp_path / "dggn.jsonl", [
        person(f"dggn-{i}", name, birthDate=f"19{60 + i}-0{i + 1}-1{i}")
        for i, name in enumerate(["Lucas MARTIN", "Yanis ROUSSEL", "Inès MOREAU",
                                  "Paul LEROY", "Nadia CHERIF", "Omar TAZI"])]),
        agency="DGGN")
    seed_model(db, trained)
    access = operator(db)
    resolve(access, THRESHOLDS, full=True)
    assert entity(db, record(db, "OFAST", "karim")) == \
        entity(db, record(db, "DNPJ", "belkacem"))
    return access


def test_a_record_with_no_usable_name_nor_identifier_stays_alone(
        db: Database, settings: Settings, tmp_path: Path, trained: Trained) -> None:
    access = people_resolved(db, settings, tmp_path, trained)
    load(db, settings, write_jsonl(tmp_path / "late.jsonl", [
        person("unnamed", "???", birthDate="1987-05-14", gender="male")]), agency="DGSI")
    summary = resolve(access, THRESHOLDS)
    assert (summary.trained, summary.featured, summary.scored_pairs) == (False, 1, 0)
    alone = entity(db, record(db, "DGSI", "unnamed"))
    assert alone is not None
    assert [k for k, e in exported(access).items() if e == alone] == [("DGSI", "unnamed")]


def test_match_scores_every_record_sharing_a_key(
        db: Database, settings: Settings, tmp_path: Path, trained: Trained) -> None:
    people_resolved(db, settings, tmp_path, trained)
    karim, sofiane = record(db, "OFAST", "karim"), record(db, "OFAST", "sofiane")
    belkacem = record(db, "DNPJ", "belkacem")
    facts = [("name", "name", "Karim BELKACEN", "Karim BELKACEN"),
             ("birthDate", "date", "1987-05-14", "1987-05-14")]
    new = person_features(10**6, "DGSI", facts).row()
    scorer = Scorer(*trained)
    with db.read() as conn:
        found = dict(match(conn, scorer, 10**6, new))
        stored = dict(repo.features(conn, "person"))
        itself = match(conn, scorer, karim, stored[karim])
    sharing = {rid for rid, row in stored.items()
               if set(person_keys(row)) & set(person_keys(new))}
    assert set(found) == sharing == {karim, belkacem}
    assert sofiane not in found
    for rid, score in found.items():
        assert score.weight == scorer.score(new, stored[rid]).weight
        assert score.probability > THRESHOLDS.match
    assert [rid for rid, _ in itself] == [belkacem]  # never itself


def test_a_changed_record_is_matched_again(
        db: Database, settings: Settings, tmp_path: Path, trained: Trained) -> None:
    """A service completes a record: it is featured and matched again, and joins the
    entity it now clearly describes."""
    access = people_resolved(db, settings, tmp_path, trained)
    load(db, settings, write_jsonl(tmp_path / "dnpj-new.jsonl", [
        person("haddad", "HADAD")]), agency="DNPJ")
    resolve(access, THRESHOLDS)
    sofiane = entity(db, record(db, "OFAST", "sofiane"))
    assert entity(db, record(db, "DNPJ", "haddad")) != sofiane
    summary = load(db, settings, write_jsonl(tmp_path / "dnpj-more.jsonl", [
        person("haddad", "Sofiane HADDAD", birthDate="1990-02-03")]), agency="DNPJ")
    assert summary.updated == 1
    result = resolve(access, THRESHOLDS)
    assert result.featured == 1
    assert entity(db, record(db, "DNPJ", "haddad")) == sofiane


def test_a_corrected_record_leaves_the_entity_it_no_longer_describes(
        db: Database, settings: Settings, tmp_path: Path, trained: Trained) -> None:
    """A service sends a record again with other facts (its new version replaces the old):
    the model's old merge goes, the record joins the entity it describes now."""
    access = people_resolved(db, settings, tmp_path, trained)
    assert entity(db, record(db, "DNPJ", "belkacem")) == entity(db, record(db, "OFAST",
                                                                          "karim"))
    summary = load(db, settings, write_jsonl(tmp_path / "dnpj-fixed.jsonl", [
        person("belkacem", "Sofiane HADDAD", birthDate="1990-02-03")]), agency="DNPJ")
    assert summary.updated == 1
    assert resolve(access, THRESHOLDS).featured == 1
    changed = entity(db, record(db, "DNPJ", "belkacem"))
    assert changed != entity(db, record(db, "OFAST", "karim"))
    assert changed == entity(db, record(db, "OFAST", "sofiane"))


def test_on_arrival_a_key_too_common_is_left_out_but_phones_and_documents_never(
        db: Database, settings: Settings, tmp_path: Path, trained: Trained) -> None:
    people_resolved(db, settings, tmp_path, trained)
    karim, belkacem = record(db, "OFAST", "karim"), record(db, "DNPJ", "belkacem")
    new = person_features(10**6, "DGSI", [("name", "name", "Karim BELKACEM",
                                           "Karim BELKACEM")]).row()
    keys = person_keys(new)
    with db.read() as conn:
        assert set(repo.candidates(conn, keys, exclude=10**6, cap=2)) == {karim, belkacem}
        assert repo.candidates(conn, keys, exclude=10**6, cap=1) == []
        # Kinds never capped (phones, documents) are kept however common.
        assert set(repo.candidates(conn, keys, exclude=10**6, cap=1, uncapped=tuple(
            {kind for kind, _ in keys}))) == {karim, belkacem}
