"""The networks API: the ranked networks, one network, a person's neighbourhood, the
shortest path between two people, and a new mapping run. Routes parse, call one stage
function, and return its result; every read is scoped to the caller and audited by the
stage (`emco.network.reading`)."""

from typing import Annotated

from fastapi import APIRouter, Path, Query

from emco.api.routes import ERRORS, CaseRef, Motif
from emco.api.schemas_networks import (
    GraphOut,
    MappingOut,
    NetworkListOut,
    NetworkOut,
    NetworkSummaryOut,
    PathOut,
)
from emco.network import reading
from emco.network.networks import map_networks
from emco.web.deps import AccessDep

router = APIRouter(prefix="/api/v1", responses=ERRORS, tags=["networks"])

# Ids of networks (R0001) and resolved entities (E00000042): short, plain characters.
ID_PATTERN = r"^[A-Za-z0-9_.:-]+$"
NetworkId = Annotated[str, Path(min_length=1, max_length=16, pattern=ID_PATTERN,
                                description="The network's id, such as R0001.")]
EntityId = Annotated[str, Path(min_length=1, max_length=16, pattern=ID_PATTERN,
                               description="The resolved entity's id, such as E00000042.")]
Hops = Annotated[int, Query(ge=1, le=reading.MAX_HOPS,
                            description=f"Links away from the person, 1 to "
                                        f"{reading.MAX_HOPS}.")]


@router.get("/networks")
def list_networks(access: AccessDep) -> NetworkListOut:
    """The networks of the latest mapping run that the caller sees a part of, most
    threatening first, each with its threat level and likeliest heads."""
    return NetworkListOut(networks=[NetworkSummaryOut.of(s)
                                    for s in reading.list_networks(access)])


@router.post("/networks/run")
def run_mapping(access: AccessDep) -> MappingOut:
    """Map the networks of the whole joint graph now and store the run (the staff's
    operators): a network found again keeps its id, name and history."""
    return MappingOut.of(map_networks(access))


@router.get("/networks/{network_id}")
def get_network(access: AccessDep, network_id: NetworkId) -> NetworkOut:
    """One network as the caller may see it: the members its records reach, the links
    they state, the threat (with the facts behind it for the staff's operators only), its
    key players and the runs that found it."""
    return NetworkOut.of(reading.network_view(access, network_id))


@router.get("/entities/{entity_id}/neighbourhood")
def get_neighbourhood(access: AccessDep, entity_id: EntityId, hops: Hops = 1,
                      motif: Motif = None, case_ref: CaseRef = None) -> GraphOut:
    """The people within `hops` links of a resolved entity, through the links the
    caller's records state (at most 400 people). `motif` and `case_ref` are required
    (400 naming the field without them; the refusal is audited)."""
    return GraphOut.of(reading.neighbourhood(access, entity_id, hops, motif=motif,
                                             case_ref=case_ref))


@router.get("/paths")
def get_path(access: AccessDep,
             start: Annotated[str, Query(alias="from", min_length=1, max_length=16,
                                         pattern=ID_PATTERN,
                                         description="One resolved entity's id.")],
             end: Annotated[str, Query(alias="to", min_length=1, max_length=16,
                                       pattern=ID_PATTERN,
                                       description="The other's.")],
             motif: Motif = None, case_ref: CaseRef = None) -> PathOut:
    """The fewest links between two people through the links the caller's records state
    (six at most); `found` is false when none joins them. `motif` and `case_ref` are
    required (400 naming the field without them; the refusal is audited)."""
    return PathOut.between(reading.shortest_path(access, start, end, motif=motif,
                                                  case_ref=case_ref), start, end)
