"""`emco network`: the networks of the joint graph in the store, and the analysis of an
analyst's own edge file (standalone, no database).

    emco network map [--json]              # map the joint graph's networks (a new run)
    emco network list [--json]             # the networks, most threatening first
    emco network show ID [--json]          # one network: members, heads, threat, history
    emco network export --format gexf --out FILE
    emco network analyze EDGES.csv [--directed] [--json] [--roles ROLES.csv]
                                   [--key-players 5] [--export gexf --out FILE]
    emco network timeline EDGES.csv --window 3MS
    emco network simulate EDGES.csv --remove n1 --remove n3

Errors in the files are domain errors (BadInput): the `emco` command prints their
message, naming the line, and exits with code 2.
"""

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from emco.cli_common import print_json, staff, store
from emco.errors import BadInput
from emco.network.analysis import CREWS, ORGANISATIONS, Analysis, analyze
from emco.network.disruption import simulate_removal
from emco.network.edges import read_edge_file, read_nodes_file, read_roles_file
from emco.network.export import FORMATS, export
from emco.network.networks import analysis_frame, map_networks
from emco.network.reading import dated_edges, list_networks, network_view, scoped_edges
from emco.network.timeline import timeline

network_app = typer.Typer(help="Criminal networks: communities, heads, key players, "
                               "from an edge file.", no_args_is_help=True)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

Edges = Annotated[Path, typer.Argument(help="CSV with source,target and optionally "
                                            "weight,type,time columns.")]
Directed = Annotated[bool, typer.Option("--directed", help="Rows run caller → called "
                                                           "(money rows always run payer → "
                                                           "beneficiary).")]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]
Nodes = Annotated[Path | None, typer.Option(help="CSV of the known ids (column id): any "
                                                 "other id in the edges is refused.")]
Seed = Annotated[int, typer.Option(help="The same seed gives the same communities.")]
Resolution = Annotated[float, typer.Option(
    min=0.01, max=10.0,
    help=f"Community resolution: {ORGANISATIONS} finds organisations (the default), "
         f"{CREWS} their crews.")]


def _read(path: Path, directed: bool, nodes: Path | None) -> Any:
    known = read_nodes_file(nodes) if nodes else None
    return read_edge_file(path, directed=directed, nodes=known)





@network_app.command("map")
def map_cmd(as_json: JsonFlag = False, seed: Seed = 7) -> None:
    """Map the networks of the joint graph (every service's links) as a new run: the
    networks keep their ids from the last run."""
    with err.status("Projecting the joint graph and mapping its networks…"):
        summary = map_networks(staff(store()), seed=seed)
    if as_json:
        print_json(summary.to_dict())
        return
    out.print(f"Run {summary.run_id}: {summary.networks:,} networks among {summary.nodes:,} "
              f"people and organisations ({summary.edges:,} ties, modularity "
              f"{summary.modularity:.3f}) in {summary.seconds:.1f} s; new: "
              f"{', '.join(summary.new) or 'none'}; no longer found: "
              f"{', '.join(summary.dissolved) or 'none'}.", highlight=False)


@network_app.command("list")
def list_cmd(as_json: JsonFlag = False) -> None:
    """The networks of the last run, most threatening first."""
    found = list_networks(staff(store()))
    if as_json:
        print_json([s.to_dict() for s in found])
        return
    if not found:
        out.print("No network mapped yet: run `emco network map`.")
        return
    table = Table("network", "name", "members", "threat", "score", "likeliest heads")
    for s in found:
        n = s.network
        table.add_row(n.id, n.name, f"{n.size:,}", n.threat_level or "-",
                      f"{n.threat_score:.2f}" if n.threat_score is not None else "-",
                      ", ".join(name for _, name in s.heads))
    out.print(table)


@network_app.command("show")
def show_cmd(network_id: Annotated[str, typer.Argument(help="A network id (R0001).")],
             as_json: JsonFlag = False, top: Annotated[int, typer.Option(
                 help="Members listed.")] = 15) -> None:
    """One network: its members by head rank with their roles, its threat with the facts
    behind each attribute, its key players and its history."""
    view = network_view(staff(store()), network_id)
    data = view.to_dict()
    if as_json:
        print_json(data)
        return
    threat = data["threat"]
    out.print(f"{data['id']} {data['name']}: {data['size']} members, threat "
              f"{threat['level']} ({threat['score']:.2f}); key players: "
              f"{', '.join(view.names.get(k, k) for k in data['key_players']) or '-'}",
              highlight=False)
    members = Table("rank", "entity", "name", "role", "head score", "main parts")
    for m in data["members"][:top]:
        parts = sorted(m["parts"].items(), key=lambda p: -p[1]["contribution"])[:3]
        members.add_row(str(m["head_rank"]), m["entity"], m["name"] or "",
                        f"{m['role']} ({m['role_confidence']:.0%})",
                        f"{m['head_score']:.3f}",
                        ", ".join(f"{k} {v['contribution']:.2f}" for k, v in parts))
    out.print(members)
    attributes = Table("attribute", "level", "weight", "facts")
    for name, a in threat["detail"]["attributes"].items():
        attributes.add_row(name, "unknown" if a["level"] is None else str(a["level"]),
                           f"{a['weight']:g}", "; ".join(a["facts"]))
    out.print(attributes)


@network_app.command("export")
def export_cmd(fmt: Annotated[str, typer.Option("--format", help=f"One of "
                                                 f"{', '.join(FORMATS)}.")],
               out_path: Annotated[Path, typer.Option("--out", help="File to write.")],
               seed: Seed = 7) -> None:
    """The joint graph as a file for Gephi or another tool: every edge the staff sees,
    with each person's network, head score and role from an analysis of that graph."""
    if fmt not in FORMATS:
        raise BadInput(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}",
                       field="format")
    frame = analysis_frame(scoped_edges(staff(store())))
    result = analyze(frame, directed=True, seed=seed)
    written = export(result, frame, fmt, out_path)
    out.print(f"{len(result.nodes):,} people and {len(frame):,} ties written to "
              + ", ".join(str(p) for p in written), highlight=False)


@network_app.command("analyze")
def analyze_cmd(
    edges: Edges,
    directed: Directed = False,
    as_json: JsonFlag = False,
    roles: Annotated[Path | None, typer.Option(help="CSV node,role,grade: roles services "
                                                    "declared (grade such as B2).")] = None,
    nodes: Nodes = None,
    key_players: Annotated[int, typer.Option("--key-players", min=0,
                                             help="How many key players to find.")] = 5,
    export_format: Annotated[str | None, typer.Option(
        "--export", help=f"Also write the result: {', '.join(FORMATS)}.")] = None,
    out_path: Annotated[Path | None, typer.Option("--out", help="File the export is "
                                                                "written to.")] = None,
    top: Annotated[int, typer.Option(help="Heads shown per network.")] = 3,
    seed: Seed = 7,
    resolution: Resolution = ORGANISATIONS,
) -> None:
    """Communities, heads and roles with their explained scores, and key players."""
    if export_format is not None and export_format not in FORMATS:
        raise BadInput(f"unknown export format {export_format!r}; use one of "
                       f"{', '.join(FORMATS)}", field="export")
    if (export_format is None) != (out_path is None):
        raise BadInput("--export and --out go together", field="export")
    table = _read(edges, directed, nodes)
    declared = read_roles_file(roles) if roles else None
    result = analyze(table, directed=directed, declared=declared, key_players=key_players,
                     seed=seed, resolution=resolution)
    if export_format is not None and out_path is not None:
        written = export(result, table, export_format, out_path)
        err.print("Written: " + ", ".join(str(p) for p in written), highlight=False)
    if as_json:
        print_json(result.to_json())
    else:
        _print_analysis(result, top)


def _print_analysis(result: Analysis, top: int) -> None:
    out.print(f"{len(result.nodes):,} people in {len(result.communities):,} networks "
              f"(modularity {result.modularity:.3f}).", highlight=False)
    table = Table("network", "size", "rank", "person", "head score", "role", "strongest parts")
    by_id = {n.id: n for n in result.nodes}
    for community in result.communities[:20]:
        for person in community.heads[:top]:
            n = by_id[person]
            parts = sorted(n.parts.items(), key=lambda p: -p[1].contribution)[:3]
            table.add_row(str(community.id), str(len(community.members)), str(n.head_rank),
                          n.id, f"{n.head_score:.3f}",
                          f"{n.role.value} ({n.role_confidence:.0%})",
                          ", ".join(f"{name} {p.contribution:.2f}" for name, p in parts))
    out.print(table)
    if len(result.communities) > 20:
        out.print(f"… and {len(result.communities) - 20:,} smaller networks.")
    if result.disruption:
        removal = Table("remove", "people", "largest piece after", "pieces after",
                        "efficiency after", title="What removing k people does")
        for c in result.disruption:
            f = c.fragmentation
            removal.add_row(c.strategy, ", ".join(f.removed),
                            f"{f.largest_share_before:.0%} → {f.largest_share_after:.0%}",
                            f"{f.pieces_before} → {f.pieces_after}",
                            f"{f.efficiency_before:.3f} → {f.efficiency_after:.3f}")
        out.print(removal)


@network_app.command("timeline")
def timeline_cmd(
    edges: Annotated[Path | None, typer.Argument(
        help="CSV with source,target,time and optionally weight,type columns; leave out "
             "with --store.")] = None,
    store_graph: Annotated[bool, typer.Option(
        "--store", help="The joint graph in the store (every link the staff sees, each "
                        "statement at its own date) instead of a file.")] = False,
    window: Annotated[str, typer.Option(help="Window length as a pandas frequency: MS "
                                             "(months), 3MS (quarters), W (weeks).")] = "MS",
    directed: Directed = False,
    as_json: JsonFlag = False,
    top: Annotated[int, typer.Option(help="Size of the top watched for risers.")] = 5,
    nodes: Nodes = None,
    seed: Seed = 7,
    resolution: Resolution = ORGANISATIONS,
) -> None:
    """The analysis per time window: top heads, risers, networks splitting or merging."""
    if store_graph == (edges is not None):
        raise BadInput("give an edge file or --store (one of the two)", field="edges")
    table = dated_edges(staff(store())) if edges is None else _read(edges, directed, nodes)
    result = timeline(table, freq=window, directed=directed or store_graph, top=top,
                      seed=seed, resolution=resolution)
    if as_json:
        print_json(result.to_json())
        return
    table = Table("window", "edges", "people", "networks", "top heads", "events")
    for i, w in enumerate(result.windows):
        events = [f"{r.id} up ({r.rank_before or 'new'} → {r.rank_after})"
                  for r in result.risers if r.window == i]
        events += [f"{c.kind} {c.before} → {c.after}" for c in result.changes if c.window == i]
        table.add_row(w.start.date().isoformat(), f"{w.edges:,}", f"{len(w.ranks):,}",
                      str(len(w.communities)), ", ".join(w.top), "; ".join(events))
    out.print(table)
    if result.undated:
        out.print(f"{result.undated:,} edges without a time were left out.")


@network_app.command("simulate")
def simulate_cmd(
    edges: Edges,
    remove: Annotated[list[str], typer.Option(help="Id of a person removed (arrested); "
                                                   "repeat for several.")],
    as_json: JsonFlag = False,
    nodes: Nodes = None,
) -> None:
    """What if we arrest these: the network's fragmentation before and after."""
    f = simulate_removal(_read(edges, False, nodes), remove)
    if as_json:
        print_json(f.to_json())
        return
    est = " (estimated)" if f.efficiency_estimated else ""
    out.print(f"Removing {', '.join(f.removed)}: largest connected piece "
              f"{f.largest_share_before:.0%} → {f.largest_share_after:.0%} of the people, "
              f"{f.pieces_before} → {f.pieces_after} pieces, efficiency{est} "
              f"{f.efficiency_before:.3f} → {f.efficiency_after:.3f}.", highlight=False)
