"""The signal catalogue: the packaged file reads, and a bad file is refused with its line."""

from pathlib import Path

import pytest

from emco.errors import BadInput
from emco.risk import catalogue
from emco.risk.catalogue import CRITERIA, SIGNAL_TYPES

GOOD = catalogue.DEFAULT_PATH.read_text(encoding="utf-8")


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "signals.yml"
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(text: str, needle: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if needle in line)


def test_packaged_catalogue_covers_every_type_of_the_issue() -> None:
    cat = catalogue.load()
    assert set(cat.signals) == set(SIGNAL_TYPES)
    assert cat.version
    assert all(t.weight >= 0 and t.half_life_days > 0 for t in cat.signals.values())
    assert {c for t in cat.signals.values() for c in t.criteria} == set(CRITERIA)
    assert cat.by_keyword()["escape_attempt"] == "escape_attempt"
    assert cat.by_keyword()["phone_in_cell"] == "phone_in_prison"
    assert [lv.name for lv in cat.levels] == ["low", "moderate", "high", "critical"]
    assert cat.level_of(0.1) == "low"
    assert cat.level_of(10) == "critical"
    assert cat.label("escape_attempt", "en") == "Escape or escape attempt"


def test_unknown_signal_type_is_refused_with_its_line(tmp_path: Path) -> None:
    text = GOOD.replace("  recidivism:\n", "  jaywalking:\n")
    with pytest.raises(BadInput, match=rf"line {_line_of(text, 'jaywalking')}: .*"
                                       r"unknown signal type 'jaywalking'"):
        catalogue.load(_write(tmp_path, text))


def test_unknown_type_referred_to_is_refused(tmp_path: Path) -> None:
    text = GOOD.replace("  signal: organised_crime_role", "  signal: gang_membership")
    with pytest.raises(BadInput, match=rf"line {_line_of(text, 'gang_membership')}: "
                                       r"network_roles.signal: unknown signal type"):
        catalogue.load(_write(tmp_path, text))


def test_negative_weight_is_refused_with_its_line(tmp_path: Path) -> None:
    text = GOOD.replace("    weight: 0.4\n", "    weight: -0.4\n")
    with pytest.raises(BadInput, match=rf"line {_line_of(text, '-0.4')}: "
                                       r"signals.recidivism.weight: must be at least 0"):
        catalogue.load(_write(tmp_path, text))


def test_missing_field_is_refused_with_the_line_of_its_signal(tmp_path: Path) -> None:
    text = GOOD.replace("    half_life_days: 365\n", "")  # phone_in_prison's
    line = _line_of(text, 'label: {fr: "Téléphone')
    with pytest.raises(BadInput, match=rf"line {line}: signals.phone_in_prison: "
                                       r"missing field 'half_life_days'"):
        catalogue.load(_write(tmp_path, text))


def test_unknown_field_and_criterion_are_refused(tmp_path: Path) -> None:
    text = GOOD.replace("    weight: 0.4\n", "    wieght: 0.4\n")
    with pytest.raises(BadInput, match=r"unknown field 'wieght'"):
        catalogue.load(_write(tmp_path, text))
    text = GOOD.replace("criteria: [collective_movements]", "criteria: [mutiny]")
    with pytest.raises(BadInput, match=rf"line {_line_of(text, 'mutiny')}: .*"
                                       r"unknown criterion 'mutiny'"):
        catalogue.load(_write(tmp_path, text))


def test_a_keyword_given_to_two_types_and_falling_levels_are_refused(tmp_path: Path) -> None:
    text = GOOD.replace("keywords: [recidivism]", "keywords: [phone_in_cell]")
    with pytest.raises(BadInput, match=r"'phone_in_cell' is already a keyword"):
        catalogue.load(_write(tmp_path, text))
    text = GOOD.replace("high: {score: 2.0, escort: 2}", "high: {score: 0.5, escort: 2}")
    with pytest.raises(BadInput, match=r"levels must rise"):
        catalogue.load(_write(tmp_path, text))
    with pytest.raises(BadInput, match=r"not a readable YAML"):
        catalogue.load(_write(tmp_path, "signals: [unclosed"))
