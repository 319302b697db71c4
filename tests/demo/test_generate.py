"""The synthetic scenario: deterministic, consistent with its truth, and shaped like the
cases the platform is for."""

import json
import os
import subprocess
import sys
import unicodedata
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from emco.access.gate import Access
from emco.demo.evaluate import evaluate
from emco.demo.generate import generate
from emco.demo.load import load_folder, read_manifest
from emco.demo.truth import read_truth
from emco.errors import BadInput
from emco.ingest.pipeline import ingest
from emco.model.enums import Protection, Role
from emco.settings import Settings
from emco.store.db import Database
from tests.factories import principal


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scenario")
    generate(7, 1.0, out)
    return out


def truth_of(folder: Path) -> dict[str, Any]:
    return json.loads((folder / "truth.json").read_text(encoding="utf-8"))


def test_a_seed_gives_the_same_files_in_any_process(tmp_path: Path) -> None:
    """Byte for byte, whatever the process's string hashing."""
    digests = []
    for hash_seed in ("1", "2"):
        out = tmp_path / hash_seed
        subprocess.run([sys.executable, "-c", "import sys; from pathlib import Path; "
                        "from emco.demo.generate import generate; "
                        "generate(11, 0.34, Path(sys.argv[1]))", str(out)],
                       env={**os.environ, "PYTHONHASHSEED": hash_seed}, check=True)
        digests.append({p.name: p.read_bytes() for p in sorted(out.iterdir())})
    assert digests[0].keys() == digests[1].keys()
    for name in digests[0]:
        assert digests[0][name] == digests[1][name], name


def test_another_seed_gives_another_world(tmp_path: Path, scenario: Path) -> None:
    generate(8, 1.0, tmp_path / "other")
    assert (tmp_path / "other" / "ofast.jsonl").read_bytes() != \
        (scenario / "ofast.jsonl").read_bytes()


def test_every_service_has_a_file_of_its_format(scenario: Path) -> None:
    manifest = read_manifest(scenario)
    # the DAP's declared levels are a file of their own, not records (emco.risk)
    assert [e.path.name for e in manifest if e.kind == "declarations"] == ["declarations.csv"]
    entries = {e.agency: e for e in manifest if e.kind != "declarations"}
    assert len(entries) == 12
    assert "EMCO" not in entries
    for agency, entry in entries.items():
        assert entry.path.is_file(), agency
        assert entry.path.stat().st_size > 0, agency
        if entry.path.suffix == ".csv":
            assert entry.mapping is not None, agency
            assert entry.mapping.is_file(), agency
    jsonl = [e for e in entries.values() if e.path.suffix == ".jsonl"]
    assert 4 <= len(jsonl) <= 8  # a mix of formats


@pytest.mark.parametrize(("scale", "message"), [(0, "above 0"), (-1, "above 0"),
                                                (float("nan"), "above 0"),
                                                (10_000, "at most")])
def test_bad_scale_is_refused(tmp_path: Path, scale: float, message: str) -> None:
    with pytest.raises(BadInput, match=message):
        generate(7, scale, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_a_folder_that_is_not_a_scenario_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(BadInput, match="not empty"):
        generate(7, 0.34, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["notes.txt"]
    with pytest.raises(BadInput, match="not a folder"):
        generate(7, 0.34, tmp_path / "notes.txt")


def test_an_unwritable_folder_is_named(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        # root writes anywhere: then a path that cannot be made
        target = Path("/proc/emco-scenario") if os.access(locked, os.W_OK) \
            else locked / "scenario"
        with pytest.raises(BadInput, match=r"cannot create|not writable"):
            generate(7, 0.34, target)
    finally:
        locked.chmod(0o700)


def test_a_scenario_is_replaced_whole(tmp_path: Path) -> None:
    generate(7, 0.34, tmp_path)
    first = (tmp_path / "truth.json").read_bytes()
    generate(9, 0.34, tmp_path)
    assert (tmp_path / "truth.json").read_bytes() != first
    assert not any(p.name.startswith(".") for p in tmp_path.parent.iterdir()
                   if p.name.endswith(".partial"))


def test_heads_are_insulated_and_networks_are_whole(scenario: Path) -> None:
    truth = truth_of(scenario)
    assert len(truth["networks"]) == 3
    for network in truth["networks"]:
        roles = defaultdict(list)
        for member in network["members"]:
            roles[member["role"]].append(member["entity"])
        assert 1 <= len(roles["head"]) <= 2
        assert roles["lieutenant"]
        assert roles["retail"]
        assert roles["supplier"]
        assert set(roles) <= {"head", "lieutenant", "logistics", "retail", "finance",
                              "enforcer", "supplier"}


def test_the_amra_pattern_is_split_across_services(scenario: Path) -> None:
    """The detained head: prison intelligence knows the escape attempt and the phone in
    his cell, the judge the murder charge and that he runs the network, the prison
    administration holds him at a low escort level; nobody holds it all."""
    truth = truth_of(scenario)
    head = truth["under_assessed"][0]["entity"]
    assert truth["under_assessed"][0]["agency"] == "DAP"
    records = {(r["agency"], r["source_id"]): r["entity"] for r in truth["records"]}
    mine = {key for key, entity in records.items() if entity == head}
    agencies = {agency for agency, _ in mine}
    assert {"SNRP", "DACG", "DAP"} <= agencies
    keywords: dict[str, set[str]] = defaultdict(set)
    for agency in ("SNRP", "DACG"):
        ids = {sid for a, sid in mine if a == agency}
        for line in (scenario / f"{agency.lower()}.jsonl").read_text().splitlines():
            entity = json.loads(line)
            if entity["schema"] == "Event" and set(entity["properties"]["involved"]) & ids:
                keywords[agency] |= set(entity["properties"].get("keywords", []))
    assert {"escape_attempt", "phone_in_cell", "threats_against_staff"} <= keywords["SNRP"]
    assert {"homicide", "organised_crime_head"} <= keywords["DACG"]
    dap = (scenario / "dap.csv").read_text(encoding="utf-8")
    assert "escorte niveau 1" in dap


def test_the_same_person_is_written_differently_by_different_services(
        scenario: Path) -> None:
    truth = truth_of(scenario)
    names: dict[str, set[str]] = defaultdict(set)
    jsonl = {e.agency for e in read_manifest(scenario) if e.path.suffix == ".jsonl"}
    by_key = {(r["agency"], r["source_id"]): r["entity"] for r in truth["records"]}
    for agency in jsonl:
        for line in (scenario / f"{agency.lower()}.jsonl").read_text().splitlines():
            entity = json.loads(line)
            if entity["schema"] == "Person":
                names[by_key[(agency, entity["id"])]].add(entity["properties"]["name"][0])
    varied = [n for n in names.values() if len(n) > 1]
    assert len(varied) >= 10
    assert truth["overlaps"]
    assert truth["conflicts"]
    assert {c["kind"] for c in truth["conflicts"]} == {"place_time", "surveillance", "transfer"}


def test_arabic_script_appears_at_a_larger_scale(tmp_path: Path) -> None:
    generate(7, 4, tmp_path)
    text = (tmp_path / "dgse.jsonl").read_text(encoding="utf-8")
    assert any(unicodedata.name(c, "").startswith("ARABIC") for c in text)


def test_the_scenario_loads_whole_and_matches_its_truth(db: Database, settings: Settings,
                                                        scenario: Path) -> None:
    results = load_folder(db, scenario, lambda access, request: ingest(
        access, request, region="FR", retention_years=20,
        quarantine_dir=settings.quarantine_dir, chunk_size=5000, workers=0))
    for entry, summary in results:
        assert summary.rejected == 0, (entry.agency, summary.first_errors)
    operator = Access(db, principal("EMCO", Role.OPERATOR, clearance=Protection.DR))
    result = evaluate(operator, read_truth(scenario))
    assert result.store.ok, result.store.message()
    assert result.to_dict()["store"]["missing"] == 0


def test_every_number_and_plate_of_the_world_is_valid() -> None:
    """Numbers of every supplier country, and plates, read back through ingestion's
    normalisers (a wrong length would quarantine a service's rows)."""
    from emco.demo.world import WorldMaker
    from emco.ingest.normalize import normalize_identifier, normalize_phone

    numbers, plates, countries = set(), set(), set()
    for cell in WorldMaker(3).cells(40):
        for person in cell.people.values():
            countries.add(person.nationality)
            numbers.update(phone.number for phone in person.phones)
        plates.update(vehicle.plate for vehicle in cell.vehicles.values())
    assert {"NL", "ES", "BE", "MA"} & countries
    for number in numbers:
        assert normalize_phone(number, "FR") == number
    for plate in plates:
        assert normalize_identifier(plate) == plate
    assert len(numbers) > 1000
