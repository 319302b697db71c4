"""What resolution compares: each record's facts turned into comparable features, and
the blocking keys that find its candidates.

The same functions serve the batch model (a table of features for Splink) and the
real-time matcher (features of one new record), so both see a record alike.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rigour.text.phonetics import metaphone

from emco.ingest.normalize import PARTICLES, fold
from emco.resolve.nicknames import formal

# Schemata resolved by the probabilistic model, and by identifiers.
PERSON_SCHEMATA = frozenset({"Person"})
COMPANY_SCHEMATA = frozenset({"Company", "Organization", "LegalEntity", "PublicBody"})
IDENTIFIED = {"Vehicle": "plate", "BankAccount": "iban"}
LEGAL_FORMS = frozenset({"sarl", "sas", "sasu", "eurl", "sa", "sci", "snc", "ltd", "llc",
                         "bv", "gmbh", "sl", "fze", "fzco", "inc", "cie", "et"})
POSTCODE = re.compile(r"\b\d{4,5}\b")
# Arabic letters a French transcription leaves out: the ayn (Saïd for سعيد, Abdelkarim for
# عبد الكريم) and the lone hamza; transliterated, they split a name in two ("s yd").
_ARABIC_SILENT = re.compile("[\u0621\u0639]")
_ARABIC = re.compile("[\u0600-\u06ff]")
# The Arabic article joined to a name (الطاهري, Tahiri; الخطيب, Khatib or El Khatib).
_ARABIC_ARTICLE = re.compile("(?<![\u0621-\u064a])\u0627\u0644(?=[\u0621-\u064a]{3})")
_UPPER_WORD = re.compile(r"^[^\W\d_](?:[^\W\d_]|['’\-])*$")  # DUPONT-MARTIN, N'DIAYE

Statement = tuple[str, str, str, str]  # prop, type, value, original


@dataclass(frozen=True)
class PersonFeatures:
    """One person record as the model compares it. Names are folded (no case, accents or
    script), surname particles joined ("ben ali" -> "benali")."""

    record_id: int
    agency: str
    fn: str | None  # first given name
    sn: str | None  # surname
    fn_mp: str | None  # their phonetic keys (a short form's is its formal name's)
    sn_mp: str | None
    gn: str | None  # all given names joined, as the surname's words are; None if `fn`
    gn_mp: str | None
    fn_sk: str | None  # their consonants (`skeleton`): Arabic script meets its transcription
    sn_sk: str | None
    name_key: str | None  # all name words, sorted: the same for swapped names
    dob: str | None  # YYYY-MM-DD when complete
    dob_y: int | None
    dob_m: int | None
    dob_d: int | None
    birthplace: str | None
    address: str | None  # folded, as written
    postcode: str | None
    gender: str | None
    phones: tuple[str, ...]
    ids: tuple[str, ...]

    @property
    def usable(self) -> bool:
        """A record with neither a name nor an identifier is never merged automatically."""
        return bool(self.sn or self.fn or self.phones or self.ids)

    def keys(self) -> list[tuple[str, str]]:
        """Blocking keys: two records are compared when they share one. The same keys
        are columns of the batch's input (`k_*`), so the batch and the real-time matcher
        compare the same pairs."""
        return person_keys(self.row())

    def row(self) -> dict[str, Any]:
        """The record as a row of the model's input table."""
        fs = f"{self.fn_mp}|{self.sn_mp}" if self.fn_mp and self.sn_mp else None
        fd = f"{self.fn_mp}|{self.dob}" if self.fn_mp and self.dob else None
        # A typing error in one name still leaves the sound of the other and an initial;
        # and the birth year when known (common names make blocks of thousands without).
        year = f"|{self.dob_y}" if self.dob_y else ""
        sf = f"{self.sn_mp}|{self.fn[0]}{year}" if self.sn_mp and self.fn else None
        fi = f"{self.fn_mp}|{self.sn[0]}{year}" if self.fn_mp and self.sn else None
        ds = f"{self.dob}|{self.sn[0]}" if self.dob and self.sn else None
        df = f"{self.dob}|{self.fn[0]}" if self.dob and self.fn else None
        # The date and both initials in order: meets swapped names too.
        di = f"{self.dob}|{''.join(sorted(self.fn[0] + self.sn[0]))}" \
            if self.dob and self.fn and self.sn else None
        pf = f"{self.postcode}|{self.fn_mp}" if self.postcode and self.fn_mp else None
        ps = f"{self.postcode}|{self.sn_mp}" if self.postcode and self.sn_mp else None
        # The date and the postcode: a name changed (by marriage, by an alias) or
        # garbled beyond its sound and initials.
        dp = f"{self.dob}|{self.postcode}" \
            if self.dob and self.postcode and (self.fn or self.sn) else None
        return {"unique_id": self.record_id, "agency": self.agency, "fn": self.fn,
                "sn": self.sn, "fn_mp": self.fn_mp, "sn_mp": self.sn_mp, "gn": self.gn,
                "gn_mp": self.gn_mp, "fn_sk": self.fn_sk, "sn_sk": self.sn_sk,
                "name_key": self.name_key, "dob": self.dob, "dob_y": self.dob_y,
                "dob_m": self.dob_m, "dob_d": self.dob_d, "birthplace": self.birthplace,
                "address": self.address, "postcode": self.postcode,
                "gender": self.gender, "phones": list(self.phones), "ids": list(self.ids),
                "k_fs": fs, "k_fd": fd, "k_sf": sf, "k_fi": fi, "k_ds": ds,
                "k_df": df, "k_di": di, "k_pf": pf, "k_ps": ps, "k_dp": dp}


def person_keys(row: dict[str, Any]) -> list[tuple[str, str]]:
    """The blocking keys of a person row (as `PersonFeatures.keys`)."""
    keys = [(kind, row[column]) for kind, column in
            (("fs", "k_fs"), ("fd", "k_fd"), ("sf", "k_sf"), ("fi", "k_fi"),
             ("ds", "k_ds"), ("df", "k_df"), ("di", "k_di"), ("pf", "k_pf"), ("ps", "k_ps"),
             ("dp", "k_dp"), ("nk", "name_key")) if row.get(column)]
    keys += [("ph", p) for p in row.get("phones") or ()]
    keys += [("id", i) for i in row.get("ids") or ()]
    return [(k, str(v)[:200]) for k, v in keys]


def person_features(record_id: int, agency: str, statements: Iterable[Statement]
                    ) -> PersonFeatures:
    props: dict[str, list[tuple[str, str]]] = {}
    for prop, _type, value, original in statements:
        props.setdefault(prop, []).append((value, original))
    first, last = _names(props)
    fn = first.split(" ")[0] if first else None
    sn = last.replace(" ", "") if last else None  # particles joined: "ben ali" -> "benali"
    gn = first.replace(" ", "") if first and " " in first else None
    bare = _without_article(sn)
    words = sorted([*(first.split(" ") if first else []), *([sn] if sn else [])])
    dob, y, m, d = _birth(props.get("birthDate", []))
    phones = tuple(sorted({v for v, _ in props.get("phone", [])}))
    # An e-mail address is as personal as a document number: both are identifiers here.
    ids = tuple(sorted({v for p in ("idNumber", "passportNumber", "socialSecurityNumber",
                                    "email") for v, _ in props.get(p, [])}))
    place = props.get("birthPlace", [(None, None)])[0][0]
    address = props.get("address", [(None, None)])[0][0]
    code = POSTCODE.search(address) if address else None
    gender = props.get("gender", [(None, None)])[0][0]
    return PersonFeatures(
        record_id=record_id, agency=agency, fn=fn, sn=sn, fn_mp=phonetic(formal(fn)),
        sn_mp=phonetic(bare), fn_sk=skeleton(fn), sn_sk=skeleton(bare), gn=gn, gn_mp=phonetic(gn),
        name_key=" ".join(words) or None, dob=dob, dob_y=y, dob_m=m, dob_d=d,
        birthplace=fold(place) or None if place else None,
        address=fold(address) or None if address else None,
        postcode=code.group(0) if code else None,
        gender=gender if gender in ("male", "female") else None, phones=phones, ids=ids)


@lru_cache(maxsize=200_000)
def phonetic(word: str | None) -> str | None:
    if not word:
        return None
    return metaphone(word) or None


def _names(props: dict[str, list[tuple[str, str]]]) -> tuple[str | None, str | None]:
    """Given names and surname, folded. Separate fields when the service kept them;
    otherwise read from the full name, where a surname written in capitals marks itself
    ("BENALI Mohamed"); failing that, the last word is taken as the surname (the
    comparisons accept swapped names)."""
    first = _folded(props.get("firstName", []))
    last = _folded(props.get("lastName", []))
    if first and last:
        return first, last
    for value, original in props.get("name", []):
        given, surname = _split_name(original or value)
        first = first or given
        last = last or surname
        if first or last:
            break
    return first or None, last or None


# French spellings of one sound, written as the transliteration of Arabic writes it.
_SPELLINGS = (("kh", "k"), ("gh", "g"), ("ch", "x"), ("sh", "x"), ("dj", "j"), ("ou", "w"),
              ("ck", "k"), ("ph", "f"), ("q", "k"))
_SOFT_C = re.compile("c(?=[eiy])")
_NOT_WRITTEN = re.compile("[aeiouyhw]")  # vowels, long or short, and h: Arabic shows few
_DOUBLED = re.compile(r"(.)\1+")


@lru_cache(maxsize=200_000)
def skeleton(word: str | None) -> str | None:
    """A name's consonants, its French spellings unified: what Arabic script writes of
    it, transliterated. Mohamed, Muhammad and محمد are "md"; Houcine and حسين "sn";
    Zerrouki and زروقي "zrk". None under two consonants (too common to say anything)."""
    if not word:
        return None
    for spelling, sound in _SPELLINGS:
        word = word.replace(spelling, sound)
    word = _SOFT_C.sub("s", word).replace("c", "k")
    out = _DOUBLED.sub(r"\1", _NOT_WRITTEN.sub("", word))
    return out if len(out) >= 2 else None


def _fold_name(text: str) -> str:
    """A name folded (`fold`), Arabic script first written as a French transcription
    would: no ayn nor lone hamza, no article, a final ta marbuta a vowel."""
    if _ARABIC.search(text):  # a closing ta marbuta: عمارة, Amara
        text = _ARABIC_ARTICLE.sub("", _ARABIC_SILENT.sub("", text)).replace("\u0629", "\u0647")
    return fold(text)


def _without_article(surname: str | None) -> str | None:
    """A surname without an Arabic article joined to it ("elkhatib": "khatib"), for its
    sound: El Khatib, Khatib and الخطيب sound alike."""
    if surname and len(surname) >= 5 and surname[:2] in ("el", "al") and \
            surname[2] not in "aeiouy":
        return surname[2:]
    return surname


def _split_name(full: str) -> tuple[str | None, str | None]:
    words = full.split()
    if not words:
        return None, None
    upper = [w for w in words if _UPPER_WORD.match(w) and w.isupper() and len(w) > 1]
    lower = [w for w in words if w not in upper]
    if upper and lower:
        return _fold_name(" ".join(lower)) or None, _fold_name(" ".join(upper)) or None
    folded = _fold_name(full).split(" ")
    if len(folded) == 1:
        return None, folded[0]
    # "Mohamed Ben Ali": the particle starts the surname.
    for i, word in enumerate(folded[1:], 1):
        if word in PARTICLES and i < len(folded) - 1:
            return " ".join(folded[:i]), " ".join(folded[i:])
    return " ".join(folded[:-1]), folded[-1]


def _folded(values: list[tuple[str, str]]) -> str | None:
    for value, _ in values:
        folded = _fold_name(value)
        if folded:
            return folded
    return None


def _birth(values: list[tuple[str, str]]) -> tuple[str | None, int | None, int | None,
                                                     int | None]:
    best: tuple[str | None, int | None, int | None, int | None] = (None, None, None, None)
    for value, _ in values:
        parts = value[:10].split("-")
        y = int(parts[0]) if parts[0].isdigit() else None
        m = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        d = int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else None
        full = value[:10] if d is not None else None
        candidate = (full, y, m, d)
        if sum(x is not None for x in candidate) > sum(x is not None for x in best):
            best = candidate
    return best


def company_key(name: str | None) -> str | None:
    """A company name without case, accents or legal form: "SARL Atlas" = "ATLAS"."""
    if not name:
        return None
    words = [w for w in fold(name).split(" ") if w and w not in LEGAL_FORMS]
    return " ".join(words) or None
