"""Response bodies of the networks API. The network pages render these same objects, built
from the stage's own `to_dict()` (a page's JSON twin returns exactly what it shows)."""

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from emco.network import reading
from emco.network.networks import MappingSummary


class ThreatOut(BaseModel):
    score: float | None = Field(description="From 0 to 1: the weighted share of the highest "
                                            "levels over the attributes that are known; "
                                            "null when the network was not assessed.")
    level: str | None = Field(description="low, moderate, high or critical.")
    detail: dict[str, Any] | None = Field(
        default=None,
        description="The staff's operators only: each attribute's level (0-3, null when "
                    "no record could tell), weight and the facts behind it, and the share "
                    "of the attributes' weight that is known. Services see the level and "
                    "score, not the other services' facts behind them.")


class PersonRef(BaseModel):
    entity: str = Field(description="The resolved entity's id.")
    name: str = Field(description="The name it goes by in the records the caller sees.")


class NetworkSummaryOut(BaseModel):
    id: str = Field(description="Kept from run to run while the network is found again.")
    name: str
    size: int = Field(description="Members in the whole joint graph.")
    visible_members: int = Field(description="Members the caller's records reach.")
    threat: ThreatOut
    heads: list[PersonRef] = Field(description="Its likeliest heads the caller sees.")

    @classmethod
    def of(cls, s: reading.NetworkSummary) -> "NetworkSummaryOut":
        return cls.model_validate(s.to_dict())


class NetworkListOut(BaseModel):
    networks: list[NetworkSummaryOut] = Field(description="The networks of the latest run "
                                                          "the caller sees a part of, most "
                                                          "threatening first.")


class NodeOut(BaseModel):
    id: str = Field(description="The resolved entity's id.")
    name: str = Field(description="Its name in the caller's records (its id when none).")
    network: str | None = Field(default=None, description="The network the latest mapping "
                                "put the person in, when the caller's links show it.")


class EdgeOut(BaseModel):
    source: str
    target: str
    kind: str = Field(description="call, payment, associate, family, membership, "
                                  "shared_phone, shared_account...")
    agency: str = Field(description="The service whose records state the link.")
    weight: float = Field(description="Strength of the tie: statements times the kind's "
                                      "weight.")
    count: int = Field(description="Statements of the tie.")
    first_on: date | None
    last_on: date | None
    evidence: list[str] = Field(description="The records behind it (record:ID), the first "
                                            "ones.")


class GraphOut(BaseModel):
    nodes: list[NodeOut]
    edges: list[EdgeOut] = Field(description="One per pair, kind and service, in the "
                                             "caller's scope.")
    truncated: bool = Field(default=False, description="More people were within reach "
                                                       "than the 400 returned.")

    @classmethod
    def of(cls, g: reading.Subgraph) -> "GraphOut":
        return cls.model_validate(g.to_dict())


class MemberOut(BaseModel):
    entity: str
    name: str | None = Field(description="Null when no record the caller sees names it.")
    head_rank: int = Field(description="1 for the likeliest head.")
    head_score: float
    role: str = Field(description="The member's role in the network, as the analysis "
                                  "judged it from the structure.")
    role_confidence: float
    parts: dict[str, Any] = Field(description="The head score's parts, each explaining "
                                              "itself.")


class RunOut(BaseModel):
    run: int
    at: datetime
    members: int = Field(description="Members the run found in the network.")


class NetworkOut(BaseModel):
    id: str
    name: str
    size: int
    threat: ThreatOut
    key_players: list[str] = Field(description="The members whose removal disrupts it most "
                                               "(those the caller sees).")
    origin: dict[str, Any] | None = Field(description="For the staff's operators: the "
                                                      "network it split from or those it "
                                                      "took in.")
    members: list[MemberOut] = Field(description="The members the caller sees, likeliest "
                                                 "head first.")
    graph: GraphOut
    history: list[RunOut] = Field(description="Every run that found it.")

    @classmethod
    def of(cls, v: reading.NetworkView) -> "NetworkOut":
        return cls.model_validate(v.to_dict())


class PathOut(GraphOut):
    found: bool = Field(description="Whether a path joins them within the links allowed.")
    path: list[str] = Field(description="The entities along it, from the first to the "
                                        "second.")
    max_links: int = Field(description="The longest path looked for.")

    @classmethod
    def between(cls, g: reading.Subgraph, start: str, end: str) -> "PathOut":
        graph = GraphOut.of(g)
        order = along(g, start, end)
        return cls(nodes=graph.nodes, edges=graph.edges, found=bool(order), path=order,
                   max_links=reading.MAX_PATH)


def along(g: reading.Subgraph, start: str, end: str) -> list[str]:
    """The path's entities in order: the subgraph holds only its consecutive links."""
    if start not in g.nodes or end not in g.nodes:
        return []
    following: dict[str, set[str]] = {}
    for e in g.edges:
        following.setdefault(e.source, set()).add(e.target)
        following.setdefault(e.target, set()).add(e.source)
    order = [start]
    while order[-1] != end:
        step = sorted(following.get(order[-1], set()) - set(order))
        if not step:
            return []
        order.append(step[0])
    return order


class MappingOut(BaseModel):
    run: int
    nodes: int
    edges: int
    modularity: float
    networks: int
    new: list[str] = Field(description="Networks found for the first time.")
    dissolved: list[str] = Field(description="Networks of the previous run not found again.")
    seconds: float

    @classmethod
    def of(cls, s: MappingSummary) -> "MappingOut":
        return cls.model_validate(s.to_dict())
