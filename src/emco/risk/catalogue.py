"""The signal catalogue (`src/emco/config/signals.yml`): kinds of dangerousness signal,
their weights, decay, special-detainee criteria and keywords, and the level thresholds.

`load` reads and checks the file whole before anything uses it: an unknown signal type
(as a key, or referred to), a negative weight, a missing or unknown field is refused with
`BadInput` naming the file and the line, read from the YAML node marks (`yaml.compose`),
so that whoever edits the file is sent to the right place.
"""

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from emco.errors import BadInput
from emco.model.enums import DANGER_LEVELS, NetworkRole
from emco.network.heads import grade_weight

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "config" / "signals.yml"

# The kinds of signal the issue names; code refers to them (network roles give
# `organised_crime_role`), so a catalogue may weigh them but not invent others.
SIGNAL_TYPES = ("serious_violence", "armed_violence", "escape_attempt", "escape_means",
                "threats_against_officials", "corruption_of_officials",
                "organised_crime_role", "collective_disorder", "phone_in_prison",
                "international_reach", "recidivism")
# The special-detainee (DPS) criteria: any one met requires a review of the status.
CRITERIA = ("organised_crime", "escape_capacity", "public_order_impact", "escape_attempt",
            "serious_violence", "collective_movements")
LEVELS = DANGER_LEVELS  # in rising order; "unknown" is apart
UNKNOWN = "unknown"

_SIGNAL_FIELDS = ("label", "weight", "half_life_days", "criteria", "keywords")
_TOP_FIELDS = ("version", "criterion_strength", "levels", "network_roles", "signals")


@dataclass(frozen=True)
class SignalType:
    key: str
    label: dict[str, str]  # language -> text
    weight: float
    half_life_days: float
    criteria: tuple[str, ...]
    keywords: tuple[str, ...]


@dataclass(frozen=True)
class Level:
    name: str
    score: float  # the lowest score of the level
    escort: int  # the lowest escort level (1-4) it calls for


@dataclass(frozen=True)
class NetworkRoles:
    signal: str  # the signal type a role in a network gives
    grade: str  # how the staff's analysis is graded, as "B3"
    roles: dict[str, float]  # role -> share of the type's weight


@dataclass(frozen=True)
class Catalogue:
    version: str
    criterion_strength: float
    levels: tuple[Level, ...]  # rising
    network_roles: NetworkRoles
    signals: dict[str, SignalType]

    def by_keyword(self) -> dict[str, str]:
        """Record keyword -> signal type."""
        return {word: t.key for t in self.signals.values() for word in t.keywords}

    def level_of(self, score: float) -> str:
        """The level a score reaches (the caller says "unknown" when there is no signal)."""
        reached = self.levels[0].name
        for level in self.levels:
            if score >= level.score:
                reached = level.name
        return reached

    def escort_for(self, level: str) -> int:
        """The lowest escort level a consolidated level calls for (1 for unknown)."""
        for item in self.levels:
            if item.name == level:
                return item.escort
        return 1

    def label(self, key: str, language: str = "fr") -> str:
        t = self.signals.get(key)
        if t is None:
            return key
        return t.label.get(language) or next(iter(t.label.values()))


def load(path: Path | None = None) -> Catalogue:
    """Read and check a catalogue file (the packaged one by default)."""
    path = path or DEFAULT_PATH
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BadInput(f"{path}: cannot read the signal catalogue ({exc.strerror})",
                       field="catalogue") from None
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        raise BadInput(f"{path}: not a readable YAML file ({exc})", field="catalogue") from None
    return _Reader(path).catalogue(root)


@cache
def packaged() -> Catalogue:
    """The packaged catalogue, read once per process."""
    return load(DEFAULT_PATH)


class _Reader:
    """Walks the composed node tree, so every refusal names the node's line."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, node: Node | None, message: str) -> BadInput:
        line = f" line {node.start_mark.line + 1}" if node is not None else ""
        return BadInput(f"{self.path}:{line}: {message}", field="catalogue")

    def mapping(self, node: Node | None, where: str, required: tuple[str, ...],
                optional: tuple[str, ...] = ()) -> dict[str, Node]:
        if not isinstance(node, MappingNode):
            raise self.fail(node, f"{where}: expected a mapping")
        out: dict[str, Node] = {}
        for key, value in node.value:
            name = self.scalar(key, where)
            if name not in required + optional:
                raise self.fail(key, f"{where}: unknown field {name!r}; expected "
                                     f"{', '.join(required + optional)}")
            if name in out:
                raise self.fail(key, f"{where}: {name!r} is given twice")
            out[name] = value
        for name in required:
            if name not in out:
                raise self.fail(node, f"{where}: missing field {name!r}")
        return out

    def scalar(self, node: Node, where: str) -> str:
        if not isinstance(node, ScalarNode) or not str(node.value).strip():
            raise self.fail(node, f"{where}: expected a value")
        return str(node.value).strip()

    def number(self, node: Node, where: str, *, positive: bool = False) -> float:
        text = self.scalar(node, where)
        try:
            value = float(text)
        except ValueError:
            raise self.fail(node, f"{where}: expected a number, got {text!r}") from None
        if value != value or value in (float("inf"), float("-inf")):
            raise self.fail(node, f"{where}: expected a finite number, got {text!r}")
        if value < 0 or (positive and value == 0):
            raise self.fail(node, f"{where}: must be {'above' if positive else 'at least'} "
                                  f"0, got {text}")
        return value

    def strings(self, node: Node, where: str) -> tuple[str, ...]:
        if not isinstance(node, SequenceNode):
            raise self.fail(node, f"{where}: expected a list")
        return tuple(self.scalar(item, where) for item in node.value)

    def catalogue(self, root: Node | None) -> Catalogue:
        top = self.mapping(root, "catalogue", _TOP_FIELDS)
        signals = self.signals(top["signals"])
        return Catalogue(
            version=self.scalar(top["version"], "version"),
            criterion_strength=self.number(top["criterion_strength"], "criterion_strength"),
            levels=self.levels(top["levels"]),
            network_roles=self.network_roles(top["network_roles"], signals),
            signals=signals)

    def signals(self, node: Node) -> dict[str, SignalType]:
        if not isinstance(node, MappingNode) or not node.value:
            raise self.fail(node, "signals: expected a mapping of signal types")
        out: dict[str, SignalType] = {}
        claimed: dict[str, str] = {}  # keyword -> type
        for key_node, value in node.value:
            key = self.scalar(key_node, "signals")
            if key not in SIGNAL_TYPES:
                raise self.fail(key_node, f"signals: unknown signal type {key!r}; known: "
                                          f"{', '.join(SIGNAL_TYPES)}")
            if key in out:
                raise self.fail(key_node, f"signals: {key!r} is given twice")
            where = f"signals.{key}"
            fields = self.mapping(value, where, _SIGNAL_FIELDS)
            criteria = self.strings(fields["criteria"], f"{where}.criteria")
            for c, item in zip(criteria, fields["criteria"].value, strict=True):
                if c not in CRITERIA:
                    raise self.fail(item, f"{where}.criteria: unknown criterion {c!r}; "
                                          f"known: {', '.join(CRITERIA)}")
            keywords = self.strings(fields["keywords"], f"{where}.keywords")
            for word, item in zip(keywords, fields["keywords"].value, strict=True):
                if claimed.setdefault(word, key) != key:
                    raise self.fail(item, f"{where}.keywords: {word!r} is already a keyword "
                                          f"of {claimed[word]}")
            out[key] = SignalType(
                key=key, label=self.label(fields["label"], f"{where}.label"),
                weight=self.number(fields["weight"], f"{where}.weight"),
                half_life_days=self.number(fields["half_life_days"],
                                           f"{where}.half_life_days", positive=True),
                criteria=criteria, keywords=keywords)
        return out

    def label(self, node: Node, where: str) -> dict[str, str]:
        if isinstance(node, ScalarNode):  # a translatable key, the same in every language
            return {"fr": self.scalar(node, where)}
        if not isinstance(node, MappingNode) or not node.value:
            raise self.fail(node, f"{where}: expected a text or {{fr: ..., en: ...}}")
        return {self.scalar(k, where): self.scalar(v, where) for k, v in node.value}

    def levels(self, node: Node) -> tuple[Level, ...]:
        fields = self.mapping(node, "levels", LEVELS)
        out: list[Level] = []
        for name in LEVELS:
            where = f"levels.{name}"
            item = self.mapping(fields[name], where, ("score", "escort"))
            escort = self.number(item["escort"], f"{where}.escort")
            if escort not in (1, 2, 3, 4):
                raise self.fail(item["escort"], f"{where}.escort: an escort level is 1 to 4")
            level = Level(name, self.number(item["score"], f"{where}.score"), int(escort))
            if out and (level.score <= out[-1].score or level.escort < out[-1].escort):
                raise self.fail(fields[name], f"{where}: levels must rise: a higher score "
                                              "and no lower escort than the level below")
            out.append(level)
        return tuple(out)

    def network_roles(self, node: Node, signals: dict[str, SignalType]) -> NetworkRoles:
        fields = self.mapping(node, "network_roles", ("signal", "grade", "roles"))
        signal = self.scalar(fields["signal"], "network_roles.signal")
        if signal not in signals:
            raise self.fail(fields["signal"], f"network_roles.signal: unknown signal type "
                                              f"{signal!r} (not in signals:)")
        grade = self.scalar(fields["grade"], "network_roles.grade")
        try:
            grade_weight(grade)
        except BadInput as exc:
            raise self.fail(fields["grade"], f"network_roles.grade: {exc.message}") from None
        roles_node = fields["roles"]
        if not isinstance(roles_node, MappingNode):
            raise self.fail(roles_node, "network_roles.roles: expected a mapping")
        roles: dict[str, float] = {}
        known = [r.value for r in NetworkRole]
        for k, v in roles_node.value:
            role = self.scalar(k, "network_roles.roles")
            if role not in known:
                raise self.fail(k, f"network_roles.roles: unknown role {role!r}; known: "
                                   f"{', '.join(known)}")
            roles[role] = self.number(v, "network_roles.roles")
        return NetworkRoles(signal, grade.upper(), roles)
