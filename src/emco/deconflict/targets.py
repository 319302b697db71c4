"""Targets: what an investigation or an operation aims at, and what that designates now.

The public surface, shared by investigations and operations:

- `parse_target(kind, value)`: a `TargetSpec`, normalised as ingestion normalises records
  (phones in E.164, IBANs, plates, document numbers, e-mails; a person is a name with a
  birth date, and a phone if known); `InvalidTarget` names the field and what is wrong.
- `target_entities(conn, spec)`: the resolved entities the target designates now.
- `designations(conn, spec)`: the same, as the designations two targets meet on (see
  `emco.store.targets`), with the records a person target matched.
- `shared_targets(conn, owner_type, owner_a, owner_b)` and `emco.store.targets.all_shared`:
  the targets two owners share, and every pair of owners sharing one, in SQL.
"""

import json
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, func, select

from emco.errors import BadInput
from emco.i18n import N_
from emco.ingest.normalize import (
    Invalid,
    clean_text,
    normalize_date,
    normalize_email,
    normalize_iban,
    normalize_identifier,
    normalize_phone,
    query_tokens,
)
from emco.model.enums import TargetKind, Verdict
from emco.resolve.comparisons import BLOCK_CAP
from emco.resolve.features import person_features, person_keys
from emco.resolve.model import Scorer
from emco.resolve.service import Thresholds, classify, current_model
from emco.store import records as records_repo
from emco.store import resolution
from emco.store import target_records as matching
from emco.store import targets as repo
from emco.store.db import Database
from emco.store.tables import resolve_models

MAX_VALUE = 200  # characters: keys are stored (and indexed) up to this length
KEY_KINDS = {TargetKind.PHONE: "phone", TargetKind.IBAN: "iban", TargetKind.PLATE: "plate",
             TargetKind.DOCUMENT: "id", TargetKind.EMAIL: "email", TargetKind.PERSON: "person"}
PERSON_FIELDS = ("name", "birth_date", "phone")
ALIASES = {"birthDate": "birth_date"}  # FollowTheMoney's spelling, as scenario files write it


class InvalidTarget(BadInput):
    """A target that cannot be read: unprocessable, whoever asks and whatever is stored."""

    status_code = 422


@dataclass(frozen=True)
class PersonSpec:
    name: str  # as given, cleaned
    birth_date: str  # ISO 8601, possibly partial (1987, 1987-05)
    phone: str | None  # E.164

    def facts(self) -> list[tuple[str, str, str, str]]:
        """The person as a record's statements, to be featured like a record."""
        out = [("name", "name", self.name, self.name),
               ("birthDate", "date", self.birth_date, self.birth_date)]
        if self.phone:
            out.append(("phone", "phone", self.phone, self.phone))
        return out

    def features(self) -> dict[str, Any]:
        return person_features(0, "", self.facts()).row()


@dataclass(frozen=True)
class TargetSpec:
    """A target as registered: the value as the service gave it, and its normalised key."""

    kind: TargetKind
    value: str  # as given; for a person, JSON of the fields given
    key_kind: str | None = None  # in the vocabulary of record_keys, or "person"
    key: str | None = None
    record_id: int | None = None
    entity_id: str | None = None
    person: PersonSpec | None = field(default=None, compare=False)

    def given(self) -> Any:
        """The value as given: text, or the person's fields."""
        return json.loads(self.value) if self.kind == TargetKind.PERSON else self.value


def parse_target(kind: TargetKind | str, value: str | int | dict[str, Any],
                 region: str | None = None) -> TargetSpec:
    """Read and normalise a target. Pure: the same input gets the same answer, or the same
    error, whoever asks and whatever the store holds. `region` reads phone numbers written
    without a country code (the settings' default region when None)."""
    try:
        kind = TargetKind(kind)
    except ValueError:
        raise InvalidTarget(N_("unknown kind of target %(kind)s; one of %(kinds)s",
                               kind=repr(kind), kinds=", ".join(k.value for k in TargetKind)),
                            field="kind") from None
    if region is None:
        from emco.settings import get_settings

        region = get_settings().default_region
    if kind == TargetKind.PERSON:
        return _person(value, region)
    if isinstance(value, dict | bool):
        raise InvalidTarget(N_("a %(kind)s target is one value, as text", kind=kind.value),
                            field="value")
    text = clean_text(str(value))
    if not text:
        raise InvalidTarget(N_("give the %(kind)s to target", kind=kind.value), field="value")
    if len(text) > MAX_VALUE:
        raise InvalidTarget(N_("a target is at most %(n)s characters", n=MAX_VALUE),
                            field="value")
    if kind == TargetKind.RECORD:
        if not text.isdigit() or int(text) < 1 or int(text) > 2**63 - 1:
            raise InvalidTarget(N_("a record target is a record's id in EMCO (a number)"),
                                field="value")
        return TargetSpec(kind, text, record_id=int(text))
    if kind == TargetKind.ENTITY:
        entity = text.upper()
        if not (entity.startswith("E") and entity[1:].isdigit() and len(entity) <= 16):
            raise InvalidTarget(N_("an entity target is a resolved entity's id, such as "
                                   "E00000042"), field="value")
        return TargetSpec(kind, text, entity_id=entity)
    try:
        key = _normalise(kind, text, region)
    except Invalid as exc:
        raise InvalidTarget(N_("%(value)s is not a valid %(kind)s: %(reason)s",
                               value=repr(text), kind=kind.value, reason=str(exc)),
                            field="value") from None
    return TargetSpec(kind, text, KEY_KINDS[kind], key[:MAX_VALUE])


def parse_targets(items: list[tuple[TargetKind | str, Any]], region: str | None = None,
                  where: str = "targets") -> list[TargetSpec]:
    """Several targets, an error naming which one (`targets[2].value`)."""
    out = []
    for i, (kind, value) in enumerate(items):
        try:
            out.append(parse_target(kind, value, region))
        except InvalidTarget as exc:
            raise InvalidTarget(exc.message, field=f"{where}[{i}].{exc.field}") from None
    return out


def _normalise(kind: TargetKind, text: str, region: str) -> str:
    if kind == TargetKind.PHONE:
        return normalize_phone(text, region)
    if kind == TargetKind.IBAN:
        return normalize_iban(text)
    if kind == TargetKind.EMAIL:
        return normalize_email(text)
    return normalize_identifier(text)  # plates and document numbers


def _person(value: Any, region: str) -> TargetSpec:
    if not isinstance(value, dict):
        raise InvalidTarget(N_("a person target is a name and a birth date (and a phone, "
                               "if known)"), field="value")
    given = {ALIASES.get(str(k), str(k)): v for k, v in value.items()
             if v is not None and str(v).strip()}
    unknown = sorted(set(given) - set(PERSON_FIELDS))
    if unknown:
        raise InvalidTarget(N_("unknown field of a person: %(name)s; known: %(known)s",
                               name=unknown[0], known=", ".join(PERSON_FIELDS)),
                            field=f"value.{unknown[0]}")
    for name in PERSON_FIELDS:
        if name in given and (not isinstance(given[name], str) or len(given[name]) > MAX_VALUE):
            raise InvalidTarget(N_("%(name)s is text of at most %(n)s characters", name=name,
                                   n=MAX_VALUE), field=f"value.{name}")
    name = clean_text(given.get("name", ""))
    if not query_tokens(name):
        raise InvalidTarget(N_("a person target needs a name"), field="value.name")
    if "birth_date" not in given:
        raise InvalidTarget(N_("a person target needs a birth date"),
                            field="value.birth_date")
    phone = None
    try:
        birth = normalize_date(given["birth_date"])[:10]
    except Invalid as exc:
        raise InvalidTarget(N_("%(value)s is not a birth date: %(reason)s",
                               value=repr(given["birth_date"]), reason=str(exc)),
                            field="value.birth_date") from None
    if "phone" in given:
        try:
            phone = normalize_phone(given["phone"], region)
        except Invalid as exc:
            raise InvalidTarget(N_("%(value)s is not a valid phone: %(reason)s",
                                   value=repr(given["phone"]), reason=str(exc)),
                                field="value.phone") from None
    person = PersonSpec(name, birth, phone)
    shown = {k: given[k].strip() for k in PERSON_FIELDS if k in given}
    name_key = person.features()["name_key"]
    return TargetSpec(TargetKind.PERSON, json.dumps(shown, ensure_ascii=False),
                      "person", f"{name_key}|{birth}"[:MAX_VALUE], person=person)


# --- what a target designates ---------------------------------------------------------------

@dataclass(frozen=True)
class Designation:
    """What a target designates now: entities, unresolved records and its own key; and,
    for a person, the records the model matched (with their scores)."""

    designations: frozenset[str]
    matches: tuple[tuple[int, float | None], ...] = ()

    @property
    def entities(self) -> set[str]:
        return set(repo.Designated.of(self.designations).entities)


def designations(conn: Connection, spec: TargetSpec, thresholds: Thresholds | None = None,
                 pad_to: int = 0) -> Designation:
    """What `spec` designates in the store now. Reads everything, whatever the caller's
    scope: callers disclose only what their own rules allow. `pad_to` scores a person
    against itself up to that many times when it has fewer candidates (hit queries do
    the same work whatever they find)."""
    found: set[str] = set()
    if spec.key_kind is not None and spec.key is not None:
        found.add(f"K{spec.key_kind}:{spec.key}")
    if spec.key_kind in repo.IDENTIFIER_KINDS and spec.key is not None:
        found |= matching.key_designations(conn, spec.key_kind, spec.key)
    matches: list[tuple[int, float | None]] = []
    if spec.person is not None:
        matches = person_matches(conn, spec.person, thresholds or _thresholds(), pad_to)
    if spec.person is not None or spec.record_id is not None:
        # Looked up even when the person matched nobody: the same work either way.
        recs = [rid for rid, _ in matches] + ([spec.record_id] if spec.record_id else [])
        found |= matching.record_designations(conn, recs)
    if spec.entity_id is not None and matching.entity_exists(conn, spec.entity_id):
        found.add(spec.entity_id)
    return Designation(frozenset(found), tuple(matches))


def target_entities(conn: Connection, spec: TargetSpec,
                    thresholds: Thresholds | None = None) -> set[str]:
    """The resolved entity ids `spec` designates now (records not resolved yet have none)."""
    return designations(conn, spec, thresholds).entities


def shared_targets(conn: Connection, owner_type: str, owner_a: int, owner_b: int
                   ) -> list[tuple[int, int, str]]:
    """(target of a, target of b, designation) for each designation the two owners'
    live targets share."""
    mine = repo.of_owners(conn, owner_type, [owner_a, owner_b])
    des = repo.designations(conn, [t.id for ts in mine.values() for t in ts])
    out = []
    for ta in mine[owner_a]:
        for tb in mine[owner_b]:
            out += [(ta.id, tb.id, d) for d in sorted(des.get(ta.id, set())
                                                      & des.get(tb.id, set()))]
    return out


def _thresholds() -> Thresholds:
    from emco.settings import get_settings

    s = get_settings()
    return Thresholds.of(s)


# --- people ---------------------------------------------------------------------------------

_SCORERS: "OrderedDict[tuple[str, int], Scorer]" = OrderedDict()


def _scorer(conn: Connection) -> Scorer | None:
    """The latest trained person model, built once per store and version (its term
    frequencies are megabytes of JSON on a large store)."""
    version = conn.execute(select(func.max(resolve_models.c.version)).where(
        resolve_models.c.kind == "person")).scalar()
    if version is None:
        return None
    cache_key = (conn.engine.url.render_as_string(hide_password=True), int(version))
    scorer = _SCORERS.get(cache_key)
    if scorer is None:
        stored = current_model(conn)
        if stored is None:  # trained on older comparisons: none until trained again
            return None
        scorer = Scorer(stored[1], stored[2])
        _SCORERS[cache_key] = scorer
        while len(_SCORERS) > 4:
            _SCORERS.popitem(last=False)
    return scorer


def person_matches(conn: Connection, person: PersonSpec, thresholds: Thresholds,
                   pad_to: int = 0) -> list[tuple[int, float | None]]:
    """The person records that are this person: candidates found through the resolution
    blocking keys, scored with the trained model and kept when the model would merge them
    (`classify`, as resolution does), unless their entity holds a record that is surely
    someone else; without a model yet, records of the same folded name and birth date."""
    row = person.features()
    scorer = _scorer(conn)
    if scorer is None:
        return _exact(conn, person, row)
    thresholds = thresholds.for_model(scorer.tf)
    found = resolution.candidates(conn, person_keys(row), exclude=0, cap=BLOCK_CAP,
                                  uncapped=("ph", "id"))
    # Looked up even for no candidate, so that the work does not tell what was found.
    others = dict(resolution.features(conn, "person", found or [0]))
    out: list[tuple[int, float | None]] = []
    for rid, other in others.items():
        score = scorer.score(row, other)
        if classify(score, thresholds) == Verdict.POSITIVE:
            out.append((rid, score.probability))
    out, scored = _consistent(conn, scorer, row, out, thresholds)
    for _ in range(pad_to - len(others) - scored):
        scorer.score(row, row)  # the same work with few candidates as with many
    return sorted(out)


def _consistent(conn: Connection, scorer: Scorer, row: dict[str, Any],
                matches: list[tuple[int, float | None]], thresholds: Thresholds
                ) -> tuple[list[tuple[int, float | None]], int]:
    """The matches whose entity holds no record that is surely another person (birth
    dates or genders that disagree, nothing in common): resolution never puts such
    records in one cluster, and a target must not join one either. A namesake's target
    matching a record without a birth date would otherwise reach, through that record's
    entity, the other man. Returns the matches kept and how many records were scored."""
    entity_of = matching.entities_of(conn, [rid for rid, _ in matches])
    members = matching.members_of(conn, sorted(set(entity_of.values())))
    feats = dict(resolution.features(conn, "person", sorted(
        {r for rids in members.values() for r in rids}) or [0]))
    scored = 0
    apart = set()
    for entity, rids in members.items():
        for rid in rids:
            if rid in feats:
                scored += 1
                if classify(scorer.score(row, feats[rid]), thresholds) == Verdict.NEGATIVE:
                    apart.add(entity)
    return [(rid, p) for rid, p in matches if entity_of.get(rid) not in apart], scored


def _exact(conn: Connection, person: PersonSpec, row: dict[str, Any]
           ) -> list[tuple[int, float | None]]:
    ids = matching.records_named(conn, query_tokens(person.name), person.birth_date)
    facts = records_repo.current_facts(conn, ids or [0])
    return [(rid, None) for rid in ids
            if person_features(rid, "", facts[rid]).row()["name_key"] == row["name_key"]]


def refresh_matches(db: Database, conn: Connection, target_id: int, spec: TargetSpec,
                    thresholds: Thresholds | None = None) -> bool:
    """Store what a target designates beyond its key: a person's matched records (and
    blocking keys, for records yet to come), a record, an entity's records as it stands
    (all of them, not only those the registering service sees). Returns whether the
    stored matches changed."""
    rows: list[tuple[int, float | None]] = []
    if spec.person is not None:
        rows = list(designations(conn, spec, thresholds).matches)
        repo.replace_blocks(db, conn, target_id, blocks(spec))
    elif spec.record_id is not None:
        rows = [(spec.record_id, None)]
    elif spec.entity_id is not None:
        rows = [(rid, None) for rid in matching.entity_members(conn, spec.entity_id)]
    if sorted(set(rows)) == repo.matches_of(conn, target_id):
        return False
    repo.replace_matches(db, conn, target_id, rows)
    return True


def spec_of(row: repo.TargetRow) -> TargetSpec:
    """A stored target read again as it was registered."""
    given: Any = json.loads(row.value) if row.kind == TargetKind.PERSON else row.value
    spec = parse_target(row.kind, given)
    if spec.key != row.key:  # read with another default region than at registration
        spec = TargetSpec(spec.kind, spec.value, row.key_kind, row.key, spec.record_id,
                          spec.entity_id, spec.person)
    return spec


def blocks(spec: TargetSpec) -> list[tuple[str, str]]:
    """The resolution blocking keys of a person target (none for other kinds)."""
    return person_keys(spec.person.features()) if spec.person is not None else []
