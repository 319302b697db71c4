"""Targets: parsing (pure) and what a target designates in the store (both backends)."""

from pathlib import Path

import pytest

from emco.deconflict.targets import (
    InvalidTarget,
    TargetSpec,
    designations,
    parse_target,
    target_entities,
)
from emco.model.enums import TargetKind
from emco.resolve.service import Thresholds
from emco.settings import Settings
from emco.store.db import Database
from tests import factories
from tests.web.conftest import Resolved

THRESHOLDS = Thresholds(0.5, 0.2)


# --- parsing --------------------------------------------------------------------------------

@pytest.mark.parametrize(("kind", "value", "key_kind", "key"), [
    ("phone", "06 12 34 56 78", "phone", "+33612345678"),
    ("phone", "+33 (0)6 12-34-56-78", "phone", "+33612345678"),
    ("phone", "0033612345678", "phone", "+33612345678"),
    ("iban", "fr76 3000 6000 0112 3456 7890 189", "iban", "FR7630006000011234567890189"),
    ("plate", "ab-123-cd", "plate", "AB123CD"),
    ("document", "12ab 34567", "id", "12AB34567"),
    ("email", " Karim.Benali@Example.ORG ", "email", "karim.benali@example.org"),
])
def test_identifiers_are_normalised_as_ingestion_normalises_them(
        kind: str, value: str, key_kind: str, key: str) -> None:
    spec = parse_target(kind, value, "FR")
    assert (spec.kind, spec.key_kind, spec.key) == (TargetKind(kind), key_kind, key)
    assert spec.value == value.strip()  # kept as the service gave it


def test_a_person_is_a_name_and_a_birth_date_with_a_phone_if_known() -> None:
    spec = parse_target("person", {"name": "Mohamed AMRA", "birthDate": "1994-02-13",
                                   "phone": "06 11 22 33 44"}, "FR")
    assert spec.person is not None
    assert (spec.person.birth_date, spec.person.phone) == ("1994-02-13", "+33611223344")
    assert spec.key == "amra mohamed|1994-02-13"
    assert spec.given() == {"name": "Mohamed AMRA", "birth_date": "1994-02-13",
                            "phone": "06 11 22 33 44"}
    swapped = parse_target("person", {"name": "AMRA Mohamed", "birth_date": "1994-02-13"})
    assert swapped.key == spec.key  # the same person written the other way round


def test_records_and_entities_are_targeted_by_their_ids() -> None:
    assert parse_target("record", "42").record_id == 42
    assert parse_target("record", 42).record_id == 42
    assert parse_target("entity", "e00000042").entity_id == "E00000042"


@pytest.mark.parametrize(("kind", "value", "field", "words"), [
    ("phone", "06 12", "value", "not a possible phone number"),
    ("phone", "call me", "value", "only digits"),
    ("iban", "FR76 0000", "value", "not a valid IBAN"),
    ("email", "nobody", "value", "not a valid email"),
    ("plate", "--", "value", "at least one letter or digit"),
    ("phone", "", "value", "give the phone"),
    ("phone", "1" * 201, "value", "at most 200"),
    ("phone", {"name": "x"}, "value", "one value"),
    ("record", "R12", "value", "a number"),
    ("entity", "42", "value", "E00000042"),
    ("person", "Mohamed AMRA", "value", "a name and a birth date"),
    ("person", {"name": "Mohamed AMRA"}, "value.birth_date", "needs a birth date"),
    ("person", {"birth_date": "1994-02-13"}, "value.name", "needs a name"),
    ("person", {"name": "M. AMRA", "birth_date": "13/02/1994"}, "value.birth_date",
     "not a birth date"),
    ("person", {"name": "M. AMRA", "birth_date": "1994", "phone": "x"}, "value.phone",
     "not a valid phone"),
    ("person", {"name": "M. AMRA", "birth_date": "1994", "alias": "Momo"}, "value.alias",
     "unknown field"),
    ("vehicle", "AB-123-CD", "kind", "unknown kind of target"),
])
def test_a_malformed_target_names_its_field_and_what_is_wrong(
        kind: str, value: object, field: str, words: str) -> None:
    with pytest.raises(InvalidTarget) as caught:
        parse_target(kind, value, "FR")  # type: ignore[arg-type]
    assert caught.value.field == field
    assert words in caught.value.message
    assert caught.value.status_code == 422


# --- what a target designates -----------------------------------------------------------------

def test_a_bare_identifier_designates_the_records_that_carry_it(
        db: Database, settings: Settings, tmp_path: Path) -> None:
    path = factories.write_jsonl(tmp_path / "ofast.jsonl", [
        factories.person("o-1", "Karim BENALI", phone="06 12 34 56 78"),
        factories.entity("o-car", "Vehicle", registrationNumber="AB-123-CD")])
    factories.load(db, settings, path)
    with db.read() as conn:
        phone = designations(conn, parse_target("phone", "+33612345678", "FR"), THRESHOLDS)
        plate = designations(conn, parse_target("plate", "ab 123 cd", "FR"), THRESHOLDS)
        nobody = designations(conn, parse_target("phone", "0700000000", "FR"), THRESHOLDS)
    # Not resolved yet: the record itself stands for its entity, and the key for itself.
    assert {d[0] for d in phone.designations} == {"K", "R"}
    assert len(plate.designations) == 2
    assert nobody.designations == frozenset({"Kphone:+33700000000"})


def test_targets_designate_resolved_entities(resolved: Resolved) -> None:
    entities = resolved.entities()
    amra = entities[resolved.ids["o-amra"]]
    assert entities[resolved.ids["s-amra"]] == amra, "the fixture merges the two AMRA"
    with resolved.db.read() as conn:
        by_phone = target_entities(conn, parse_target("phone", "06 11 22 33 44", "FR"),
                                   THRESHOLDS)
        by_person = target_entities(conn, parse_target(
            "person", {"name": "Mohamed Amra", "birth_date": "1994-02-13"}, "FR"), THRESHOLDS)
        namesake = target_entities(conn, parse_target(
            "person", {"name": "Mohamed Amra", "birth_date": "1961-09-30"}, "FR"), THRESHOLDS)
        by_record = target_entities(conn, parse_target("record", resolved.ids["s-amra"]),
                                    THRESHOLDS)
        by_entity = target_entities(conn, parse_target("entity", amra), THRESHOLDS)
        unknown = target_entities(conn, parse_target("entity", "E99999999"), THRESHOLDS)
    assert by_phone == by_person == by_record == by_entity == {amra}
    assert namesake == {entities[resolved.ids["s-amra-old"]]} != {amra}
    assert unknown == set()


def test_without_a_model_a_person_is_found_by_exact_name_and_birth_date(
        db: Database, settings: Settings, tmp_path: Path) -> None:
    path = factories.write_jsonl(tmp_path / "snrp.jsonl", [
        factories.person("s-1", "AMRA Mohamed", birthDate="1994-02-13"),
        factories.person("s-2", "Mohamed AMRA Junior", birthDate="1994-02-13"),
        factories.person("s-3", "Mohamed AMRA", birthDate="1961-09-30")])
    factories.load(db, settings, path, agency="SNRP")
    spec = parse_target("person", {"name": "Mohamed Amra", "birth_date": "1994-02-13"}, "FR")
    with db.read() as conn:
        found = designations(conn, spec, THRESHOLDS)
    assert [score for _, score in found.matches] == [None]  # exact, not scored
    assert len(found.designations) == 2  # the record and the person's key


def test_a_spec_compares_by_what_it_designates() -> None:
    a = parse_target("phone", "06 12 34 56 78", "FR")
    b = parse_target("phone", "+33612345678", "FR")
    assert (a.key_kind, a.key) == (b.key_kind, b.key)
    assert a != b  # the values as given differ: each side is shown its own
    assert isinstance(a, TargetSpec)
