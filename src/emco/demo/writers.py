"""Files of a scenario: one per service in its format, the manifest, and the truth.

Everything is written as it is made, so a large scenario takes bounded memory: entities
and record identities go to temporary JSON-lines files, assembled into `truth.json` at
the end.
"""

import csv
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
import yaml

from emco.demo.views import SERVICES, Emit
from emco.ingest.readers import CsvMappingParser

# The column layouts and FollowTheMoney mappings of the CSV services.
DECLARATIONS = "declarations.csv"  # services' declared handling of detainees
REGISTER = ["fiche", "nom", "prenom", "naissance", "telephone", "adresse", "immatriculation",
            "modele", "date_fiche", "societe", "siren", "saisie"]
REGISTER_MAPPING: dict[str, Any] = {
    "meta": {"observed": "date_fiche"},
    "entities": {
        "person": {"schema": "Person", "keys": ["fiche"], "properties": {
            "name": {"template": "{{prenom}} {{nom}}"},
            "firstName": {"column": "prenom"},
            "lastName": {"column": "nom", "required": True},
            "birthDate": {"column": "naissance", "format": "%d/%m/%Y"},
            "phone": {"column": "telephone"},
            "address": {"column": "adresse"}}},
        "vehicle": {"schema": "Vehicle", "keys": ["immatriculation"], "properties": {
            "registrationNumber": {"column": "immatriculation", "required": True},
            "model": {"column": "modele"}}},
        "use": {"schema": "UnknownLink", "keys": ["fiche", "immatriculation"],
                "properties": {"subject": {"entity": "person", "required": True},
                               "object": {"entity": "vehicle", "required": True},
                               "role": {"literal": "utilisateur du véhicule"}}},
        "company": {"schema": "Company", "keys": ["siren"], "properties": {
            "name": {"column": "societe", "required": True},
            "registrationNumber": {"column": "siren"}}},
        "seizure": {"schema": "Event", "keys": ["fiche", "saisie"], "properties": {
            "name": {"column": "saisie", "required": True},
            "date": {"column": "date_fiche"}, "location": {"column": "adresse"},
            "involved": {"entity": "person"}, "keywords": {"literal": "seizure"}}},
        "fleet": {"schema": "Ownership", "keys": ["siren", "immatriculation"], "properties": {
            "owner": {"entity": "company", "required": True},
            "asset": {"entity": "vehicle", "required": True},
            "role": {"literal": "propriétaire du véhicule"}}},
    },
}
CDR = ["appelant", "nom_appelant", "appele", "nom_appele", "debut", "duree", "cellule"]
CDR_MAPPING: dict[str, Any] = {
    "entities": {
        "caller": {"schema": "Person", "keys": ["appelant"], "properties": {
            "name": {"column": "nom_appelant"}, "phone": {"column": "appelant"}}},
        "receiver": {"schema": "Person", "keys": ["appele"], "properties": {
            "name": {"column": "nom_appele"}, "phone": {"column": "appele"}}},
        "call": {"schema": "Call", "keys": ["appelant", "appele", "debut"], "properties": {
            "caller": {"entity": "caller"}, "receiver": {"entity": "receiver"},
            "callerNumber": {"column": "appelant"}, "receiverNumber": {"column": "appele"},
            "startDate": {"column": "debut", "format": "%d/%m/%Y %H:%M:%S"},
            "duration": {"column": "duree"}, "description": {"column": "cellule"}}},
    },
}
DETAINEES = ["ecrou", "nom", "prenom", "naissance", "lieu_naissance", "etablissement",
             "date_ecrou", "escorte", "dps"]
DETAINEES_MAPPING: dict[str, Any] = {
    "delimiter": ";",  # as the register's spreadsheet export writes it
    "meta": {"observed": "date_ecrou"},
    "entities": {
        "detainee": {"schema": "Person", "keys": ["ecrou"], "properties": {
            "name": {"template": "{{prenom}} {{nom}}"},
            "firstName": {"column": "prenom"}, "lastName": {"column": "nom"},
            "birthDate": {"column": "naissance", "format": "%d/%m/%Y"},
            "birthPlace": {"column": "lieu_naissance"},
            "description": {"template": "Écroué le {{date_ecrou}} à {{etablissement}}. "
                                        "Niveau d'escorte : {{escorte}}. "
                                        "Détenu particulièrement signalé (DPS) : {{dps}}."}}},
    },
}
LAYOUTS: dict[str, tuple[list[str], dict[str, Any]]] = {
    "PPDRPJ": (REGISTER, REGISTER_MAPPING), "DGGN": (REGISTER, REGISTER_MAPPING),
    "SCRT": (REGISTER, REGISTER_MAPPING), "DNRED": (REGISTER, REGISTER_MAPPING),
    "DAP": (DETAINEES, DETAINEES_MAPPING), "DNPJ": (CDR, CDR_MAPPING),
}


@dataclass
class _Output:
    path: Path
    fp: IO[str]
    csv: Any = None
    parser: CsvMappingParser | None = None
    lines: int = 1  # the header
    seen: set[str] = field(default_factory=set)
    records: int = 0
    calls: int = 0


class ScenarioWriter:
    """Writes emitted entities to their service's file and their identity to the truth."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.work = folder / ".truth-parts"
        self.work.mkdir(parents=True, exist_ok=True)
        self.outputs: dict[str, _Output] = {}
        self.truth_records = (self.work / "records.jsonl").open("wb")
        self.truth_entities = (self.work / "entities.jsonl").open("wb")
        self.declarations: tuple[IO[str], Any] | None = None
        self.declaring = ""

    def _output(self, agency: str) -> _Output:
        out = self.outputs.get(agency)
        if out is not None:
            return out
        service = SERVICES[agency]
        if service.format == "jsonl":
            path = self.folder / f"{agency.lower()}.jsonl"
            out = _Output(path, path.open("w", encoding="utf-8"))
        else:
            columns, mapping = LAYOUTS[agency]
            path = self.folder / f"{agency.lower()}.csv"
            (self.folder / f"{agency.lower()}.yml").write_text(
                yaml.safe_dump(mapping, allow_unicode=True, sort_keys=False), encoding="utf-8")
            fp = path.open("w", encoding="utf-8", newline="")
            writer = csv.writer(fp, delimiter=mapping.get("delimiter", ","))
            writer.writerow(columns)
            parser = CsvMappingParser(mapping, agency, "utf-8", str(path))
            parser.header = columns
            out = _Output(path, fp, writer, parser)
        self.outputs[agency] = out
        return out

    def emit(self, e: Emit) -> None:
        out = self._output(e.agency)
        if e.record is not None:
            out.fp.write(json.dumps(e.record, ensure_ascii=False) + "\n")
            self._truth(e.agency, e.record["id"], e.truth, out, dedupe=False)  # ids unique
            return
        assert e.row is not None
        assert out.parser is not None
        columns = out.parser.header
        values = [e.row.get(c, "") for c in columns]
        out.csv.writerow(values)
        out.lines += 1
        parsed = out.parser.parse((out.lines, values))
        if isinstance(parsed, list):
            for raw in parsed:
                truth = e.truths.get(raw.mapping_name or "")
                if truth:
                    call = raw.schema == "Call"
                    out.calls += call
                    self._truth(e.agency, raw.source_id, truth, out, dedupe=not call)
                if raw.mapping_name == "detainee" and "escorte" in e.row:
                    self._declare(e.agency, raw.source_id, e.row)

    def _declare(self, agency: str, source_id: str, row: dict[str, Any]) -> None:
        """The service's declared handling of a detainee, as a structured row beside the
        register's free text (`declarations.csv`, loaded by `emco demo load`)."""
        if self.declarations is None:
            fp = (self.folder / DECLARATIONS).open("w", encoding="utf-8", newline="")
            self.declarations = (fp, csv.writer(fp))
            self.declarations[1].writerow(["agency", "source_id", "escort", "dps"])
            self.declaring = agency  # the manifest names the (one) declaring service
        level = re.search(r"niveau\s+([1-4])", str(row["escorte"]))
        dps = "oui" if str(row.get("dps", "")).strip().lower() in ("oui", "yes") else "non"
        self.declarations[1].writerow([agency, source_id, level.group(1) if level else "",
                                       dps])

    def _truth(self, agency: str, source_id: str, entity: str, out: _Output,
               dedupe: bool = True) -> None:
        if dedupe:
            if source_id in out.seen:
                return
            out.seen.add(source_id)
        out.records += 1
        self.truth_records.write(orjson.dumps(
            {"agency": agency, "source_id": source_id, "entity": entity}) + b"\n")

    def entity(self, entity_id: str, kind: str, name: str) -> None:
        self.truth_entities.write(orjson.dumps([entity_id, {"kind": kind, "name": name}])
                                  + b"\n")

    def finish(self, manifest: list[dict[str, Any]], header: dict[str, Any],
               sections: dict[str, Any]) -> None:
        """Close the files, write the manifest and assemble truth.json."""
        for out in self.outputs.values():
            out.fp.close()
        if self.declarations is not None:
            self.declarations[0].close()
            manifest = [*manifest, {"agency": self.declaring, "path": DECLARATIONS,
                                    "kind": "declarations"}]
        self.truth_records.close()
        self.truth_entities.close()
        (self.folder / "manifest.yml").write_text(
            yaml.safe_dump({"files": manifest}, allow_unicode=True, sort_keys=False),
            encoding="utf-8")
        with (self.folder / "truth.json").open("wb") as fp:
            head = orjson.dumps(header)[:-1]  # without the closing brace
            fp.write(head + b',\n"records": [\n')
            _copy_lines(self.work / "records.jsonl", fp, b",\n")
            fp.write(b'\n],\n"entities": {\n')
            first = True
            with (self.work / "entities.jsonl").open("rb") as src:
                for line in src:
                    key, value = orjson.loads(line)
                    fp.write((b"" if first else b",\n") + orjson.dumps(key) + b": "
                             + orjson.dumps(value))
                    first = False
            fp.write(b"\n}")
            for name, value in sections.items():
                fp.write(b',\n"' + name.encode() + b'": ' + orjson.dumps(value))
            fp.write(b"\n}\n")
        shutil.rmtree(self.work)

    def counts(self) -> dict[str, int]:
        return {agency: out.records for agency, out in self.outputs.items()}

    def calls(self) -> int:
        return sum(out.calls for out in self.outputs.values())


def _copy_lines(path: Path, fp: IO[bytes], separator: bytes) -> None:
    first = True
    with path.open("rb") as src:
        for line in src:
            fp.write((b"" if first else separator) + line.rstrip(b"\n"))
            first = False
