"""The head score: who leads each network, as a weighted sum of parts a person can read.

Leaders of insulated organisations are not their most central members: they speak to
few, and through those few (their lieutenants, who carry the traffic) reach the whole
organisation. The score therefore weighs most the two parts that see this and that hold
for a boss who is also the hub (CAVIAR's mastermind) as for one who hides behind his
lieutenants; the classic centralities keep a small weight each.

Every measure of leadership is taken on the ties *within* his network (his community):
on the whole graph the brokers between networks (shared suppliers) outrank every head.
Each is normalised twice, half against his network's highest value and half against the
highest anywhere: a head is the head of *his* network, yet the second man of a large
network is not pushed behind a three-man crew's top member. The `scale` part lets the
leaders of larger networks rank first.

The parts and why (docs/network-analysis.md has the reasoning):

- reach: how many of his network he is within two steps of (the centre of the
  hierarchy: through his lieutenants, the head reaches nearly everyone);
- insulation: his contacts are his network's best connected (their mean hubness, times
  the hubness he holds beyond his best connected contact): heads speak to few, and to
  several hubs;
- degree, betweenness, pagerank, coreness: how central he is in his network;
- brokerage: contacts with other networks (suppliers, partners, buyers);
- scale: the size of the network he belongs to;
- flows: money received and reports received (only where direction is known);
- declared: what services declared about his role, weighed by their grade.

The parts measure a network's leader when communities are organisations (a low
resolution, as the store uses); at resolution 1, where modularity cuts a hierarchy into
its crews, they name each crew's leader.

A part that cannot be known for a person (no directed or money tie; no declaration
given at all) is absent, not zero: the weights of the parts present are rescaled to sum
to one, so `head_score` is always the sum of the contributions shown.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from emco.errors import BadInput
from emco.model.enums import NetworkRole
from emco.network.structure import Measures, Projection

WEIGHTS: dict[str, float] = {
    "degree": 0.05,
    "betweenness": 0.05,
    "pagerank": 0.05,
    "coreness": 0.05,
    "insulation": 0.25,
    "reach": 0.35,
    "brokerage": 0.05,
    "scale": 0.15,
    "flows": 0.15,
    "declared": 0.30,
}
STRUCTURAL = ("degree", "betweenness", "pagerank", "coreness", "insulation", "reach",
              "brokerage", "scale")

# Grades: NATO/Admiralty (A–F, 1–6) and Europol 4x4 (A, B, C, X; 1–4) share letters and
# digits. C is "fairly reliable" in one and "not usually reliable" in the other: it is
# weighed between the two. "Cannot be judged" (F, X, 6) is weighed as weak, not as nil.
RELIABILITY = {"A": 1.0, "B": 0.8, "C": 0.5, "D": 0.3, "E": 0.1, "F": 0.3, "X": 0.3}
CREDIBILITY = {"1": 1.0, "2": 0.8, "3": 0.6, "4": 0.4, "5": 0.1, "6": 0.3}
# What a declaration of each role says about leading: a lieutenant is near the top.
DECLARED_HEADSHIP = {NetworkRole.HEAD: 1.0, NetworkRole.LIEUTENANT: 0.5}

Declared = Mapping[str, Sequence[tuple[str, str]]]


def grade_weight(grade: str) -> float:
    """The weight of an evaluation grade such as "A1" or "B2" (product of the source's
    reliability and the information's credibility). Raises BadInput on an unknown grade."""
    text = grade.strip().upper()
    if len(text) != 2 or text[0] not in RELIABILITY or text[1] not in CREDIBILITY:
        raise BadInput(f"grade {grade!r}: expected a letter A-F or X and a digit 1-6, "
                       "as in B2", field="grade")
    return RELIABILITY[text[0]] * CREDIBILITY[text[1]]


def parse_role(role: str) -> NetworkRole:
    """A declared role name as a NetworkRole; BadInput on an unknown one."""
    try:
        return NetworkRole(role.strip().lower())
    except ValueError:
        known = ", ".join(r.value for r in NetworkRole)
        raise BadInput(f"role {role!r}: expected one of {known}", field="role") from None


@dataclass(frozen=True)
class Part:
    """One part of a head score: the normalised measure (0–1), its weight, their
    product, the raw measure and a one-line reason."""

    value: float
    weight: float
    contribution: float
    raw: float
    reason: str

    def to_json(self) -> dict[str, float | str]:
        return {"value": round(self.value, 4), "weight": round(self.weight, 4),
                "contribution": round(self.contribution, 4), "raw": round(self.raw, 4),
                "reason": self.reason}


@dataclass(frozen=True)
class HeadTable:
    """Head scores of every vertex, as arrays; `parts(i)` builds one person's parts."""

    values: dict[str, np.ndarray]  # part → normalised value, NaN where absent
    raw: dict[str, np.ndarray]
    weights: dict[str, np.ndarray]  # part → effective weight per vertex (0 where absent)
    score: np.ndarray
    rank: np.ndarray  # 1 = most likely head, over all vertices
    measures: Measures
    declared_roles: list[tuple[NetworkRole, str, float] | None]  # best declaration

    def parts(self, i: int) -> dict[str, Part]:
        """The parts of vertex `i`'s score, present ones only, in WEIGHTS order."""
        out: dict[str, Part] = {}
        for name in WEIGHTS:
            if name not in self.values or np.isnan(self.values[name][i]):
                continue
            value, weight = float(self.values[name][i]), float(self.weights[name][i])
            out[name] = Part(value, weight, value * weight, float(self.raw[name][i]),
                             _reason(name, self, i))
        return out


def head_scores(projection: Projection, membership: np.ndarray, found: Measures,
                declared: Declared | None) -> HeadTable:
    """Score every vertex of `projection` (see the module's docstring)."""
    m = found
    # Insulation: how exclusively he speaks to hubs (his contacts' mean hubness) times the
    # hubness he holds beyond his best connected contact: a man whose standing rests on
    # one hub depends on him (a soldier and his lieutenant, a satellite and his boss),
    # he is not a boss behind several lieutenants.
    mean_hubness = np.divide(m.hub_contacts, m.inside, out=np.zeros(projection.n),
                             where=m.inside > 0)
    raw = {"degree": m.inside, "betweenness": m.inside_betweenness,
           "pagerank": m.inside_pagerank, "coreness": m.inside_coreness,
           "insulation": mean_hubness * (m.hub_contacts - m.top_contact), "reach": m.reach,
           "brokerage": m.outside, "scale": m.community_size}
    everyone = np.zeros(projection.n, dtype=np.int64)
    values = {name: 0.5 * _by_group_max(raw[name], membership)
              + 0.5 * _by_group_max(raw[name], everyone) for name in STRUCTURAL[:-1]}
    values["scale"] = np.log1p(m.community_size) / np.log1p(m.community_size.max())
    flows, flows_raw = _flows(projection, membership)
    if flows is not None:
        values["flows"], raw["flows"] = flows, flows_raw
    best: list[tuple[NetworkRole, str, float] | None] = [None] * projection.n
    if declared is not None:
        values["declared"], raw["declared"], best = _declared(projection, declared)
    present = {name: ~np.isnan(v) for name, v in values.items()}
    total = sum(WEIGHTS[name] * present[name] for name in values)
    weights = {name: WEIGHTS[name] * present[name] / total for name in values}
    score = sum(np.nan_to_num(values[name]) * weights[name] for name in values)
    score_arr = np.asarray(score, dtype=float)
    # Ties broken by id order (vertices are numbered in sorted id order): stable output.
    order = np.lexsort((np.arange(len(score_arr)), -np.round(score_arr, 12)))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(1, len(order) + 1)
    return HeadTable(values, raw, weights, score_arr, rank, found, best)


def _by_group_max(x: np.ndarray, group: np.ndarray) -> np.ndarray:
    top = np.zeros(group.max() + 1)
    np.maximum.at(top, group, x)
    denominator = top[group]
    out: np.ndarray = np.divide(x, denominator, out=np.zeros_like(x, dtype=float),
                                where=denominator > 0)
    return out


def _flows(projection: Projection, membership: np.ndarray
           ) -> tuple[np.ndarray | None, np.ndarray]:
    """Share of the flows a person receives (money, reports), shrunk towards one half
    for people with little recorded flow; NaN where nothing directed touches him."""
    shares: list[np.ndarray] = []
    for inflow, outflow in ((projection.money_in, projection.money_out),
                            (projection.talk_in, projection.talk_out)):
        if inflow is None or outflow is None:
            continue
        total = inflow + outflow
        # A typical person's volume as prior: one call received of two says little.
        prior = float(np.median(total[total > 0])) if (total > 0).any() else 1.0
        share = (inflow + prior / 2) / (total + prior)
        shares.append(np.where(total > 0, share, np.nan))
    if not shares:
        return None, np.zeros(len(membership))
    stacked = np.vstack(shares)
    with np.errstate(all="ignore"):
        known = ~np.isnan(stacked)
        mean = np.where(known.any(axis=0),
                        np.nansum(stacked, axis=0) / np.maximum(known.sum(axis=0), 1), np.nan)
    return mean, np.nan_to_num(mean)


def _declared(projection: Projection, declared: Declared
              ) -> tuple[np.ndarray, np.ndarray, list[tuple[NetworkRole, str, float] | None]]:
    """The declared-headship value per vertex (best graded head or lieutenant claim),
    and each vertex's best-graded declaration of any role. Ids not in the graph are
    ignored: a service may know people the edges do not link."""
    index = {name: i for i, name in enumerate(projection.names)}
    value = np.zeros(projection.n)
    best: list[tuple[NetworkRole, str, float] | None] = [None] * projection.n
    for node, claims in declared.items():
        i = index.get(node)
        if i is None:
            continue
        for role_name, grade in claims:
            role, weight = parse_role(role_name), grade_weight(grade)
            value[i] = max(value[i], DECLARED_HEADSHIP.get(role, 0.0) * weight)
            current = best[i]
            if current is None or weight > current[2]:
                best[i] = (role, grade.strip().upper(), weight)
    return value, value.copy(), best


def _reason(name: str, table: HeadTable, i: int) -> str:
    """One line saying what part `name` measured for vertex `i`."""
    m, raw, value = table.measures, table.raw[name][i], table.values[name][i]
    size = int(m.community_size[i])
    pct = f"scaled {value:.0%}"
    if name == "degree":
        return (f"{int(raw)} contacts in his network of {size} ({int(m.degree[i])} in all; "
                f"{pct})")
    if name == "betweenness":
        est = "estimated " if m.sampled else ""
        return f"on {est}{raw:.1f} shortest paths between members of his network ({pct})"
    if name == "pagerank":
        return f"in touch with those who are in touch, in his network (PageRank {pct})"
    if name == "coreness":
        return f"in the {int(raw)}-core of his network ({pct})"
    if name == "insulation":
        inside = int(m.inside[i])
        mean = m.hub_contacts[i] / inside if inside else 0.0
        return (f"his {inside} contact(s) in his network have on average {mean:.0%} of the "
                f"contacts of its best connected member ({pct})")
    if name == "reach":
        return (f"within two steps of {int(raw)} of the {size - 1} others in his network, "
                f"{int(m.second[i])} of them only through his contacts ({pct})")
    if name == "brokerage":
        return f"in contact with {int(raw)} other network(s) ({pct})"
    if name == "scale":
        return f"member of a network of {size} people"
    if name == "flows":
        return f"receives {value:.0%} of the money and reports that pass through him"
    declared = table.declared_roles[i]
    if declared is None:
        return "no service declared a role"
    role, grade, _ = declared
    return f"declared {role.value} by a service, graded {grade}"


def infer_roles(table: HeadTable, projection: Projection, membership: np.ndarray
                ) -> tuple[list[NetworkRole], np.ndarray]:
    """A role and its confidence (0–1) for every vertex.

    Per community of three or more: the top head score is the head (confident when
    clearly ahead of the second); members scoring at least 60% of his score are
    lieutenants (a little less surely when not in touch with him); people whose ties
    are mostly money are finance, mostly violence enforcers; members with contacts in
    other networks are logistics; the rest retail, with a confidence that falls as
    their score rises. A declaration graded better than the inferred confidence
    replaces the inference."""
    n = projection.n
    roles = [NetworkRole.RETAIL] * n
    confidence = 0.6 * (1.0 - table.score)
    score, m = table.score, table.measures
    frame = pd.DataFrame({"c": membership, "s": score, "i": np.arange(n)})
    frame = frame.sort_values(["c", "s", "i"], ascending=[True, False, True])
    heads: dict[int, int] = {}
    for c, group in frame.groupby("c", sort=False):
        if len(group) < 3:
            continue
        top, second = group["s"].iloc[0], group["s"].iloc[1]
        head = int(group["i"].iloc[0])
        heads[int(str(c))] = head
        roles[head] = NetworkRole.HEAD
        confidence[head] = 0.5 + 0.5 * (top - second) / top if top > 0 else 0.0
    logistics = (m.outside > 0) & (table.values["brokerage"] >= 0.5)
    for i in np.flatnonzero(logistics).tolist():
        if roles[i] is NetworkRole.RETAIL:
            roles[i] = NetworkRole.LOGISTICS
            confidence[i] = float(table.values["brokerage"][i]) * 0.7
    for share, role in ((projection.payment_share, NetworkRole.FINANCE),
                        (projection.violence_share, NetworkRole.ENFORCER)):
        for i in np.flatnonzero(share >= 0.5).tolist():
            if roles[i] is not NetworkRole.HEAD:
                roles[i], confidence[i] = role, float(share[i])
    top = np.full(membership.max() + 1, np.inf)  # a community with no head has none
    for c, head in heads.items():
        top[c] = score[head]
    near = np.zeros(n, dtype=bool)
    for around in projection.graph.neighborhood(list(heads.values()), order=1, mindist=1):
        near[around] = True
    second = np.flatnonzero((score >= 0.6 * top[membership]) & (top[membership] > 0))
    for j in second.tolist():
        if roles[j] in (NetworkRole.RETAIL, NetworkRole.LOGISTICS):
            # Second tier: near the head's score; more surely so when he talks to him.
            ratio = float(score[j] / top[membership[j]]) * (1.0 if near[j] else 0.8)
            roles[j], confidence[j] = NetworkRole.LIEUTENANT, ratio
    for i, claim in enumerate(table.declared_roles):
        if claim is not None and claim[2] >= confidence[i]:
            roles[i], confidence[i] = claim[0], claim[2]
    return roles, np.clip(confidence, 0.0, 1.0)
