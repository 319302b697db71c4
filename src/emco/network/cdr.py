"""Call detail records read, checked and aggregated in DuckDB: the work of
`emco.network.calls.ingest_calls` between the header check and the writing.

The rows never pass through Python one by one: DuckDB reads and checks the file, and
aggregates it; Python normalises only the distinct numbers (with `normalize_phone`, far
fewer than the rows) and hands DuckDB the mapping back as an Arrow table. What comes out
is an `EdgeSource` for `emco.store.calls.write_batch`, with the counts and the rejected
lines of the file (`Reading`).
"""

import mmap
import time
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from emco.errors import BadInput
from emco.ingest.normalize import Invalid, normalize_phone
from emco.store.calls import ReadWith

MAX_LINE_BYTES = 1 << 20  # a call record is a hundred bytes; a longer line is not one
SHOWN = 20  # rejected lines kept in the summary (all of them go to the quarantine file)
EARLIEST = datetime(1980, 1, 1)
# Numbers and months are packed into one 64-bit grouping key (see _AGGREGATE).
MAX_NUMBERS = 1 << 26
Progress = Callable[[str, int | None, int | None], None]  # phase, done, total


@dataclass(frozen=True)
class RejectedLine:
    """A line of the file that was not loaded, and why."""

    line: int
    column: str | None  # caller, callee, start, duration (the role), or None: the line
    reason: str
    value: str | None  # the value at fault, or the line for a line that is not CSV

    def to_dict(self) -> dict[str, Any]:
        return {"line": self.line, "column": self.column, "reason": self.reason,
                "value": self.value}


@dataclass(frozen=True)
class Layout:
    """Where the roles are in the file: its delimiter, the number of fields of its header
    and the position and header name of each role found."""

    delimiter: str
    width: int
    positions: dict[str, int]
    names: dict[str, str]

    def used_names(self) -> dict[str, str]:
        return dict(self.names)


@dataclass
class Reading:
    """What `CdrRun.read` found: the counts of lines, the first rejected ones, the
    seconds of each step."""

    rows_read: int = 0  # the data lines of the file
    rows_loaded: int = 0  # those aggregated into edges
    rejected_count: int = 0
    rejected: list[RejectedLine] = field(default_factory=list)  # the first SHOWN
    timings: dict[str, float] = field(default_factory=dict)


# A time is ISO (2024-03-01 14:05:00, T or fractions allowed, an offset honoured) or French
# (01/03/2024 14:05:00, seconds optional); without an offset it is local to the batch's
# time zone. A duration is whole seconds (decimals rounded) or HH:MM:SS.
_TIME = """CASE
  WHEN contains({s}, '/') THEN try_strptime({s}, ['%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M'])
  WHEN length({s}) > 19 AND regexp_matches({s}[20:], '[+-]|Z$')
    THEN timezone({tz}, try_cast({s} AS TIMESTAMPTZ))
  ELSE try_cast({s} AS TIMESTAMP) END"""
_DURATION = """CASE WHEN contains({d}, ':')
  THEN CAST(epoch(try_cast({d} AS INTERVAL)) AS BIGINT) ELSE try_cast({d} AS BIGINT) END"""

# Per (caller, callee, month): the three are packed into one 64-bit key (numbers below
# 2^26, months from 1900 below 2^12), which DuckDB groups far faster than three columns.
# Distinct days are bits of a 31-bit mask. Distinct cells are exact: one or two calls, or
# calls from one cell, need no second pass; only the other groups are counted again.
_AGGREGATE = """
CREATE TEMP TABLE edges AS
WITH ok AS (
  SELECT (a::BIGINT << 38) | (b::BIGINT << 12)
         | ((year(ts) - 1900) * 12 + month(ts) - 1) AS k, ts, dur, cell_h
  FROM keyed WHERE {valid}),
g AS (
  SELECT k, count(*) AS calls, sum(dur) AS seconds, min(ts) AS first_at,
         max(ts) AS last_at, bit_count(bit_or(1::BIGINT << (day(ts) - 1))) AS days,
         count(cell_h) AS cn, min(cell_h) AS cmin, max(cell_h) AS cmax
  FROM ok GROUP BY k),
many AS (
  SELECT k, count(DISTINCT cell_h) AS cells FROM ok
  WHERE k IN (SELECT k FROM g WHERE cn > 2 AND cmin <> cmax) GROUP BY k)
SELECT (g.k >> 38)::INTEGER AS a, ((g.k >> 12) & {mask})::INTEGER AS b,
       (g.k & 4095)::INTEGER AS m, calls::INTEGER AS calls, seconds::BIGINT AS seconds,
       first_at, last_at, days::INTEGER AS days,
       CASE WHEN NOT {has_cells} THEN NULL WHEN cn = 0 THEN 0 WHEN cmin = cmax THEN 1
            WHEN cn = 2 THEN 2 ELSE many.cells END::INTEGER AS cells
FROM g LEFT JOIN many USING (k)"""

_CSV_REASONS = {
    "MISSING COLUMNS": "too few fields",
    "TOO MANY COLUMNS": "too many fields",
    "UNQUOTED VALUE": "a quote inside a field that is not quoted",
    "INVALID ENCODING": "not UTF-8 text",
    "INVALID UNICODE": "not UTF-8 text",
}


# The statements below are built from our own text only: column positions, SQL written
# here, and values passed through `_literal` (hence the `noqa: S608`).
class CdrRun:
    """One file in one DuckDB database of its own, in a scratch folder (where DuckDB
    spills what does not fit in memory). `read`, then `edges`, then `close`."""

    def __init__(self, work: Path, path: Path, layout: Layout, read_with: ReadWith,
                 tell: Progress) -> None:
        self.work = work
        self.path = path
        self.layout = layout
        self.read_with = read_with
        self.tell = tell
        self.quarantine: Path | None = None  # every rejected line, once `read` found any
        self.numbers_in_edges = 0
        self.bounds = ("", "")  # earliest and latest time kept, as DuckDB literals
        # DuckDB takes every core by default; insertion order keeps a row's rowid its
        # place in the file, which the line numbers of rejects are computed from.
        self.con = duckdb.connect(config={"temp_directory": str(work / "spill"),
                                          "preserve_insertion_order": True})

    def close(self) -> None:
        self.con.close()

    def _one(self, sql: str) -> Any:
        return self.con.execute(sql).fetchall()[0][0]

    def read(self) -> Reading:
        """Read, normalise, check and aggregate; the counts, the first rejects and the
        time of each step (`timings`: read, normalise, check, aggregate, rejects).
        Raises `BadInput` for a file that is not call records."""
        found = Reading()
        clock = _Clock(found.timings)
        self.tell("reading", None, None)
        self._load_rows()
        csv_rejects = self._csv_rejects()
        rows = int(self._one("SELECT count(*) FROM rows"))
        found.rows_read = rows + len(csv_rejects)
        if found.rows_read == 0:
            raise BadInput(f"{self.path}: no call records below the header line",
                           field="path")
        clock.lap("read")
        self.tell("normalising numbers", None, None)
        self._normalise()
        clock.lap("normalise")
        self.tell("checking", None, None)
        valid = self._valid()
        self.con.execute("""CREATE TEMP TABLE keyed AS
            SELECT r.rowid AS pos, a.id AS a, b.id AS b, r.ts, r.dur, r.cell_h
            FROM rows r LEFT JOIN phones a ON a.raw = r.caller
            LEFT JOIN phones b ON b.raw = r.callee""")
        clock.lap("check")
        self.tell("aggregating", None, None)
        has_cells = "cell" in self.layout.positions
        self.con.execute(_AGGREGATE.format(valid=valid, mask=MAX_NUMBERS - 1,
                                           has_cells=str(has_cells).lower()))
        # The rows kept are the calls counted: no second pass over the rows to count
        # the rejected ones.
        found.rows_loaded = int(self._one("SELECT coalesce(sum(calls), 0) FROM edges"))
        bad = rows - found.rows_loaded
        found.rejected_count = bad + len(csv_rejects)
        if found.rows_loaded:
            self.numbers_in_edges = int(self._one(
                "SELECT count(*) FROM (SELECT a FROM edges UNION SELECT b FROM edges)"))
        clock.lap("aggregate")
        if found.rejected_count:
            self._rejects(csv_rejects, valid if bad else None)
            found.rejected = [RejectedLine(*r) for r in self.con.execute(
                f'SELECT line, "column", reason, value FROM rejected ORDER BY line '  # noqa: S608
                f"LIMIT {SHOWN}").fetchall()]
            self.quarantine = self.work / "rejected.jsonl"
            self.con.execute(f"COPY (SELECT * FROM rejected ORDER BY line) TO "  # noqa: S608
                             f"{literal(str(self.quarantine))} (FORMAT json)")
        # the rows are aggregated: their memory goes back before the writing starts
        self.con.execute("DROP TABLE keyed; DROP TABLE rows")
        clock.lap("rejects")
        return found

    def _load_rows(self) -> None:
        """The file's rows as typed values, in file order (a row's `rowid` is its place
        among the rows DuckDB kept, which `_rejects` turns into a line number)."""
        p = self.layout.positions
        names = {f"c{i}": "VARCHAR" for i in range(self.layout.width)}
        source = (f"read_csv({literal(str(self.path))}, header=true, auto_detect=false, "
                  f"delim={literal(self.layout.delimiter)}, quote='\"', escape='\"', "
                  f"columns={_struct(names)}, store_rejects=true, "
                  "rejects_table='csv_rejects', rejects_scan='csv_scans', "
                  f"max_line_size={MAX_LINE_BYTES}, null_padding=false)")
        start, duration = f"c{p['start']}", f"c{p['duration']}"
        cell = f"hash(c{p['cell']})" if "cell" in p else "NULL::UBIGINT"
        self.con.execute(f"""CREATE TEMP TABLE rows AS
            SELECT c{p['caller']} AS caller, c{p['callee']} AS callee, ts,
                   CASE WHEN ts IS NULL THEN {start} END AS start_raw, dur,
                   CASE WHEN dur IS NULL THEN {duration} END AS dur_raw,
                   CASE WHEN c{p.get('cell', 0)} IS NULL THEN NULL ELSE {cell} END AS cell_h
            FROM (SELECT *, {_TIME.format(s=start, tz=literal(self.read_with.time_zone))}
                          AS ts, {_DURATION.format(d=duration)} AS dur FROM {source})""")  # noqa: S608

    def _csv_rejects(self) -> list[tuple[int, str | None, str, str | None]]:
        """Lines DuckDB could not read as CSV rows, one entry per line. A line over the
        size limit refuses the whole file: whatever it is, it is not call records."""
        rows = self.con.execute("""
            SELECT line, arg_min(column_name, coalesce(column_idx, 0)),
                   arg_min(error_type, coalesce(column_idx, 0)),
                   arg_min(error_message, coalesce(column_idx, 0)), any_value(csv_line)
            FROM csv_rejects GROUP BY line ORDER BY line""").fetchall()
        out = []
        for line, column, kind, message, text in rows:
            if kind == "LINE SIZE OVER MAXIMUM":
                raise BadInput(f"{self.path}: line {line} is longer than 1 MiB: not a call "
                               "record file; nothing written", field="path")
            reason = _CSV_REASONS.get(kind, kind.lower())
            if kind in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
                reason += f" ({message})"
            out.append((int(line), self._role(column), reason,
                        None if text is None else text[:1000]))
        return out

    def _role(self, column: str | None) -> str | None:
        if not column or not column.startswith("c") or not column[1:].isdigit():
            return None
        index = int(column[1:])
        return next((r for r, i in self.layout.positions.items() if i == index), None)

    def _normalise(self) -> None:
        """Each distinct written number, normalised once in Python, back into DuckDB as
        `phones` (raw, id, reason) and `numbers` (id, e164). Ids follow the E.164 order,
        so that sorting edges by ids sorts them by number (see `edges`)."""
        raw = self.con.sql("SELECT DISTINCT v FROM (SELECT caller AS v FROM rows UNION ALL "
                           "SELECT callee FROM rows) WHERE v IS NOT NULL").to_arrow_table()
        values: list[str] = raw.column(0).to_pylist()
        e164_of: list[str | None] = []
        reasons: list[str | None] = []
        region = self.read_with.region
        for value in values:
            try:
                e164 = normalize_phone(value, region)
            except Invalid as exc:
                e164_of.append(None)
                reasons.append(str(exc))
                continue
            e164_of.append(e164)
            reasons.append(None)
        ordered = sorted({e for e in e164_of if e is not None})
        if len(ordered) >= MAX_NUMBERS:
            raise BadInput(f"{self.path}: more than {MAX_NUMBERS:,} distinct numbers; split "
                           "the file", field="path")
        ids = {e164: i for i, e164 in enumerate(ordered)}
        phones = pa.table({"raw": pa.array(values, pa.string()),
                           "id": pa.array([None if e is None else ids[e] for e in e164_of],
                                          pa.int32()),
                           "reason": pa.array(reasons, pa.string())})
        numbers = pa.table({"id": pa.array(range(len(ordered)), pa.int32()),
                            "e164": pa.array(ordered, pa.string())})
        self.con.register("phones_in", phones)
        self.con.register("numbers_in", numbers)
        self.con.execute("CREATE TEMP TABLE phones AS SELECT * FROM phones_in")
        self.con.execute("CREATE TEMP TABLE numbers AS SELECT * FROM numbers_in")
        self.con.unregister("phones_in")
        self.con.unregister("numbers_in")

    def _valid(self) -> str:
        """A row is kept when both numbers are numbers, not the same one, and its time
        and duration can be read (a call before 1980 or after tomorrow is a misread)."""
        latest = datetime.now(zoneinfo.ZoneInfo(self.read_with.time_zone)).replace(
            tzinfo=None) + timedelta(days=1)
        self.bounds = (f"TIMESTAMP '{EARLIEST:%Y-%m-%d %H:%M:%S}'",
                       f"TIMESTAMP '{latest:%Y-%m-%d %H:%M:%S}'")
        # coalesce: a NULL time or duration makes the test NULL, and NOT NULL is no reject
        return (f"coalesce(a IS NOT NULL AND b IS NOT NULL AND a <> b AND ts >= "
                f"{self.bounds[0]} AND ts <= {self.bounds[1]} AND dur >= 0, false)")

    def _rejects(self, csv_rejects: list[tuple[int, str | None, str, str | None]],
                 valid: str | None) -> None:
        """Every rejected line in `rejected` (line, column, reason, value). A row's line is
        its place among the rows plus the lines before it that are not rows: CSV rejects
        and blank lines (DuckDB skips those silently, so they are found here). A row with
        several problems is named by the first, in the order of the checks below."""
        self.con.execute('CREATE TEMP TABLE rejected (line BIGINT, "column" VARCHAR, '
                         "reason VARCHAR, value VARCHAR)")
        if csv_rejects:
            self.con.executemany("INSERT INTO rejected VALUES (?, ?, ?, ?)", csv_rejects)
        if valid is None:
            return
        skipped = sorted({r[0] for r in csv_rejects} | set(_blank_lines(self.path)))
        self.con.register("skipped_in", pa.table({"e": pa.array(skipped, pa.int64())}))
        earliest, latest = self.bounds
        self.con.execute(f"""INSERT INTO rejected
            WITH bad AS (
              SELECT k.pos, k.ts, k.dur, r.caller, r.callee, r.start_raw, r.dur_raw,
                     pa.reason AS a_reason, pb.reason AS b_reason,
                     CASE WHEN k.a IS NULL THEN 'caller' WHEN k.b IS NULL THEN 'callee'
                          WHEN k.ts IS NULL THEN 'start' WHEN k.ts < {earliest} THEN 'early'
                          WHEN k.ts > {latest} THEN 'late' WHEN k.dur IS NULL THEN 'duration'
                          WHEN k.dur < 0 THEN 'negative' ELSE 'same' END AS problem
              FROM (SELECT * FROM keyed WHERE NOT ({valid})) k
              JOIN rows r ON r.rowid = k.pos
              LEFT JOIN phones pa ON pa.raw = r.caller
              LEFT JOIN phones pb ON pb.raw = r.callee),
            ranked AS (SELECT e, row_number() OVER (ORDER BY e) AS n FROM skipped_in),
            anchors AS (SELECT e - 1 - n AS v, max(n) AS n FROM ranked GROUP BY ALL)
            SELECT bad.pos + 2 + coalesce(anchors.n, 0),
              CASE WHEN problem IN ('early', 'late') THEN 'start'
                   WHEN problem = 'negative' THEN 'duration'
                   WHEN problem = 'same' THEN 'callee' ELSE problem END,
              CASE problem
                WHEN 'caller' THEN coalesce(a_reason, 'no number')
                WHEN 'callee' THEN coalesce(b_reason, 'no number')
                WHEN 'start' THEN CASE WHEN start_raw IS NULL THEN 'no time' ELSE
                  'not a date and time (write 2024-03-01 14:05:00 or 01/03/2024 14:05:00)'
                  END
                WHEN 'early' THEN 'a call before 1980: a misread date'
                WHEN 'late' THEN 'a call in the future: a misread date'
                WHEN 'duration' THEN CASE WHEN dur_raw IS NULL THEN 'no duration' ELSE
                  'not a duration (whole seconds, or HH:MM:SS)' END
                WHEN 'negative' THEN 'a negative duration'
                ELSE 'the caller calls his own number' END,
              CASE problem
                WHEN 'caller' THEN caller WHEN 'callee' THEN callee WHEN 'same' THEN callee
                WHEN 'start' THEN start_raw WHEN 'duration' THEN dur_raw
                WHEN 'negative' THEN dur::VARCHAR
                ELSE strftime(ts, '%Y-%m-%d %H:%M:%S') END
            FROM bad ASOF LEFT JOIN anchors ON bad.pos >= anchors.v""")  # noqa: S608
        self.con.unregister("skipped_in")

    def edges(self, batch: str, agency: str, time_format: str) -> tuple[str, str, int]:
        """The query of the edges' values as the store writes them
        (`emco.store.calls.EDGE_VALUES`), the batch's own columns as SQL literals, and
        the count of edges. Times are in UTC: each local hour met is converted once (a
        few thousand), not each time (millions). Sorted by caller, callee and month:
        number ids follow the E.164 order (see `_normalise`), so integers are sorted."""
        self.con.execute(f"""CREATE TEMP TABLE offsets AS
            SELECT h, timezone('UTC', timezone({literal(self.read_with.time_zone)}, h)) - h
                   AS delta
            FROM (SELECT date_trunc('hour', first_at) AS h FROM edges
                  UNION SELECT date_trunc('hour', last_at) FROM edges)""")  # noqa: S608
        constants = ", ".join(literal(v) for v in (
            batch, agency, self.read_with.handling.value, self.read_with.protection.value))
        values = f"""
            SELECT na.e164, nb.e164,
                   strftime(make_date(1900 + e.m // 12, e.m % 12 + 1, 1), '%Y-%m-%d'),
                   e.calls, e.seconds,
                   strftime(e.first_at + o1.delta, {literal(time_format)}),
                   strftime(e.last_at + o2.delta, {literal(time_format)}), e.days, e.cells
            FROM edges e JOIN numbers na ON na.id = e.a JOIN numbers nb ON nb.id = e.b
            JOIN offsets o1 ON o1.h = date_trunc('hour', e.first_at)
            JOIN offsets o2 ON o2.h = date_trunc('hour', e.last_at)
            ORDER BY e.a, e.b, e.m"""  # noqa: S608
        count = int(self._one("SELECT count(*) FROM edges"))
        return values, constants, count


class _Clock:
    """Seconds per step, into a summary's `timings`."""

    def __init__(self, timings: dict[str, float]) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.timings[step] = now - self.last
        self.last = now


def _blank_lines(path: Path) -> list[int]:
    """Line numbers of the empty lines of a file (C-speed scans of a memory map)."""
    out: list[int] = []
    with path.open("rb") as fp, mmap.mmap(fp.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        line, counted = 1, 0
        for pattern in (b"\n\n", b"\n\r\n"):
            at = mm.find(pattern)
            while at >= 0:
                line += mm[counted:at + 1].count(b"\n")
                counted = at + 1
                out.append(line)
                at = mm.find(pattern, at + 1)
            line, counted = 1, 0
    return sorted(out)


def literal(text: str) -> str:
    """A SQL string literal (DuckDB statements that take no parameters: COPY, DDL)."""
    return "'" + text.replace("'", "''") + "'"


def _struct(types: dict[str, str]) -> str:
    return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in types.items()) + "}"
