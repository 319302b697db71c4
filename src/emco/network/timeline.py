"""The same analysis per time window: who rises towards the top, which networks split
or merge from one window to the next.

Networks in two windows are matched by their members: a network of the earlier window
"goes into" a network of the later one when at least `overlap` of its members still
present are found there. One network going into two or more is a split; two or more
going into one is a merge.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from emco.errors import BadInput
from emco.network.analysis import ORGANISATIONS, Analysis, analyze
from emco.network.edges import normalise_edges


@dataclass(frozen=True)
class Window:
    """One window's analysis, summarised: head rank of every person present, the
    networks found, and the top of the ranking."""

    start: pd.Timestamp
    end: pd.Timestamp  # exclusive
    edges: int
    modularity: float
    ranks: dict[str, int]
    communities: list[list[str]]  # id = index, largest first
    top: list[str]

    def to_json(self) -> dict[str, object]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "edges": self.edges, "people": len(self.ranks),
                "modularity": round(self.modularity, 4), "top": self.top,
                "communities": [{"id": i, "members": m} for i, m in enumerate(self.communities)]}


@dataclass(frozen=True)
class Riser:
    """Someone who entered the top of the ranking in `window` (his earlier rank is None
    when he was absent from the previous window)."""

    window: int
    id: str
    rank_before: int | None
    rank_after: int

    def to_json(self) -> dict[str, object]:
        return {"window": self.window, "id": self.id, "rank_before": self.rank_before,
                "rank_after": self.rank_after}


@dataclass(frozen=True)
class Change:
    """A split (one network of window-1 into several of `window`) or a merge."""

    kind: str  # "split" or "merge"
    window: int
    before: list[int]  # community ids in window-1
    after: list[int]  # community ids in window
    shared: int  # people in both windows across these networks

    def to_json(self) -> dict[str, object]:
        return {"kind": self.kind, "window": self.window, "before": self.before,
                "after": self.after, "shared": self.shared}


@dataclass(frozen=True)
class Timeline:
    windows: list[Window]
    risers: list[Riser]
    changes: list[Change]
    undated: int  # edges without a time, left out

    def to_json(self) -> dict[str, object]:
        return {"windows": [w.to_json() for w in self.windows],
                "risers": [r.to_json() for r in self.risers],
                "changes": [c.to_json() for c in self.changes], "undated": self.undated}


def timeline(edges: pd.DataFrame, *, freq: str = "MS", directed: bool = False,
             declared: Mapping[str, Sequence[tuple[str, str]]] | None = None,
             top: int = 10, overlap: float = 0.3, seed: int = 7,
             resolution: float = ORGANISATIONS) -> Timeline:
    """Analyze each window of `freq` (a pandas frequency: "MS" months, "3MS" quarters
    from the first month, "W" weeks) and compare consecutive windows.

    Edges without a time are left out and counted. Raises BadInput when no edge is
    dated or `freq` is not a frequency."""
    table = normalise_edges(edges)
    dated = table[table["time"].notna()]
    if dated.empty:
        raise BadInput("no edge has a time: a timeline needs dated edges", field="time")
    try:
        groups = dated.groupby(pd.Grouper(key="time", freq=freq))
        offset = pd.tseries.frequencies.to_offset(freq)
    except ValueError:
        raise BadInput(f"window {freq!r} is not a frequency (try MS, 3MS, W)",
                       field="freq") from None
    windows: list[Window] = []
    for start, rows in groups:
        if rows.empty:
            continue
        found = analyze(rows, directed=directed, declared=declared, key_players=0, seed=seed,
                        resolution=resolution)
        stamp = pd.Timestamp(str(start))
        windows.append(_window(found, stamp, stamp + offset, len(rows), top))
    risers: list[Riser] = []
    changes: list[Change] = []
    for w in range(1, len(windows)):
        risers += _risers(windows[w - 1], windows[w], w)
        changes += _changes(windows[w - 1], windows[w], w, overlap)
    return Timeline(windows, risers, changes, len(table) - len(dated))


def _window(found: Analysis, start: pd.Timestamp, end: pd.Timestamp, edges: int,
            top: int) -> Window:
    return Window(start, end, edges, found.modularity,
                  {n.id: n.head_rank for n in found.nodes},
                  [c.members for c in found.communities], [n.id for n in found.nodes[:top]])


def _risers(before: Window, after: Window, index: int) -> list[Riser]:
    earlier = set(before.top)
    return [Riser(index, person, before.ranks.get(person), after.ranks[person])
            for person in after.top if person not in earlier]


def _changes(before: Window, after: Window, index: int, overlap: float) -> list[Change]:
    where_after = {p: c for c, members in enumerate(after.communities) for p in members}
    goes: dict[int, dict[int, int]] = {}  # earlier community → later community → people
    for c, members in enumerate(before.communities):
        staying = [where_after[p] for p in members if p in where_after]
        counts = pd.Series(staying, dtype="int64").value_counts()
        goes[c] = {int(k): int(v) for k, v in counts.items()
                   if staying and v >= overlap * len(staying) and v >= 2}
    out: list[Change] = []
    for c, into in goes.items():
        if len(into) >= 2:
            out.append(Change("split", index, [c], sorted(into), sum(into.values())))
    received: dict[int, dict[int, int]] = {}
    for c, into in goes.items():
        for d, count in into.items():
            received.setdefault(d, {})[c] = count
    for d, sources in sorted(received.items()):
        if len(sources) >= 2:
            out.append(Change("merge", index, sorted(sources), [d], sum(sources.values())))
    return out
