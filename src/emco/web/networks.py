"""Pages of networks: the ranked list (with a mapping run for the staff's operators), one
network with its graph, members, threat and history, and a person's neighbourhood with the
shortest path to another. Each calls the same stage function as its JSON twin; the graph
pages carry that JSON for their script (`static/network-graph.js`), which fetches more
neighbourhoods from the API as the reader expands the graph.
"""

import re
from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from babel.numbers import format_decimal
from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from emco.access.gate import Access
from emco.access.motif import MAX_CASE_REF, MAX_MOTIF
from emco.access.policy import allows
from emco.api.networks import ID_PATTERN, EntityId, Hops, NetworkId
from emco.api.schemas import NO_NUL
from emco.api.schemas_networks import GraphOut, NetworkOut, NetworkSummaryOut, PathOut
from emco.errors import BadInput
from emco.i18n import N_
from emco.model.enums import Permission
from emco.network import reading
from emco.network.networks import map_networks
from emco.web.deps import AccessDep, locale_of
from emco.web.render import render
from emco.web.risk import risk_panel
from emco.web.security import check_csrf

router = APIRouter(include_in_schema=False)
# The motif and case reference of a look at a person's links (`emco.access.motif`).
Motif = Annotated[str, Query(max_length=MAX_MOTIF, pattern=NO_NUL)]
CaseRef = Annotated[str, Query(max_length=MAX_CASE_REF, pattern=NO_NUL)]
# Words stored as data and shown translated: kinds of link, threat levels and attributes,
# the roles the analysis gives members and the parts of their head score.
KINDS = (N_("call"), N_("payment"), N_("associate"), N_("family"), N_("membership"),
         N_("directorship"), N_("ownership"), N_("employment"), N_("representation"),
         N_("meeting"), N_("shared_phone"), N_("shared_account"), N_("shared_vehicle"),
         N_("shared_address"), N_("co_offending"))
LEVELS = (N_("low"), N_("moderate"), N_("high"), N_("critical"))
ATTRIBUTES = (N_("violence"), N_("weapons"), N_("corruption"), N_("legal_business"),
              N_("international"), N_("money"), N_("size"), N_("resilience"))
ROLES = (N_("head"), N_("lieutenant"), N_("logistics"), N_("retail"), N_("finance"),
         N_("enforcer"), N_("supplier"))  # emco.model.enums.NetworkRole
PARTS = (N_("degree"), N_("betweenness"), N_("pagerank"), N_("coreness"), N_("insulation"),
         N_("brokerage"), N_("scale"), N_("flows"), N_("declared"))  # emco.network.heads
HEADS = 2  # members marked as likeliest heads, as the list of networks names them
_ID = re.compile(ID_PATTERN)
# What the graph script may have to name, in the page's language.
GRAPH_WORDS = {"all_kinds": KINDS, "all_roles": ROLES, "all_parts": PARTS}


@router.get("/networks")
def networks_page(request: Request, access: AccessDep) -> Response:
    found = [NetworkSummaryOut.of(s) for s in reading.list_networks(access)]
    return render(request, "networks.html", {"networks": found, "staff": _staff(access),
                                             "number": _number(request)},
                  json_twin="/api/v1/networks")


@router.post("/networks/run")
def run_submit(request: Request, access: AccessDep,
               csrf_token: Annotated[str, Form(max_length=100)] = "") -> Response:
    """Map the networks now (the staff's operators), then show the list."""
    check_csrf(request, csrf_token)
    map_networks(access)
    return RedirectResponse("/networks", status_code=303)


@router.get("/networks/{network_id}")
def network_page(request: Request, access: AccessDep, network_id: NetworkId) -> Response:
    view = NetworkOut.of(reading.network_view(access, network_id))
    return render(request, "network.html", {
        "network": view, "graph": _graph_data(view.graph, view.members),
        "kinds": sorted({e.kind for e in view.graph.edges}),
        "names": {m.entity: m.name or m.entity for m in view.members}, "heads": HEADS,
        "number": _number(request), **GRAPH_WORDS},
        json_twin=f"/api/v1/networks/{network_id}")


@router.get("/entities/{entity_id}/graph")
def neighbourhood_page(request: Request, access: AccessDep, entity_id: EntityId,
                       hops: Hops = 1,
                       to: Annotated[str, Query(max_length=100)] = "",
                       motif: Motif = "", case_ref: CaseRef = "") -> Response:
    """A person's links; with `to`, the shortest path from them to that person too. A
    look at a person's data: the page asks first for the motif and the case reference
    (the record page's small form), which its links and forms then carry along."""
    if not (motif.strip() and case_ref.strip()) and allows(access.principal,
                                                           Permission.NETWORK_READ):
        keep = {"hops": hops, **({"to": to} if to else {})}
        return render(request, "handling_motif.html", {
            "action": f"/entities/{entity_id}/graph", "keep": keep, "motif": motif,
            "case_ref": case_ref})
    return person_page(request, access, entity_id, hops, to, motif=motif, case_ref=case_ref)


def person_page(request: Request, access: Access, entity_id: str, hops: int = 1,
                to: str = "", risk: dict[str, Any] | None = None,
                status_code: int = 200, *, motif: str = "", case_ref: str = "") -> Response:
    """The person page: their links, and the risk panel for a reader of risk (`risk`
    adds the panel's refused form: its error and what was typed). `motif` and
    `case_ref` are the look's, required by the stages."""
    why = {"motif": motif, "case_ref": case_ref}
    graph = GraphOut.of(reading.neighbourhood(access, entity_id, hops, motif=motif or None,
                                              case_ref=case_ref or None))
    path: PathOut | None = None
    error: BadInput | None = None
    wanted = to.strip()
    if wanted and not _ID.match(wanted):
        error = BadInput(N_("%(value)s is not a person's id: give an id such as "
                            "E00000042 (each person's page shows it)", value=wanted[:40]),
                         field="to")
    elif wanted:
        path = PathOut.between(reading.shortest_path(access, entity_id, wanted,
                                                     motif=motif or None,
                                                     case_ref=case_ref or None),
                               entity_id, wanted)
    return render(request, "neighbourhood.html", {
        "entity_id": entity_id, "hops": hops, "max_hops": reading.MAX_HOPS,
        "graph": graph, "data": _graph_data(graph, []), "to": wanted, "path": path,
        "path_data": {**_graph_data(path, []), "path": path.path} if path else None, "error": error,
        "names": {n.id: n.name for n in [*graph.nodes, *(path.nodes if path else [])]},
        "person": next((n.name for n in graph.nodes if n.id == entity_id), entity_id),
        "number": _number(request), **GRAPH_WORDS, **why, "why": urlencode(why),
        **risk_panel(request, access, entity_id, risk, motif=motif, case_ref=case_ref)},
        status_code=400 if error else status_code,
        json_twin=f"/api/v1/entities/{entity_id}/neighbourhood?"
                  + urlencode({"hops": hops, **why}))


def _number(request: Request) -> Callable[..., str]:
    """Scores and weights as the page's language writes them (0,36 in French)."""
    locale = locale_of(request)

    def number(value: float | None, pattern: str = "0.###") -> str:
        if value is None or isinstance(value, bool):
            return "—"
        return format_decimal(value, format=pattern, locale=locale)

    return number


def _staff(access: Access) -> bool:
    """Whether the reader sees every service's part (the staff's operators)."""
    return access.scope.agencies is None


def _graph_data(graph: GraphOut, members: list[Any]) -> dict[str, Any]:
    """What the page's script draws: the graph, and each member's rank, role and score
    (a network's page)."""
    return {"nodes": [n.model_dump(mode="json") for n in graph.nodes],
            "edges": [e.model_dump(mode="json") for e in graph.edges],
            "members": [m.model_dump(mode="json") for m in members]}
