"""What an allowed answer of the permission matrix must hold, beyond its status: the
records, cases, alerts, people, networks and links in the reader's sight, exactly, with
the counts that go with them (`tests.access.matrix` says what is in sight). Each
function takes the context, the principal and the object of a cell, and returns the
check of its answer: a problem in words, or None.
"""

import re
from typing import Any

import httpx

from tests.access.matrix import (
    Who,
    hit_services,
    judicial_lines,
    path_exists,
    risk_signals,
    sees_alert,
    sees_case,
    sees_entity,
    sees_link,
    sees_network,
    sees_record,
)
from tests.access.matrix_cells import (
    Check,
    Ctx,
    Obj,
)
from tests.access.matrix_world import (
    BY_KEY,
    INVESTIGATIONS,
    LINKED,
    LINKS,
    OPERATIONS,
    PEOPLE,
    REVIEW_PAIRS,
)
from tests.web.conftest import parse


def _same(name: str, got: set[Any], want: set[Any]) -> str | None:
    if got == want:
        return None
    return f"{name}: unexpected {sorted(map(str, got - want))}, missing " \
           f"{sorted(map(str, want - got))}"


def _ids(ctx: Ctx, keys: list[str]) -> set[int]:
    return {ctx.ids[k] for k in keys}


def _json(check: Any) -> Check:
    def run(r: httpx.Response) -> str | None:
        try:
            return check(r.json())  # type: ignore[no-any-return]
        except ValueError:
            return "the answer is not JSON"
    return run


def _links(prefix: str, want: set[str], pattern: str = r"\d+") -> Check:
    """A page links to exactly these objects under `prefix` (/alerts/): ids that match
    `pattern`, other links (/operations/map) left aside."""
    def run(r: httpx.Response) -> str | None:
        found = {h[len(prefix):].split("?")[0].split("#")[0].split("/")[0]
                 for h in parse(r.text).links() if h.startswith(prefix)}
        return _same(f"links {prefix}", {f for f in found if re.fullmatch(pattern, f)}, want)
    return run


def _seen_persons(ctx: Ctx, who: Who) -> set[int]:
    return _ids(ctx, [r.key for r in PEOPLE if sees_record(who, r.key)])


def _holder(obj: Obj) -> str | None:
    """The record whose phone a cell asks about ("phone of OFAST-H2-DR"), if any."""
    key = obj.label.removeprefix("phone of ")
    return key if key in BY_KEY else None


def search_check(ctx: Ctx, who: Who, obj: Obj) -> Check:
    holder = _holder(obj)
    want = _seen_persons(ctx, who) if obj.label == "all people" else (
        _ids(ctx, [holder]) if holder and sees_record(who, holder) else set())

    def check(body: dict[str, Any]) -> str | None:
        got = {r["id"] for r in body["records"]}
        if body["total"] != len(want):
            return f"total {body['total']} for {len(want)} records in sight"
        return _same("records", got, want)
    return _json(check)


def _search_page_check(ctx: Ctx, who: Who, obj: Obj) -> Check:
    want = {str(i) for i in _seen_persons(ctx, who)}
    return _links("/records/", want)


def record_check(ctx: Ctx, _who: Who, obj: Obj) -> Check:
    return _json(lambda b: None if b["id"] == obj.values["record_id"] else f"record {b['id']}")


def entity_check(ctx: Ctx, who: Who, obj: Obj) -> Check:
    key = obj.label
    want = {ctx.ids[k] for k in _group(key) if k != key and sees_record(who, k)}

    def check(body: dict[str, Any]) -> str | None:
        if body["total"] != len(want):
            return f"total {body['total']} for {len(want)} other records in sight"
        return _same("other records", {r["id"] for r in body["records"]}, want)
    return _json(check)


def _group(key: str) -> tuple[str, ...]:
    return LINKED if key in LINKED else (key,)


def queue_check(ctx: Ctx, who: Who, _obj: Obj) -> Check:
    want = {(min(ctx.ids[a], ctx.ids[b]), max(ctx.ids[a], ctx.ids[b]))
            for a, b in REVIEW_PAIRS if sees_record(who, a) and sees_record(who, b)}

    def check(body: dict[str, Any]) -> str | None:
        got = {(min(p["left"]["record"]["id"], p["right"]["record"]["id"]),
                max(p["left"]["record"]["id"], p["right"]["record"]["id"]))
               for p in body["pairs"]}
        return _same("pairs", got, want)
    return _json(check)


def own_tokens_check(ctx: Ctx, who: Who, obj: Obj) -> Check:
    """One's own tokens; a token manager lists everyone's, or one user's when asked."""
    def check(body: list[dict[str, Any]]) -> str | None:
        owners = {t["username"] for t in body}
        if obj.label != "own":
            return _same("token owners", owners, {obj.label})
        if who.may("admin:token:manage"):
            return None if who.username in owners else "its own tokens are not listed"
        return _same("token owners", owners, {who.username})
    return _json(check)


def _list_check(ctx: Ctx, who: Who, declared: list[Any], ids: dict[str, int], field: str,
                at: str = "") -> Check:
    want = {ids[c.key] for c in declared if sees_case(who, c)}

    def check(body: Any) -> str | None:
        items = body[field] if field else body
        return _same("ids", {i[at] if at else i["id"] for i in items}, want)
    return _json(check)


def investigations_check(ctx: Ctx, who: Who, _obj: Obj) -> Check:
    return _list_check(ctx, who, INVESTIGATIONS, ctx.seeded.investigations, "investigations")


def operations_check(ctx: Ctx, who: Who, _obj: Obj) -> Check:
    return _list_check(ctx, who, OPERATIONS, ctx.seeded.operations, "operations")


def map_check(ctx: Ctx, who: Who, _obj: Obj) -> Check:
    return _list_check(ctx, who, OPERATIONS, ctx.seeded.operations, "features")


def case_links(declared: list[Any], ids_of: str, prefix: str) -> Any:
    def check(ctx: Ctx, who: Who, _obj: Obj) -> Check:
        ids = getattr(ctx.seeded, ids_of)
        return _links(prefix, {str(ids[c.key]) for c in declared if sees_case(who, c)})
    return check


def hit_expected(who: Who, obj: Obj) -> set[str]:
    """The services a hit names: those that know the phone, the asker's own left out."""
    holder = _holder(obj)
    cases = set()
    if obj.label.startswith("case phone"):
        phone = obj.values["phone"]
        cases = {c.agency for c in INVESTIGATIONS if phone in c.targets}
    return hit_services(holder, cases) - {str(who.agency)}


def hit_check(_ctx: Ctx, who: Who, obj: Obj) -> Check:
    want = hit_expected(who, obj)

    def check(body: dict[str, Any]) -> str | None:
        got = {c["agency"] for c in body["contacts"]}
        if body["hit"] != bool(want):
            return f"hit {body['hit']}, expected {bool(want)}"
        return _same("services named", got, want)
    return _json(check)


def alerts_check(ctx: Ctx, who: Who, _obj: Obj) -> Check:
    want = {ctx.seeded.alerts[a] for a in ctx.seeded.alerts} if sees_alert(who) else set()

    def check(body: dict[str, Any]) -> str | None:
        if body["total"] != len(want):
            return f"total {body['total']} for {len(want)} alerts in sight"
        return _same("alerts", {a["id"] for a in body["alerts"]}, want)
    return _json(check)


def alert_links(ctx: Ctx, who: Who, _obj: Obj) -> Check:
    want = {str(i) for i in ctx.seeded.alerts.values()} if sees_alert(who) else set()
    return _links("/alerts/", want)


def networks_check(ctx: Ctx, who: Who, _obj: Obj) -> Check:
    want = {n for n, members in ctx.seeded.networks.items()
            if sees_network(who, _groups(ctx, members))}
    return _json(lambda body: _same("networks", {n["id"] for n in body["networks"]}, want))


def _groups(ctx: Ctx, entities: list[str]) -> set[tuple[str, ...]]:
    return {g for g in (ctx.group_of_entity(e) for e in entities) if g}


def edges_check(ctx: Ctx, who: Who, _obj: Obj) -> Check:
    """Every link shown is one in sight, with evidence in sight only."""
    seen = {str(ctx.ids[link[0]]) for link in LINKS if sees_link(who, link)}

    def check(body: dict[str, Any]) -> str | None:
        graph = body.get("graph", body)
        bad = [e for e in graph["edges"]
               if not {x.removeprefix("record:") for x in e["evidence"]} <= seen]
        return f"links out of sight: {bad}" if bad else None
    return _json(check)


def path_check(ctx: Ctx, who: Who, obj: Obj) -> Check:
    if obj.label == "missing":
        want = False
    else:
        a, b = (ctx.group_of_entity(obj.values["from"]), ctx.group_of_entity(obj.values["to"]))
        want = a is not None and b is not None and path_exists(who, a, b)

    def check(body: dict[str, Any]) -> str | None:
        if body["found"] != want:
            return f"found {body['found']}, expected {want}"
        if not want and (body["nodes"] or body["edges"] or body["path"]):
            return "no path, but people or links named"
        return None
    return _json(check)


def ranking_check(ctx: Ctx, who: Who, _obj: Obj) -> Check:
    want = {ctx.entity(g) for g in ctx.assessed if sees_entity(who, g)}
    return _json(lambda body: _same("people", {p["entity"] for p in body["people"]}, want))


def explain_check(ctx: Ctx, who: Who, obj: Obj) -> Check | None:
    group = ctx.group_of_entity(obj.values["entity_id"])
    if group is None:
        return None
    want = risk_signals(who, group)
    types = {"serious_violence", "escape_attempt"}

    def check(body: dict[str, Any]) -> str | None:
        got = {(s["type"], s["agency"]) for s in body["signals"] if s["type"] in types}
        return _same("incident signals", got, want)
    return _json(check)


def judicial_check(ctx: Ctx, who: Who, obj: Obj) -> Check | None:
    group = ctx.group_of_entity(obj.values["entity_id"])
    if group is None:
        return None
    kept, withheld = judicial_lines(who, group)

    def check(body: dict[str, Any]) -> str | None:
        got = {line["emco"]["record"] for line in body["entities"]}
        held = {w["agency"]: set(w["records"]) for w in body["withheld"]}
        want_held = {a: {ctx.ids[k] for k in ks} for a, ks in withheld.items()}
        return _same("exported", got, {ctx.ids[k] for k in kept}) or (
            None if held == want_held else f"withheld {held}, expected {want_held}")
    return _json(check)


def search_page_links(ctx: Ctx, who: Who, obj: Obj) -> Check | None:
    return _search_page_check(ctx, who, obj) if obj.label != "form" else None


def network_links(ctx: Ctx, who: Who, _obj: Obj) -> Check:
    want = {n for n, members in ctx.seeded.networks.items()
            if sees_network(who, _groups(ctx, members))}
    return _links("/networks/", want, r"R\d+")


def me_check(_ctx: Ctx, who: Who, _obj: Obj) -> Check:
    return _json(lambda b: None if b["username"] == who.username else f"user {b['username']}")
