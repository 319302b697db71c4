"""Network analysis on the real covert networks in /work/shared/data/covert-networks.

    .venv/bin/python benchmarks/network_real.py [--data DIR] [--seed 7]

For each folder: people, ties, communities, modularity, the top three heads (with
communities at resolution 1, the crews, and at the store's resolution, the
organisations), and the largest piece left after removing the key players (and the
top-5 by degree). CAVIAR (directed, caller → called) is also checked against its
labels: the mastermind n1 must rank first at both resolutions; the rank of n3, his
principal lieutenant, and who leads n12's branch are shown. Exit code 1 if n1 is not
first.
"""

import argparse
import sys
import time
from pathlib import Path

from emco.network.analysis import ORGANISATIONS, Analysis, analyze, read_edge_file

DATA = Path("/work/shared/data/covert-networks")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print("| network | people | ties | communities | modularity | top-3 heads | top-3 heads, "
          f"resolution {ORGANISATIONS:g} | largest piece after key players / top-5 "
          "degree | time |")
    print("|---|---|---|---|---|---|---|---|---|")
    caviar: list[Analysis] = []
    for folder in sorted(p for p in args.data.iterdir() if (p / "edges.csv").is_file()):
        directed = folder.name == "caviar"  # its phase matrices are caller → called
        edges = read_edge_file(folder / "edges.csv", directed=directed)
        start = time.perf_counter()
        result = analyze(edges, directed=directed, seed=args.seed)
        elapsed = time.perf_counter() - start
        organisations = analyze(edges, directed=directed, seed=args.seed, key_players=0,
                                resolution=ORGANISATIONS)
        ties = len(edges[["source", "target"]].apply(lambda r: tuple(sorted(r)), axis=1)
                   .drop_duplicates())
        heads = ", ".join(f"{n.id} ({n.head_score:.2f})" for n in result.nodes[:3])
        whole = ", ".join(f"{n.id} ({n.head_score:.2f})" for n in organisations.nodes[:3])
        key, degree = result.disruption[0].fragmentation, result.disruption[1].fragmentation
        print(f"| {folder.name} | {len(result.nodes)} | {ties} | {len(result.communities)} | "
              f"{result.modularity:.3f} | {heads} | {whole} | {key.largest_share_after:.0%} / "
              f"{degree.largest_share_after:.0%} | {elapsed:.2f} s |")
        if folder.name == "caviar":
            caviar = [result, organisations]
    if not caviar:
        return
    for label, found in zip(("resolution 1", f"resolution {ORGANISATIONS:g}"), caviar,
                            strict=True):
        n1, n3 = found.node("n1"), found.node("n3")
        branch = found.communities[found.node("n12").community]
        print(f"\nCAVIAR, {label}: n1 (mastermind) rank {n1.head_rank}, role "
              f"{n1.role.value}; n3 (principal lieutenant) rank {n3.head_rank}, role "
              f"{n3.role.value}; n12's network ({len(branch.members)} people) led by "
              f"{branch.heads[0]}.")
    n1 = caviar[0].node("n1")
    for name, part in n1.parts.items():
        print(f"  n1 {name:12s} value {part.value:.2f} × weight {part.weight:.3f} = "
              f"{part.contribution:.3f}  {part.reason}")
    if any(found.node("n1").head_rank != 1 for found in caviar):
        sys.exit("n1 is not ranked first")


if __name__ == "__main__":
    main()
