"""Normalisers: one canonical form per kind of value, the original always kept beside it.

Each normaliser returns the canonical form or raises `Invalid` with a reason a user can
act on. Values repeat a lot across a file (countries, common names), hence the caches.
"""

import re
import unicodedata
from functools import lru_cache
from itertools import pairwise

import phonenumbers
from followthemoney.types import registry
from normality import ascii_text
from schwifty import IBAN
from schwifty.exceptions import SchwiftyException


class Invalid(ValueError):
    """A value that cannot be read as its type; the message says why."""


_SPACES = re.compile(r"\s+")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
_TOKEN_SPLIT = re.compile(r"[^0-9a-z]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PHONE_CHARS = re.compile(r"^[0-9+().\-/ ]+$")
_SEPARATORS = re.compile(r"[ .\-/]")
_FRENCH = re.compile(r"^(?:0|\+33|0033)([1-9][0-9]{8})$")

# Surname particles joined to the next word as well ("Ben Ali" also gives "benali"), so
# that spellings with and without the space meet.
PARTICLES = frozenset(
    {"ben", "bin", "ibn", "bent", "el", "al", "abd", "abou", "abu", "ould", "de", "da",
     "di", "du", "del", "della", "dos", "das", "van", "von", "le", "la", "mac", "mc"}
)


def clean_text(raw: str) -> str:
    """Unicode NFC, no control characters, runs of white space collapsed."""
    text = unicodedata.normalize("NFC", raw)
    text = _CONTROL.sub("", text)
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=100_000)
def fold(text: str) -> str:
    """Case- and accent-folded, transliterated to Latin letters: the form names meet in."""
    ascii = ascii_text(text) or ""
    return " ".join(_TOKEN_SPLIT.split(ascii.lower())).strip()


def name_tokens(name: str) -> list[str]:
    """Search tokens of a name: its folded words, plus each particle joined to the next."""
    words = [w for w in fold(name).split(" ") if w]
    tokens = [w for w in words if len(w) > 1 or w.isdigit()]
    for here, after in pairwise(words):
        if here in PARTICLES:
            tokens.append(here + after)
    return tokens


def query_tokens(query: str) -> list[str]:
    """Tokens a name query must all match: particles stay joined to the next word."""
    words = [w for w in fold(query).split(" ") if w]
    tokens: list[str] = []
    skip = False
    for i, word in enumerate(words):
        if skip:
            skip = False
            continue
        if word in PARTICLES and i + 1 < len(words):
            tokens.append(word + words[i + 1])
            skip = True
        elif len(word) > 1 or word.isdigit():
            tokens.append(word)
    return tokens


def normalize_phone(raw: str, region: str) -> str:
    """E.164, reading numbers without a country code as numbers of `region`."""
    text = raw.strip()
    if not _PHONE_CHARS.match(text):
        raise Invalid("a phone number has only digits, spaces, +, (, ), ., - and /")
    if region == "FR":
        # Most numbers in French files are written 0X XX XX XX XX or +33 X XX XX XX XX;
        # both are always possible numbers, so skip the general parser for them.
        match = _FRENCH.match(_SEPARATORS.sub("", text))
        if match:
            return "+33" + match.group(1)
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise Invalid(f"not a phone number ({exc._msg})") from None
    if not phonenumbers.is_possible_number(number):
        raise Invalid("not a possible phone number (wrong length for its country)")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalize_iban(raw: str) -> str:
    try:
        return IBAN(raw).compact
    except SchwiftyException as exc:
        raise Invalid(f"not a valid IBAN ({exc})") from None


def normalize_email(raw: str) -> str:
    value = registry.email.clean(raw.strip())
    if value is None:
        raise Invalid("not an e-mail address")
    return value.lower()


def normalize_identifier(raw: str) -> str:
    """Plates and document numbers: upper case, letters and digits only."""
    value = _NOT_ALNUM.sub("", fold(raw).upper())
    if not value:
        raise Invalid("an identifier needs at least one letter or digit")
    return value


def normalize_date(raw: str, fmt: str | None = None) -> str:
    """ISO 8601, partial dates allowed (`1987`, `1987-05`, `1987-05-14`, with a time)."""
    text = raw.strip()
    if fmt:
        # Kept to the format's precision: "%d/%m/%Y" gives 1987-05-14, not a midnight
        # time that would never equal the same date written in ISO form. A partial date
        # in ISO form ("1987", "1987-05") is still read: registers write what they know.
        formatted = registry.date.clean(text, format=fmt)
        if formatted is None and _clean_date(text) is None:
            raise Invalid(f"does not match the date format {fmt!r} (nor is it an ISO "
                          "date such as 1987 or 1987-05)")
        text = formatted or text
    value = _clean_date(text)
    if value is None:
        raise Invalid(
            "not a date; write 1987-05-14, 1987-05 or 1987 (or give a format in the mapping)"
        )
    return value


@lru_cache(maxsize=50_000)
def _clean_date(text: str) -> str | None:
    if not text[:4].isdigit():
        return None
    return registry.date.clean(text)


@lru_cache(maxsize=2_000)
def normalize_country(raw: str) -> str:
    value = registry.country.clean(raw.strip(), fuzzy=False)
    if value is None:
        raise Invalid("not a country (use an ISO code such as FR, or its name)")
    return value


def normalize_ref(raw: str) -> str:
    """A reference to another record of the same service, by its id."""
    value = raw.strip()
    check_source_id(value)
    return value


def check_source_id(value: str) -> None:
    if not value:
        raise Invalid("an id cannot be empty")
    if len(value) > 200:
        raise Invalid("an id is at most 200 characters long")
    if _CONTROL.search(value) or "\n" in value or "\t" in value:
        raise Invalid("an id cannot hold control characters")
