"""The hidden ground truth of a synthetic scenario: `truth.json`, next to `manifest.yml`.

Version 1, agreed with the scenario generator:

    {"version": 1, "seed": 7, "scale": 1.0,
     "records": [{"agency": "SNRP", "source_id": "snrp-p-0457", "entity": "P000123"}, ...],
     "entities": {"P000123": {"kind": "person", "name": "Karim BELKACEM"}, ...},
     "networks": [{"id": "N01", "name": "...",
                   "members": [{"entity": "P000123", "role": "head"}, ...]}],
     "overlaps": [{"investigations": ["OFAST:2024-017", "DNPJ:2024-203"],
                   "targets": ["P000123"]}],
     "conflicts": [{"operations": ["OFAST:OP-12", "DGGN:OP-3"], "kind": "place_time"}],
     "under_assessed": [{"entity": "P000123", "agency": "DAP", "declared": "escort level 1",
                         "criteria": ["escape_attempt", "organised_crime"]}]}

`records` gives the true identity of every record of every agency file; entity ids are the
world's (P… people, T… phones, V… vehicles, A… accounts, C… companies, H… addresses,
L… links and events). Every key is required; a mistake is reported with its position
(`records[12].source_id`). Cross-references (a network member that `entities` lacks) are
not checked: the evaluators compare ids, they never look entities up.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from emco.errors import BadInput
from emco.model.enums import ConflictKind, NetworkRole

VERSION = 1
FILENAME = "truth.json"

RecordKey = tuple[str, str]  # (agency, source id): a record as its service names it
E = TypeVar("E", NetworkRole, ConflictKind)


@dataclass(frozen=True, slots=True)
class Entity:
    kind: str  # person, phone, vehicle, account, company, address, link, ...
    name: str


@dataclass(frozen=True, slots=True)
class Member:
    entity: str
    role: NetworkRole


@dataclass(frozen=True, slots=True)
class Network:
    id: str
    name: str
    members: tuple[Member, ...]


@dataclass(frozen=True, slots=True)
class Overlap:
    """Investigations of several services that share targets."""

    investigations: tuple[str, ...]  # "AGENCY:reference"
    targets: tuple[str, ...]  # entity ids


@dataclass(frozen=True, slots=True)
class Conflict:
    """Operations of several services that must be deconflicted."""

    operations: tuple[str, ...]  # "AGENCY:reference"
    kind: ConflictKind


@dataclass(frozen=True, slots=True)
class UnderAssessed:
    """A person whom one service rates below what the joined signals show."""

    entity: str
    agency: str
    declared: str  # the service's own level, as it words it
    criteria: tuple[str, ...]  # the signals that should have raised it


@dataclass(frozen=True, eq=False)
class Truth:
    version: int
    seed: int
    scale: float
    # (agency, source id) -> world entity id, one entry per record: this mapping is also
    # the true clustering of the records (records of one entity form one cluster).
    records: dict[RecordKey, str]
    entities: dict[str, Entity]
    networks: list[Network]
    overlaps: list[Overlap]
    conflicts: list[Conflict]
    under_assessed: list[UnderAssessed]


def read_truth(path: Path) -> Truth:
    """Read and check a scenario's truth: `path` is the scenario folder or the file itself.

    Raises `BadInput` naming the file, and the key and position of the first mistake."""
    if not path.exists():
        raise BadInput(f"{path}: no such folder or file", field="path")
    file = path / FILENAME if path.is_dir() else path
    if not file.is_file():
        raise BadInput(f"{file}: no such file (a scenario folder holds its hidden truth in "
                       f"{FILENAME}, next to manifest.yml)", field="path")
    try:
        with file.open("rb") as fp:
            # The hook turns each record into its final (key, entity) pair as it is
            # parsed, so a million records never exist as a million dicts at once.
            data = json.load(fp, object_hook=_RecordHook())
    except json.JSONDecodeError as exc:
        raise BadInput(f"{file}: not valid JSON at line {exc.lineno}, column {exc.colno} "
                       f"({exc.msg})") from None
    except UnicodeDecodeError as exc:
        raise BadInput(f"{file}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    try:
        return _truth(data)
    except _Bad as exc:
        raise BadInput(f"{file}: {exc}") from None


class _Bad(Exception):
    """A mistake in the content; `read_truth` prefixes the file name."""


class _RecordHook:
    """`json` object hook: a well-formed record becomes `((agency, source_id), entity)`,
    its agency and entity strings shared between records; anything else is left as a
    dict, for `_record` to name its mistake."""

    def __init__(self) -> None:
        self.shared: dict[str, str] = {}

    def __call__(self, obj: dict[str, Any]) -> Any:
        if len(obj) != 3:
            return obj
        agency, source_id, entity = obj.get("agency"), obj.get("source_id"), obj.get("entity")
        if type(agency) is str and type(source_id) is str and type(entity) is str \
                and agency and source_id and entity:
            shared = self.shared
            return ((shared.setdefault(agency, agency), source_id),
                    shared.setdefault(entity, entity))
        return obj


KEYS = ("version", "seed", "scale", "records", "entities", "networks", "overlaps",
        "conflicts", "under_assessed")


def _truth(data: Any) -> Truth:
    if not isinstance(data, dict):
        raise _Bad(f"expected a JSON object with the keys {', '.join(KEYS)}")
    version = _get(data, "version", "")
    if type(version) is not int or version != VERSION:
        raise _Bad(f"version {version!r} is not supported; this EMCO reads version {VERSION}")
    for key in KEYS:
        _get(data, key, "")
    return Truth(
        version=version,
        seed=_int(data, "seed", ""),
        scale=_number(data, "scale", ""),
        records=_records(_list(data, "records", "")),
        entities={ident: _entity(value, f"entities[{ident!r}]")
                  for ident, value in _dict(data, "entities", "").items()},
        networks=[_network(item, f"networks[{i}]")
                  for i, item in enumerate(_list(data, "networks", ""))],
        overlaps=[_overlap(item, f"overlaps[{i}]")
                  for i, item in enumerate(_list(data, "overlaps", ""))],
        conflicts=[_conflict(item, f"conflicts[{i}]")
                   for i, item in enumerate(_list(data, "conflicts", ""))],
        under_assessed=[_under(item, f"under_assessed[{i}]")
                        for i, item in enumerate(_list(data, "under_assessed", ""))],
    )


def _records(items: list[Any]) -> dict[RecordKey, str]:
    out: dict[RecordKey, str] = {}
    for i, item in enumerate(items):
        if type(item) is not tuple:  # not shaped by the hook: find what is wrong
            item = _record(item, f"records[{i}]")
        key, entity = item
        first = out.setdefault(key, entity)
        if first != entity:  # the same record listed twice is harmless; two identities not
            raise _Bad(f"records[{i}]: {key[0]}:{key[1]} is given as {entity}, and as "
                       f"{first} earlier")
    return out


def _record(item: Any, where: str) -> tuple[RecordKey, str]:
    obj = _object(item, where)
    return ((_str(obj, "agency", where), _str(obj, "source_id", where)),
            _str(obj, "entity", where))


def _entity(item: Any, where: str) -> Entity:
    obj = _object(item, where)
    return Entity(_str(obj, "kind", where), _str(obj, "name", where))


def _network(item: Any, where: str) -> Network:
    obj = _object(item, where)
    members = []
    for i, raw in enumerate(_list(obj, "members", where)):
        at = f"{where}.members[{i}]"
        member = _object(raw, at)
        members.append(Member(_str(member, "entity", at),
                              _enum(NetworkRole, member, "role", at)))
    return Network(_str(obj, "id", where), _str(obj, "name", where), tuple(members))


def _overlap(item: Any, where: str) -> Overlap:
    obj = _object(item, where)
    return Overlap(_strings(obj, "investigations", where), _strings(obj, "targets", where))


def _conflict(item: Any, where: str) -> Conflict:
    obj = _object(item, where)
    return Conflict(_strings(obj, "operations", where), _enum(ConflictKind, obj, "kind", where))


def _under(item: Any, where: str) -> UnderAssessed:
    obj = _object(item, where)
    return UnderAssessed(_str(obj, "entity", where), _str(obj, "agency", where),
                         _str(obj, "declared", where), _strings(obj, "criteria", where))


# --- typed access, each naming the position of a mistake -------------------------------

def _at(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Bad(f"{where}: expected an object, got {_kind(value)}")
    return value


def _get(obj: dict[str, Any], key: str, where: str) -> Any:
    if key not in obj:
        raise _Bad(f"{_at(where, key)}: missing")
    return obj[key]


def _str(obj: dict[str, Any], key: str, where: str) -> str:
    value = _get(obj, key, where)
    if not isinstance(value, str) or not value:
        raise _Bad(f"{_at(where, key)}: expected a non-empty string, got {_kind(value)}")
    return value


def _int(obj: dict[str, Any], key: str, where: str) -> int:
    value = _get(obj, key, where)
    if type(value) is not int:  # bool is an int to Python, not to JSON
        raise _Bad(f"{_at(where, key)}: expected an integer, got {_kind(value)}")
    return value


def _number(obj: dict[str, Any], key: str, where: str) -> float:
    value = _get(obj, key, where)
    if type(value) not in (int, float):
        raise _Bad(f"{_at(where, key)}: expected a number, got {_kind(value)}")
    return float(value)


def _list(obj: dict[str, Any], key: str, where: str) -> list[Any]:
    value = _get(obj, key, where)
    if not isinstance(value, list):
        raise _Bad(f"{_at(where, key)}: expected a list, got {_kind(value)}")
    return value


def _dict(obj: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = _get(obj, key, where)
    if not isinstance(value, dict):
        raise _Bad(f"{_at(where, key)}: expected an object, got {_kind(value)}")
    return value


def _strings(obj: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    values = _list(obj, key, where)
    for i, value in enumerate(values):
        if not isinstance(value, str) or not value:
            raise _Bad(f"{_at(where, key)}[{i}]: expected a non-empty string, "
                       f"got {_kind(value)}")
    return tuple(values)


def _enum(kind: type[E], obj: dict[str, Any], key: str, where: str) -> E:
    value = _get(obj, key, where)
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise _Bad(f"{_at(where, key)}: {value!r} is not one of {allowed}") from None


def _kind(value: Any) -> str:
    """A value as a mistake names it: its JSON type, and the value when short."""
    if isinstance(value, tuple):  # a record shaped by the hook, found where it should not be
        return "a record"
    name = {dict: "an object", list: "a list", str: "a string", bool: "a boolean",
            int: "a number", float: "a number", type(None): "null"}.get(type(value), "?")
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, dict | list) else ""
    return f"{name} {text}" if text and len(text) <= 40 else name
