"""The documentation keeps up with the code: every setting and every declared dependency
is described (as in Datasette's tests/test_docs.py)."""

import re
import tomllib
from pathlib import Path

import pytest

from emco.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
# Variables that docs/settings.md describes but that are not settings of the platform.
TEST_VARIABLES = {"EMCO_TEST_POSTGRES_URL"}


def _env_name(field: str) -> str:
    return f"{Settings.model_config.get('env_prefix', '')}{field}".upper()


def _mentions(text: str, name: str) -> bool:
    """`name` appears as a whole word (EMCO_PORT is not found in EMCO_PORTAL)."""
    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text) is not None


def _normalise(name: str) -> str:
    """A distribution name as PEP 503 compares them: `PyYAML`, `pyyaml` and `py_yaml` meet."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _name(spec: str) -> str:
    """The distribution name of a requirement: `psycopg[binary]>=3.2,<4` gives `psycopg`."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
    assert match, f"cannot read the dependency {spec!r}"
    return match.group(1)


def _declared() -> list[str]:
    """Names of the dependencies in pyproject.toml, without extras, versions or markers."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    specs = [*project["project"]["dependencies"],
             *project.get("dependency-groups", {}).get("dev", [])]
    # An {include-group = "..."} table names a group, not a package.
    return [_name(spec) for spec in specs if isinstance(spec, str)]


@pytest.mark.parametrize("field", sorted(Settings.model_fields))
def test_every_setting_is_documented(field: str) -> None:
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    assert _mentions(text, _env_name(field)), f"docs/settings.md lacks {_env_name(field)}"


def test_documented_settings_exist() -> None:
    text = (DOCS / "settings.md").read_text(encoding="utf-8")
    known = {_env_name(f) for f in Settings.model_fields} | TEST_VARIABLES
    documented = set(re.findall(r"(?<![A-Za-z0-9_])EMCO_[A-Z0-9_]*[A-Z0-9]", text))
    assert documented - known == set(), "docs/settings.md names settings that do not exist"


@pytest.mark.parametrize("name", _declared())
def test_every_dependency_is_documented(name: str) -> None:
    text = (DOCS / "dependencies.md").read_text(encoding="utf-8")
    words = {_normalise(w.strip("._-")) for w in re.findall(r"[A-Za-z0-9][A-Za-z0-9._-]*", text)}
    assert _normalise(name) in words, f"docs/dependencies.md lacks {name}"


@pytest.mark.parametrize(("spec", "name"), [
    ("psycopg[binary]>=3.2,<4", "psycopg"),
    ("types-pyyaml", "types-pyyaml"),
    ("pydantic-settings >=2.10; python_version < '3.12'", "pydantic-settings"),
    ("zope.interface==7", "zope.interface"),
])
def test_name_strips_extras_versions_and_markers(spec: str, name: str) -> None:
    assert _name(spec) == name
