"""How services mis-write what they know: typos, spellings, particles and formats.

Every function takes the caller's `random.Random` first and is deterministic for its state.
The noise stays recognisable (a typo is at most two edits, a phone number still parses to
the same number) but is varied on purpose: the resolver is measured on data it has never
seen, so no single error pattern should be enough to undo it.
"""

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

import phonenumbers

from emco.demo.names import Name, arabic_script, spelling_variants


@dataclass(frozen=True)
class DateStyle:
    """A service's habits in writing birth dates; the rates are exclusive, the rest exact."""

    missing_rate: float = 0.05
    jan_first_rate: float = 0.01  # unknown day and month recorded as 1 January
    year_only_rate: float = 0.02
    year_month_rate: float = 0.01
    swap_rate: float = 0.02  # day and month swapped (only possible when the day is ≤ 12)
    digit_rate: float = 0.02  # one digit wrong


@dataclass(frozen=True)
class NameStyle:
    """A service's habits in writing names (and, in `dates`, birth dates); rates are
    probabilities per name or per part."""

    surname_upper: bool = True  # "BENALI Mohamed"
    all_upper: bool = False  # old mainframes: "BENALI MOHAMED"
    surname_first: bool = True
    separate_fields: bool = True  # keeps first and last names apart, besides the full name
    ascii_only: bool = False  # no accents at all
    error_rate: float = 0.03  # a typo, per part
    translit_rate: float = 0.1  # another spelling of the same name, per part
    particle_rate: float = 0.15  # Ben Ali written Benali, Ben-Ali...
    arabic_rate: float = 0.0  # the whole name in Arabic script, when it is known
    drop_second_first_name_rate: float = 0.3  # Jean-Marc written Jean
    truncate_surname_rate: float = 0.05  # Dos Santos written Santos
    swap_rate: float = 0.02  # first name in the surname field and the other way round
    dates: DateStyle = DateStyle()  # the same service's habits with birth dates


@dataclass(frozen=True)
class RenderedName:
    full: str  # what the service puts in a single `name` field
    first: str | None  # None when the service keeps no separate fields
    last: str | None
    script: str  # ISO 15924: "Latn" or "Arab"


# --- typos -------------------------------------------------------------------------------

_AZERTY_ROWS = ("azertyuiop", "qsdfghjklm", "wxcvbn")
_ROW_SHIFT = (0.0, 0.25, 0.75)


def _azerty_neighbours() -> dict[str, str]:
    keys = {c: (row, i + _ROW_SHIFT[row]) for row, letters in enumerate(_AZERTY_ROWS)
            for i, c in enumerate(letters)}
    return {c: "".join(o for o, (r2, x2) in keys.items()
                       if o != c and abs(r - r2) <= 1 and abs(x - x2) <= 1.1)
            for c, (r, x) in keys.items()}


_NEIGHBOURS = _azerty_neighbours()

# French phonetic confusions, each at most two edits; regexes on the lower-cased text.
_PHONETIC: tuple[tuple[str, str], ...] = (
    ("ph", "f"), ("(?<!f)f(?!f)", "ph"), ("ou", "u"), ("u(?!n)", "ou"), ("c(?=[aou])", "k"),
    ("k(?=[aou])", "c"), ("qu", "k"), ("k(?=[ei])", "qu"), ("c(?=[ei])", "s"), ("ç", "s"),
    ("é", "e"), ("e(?=[^aeiou])", "é"), ("é", "ai"), ("ai", "é"), ("ai", "e"), ("è", "ai"),
    ("([bcdfglmnprst])\\1", "\\1"), ("(?<=[aeiou])([lmnrst])(?=[aeiou])", "\\1\\1"),
    ("y", "i"), ("(?<=[^aeiou])i(?=[aeiou])", "y"), ("an", "en"), ("en", "an"),
    ("(?<!s)ch", "sh"), ("sh", "ch"), ("dj", "j"), ("j", "dj"), ("au", "o"), ("th", "t"),
    ("x", "ks"), ("ks", "x"), ("gu(?=[ei])", "g"), ("ï", "i"), ("(?<![cpst])h(?=[aeiou])", ""),
)
# Scanned files: letters the OCR takes for others.
_OCR: tuple[tuple[str, str], ...] = (("rn", "m"), ("m", "rn"), ("cl", "d"), ("l", "i"),
                                     ("e", "c"), ("c", "e"), ("o", "0"), ("i", "l"))
_WRONG_ACCENT = {"é": "è", "è": "é", "à": "â", "â": "à", "ï": "î", "î": "ï", "ô": "ö",
                 "ë": "é", "ü": "û", "ç": "c"}


def _lower(text: str) -> str:
    # One character for one: "İ".lower() has two, which would shift every index after it.
    return "".join(c.lower()[0] for c in text)


def _cased(replacement: str, original: str) -> str:
    if len(original) > 1 and original.isupper():
        return replacement.upper()
    if original[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def _put(text: str, start: int, end: int, replacement: str) -> str:
    """`text` with `text[start:end]` replaced, in the case of the word around it."""
    around = [c for c in text[max(0, start - 1):end + 1] if c.isalpha()]
    if len(around) > 1 and all(c.isupper() for c in around):
        replacement = replacement.upper()  # BENALI stays in capitals
    else:
        replacement = _cased(replacement, text[start:end])
    return text[:start] + replacement + text[end:]


def _position(rng: random.Random, text: str) -> int | None:
    letters = [i for i, c in enumerate(text) if c.isalpha()]
    if not letters:
        return None
    # People rarely miss the first letter of a name; OCR and tired fingers miss the rest.
    if len(letters) > 1 and rng.random() < 0.9:
        letters = letters[1:]
    return rng.choice(letters)


def _substitute(rng: random.Random, text: str) -> str | None:
    i = _position(rng, text)
    if i is None or _lower(text[i]) not in _NEIGHBOURS:
        return None
    return _put(text, i, i + 1, rng.choice(_NEIGHBOURS[_lower(text[i])]))


def _drop(rng: random.Random, text: str) -> str | None:
    i = _position(rng, text)
    return None if i is None or len(text) < 3 else text[:i] + text[i + 1:]


def _double(rng: random.Random, text: str) -> str | None:
    i = _position(rng, text)
    if i is None:
        return None
    # Mohamed gives Mmohamed, not MMohamed; BENALI gives BENNALI.
    extra = _lower(text[i]) if text[i + 1:i + 2].islower() else text[i]
    return text[:i + 1] + extra + text[i + 1:]


def _swap(rng: random.Random, text: str) -> str | None:
    pairs = [i for i in range(1, len(text) - 1)
             if text[i].isalpha() and text[i + 1].isalpha() and text[i] != text[i + 1]]
    if not pairs:
        return None
    i = rng.choice(pairs)
    a, b = text[i], text[i + 1]
    # The letters move, the case stays where it was: Mohamed gives Omhamed.
    return (text[:i] + (b.upper() if a.isupper() else _lower(b))
            + (a.upper() if b.isupper() else _lower(a)) + text[i + 2:])


def _accent(rng: random.Random, text: str) -> str | None:
    accented = [i for i, c in enumerate(text) if _strip_accents(c) != c]
    if not accented:
        return None
    i = rng.choice(accented)
    low = _lower(text[i])
    if low in _WRONG_ACCENT and rng.random() < 0.4:
        return _put(text, i, i + 1, _WRONG_ACCENT[low])
    return text[:i] + _strip_accents(text[i]) + text[i + 1:]


def _rule(rng: random.Random, text: str, rules: tuple[tuple[str, str], ...]) -> str | None:
    low = _lower(text)
    spots = [(m, rule) for rule in rules for m in re.finditer(rule[0], low)]
    inner = [(m, rule) for m, rule in spots if m.start() > 0]
    if inner and rng.random() < 0.9:  # as for the other typos, the first letter holds
        spots = inner
    if not spots:
        return None
    match, (_, replacement) = rng.choice(spots)
    return _put(text, match.start(), match.end(), match.expand(replacement))


def _phonetic(rng: random.Random, text: str) -> str | None:
    return _rule(rng, text, _PHONETIC)


def _ocr(rng: random.Random, text: str) -> str | None:
    return _rule(rng, text, _OCR)


_TYPOS = ((_substitute, 3.0), (_drop, 2.5), (_double, 1.5), (_swap, 2.0), (_accent, 1.5),
          (_phonetic, 3.0), (_ocr, 0.5))


def typo(rng: random.Random, text: str) -> str:
    """One realistic error: AZERTY neighbour, dropped, doubled or swapped letters, accents,
    French phonetic spellings (ph/f, ou/u, c/k/qu, é/ai, double consonants) or OCR confusions.

    At most two edits away from `text`, never empty, and different from `text` whenever it
    holds a letter. `text` must not be empty.
    """
    if not text:
        raise ValueError("a typo needs some text")
    kinds = [k for k, _ in _TYPOS]
    weights = [w for _, w in _TYPOS]
    for _ in range(12):
        changed = rng.choices(kinds, weights=weights)[0](rng, text)
        if changed and changed != text:
            return changed
    i = rng.randrange(len(text))
    return text[:i + 1] + text[i] + text[i + 1:]


# --- names -------------------------------------------------------------------------------


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return unicodedata.normalize("NFC", bare.translate(_NOT_DECOMPOSED))


_NOT_DECOMPOSED = str.maketrans({"ı": "i", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "ø": "o",
                                 "Ø": "O", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
                                 "ß": "ss"})


def spell(rng: random.Random, part: str) -> str:
    """Another spelling of a name part (Mohamed: Mohammed, Muhammad...), or `part` itself
    when none is known; in a compound part ("Mohamed Amine") one word is re-spelled."""
    variants = spelling_variants(part)
    if not variants:
        words = re.split(r"([ -])", part)
        spots = [i for i, w in enumerate(words) if spelling_variants(w)]
        if not spots:
            return part
        i = rng.choice(spots)
        words[i] = spell(rng, words[i])
        return "".join(words)
    chosen = rng.choice(variants)
    return chosen.upper() if part.isupper() and len(part) > 1 else chosen


_PARTICLES = frozenset({"ben", "bel", "bou", "el", "al", "ait", "aït", "ould", "abd", "da",
                        "das", "dos", "de", "do", "du", "della", "di", "le", "la", "van", "von"})
_DROPPABLE = frozenset({"el", "al", "ait", "aït", "da", "das", "dos", "de", "do", "du", "la"})
_FRENCH = frozenset({"de", "du", "la"})
_ARTICLE_SWAP = {"el": "al", "al": "el", "ait": "aït", "aït": "at"}


def _split_particles(surname: str) -> tuple[list[str], list[str]]:
    """("Ben", "Ali") from "Ben Ali", ("N'", "Diaye") from "N'Diaye"."""
    apostrophe = re.match(r"^([NnMmDd]')(.+)$", surname)
    if apostrophe:
        return [apostrophe.group(1)], apostrophe.group(2).split()
    words = re.split(r"[ -]+", surname.strip())
    lead: list[str] = []
    while len(words) > 1 and words[0].lower() in _PARTICLES:
        lead.append(words.pop(0))
    joined_ben = re.match(r"^(Ben)([^nN ].{2,})$", words[0], re.IGNORECASE)
    if not lead and len(words) == 1 and joined_ben:
        # Benyoucef is also Ben Youcef; Bennani is not Ben Nani, hence no "n" after it.
        return [joined_ben.group(1)], [joined_ben.group(2).capitalize()]
    return lead, words


def particles(rng: random.Random, surname: str) -> str:
    """The surname with its particles or hyphens written another way: Ben Ali as Benali,
    Ben-Ali or BEN ALI; El Amrani as Al Amrani or Amrani; de la Fontaine as Delafontaine or
    Fontaine (de la); Jean-Baptiste as Jean Baptiste. A surname without any stays as it is.
    """
    lead, rest = _split_particles(surname)
    if not lead and len(rest) < 2:
        return surname
    if lead and lead[0].endswith("'"):
        stem = lead[0][0]
        forms = [stem + rest[0].lower(), f"{stem} {rest[0]}", surname.upper(), stem + rest[0]]
        return rng.choice([f for f in forms if f != surname])
    words = lead + rest
    low = [w.lower() for w in lead]
    forms = ["".join(words).capitalize(), " ".join(words).upper(),
             " ".join(w.capitalize() for w in words)]
    if not (low and all(w in _FRENCH for w in low)):
        forms.append("-".join(words))  # Ait-Ouali, Ben-Ali; never de-la-Fontaine
    if low and low[0] in _ARTICLE_SWAP:
        swapped = _ARTICLE_SWAP[low[0]]
        forms.append(" ".join([_cased(swapped, lead[0]), *lead[1:], *rest]))
    if low and all(w in _DROPPABLE for w in low):
        forms.append(" ".join(rest))
    if low and all(w in _FRENCH for w in low):
        forms.append(f"{' '.join(rest)} ({' '.join(w.lower() for w in lead)})")
    if not lead and words[0].lower() in ("saint", "sainte"):
        forms.append("-".join(["St" if words[0].lower() == "saint" else "Ste", *words[1:]]))
    if not lead:
        forms.append(" ".join(words))
    choices = [f for f in forms if f != surname]
    return rng.choice(choices) if choices else surname


def _truncate(rng: random.Random, surname: str) -> str:
    """One part of a compound surname: Dos Santos as Santos, Jean-Baptiste as Jean."""
    lead, rest = _split_particles(surname)
    if lead and not all(w.lower() in _DROPPABLE for w in lead):
        return surname  # Ben Ali is never just Ali
    if len(rest) == 1:
        return rest[0] if lead else surname
    return rest[0] if rng.random() < 0.7 else rest[-1]


def _first_only(first: str) -> str:
    """The first of several given names: Jean-Marc as Jean, Mohamed Amine as Mohamed."""
    words = re.split(r"[ -]", first)
    if _strip_accents(words[0]).lower() in ("van", "thi"):
        return words[-1]  # Vietnamese Văn Minh, Thị Lan: the given name is the last one
    if words[0].lower() in _PARTICLES:
        return first  # El Hadji is one name
    return words[0]


def _arabic_part(part: str) -> str | None:
    whole = arabic_script(part)
    if whole is not None:
        return whole
    words = [arabic_script(w) for w in re.split(r"[ -]", part)]
    return " ".join(w for w in words if w) if all(words) else None


# Arabic spellings that drift between files: hamza on alif, ta marbuta, final ya.
_ARABIC_DRIFT = {"أ": "ا", "إ": "ا", "آ": "ا", "ة": "ه", "ى": "ي"}


def _arabic_typo(rng: random.Random, text: str) -> str:
    spots = [i for i, c in enumerate(text) if c in _ARABIC_DRIFT]
    if not spots:
        return text
    i = rng.choice(spots)
    return text[:i] + _ARABIC_DRIFT[text[i]] + text[i + 1:]


def render_name(rng: random.Random, name: Name, style: NameStyle) -> RenderedName:
    """`name` as a service with `style` writes it, in one field and in two when it keeps two.

    Arabic script is used (with `style.arabic_rate`, never when `ascii_only`) only when both
    parts have a known Arabic form; it is then written given name first, whatever the
    service's order, and without upper case or transliteration noise.
    """
    first, last = name.first, name.last
    if rng.random() < style.drop_second_first_name_rate:
        first = _first_only(first)
    if rng.random() < style.truncate_surname_rate:
        last = _truncate(rng, last)
    if rng.random() < style.arabic_rate and not style.ascii_only:
        first_ar, last_ar = _arabic_part(first), _arabic_part(last)
        if first_ar and last_ar:
            return _render_arabic(rng, first_ar, last_ar, style)
    if rng.random() < style.translit_rate:
        first = spell(rng, first)
    if rng.random() < style.translit_rate:
        last = spell(rng, last)
    if rng.random() < style.particle_rate:
        last = particles(rng, last)
        if "-" in first:
            first = first.replace("-", " ")
    if rng.random() < style.error_rate:
        first = typo(rng, first)
    if rng.random() < style.error_rate:
        last = typo(rng, last)
    if style.ascii_only:
        first, last = _strip_accents(first), _strip_accents(last)
    if rng.random() < style.swap_rate:
        first, last = last, first
    if style.all_upper:
        first, last = first.upper(), last.upper()
    elif style.surname_upper:
        last = last.upper()
    full = f"{last} {first}" if style.surname_first else f"{first} {last}"
    if style.separate_fields:
        return RenderedName(full, first, last, "Latn")
    return RenderedName(full, None, None, "Latn")


def _render_arabic(rng: random.Random, first: str, last: str, style: NameStyle) -> RenderedName:
    if rng.random() < style.error_rate:
        first = _arabic_typo(rng, first)
    if rng.random() < style.error_rate:
        last = _arabic_typo(rng, last)
    if rng.random() < style.swap_rate:
        first, last = last, first
    if style.separate_fields:
        return RenderedName(f"{first} {last}", first, last, "Arab")
    return RenderedName(f"{first} {last}", None, None, "Arab")


# --- dates -------------------------------------------------------------------------------


def noisy_birth_date(rng: random.Random, d: date,
                     style: NameStyle | DateStyle) -> str | None:
    """`d` as an ISO (possibly partial) date a service recorded, or None when it has none.

    Outcomes: missing, 1 January of the year, year only, year and month, day and month
    swapped, one digit wrong (still a real date), or exact. A `NameStyle` brings its `dates`.
    """
    if isinstance(style, NameStyle):
        style = style.dates
    rates = {"missing": style.missing_rate, "jan1": style.jan_first_rate,
             "year": style.year_only_rate, "month": style.year_month_rate,
             "swap": style.swap_rate, "digit": style.digit_rate}
    outcome, roll = "exact", rng.random()
    for kind, rate in rates.items():
        if roll < rate:
            outcome = kind
            break
        roll -= rate
    if outcome == "missing":
        return None
    if outcome == "jan1":
        return f"{d.year:04d}-01-01"
    if outcome == "year":
        return f"{d.year:04d}"
    if outcome == "month":
        return f"{d.year:04d}-{d.month:02d}"
    if outcome == "swap" and d.day <= 12 and d.day != d.month:
        return date(d.year, d.day, d.month).isoformat()
    if outcome == "digit":
        return _wrong_digit(rng, d).isoformat()
    return d.isoformat()


def _wrong_digit(rng: random.Random, d: date) -> date:
    text = d.isoformat()
    # The last two digits of the year, the month and the day: the century is never wrong.
    spots = [2, 3, 5, 6, 8, 9]
    for _ in range(20):
        i = rng.choice(spots)
        digit = rng.choice([c for c in "0123456789" if c != text[i]])
        candidate = text[:i] + digit + text[i + 1:]
        try:
            return date.fromisoformat(candidate)
        except ValueError:
            continue
    return d


# --- identifiers -------------------------------------------------------------------------

_FRENCH_FORMS = (("spaced", 0.35), ("compact", 0.25), ("dots", 0.12), ("plus_spaced", 0.08),
                 ("plus", 0.08), ("double_zero", 0.04), ("dashes", 0.04), ("plus_zero", 0.02),
                 ("slashes", 0.02))


def phone_writing(rng: random.Random, e164: str) -> str:
    """A phone number as a French file writes it: "06 12 34 56 78", "0612345678",
    "+33 6 12 34 56 78"...; foreign numbers keep an international form (+ or 00).

    Always reads back to `e164` with region FR.
    """
    number = phonenumbers.parse(e164, None)
    national = phonenumbers.national_significant_number(number)
    if number.country_code != 33 or len(national) != 9:
        international = phonenumbers.format_number(
            number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)
        return rng.choice([international, e164, "00" + e164[1:], "00" + international[1:]])
    pairs = [national[i:i + 2] for i in (1, 3, 5, 7)]
    form = rng.choices([f for f, _ in _FRENCH_FORMS], weights=[w for _, w in _FRENCH_FORMS])[0]
    zero = "0" + national[0]
    return {
        "spaced": " ".join([zero, *pairs]),
        "compact": "0" + national,
        "dots": ".".join([zero, *pairs]),
        "dashes": "-".join([zero, *pairs]),
        "slashes": "/".join([zero, *pairs]),
        "plus_spaced": " ".join(["+33", national[0], *pairs]),
        "plus": "+33" + national,
        "double_zero": "0033" + national,
        "plus_zero": " ".join(["+33", f"(0){national[0]}", *pairs]),
    }[form]


def plate_writing(rng: random.Random, plate: str) -> str:
    """A number plate with dashes, spaces or nothing between its groups; lower case at times."""
    groups = re.findall(r"[A-Za-z]+|[0-9]+", plate)
    written = rng.choices(["-", " ", ""], weights=[0.45, 0.3, 0.25])[0].join(groups)
    return written.lower() if rng.random() < 0.07 else written.upper()


def iban_writing(rng: random.Random, iban: str) -> str:
    """An IBAN compact or in groups of four; in lower case, rarely."""
    compact = re.sub(r"\s+", "", iban).upper()
    written = compact if rng.random() < 0.5 else " ".join(
        compact[i:i + 4] for i in range(0, len(compact), 4))
    return written.lower() if rng.random() < 0.03 else written


_STREET_WORDS: dict[str, tuple[str, ...]] = {
    "avenue": ("av.", "av", "Av.", "ave"), "boulevard": ("bd", "Bd", "bld", "boul."),
    "rue": ("r.", "R."), "place": ("pl.", "Pl."), "chemin": ("ch.", "chem."),
    "allée": ("all.",), "impasse": ("imp.",), "route": ("rte", "Rte"), "square": ("sq.",),
    "cours": ("crs",), "faubourg": ("fg", "fbg"), "quai": ("q.",), "résidence": ("rés.", "Rés."),
    "saint": ("St",), "sainte": ("Ste",), "général": ("Gén.", "Gal"), "maréchal": ("Mal",),
    "docteur": ("Dr",), "président": ("Pdt",), "professeur": ("Pr",),
}


def _abbreviate(rng: random.Random, street: str) -> str:
    words = re.split(r"([ -])", street)
    for i, word in enumerate(words):
        short = _STREET_WORDS.get(word.lower())
        if short and rng.random() < 0.6:
            words[i] = rng.choice(short)
    return "".join(words)


def address_writing(rng: random.Random, number: str | int, street: str, postcode: str,
                    city: str) -> str:
    """A postal address as a file writes it: abbreviations (av., bd, r.), sometimes a
    building ("Bât. B"), accents dropped at times, the city often in upper case."""
    if rng.random() < 0.15:
        # La Poste's own norm: upper case, no accents, no punctuation.
        line = f"{number} {street} {postcode} {city}"
        return _strip_accents(re.sub(r"[,.]", "", line)).upper()
    line = f"{number}{',' if rng.random() < 0.2 else ''} {_abbreviate(rng, street)}"
    extra = rng.random()
    if extra < 0.08:
        line += f", Bât. {rng.choice('ABCDEF')}"
    elif extra < 0.12:
        line += f", Esc. {rng.randint(1, 6)}"
    elif extra < 0.16:
        line += f", Appt {rng.randint(1, 120)}"
    town = city.upper() if rng.random() < 0.7 else city
    line += f"{', ' if rng.random() < 0.6 else ' '}{postcode} {town}"
    return _strip_accents(line) if rng.random() < 0.35 else line
