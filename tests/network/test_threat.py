"""The network threat: levels from facts, unknown kept apart from zero, ranking."""

from collections import Counter

from emco.network.threat import NetworkFacts, assess, foreign, rank


def test_unknown_is_not_zero() -> None:
    nobody_reports = assess(NetworkFacts(size=12))
    attributes = {a.name: a for a in nobody_reports.attributes}
    assert attributes["violence"].level is None
    assert attributes["money"].level is None
    assert attributes["size"].level == 2
    assert nobody_reports.known < 0.3  # most of the weight is unknown, and it says so

    reported_calm = assess(NetworkFacts(size=12, events_known=True,
                                        incidents=Counter({"seizure": 2})))
    assert {a.name: a for a in reported_calm.attributes}["violence"].level == 0


def test_violence_weapons_and_reach_raise_the_level() -> None:
    violent = assess(NetworkFacts(
        size=30, events_known=True,
        incidents=Counter({"homicide": 2, "armed_violence": 2, "corruption": 1}),
        finance_known=True, companies=3, payments=600_000, payments_known=True,
        countries=foreign(["MA", "ES", "NL", "FR", "BE"]), origin_known=True,
        remaining_share=0.8))
    assert violent.level == "critical"
    parts = {a.name: a for a in violent.attributes}
    assert parts["violence"].level == 3
    assert "homicide: 2" in parts["violence"].facts
    assert parts["international"].level == 3  # four foreign countries; France is home
    calm = assess(NetworkFacts(size=4, events_known=True, finance_known=True,
                               payments_known=True, origin_known=True, remaining_share=0.1))
    assert calm.level == "low"
    assert rank({"R1": calm, "R2": violent}) == ["R2", "R1"]


def test_to_dict_names_each_attribute_with_its_weight() -> None:
    out = assess(NetworkFacts(size=5)).to_dict()
    assert set(out["attributes"]) == {"violence", "weapons", "corruption", "legal_business",
                                      "international", "money", "size", "resilience"}
    assert out["attributes"]["violence"] == {"level": None, "weight": 3.0, "facts": [],
                                             "known": False}
