"""Network threat: each network assessed on explainable attributes, in the spirit of the
RCMP's Sleipnir and Europol's SOCTA (violence, weapons, corruption, use of legal
businesses, international reach, size, resilience, money).

Each attribute gets a level from 0 (none found) to 3 with the facts behind it, or stays
*unknown* when none of the members' records could have told (no incident reported on any
of them says nothing about their violence). The score is the weighted share of the
highest levels over the attributes that are known, and how much is known is shown beside
it: a network nobody reports on is not a harmless one.
"""

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Incident keywords (as services state them on Event records) and what they show.
VIOLENCE = frozenset({"homicide", "armed_violence", "serious_violence", "threats_against_staff",
                      "threats", "contract_killing", "kidnapping", "assault"})
WEAPONS = frozenset({"armed_violence", "weapons", "firearms", "explosives"})
CORRUPTION = frozenset({"corruption", "corruption_of_officials", "bribery"})
# (weight, one line on why it weighs that much)
WEIGHTS: dict[str, float] = {
    "violence": 3.0,  # what the staff exists to prevent
    "weapons": 2.0,
    "corruption": 2.0,  # reaches into the institutions that would stop it
    "legal_business": 1.0,  # laundering and cover
    "international": 1.5,  # supply and refuge abroad
    "money": 1.0,
    "size": 1.0,
    "resilience": 1.0,  # survives the arrest of its key players
}
LEVELS = ((0.75, "critical"), (0.5, "high"), (0.25, "moderate"), (0.0, "low"))
HOME = "FR"


@dataclass(frozen=True)
class Attribute:
    name: str
    level: int | None  # 0-3, None when unknown
    weight: float
    facts: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {"level": self.level, "weight": self.weight, "facts": self.facts,
                "known": self.level is not None}


@dataclass(frozen=True)
class NetworkFacts:
    """What the members' records say, gathered by `emco.network.networks`."""

    size: int
    incidents: Counter[str] = field(default_factory=Counter)  # keyword -> count
    events_known: bool = False  # any incident at all reported on a member
    companies: int = 0
    finance_known: bool = False  # any payment, account or company tie among members
    payments: float = 0.0  # sum of stated amounts
    payments_known: bool = False
    countries: Counter[str] = field(default_factory=Counter)  # foreign countries seen
    origin_known: bool = False  # any nationality, phone or account stated
    remaining_share: float | None = None  # largest piece after removing key players


@dataclass(frozen=True)
class Threat:
    score: float
    level: str
    known: float  # share of the attributes' weight that is known
    attributes: list[Attribute]

    def to_dict(self) -> dict[str, Any]:
        return {"score": self.score, "level": self.level, "known": self.known,
                "attributes": {a.name: a.to_dict() for a in self.attributes}}


def assess(facts: NetworkFacts) -> Threat:
    """The threat of one network from its facts (pure)."""
    attributes = [
        _from_incidents("violence", facts, VIOLENCE),
        _from_incidents("weapons", facts, WEAPONS),
        _from_incidents("corruption", facts, CORRUPTION),
        _attribute("legal_business", facts.finance_known,
                   _steps(facts.companies, (1, 2, 4)),
                   [f"{facts.companies} compan{'y' if facts.companies == 1 else 'ies'} "
                    "among its members"]),
        _attribute("international", facts.origin_known,
                   _steps(len(facts.countries), (1, 2, 4)),
                   [f"{country}: {n}" for country, n in facts.countries.most_common(5)]),
        _attribute("money", facts.payments_known,
                   _steps(facts.payments, (1_000, 50_000, 500_000)),
                   [f"payments stated: {facts.payments:,.0f}"]),
        _attribute("size", True, _steps(facts.size, (3, 10, 30)),
                   [f"{facts.size} members"]),
        _attribute("resilience", facts.remaining_share is not None,
                   _steps(facts.remaining_share or 0.0, (0.2, 0.4, 0.7)),
                   [f"{facts.remaining_share:.0%} stay connected without its key players"]
                   if facts.remaining_share is not None else []),
    ]
    known = [a for a in attributes if a.level is not None]
    top = sum(a.weight * 3 for a in known)
    score = sum(a.weight * (a.level or 0) for a in known) / top if top else 0.0
    level = next(name for floor, name in LEVELS if score >= floor)
    known_share = sum(a.weight for a in known) / sum(WEIGHTS.values())
    return Threat(round(score, 3), level, round(known_share, 3), attributes)


def _from_incidents(name: str, facts: NetworkFacts, keywords: Iterable[str]) -> Attribute:
    found = {k: n for k, n in facts.incidents.items() if k in keywords}
    total = sum(found.values())
    return _attribute(name, facts.events_known, _steps(total, (1, 2, 4)),
                      [f"{k}: {n}" for k, n in sorted(found.items())])


def _attribute(name: str, known: bool, level: int, facts: list[str]) -> Attribute:
    if not known:
        return Attribute(name, None, WEIGHTS[name], [])
    return Attribute(name, level, WEIGHTS[name], facts)


def _steps(value: float, floors: tuple[float, float, float]) -> int:
    """0 below the first floor, then 1, 2, 3 as each floor is reached."""
    return sum(value >= floor for floor in floors)


def foreign(countries: Iterable[str]) -> Counter[str]:
    """The countries other than home, counted."""
    return Counter(c.upper() for c in countries if c and c.upper() != HOME)


def rank(threats: Mapping[str, Threat]) -> list[str]:
    """Network ids, most threatening first; equal scores: the better known first."""
    return sorted(threats, key=lambda n: (-threats[n].score, -threats[n].known, n))
