"""The cells of the permission matrix: what a row of the route table asks for each
principal, and what the oracle (`tests.access.matrix`) expects back.

A cell is one request by one principal about one object (a record, a pair of records, a
person, a case, an operation, an alert, a network, a handling request, a token, a
service). Its expected status comes from the row's permission, then from whether the
principal sees the object: 401 (API) or a redirect to the login page (pages) for nobody,
403 without the permission, 404 for an object out of sight as for one that does not
exist, else what the row allows (or what its rule says, for refusals that come after
the permission and the sight). The sight is asked about every object of a row by one
principal of each kind of sight (service, clearance, staff or not); the others holding
the permission ask about one, those refused it about one that exists and, for a
service's principals and the tokens, one that does not (their refusals' words are
compared): a refusal must not depend on the object. Pages and writes call the stage
their API reads call: they are asked about `FEW` objects, the reads about all.
"""

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.access.matrix import (
    ALERTS,
    Who,
    entity_groups,
    group_of,
    sees_alert,
    sees_case,
    sees_entity,
    sees_network,
    sees_record,
)
from tests.access.matrix_world import (
    INVESTIGATIONS,
    OPERATIONS,
    PERSONS,
    RECORDS,
    REVIEW_PAIRS,
    SAMPLE,
    SERVICES,
    Case,
    Seeded,
)

PUBLIC = "public"  # a row any client may call, logged in or not
MISSING = 999  # an id nothing has
MISSING_ENTITY = "E99999999"
MISSING_NETWORK = "R9999"
WHY = {"motif": "matrice des droits", "case_ref": "MATRIX-1"}
Check = Callable[[httpx.Response], str | None]


@dataclass
class Cell:
    """One request of one principal, with what it must answer."""

    who: Who
    label: str  # the object, as the report names it
    method: str
    url: str
    expect: frozenset[int]
    params: dict[str, Any] | None = None
    json: Any = None
    data: dict[str, Any] | None = None
    shows: frozenset[str] = frozenset()  # markers the answer must hold
    check: Check | None = None
    unseen: bool = False  # an existing object out of the principal's sight
    missing: bool = False  # an object that does not exist
    ids: tuple[str, ...] = ()  # the path's values, put aside to compare two refusals
    then: Callable[[httpx.Response], list["Cell"]] | None = None  # the next steps


@dataclass(frozen=True)
class Obj:
    """An object a path names: its label, the path's values, who sees it."""

    label: str
    values: dict[str, Any]
    visible: Callable[[Who], bool]
    missing: bool = False
    marker: str | None = None
    extra: Any = None  # what a row's rule needs to know of it
    known: Callable[[Who], bool] | None = None  # out of sight, but known another way


@dataclass
class Ctx:
    """What the cells are built from: the seeded ids, and values made as the run goes."""

    seeded: Seeded
    # "principal:api" or "principal:page" -> a token of its own, or of another user, that
    # the row of that name revokes
    own_tokens: dict[str, int] = field(default_factory=dict)
    victim_tokens: dict[str, int] = field(default_factory=dict)
    assessed: set[tuple[str, ...]] = field(default_factory=set)  # persons with a level
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def ids(self) -> dict[str, int]:
        return self.seeded.records

    def entity(self, group: tuple[str, ...]) -> str:
        return self.seeded.entities[group[0]]

    def group_of_entity(self, entity: str) -> tuple[str, ...] | None:
        key = next((k for k, e in self.seeded.entities.items() if e == entity), None)
        return group_of(key) if key else None

    def unique(self) -> int:
        return next(self.counter)


def never(_who: Who) -> bool:
    return False


# --- objects -------------------------------------------------------------------------------

def records(ctx: Ctx, keys: list[str] | None = None) -> list[Obj]:
    chosen = keys if keys is not None else [r.key for r in RECORDS]
    out = [Obj(k, {"record_id": ctx.ids[k]}, lambda w, k=k: sees_record(w, k),
               marker=next(r.marker for r in RECORDS if r.key == k)) for k in chosen]
    return [*out, Obj("missing", {"record_id": MISSING}, never, missing=True)]


def persons(ctx: Ctx) -> list[Obj]:
    return records(ctx, PERSONS)


def sample(ctx: Ctx) -> list[Obj]:
    """The people most rows ask about (`matrix_world.SAMPLE`)."""
    return records(ctx, SAMPLE)


def pairs(ctx: Ctx) -> list[Obj]:
    chosen = [*REVIEW_PAIRS, ("OFAST-H0-NP", "OFAST-H2-NP")]  # the second: both passed
    out = [Obj(f"{a}|{b}", {"left": ctx.ids[a], "right": ctx.ids[b]},
               lambda w, a=a, b=b: sees_record(w, a) and sees_record(w, b))
           for a, b in chosen]
    return [*out, Obj("OFAST-H0-NP|missing", {"left": ctx.ids["OFAST-H0-NP"],
                                              "right": MISSING}, never, missing=True)]


def few_people(ctx: Ctx) -> list[Obj]:
    return [o for o in people(ctx) if o.missing or o.label in FEW]


def people(ctx: Ctx, keys: list[str] = SAMPLE) -> list[Obj]:
    """Resolved persons (entities): those of the sample's records, and one nobody is."""
    groups = [g for g in entity_groups() if any(k in keys for k in g)]
    out = [Obj("LINKED" if len(g) > 1 else g[0], {"entity_id": ctx.entity(g)},
               lambda w, g=g: sees_entity(w, g)) for g in groups]
    return [*out, Obj("missing", {"entity_id": MISSING_ENTITY}, never, missing=True)]


def cases(ctx: Ctx, declared: list[Case], ids: dict[str, int], name: str) -> list[Obj]:
    out = [Obj(c.key, {name: ids[c.key]}, lambda w, c=c: sees_case(w, c), marker=c.marker)
           for c in declared]
    return [*out, Obj("missing", {name: MISSING}, never, missing=True)]


def investigations(ctx: Ctx) -> list[Obj]:
    return cases(ctx, INVESTIGATIONS, ctx.seeded.investigations, "investigation_id")


def operations(ctx: Ctx) -> list[Obj]:
    return cases(ctx, OPERATIONS, ctx.seeded.operations, "operation_id")


def alerts(ctx: Ctx) -> list[Obj]:
    out = [Obj(a, {"alert_id": ctx.seeded.alerts[a]}, sees_alert) for a in ALERTS]
    return [*out, Obj("missing", {"alert_id": MISSING}, never, missing=True)]


# The pages and the writes call the stage their API reads call: they are asked about
# fewer objects (one of each kind of sight), the reads about all.
FEW = {"OFAST-DR", "DNPJ-NP", "overlap:OFAST-DR", "conflict:OFAST-NP", "LINKED",
       "OFAST-H0-DR", "DNPJ-H3-DR", "OFAST-H0-NP", "OFAST-H2-DR", "OFAST-H3-DR",
       "DNPJ-H1-NP", "EMCO-H3-DR", "OFAST-H0-NP|OFAST-H1-NP", "OFAST-H0-DR|OFAST-H3-NP",
       "OFAST-H0-NP|OFAST-H2-NP", "OFAST-H2-DR disseminate", "DNPJ-H2-DR disseminate",
       "OFAST-H1-DR judicial"}


def networks(ctx: Ctx) -> list[Obj]:
    out = []
    for network, members in sorted(ctx.seeded.networks.items()):
        groups = {g for g in (ctx.group_of_entity(e) for e in members) if g}
        out.append(Obj(network, {"network_id": network},
                       lambda w, g=frozenset(groups): sees_network(w, set(g))))
    return [*out, Obj("missing", {"network_id": MISSING_NETWORK}, never, missing=True)]


def services(_ctx: Ctx) -> list[Obj]:
    """Services to register for or to set the webhook of (ZZZZ: no such service)."""
    return [Obj(code, {"code": code}, lambda w: True) for code in ("OFAST", "DNPJ", "EMCO")] \
        + [Obj("ZZZZ", {"code": "ZZZZ"}, never, missing=True)]


# Requests asked about: granted at once, approved, pending (NP owner: DR record), refused.
REQUESTS = ("OFAST-H0-NP disseminate", "OFAST-H2-NP disseminate", "OFAST-H2-DR disseminate",
            "DNPJ-H2-DR disseminate", "OFAST-H1-DR judicial")


def requests(ctx: Ctx) -> list[Obj]:
    out = [Obj(name, {"request_id": ctx.seeded.requests[name]}, lambda w: True)
           for name in REQUESTS]
    return [*out, Obj("missing", {"request_id": MISSING}, never, missing=True)]


def nothing(_ctx: Ctx) -> list[Obj]:
    return [Obj("-", {}, lambda w: True)]


# --- expected statuses ---------------------------------------------------------------------

Rule = Callable[[Who, Obj], set[int] | None]


@dataclass(frozen=True)
class Row:
    """One route of the app and how the matrix asks it."""

    method: str
    path: str
    need: str | None  # the permission it needs; None: any logged-in principal; PUBLIC
    case_data: bool  # whether an answer may hold case data
    objects: Callable[[Ctx], list[Obj]] = nothing
    ok: frozenset[int] = frozenset({200})
    build: Callable[[Ctx, Who, Obj], dict[str, Any]] | None = None  # params/json/data
    check: Callable[[Ctx, Who, Obj], Check | None] | None = None
    rule: Rule | None = None  # a refusal beyond the permission and sight, or None
    shows: bool = True  # an allowed answer about a marked object shows its marker
    write: bool = False  # run after every read
    unscoped: bool = False  # read whole by its readers (the audit log, for auditors)
    steps: Callable[[Ctx, Cell, Obj], Cell] | None = None  # a sequence instead of a cell
    resolve: Callable[[Ctx, Who, Obj], dict[str, Any]] | None = None  # the principal's ids
    url: str = ""  # the address asked, when it is not the path itself (a mount)
    own_session: bool = False  # ends the session: asked by accounts kept for it
    refusal_varies: bool = False  # without the permission, the answer depends on the object

    @property
    def page(self) -> bool:
        return not self.path.startswith(("/api/", "/docs/", "/static"))

    def expected(self, who: Who, obj: Obj) -> frozenset[int]:
        if self.need == PUBLIC:
            return self.ok
        if who.anonymous or (who.token and self.page):  # pages read no token
            return frozenset({303 if self.page else 401})
        if self.rule is not None:
            ruled = self.rule(who, obj)
            if ruled is not None:
                return frozenset(ruled)
        if self.need is not None and not who.may(self.need):
            return frozenset({403})
        if not obj.visible(who):
            return frozenset({404})
        return self.ok

    def cells(self, ctx: Ctx, who: Who, full: bool = True) -> list[Cell]:
        """The principal's cells; not `full`: one object in its sight only (another
        principal of the same sight asks about them all)."""
        objects = self.objects(ctx)
        if (self.page or self.write) and any(o.label in FEW for o in objects):
            objects = [o for o in objects if o.missing or o.label in FEW]
        if self.need not in (None, PUBLIC) and not who.may(str(self.need)) and \
                not self.refusal_varies:
            # A refusal that does not depend on the object: an object that exists, and
            # (for a service's principals: their words are compared) one that does not.
            objects = _sample(objects, missing=who.agency == SERVICES[0])
        elif who.token:  # a token tests its scopes; its user's sight, the sessions
            objects = _sample(objects, missing=False)
        elif not full:
            seen = [o for o in objects if not o.missing and o.visible(who)]
            objects = (seen or [o for o in objects if not o.missing] or objects)[:1]
        if who.anonymous or (who.token and self.page):
            objects = objects[:1]
        out = []
        for obj in objects:
            expect = self.expected(who, obj)
            kwargs = self.build(ctx, who, obj) if self.build else {}
            values = self.resolve(ctx, who, obj) if self.resolve and not who.anonymous \
                else obj.values
            allowed = expect == self.ok and not who.anonymous and not (
                who.token and self.page)
            check = self.check(ctx, who, obj) if self.check and allowed else None
            cell = Cell(who, obj.label, self.method, (self.url or self.path).format(**values),
                        expect, check=check, unseen=not obj.missing and not obj.visible(who)
                        and not (obj.known is not None and obj.known(who)),
                        missing=obj.missing, ids=tuple(str(v) for v in values.values()),
                        shows=frozenset({obj.marker}) if obj.marker and allowed and
                        self.shows and not self.write else frozenset(), **kwargs)
            out.append(self.steps(ctx, cell, obj) if self.steps and allowed else cell)
        return out


def _sample(objects: list[Obj], missing: bool) -> list[Obj]:
    """An object that exists and (`missing`) one that does not."""
    found = [o for o in objects if not o.missing][-1:]
    return found + [o for o in objects if o.missing][:1] if missing or not found else found
