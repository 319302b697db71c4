"""Network analysis at scale: communities, head scores and key players on a synthetic
1,000,000-edge graph of 200,000 people, in-process.

    .venv/bin/python benchmarks/network_scale.py [--nodes 200000] [--edges 1000000]
                                                 [--key-players 5] [--seed 7]

The graph is power-law and clustered: people fall into planted groups of power-law
sizes (10 to 5,000), each person has a power-law activity, and 90% of the edges join
two members of one group, drawn in proportion to their activity (a degree-corrected
stochastic block model). Prints the time of each stage of `analyze` (the whole call is
timed separately), the communities found and how they match the planted groups, and
the peak memory of the process (ru_maxrss). Target: under 60 s and 4 GB on 2 cores.
"""

import argparse
import resource
import time

import numpy as np
import pandas as pd

from emco.network import disruption, heads, structure
from emco.network.analysis import analyze
from emco.network.edges import normalise_edges


def synthetic(nodes: int, edges: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The edge table and each person's planted group."""
    rng = np.random.default_rng(seed)
    sizes: list[int] = []
    while sum(sizes) < nodes:
        sizes.append(int(min(5_000, 10 * (1 + rng.pareto(1.2)))))
    sizes[-1] -= sum(sizes) - nodes
    group = np.repeat(np.arange(len(sizes)), sizes)
    activity = 1 + rng.pareto(1.5, nodes)  # power-law degrees
    starts = np.concatenate([[0], np.cumsum(sizes)])
    # Oversample: self-loops and duplicates are dropped below.
    drawn = int(edges * 1.25)
    source = rng.choice(nodes, drawn, p=activity / activity.sum())
    inside = rng.random(drawn) < 0.9
    target = rng.choice(nodes, drawn, p=activity / activity.sum())
    # An inside edge: a member of the source's group, by activity within the group.
    g = group[source[inside]]
    offset = np.floor(rng.random(inside.sum()) ** 1.5 * np.asarray(sizes)[g]).astype(np.int64)
    target[inside] = starts[g] + offset
    keep = source != target
    pairs = np.unique(np.sort(np.column_stack([source[keep], target[keep]]), axis=1), axis=0)
    pairs = pairs[rng.permutation(len(pairs))[:edges]]
    table = pd.DataFrame({"source": [f"p{i}" for i in pairs[:, 0]],
                          "target": [f"p{i}" for i in pairs[:, 1]],
                          "weight": rng.integers(1, 20, len(pairs)).astype(float)})
    return table, group


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--nodes", type=int, default=200_000)
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--key-players", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    start = time.perf_counter()
    table, planted = synthetic(args.nodes, args.edges, args.seed)
    print(f"generated {len(table):,} edges in {time.perf_counter() - start:.1f} s")

    stages: list[tuple[str, float]] = []

    def timed(name: str, fn, *a, **kw):  # type: ignore[no-untyped-def]
        t = time.perf_counter()
        value = fn(*a, **kw)
        stages.append((name, time.perf_counter() - t))
        return value

    start = time.perf_counter()
    normal = timed("normalise", normalise_edges, table)
    proj = timed("project", structure.project, normal, directed=False)
    membership, _q = timed("leiden", structure.communities, proj.graph, args.seed)
    found = timed("measures", structure.measures, proj.graph, membership, args.seed)
    scores = timed("head scores", heads.head_scores, proj, membership, found, None)
    timed("roles", heads.infer_roles, scores, proj, membership)
    chosen = timed("key players", disruption.greedy_key_players, proj.graph,
                   args.key_players, found.betweenness, args.seed)
    timed("comparison", disruption.compare, proj.graph, args.key_players,
          {"degree": np.asarray(proj.graph.degree(), float),
           "betweenness": found.betweenness, "head score": scores.score}, chosen, args.seed)
    staged = time.perf_counter() - start
    for name, seconds in stages:
        print(f"  {name:12s} {seconds:6.1f} s")
    print(f"stages total {staged:.1f} s")

    start = time.perf_counter()
    result = analyze(table, key_players=args.key_players, seed=args.seed)
    elapsed = time.perf_counter() - start
    names = np.asarray([int(n.id[1:]) for n in result.nodes])
    community = np.asarray([n.community for n in result.nodes])
    purity = pd.crosstab(community, planted[names]).max(axis=1).sum() / len(names)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"analyze(): {len(result.nodes):,} people, {len(table):,} edges, "
          f"{len(result.communities):,} communities (planted {planted.max() + 1:,}), "
          f"modularity {result.modularity:.3f}, purity {purity:.3f}")
    print(f"key players {result.key_players}")
    for c in result.disruption:
        f = c.fragmentation
        print(f"  remove by {c.strategy:12s}: largest piece {f.largest_share_before:.3f} → "
              f"{f.largest_share_after:.3f}, efficiency {f.efficiency_before:.4f} → "
              f"{f.efficiency_after:.4f}{' (est.)' if f.efficiency_estimated else ''}")
    print(f"analyze() time {elapsed:.1f} s; peak memory (ru_maxrss) {peak:.2f} GB")


if __name__ == "__main__":
    main()
