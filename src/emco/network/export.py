"""Writing an analysis out: GraphML and GEXF (Gephi, yEd), CSV, FollowTheMoney JSON
lines. Every format carries each person's community, head score, head rank and role.
"""

import csv
import json
from pathlib import Path

import networkx as nx  # type: ignore[import-untyped]
import pandas as pd
from followthemoney import model

from emco.errors import BadInput
from emco.network.analysis import Analysis
from emco.network.edges import normalise_edges
from emco.network.heads import WEIGHTS

FORMATS = ("graphml", "gexf", "csv", "ftm")
# Edge types with an FtM interval schema of their own, and its two ends' properties.
FTM_LINKS = {
    "call": ("Call", "caller", "receiver"),
    "payment": ("Payment", "payer", "beneficiary"),
    "transfer": ("Payment", "payer", "beneficiary"),
    "family": ("Family", "person", "relative"),
    "associate": ("Associate", "person", "associate"),
}
DATASET = "emco-network"


def export(analysis: Analysis, edges: pd.DataFrame, fmt: str, out: Path) -> list[Path]:
    """Write `analysis` (of `edges`) as `fmt` to `out`; return the files written.

    CSV writes two files: `out` (the people) and `<out stem>.edges.csv` beside it.
    Raises BadInput on an unknown format."""
    table = _pairs(normalise_edges(edges))
    if fmt == "graphml":
        nx.write_graphml(_graph(analysis, table), out)
        return [out]
    if fmt == "gexf":
        nx.write_gexf(_graph(analysis, table), out)
        return [out]
    if fmt == "csv":
        return _csv(analysis, table, out)
    if fmt == "ftm":
        _ftm(analysis, table, out)
        return [out]
    raise BadInput(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}",
                   field="export")


def _pairs(table: pd.DataFrame) -> pd.DataFrame:
    """One row per directed pair and type: weight summed, first and last time."""
    return (table.groupby(["source", "target", "type"], as_index=False, sort=True)
            .agg(weight=("weight", "sum"), first=("time", "min"), last=("time", "max")))


def _graph(analysis: Analysis, pairs: pd.DataFrame) -> nx.Graph:
    """A networkx graph keyed by person id (so that files name people, not indices);
    a pair's rows of several types are merged into one edge, its types joined in the
    `tie_type` attribute."""
    graph = nx.DiGraph() if analysis.directed else nx.Graph()
    key = set(analysis.key_players)
    for n in analysis.nodes:
        graph.add_node(n.id, label=n.id, community=n.community,
                       head_score=round(n.head_score, 6), head_rank=n.head_rank,
                       role=n.role.value, role_confidence=round(n.role_confidence, 4),
                       key_player=n.id in key)
    for row in pairs.itertuples(index=False):
        a, b = str(row.source), str(row.target)
        if graph.has_edge(a, b):
            data = graph.edges[a, b]
            data["weight"] += float(row.weight)
            data["tie_type"] = ",".join(sorted({*data["tie_type"].split(","),
                                                str(row.type)} - {""}))
        else:
            # "type" is a reserved edge attribute in GEXF (directed/undirected)
            graph.add_edge(a, b, weight=float(row.weight), tie_type=str(row.type))
    return graph


def _csv(analysis: Analysis, pairs: pd.DataFrame, out: Path) -> list[Path]:
    with out.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        known = analysis.nodes[0].table.values if analysis.nodes else {}
        parts = [p for p in WEIGHTS if p in known]
        writer.writerow(["id", "community", "head_score", "head_rank", "role",
                         "role_confidence", "key_player", *parts])
        key = set(analysis.key_players)
        for n in analysis.nodes:
            found = n.parts
            writer.writerow([n.id, n.community, f"{n.head_score:.4f}", n.head_rank,
                             n.role.value, f"{n.role_confidence:.3f}", int(n.id in key),
                             *(f"{found[p].value:.4f}" if p in found else "" for p in parts)])
    edges_out = out.with_name(out.stem + ".edges.csv")
    pairs.assign(first=pairs["first"].astype(str).replace("NaT", ""),
                 last=pairs["last"].astype(str).replace("NaT", "")).to_csv(edges_out, index=False)
    return [out, edges_out]


def _ftm(analysis: Analysis, pairs: pd.DataFrame, out: Path) -> None:
    """Persons, then one link entity per pair and type (Call, Payment, Family,
    Associate, else UnknownLink), one JSON object a line."""
    ids: dict[str, str] = {}
    with out.open("w", encoding="utf-8") as fh:
        for n in analysis.nodes:
            person = model.make_entity("Person")
            person.make_id(DATASET, n.id)
            person.add("name", n.id)
            person.add("keywords", [f"community:{n.community}", f"role:{n.role.value}",
                                    f"head_rank:{n.head_rank}"])
            person.add("summary", f"Head score {n.head_score:.3f} (rank {n.head_rank}), role "
                                  f"{n.role.value} ({n.role_confidence:.0%}), network "
                                  f"{n.community}.")
            ids[n.id] = str(person.id)
            fh.write(json.dumps(person.to_dict(), ensure_ascii=False) + "\n")
        for row in pairs.itertuples(index=False):
            schema, left, right = FTM_LINKS.get(str(row.type),
                                                ("UnknownLink", "subject", "object"))
            link = model.make_entity(schema)
            link.make_id(DATASET, row.source, row.target, row.type)
            link.add(left, ids[str(row.source)])
            link.add(right, ids[str(row.target)])
            if schema == "UnknownLink" and row.type:
                link.add("role", str(row.type))
            link.add("summary", f"weight {float(row.weight):g}")
            if not pd.isna(row.first):
                link.add("startDate", row.first.date().isoformat())
            if not pd.isna(row.last):
                link.add("date", row.last.date().isoformat())
            fh.write(json.dumps(link.to_dict(), ensure_ascii=False) + "\n")
