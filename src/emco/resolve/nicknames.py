"""Short forms of given names as services write them: "Momo BELKACEM" in one file is
"Mohamed BELKACEM" in another. A given name found here is compared by the phonetic key of
its formal name (features.py), so that the two sound alike to the model and share a
blocking key. Only forms people use in France for names common among the people the
services follow; a form shared by two formal names ("Jo": Jonathan or Joseph) is left out
rather than guessed. Keys and values are folded (lower case, no accents).
"""

_FORMS = {
    # Maghreb and Middle East
    "mohamed": "momo moha hamou mimoun mohand",
    "abdelkader": "kader kadour",
    "abdelkrim": "krimo",
    "abdelaziz": "aziz",
    "abdelhakim": "hakim",
    "abdelatif": "latif",
    "abderrahmane": "abdou",
    "mustapha": "mouss stof",
    "youssef": "youss",
    "brahim": "bibi",
    "rachid": "rach",
    "nordine": "nono",
    "noureddine": "nordine nono",
    "sofiane": "sof",
    "yacine": "yass",
    "ismail": "smail isma",
    "mehdi": "medi",
    "bilal": "bil",
    "karim": "krimo",
    "djamel": "jamel",
    "kamel": "kamal",
    "lakhdar": "lakh",
    "salaheddine": "salah",
    "fatima": "fatma fafa",
    "khadija": "dija",
    # West Africa and the Comoros
    "mamadou": "madou mams",
    "abdoulaye": "laye",
    "boubacar": "bouba",
    "ibrahima": "ibou",
    "souleymane": "soul",
    "fatoumata": "fatou fanta",
    "mmadi": "madi",
    # France
    "christophe": "tof totof",
    "sebastien": "seb",
    "nicolas": "nico",
    "alexandre": "alex",
    "frederic": "fred",
    "anthony": "tony",
    "stephane": "steph",
    "gregory": "greg",
    "guillaume": "guigui",
    "jerome": "jeje",
    "jean": "jeannot jm jp jc jb",
    "mathieu": "matt",
    "maxime": "max",
    "thomas": "tom",
    "patrick": "pat",
    "philippe": "phil fifi",
    "michel": "michou",
    "emmanuel": "manu",
    "dominique": "dom",
    "benjamin": "benji",
    "raphael": "raph",
    "jeremy": "jerem",
    "kevin": "kev",
    "laurent": "lolo",
    "francois": "fanfan",
    "catherine": "cathy",
    "isabelle": "isa",
    "stephanie": "steph",
    "valerie": "val",
    # Portugal, Spain, Italy
    "joao": "joaozinho",
    "jose": "ze pepe",
    "antonio": "tonio toni",
    "manuel": "manu manolo",
    "francisco": "chico paco",
    "fernando": "nando",
    "salvatore": "toto",
    "giuseppe": "peppe",
    # Balkans, Romania, Turkey
    "aleksandar": "aco sacha",
    "gheorghe": "gigi",
    "constantin": "costel costi",
    "mehmet": "memo",
    "florin": "flo",
    "dimitri": "dim",
}


def _formal() -> dict[str, str]:
    out: dict[str, str] = {}
    taken: set[str] = set()
    for formal, forms in _FORMS.items():
        for form in forms.split():
            if form in out and out[form] != formal:
                taken.add(form)  # two formal names: ambiguous
            out.setdefault(form, formal)
    return {form: formal for form, formal in out.items() if form not in taken}


FORMAL = _formal()


def formal(given: str | None) -> str | None:
    """The formal given name of a known short form, else the name itself."""
    return FORMAL.get(given, given) if given else given
