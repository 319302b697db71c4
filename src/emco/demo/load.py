"""Loading a folder of agency files described by its `manifest.yml`.

    files:
      - agency: SNRP            # the service the file comes from
        path: snrp.jsonl        # FtM JSON lines, or CSV with `mapping:`
        mapping: dap.yml        # for CSV files
        defaults: {handling: H2, reliability: B, credibility: "2", protection: DR,
                   category: convicted}
"""

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
from emco.store.db import Database


@dataclass
class ManifestEntry:
    agency: str
    path: Path
    mapping: Path | None
    defaults: RecordMeta


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
                                 _defaults(item.get("defaults") or {}, where)))
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


def load_folder(db: Database, folder: Path, ingest: Ingest
                ) -> list[tuple[ManifestEntry, IngestSummary]]:
    """Ingest every file of the manifest as its own service would."""
    results = []
    for entry in read_manifest(folder):
        principal = auth.cli_principal(entry.agency, frozenset({Role.LIAISON}), Protection.DR)
        request = IngestRequest(path=entry.path, agency=entry.agency, mapping=entry.mapping,
                                defaults=entry.defaults)
        results.append((entry, ingest(Access(db, principal), request)))
    return results
