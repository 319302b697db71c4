"""Each comparison level is written twice, as SQL for Splink's batch on DuckDB and as
Python for the real-time matcher: both must put every pair at the same level.

Pairs of feature rows are drawn by Hypothesis (names swapped, misspelt, in Arabic script,
missing; dates partial, near, swapped; lists empty or shared), put in a DuckDB table with
Splink's `_l`/`_r` columns, and each comparison is evaluated there as the CASE WHEN Splink
generates from the levels' SQL (the first level that holds wins; the null level gives -1,
the others count down to 0 for "else")."""

from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rapidfuzz.distance import JaroWinkler

from emco.ingest.normalize import clean_text
from emco.resolve.comparisons import BLOCKING_ARRAYS, PERSON, Comparison, levels
from emco.resolve.features import person_features

INTEGERS = ("dob_y", "dob_m", "dob_d")

GIVEN = ["Karim", "Karime", "Kareem", "Carim", "Krim", "Akrim", "Kamir", "Samir", "Mohamed",
         "Mohammed", "Mahmoud", "Sofiane", "Sofian", "Jean", "Jeannot", "Jean Pierre", "Ali"]
FAMILY = ["BELKACEM", "BELKACEN", "BELQACEM", "Belkasem", "BEN ALI", "BENALI", "HADDAD",
          "HADAD", "DUPONT", "DUPONTEL", "Ali", "Karim", "Kamir"]
TOKEN = st.text(alphabet="abikmr", min_size=1, max_size=7)


@st.composite
def full_names(draw: st.DrawFn) -> str:
    given, family = draw(st.sampled_from(GIVEN) | TOKEN), draw(st.sampled_from(FAMILY) | TOKEN)
    return draw(st.sampled_from([f"{given} {family}", f"{family} {given}",
                                 f"{given} {family.upper()}", f"{family.upper()} {given}",
                                 given, "كريم بلقاسم", "محمد بن علي", "—"]))


@st.composite
def dates(draw: st.DrawFn) -> str:
    y = draw(st.sampled_from([1987, 1988, 1978]))
    m = draw(st.sampled_from([1, 4, 5, 11, 12]))
    d = draw(st.sampled_from([1, 4, 5, 11, 14, 15]))
    return draw(st.sampled_from([f"{y}", f"{y}-{m:02d}", f"{y}-{m:02d}-{d:02d}"]))


PROPS_KEYS = ("name", "firstName", "lastName", "birthDate", "phone", "idNumber",
              "birthPlace", "address", "gender")
PROPS = st.fixed_dictionaries({}, optional={
    "name": full_names(),
    "firstName": st.sampled_from(GIVEN),
    "lastName": st.sampled_from(FAMILY),
    "birthDate": dates(),
    "phone": st.lists(st.sampled_from(["+33612345678", "+33698765432", "+213550000001"]),
                      max_size=2),
    "idNumber": st.lists(st.sampled_from(["X123", "AB99", "Z7"]), max_size=2),
    "birthPlace": st.sampled_from(["Alger", "Marseille", "Oran"]),
    "address": st.sampled_from(["3 rue d'Oran 13003 Marseille", "3 rue Oran 13003 Marseille",
                                "12 bd Sud 13003 Marseille", "4 av. Foch 69006 Lyon"]),
    "gender": st.sampled_from(["male", "female"]),
})


def row(record_id: int, props: dict[str, Any]) -> dict[str, Any]:
    facts = []
    for prop, values in props.items():
        for raw in values if isinstance(values, list) else [values]:
            value = clean_text(raw) if prop in ("name", "firstName", "lastName") else raw
            facts.append((prop, "string", value, raw))
    return person_features(record_id, "OFAST", facts).row()


def typo(draw: st.DrawFn, text: str) -> str:
    """One typing error: a letter replaced, dropped, added, or two letters exchanged."""
    if len(text) < 2:
        return text + "e"
    i = draw(st.integers(0, len(text) - 2))
    letter = draw(st.sampled_from("aeikmnrs"))
    return draw(st.sampled_from([text[:i] + letter + text[i + 1:], text[:i] + text[i + 1:],
                                 text[:i] + letter + text[i:],
                                 text[:i] + text[i + 1] + text[i] + text[i + 2:]]))


@st.composite
def variant(draw: st.DrawFn, props: dict[str, Any]) -> dict[str, Any]:
    """The same person written again by another service: one to three changes."""
    out = dict(props)
    for _ in range(draw(st.integers(1, 3))):
        change = draw(st.sampled_from(["swap", "typo", "rename", "date", "drop", "add"]))
        name = out.get("name")
        if change == "swap" and name:
            out["name"] = " ".join(reversed(name.split(" ")))
        elif change == "swap" and "firstName" in out and "lastName" in out:
            out["firstName"], out["lastName"] = out["lastName"], out["firstName"]
        elif change == "typo" and name:
            out["name"] = typo(draw, name)
        elif change == "typo" and "address" in out:
            out["address"] = typo(draw, out["address"])
        elif change == "rename":
            out["name"] = draw(full_names())
        elif change == "date" and "birthDate" in out:
            y, *rest = out["birthDate"].split("-")
            out["birthDate"] = draw(st.sampled_from([
                "-".join([y, *reversed(rest)]) if len(rest) == 2 else y,
                typo(draw, out["birthDate"]).replace("e", "1"),
                y, draw(dates())]))
        elif change == "drop" and out:
            out.pop(draw(st.sampled_from(sorted(out))))
        else:
            key, value = draw(PROPS.filter(bool).map(lambda p: next(iter(p.items()))))
            out[key] = value
    return out


@st.composite
def pairs(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two rows, the second often a variant of the first: the levels between "exact" and
    "else" are only reached by near values."""
    left = draw(PROPS)
    if draw(st.integers(0, 3)):
        left["name"] = draw(full_names())
    kind = draw(st.sampled_from(["other", "same", "variant", "near", "near"]))
    if kind == "near":  # misspelt: the levels between exact and else, near their thresholds
        given, family = draw(st.sampled_from(GIVEN)), draw(st.sampled_from(FAMILY))
        left["name"] = f"{given} {family}"
        other = dict(left, name=f"{typo(draw, given)} {typo(draw, typo(draw, family))}")
    else:
        other = draw(PROPS) if kind == "other" else left if kind == "same" else \
            draw(variant(left))
    return row(1, left), row(2, other)


def columns(comparison_rows: list[dict[str, Any]]) -> list[str]:
    return [c for c in comparison_rows[0] if c not in ("unique_id", "agency")
            and not c.startswith("k_")]


def splink_case(comparison: Comparison) -> str:
    """The CASE expression Splink builds from a comparison's levels."""
    value = sum(1 for level in comparison.levels if not level.is_null) - 1
    whens = []
    for level in comparison.levels:
        if level.is_null:
            whens.append(f"WHEN {level.sql} THEN -1")
        elif level.sql == "ELSE":
            whens.append(f"ELSE {value}")
            value -= 1
        else:
            whens.append(f"WHEN {level.sql} THEN {value}")
            value -= 1
    return "CASE " + " ".join(whens) + " END"


def sql_levels(drawn: list[tuple[dict[str, Any], dict[str, Any]]]) -> list[list[int]]:
    names = columns([drawn[0][0]])
    fields = [pa.field("pair", pa.int64())]
    data: dict[str, list[Any]] = {"pair": list(range(len(drawn)))}
    for name in names:
        kind = pa.list_(pa.string()) if name in BLOCKING_ARRAYS else \
            pa.int64() if name in INTEGERS else pa.string()
        for side, index in (("l", 0), ("r", 1)):
            fields.append(pa.field(f"{name}_{side}", kind))
            data[f"{name}_{side}"] = [p[index][name] for p in drawn]
    table = pa.Table.from_pydict(data, schema=pa.schema(fields))
    con = duckdb.connect()
    try:
        con.register("pairs", table)
        cases = ", ".join(splink_case(c) for c in PERSON)
        return [list(r[1:]) for r in con.execute(
            f"SELECT pair, {cases} FROM pairs ORDER BY pair").fetchall()]
    finally:
        con.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(pairs(), min_size=1, max_size=150))
def test_sql_and_python_put_every_pair_at_the_same_level(
        drawn: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    from_sql = sql_levels(drawn)
    for (left, right), expected in zip(drawn, from_sql, strict=True):
        assert levels(PERSON, left, right) == expected, (left, right)


def edits(word: str) -> set[str]:
    """Every spelling one typing error away (over a few letters)."""
    letters = "aeikmnrs"
    out = {word[:i] + word[i + 1:] for i in range(len(word))}
    out |= {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)}
    out |= {word[:i] + c + word[i + 1:] for i in range(len(word)) for c in letters}
    out |= {word[:i] + c + word[i:] for i in range(len(word) + 1) for c in "ae"}
    return {w for w in out if w and w != word}


def misspelt_pairs() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    out = []
    for name in GIVEN:
        first = name.split(" ")[0].lower()
        twice = {w for once in edits(first) for w in edits(once)} if len(first) <= 4 else set()
        out += [(row(1, {"firstName": first, "lastName": "Belkacem"}),
                 row(2, {"firstName": other, "lastName": "Belkacem"}))
                for other in sorted(edits(first) | twice)]
    for family in FAMILY:
        last = family.replace(" ", "").lower()
        out += [(row(1, {"firstName": "Karim", "lastName": last}),
                 row(2, {"firstName": "Karim", "lastName": other}))
                for other in sorted(edits(last))]
        out.append((row(1, {"firstName": "Karim", "lastName": last}),
                    row(2, {"firstName": last, "lastName": "Karim"})))
    return out


DATES = ["1987-05-04", "1987-04-05", "1988-04-05", "1987-05-14", "1987-05-15", "1987-05-41",
         "1987-05", "1987-04", "1987", "1978-05-14", "1988-05-14", "1987-11-05"]


def test_misspellings_either_side_of_every_threshold_agree() -> None:
    """Every single typing error in the names (two in short ones), and every two of a set
    of near dates:
    SQL and Python agree right at the thresholds, where random draws rarely fall."""
    drawn = misspelt_pairs() + [
        (row(1, {"name": "Karim BELKACEM", "birthDate": a}),
         row(2, {"name": "Karim BELKACEM", "birthDate": b})) for a in DATES for b in DATES]
    from_sql = sql_levels(drawn)
    for (left, right), expected in zip(drawn, from_sql, strict=True):
        assert levels(PERSON, left, right) == expected, (left, right)
    # both sides of each name threshold are reached
    for column in ("fn", "sn"):
        near = [JaroWinkler.similarity(a[column], b[column]) for a, b in drawn
                if a[column] and b[column]]
        for threshold in (0.8, 0.92):
            assert any(threshold - 0.02 <= s < threshold for s in near), (column, threshold)
            assert any(threshold <= s < threshold + 0.02 for s in near), (column, threshold)


KB = {"name": "Karim BELKACEM"}
KB87 = {"name": "Karim BELKACEM", "birthDate": "1987-05-14"}
ORAN = "3 rue Oran 13003 Marseille"
# One pair at least for every level of every comparison (checked below): each is put at
# its level by Python and by SQL, whatever Hypothesis happens to draw.
CATALOGUE: list[tuple[dict[str, Any], dict[str, Any], str, str]] = [
    (KB, {"name": "BELKACEM Karim"}, "first_name", "exact"),
    (KB, {"name": "Belkacem Karim"}, "first_name", "first and last names swapped"),
    # the given name in capitals, read as the surname; a compound surname as given names
    ({"name": "Djamel BENSALEM"}, {"name": "Ben Salem DJAMEL"}, "first_name",
     "first and last names swapped"),
    ({"name": "Yacine LAHLOU"}, {"name": "Lahlou YASSINE"}, "first_name",
     "first and last names swapped, sounding alike"),
    # Arabic script: vowels unwritten, an article, an ayn the transcription leaves out
    ({"name": "Houcine RAHMANI"}, {"name": "حسين رحماني"}, "first_name", "same consonants"),
    ({"name": "Driss GHERBI"}, {"name": "إدريس الغربي"}, "surname", "same consonants"),
    ({"name": "Youssef AMARA"}, {"name": "يوسف عمارة"}, "surname", "same consonants"),
    ({"name": "Saïd TAZI"}, {"name": "سعيد التازي"}, "first_name", "sounds alike"),
    ({"name": "Mouloud BOUAZA"}, {"name": "بوعزة مولود"}, "surname",
     "first and last names swapped, sounding alike"),
    (KB, {"name": "Karime BELKACEM"}, "first_name", "Jaro-Winkler ≥ 0.92"),
    (KB, {"name": "Carim BELKACEM"}, "first_name", "sounds alike"),
    ({"name": "Kamir BELKACEM"}, {"name": "Samir BELKACEM"}, "first_name",
     "Jaro-Winkler ≥ 0.8"),
    (KB, {"name": "Sofiane BELKACEM"}, "first_name", "else"),
    (KB, {"name": "BELKACEM"}, "first_name", "null"),
    (KB, {"name": "Karim BELKACEM"}, "surname", "exact"),
    (KB, {"name": "Belkacen Karim"}, "surname", "first and last names swapped"),
    ({"name": "Djamel BENSALEM"}, {"name": "Ben Salem DJAMEL"}, "surname",
     "first and last names swapped"),
    ({"name": "Yacine LAHLOU"}, {"name": "Lahlou YASSINE"}, "surname",
     "first and last names swapped, sounding alike"),
    (KB, {"name": "Karim BELKACEN"}, "surname", "Jaro-Winkler ≥ 0.92"),
    (KB, {"name": "كريم بلقاسم"}, "surname", "sounds alike"),
    ({"name": "Ali HADDAD"}, {"name": "Ali HADAD"}, "surname", "sounds alike"),
    ({"name": "Ali DUPONT"}, {"name": "Ali DUMONT"}, "surname", "Jaro-Winkler ≥ 0.8"),
    (KB, {"name": "Karim HADDAD"}, "surname", "else"),
    (KB, {"birthDate": "1987"}, "surname", "null"),
    (KB87, KB87, "birth_date", "same date"),
    ({"name": "A", "birthDate": "1987-05-04"}, {"name": "A", "birthDate": "1987-04-05"},
     "birth_date", "day and month swapped"),
    (KB87, {"name": "A", "birthDate": "1987-05-15"}, "birth_date", "one character apart"),
    ({"name": "A", "birthDate": "1942-07-04"}, {"name": "A", "birthDate": "1940-27-04"},
     "birth_date", "one character apart"),
    (KB87, {"name": "A", "birthDate": "1987-05"}, "birth_date", "same year and month"),
    ({"name": "A", "birthDate": "1987-05"}, {"name": "A", "birthDate": "1987-05"},
     "birth_date", "same year and month"),
    (KB87, {"name": "A", "birthDate": "1987"}, "birth_date", "same year"),
    (KB87, {"name": "A", "birthDate": "1978-11-01"}, "birth_date", "else"),
    (KB, KB87, "birth_date", "null"),
    ({"phone": ["+33612345678", "+33600000001"]}, {"phone": ["+33612345678"]}, "phone",
     "a number in common"),
    ({"phone": ["+33612345678"]}, {"phone": ["+33698765432"]}, "phone", "else"),
    ({"phone": []}, {"phone": ["+33612345678"]}, "phone", "null"),
    ({"idNumber": "X123"}, {"idNumber": ["Z7", "X123"]}, "identity_document",
     "a document in common"),
    ({"idNumber": "X1234"}, {"idNumber": ["Z7", "X1243"]}, "identity_document",
     "one character apart"),
    ({"idNumber": "X123"}, {"idNumber": "Z7"}, "identity_document", "else"),
    (KB, {"idNumber": "Z7"}, "identity_document", "null"),
    ({"birthPlace": "Oran"}, {"birthPlace": "ORAN"}, "birthplace", "exact"),
    ({"birthPlace": "Oran"}, {"birthPlace": "Alger"}, "birthplace", "else"),
    ({"birthPlace": "Oran"}, KB, "birthplace", "null"),
    ({"address": ORAN}, {"address": ORAN.upper()}, "address", "exact"),
    ({"address": ORAN}, {"address": "3 rue d'Oran 13003 Marseille"}, "address",
     "Jaro-Winkler ≥ 0.9"),
    ({"address": ORAN}, {"address": "12 bd Sud 13003 Marseille"}, "address",
     "same postcode"),
    ({"address": ORAN}, {"address": "4 av. Foch 69006 Lyon"}, "address", "else"),
    ({"address": ORAN}, KB, "address", "null"),
    ({"gender": "male"}, {"gender": "male"}, "gender", "exact"),
    ({"gender": "male"}, {"gender": "female"}, "gender", "else"),
    ({"gender": "male"}, {"gender": "other"}, "gender", "null"),
]


def test_the_catalogue_has_a_pair_for_every_level() -> None:
    covered = {(comparison, label) for _, _, comparison, label in CATALOGUE}
    wanted = {(c.name, level.label) for c in PERSON for level in c.levels}
    assert wanted - covered == set()


@pytest.mark.parametrize(("one", "other", "comparison", "label"), CATALOGUE,
                         ids=[f"{c}:{label}:{i}" for i, (_, _, c, label)
                              in enumerate(CATALOGUE)])
def test_a_pair_is_put_at_the_level_it_deserves(one: dict[str, Any], other: dict[str, Any],
                                                comparison: str, label: str) -> None:
    left, right = row(1, one), row(2, other)
    c = next(c for c in PERSON if c.name == comparison)
    value = c.level_of(left, right)
    named = {(-1 if lv.is_null else len(c.levels) - 2 - (i - 1)): lv.label
             for i, lv in enumerate(c.levels)}
    assert named[value] == label
    assert sql_levels([(left, right)])[0][PERSON.index(c)] == value


def test_levels_are_symmetric() -> None:
    """A pair is the same pair whichever record the batch puts on the left."""

    @settings(max_examples=300, deadline=None, database=None)
    @given(pairs())
    def check(pair: tuple[dict[str, Any], dict[str, Any]]) -> None:
        left, right = pair
        assert levels(PERSON, left, right) == levels(PERSON, right, left)

    check()


def test_every_comparison_starts_with_its_null_level_and_ends_with_else() -> None:
    """What `level_of` and the scorer's tables take for granted."""
    for comparison in PERSON:
        assert comparison.levels[0].is_null, comparison.name
        assert comparison.levels[-1].sql == "ELSE", comparison.name
        assert not any(level.is_null for level in comparison.levels[1:]), comparison.name
        spec = comparison.splink()
        assert [lv["sql_condition"] for lv in spec["comparison_levels"]] == \
            [lv.sql for lv in comparison.levels]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(alphabet="abcdekmrs -'", min_size=1, max_size=30),
                          st.text(alphabet="abcdekmrs -'", min_size=1, max_size=30)),
                min_size=1, max_size=50))
def test_jaro_winkler_is_the_same_in_rapidfuzz_and_duckdb(
        strings: list[tuple[str, str]]) -> None:
    """Features never hold an empty string (None instead), where the two differ."""
    table = pa.table({"i": list(range(len(strings))), "a": [a for a, _ in strings],
                      "b": [b for _, b in strings]})
    con = duckdb.connect()
    try:
        con.register("strings", table)
        found = [r[0] for r in con.execute(
            "SELECT jaro_winkler_similarity(a, b) FROM strings ORDER BY i").fetchall()]
    finally:
        con.close()
    for (a, b), value in zip(strings, found, strict=True):
        assert JaroWinkler.similarity(a, b) == pytest.approx(value, abs=1e-9), (a, b)
