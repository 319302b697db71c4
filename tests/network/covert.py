"""Test data for the network analysis, as plain functions (no fixtures, so that this
package's conftest stays the joint-graph tests' own): the real covert networks, read
once and copied per call, and a hand-made hierarchy whose head is known."""

from functools import cache
from pathlib import Path

import pandas as pd

from emco.network.edges import read_edge_file

COVERT = Path("/work/shared/data/covert-networks")


@cache
def _caviar() -> pd.DataFrame:
    return read_edge_file(COVERT / "caviar" / "edges.csv", directed=True)


def caviar() -> pd.DataFrame:
    """CAVIAR's edges (directed: caller → called), a fresh copy."""
    return _caviar().copy()


def caviar_phases() -> pd.DataFrame:
    """CAVIAR with each two-month phase as a date (phase 1 = January 1994)."""
    raw = pd.read_csv(COVERT / "caviar" / "edges.csv", dtype={"source": str, "target": str})
    raw["time"] = [pd.Timestamp("1994-01-01") + pd.DateOffset(months=2 * (p - 1))
                   for p in raw["phase"]]
    return raw.drop(columns="phase")


def hierarchy() -> pd.DataFrame:
    """Two crews joined by their bosses: boss B → lieutenants L1..L3 → 4 soldiers each;
    boss C → lieutenants M1, M2 → 3 soldiers each; lieutenants talk among themselves."""
    rows = []
    for boss, lieutenants, soldiers in (("B", ["L1", "L2", "L3"], 4), ("C", ["M1", "M2"], 3)):
        for lt in lieutenants:
            rows.append((boss, lt))
            rows += [(lt, f"{lt}s{i}") for i in range(soldiers)]
        rows += [(a, b) for i, a in enumerate(lieutenants) for b in lieutenants[i + 1:]]
    rows.append(("B", "C"))
    return pd.DataFrame(rows, columns=["source", "target"])
