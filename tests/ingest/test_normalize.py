"""Normalisers: one canonical form per kind of value, or `Invalid` with a reason."""

import re
import unicodedata

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emco.ingest.normalize import (
    PARTICLES,
    Invalid,
    fold,
    name_tokens,
    normalize_country,
    normalize_date,
    normalize_email,
    normalize_iban,
    normalize_identifier,
    normalize_phone,
    query_tokens,
)

# --- phones --------------------------------------------------------------------------------


@st.composite
def french_numbers(draw: st.DrawFn) -> str:
    """A French number (9 national digits) as people write it: 0X, +33 or 0033 first,
    with spaces, dots or dashes anywhere between the characters."""
    national = str(draw(st.integers(100_000_000, 999_999_999)))
    chars = draw(st.sampled_from(["0", "+33", "0033"])) + national
    gaps = draw(st.lists(st.sampled_from(["", "", "", " ", ".", "-", " - "]),
                         min_size=len(chars) - 1, max_size=len(chars) - 1))
    padding = draw(st.sampled_from(["", " ", "  "]))
    return padding + "".join(c + g for c, g in zip(chars, [*gaps, ""], strict=True)) + padding


def _general(text: str, region: str) -> str:
    number = phonenumbers.parse(text, region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


@settings(max_examples=300, deadline=None)
@given(french_numbers())
def test_french_fast_path_agrees_with_phonenumbers(text: str) -> None:
    assert normalize_phone(text, "FR") == _general(text, "FR")


@pytest.mark.parametrize(("raw", "expected"), [
    ("06 12 34 56 78", "+33612345678"),
    ("+33 6 12 34 56 78", "+33612345678"),
    ("0033.6.12.34.56.78", "+33612345678"),
    ("+33 (0)1 44 55 66 77", "+33144556677"),  # the general parser's case
    ("+44 20 7946 0958", "+442079460958"),
    ("030 1234567", "+49301234567"),  # no country code: read in the given region
])
def test_phone_examples(raw: str, expected: str) -> None:
    region = "DE" if raw.startswith("030") else "FR"
    assert normalize_phone(raw, region) == expected


@pytest.mark.parametrize(("raw", "reason"), [
    ("06 12 34 56 7a", "only digits"),
    ("call me", "only digits"),
    ("", "only digits"),
    ("12", "wrong length"),
    ("06 12 34 56 78 90 12", "wrong length"),
    ("+", "not a phone number"),
])
def test_invalid_phones_say_why(raw: str, reason: str) -> None:
    with pytest.raises(Invalid, match=reason):
        normalize_phone(raw, "FR")


# --- IBANs ---------------------------------------------------------------------------------

VALID_IBANS = ["FR7630006000011234567890189", "DE89370400440532013000",
               "GB82WEST12345698765432", "BE68539007547034", "NL91ABNA0417164300",
               "ES9121000418450200051332"]


@st.composite
def written_ibans(draw: st.DrawFn) -> tuple[str, str]:
    """A valid IBAN and a way of writing it: any case, spaces anywhere."""
    iban = draw(st.sampled_from(VALID_IBANS))
    out = ""
    for c in iban:
        out += c.lower() if draw(st.booleans()) else c
        out += draw(st.sampled_from(["", "", " "]))
    return iban, out


@settings(max_examples=100, deadline=None)
@given(written_ibans())
def test_iban_accepts_any_spacing_and_case(case: tuple[str, str]) -> None:
    iban, written = case
    assert normalize_iban(written) == iban


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(VALID_IBANS), st.data())
def test_iban_rejects_a_mistyped_digit(iban: str, data: st.DataObject) -> None:
    digits = [i for i, c in enumerate(iban) if c.isdigit() and i >= 2]
    at = data.draw(st.sampled_from(digits))
    other = data.draw(st.sampled_from([d for d in "0123456789" if d != iban[at]]))
    with pytest.raises(Invalid, match="not a valid IBAN"):
        normalize_iban(iban[:at] + other + iban[at + 1:])


def test_iban_wrong_checksum_names_the_problem() -> None:
    with pytest.raises(Invalid, match="not a valid IBAN"):
        normalize_iban("FR7730006000011234567890189")


# --- folding and name tokens ---------------------------------------------------------------

LATIN = "abcdefghijklmnopqrstuvwxyzéèêëàâäîïôöùûüçñãõåæœøß- '"


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_fold_is_idempotent_and_plain(text: str) -> None:
    folded = fold(text)
    assert fold(folded) == folded
    assert re.fullmatch(r"([0-9a-z]+( [0-9a-z]+)*)?", folded)


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=LATIN))
def test_fold_ignores_case_and_accents(text: str) -> None:
    assert fold(text.upper()) == fold(text) == fold(_strip_accents(text))


@pytest.mark.parametrize(("raw", "expected"), [
    ("  Élodie   MÜLLER ", "elodie muller"),
    ("Jean-Pierre O'Neil", "jean pierre o neil"),
    ("Владимир Путин", "vladimir putin"),
])
def test_fold_examples(raw: str, expected: str) -> None:
    assert fold(raw) == expected


def test_fold_transliterates_arabic_to_latin() -> None:
    folded = fold("محمد بن علي")
    assert re.fullmatch(r"[a-z]+ [a-z]+ [a-z]+", folded)
    assert folded.split(" ")[1] == "bn"  # بن, the particle, three words as written


def test_name_tokens_join_particles_to_the_next_word() -> None:
    assert name_tokens("Ben Ali") == ["ben", "ali", "benali"]
    assert name_tokens("Mohamed EL BEN Ali") == ["mohamed", "el", "ben", "ali", "elben",
                                                 "benali"]
    assert name_tokens("J. Smith 3") == ["smith", "3"]  # initials dropped, digits kept


def test_query_tokens_keep_particles_joined() -> None:
    assert query_tokens("Ben Ali") == ["benali"]
    assert query_tokens("benali") == ["benali"]
    assert query_tokens("Mohamed ben Ali") == ["mohamed", "benali"]
    assert query_tokens("Ali Ben") == ["ali", "ben"]  # a particle last stands alone


WORDS = st.sampled_from([*sorted(PARTICLES), "ali", "hassan", "dupont", "martin", "x", "7"])


@settings(max_examples=200, deadline=None)
@given(st.lists(WORDS, min_size=1, max_size=6).map(" ".join))
def test_a_name_is_found_by_itself_as_a_query(name: str) -> None:
    assert set(query_tokens(name)) <= set(name_tokens(name))
    assert set(query_tokens(name.upper())) <= set(name_tokens(name))


# --- dates, identifiers, e-mail, country ---------------------------------------------------

@pytest.mark.parametrize("raw", ["1987", "1987-05", "1987-05-14", " 1987-05-14 "])
def test_partial_iso_dates(raw: str) -> None:
    assert normalize_date(raw) == raw.strip()


@pytest.mark.parametrize("raw", ["1987-02-31", "1987-13", "14/05/1987", "May 1987", "", "87"])
def test_not_dates(raw: str) -> None:
    with pytest.raises(Invalid, match="not a date"):
        normalize_date(raw)


def test_date_with_a_format() -> None:
    assert normalize_date("14/05/1987", "%d/%m/%Y") == "1987-05-14"
    assert normalize_date("05/1987", "%m/%Y") == "1987-05"
    assert normalize_date("14/05/1987 10:22", "%d/%m/%Y %H:%M") == "1987-05-14T10:22"


@pytest.mark.parametrize("raw", ["31/02/1987", "14.05.1987", "mai 1987"])
def test_date_not_matching_its_format(raw: str) -> None:
    with pytest.raises(Invalid, match="date format"):
        normalize_date(raw, "%d/%m/%Y")


@pytest.mark.parametrize(("raw", "iso"), [("1987", "1987"), ("1987-05", "1987-05"),
                                          ("1987-05-14", "1987-05-14")])
def test_a_register_may_give_a_partial_iso_date_beside_its_format(raw: str, iso: str) -> None:
    assert normalize_date(raw, "%d/%m/%Y") == iso


@pytest.mark.parametrize(("raw", "expected"), [
    ("ab-123 cd", "AB123CD"), ("  12.AB.34 ", "12AB34"), ("é-ß 9", "ESS9")])
def test_identifier_examples(raw: str, expected: str) -> None:
    assert normalize_identifier(raw) == expected


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_identifiers_are_upper_case_alphanumerics(raw: str) -> None:
    if not fold(raw).replace(" ", ""):  # no letter or digit, even transliterated
        with pytest.raises(Invalid, match="at least one letter or digit"):
            normalize_identifier(raw)
        return
    value = normalize_identifier(raw)
    assert re.fullmatch(r"[0-9A-Z]+", value)
    assert normalize_identifier(value) == value


def test_email_and_country() -> None:
    assert normalize_email(" Jean.Dupont@Example.FR ") == "jean.dupont@example.fr"
    assert normalize_country("France") == normalize_country(" fr ") == "fr"
    with pytest.raises(Invalid, match="e-mail"):
        normalize_email("jean at example")
    with pytest.raises(Invalid, match="not a country"):
        normalize_country("Atlantis")
