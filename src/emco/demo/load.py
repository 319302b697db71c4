"""Loading a folder of agency files described by its `manifest.yml`.

    files:
      - agency: SNRP            # the service the file comes from
        path: snrp.jsonl        # FtM JSON lines, or CSV with `mapping:`
        mapping: dap.yml        # for CSV files
        defaults: {handling: H2, reliability: B, credibility: "2", protection: DR,
                   category: convicted}
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from emco.access import auth
from emco.access.gate import Access
from emco.errors import BadInput
from emco.ingest.pipeline import IngestRequest, IngestSummary
from emco.model.enums import (
    HandlingCode,
    InformationCredibility,
    PersonCategory,
    Protection,
    Role,
    SourceReliability,
)
from emco.model.types import RecordMeta
from emco.resolve.service import Thresholds
from emco.store.db import Database


@dataclass
class ManifestEntry:
    agency: str
    path: Path
    mapping: Path | None
    defaults: RecordMeta
    kind: str | None = None  # "calls", or "declarations" (not records: not ingested)


def read_manifest(folder: Path) -> list[ManifestEntry]:
    manifest = folder / "manifest.yml"
    if not manifest.is_file():
        raise BadInput(f"{folder}: no manifest.yml describing the files to load", field="path")
    try:
        data = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise BadInput(f"{manifest}: not a readable YAML file ({exc})") from None
    entries = data.get("files") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise BadInput(f"{manifest}: expected a list under `files:`")
    out = []
    for i, item in enumerate(entries, 1):
        where = f"{manifest}: file #{i}"
        if not isinstance(item, dict) or not item.get("agency") or not item.get("path"):
            raise BadInput(f"{where}: needs `agency` and `path`")
        mapping = folder / item["mapping"] if item.get("mapping") else None
        out.append(ManifestEntry(str(item["agency"]).upper(), folder / item["path"], mapping,
                                 _defaults(item.get("defaults") or {}, where),
                                 item.get("kind")))
    return out


def _defaults(raw: dict[str, Any], where: str) -> RecordMeta:
    try:
        return RecordMeta(
            handling=HandlingCode(raw.get("handling", "H0")),
            handling_condition=raw.get("condition"),
            reliability=SourceReliability(raw.get("reliability", "X")),
            credibility=InformationCredibility(str(raw.get("credibility", "4"))),
            protection=Protection(raw.get("protection", "NP")),
            category=PersonCategory(raw.get("category", "other")),
            observed=_date(raw.get("observed")),
            retention=_date(raw.get("retention")))
    except ValueError as exc:
        raise BadInput(f"{where}: {exc}") from None


def _date(value: Any) -> date | None:
    return None if value in (None, "") else date.fromisoformat(str(value))


Ingest = Callable[[Access, IngestRequest], IngestSummary]


def load_investigations(db: Database, folder: Path, thresholds: Thresholds | None = None
                        ) -> int:
    """Register the investigations of a scenario's `investigations.jsonl`, each by its
    own service's liaison officer, with its targets as that service knows them (a name, a
    birth date, a phone). The lead contact is the service's contact point (the file names
    none). One already registered is left as it is. Returns how many were registered."""
    path = folder / "investigations.jsonl"
    if not path.is_file():
        return 0
    from emco.deconflict.investigations import new_investigation, register
    from emco.deconflict.targets import parse_target
    from emco.model.enums import TargetKind
    from emco.store import agencies, investigations

    registered = 0
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        where = f"{path}: line {n}"
        try:
            item = json.loads(line)
            code, reference = str(item["agency"]).upper(), str(item["reference"])
        except (ValueError, KeyError, TypeError) as exc:
            raise BadInput(f"{where}: not an investigation ({exc})") from None
        with db.read() as conn:
            service = agencies.get(conn, code)
            if service is not None and investigations.reference_taken(conn, code, reference):
                continue
        if service is None:
            raise BadInput(f"{where}: unknown agency {code!r}", field="agency")
        liaison = Access(db, auth.cli_principal(code, frozenset({Role.LIAISON}),
                                                Protection.DR))
        new = new_investigation(agency=code, reference=reference,
                                title=str(item.get("title") or reference),
                                contact_name=service.contact_name,
                                contact_phone=service.contact_phone,
                                contact_email=service.contact_email,
                                opened=_date(item.get("opened")))
        targets = [parse_target(TargetKind.PERSON, t) for t in item.get("targets") or []]
        register(liaison, new, targets, thresholds)
        registered += 1
    return registered


def load_operations(db: Database, folder: Path, margins: Any, region: str | None = None
                    ) -> int:
    """Register the planned operations of a scenario's `operations.jsonl`, each by its own
    service's liaison officer, with its targets as that service knows them (a name, a
    birth date, a phone): each is checked against those registered before it, so every
    pair is checked once the last is in. One already registered is left as it is.
    `margins` are the check's (`emco.deconflict.conflicts.Margins`). Returns how many were
    registered."""
    path = folder / "operations.jsonl"
    if not path.is_file():
        return 0
    from emco.deconflict.operation_input import OperationIn
    from emco.deconflict.operations import register
    from emco.store import operations

    registered = 0
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            code, reference = str(item["agency"]).upper(), str(item["reference"])
            new = OperationIn(
                agency=code, reference=reference, kind=str(item["kind"]),
                latitude=item["latitude"], longitude=item["longitude"],
                radius_m=item["radius_m"], start=str(item["start"]), end=str(item["end"]),
                targets=[("person", t) for t in item.get("targets") or []])
        except (ValueError, KeyError, TypeError) as exc:
            raise BadInput(f"{path}: line {n}: not an operation ({exc})") from None
        with db.read() as conn:
            if operations.reference_taken(conn, code, reference):
                continue
        liaison = Access(db, auth.cli_principal(code, frozenset({Role.LIAISON}),
                                                Protection.DR))
        register(liaison, new, margins, region)
        registered += 1
    return registered


DECLARATIONS = "declarations"


def load_declarations(db: Database, folder: Path) -> int:
    """Register the declared levels of the manifest's `kind: declarations` files (CSV:
    agency, source_id of its record, escort 1-4, dps oui/non), each by its service's
    liaison officer (`emco.risk.review.declare`). Returns how many were registered."""
    import csv

    from emco.risk.review import declare

    registered = 0
    for entry in read_manifest(folder):
        if entry.kind != DECLARATIONS:
            continue
        with entry.path.open(encoding="utf-8", newline="") as fp:
            for n, row in enumerate(csv.DictReader(fp), 2):
                try:
                    code, source = str(row["agency"]).upper(), str(row["source_id"])
                    escort = int(row["escort"]) if row.get("escort") else None
                    dps = {"oui": True, "non": False}.get(str(row.get("dps")).lower())
                except (KeyError, ValueError) as exc:
                    raise BadInput(f"{entry.path}: line {n}: not a declaration "
                                   f"({exc})") from None
                liaison = Access(db, auth.cli_principal(code, frozenset({Role.LIAISON}),
                                                        Protection.DR))
                declare(liaison, agency=code, record=f"{code}:{source}", escort=escort,
                        dps=dps)
                registered += 1
    return registered


def load_folder(db: Database, folder: Path, ingest: Ingest
                ) -> list[tuple[ManifestEntry, IngestSummary]]:
    """Ingest every file of the manifest as its own service would."""
    results = []
    for entry in read_manifest(folder):
        if entry.kind == DECLARATIONS:
            continue  # loaded by `load_declarations`, once the records are in
        principal = auth.cli_principal(entry.agency, frozenset({Role.LIAISON}), Protection.DR)
        request = IngestRequest(path=entry.path, agency=entry.agency, mapping=entry.mapping,
                                defaults=entry.defaults)
        results.append((entry, ingest(Access(db, principal), request)))
    return results
