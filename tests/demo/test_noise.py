"""How services mis-write: the noise is varied, but always recognisable and readable back."""

import random
import re
import unicodedata
from collections import Counter
from dataclasses import replace
from datetime import date
from difflib import SequenceMatcher

import phonenumbers
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from emco.demo.names import FIRST_FEMALE, FIRST_MALE, ORIGINS, SURNAMES, Name, draw_name
from emco.demo.noise import (
    DateStyle,
    NameStyle,
    address_writing,
    iban_writing,
    noisy_birth_date,
    particles,
    phone_writing,
    plate_writing,
    render_name,
    spell,
    typo,
)
from emco.ingest.normalize import (
    fold,
    normalize_date,
    normalize_iban,
    normalize_identifier,
    normalize_phone,
)

EXACT = NameStyle(error_rate=0, translit_rate=0, particle_rate=0, arabic_rate=0,
                  drop_second_first_name_rate=0, truncate_surname_rate=0, swap_rate=0)
NOISY = NameStyle(error_rate=0.3, translit_rate=0.4, particle_rate=0.4, arabic_rate=0.1,
                  drop_second_first_name_rate=0.5, truncate_surname_rate=0.1, swap_rate=0.05)
MOHAMED = Name("Mohamed", "Ben Ali", "maghrebi", "M")
NAME_TEXT = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzéèëïçôÉABCKMQRSTZ -'"),
                    min_size=1, max_size=25)


def levenshtein(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        previous, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (ca != cb))
    return row[-1]


def _similar(a: str, b: str) -> float:
    return SequenceMatcher(None, fold(a).replace(" ", ""), fold(b).replace(" ", "")).ratio()


# --- typos -------------------------------------------------------------------------------


def test_levenshtein() -> None:
    assert levenshtein("Mohamed", "Mohamed") == 0
    assert levenshtein("Mohamed", "Mohammed") == 1
    assert levenshtein("Philippe", "Filippe") == 2
    assert levenshtein("", "abc") == 3


@given(st.integers(0, 2**32), NAME_TEXT)
def test_a_typo_is_at_most_two_edits_and_never_empty(seed: int, text: str) -> None:
    out = typo(random.Random(seed), text)
    assert out
    assert levenshtein(out, text) <= 2
    if any(c.isalpha() for c in text):
        assert out != text


def test_typos_on_every_pooled_name_stay_recognisable() -> None:
    rng = random.Random(11)
    for pools in (FIRST_MALE, FIRST_FEMALE, SURNAMES):
        for pool in pools.values():
            for name in pool:
                out = typo(rng, name)
                assert out != name
                assert levenshtein(out, name) <= 2, (name, out)
                if len(name) > 4:
                    assert _similar(out, name) >= 0.6, (name, out)


def test_typos_are_varied_and_deterministic() -> None:
    outs = [typo(random.Random(seed), "Christophe") for seed in range(300)]
    assert outs == [typo(random.Random(seed), "Christophe") for seed in range(300)]
    assert len(set(outs)) > 40
    assert any("f" in o for o in outs)  # ph written f
    assert Counter(outs).most_common(1)[0][1] < 75  # no pattern above a quarter
    upper = {typo(random.Random(seed), "BENALI Mohamed") for seed in range(200)}
    assert all(o.split(" ")[0].isupper() for o in upper if o.split(" ")[0].isalpha())
    assert all(o.split(" ")[-1][1:].islower() for o in upper if o.split(" ")[-1].isalpha())


def test_a_typo_needs_text() -> None:
    with pytest.raises(ValueError, match="text"):
        typo(random.Random(0), "")


# --- spellings and particles -------------------------------------------------------------


def test_spell_gives_a_variant_or_the_part() -> None:
    rng = random.Random(1)
    assert {spell(rng, "Mohamed") for _ in range(50)} >= {"Mohammed", "Muhammad"}
    assert spell(rng, "Dupont") == "Dupont"
    assert spell(rng, "YOUSSEF").isupper()
    compound = {spell(rng, "Mohamed Amine") for _ in range(30)}
    assert all(c.endswith(" Amine") or c.startswith("Mohamed ") for c in compound)
    assert len(compound) > 3


def _particle_forms(surname: str) -> set[str]:
    return {particles(random.Random(seed), surname) for seed in range(200)}


@pytest.mark.parametrize(("surname", "expected"), [
    ("Ben Ali", {"Benali", "Ben-Ali", "BEN ALI"}),
    ("El Amrani", {"Elamrani", "El-Amrani", "Al Amrani", "Amrani"}),
    ("Ait Ouali", {"Aitouali", "Ait-Ouali", "Aït Ouali", "Ouali"}),
    ("Da Silva", {"Dasilva", "DA SILVA", "Silva"}),
    ("Dos Santos", {"Dossantos", "Santos"}),
    ("de la Fontaine", {"Delafontaine", "De La Fontaine", "Fontaine (de la)", "Fontaine"}),
    ("Le Goff", {"Legoff", "LE GOFF"}),
    ("N'Diaye", {"Ndiaye", "N Diaye"}),
    ("Benyoucef", {"Ben Youcef", "Ben-Youcef"}),
    ("Jean-Baptiste", {"Jean Baptiste"}),
    ("Saint-Jean", {"St-Jean"}),
])
def test_particles_written_other_ways(surname: str, expected: set[str]) -> None:
    forms = _particle_forms(surname)
    assert expected <= forms
    assert surname not in forms
    last_word = fold(re.split(r"[ '-]", surname)[-1])
    for form in forms:
        assert last_word in fold(form).replace(" ", ""), form


@pytest.mark.parametrize("surname", ["Martin", "Bennani", "Diallo"])
def test_surnames_without_particles_stay(surname: str) -> None:
    assert _particle_forms(surname) == {surname}


# --- names -------------------------------------------------------------------------------


def test_render_exactly_in_the_service_order_and_case() -> None:
    rng = random.Random(0)
    assert render_name(rng, MOHAMED, EXACT).full == "BEN ALI Mohamed"
    rendered = render_name(rng, MOHAMED, replace(EXACT, surname_first=False))
    assert (rendered.full, rendered.first, rendered.last, rendered.script) == \
        ("Mohamed BEN ALI", "Mohamed", "BEN ALI", "Latn")
    single = replace(EXACT, separate_fields=False, surname_upper=False)
    rendered = render_name(rng, MOHAMED, single)
    assert (rendered.full, rendered.first, rendered.last) == ("Ben Ali Mohamed", None, None)
    shouting = replace(EXACT, all_upper=True, ascii_only=True)
    rendered = render_name(rng, Name("Jérôme", "Lefèvre", "french", "M"), shouting)
    assert rendered.full == "LEFEVRE JEROME"


def test_render_in_arabic_script_when_known() -> None:
    arabic = replace(EXACT, arabic_rate=1.0)
    rendered = render_name(random.Random(0), MOHAMED, arabic)
    assert (rendered.full, rendered.first, rendered.last, rendered.script) == \
        ("محمد بن علي", "محمد", "بن علي", "Arab")
    compound = render_name(random.Random(0), Name("Mohamed Amine", "Haddad", "maghrebi", "M"),
                           arabic)
    assert compound.full == "محمد أمين حداد"
    assert all(c == " " or unicodedata.name(c).startswith("ARABIC") for c in compound.full)
    french = render_name(random.Random(0), Name("Jean", "Martin", "french", "M"), arabic)
    assert french.script == "Latn"


def test_render_swaps_shortens_and_truncates() -> None:
    swapped = render_name(random.Random(0), MOHAMED, replace(EXACT, swap_rate=1.0))
    assert (swapped.first, swapped.last) == ("Ben Ali", "MOHAMED")
    short = replace(EXACT, drop_second_first_name_rate=1.0, truncate_surname_rate=1.0)
    rendered = render_name(random.Random(0), Name("Jean-Marc", "Dos Santos", "portuguese", "M"),
                           short)
    assert (rendered.first, rendered.last) == ("Jean", "SANTOS")
    for first, kept in (("Mohamed Amine", "Mohamed"), ("Văn Minh", "Minh"),
                        ("El Hadji", "El Hadji")):
        rendered = render_name(random.Random(0), Name(first, "Diop", "west_african", "M"), short)
        assert rendered.first == kept


@pytest.mark.parametrize("origin", list(ORIGINS))
def test_noisy_names_stay_recognisable(origin: str) -> None:
    rng = random.Random(origin)
    scores = []
    for _ in range(200):
        name = draw_name(rng, origin, rng.choice("MF"))
        rendered = render_name(rng, name, NOISY)
        assert rendered.full
        assert rendered.first
        assert rendered.last
        if rendered.script == "Arab":
            continue
        truth = f"{name.first} {name.last}"
        best = max(_similar(f"{rendered.first} {rendered.last}", truth),
                   _similar(f"{rendered.last} {rendered.first}", truth))
        scores.append(best)
        assert best >= 0.4, (name, rendered)
    assert sum(scores) / len(scores) >= 0.8


def test_rendering_is_deterministic_and_varied() -> None:
    def run(seed: int) -> list[str]:
        rng = random.Random(seed)
        return [render_name(rng, MOHAMED, NOISY).full for _ in range(200)]

    assert run(5) == run(5)
    assert len(set(run(5))) > 20


# --- dates -------------------------------------------------------------------------------

RATE = st.floats(0, 0.15)
NO_DATE_NOISE = dict.fromkeys(("missing_rate", "jan_first_rate", "year_only_rate",
                               "year_month_rate", "swap_rate", "digit_rate"), 0.0)


@given(st.integers(0, 2**32), st.dates(date(1940, 1, 1), date(2010, 12, 31)),
       st.builds(DateStyle, RATE, RATE, RATE, RATE, RATE, RATE))
def test_birth_dates_are_partial_iso_dates(seed: int, born: date, style: DateStyle) -> None:
    out = noisy_birth_date(random.Random(seed), born, style)
    if out is not None:
        assert re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", out)
        assert normalize_date(out) == out
        assert out[:2] == born.isoformat()[:2]


def test_each_birth_date_outcome() -> None:
    born = date(1987, 5, 3)
    rng = random.Random(0)

    def only(**rate: float) -> str | None:
        return noisy_birth_date(rng, born, DateStyle(**{**NO_DATE_NOISE, **rate}))

    assert only() == "1987-05-03"
    assert only(missing_rate=1) is None
    assert only(jan_first_rate=1) == "1987-01-01"
    assert only(year_only_rate=1) == "1987"
    assert only(year_month_rate=1) == "1987-05"
    assert only(swap_rate=1) == "1987-03-05"
    fourteenth = noisy_birth_date(rng, date(1987, 5, 14),
                                  DateStyle(**{**NO_DATE_NOISE, "swap_rate": 1}))
    assert fourteenth == "1987-05-14"
    wrong = only(digit_rate=1)
    assert wrong is not None
    assert levenshtein(wrong, "1987-05-03") == 1
    # A service's NameStyle carries its date habits.
    missing = NameStyle(dates=DateStyle(**{**NO_DATE_NOISE, "missing_rate": 1}))
    assert noisy_birth_date(rng, born, missing) is None


# --- numbers, plates, accounts, addresses ------------------------------------------------

FRENCH_NUMBERS = st.builds(lambda first, rest: f"+33{first}{rest}",
                           st.sampled_from("12345679"), st.from_regex(r"\A[0-9]{8}\Z"))
REGIONS = ["BE", "ES", "DE", "GB", "NL", "IT", "CH", "PT", "DZ", "MA", "TN", "SN", "ML", "CI",
           "RO", "RS", "AL", "TR", "KM", "GP", "MQ", "RE", "US"]


@st.composite
def foreign_numbers(draw: st.DrawFn) -> str:
    region = draw(st.sampled_from(REGIONS))
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    assert example is not None
    e164 = phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.E164)
    tail = draw(st.from_regex(r"\A[0-9]{3}\Z"))
    number = e164[:-3] + tail
    assume(phonenumbers.is_possible_number(phonenumbers.parse(number, None)))
    return number


@given(st.integers(0, 2**32), FRENCH_NUMBERS | foreign_numbers())
def test_phone_writings_read_back_to_the_same_number(seed: int, e164: str) -> None:
    written = phone_writing(random.Random(seed), e164)
    assert normalize_phone(written, "FR") == e164
    parsed = phonenumbers.parse(written, "FR")
    assert phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164) == e164


def test_phone_writings_are_the_french_ones() -> None:
    forms = {phone_writing(random.Random(seed), "+33612345678") for seed in range(300)}
    assert {"06 12 34 56 78", "0612345678", "06.12.34.56.78", "+33 6 12 34 56 78",
            "0033612345678", "+33612345678"} <= forms
    foreign = {phone_writing(random.Random(seed), "+32470123456") for seed in range(50)}
    assert all(f.startswith(("+32", "0032")) for f in foreign)


PLATES = st.from_regex(r"\A[A-HJ-NP-TV-Z]{2}-[0-9]{3}-[A-HJ-NP-TV-Z]{2}\Z") \
    | st.from_regex(r"\A[0-9]{1,4} [A-Z]{2,3} (0[1-9]|[1-8][0-9]|9[0-5]|2A|2B)\Z")


@given(st.integers(0, 2**32), PLATES)
def test_plate_writings_normalise_to_the_plate(seed: int, plate: str) -> None:
    written = plate_writing(random.Random(seed), plate)
    assert normalize_identifier(written) == normalize_identifier(plate)


def test_plate_writings_vary() -> None:
    forms = {plate_writing(random.Random(seed), "AB-123-CD") for seed in range(200)}
    assert {"AB-123-CD", "AB 123 CD", "AB123CD"} <= forms
    assert any(f.islower() for f in forms)


IBANS = ["FR7630006000011234567890189", "DE89370400440532013000", "BE68539007547034",
         "ES9121000418450200051332", "PT50000201231234567890154", "GB29NWBK60161331926819",
         "IT60X0542811101000000123456", "CH9300762011623852957", "MC5811222000010123456789030",
         "TN5910006035183598478831", "MA64011519000001205000534921"]


@given(st.integers(0, 2**32), st.sampled_from(IBANS))
def test_iban_writings_normalise_to_the_iban(seed: int, iban: str) -> None:
    written = iban_writing(random.Random(seed), iban)
    assert normalize_iban(written) == iban
    assert written.replace(" ", "").upper() == iban


def test_iban_writings_are_compact_or_grouped() -> None:
    forms = {iban_writing(random.Random(seed), IBANS[0]) for seed in range(100)}
    assert {IBANS[0], "FR76 3000 6000 0112 3456 7890 189"} <= forms


ADDRESSES = st.tuples(
    st.one_of(st.integers(1, 250), st.sampled_from(["12 bis", "3 ter"])),
    st.sampled_from(["avenue Jean Jaurès", "boulevard de la Libération", "rue Paradis",
                     "chemin des Vignes", "place de la République", "allée des Tilleuls",
                     "rue du Général Leclerc", "impasse Saint-Éloi", "quai de Rive-Neuve"]),
    st.sampled_from(["13003", "93200", "69008", "59100", "75018"]),
    st.sampled_from(["Marseille", "Saint-Denis", "Lyon", "Roubaix", "Paris", "Aulnay-sous-Bois"]),
)


@given(st.integers(0, 2**32), ADDRESSES)
def test_address_writings_keep_number_postcode_and_city(
        seed: int, address: tuple[int | str, str, str, str]) -> None:
    number, street, postcode, city = address
    written = address_writing(random.Random(seed), number, street, postcode, city)
    folded = fold(written)
    assert fold(str(number)) in folded
    assert postcode in written
    assert fold(city) in folded


def test_address_writings_abbreviate() -> None:
    forms = {address_writing(random.Random(seed), 12, "avenue Jean Jaurès", "13003",
                             "Marseille") for seed in range(300)}
    assert any(" av. " in f or " av " in f for f in forms)
    assert any("MARSEILLE" in f for f in forms)
    assert any("Jaures" in f for f in forms)
    assert any("Bât. " in f for f in forms)
    assert "12 AVENUE JEAN JAURES 13003 MARSEILLE" in forms
