"""`emco demo generate`: a synthetic multi-service scenario with its hidden truth.

The world is made cell by cell (a network and the people around it), each cell seen by
the twelve services, written as it is made. Deterministic for a seed: the same seed and
scale give the same files, byte for byte.
"""

import json
import math
import os
import random
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import combinations
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from emco.demo.views import SERVICES, Viewer
from emco.demo.world import Cell, Investigation, Operation, WorldMaker
from emco.demo.writers import ScenarioWriter
from emco.errors import BadInput

PARIS = ZoneInfo("Europe/Paris")  # the world's times are French local times
CELLS_PER_SCALE = 3  # scale 1: three networks, a few thousand records
MAX_SCALE = 2000


@dataclass
class Generated:
    folder: Path
    networks: int = 0
    people: int = 0
    records: dict[str, int] = field(default_factory=dict)  # per service, calls included
    calls: int = 0
    overlaps: int = 0
    conflicts: int = 0
    under_assessed: int = 0

    @property
    def total(self) -> int:
        return sum(self.records.values())


def generate(seed: int, scale: float, out: Path, call_rate: float = 1.5,
             progress: Callable[[int, int], None] | None = None) -> Generated:
    """Write a scenario into `out` (created if needed; must be empty of a scenario)."""
    if not math.isfinite(scale) or scale <= 0 or scale > MAX_SCALE:
        raise BadInput(f"--scale must be above 0 and at most {MAX_SCALE} (got {scale})",
                       field="scale")
    if not math.isfinite(call_rate) or call_rate < 0 or call_rate > 1000:
        raise BadInput(f"--call-rate must be between 0 and 1000 (got {call_rate})",
                       field="call_rate")
    _prepare(out)
    work = out.parent / f".{out.name}.partial"  # written aside, moved in place when whole
    shutil.rmtree(work, ignore_errors=True)
    try:
        result = _write(seed, scale, call_rate, work, progress)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    for old in out.iterdir():  # a scenario written before: replaced whole
        if old.is_file():
            old.unlink()
    for new in work.iterdir():
        new.rename(out / new.name)
    work.rmdir()
    result.folder = out
    return result


def _write(seed: int, scale: float, call_rate: float, out: Path,
           progress: Callable[[int, int], None] | None) -> Generated:
    cells = max(1, round(CELLS_PER_SCALE * scale))
    maker = WorldMaker(seed)
    viewer = Viewer(random.Random(seed + 1), calls_per_contact_month=call_rate)
    writer = ScenarioWriter(out)
    result = Generated(out)
    networks: list[dict[str, Any]] = []
    under: list[dict[str, Any]] = []
    overlaps: list[dict[str, Any]] = []
    conflicts: list[dict[str, Any]] = []
    with (out / "investigations.jsonl").open("w", encoding="utf-8") as inv_fp, \
            (out / "operations.jsonl").open("w", encoding="utf-8") as op_fp:
        for index, cell in enumerate(maker.cells(cells)):
            for emit in viewer.views(cell):
                writer.emit(emit)
            _entities(writer, cell)
            networks.append({"id": cell.network.id, "name": cell.network.name,
                             "members": [{"entity": m, "role": cell.people[m].role()}
                                         for m in cell.network.members]})
            for inv in cell.investigations:
                inv_fp.write(json.dumps(_investigation(cell, inv), ensure_ascii=False) + "\n")
            for op in cell.operations:
                op_fp.write(json.dumps(_operation(cell, op), ensure_ascii=False) + "\n")
            overlaps.extend(_overlaps(cell.investigations))
            conflicts.extend(_conflicts(cell))
            under.extend({"entity": p, "agency": a, "declared": level, "criteria": crit}
                         for p, a, level, crit in cell.under_assessed)
            result.people += len(cell.people)
            if progress:
                progress(index + 1, cells)
    manifest = [_manifest_entry(agency) for agency in SERVICES if agency in writer.outputs]
    writer.finish(manifest, {"version": 1, "seed": seed, "scale": scale},
                  {"networks": networks, "overlaps": overlaps, "conflicts": conflicts,
                   "under_assessed": under})
    result.networks = cells
    result.records = writer.counts()
    result.calls = writer.calls()
    result.overlaps, result.conflicts, result.under_assessed = (
        len(overlaps), len(conflicts), len(under))
    return result


def _prepare(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise BadInput(f"{out} exists and is not a folder", field="out")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BadInput(f"cannot create {out}: {exc.strerror}", field="out") from None
    if not os.access(out, os.W_OK):
        raise BadInput(f"{out} is not writable", field="out")
    if any(out.iterdir()) and not (out / "truth.json").exists():
        raise BadInput(f"{out} is not empty and holds no scenario: choose an empty folder",
                       field="out")


def _entities(writer: ScenarioWriter, cell: Cell) -> None:
    for person in cell.people.values():
        writer.entity(person.id, "person", f"{person.name.first} {person.name.last}")
    for company in cell.companies.values():
        writer.entity(company.id, "company", company.name)
    for vehicle in cell.vehicles.values():
        writer.entity(vehicle.id, "vehicle", vehicle.plate)
    for account in cell.accounts.values():
        writer.entity(account.id, "account", account.iban)


def _investigation(cell: Cell, inv: Investigation) -> dict[str, Any]:
    """How a service registers its case: the targets as it knows them."""
    targets = []
    for pid in inv.targets:
        person = cell.people[pid]
        targets.append({"name": f"{person.name.first} {person.name.last}",
                        "birthDate": person.birth.isoformat(),
                        "phone": person.phones[-1].number})
    return {"agency": inv.agency, "reference": inv.reference, "title": inv.title,
            "opened": inv.opened.isoformat(), "targets": targets}


def _operation(cell: Cell, op: Operation) -> dict[str, Any]:
    """How a service registers its operation: the targets as it knows them (as
    `_investigation`), the window in French time with its offset."""
    targets = []
    for pid in op.targets:
        person = cell.people[pid]
        targets.append({"name": f"{person.name.first} {person.name.last}",
                        "birthDate": person.birth.isoformat(),
                        "phone": person.phones[-1].number})
    return {"agency": op.agency, "reference": op.reference, "kind": op.kind,
            "latitude": round(op.latitude, 6), "longitude": round(op.longitude, 6),
            "radius_m": op.radius_m, "start": op.start.replace(tzinfo=PARIS).isoformat(),
            "end": op.end.replace(tzinfo=PARIS).isoformat(), "targets": targets}


def _key(inv: Investigation) -> str:
    return f"{inv.agency}:{inv.reference}"


def _overlaps(investigations: list[Investigation]) -> list[dict[str, Any]]:
    """Cases of two services that share a true target."""
    out = []
    for a, b in combinations(investigations, 2):
        shared = sorted(set(a.targets) & set(b.targets))
        if a.agency != b.agency and shared:
            out.append({"investigations": sorted([_key(a), _key(b)]), "targets": shared})
    return out


def _conflicts(cell: Cell) -> list[dict[str, Any]]:
    """Operations of two services at the same place and time, on a target under another
    service's surveillance, or moving a detainee whose network another operation is
    aimed at."""
    out = []
    members = set(cell.network.members)
    for a, b in combinations(cell.operations, 2):
        if a.agency == b.agency:
            continue
        overlap_in_time = a.start < b.end and b.start < a.end
        pair = sorted([f"{a.agency}:{a.reference}", f"{b.agency}:{b.reference}"])
        kinds = {a.kind, b.kind}
        if "transfer" in kinds:
            other = b if a.kind == "transfer" else a
            transfer = a if a.kind == "transfer" else b
            near = abs((other.start - transfer.start).total_seconds()) < 86400
            if near and set(other.targets) & members:
                out.append({"operations": pair, "kind": "transfer"})
        elif "surveillance" in kinds and overlap_in_time and set(a.targets) & set(b.targets):
            out.append({"operations": pair, "kind": "surveillance"})
        elif overlap_in_time and _distance_m(a, b) <= a.radius_m + b.radius_m:
            out.append({"operations": pair, "kind": "place_time"})
    return out


def _distance_m(a: Operation, b: Operation) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a.latitude, a.longitude, b.latitude,
                                                b.longitude))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6_371_000 * math.asin(math.sqrt(h))


def _manifest_entry(agency: str) -> dict[str, Any]:
    service = SERVICES[agency]
    entry: dict[str, Any] = {"agency": agency}
    if service.format == "jsonl":
        entry["path"] = f"{agency.lower()}.jsonl"
    else:
        entry["path"] = f"{agency.lower()}.csv"
        entry["mapping"] = f"{agency.lower()}.yml"
    if service.format == "cdr":
        entry["kind"] = "calls"  # call detail records: a contact-graph loader may take them
    entry["defaults"] = dict(service.defaults)
    return entry
