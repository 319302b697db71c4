"""Reading a scenario's truth.json: the typed result, and each mistake named with its key
and position."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from emco.demo.truth import Conflict, Entity, Member, Network, UnderAssessed, read_truth
from emco.errors import BadInput
from emco.model.enums import ConflictKind, NetworkRole

GOOD: dict[str, Any] = {
    "version": 1, "seed": 7, "scale": 1,
    "records": [{"agency": "SNRP", "source_id": "snrp-p-0457", "entity": "P000123"},
                {"agency": "DAP", "source_id": "dap-1", "entity": "P000123"},
                {"agency": "OFAST", "source_id": "o-t1", "entity": "T000001",
                 "file": "ofast.jsonl"}],  # a key of a later version is ignored
    "entities": {"P000123": {"kind": "person", "name": "Karim BELKACEM"},
                 "T000001": {"kind": "phone", "name": "+33612345678"}},
    "networks": [{"id": "N01", "name": "Évreux", "members": [
        {"entity": "P000123", "role": "head"}, {"entity": "P000200", "role": "retail"}]}],
    "overlaps": [{"investigations": ["OFAST:2024-017", "DNPJ:2024-203"],
                  "targets": ["P000123"]}],
    "conflicts": [{"operations": ["OFAST:OP-12", "DGGN:OP-3"], "kind": "place_time"}],
    "under_assessed": [{"entity": "P000123", "agency": "DAP", "declared": "escort level 1",
                        "criteria": ["escape_attempt", "organised_crime"]}],
}


def _write(folder: Path, data: Any) -> Path:
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    (folder / "truth.json").write_text(text, encoding="utf-8")
    return folder


def _error(tmp_path: Path, data: Any) -> str:
    with pytest.raises(BadInput) as caught:
        read_truth(_write(tmp_path, data))
    message = caught.value.message
    assert message.startswith(f"{tmp_path / 'truth.json'}: ")
    return message.removeprefix(f"{tmp_path / 'truth.json'}: ")


DELETE = object()


def _with(path: str, value: Any) -> dict[str, Any]:
    """GOOD with the value at a dotted path ("records.0.agency") replaced, or removed
    when `value` is DELETE."""
    data = copy.deepcopy(GOOD)
    *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
    target: Any = data
    for p in parents:
        target = target[p]
    if value is DELETE:
        del target[last]
    else:
        target[last] = value
    return data


def test_a_good_file_reads_typed(tmp_path: Path) -> None:
    truth = read_truth(_write(tmp_path, GOOD))
    assert (truth.version, truth.seed, truth.scale) == (1, 7, 1.0)
    assert truth.records == {("SNRP", "snrp-p-0457"): "P000123",
                             ("DAP", "dap-1"): "P000123", ("OFAST", "o-t1"): "T000001"}
    assert truth.entities["P000123"] == Entity("person", "Karim BELKACEM")
    assert truth.networks == [Network("N01", "Évreux", (
        Member("P000123", NetworkRole.HEAD), Member("P000200", NetworkRole.RETAIL)))]
    assert truth.overlaps[0].investigations == ("OFAST:2024-017", "DNPJ:2024-203")
    assert truth.conflicts == [Conflict(("OFAST:OP-12", "DGGN:OP-3"),
                                        ConflictKind.PLACE_TIME)]
    assert truth.under_assessed == [UnderAssessed("P000123", "DAP", "escort level 1",
                                                  ("escape_attempt", "organised_crime"))]


def test_the_file_itself_may_be_named(tmp_path: Path) -> None:
    _write(tmp_path, GOOD)
    assert len(read_truth(tmp_path / "truth.json").records) == 3


def test_empty_sections_are_fine(tmp_path: Path) -> None:
    data = {**GOOD, "records": [], "entities": {}, "networks": [], "overlaps": [],
            "conflicts": [], "under_assessed": []}
    assert read_truth(_write(tmp_path, data)).records == {}


def test_a_record_listed_twice_alike_counts_once(tmp_path: Path) -> None:
    data = _with("records", [*GOOD["records"], GOOD["records"][0]])
    assert len(read_truth(_write(tmp_path, data)).records) == 3


def test_missing_folder_or_file(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="nowhere: no such folder or file"):
        read_truth(tmp_path / "nowhere")
    with pytest.raises(BadInput, match=r"truth.json: no such file \(a scenario folder"):
        read_truth(tmp_path)


@pytest.mark.parametrize(("data", "message"), [
    ('{"version": 1,\n "seed": 7,, }', "not valid JSON at line 2, column 12"),
    ("[1, 2]", "expected a JSON object with the keys version, seed, scale, records"),
    (_with("version", DELETE), "version: missing"),
    (_with("version", 2), "version 2 is not supported; this EMCO reads version 1"),
    (_with("version", "1"), "version '1' is not supported"),
    (_with("networks", DELETE), "networks: missing"),
    (_with("seed", True), "seed: expected an integer, got a boolean true"),
    (_with("scale", "big"), 'scale: expected a number, got a string "big"'),
    (_with("records", {}), "records: expected a list, got an object"),
    (_with("records.1", "dap-1"), 'records[1]: expected an object, got a string "dap-1"'),
    (_with("records.1.source_id", DELETE), "records[1].source_id: missing"),
    (_with("records.2.agency", 12), "records[2].agency: expected a non-empty string, "
                                    "got a number 12"),
    (_with("records.0.entity", ""), "records[0].entity: expected a non-empty string"),
    (_with("records.1", {"agency": "SNRP", "source_id": "snrp-p-0457", "entity": "P9"}),
     "records[1]: SNRP:snrp-p-0457 is given as P9, and as P000123 earlier"),
    (_with("entities.T000001.name", DELETE), "entities['T000001'].name: missing"),
    (_with("networks.0.members.1.role", "boss"),
     "networks[0].members[1].role: 'boss' is not one of head, lieutenant, logistics, "
     "retail, finance, enforcer, supplier"),
    (_with("networks.0.members", None), "networks[0].members: expected a list, got null"),
    (_with("overlaps.0.targets.0", 5), "overlaps[0].targets[0]: expected a non-empty "
                                       "string, got a number 5"),
    (_with("conflicts.0.kind", "time"),
     "conflicts[0].kind: 'time' is not one of place_time, surveillance, transfer"),
    (_with("under_assessed.0.criteria", "escape_attempt"),
     "under_assessed[0].criteria: expected a list"),
])
def test_mistakes_are_named_with_their_position(tmp_path: Path, data: Any,
                                                message: str) -> None:
    assert _error(tmp_path, data).startswith(message)


def test_not_utf8(tmp_path: Path) -> None:
    (tmp_path / "truth.json").write_bytes(b'{"version": 1, "seed": "\xff"}')
    with pytest.raises(BadInput, match="not UTF-8 text"):
        read_truth(tmp_path)
