"""Call detail records: a service's CSV of calls, aggregated into dated, weighted contact
edges (one per caller, callee and month) that stay traceable to their batch.

This module is the stage: it checks what is asked (the service, the options, the file's
header) before anything is read, has `emco.network.cdr` read, check and aggregate the
file in DuckDB, then writes the edges with the batch and its audit row in one
transaction: all or nothing.

Bad input: a problem with the whole file (no file, empty, binary, a header without the
required columns, a line over 1 MiB, nothing usable, already loaded) refuses it before
anything is written. A bad line (wrong number of fields, a number that is not one, a
time or duration that cannot be read, a number calling itself) is named with its line
and column and skipped; the valid lines are kept.
"""

import contextlib
import csv
import hashlib
import os
import secrets
import shutil
import tempfile
import time
import zoneinfo
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from queue import Empty, Queue
from threading import Event, Thread
from typing import Any, TypeVar

import duckdb
import phonenumbers
import pyarrow as pa
import pyarrow.csv as pacsv

from emco.access import policy
from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.errors import BadInput, Conflict, EmcoError, Forbidden
from emco.ingest.normalize import Invalid, normalize_phone
from emco.model.enums import (
    AuditAction,
    BatchStatus,
    HandlingCode,
    Outcome,
    Permission,
    Protection,
)
from emco.network.cdr import (
    MAX_LINE_BYTES,
    SHOWN,
    CdrRun,
    Layout,
    Progress,
    RejectedLine,
)
from emco.store import agencies
from emco.store import calls as repo
from emco.store.calls import CallEdge, ReadWith
from emco.store.writing import BatchInfo

__all__ = ["SHOWN", "CallsSummary", "Progress", "RejectedLine", "call_edges", "ingest_calls"]

REQUIRED = ("caller", "callee", "start", "duration")
OPTIONAL = ("cell",)
DELIMITERS = (",", ";", "\t", "|")
CHUNK = 50_000  # edges handed to the database at a time
_T = TypeVar("_T")


@dataclass
class CallsSummary:
    """What one run of `ingest_calls` did."""

    batch: str
    file: str
    status: BatchStatus = BatchStatus.RUNNING
    rows_read: int = 0  # the data lines of the file
    rows_loaded: int = 0  # those aggregated into edges
    rejected_count: int = 0
    rejected: list[RejectedLine] = field(default_factory=list)  # the first SHOWN
    edges: int = 0
    numbers: int = 0  # distinct numbers (E.164) among the edges
    seconds: float = 0.0  # time taken, end to end
    timings: dict[str, float] = field(default_factory=dict)  # per phase
    quarantine: str | None = None  # every rejected line, one JSON object each

    @property
    def exit_code(self) -> int:
        """0 when every line was loaded, 3 when some were rejected, 2 when nothing was
        usable (and nothing was written)."""
        if self.rows_loaded == 0:
            return 2
        return 3 if self.rejected_count else 0

    def to_dict(self) -> dict[str, Any]:
        return {"batch": self.batch, "file": self.file, "status": self.status.value,
                "rows_read": self.rows_read, "rows_loaded": self.rows_loaded,
                "rejected_count": self.rejected_count,
                "rejected": [r.to_dict() for r in self.rejected], "edges": self.edges,
                "numbers": self.numbers, "seconds": round(self.seconds, 3),
                "timings": {k: round(v, 3) for k, v in self.timings.items()},
                "quarantine": self.quarantine}


def ingest_calls(access: Access, path: Path, agency: str, *,
                 columns: Mapping[str, str] | None = None,
                 handling: HandlingCode = HandlingCode.H0, condition: str | None = None,
                 protection: Protection = Protection.NP, region: str = "FR",
                 time_zone: str = "Europe/Paris", quarantine_dir: Path | None = None,
                 progress: Progress | None = None) -> CallsSummary:
    """Load a CSV of call records of `agency` as contact edges per caller, callee and month.

    `columns` maps the roles caller, callee, start, duration and (optional) cell to the
    file's header names when they differ. Times without a UTC offset are read in
    `time_zone`; numbers without a country code as numbers of `region`. Raises `BadInput`
    when the file is refused (nothing written), `Conflict` when the same file was already
    loaded for the agency, `Forbidden` when the principal may not load it."""
    started = time.perf_counter()
    tell = progress or (lambda phase, done, total: None)
    with access.db.read() as conn:
        if agencies.get(conn, agency) is None:
            known = ", ".join(a.code for a in agencies.all_agencies(conn))
            raise BadInput(f"unknown agency {agency!r}; known: {known}", field="agency")
    start_event = AuditEvent(AuditAction.BATCH_START, objects=[f"agency:{agency}"],
                             query={"file": str(path), "kind": repo.FORMAT})
    access.check(Permission.RECORD_INGEST, start_event)
    try:
        policy.require_own_agency(access.principal, agency)
    except Forbidden as exc:
        access.record(start_event, Outcome.DENIED, exc.message)
        raise
    read_with = _options(handling, condition, protection, region, time_zone)
    layout = _layout(path, columns)
    read_with = ReadWith(**{**read_with.__dict__, "columns": layout.used_names()})
    file_sha = _sha256(path)
    with access.db.read() as conn:
        _refuse_same_file(repo.same_file(conn, agency, file_sha), path)
    now = datetime.now(UTC)
    batch = BatchInfo(id=f"{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}", agency=agency,
                      username=access.principal.username, filename=str(path),
                      file_sha256=file_sha, format=repo.FORMAT, mapping_sha256=None,
                      started_at=now)
    summary = CallsSummary(batch=batch.id, file=str(path))
    start_event.objects.append(f"batch:{batch.id}")
    start_event.detail = f"call records, sha256 {file_sha}"
    access.record(start_event)  # the attempt is on record even if the run dies early
    end_event = AuditEvent(AuditAction.BATCH_END, objects=[f"batch:{batch.id}"])
    writing = False
    try:
        with tempfile.TemporaryDirectory(prefix="emco-calls-") as work:
            run = CdrRun(Path(work), path, layout, read_with, tell)
            try:
                found = run.read()
                summary.rows_read, summary.rows_loaded = found.rows_read, found.rows_loaded
                summary.rejected_count, summary.rejected = (found.rejected_count,
                                                            found.rejected)
                summary.timings.update(found.timings)
                if summary.rows_loaded == 0:
                    summary.status = BatchStatus.FAILED
                    summary.quarantine = _keep_quarantine(run, quarantine_dir, batch.id)
                    access.record(_ended(end_event, summary), Outcome.FAILED,
                                  "nothing usable in the file; nothing written")
                    return _timed(summary, started)
                prepared = time.perf_counter()
                edges = _Edges(run, *run.edges(batch.id, agency,
                                               repo.time_format(access.db)))
                summary.edges, summary.numbers = edges.count, run.numbers_in_edges
                tell("writing", 0, edges.count)
                writing = True
                t0 = time.perf_counter()
                with access.writing(Permission.RECORD_INGEST,
                                    _ended(end_event, summary)) as p:
                    # again, under the write lock: a run of the same file may have
                    # finished while this one was reading
                    _refuse_same_file(repo.same_file(p.conn, agency, file_sha), path)
                    repo.write_batch(access.db, p.conn, batch, read_with,
                                     rows_loaded=summary.rows_loaded,
                                     rows_rejected=summary.rejected_count,
                                     quarantine=_quarantine_path(quarantine_dir, batch.id,
                                                                 summary),
                                     edges=edges, timings=summary.timings,
                                     progress=lambda n: tell("writing", n, edges.count))
                    written = time.perf_counter()
                summary.timings["commit"] = time.perf_counter() - written
                summary.timings["write"] = time.perf_counter() - t0
                summary.timings["prepare"] = t0 - prepared
                summary.status = BatchStatus.COMPLETE
                summary.quarantine = _keep_quarantine(run, quarantine_dir, batch.id)
            finally:
                run.close()
    except Exception as exc:
        # A failure while writing is on record by the gate; one while reading, here.
        if summary.status is BatchStatus.RUNNING and not writing:
            why = exc.message if isinstance(exc, EmcoError) else type(exc).__name__
            access.record(_ended(end_event, summary), Outcome.FAILED, why)
        if isinstance(exc, duckdb.Error):  # a file DuckDB cannot read at all
            raise BadInput(f"{path}: cannot be read as call records: "
                           f"{str(exc).splitlines()[0]}; nothing written",
                           field="path") from None
        raise
    return _timed(summary, started)


def call_edges(access: Access, numbers: Sequence[str], *, region: str = "FR"
               ) -> list[CallEdge]:
    """The call edges the principal may see where one of `numbers` calls or is called
    (numbers in any written form, read as numbers of `region` without a country code).
    Audited with the numbers asked about (hashed) and the count of edges returned."""
    wanted: list[str] = []
    for raw in numbers:
        try:
            wanted.append(normalize_phone(raw, region))
        except Invalid as exc:
            raise BadInput(f"{raw!r}: {exc}", field="numbers") from None
    event = AuditEvent(AuditAction.CALLS_READ, objects=[f"phone:{n}" for n in wanted],
                       query={"numbers": sorted(wanted)})
    with access.reading(Permission.RECORD_READ, event) as p:
        found = repo.edges_of(p.conn, p.scope, wanted)
        p.event.result_count = len(found)
    return found


def _options(handling: HandlingCode, condition: str | None, protection: Protection,
             region: str, time_zone: str) -> ReadWith:
    if handling is HandlingCode.H3 and not (condition or "").strip():
        raise BadInput("handling code H3 needs the owner's condition (--condition TEXT)",
                       field="condition")
    if condition and handling is not HandlingCode.H3:
        raise BadInput("a handling condition goes with handling code H3 only",
                       field="condition")
    region = region.upper()
    if region not in phonenumbers.SUPPORTED_REGIONS:
        raise BadInput(f"{region!r} is not a region phone numbers know (FR, BE, ...)",
                       field="region")
    try:
        zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise BadInput(f"{time_zone!r} is not a time zone (Europe/Paris, UTC, ...)",
                       field="time_zone") from None
    return ReadWith(handling=handling, handling_condition=condition.strip() if condition
                    else None, protection=protection, time_zone=time_zone, region=region,
                    columns={})


def _layout(path: Path, columns: Mapping[str, str] | None) -> Layout:
    """Read and check the header line; refuse a file that cannot be call records."""
    if not path.exists():
        raise BadInput(f"{path}: file not found", field="path")
    if not path.is_file():
        raise BadInput(f"{path}: not a file", field="path")
    if not os.access(path, os.R_OK):
        raise BadInput(f"{path}: cannot be read (permissions)", field="path")
    wanted = {role: role for role in (*REQUIRED, *OPTIONAL)}
    for role, name in (columns or {}).items():
        if role not in wanted:
            raise BadInput(f"--columns: unknown role {role!r}; the roles are "
                           f"{', '.join(wanted)}", field="columns")
        if not name.strip():
            raise BadInput(f"--columns: no column name given for {role}", field="columns")
        wanted[role] = name.strip()
    with path.open("rb") as fp:
        head = fp.read(MAX_LINE_BYTES + 2)
    if not head:
        raise BadInput(f"{path}: empty file; a call record file starts with a header "
                       f"line naming its columns ({','.join(REQUIRED)}[,cell])", field="path")
    if b"\0" in head[:1 << 16]:
        raise BadInput(f"{path}: a binary file, not CSV text", field="path")
    end = head.find(b"\n")
    if end < 0 and len(head) > MAX_LINE_BYTES:
        raise BadInput(f"{path}: line 1 is longer than 1 MiB: not a call record file",
                       field="path")
    try:
        header = head[:end if end >= 0 else len(head)].decode("utf-8-sig").rstrip("\r")
    except UnicodeDecodeError:
        raise BadInput(f"{path}: line 1 (the header) is not UTF-8 text", field="path") from None
    best: list[str] = []
    for delimiter in DELIMITERS:
        fields = next(csv.reader([header], delimiter=delimiter), [])
        if len(fields) > len(best):
            best = fields
        folded = [f.strip().casefold() for f in fields]
        positions = {role: folded.index(name.casefold()) for role, name in wanted.items()
                     if name.casefold() in folded}
        if all(role in positions for role in REQUIRED):
            if columns and "cell" in columns and "cell" not in positions:
                break  # a cell column was named but is not there: say so below
            for role, i in positions.items():
                if folded.count(folded[i]) > 1:
                    raise BadInput(f"{path}: line 1: the column {fields[i].strip()!r} "
                                   f"({role}) appears more than once", field="columns")
            return Layout(delimiter, len(fields), positions,
                           {role: fields[i].strip() for role, i in positions.items()})
    folded_best = [f.strip().casefold() for f in best]
    missing = [f"{role} ({wanted[role]!r})" if wanted[role] != role else role
               for role in (*REQUIRED, *(["cell"] if columns and "cell" in columns else []))
               if wanted[role].casefold() not in folded_best]
    raise BadInput(f"{path}: line 1 (the header) lacks the column(s) {', '.join(missing)}; "
                   f"it reads {header[:200]!r}. Name the file's columns with --columns "
                   "caller=NAME,callee=NAME,start=NAME,duration=NAME[,cell=NAME]",
                   field="columns")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fp:
        while block := fp.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _refuse_same_file(previous: repo.CallBatch | None, path: Path) -> None:
    """Edges add up across batches, so the same file loaded twice would count every
    call twice: it is refused (a corrected file has another hash and is loaded)."""
    if previous is not None:
        raise Conflict(f"{path}: this file was already loaded for {previous.agency_code} "
                       f"as batch {previous.id} by {previous.username} on "
                       f"{previous.started_at:%Y-%m-%d %H:%M} UTC; nothing written",
                       field="path")


def _ended(event: AuditEvent, summary: CallsSummary) -> AuditEvent:
    event.result_count = summary.edges
    event.detail = (f"rows read {summary.rows_read}, loaded {summary.rows_loaded}, rejected "
                    f"{summary.rejected_count}, edges {summary.edges}")
    return event


def _timed(summary: CallsSummary, started: float) -> CallsSummary:
    summary.seconds = time.perf_counter() - started
    return summary


def _quarantine_path(folder: Path | None, batch: str, summary: CallsSummary) -> str | None:
    if folder is None or not summary.rejected_count:
        return None
    return str(folder / f"{batch}.jsonl")


def _keep_quarantine(run: CdrRun, folder: Path | None, batch: str) -> str | None:
    """Move the rejected lines' file beside the record ingest's quarantine files once
    the batch is settled (a failed write keeps none). The batch stands without it: a
    folder that cannot be written loses the file, not the batch."""
    if folder is None or run.quarantine is None:
        return None
    target = folder / f"{batch}.jsonl"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        shutil.move(run.quarantine, target)
    except OSError:
        return None
    return str(target)


class _Edges:
    """The edges of a run, for `emco.store.calls.write_batch` (an `EdgeSource`): the
    per-edge values (`EDGE_VALUES`) for SQLite, the whole rows (`EDGE_COLUMNS`) as CSV
    for PostgreSQL. Sorted by caller so that an index on it is appended to."""

    def __init__(self, run: CdrRun, values: str, constants: str, count: int) -> None:
        self.run = run
        self.values = values  # the query of the per-edge values
        self.constants = constants  # the batch's columns, as SQL literals
        self.count = count

    def chunks(self) -> Iterator[Sequence[Sequence[Any]]]:
        """Arrow batches made Python tuples, one chunk ahead (see `_ahead`)."""
        return _ahead(self.run.con.sql(self.values).to_arrow_reader(CHUNK),
                      lambda batch: list(zip(*(c.to_pylist() for c in batch.columns),
                                             strict=True)))

    def csv(self) -> Iterator[tuple[int, bytes]]:
        """The whole rows as CSV text made by Arrow, a chunk at a time with its count of
        rows, one chunk ahead (see `_ahead`): PostgreSQL parses a chunk while DuckDB
        and Arrow make the next, and no value becomes a Python object. Strings are
        quoted, NULL is an empty field."""
        query = f"SELECT {self.constants}, * FROM ({self.values})"  # noqa: S608
        options = pacsv.WriteOptions(include_header=False)

        def text(batch: pa.RecordBatch) -> tuple[int, bytes]:
            sink = pa.BufferOutputStream()
            pacsv.write_csv(batch, sink, options)
            return batch.num_rows, sink.getvalue().to_pybytes()

        return _ahead(self.run.con.sql(query).to_arrow_reader(CHUNK), text)


def _ahead(reader: pa.RecordBatchReader, convert: Callable[[pa.RecordBatch], _T]
           ) -> Iterator[_T]:
    """The batches of `reader` converted in a thread of its own, one chunk ahead of the
    writer: DuckDB, Arrow and both database drivers release the interpreter lock while
    they work, so reading the next chunk and writing this one share the two cores."""
    queue: Queue[_T | BaseException | None] = Queue(maxsize=2)
    stop = Event()

    def produce() -> None:
        try:
            for batch in reader:
                if stop.is_set():
                    return
                queue.put(convert(batch))
            queue.put(None)
        except BaseException as exc:  # handed to the writing thread
            queue.put(exc)

    thread = Thread(target=produce, name="emco-calls-reader", daemon=True)
    thread.start()
    try:
        while (item := queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stop.set()  # the writer failed or stopped: convert nothing more
        while thread.is_alive():  # unblock a producer left waiting on a full queue
            with contextlib.suppress(Empty):
                queue.get(timeout=0.1)
        thread.join()
