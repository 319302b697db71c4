"""The edge table every analysis takes, and the readers that build it from files.

An edge table is a pandas DataFrame with the columns `source` and `target` (str ids),
`weight` (float > 0, the strength of the tie: calls, meetings, money), `type` (str, may
be empty: "call", "payment", "family", "associate", "shared_phone"...) and `time`
(datetime64, may be NaT). Several rows for the same pair are allowed; the analysis
aggregates them.

The readers refuse a file rather than guess: a missing column, a self-loop, an empty or
unknown id, a weight that is not a positive finite number, an unreadable time or an
over-long line is reported with its line number (up to `MAX_PROBLEMS` of them, in one
`BadInput`). Self-loops are refused, not dropped: someone calling himself is an error
in the source extraction that the service should correct, not a fact to hide.
"""

import csv
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np
import pandas as pd

from emco.errors import BadInput

COLUMNS = ("source", "target", "weight", "type", "time")
REQUIRED = ("source", "target")
MAX_LINE_BYTES = 1 << 20  # 1 MiB: far beyond any honest edge line, small enough to hold
MAX_PROBLEMS = 10


@dataclass
class _Problems:
    """The problems found in one file; raised together so one run shows the first ten."""

    path: str
    found: list[str] = field(default_factory=list)
    total: int = 0

    def add(self, line: int, message: str) -> None:
        self.total += 1
        if len(self.found) < MAX_PROBLEMS:
            self.found.append(f"line {line}: {message}")

    def raise_if_any(self) -> None:
        if not self.total:
            return
        more = f" (and {self.total - len(self.found)} more)" if self.total > len(self.found) else ""
        raise BadInput(f"{self.path}: " + "; ".join(self.found) + more, field="edges")


def _lines(stream: IO[bytes], path: str) -> Iterator[tuple[int, str]]:
    """Numbered, decoded lines of a file, never holding more than MAX_LINE_BYTES of one.

    A longer line is refused at once, naming it: nothing after it can be trusted to be
    aligned, and reading it whole could exhaust memory."""
    number = 0
    while True:
        raw = stream.readline(MAX_LINE_BYTES + 1)
        if not raw:
            return
        number += 1
        if len(raw) > MAX_LINE_BYTES:
            raise BadInput(f"{path}: line {number}: longer than {MAX_LINE_BYTES:,} bytes; "
                           "is this an edge file?", field="edges")
        try:
            text = raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            raise BadInput(f"{path}: line {number}: not UTF-8 text ({exc.reason} at byte "
                           f"{exc.start})", field="edges") from None
        yield number, text.rstrip("\r\n")


def _cells(text: str) -> list[str]:
    """The cells of one CSV line (a quoted cell may hold commas, not line breaks)."""
    return [c.strip() for c in next(csv.reader([text]), [])]


def _weight(cell: str) -> float | str:
    """A weight, or the reason it is not one."""
    if cell == "":
        return 1.0
    try:
        value = float(cell)
    except ValueError:
        return f"weight {cell[:40]!r} is not a number"
    if not math.isfinite(value):
        return f"weight {cell[:40]!r} is not a finite number"
    if value <= 0:
        return f"weight {cell[:40]!r} is not positive (a tie's strength cannot be negative)"
    return value


def _time(cell: str) -> pd.Timestamp | str:
    if cell == "":
        return pd.NaT
    try:
        stamp = pd.Timestamp(cell)
    except (ValueError, TypeError, OverflowError):
        return f"time {cell[:40]!r} is not a date (use 2024-03-01 or 2024-03-01T14:05)"
    if stamp.tzinfo is not None:  # one clock for the whole table
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return stamp


def read_edge_file(path: Path, *, directed: bool = False,
                   nodes: set[str] | None = None) -> pd.DataFrame:
    """Read a CSV edge file (`source,target` and optionally `weight,type,time`).

    Other columns are ignored. `directed` only changes the wording of problems (the
    direction is kept in any case). When `nodes` is given, an id outside it is unknown.
    Raises BadInput naming the lines at fault; returns a table as `normalise_edges`."""
    del directed  # the table keeps source → target either way; analyze() decides
    problems = _Problems(str(path))
    rows: dict[str, list[object]] = {c: [] for c in COLUMNS}
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise BadInput(f"{path}: cannot be read ({exc.strerror})", field="edges") from None
    with stream:
        lines = _lines(stream, str(path))
        header_line = next(lines, None)
        if header_line is None:
            raise BadInput(f"{path}: the file is empty; expected a header "
                           "source,target[,weight,type,time]", field="edges")
        header = [c.lower() for c in _cells(header_line[1])]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise BadInput(f"{path}: line 1: missing column(s) {', '.join(missing)}; the header "
                           f"reads {','.join(header)[:200]!r}", field="edges")
        where = {c: header.index(c) for c in COLUMNS if c in header}
        for number, text in lines:
            if not text.strip():
                continue
            cells = _cells(text)
            if len(cells) < len(header):
                problems.add(number, f"{len(cells)} cells where the header has {len(header)}")
                continue
            _row(cells, where, number, nodes, problems, rows)
    problems.raise_if_any()
    return normalise_edges(pd.DataFrame(rows))


def _row(cells: Sequence[str], where: Mapping[str, int], number: int,
         nodes: set[str] | None, problems: _Problems, rows: dict[str, list[object]]) -> None:
    """Check one data line; append it to `rows` or record why not."""
    source, target = cells[where["source"]], cells[where["target"]]
    for column, value in (("source", source), ("target", target)):
        if value == "":
            problems.add(number, f"{column}: empty id")
            return
        if nodes is not None and value not in nodes:
            problems.add(number, f"{column}: unknown id {value[:60]!r} (not in the nodes file)")
            return
    if source == target:
        problems.add(number, f"self-loop: {source[:60]!r} linked to itself")
        return
    weight = _weight(cells[where["weight"]]) if "weight" in where else 1.0
    if isinstance(weight, str):
        problems.add(number, weight)
        return
    stamp = _time(cells[where["time"]]) if "time" in where else pd.NaT
    if isinstance(stamp, str):
        problems.add(number, stamp)
        return
    rows["source"].append(source)
    rows["target"].append(target)
    rows["weight"].append(weight)
    rows["type"].append(cells[where["type"]].lower() if "type" in where else "")
    rows["time"].append(stamp)


def read_nodes_file(path: Path) -> set[str]:
    """The ids of a nodes file: a CSV whose `id` column (or first column) lists them."""
    ids: set[str] = set()
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise BadInput(f"{path}: cannot be read ({exc.strerror})", field="nodes") from None
    with stream:
        lines = _lines(stream, str(path))
        first = next(lines, None)
        if first is None:
            raise BadInput(f"{path}: the nodes file is empty", field="nodes")
        header = [c.lower() for c in _cells(first[1])]
        column = header.index("id") if "id" in header else 0
        for number, text in lines:
            cells = _cells(text)
            if not text.strip():
                continue
            if len(cells) <= column or not cells[column]:
                raise BadInput(f"{path}: line {number}: empty id", field="nodes")
            ids.add(cells[column])
    return ids


def normalise_edges(edges: pd.DataFrame) -> pd.DataFrame:
    """The edge table with every column present, typed, and checked.

    For tables built in code (from the store): missing `weight` means 1, missing `type`
    empty, missing `time` NaT. Raises BadInput naming the first offending row (its index
    label) for empty ids, self-loops, or a weight that is not positive and finite (a
    missing weight means 1)."""
    missing = [c for c in REQUIRED if c not in edges.columns]
    if missing:
        raise BadInput(f"edge table: missing column(s) {', '.join(missing)}", field="edges")
    n = len(edges)
    out = pd.DataFrame({
        "source": edges["source"].astype("string").fillna("").str.strip().astype(object),
        "target": edges["target"].astype("string").fillna("").str.strip().astype(object),
        "weight": _weights(edges),
        "type": (edges["type"].astype("string").fillna("").str.lower().astype(object)
                 if "type" in edges else pd.Series([""] * n, index=edges.index, dtype=object)),
        "time": (pd.to_datetime(edges["time"], errors="coerce") if "time" in edges
                 else pd.Series(pd.NaT, index=edges.index, dtype="datetime64[ns]")),
    }, index=edges.index)
    _check(out, out["source"].eq("") | out["target"].eq(""), "empty id")
    _check(out, out["source"].eq(out["target"]), "self-loop")
    weight = out["weight"].to_numpy()
    _check(out, pd.Series(~(weight > 0) | ~np.isfinite(weight), index=out.index),
           "weight is not a positive finite number")
    if "time" in edges:
        given = edges["time"].notna() & edges["time"].astype(str).str.strip().ne("")
        bad_time = out["time"].isna() & given
        _check(out, bad_time, "time is not a date")
    return out.reset_index(drop=True)


def _weights(edges: pd.DataFrame) -> "pd.Series[float]":
    """Weights as floats; a missing one (None, NaN, empty) means 1, as an empty cell in
    a file does; text that is not a number is refused."""
    if "weight" not in edges:
        return pd.Series(1.0, index=edges.index)
    given = edges["weight"]
    numeric = pd.to_numeric(given, errors="coerce")
    blank = given.isna() | given.astype(str).str.strip().eq("")
    _check(edges, numeric.isna() & ~blank, "weight is not a number")
    return numeric.where(~blank, 1.0).astype(float)


def _check(table: pd.DataFrame, bad: "pd.Series[bool]", what: str) -> None:
    if bool(bad.any()):
        first = table.index[bad.to_numpy()][0]
        raise BadInput(f"edge table: row {first}: {what} ({int(bad.sum())} rows in all)",
                       field="edges")


def read_roles_file(path: Path) -> dict[str, list[tuple[str, str]]]:
    """Declared roles: a CSV with columns `node,role,grade` (grade such as B2), one
    declaration a line; a person may have several. Raises BadInput naming the line of
    an unknown role or grade."""
    from emco.network.heads import grade_weight, parse_role  # heads needs no file reading

    declared: dict[str, list[tuple[str, str]]] = {}
    problems = _Problems(str(path))
    try:
        stream = path.open("rb")
    except OSError as exc:
        raise BadInput(f"{path}: cannot be read ({exc.strerror})", field="roles") from None
    with stream:
        lines = _lines(stream, str(path))
        first = next(lines, None)
        header = [c.lower() for c in _cells(first[1])] if first else []
        missing = [c for c in ("node", "role", "grade") if c not in header]
        if missing:
            raise BadInput(f"{path}: line 1: missing column(s) {', '.join(missing)}; expected "
                           "node,role,grade", field="roles")
        at = {c: header.index(c) for c in ("node", "role", "grade")}
        for number, text in lines:
            cells = _cells(text)
            if not text.strip():
                continue
            if len(cells) < len(header) or not cells[at["node"]]:
                problems.add(number, "expected node,role,grade")
                continue
            try:
                role = parse_role(cells[at["role"]]).value
                grade_weight(cells[at["grade"]])
            except BadInput as exc:
                problems.add(number, exc.message)
                continue
            declared.setdefault(cells[at["node"]], []).append((role, cells[at["grade"]]))
    problems.raise_if_any()
    return declared
