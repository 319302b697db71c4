import math
from pathlib import Path

import pandas as pd
import pytest

from emco.errors import BadInput
from emco.model.enums import NetworkRole
from emco.network import structure
from emco.network.analysis import CREWS, ORGANISATIONS, analyze
from emco.network.heads import WEIGHTS, grade_weight
from tests.network.covert import caviar, hierarchy


def test_the_insulated_boss_of_a_hierarchy_ranks_first() -> None:
    # At the store's resolution the two organisations are found whole, not cut at their
    # crews; the boss speaks to three lieutenants and another boss, the lieutenants to
    # twelve soldiers, yet he leads.
    result = analyze(hierarchy(), resolution=ORGANISATIONS)
    boss, first = result.node("B"), result.communities[0]
    assert boss.head_rank == 1
    assert boss.role is NetworkRole.HEAD
    assert first.heads[0] == "B"
    assert "L1" in first.members
    assert result.node("C").role is NetworkRole.HEAD  # he leads the other organisation
    assert boss.parts["reach"].value == 1.0  # within two steps of all his network
    assert boss.parts["insulation"].value > result.node("L1").parts["insulation"].value
    assert boss.parts["degree"].value < result.node("L1").parts["degree"].value
    assert result.node("L1").role is NetworkRole.LIEUTENANT
    assert result.node("L1s0").role is NetworkRole.RETAIL
    assert boss.head_score > max(n.head_score for n in result.nodes if n.id != "B")


def test_cut_at_its_crews_each_crew_is_led_by_its_lieutenant() -> None:
    result = analyze(hierarchy(), resolution=CREWS)  # modularity finds the crews
    crews = [c for c in result.communities if len(c.members) >= 4]
    assert sorted(c.heads[0] for c in crews) == ["L1", "L2", "L3", "M1", "M2"]
    # a soldier within two steps of his whole crew is not insulated: he has one contact
    assert result.node("L1s0").parts["insulation"].value == 0.0


def test_a_broker_between_organisations_does_not_lead_them() -> None:
    rows = []
    for boss in "AB":
        lieutenants = [f"{boss}{i}" for i in range(1, 4)]
        for lt in lieutenants:
            rows.append((boss, lt))
            rows += [(lt, f"{lt}s{j}") for j in range(4)]
        rows.append((lieutenants[0], lieutenants[1]))
    rows += [("S", x) for x in ("A1", "B1", "A2s0", "B2s0")]  # a shared supplier
    result = analyze(pd.DataFrame(rows, columns=["source", "target"]),
                     resolution=ORGANISATIONS)
    assert [c.heads[0] for c in result.communities] == ["A", "B"]
    assert result.node("S").role is NetworkRole.LOGISTICS
    assert result.node("S").parts["brokerage"].raw == 1


def test_contributions_sum_to_the_score_and_explain_themselves() -> None:
    for node in analyze(caviar(), directed=True).nodes[:20]:
        parts = node.parts
        assert math.isclose(sum(p.contribution for p in parts.values()), node.head_score,
                            abs_tol=1e-9)
        assert math.isclose(sum(p.weight for p in parts.values()), 1.0)
        assert all(0.0 <= p.value <= 1.0 and p.reason for p in parts.values())


def test_flows_are_absent_when_direction_is_unknown() -> None:
    assert "flows" not in analyze(hierarchy()).nodes[0].parts
    assert "declared" not in analyze(hierarchy()).nodes[0].parts
    # Who calls whom says who initiates, not who commands: not a flow.
    assert "flows" not in analyze(caviar(), directed=True).node("n1").parts


def test_reports_flow_up_and_orders_down() -> None:
    up = pd.DataFrame({"source": ["L1", "L2", "B"], "target": ["B", "B", "L3"],
                       "type": ["report", "report", "order"]})
    result = analyze(pd.concat([hierarchy(), up], ignore_index=True), directed=True)
    assert result.node("B").parts["flows"].value > 0.5
    assert result.node("L3").parts["flows"].value < 0.5


def test_money_flowing_up_raises_the_receiver() -> None:
    money = pd.DataFrame({"source": ["L1", "L2", "L3"], "target": ["B"] * 3,
                          "weight": [500.0, 800.0, 300.0], "type": ["payment"] * 3})
    result = analyze(pd.concat([hierarchy(), money], ignore_index=True))
    flows = result.node("B").parts["flows"]
    assert flows.value > 0.5
    assert "flows" not in result.node("L1s0").parts  # no directed tie: unknown, not zero
    assert result.node("L1").parts["flows"].value < 0.5


def test_a_well_graded_declaration_raises_the_score() -> None:
    plain = analyze(hierarchy())
    graded = analyze(hierarchy(), declared={"M1": [("head", "A1")]})
    assert graded.node("M1").head_rank < plain.node("M1").head_rank
    weak = analyze(hierarchy(), declared={"M1": [("head", "E5")]})
    assert weak.node("M1").head_score < graded.node("M1").head_score
    assert graded.node("M1").parts["declared"].reason == "declared head by a service, graded A1"
    assert graded.node("M1").role is NetworkRole.HEAD


def test_declared_roles_replace_weaker_inferences() -> None:
    result = analyze(hierarchy(), declared={"L2s1": [("enforcer", "B2")]})
    assert result.node("L2s1").role is NetworkRole.ENFORCER
    assert result.node("L2s1").role_confidence == pytest.approx(0.64)


def test_grades() -> None:
    assert grade_weight("A1") == 1.0
    assert grade_weight("b2") == pytest.approx(0.64)
    assert grade_weight("X4") < grade_weight("B2")
    with pytest.raises(BadInput):
        grade_weight("G1")
    with pytest.raises(BadInput):
        analyze(pd.DataFrame({"source": ["a"], "target": ["b"]}),
                declared={"a": [("boss", "A1")]})


def test_weights_are_documented_shares() -> None:
    structural = ("degree", "betweenness", "pagerank", "coreness", "insulation", "reach",
                  "brokerage", "scale")
    assert math.isclose(sum(WEIGHTS[p] for p in structural), 1.0)
    documented = Path(__file__).parents[2] / "docs" / "network-analysis.md"
    text = documented.read_text(encoding="utf-8")
    for name, weight in WEIGHTS.items():
        assert f"| {name} | {weight:.2f}".replace("0.", ".") in text, name


def test_two_step_reach_is_bounded_above_its_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    exact = analyze(hierarchy(), resolution=ORGANISATIONS, key_players=0)
    monkeypatch.setattr(structure, "REACH_WALKS", 5)
    bounded = analyze(hierarchy(), resolution=ORGANISATIONS, key_players=0)
    for node in exact.nodes:
        assert bounded.node(node.id).parts["reach"].raw >= node.parts["reach"].raw
    assert bounded.node("B").parts["reach"].raw == exact.node("B").parts["reach"].raw
