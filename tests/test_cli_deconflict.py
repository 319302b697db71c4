"""`emco investigation`, `emco hit`, `emco deconflict check`, and the scenario's
investigations through `emco demo load` and `emco demo evaluate` (typer's CliRunner,
in-process, against real databases: see tests/test_cli.py)."""

import json
from pathlib import Path

import pytest

from emco.demo.generate import generate
from emco.store.db import Database
from tests.test_cli import _fresh_settings, invoke, store

__all__ = ["_fresh_settings", "store"]


def _json(*args: str) -> object:
    result = invoke(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_register_target_check_and_ask(store: Database) -> None:
    made = _json("investigation", "add", "--agency", "ofast", "--reference", "OFAST-2026-042",
                 "--title", "Trafic Marseille nord", "--contact-name", "Cdt Durand",
                 "--contact-phone", "01 40 00 00 42", "--opened", "2026-01-05")
    assert (made["agency"], made["status"], made["targets"]) == ("OFAST", "open", [])  # type: ignore[index]
    added = _json("investigation", "target", "add", "OFAST:OFAST-2026-042", "--kind", "phone",
                  "--value", "06 12 34 56 78")
    assert (added["key"], added["overlap_alerts"]) == ("+33612345678", [])  # type: ignore[index]
    _json("investigation", "add", "--agency", "DNPJ", "--reference", "D-1", "--title", "Go-fast",
          "--contact-name", "Cdt Martin")
    other = _json("investigation", "target", "add", "DNPJ:D-1", "--kind", "person",
                  "--value", "Karim BENALI", "--birth-date", "1988-05-02")
    assert other["value"] == {"name": "Karim BENALI", "birth_date": "1988-05-02"}  # type: ignore[index]
    shared = _json("investigation", "target", "add", "DNPJ:D-1", "--kind", "phone",
                   "--value", "+33612345678")
    assert len(shared["overlap_alerts"]) == 1  # type: ignore[index]
    checked = _json("deconflict", "check")
    assert checked == {"rematched": 0, "pairs": 1, "raised": 0, "updated": 0}
    listed = _json("investigation", "list")
    assert [i["reference"] for i in listed] == ["D-1", "OFAST-2026-042"]  # type: ignore[union-attr,index]
    asked = _json("hit", "--kind", "phone", "--value", "0612345678", "--agency", "OFAST")
    assert (asked["hit"], [c["agency"] for c in asked["contacts"]]) == (True, ["DNPJ"])  # type: ignore[index]
    nothing = invoke("hit", "--kind", "plate", "--value", "AB-123-CD")
    assert (nothing.exit_code, nothing.stdout.strip()) == (0, "No hit.")
    closed = invoke("investigation", "status", "DNPJ:D-1", "closed")
    assert closed.exit_code == 0
    assert "closed" in closed.stdout


@pytest.mark.parametrize(("args", "words"), [
    (["investigation", "add", "--agency", "NOPE", "--reference", "R", "--title", "T",
      "--contact-name", "C"], "unknown agency 'NOPE'"),
    (["investigation", "add", "--agency", "OFAST", "--reference", "R", "--title", "T",
      "--contact-name", "C", "--opened", "05/01/2026"], "--opened"),
    (["investigation", "target", "add", "OFAST:NONE", "--kind", "phone", "--value", "06"],
     "not a valid phone"),
    (["investigation", "target", "add", "OFAST:NONE", "--kind", "phone", "--value",
      "0612345678"], "no investigation OFAST:NONE"),
    (["investigation", "target", "add", "NONE", "--kind", "phone", "--value", "0612345678"],
     "AGENCY:REFERENCE"),
    (["hit", "--kind", "person", "--value", "Karim BENALI"], "needs a birth date"),
])
def test_bad_input_exits_2_with_the_reason(store: Database, args: list[str],
                                           words: str) -> None:
    result = invoke(*args)
    assert result.exit_code == 2, result.output
    assert words in result.output


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_the_scenario_overlaps_are_all_found_and_none_invented(
        store: Database, tmp_path: Path) -> None:
    folder = tmp_path / "scenario"
    generate(7, 0.67, folder)  # two networks: overlaps within each, none between them
    loaded = invoke("demo", "load", str(folder))
    assert loaded.exit_code == 0, loaded.output
    assert any(line.startswith("Deconfliction: ") for line in loaded.stdout.splitlines())
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    evaluated = _json("demo", "evaluate", str(folder))
    assert evaluated["deconflict"]["overlaps"] == {  # type: ignore[index]
        "found": len(truth["overlaps"]), "missed": 0, "false": 0}
    assert truth["overlaps"]
    again = _json("deconflict", "check")
    assert (again["raised"], again["updated"]) == (0, 0)  # type: ignore[index]
