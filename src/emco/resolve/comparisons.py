"""The comparisons of the person model, each level written twice, side by side: as SQL
for Splink's batch run on DuckDB (or Spark), and as Python for the real-time matcher.
A test scores pairs both ways and requires the same levels.

Levels are tried in order; the first that holds is the pair's level for that comparison
(like the CASE WHEN Splink generates).
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rapidfuzz.distance import OSA, JaroWinkler

Row = dict[str, Any]
Predicate = Callable[[Row, Row], bool]


@dataclass(frozen=True)
class Level:
    label: str
    sql: str
    test: Predicate
    is_null: bool = False
    tf_column: str | None = None
    # Weighs nothing (m = u, fixed): the same event is weighed by another comparison.
    neutral: bool = False


@dataclass(frozen=True)
class Comparison:
    name: str
    description: str
    levels: tuple[Level, ...]

    def level_of(self, left: Row, right: Row) -> int:
        """Splink's comparison vector value: -1 for the null level, then counting down
        from the most similar level to 0 for the last ("else")."""
        top = len(self.levels) - 2  # levels other than the null level, minus one
        for i, level in enumerate(self.levels):
            if level.test(left, right):
                return -1 if level.is_null else top - (i - 1)
        return 0

    def splink(self) -> dict[str, Any]:
        levels = []
        for level in self.levels:
            spec: dict[str, Any] = {"sql_condition": level.sql, "label_for_charts": level.label}
            if level.is_null:
                spec["is_null_level"] = True
            if level.neutral:
                spec.update(m_probability=NEUTRAL, u_probability=NEUTRAL,
                            fix_m_probability=True, fix_u_probability=True)
            if level.tf_column:
                spec["tf_adjustment_column"] = level.tf_column
                spec["tf_adjustment_weight"] = 1.0
            levels.append(spec)
        return {"output_column_name": self.name, "comparison_description": self.description,
                "comparison_levels": levels}


def _jw(a: str | None, b: str | None) -> float:
    if a is None or b is None:
        return 0.0
    return float(JaroWinkler.similarity(a, b))


def _null(col: str) -> Level:
    return Level("null", f'"{col}_l" IS NULL OR "{col}_r" IS NULL',
                 lambda a, b: a[col] is None or b[col] is None, is_null=True)


def _else() -> Level:
    return Level("else", "ELSE", lambda a, b: True)


def _exact(col: str, tf: bool = False) -> Level:
    return Level("exact", f'"{col}_l" = "{col}_r"', lambda a, b: a[col] == b[col],
                 tf_column=col if tf else None)


def _swapped(neutral: bool = False) -> Level:
    """Given name written as the surname and the reverse, allowing a typing error. The
    given names are taken as written (the first) or all joined, as a surname's words are:
    "Ben Salem Djamel" is Djamel BENSALEM. Both name comparisons see the one swap: only
    the surname's weighs it (EM estimates it as one event; counted twice, "Thomas
    Campbell" and "Campbell Thomas" outweighed two names written alike)."""
    return Level("first and last names swapped",
                 f"({_SWAP_HALF.format(a='l', b='r')}) AND ({_SWAP_HALF.format(a='r', b='l')})",
                 lambda a, b: _swap_half(a, b) and _swap_half(b, a), neutral=neutral)


def _swapped_sounding(neutral: bool = False) -> Level:
    """Swapped, each name alike in writing, in sound or in its consonants ("Lahlou
    YASSINE", Yacine LAHLOU)."""
    def half(sql: str, a: str, b: str) -> str:
        return (f'{sql.format(a=a, b=b)} OR "fn_mp_{a}" = "sn_mp_{b}" '
                f'OR "gn_mp_{a}" = "sn_mp_{b}" OR "fn_sk_{a}" = "sn_sk_{b}"')
    return Level("first and last names swapped, sounding alike",
                 f"({half(_SWAP_HALF, 'l', 'r')}) AND ({half(_SWAP_HALF, 'r', 'l')})",
                 lambda a, b: _sound_half(a, b) and _sound_half(b, a), neutral=neutral)


# One side's given name (first, or all joined) is the other's surname.
_SWAP_HALF = ('jaro_winkler_similarity("fn_{a}", "sn_{b}") >= 0.92 OR '
              'jaro_winkler_similarity("gn_{a}", "sn_{b}") >= 0.92')


def _swap_half(a: Row, b: Row) -> bool:
    return _jw(a["fn"], b["sn"]) >= 0.92 or _jw(a["gn"], b["sn"]) >= 0.92


def _sound_half(a: Row, b: Row) -> bool:
    return _swap_half(a, b) or (b["sn_mp"] is not None and b["sn_mp"] in (
        a["fn_mp"], a["gn_mp"])) or (b["sn_sk"] is not None and b["sn_sk"] == a["fn_sk"])


NEUTRAL = 0.01  # m and u of a neutral level: any value, as long as both are the same


def _jaro(col: str, threshold: float) -> Level:
    return Level(f"Jaro-Winkler ≥ {threshold}",
                 f'jaro_winkler_similarity("{col}_l", "{col}_r") >= {threshold}',
                 lambda a, b: _jw(a[col], b[col]) >= threshold)


def _phonetic(col: str) -> Level:
    mp = f"{col}_mp"
    return Level("sounds alike", f'"{mp}_l" = "{mp}_r"',
                 lambda a, b: a[mp] is not None and a[mp] == b[mp])


def _consonants(col: str) -> Level:
    """The same consonants (`features.skeleton`): a name in Arabic script and its French
    transcription, where the vowels Arabic leaves unwritten keep their sounds apart."""
    sk = f"{col}_sk"
    return Level("same consonants", f'"{sk}_l" = "{sk}_r"',
                 lambda a, b: a[sk] is not None and a[sk] == b[sk])


def _shared(col: str, label: str) -> tuple[Level, Level]:
    return (
        Level("null", f'len("{col}_l") = 0 OR len("{col}_r") = 0',
              lambda a, b: not a[col] or not b[col], is_null=True),
        Level(label, f'list_has_any("{col}_l", "{col}_r")',
              lambda a, b: bool(set(a[col]) & set(b[col]))),
    )


def one_apart(left: Sequence[str], right: Sequence[str]) -> bool:
    """A value of one side one typing error from a value of the other: a character
    added, dropped, replaced, or two neighbours swapped."""
    return any(OSA.distance(a, b) <= 1 for a in left for b in right)


# `one_apart` in DuckDB's SQL, over two lists.
ONE_APART_SQL = ('len(list_filter("{col}_l", lambda a: len(list_filter("{col}_r", '
                 'lambda b: damerau_levenshtein(a, b) <= 1)) > 0)) > 0')


def _dob_swapped(a: Row, b: Row) -> bool:
    return (a["dob"] is not None and b["dob"] is not None and a["dob_y"] == b["dob_y"]
            and a["dob_m"] == b["dob_d"] and a["dob_d"] == b["dob_m"])


def _dob_typo(a: Row, b: Row) -> bool:
    """One typing error in the eight digits (a 1942-07-04 written 1940-27-04 too)."""
    return (a["dob"] is not None and b["dob"] is not None
            and OSA.distance(a["dob"].replace("-", ""), b["dob"].replace("-", "")) <= 1)


PERSON: tuple[Comparison, ...] = (
    Comparison("first_name", "Given name", (
        _null("fn"), _exact("fn", tf=True), _swapped(neutral=True),
        _swapped_sounding(neutral=True), _jaro("fn", 0.92),
        _phonetic("fn"), _consonants("fn"), _jaro("fn", 0.8), _else())),
    Comparison("surname", "Surname, particles joined", (
        _null("sn"), _exact("sn", tf=True), _swapped(), _swapped_sounding(),
        _jaro("sn", 0.92),
        _phonetic("sn"), _consonants("sn"), _jaro("sn", 0.8), _else())),
    Comparison("birth_date", "Date of birth, complete or partial", (
        Level("null", '"dob_y_l" IS NULL OR "dob_y_r" IS NULL',
              lambda a, b: a["dob_y"] is None or b["dob_y"] is None, is_null=True),
        Level("same date", '"dob_l" = "dob_r"',
              lambda a, b: a["dob"] is not None and a["dob"] == b["dob"]),
        Level("day and month swapped",
              '"dob_l" IS NOT NULL AND "dob_r" IS NOT NULL AND "dob_y_l" = "dob_y_r" '
              'AND "dob_m_l" = "dob_d_r" AND "dob_d_l" = "dob_m_r"', _dob_swapped),
        Level("one character apart",
              '"dob_l" IS NOT NULL AND "dob_r" IS NOT NULL AND '
              'damerau_levenshtein(replace("dob_l", \'-\', \'\'), '
              'replace("dob_r", \'-\', \'\')) <= 1', _dob_typo),
        Level("same year and month", '"dob_y_l" = "dob_y_r" AND "dob_m_l" = "dob_m_r"',
              lambda a, b: a["dob_y"] == b["dob_y"] and a["dob_m"] is not None
              and a["dob_m"] == b["dob_m"]),
        Level("same year", '"dob_y_l" = "dob_y_r"', lambda a, b: a["dob_y"] == b["dob_y"]),
        _else())),
    Comparison("phone", "Phone numbers (E.164)",
               (*_shared("phones", "a number in common"), _else())),
    # A document number copied with one typing error is still the document; EM weighs it.
    Comparison("identity_document", "Identity document numbers and e-mail addresses", (
        *_shared("ids", "a document in common"),
        Level("one character apart", ONE_APART_SQL.format(col="ids"),
              lambda a, b: one_apart(a["ids"], b["ids"])),
        _else())),
    Comparison("birthplace", "Place of birth", (_null("birthplace"), _exact("birthplace"),
                                                _else())),
    Comparison("address", "Address, as written; its postcode", (
        _null("address"), _exact("address"), _jaro("address", 0.9),
        Level("same postcode", '"postcode_l" = "postcode_r"',
              lambda a, b: a["postcode"] is not None and a["postcode"] == b["postcode"]),
        _else())),
    Comparison("gender", "Gender", (_null("gender"), _exact("gender"), _else())),
)

# Two records are compared when they share one of these keys (features.keys()).
BLOCKING_KEYS = ("k_fs", "k_fd", "k_sf", "k_fi", "k_ds", "k_df", "k_di", "k_pf",
                 "k_ps", "k_dp", "name_key")
BLOCKING_ARRAYS = ("phones", "ids")
# A name key shared by more records than this says too little to compare them all (every
# "Mohamed B." of a million records): such a block is left out, in the batch and on
# arrival alike; dates, phones and documents still bring its true matches together.
BLOCK_CAP = 100


def levels(comparisons: Sequence[Comparison], left: Row, right: Row) -> list[int]:
    return [c.level_of(left, right) for c in comparisons]
