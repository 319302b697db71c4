"""Ingestion of one agency file: read, validate, normalise, quarantine, store.

The file is streamed; valid records are written in chunks, each chunk one transaction
with its own audit row, so a crash leaves whole chunks only and a second run of the same
file changes nothing. Invalid rows go to a quarantine file with their line, field and
reason; the rest of the file is kept.
"""

import gc
import hashlib
import marshal
import os
import secrets
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import chain
from pathlib import Path
from queue import Queue
from threading import Thread
from typing import IO, Any

import orjson
from followthemoney.exc import InvalidData
from sqlalchemy import Connection

from emco.access import policy
from emco.access.audit import AuditEvent
from emco.access.gate import Access
from emco.errors import BadInput, Forbidden
from emco.ingest.readers import CsvMappingParser, JsonLinesParser, Parser, Unit
from emco.ingest.validate import Rejection, Validator
from emco.model.enums import (
    AuditAction,
    BatchStatus,
    HandlingCode,
    InformationCredibility,
    Outcome,
    Permission,
    PersonCategory,
    Protection,
    SourceReliability,
)
from emco.model.records import ValidRecord
from emco.model.types import RecordMeta
from emco.store import agencies
from emco.store import writing as repo
from emco.store.db import ANALYZE_AFTER
from emco.store.writing import BatchInfo, BatchWriter, ChunkCounts
from emco.workers import in_order

FORMATS = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".ftm": "jsonl",
           ".csv": "csv"}
BLOCK = 1000  # units handed to a worker at a time
COLLECT_EVERY = 20  # chunks between two collections of reference cycles
POOL_MIN_BYTES = 4 * 2**20  # smaller files are validated in-process


@dataclass
class IngestRequest:
    path: Path
    agency: str
    defaults: RecordMeta = field(default_factory=RecordMeta)
    mapping: Path | None = None
    format: str | None = None
    encoding: str = "utf-8"


@dataclass
class IngestSummary:
    batch: str | None
    accepted: int = 0
    rejected: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantine: str | None = None
    status: BatchStatus = BatchStatus.RUNNING
    first_errors: list[dict[str, Any]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0 when every row was accepted, 3 when some were quarantined, 2 when nothing
        in the file was usable (and nothing was written)."""
        if self.accepted == 0:
            return 2
        return 3 if self.rejected else 0

    def to_dict(self) -> dict[str, Any]:
        return {"batch": self.batch, "accepted": self.accepted, "rejected": self.rejected,
                "quarantine": self.quarantine, "created": self.created,
                "updated": self.updated, "unchanged": self.unchanged,
                "status": self.status.value}


Progress = Callable[[int], None]  # called with the number of bytes read so far


def ingest(access: Access, request: IngestRequest, *, region: str, retention_years: int,
           quarantine_dir: Path, chunk_size: int, workers: int,
           progress: Progress | None = None) -> IngestSummary:
    """Load one file of one agency. Raises `BadInput` when nothing can be read at all
    (unknown agency, missing file or mapping, wrong header)."""
    principal = access.principal
    with access.db.read() as conn:
        if agencies.get(conn, request.agency) is None:
            known = ", ".join(a.code for a in agencies.all_agencies(conn))
            raise BadInput(f"unknown agency {request.agency!r}; known: {known}",
                           field="agency")
    start_event = AuditEvent(AuditAction.BATCH_START, objects=[f"agency:{request.agency}"],
                             query={"file": str(request.path)})
    access.check(Permission.RECORD_INGEST, start_event)
    try:
        policy.require_own_agency(principal, request.agency)
    except Forbidden as exc:
        access.record(start_event, Outcome.DENIED, exc.message)
        raise
    parser = _parser(request)
    file_sha = _sha256(request.path)
    now = datetime.now(UTC)
    batch = BatchInfo(id=f"{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}", agency=request.agency,
                      username=principal.username, filename=str(request.path),
                      file_sha256=file_sha, format=parser.format,
                      mapping_sha256=_sha256(request.mapping) if request.mapping else None,
                      started_at=now)
    summary = IngestSummary(batch=batch.id)
    start_event.objects.append(f"batch:{batch.id}")
    start_event.detail = f"{parser.format} file, sha256 {file_sha}"
    access.record(start_event)  # the attempt is on record even if the run dies early
    validator = Validator(request.defaults, region, date.today())
    quarantine = _Quarantine(quarantine_dir / f"{batch.id}.jsonl", summary)
    size = request.path.stat().st_size
    pool_size = workers if size >= POOL_MIN_BYTES else 0
    with request.path.open("rb") as fp, quarantine, _gc_paused():
        store = BatchWriter(access.db, request.agency, batch.id, request.defaults,
                            retention_years, date.today())
        writer = _ChunkWriter(access, batch, store, summary, quarantine)
        try:
            chunk: dict[str, ValidRecord] = {}
            for result in _validated(fp, parser, validator, pool_size):
                if isinstance(result, Rejection):
                    quarantine.add(result)
                    continue
                summary.accepted += 1
                previous = chunk.get(result.source_id)
                if previous is not None:
                    try:
                        result = previous.merge(result, request.defaults)
                    except InvalidData as exc:
                        summary.accepted -= 1
                        quarantine.add(Rejection(result.line, "schema", str(exc),
                                                 result.source_id))
                        continue
                chunk[result.source_id] = result
                if len(chunk) >= chunk_size:
                    writer.write(list(chunk.values()))
                    chunk = {}
                    writer.chunks += 1
                    if writer.chunks % COLLECT_EVERY == 0:
                        gc.collect()
                    if progress:
                        progress(fp.tell())
            if chunk:
                writer.write(list(chunk.values()))
        except BaseException:
            writer.close(reraise=False)  # the chunk in flight lands whole or not at all
            raise
        writer.finish()
        if progress:
            progress(size)
    return summary


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Bulk loading allocates millions of short-lived, acyclic objects, which the cyclic
    collector would scan again and again for nothing (a tenth of the loading time). It
    is paused; the few cycles the database layer makes per transaction are collected
    every COLLECT_EVERY chunks."""
    was_enabled = gc.isenabled()
    gc.collect()
    gc.freeze()  # the modules and the model: never garbage, never to be scanned
    gc.disable()
    try:
        yield
    finally:
        gc.unfreeze()
        if was_enabled:
            gc.enable()


def _parser(request: IngestRequest) -> Parser:
    path = request.path
    if not path.exists():
        raise BadInput(f"{path}: file not found", field="path")
    if not path.is_file():
        raise BadInput(f"{path}: not a file", field="path")
    if not os.access(path, os.R_OK):
        raise BadInput(f"{path}: cannot be read (permissions)", field="path")
    fmt = request.format or FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise BadInput(f"{path}: cannot tell the format from the extension; use --format "
                       "jsonl or --format csv", field="format")
    if fmt == "jsonl":
        if request.mapping is not None:
            raise BadInput("--mapping applies to CSV files only", field="mapping")
        return JsonLinesParser()
    if fmt == "csv":
        if request.mapping is None:
            raise BadInput(f"{path}: a CSV file needs --mapping FILE.yml (a FollowTheMoney "
                           "mapping of its columns)", field="mapping")
        try:
            "".encode(request.encoding)
        except LookupError:
            raise BadInput(f"unknown encoding {request.encoding!r}", field="encoding") from None
        return CsvMappingParser.from_file(request.mapping, request.agency, request.encoding)
    raise BadInput(f"unknown format {fmt!r}; use jsonl or csv", field="format")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fp:
        while block := fp.read(2**20):
            digest.update(block)
    return digest.hexdigest()


# --- validation, in-process or in a pool of workers ----------------------------------------

_worker: tuple[Parser, Validator] | None = None


def _init_worker(parser: Parser, validator: Validator) -> None:
    global _worker
    _worker = (parser, validator)
    gc.disable()  # validation makes no reference cycles


def _work(item: list[Unit] | Rejection) -> bytes:
    assert _worker is not None
    return _pack(_validate_block(*_worker, item))


# Results cross from workers as marshalled tuples: pickling dataclasses and enums cost
# more than validating them, and the unpickling would steal the writer's CPU.

def _pack(results: list[ValidRecord | Rejection]) -> bytes:
    items: list[tuple[Any, ...]] = []
    for r in results:
        if isinstance(r, Rejection):
            items.append((0, r.line, r.field, r.reason, r.raw))
        else:
            m = r.meta
            meta = (m.handling.value, m.handling_condition, m.reliability.value,
                    m.credibility.value, m.protection.value,
                    m.category.value if m.category else None,
                    m.observed.isoformat() if m.observed else None,
                    m.retention.isoformat() if m.retention else None)
            items.append((1, r.line, r.source_id, r.schema, r.caption, meta,
                          tuple(r.statements), tuple(r.keys), r.content_hash))
    return marshal.dumps(items)


def _unpack(data: bytes, metas: dict[tuple[Any, ...], RecordMeta]
            ) -> list[ValidRecord | Rejection]:
    out: list[ValidRecord | Rejection] = []
    for item in marshal.loads(data):  # noqa: S302 (bytes from our own worker processes)
        if item[0] == 0:
            out.append(Rejection(*item[1:]))
            continue
        _, line, source_id, schema, caption, meta, statements, keys, digest = item
        record_meta = metas.get(meta)
        if record_meta is None:
            record_meta = metas[meta] = _meta_from_tuple(meta)
        out.append(ValidRecord(line, source_id, schema, caption, record_meta,
                               list(statements), set(keys), digest))
    return out


def _meta_from_tuple(t: tuple[Any, ...]) -> RecordMeta:
    handling, condition, reliability, credibility, protection, category, observed, kept = t
    return RecordMeta(
        handling=HandlingCode(handling), handling_condition=condition,
        reliability=SourceReliability(reliability),
        credibility=InformationCredibility(credibility), protection=Protection(protection),
        category=PersonCategory(category) if category else None,
        observed=date.fromisoformat(observed) if observed else None,
        retention=date.fromisoformat(kept) if kept else None)


def _validate_block(parser: Parser, validator: Validator, item: list[Unit] | Rejection
                    ) -> list[ValidRecord | Rejection]:
    if isinstance(item, Rejection):  # found while reading: passes through in its place
        return [item]
    out: list[ValidRecord | Rejection] = []
    for unit in item:
        parsed = parser.parse(unit)
        if isinstance(parsed, Rejection):
            out.append(parsed)
            continue
        results = [validator.validate(raw, "") for raw in parsed]
        bad = next((r for r in results if isinstance(r, Rejection)), None)
        if bad is not None:  # a row is taken whole or not at all
            bad.raw = parser.excerpt(unit)
            out.append(bad)
        else:
            out.extend(results)
    return out


def _blocks(units: Iterable[Unit | Rejection]) -> Iterator[list[Unit] | Rejection]:
    """Group units into blocks; rejections found while reading travel alone."""
    block: list[Unit] = []
    for unit in units:
        if isinstance(unit, Rejection):
            if block:
                yield block
                block = []
            yield unit
            continue
        block.append(unit)
        if len(block) >= BLOCK:
            yield block
            block = []
    if block:
        yield block


def _validated(fp: IO[bytes], parser: Parser, validator: Validator, workers: int
               ) -> Iterator[ValidRecord | Rejection]:
    """Validation results in file order."""
    units = parser.units(fp)  # type: ignore[arg-type]
    first = next(units, None)  # reads the CSV header before any worker starts
    if first is None:
        return
    blocks = _blocks(chain([first], units))
    if workers <= 0:
        for item in blocks:
            yield from _validate_block(parser, validator, item)
        return
    metas: dict[tuple[Any, ...], RecordMeta] = {}
    for data in in_order(_work, blocks, workers, _init_worker, (parser, validator)):
        yield from _unpack(data, metas)


# --- quarantine and writing ----------------------------------------------------------------

class _Quarantine:
    """Rejected rows, one JSON object per line, in a file opened on the first rejection."""

    KEEP_FIRST = 5

    def __init__(self, path: Path, summary: IngestSummary) -> None:
        self.path = path
        self.summary = summary
        self.fp: IO[bytes] | None = None

    def add(self, rejection: Rejection) -> None:
        if self.fp is None:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.fp = self.path.open("ab")
            except OSError as exc:
                raise BadInput(f"cannot write the quarantine file {self.path}: {exc}",
                               field="EMCO_DATA_DIR") from None
            self.summary.quarantine = str(self.path)
        self.summary.rejected += 1
        entry = rejection.to_dict()
        if len(self.summary.first_errors) < self.KEEP_FIRST:
            self.summary.first_errors.append({k: v for k, v in entry.items() if k != "raw"})
        self.fp.write(orjson.dumps(entry) + b"\n")

    def __enter__(self) -> "_Quarantine":
        return self

    def __exit__(self, *exc: object) -> None:
        if self.fp is not None:
            self.fp.close()


class _ChunkWriter:
    """Writes chunks in a thread of its own, one chunk behind the reader: the database
    drivers release the interpreter lock while the database works, so reading and
    validating the next chunk overlaps with storing this one."""

    def __init__(self, access: Access, batch: BatchInfo, store: BatchWriter,
                 summary: IngestSummary, quarantine: _Quarantine) -> None:
        self.access = access
        self.batch = batch
        self.store = store
        self.summary = summary
        self.quarantine = quarantine
        self.started = False
        self.chunks = 0
        self.conflicts: list[ValidRecord] = []
        self.queue: Queue[list[ValidRecord] | None] = Queue(maxsize=1)
        self.failure: BaseException | None = None
        self.thread = Thread(target=self._run, name="emco-ingest-writer", daemon=True)
        self.thread.start()

    def write(self, chunk: list[ValidRecord]) -> None:
        self._raise_failure()
        self.queue.put(chunk)

    def _run(self) -> None:
        while (chunk := self.queue.get()) is not None:
            if self.failure is not None:
                continue  # drain, so that the reader never blocks on a dead writer
            try:
                self._write(chunk)
            except BaseException as exc:  # handed to the reading thread
                self.failure = exc

    def _write(self, chunk: list[ValidRecord]) -> None:
        lines = f"lines {min(r.line for r in chunk)}-{max(r.line for r in chunk)}"
        event = AuditEvent(AuditAction.BATCH_CHUNK, objects=[f"batch:{self.batch.id}"],
                           result_count=len(chunk), detail=lines)
        with self.access.writing(Permission.RECORD_INGEST, event) as p:
            if not self.started:
                repo.create_batch(p.conn, self.batch)
            counts = self.store.write(p.conn, chunk)
            self._count(p.conn, counts)
        self.started = True
        self._add(counts)

    def _count(self, conn: Connection, counts: ChunkCounts) -> None:
        s = self.summary
        repo.update_batch(conn, self.batch.id, created=s.created + counts.created,
                          updated=s.updated + counts.updated,
                          unchanged=s.unchanged + counts.unchanged)

    def _add(self, counts: ChunkCounts) -> None:
        s = self.summary
        s.created += counts.created
        s.updated += counts.updated
        s.unchanged += counts.unchanged
        self.conflicts.extend(counts.conflicts)

    def _raise_failure(self) -> None:
        if self.failure is not None:
            raise self.failure

    def close(self, reraise: bool = True) -> None:
        """Wait for the last chunk; re-raise what the writer met."""
        self.queue.put(None)
        self.thread.join()
        if reraise:
            self._raise_failure()

    def finish(self) -> None:
        self.close()
        s = self.summary
        if self.store.held:  # fragments held back: settle them as the batch's last write
            event = AuditEvent(AuditAction.BATCH_CHUNK, objects=[f"batch:{self.batch.id}"],
                               result_count=len(self.store.held), detail="held fragments")
            with self.access.writing(Permission.RECORD_INGEST, event) as p:
                counts = self.store.finish(p.conn)
                self._count(p.conn, counts)
            self._add(counts)
        for rec in self.conflicts:
            s.accepted -= 1
            self.quarantine.add(Rejection(rec.line, "schema", "the id is used by an earlier "
                                          "record of another kind in this file",
                                          rec.source_id))
        event = AuditEvent(AuditAction.BATCH_END, objects=[f"batch:{self.batch.id}"],
                           result_count=s.accepted,
                           detail=f"accepted {s.accepted}, rejected {s.rejected}")
        if not self.started:
            s.status = BatchStatus.FAILED
            self.access.record(event, Outcome.FAILED, "nothing usable in the file; "
                               "nothing written")
            return
        s.status = BatchStatus.COMPLETE
        with self.access.writing(Permission.RECORD_INGEST, event) as p:
            repo.update_batch(p.conn, self.batch.id, status=s.status.value,
                              finished_at=datetime.now(UTC), accepted=s.accepted,
                              rejected=s.rejected, quarantine_path=s.quarantine)
        if s.accepted >= ANALYZE_AFTER:  # resolution and the checks read what it wrote
            self.access.db.analyze()
