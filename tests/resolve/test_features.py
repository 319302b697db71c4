"""Features of a record as the model compares it, and the blocking keys that find its
candidates. Records are given as the statements ingestion stores: (prop, type, value,
original), the value normalised as ingestion does."""

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from emco.ingest.normalize import clean_text
from emco.resolve.features import (
    PersonFeatures,
    Statement,
    company_key,
    person_features,
    person_keys,
)

TYPES = {"name": "name", "firstName": "name", "lastName": "name", "birthDate": "date",
         "phone": "phone", "idNumber": "identifier", "passportNumber": "identifier",
         "socialSecurityNumber": "identifier", "birthPlace": "string", "gender": "gender",
         "address": "address", "email": "email"}


def statements(**props: Any) -> list[Statement]:
    out = []
    for prop, values in props.items():
        for raw in values if isinstance(values, list) else [values]:
            value = clean_text(raw) if TYPES[prop] == "name" else raw
            out.append((prop, TYPES[prop], value, raw))
    return out


def features(**props: Any) -> PersonFeatures:
    return person_features(1, "OFAST", statements(**props))


# --- names ---------------------------------------------------------------------------------

@pytest.mark.parametrize("props", [
    {"firstName": "Mohamed", "lastName": "Benali"},
    {"firstName": "Mohamed", "lastName": "Ben Ali"},
    {"name": "BENALI Mohamed"},
    {"name": "Mohamed BENALI"},
    {"name": "Mohamed Ben Ali"},
    {"name": "Mohamed BEN ALI"},
    {"name": "BEN ALI Mohamed"},
    {"name": "mohamed benali"},
    {"name": "Mohamed Benali"},
], ids=lambda p: " / ".join(p.values()))
def test_first_name_and_surname_are_read_from_fields_or_the_full_name(
        props: dict[str, str]) -> None:
    f = features(**props)
    assert (f.fn, f.sn) == ("mohamed", "benali")
    assert (f.fn_mp, f.sn_mp) == ("MHMT", "BNL")
    assert f.name_key == "benali mohamed"


@pytest.mark.parametrize(("short", "full"), [
    ("Momo BELKACEM", "Mohamed BELKACEM"),
    ("Kader HADDAD", "Abdelkader HADDAD"),
    ("Nico MARTIN", "Nicolas MARTIN"),
    ("JP DUVAL", "Jean-Pierre DUVAL"),
])
def test_a_known_short_form_sounds_like_the_formal_name(short: str, full: str) -> None:
    a, b = features(name=short), features(name=full)
    assert a.fn != b.fn  # what the service wrote is kept
    assert a.fn_mp == b.fn_mp is not None
    assert ("fs", f"{a.fn_mp}|{a.sn_mp}") in set(a.keys()) & set(b.keys())


def test_an_ambiguous_short_form_is_not_guessed() -> None:
    """"Manu": Emmanuel or Manuel; it keeps its own sound."""
    assert features(name="Manu GARCIA").fn_mp == "MN"


def test_a_capitalised_surname_marks_itself_wherever_it_stands() -> None:
    """Without capitals the last word is the surname; with them, the capitals are."""
    assert (features(name="Ali Karim").fn, features(name="Ali Karim").sn) == ("ali", "karim")
    assert (features(name="ALI Karim").fn, features(name="ALI Karim").sn) == ("karim", "ali")
    assert (features(name="Karim ALI").fn, features(name="Karim ALI").sn) == ("karim", "ali")


@pytest.mark.parametrize(("name", "fn", "sn"), [
    ("DUPONT-MARTIN Jean", "jean", "dupontmartin"),
    ("Jean DUPONT-MARTIN", "jean", "dupontmartin"),
    ("N'DIAYE Mamadou", "mamadou", "ndiaye"),
    ("D’ALMEIDA Paulo", "paulo", "dalmeida"),
])
def test_a_capitalised_surname_with_a_hyphen_or_apostrophe_marks_itself(
        name: str, fn: str, sn: str) -> None:
    f = features(name=name)
    assert (f.fn, f.sn) == (fn, sn)


def test_separate_fields_win_over_the_full_name() -> None:
    f = features(firstName="Karim", lastName="Belkacem", name="Someone ELSE")
    assert (f.fn, f.sn) == ("karim", "belkacem")


def test_a_missing_field_is_taken_from_the_full_name() -> None:
    f = features(lastName="Belkacem", name="Karim BELKACEM")
    assert (f.fn, f.sn) == ("karim", "belkacem")
    f = features(firstName="Karim", name="Karim BELKACEM")
    assert (f.fn, f.sn) == ("karim", "belkacem")


def test_the_first_given_name_is_compared_and_every_word_is_in_the_name_key() -> None:
    f = features(name="Jean Pierre Marc DUPONT")
    assert (f.fn, f.sn) == ("jean", "dupont")
    assert f.name_key == "dupont jean marc pierre"


def test_a_single_word_is_a_surname() -> None:
    f = features(name="Belkacem")
    assert (f.fn, f.sn, f.name_key) == (None, "belkacem", "belkacem")
    assert f.usable


@pytest.mark.parametrize(("one", "other"), [
    ("Karim Belkacem", "Belkacem Karim"),
    ("Karim BELKACEM", "BELKACEM Karim"),
    ("Karim Belkacem", "BELKACEM Karim"),
    ("Mohamed Ben Ali", "BEN ALI Mohamed"),
    ("Jean Pierre Dupont", "Dupont Jean Pierre"),
])
def test_the_name_key_is_the_same_for_swapped_names(one: str, other: str) -> None:
    a, b = features(name=one), features(name=other)
    assert a.name_key == b.name_key is not None
    assert ("nk", a.name_key) in set(a.keys())
    assert ("nk", a.name_key) in set(b.keys())  # so the two are compared


@pytest.mark.parametrize(("arabic", "latin"), [
    ("كريم بلقاسم", "Karim Belkacem"),
    ("كريم بلقاسم", "BELKACEM Karim"),
])
def test_arabic_and_latin_writings_of_a_name_sound_alike(arabic: str, latin: str) -> None:
    a, b = features(name=arabic), features(name=latin)
    assert a.fn  # transliterated, not lost
    assert a.sn
    assert a.fn_mp == b.fn_mp is not None
    assert a.sn_mp == b.sn_mp is not None
    assert set(a.keys()) & set(b.keys())  # they share a blocking key: compared


@pytest.mark.parametrize(("arabic", "latin"), [
    ("محمد الخطيب", "Mohamed KHATTIB"),  # the article the transcription dropped
    ("محمد الخطيب", "Muhammad EL KHATIB"),  # or kept apart
    ("سعيد عمارة", "Saïd AMARA"),  # an ayn unwritten, a ta marbuta read as a vowel
    ("إدريس الغربي", "Driss GHERBI"),
    ("حسين زروقي", "Houcine ZERROUKI"),
])
def test_arabic_script_and_its_transcription_have_the_same_consonants(
        arabic: str, latin: str) -> None:
    a, b = features(name=arabic), features(name=latin)
    assert (a.fn_sk, a.sn_sk) == (b.fn_sk, b.sn_sk)
    assert None not in (a.fn_sk, a.sn_sk)


def test_an_ayn_does_not_cut_a_name_in_two() -> None:
    assert features(name="سعيد التازي").fn == "syd"  # not "s" and "yd"
    assert features(name="Saïd EL TAZI").sn == "eltazi"  # a Latin article stays written


def test_accents_and_case_are_folded() -> None:
    a, b = features(name="Hélène LEFÈVRE"), features(name="helene lefevre")
    assert (a.fn, a.sn) == (b.fn, b.sn) == ("helene", "lefevre")


# --- dates, other facts --------------------------------------------------------------------

@pytest.mark.parametrize(("dates", "expected"), [
    ("1987-05-14", ("1987-05-14", 1987, 5, 14)),
    ("1987-05", (None, 1987, 5, None)),
    ("1987", (None, 1987, None, None)),
    ("1987-05-14T10:30:00", ("1987-05-14", 1987, 5, 14)),
    (["1987", "1987-05-14", "1987-05"], ("1987-05-14", 1987, 5, 14)),  # the most complete
    (["1990-02", "1987"], (None, 1990, 2, None)),
])
def test_partial_dates_give_their_parts(dates: str | list[str],
                                        expected: tuple[Any, ...]) -> None:
    f = features(name="Karim BELKACEM", birthDate=dates)
    assert (f.dob, f.dob_y, f.dob_m, f.dob_d) == expected


def test_phones_identity_documents_and_e_mails_are_sets() -> None:
    f = features(name="Karim BELKACEM", phone=["+33612345678", "+33612345678", "+33600000001"],
                 idNumber="X123", passportNumber=["P9", "X123"], socialSecurityNumber="1870",
                 email="k.belkacem@example.org")
    assert f.phones == ("+33600000001", "+33612345678")
    assert f.ids == ("1870", "P9", "X123", "k.belkacem@example.org")
    keys = f.keys()
    assert ("ph", "+33612345678") in keys
    assert ("id", "P9") in keys
    assert ("id", "k.belkacem@example.org") in keys  # an e-mail blocks like a document


def test_birthplace_is_folded_and_gender_kept_only_when_known() -> None:
    f = features(name="Karim BELKACEM", birthPlace="Saint-Étienne", gender="male")
    assert (f.birthplace, f.gender) == ("saint etienne", "male")
    assert features(name="Karim BELKACEM", gender="other").gender is None


# --- usable records and keys ---------------------------------------------------------------

@pytest.mark.parametrize("props", [
    {},
    {"birthDate": "1987-05-14", "gender": "male", "birthPlace": "Lyon"},
    {"name": "—", "birthDate": "1987-05-14"},
    {"name": "   "},
])
def test_a_record_with_no_name_nor_identifier_is_not_usable(props: dict[str, str]) -> None:
    f = features(**props)
    assert not f.usable
    assert f.keys() == []
    assert (f.fn, f.sn, f.name_key) == (None, None, None)


@pytest.mark.parametrize("props", [
    {"phone": "+33612345678"}, {"idNumber": "X123"}, {"firstName": "Karim"},
])
def test_one_name_or_identifier_is_enough_to_be_usable(props: dict[str, str]) -> None:
    f = features(**props)
    assert f.usable
    assert f.keys()


def test_blocking_keys_pair_names_dates_and_initials() -> None:
    f = features(name="Karim BELKACEM", birthDate="1987-05-14")
    assert {("fs", "KRM|BLKSM"), ("fd", "KRM|1987-05-14"),
            ("sf", "BLKSM|k|1987"), ("fi", "KRM|b|1987"), ("nk", "belkacem karim")} <= set(f.keys())


def test_a_typing_error_in_one_name_still_shares_a_key() -> None:
    """The sound of the other name and an initial, or the date and an initial."""
    one = features(name="Karim BELKACEM", birthDate="1987-05-14")
    for typo in ("Karim BELKACEN", "Karin BELKACEM", "Krim BELKACEM", "Karim BLEKACEM"):
        assert set(one.keys()) & set(features(name=typo, birthDate="1987-05-14").keys()), typo


def test_the_address_is_folded_and_its_postcode_read() -> None:
    f = features(name="Karim BELKACEM", address="12, rue de la République 13002 Marseille")
    assert f.address == "12 rue de la republique 13002 marseille"
    assert f.postcode == "13002"
    assert features(name="Karim BELKACEM", address="rue sans code").postcode is None


NAMES = st.sampled_from(["Karim BELKACEM", "Belkacem Karim", "كريم بلقاسم", "Mohamed Ben Ali",
                         "BEN ALI Mohamed", "Jean-Pierre DUPONT", "Sofiane", "—", "",
                         "Ève D'ALMEIDA", "x", "Li Wei", "ZHANG San"])
DATES = st.sampled_from(["1987", "1987-05", "1987-05-14", "1990-14-05", "2001-01-01T00:00"])
PROPS = st.fixed_dictionaries({}, optional={
    "name": st.lists(NAMES, max_size=2),
    "firstName": st.sampled_from(["Karim", "Jean Pierre", "", "Ève"]),
    "lastName": st.sampled_from(["Belkacem", "Ben Ali", "", "de la Fontaine"]),
    "birthDate": st.lists(DATES, max_size=2),
    "phone": st.lists(st.sampled_from(["+33612345678", "+213550000000"]), max_size=2),
    "idNumber": st.lists(st.sampled_from(["X123", "AB99"]), max_size=2),
    "gender": st.sampled_from(["male", "female", "other"]),
    "birthPlace": st.sampled_from(["Alger", "Marseille", ""]),
    "address": st.sampled_from(["3 rue Oran 13003 Marseille", "Bd Sud, Lyon", ""]),
})


@given(PROPS)
def test_keys_are_the_keys_of_the_row(props: dict[str, Any]) -> None:
    """The real-time matcher blocks on `keys()`, the batch on the row's columns."""
    f = features(**props)
    row = f.row()
    assert f.keys() == person_keys(row)
    assert bool(f.keys()) == f.usable
    assert row["unique_id"] == f.record_id
    assert row["phones"] == list(f.phones)
    keys = f.keys()
    assert all(len(value) <= 200 for _, value in keys)
    # None, never "": SQL and Python compare an empty string differently
    assert "" not in [v for v in row.values() if isinstance(v, str)]


# --- companies -----------------------------------------------------------------------------

@pytest.mark.parametrize(("one", "other"), [
    ("SARL Atlas", "ATLAS"), ("Atlas Import Export SAS", "atlas import-export"),
    ("Société Générale d'Import", "SOCIETE GENERALE D IMPORT"),
])
def test_a_company_name_is_compared_without_case_accents_or_legal_form(
        one: str, other: str) -> None:
    assert company_key(one) == company_key(other) is not None


@pytest.mark.parametrize("name", [None, "", "SARL", "sarl et cie"])
def test_a_company_name_that_is_only_a_legal_form_has_no_key(name: str | None) -> None:
    assert company_key(name) is None
