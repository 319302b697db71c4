"""How the permission matrix asks each route: the objects its path names beyond the
families of `tests.access.matrix_cells`, the request's parameters and bodies, the
refusals a row expects beyond the permission and the sight (its rules), and the
sequences that leave the store as they found it (a target added then removed, a webhook
set then removed, a request made then withdrawn).
"""

from typing import Any

import httpx

from tests.access.matrix import (
    PERMISSIONS,
    Who,
    entity_groups,
    reaches_person,
    sees_case,
    sees_record,
    writes_for,
)
from tests.access.matrix_cells import (
    MISSING,
    WHY,
    Cell,
    Ctx,
    Obj,
    few_people,
    never,
    people,
)
from tests.access.matrix_world import (
    BY_KEY,
    GRANTS,
    INVESTIGATIONS,
    PEOPLE,
    SHARED_PHONES,
    SURNAME,
    Grant,
)

CSRF = "{csrf}"  # put in a form by the runner: the client's own token


def with_why(_ctx: Ctx, _who: Who, _obj: Obj) -> dict[str, Any]:
    return {"params": dict(WHY)}


# Phones searched: passed (NP and DR), pending, refused, the staff's.
SEARCHED = ("OFAST-H2-NP", "OFAST-H3-DR", "OFAST-H2-DR", "DNPJ-H2-DR", "EMCO-H3-DR")


def search_objects(ctx: Ctx) -> list[Obj]:
    """One search for every person, then one per person's phone, and a phone nobody has."""
    out = [Obj("all people", {}, lambda w: True)]
    out += [Obj(f"phone of {r.key}", {"phone": r.phone}, lambda w: True) for r in PEOPLE
            if r.key in SEARCHED]
    return [*out, Obj("phone of nobody", {"phone": "06 55 55 55 55"}, lambda w: True)]


def search_params(_ctx: Ctx, _who: Who, obj: Obj) -> dict[str, Any]:
    return {"params": {"q": obj.values.get("phone", SURNAME), **WHY}}


def judgement_body(_ctx: Ctx, _who: Who, _obj: Obj) -> dict[str, Any]:
    # Negative on pairs that are apart: the entities stay as they are.
    return {"json": {"verdict": "negative", "reason": "matrice: not the same"}}


def judgement_form(_ctx: Ctx, _who: Who, _obj: Obj) -> dict[str, Any]:
    return {"data": {"verdict": "negative", "reason": "matrice", "csrf_token": CSRF}}


def token_objects(ctx: Ctx) -> list[Obj]:
    """A token of one's own, another user's (a token manager revokes it), none."""
    return [Obj("own token", {"token_id": 0}, lambda w: True),
            Obj("another's token", {"token_id": 0}, lambda w: w.may("admin:token:manage")),
            Obj("missing", {"token_id": MISSING}, lambda w: False, missing=True)]


def token_id(where: str) -> Any:
    """The principal's own token, or another user's, kept for this row (API or page)."""
    def resolve(ctx: Ctx, who: Who, obj: Obj) -> dict[str, Any]:
        mine = ctx.own_tokens if obj.label == "own token" else ctx.victim_tokens
        return {"token_id": mine[f"{who.name}:{where}"]} if not obj.missing else obj.values
    return resolve


def new_token_body(_ctx: Ctx, who: Who, obj: Obj) -> dict[str, Any]:
    scopes = sorted(PERMISSIONS[str(who.role)]) if obj.label == "all its user's" \
        else ["admin:agency:read"]
    return {"json": {"name": f"matrix {who.name}", "scopes": scopes, "days": 1}}


def token_scopes(ctx: Ctx) -> list[Obj]:
    """A token of one's own within one's permissions, and one with all of them."""
    return [Obj("agency read", {}, lambda w: True), Obj("all its user's", {}, lambda w: True)]


def token_rule(who: Who, obj: Obj) -> set[int] | None:
    """docs/security.md: a token acts with a subset of its user's permissions, "never
    more": a token cannot make a token beyond its own scopes (refused as a user is, for
    scopes it does not hold: 400 naming the field)."""
    wanted = PERMISSIONS[str(who.role)] if obj.label == "all its user's" \
        else {"admin:agency:read"}
    if who.scopes is not None and not wanted <= who.scopes:
        return {400}
    return None


def writer_rule(permission: str, unknown: int, catalogue_first: bool = True) -> Any:
    """A liaison writes for its own service, the staff's operators for any (403 for
    another). A service that does not exist is refused by name (the catalogue of
    services is public: GET /api/v1/agencies), before (cases, operations) or after
    (webhooks) the service is checked against the writer's."""
    def rule(who: Who, obj: Obj) -> set[int] | None:
        if not who.may(permission):
            return {403}
        if obj.missing and (catalogue_first or writes_for(who, obj.label)):
            return {unknown}
        return None if writes_for(who, obj.label) else {403}
    return rule


def form_again(permission: str) -> Any:
    """A refused form shows its case's page again, with the refusal's status: for a
    reader of the case without the permission 403, for one who does not see the case
    404, as for none."""
    read = permission.replace(":write", ":read")

    def rule(who: Who, obj: Obj) -> set[int] | None:
        if who.may(permission) or not who.may(read):
            return None
        return {403} if obj.visible(who) else {404}
    return rule


def register_body(ctx: Ctx, who: Who, obj: Obj) -> dict[str, Any]:
    return {"json": {"agency": obj.label, "reference": f"M-{ctx.unique()}-{who.name}"[:100],
                     "title": "Matrice", "lead_contact": {"name": "Matrice"},
                     "protection": "NP"}}


def register_form(ctx: Ctx, who: Who, obj: Obj) -> dict[str, Any]:
    return {"data": {"agency": obj.label, "reference": f"MP-{ctx.unique()}-{who.name}",
                     "title": "Matrice", "contact_name": "Matrice", "protection": "NP",
                     "csrf_token": CSRF}}


def _phone(ctx: Ctx) -> str:
    n = ctx.unique()
    return f"07 98 {n // 10000 % 100:02d} {n // 100 % 100:02d} {n % 100:02d}"


def target_body(ctx: Ctx, _who: Who, _obj: Obj) -> dict[str, Any]:
    return {"json": {"kind": "phone", "value": _phone(ctx)}}


def target_form(ctx: Ctx, _who: Who, _obj: Obj) -> dict[str, Any]:
    return {"data": {"kind": "phone", "value": _phone(ctx), "csrf_token": CSRF}}


def remove_target(ctx: Ctx, cell: Cell, obj: Obj) -> Cell:
    """Add a target (201), then remove it (204): the case is left as it was."""
    base = cell.url.rsplit("/", 1)[0]
    add = Cell(cell.who, obj.label, "POST", base, frozenset({201}),
               json={"kind": "phone", "value": _phone(ctx)})

    def then(r: httpx.Response) -> list[Cell]:
        return [Cell(cell.who, obj.label, "DELETE", f"{base}/{r.json()['id']}",
                     frozenset({204}))]
    add.then = then
    return add


def remove_target_page(ctx: Ctx, cell: Cell, obj: Obj) -> Cell:
    """The page's form: add a target through the page, find it, remove it."""
    case_id = obj.values["investigation_id"]
    value = _phone(ctx)
    add = Cell(cell.who, obj.label, "POST", f"/investigations/{case_id}/targets",
               frozenset({303}), data={"kind": "phone", "value": value, "csrf_token": CSRF})

    def find(_r: httpx.Response) -> list[Cell]:
        look = Cell(cell.who, obj.label, "GET", f"/api/v1/investigations/{case_id}",
                    frozenset({200}))

        def remove(r: httpx.Response) -> list[Cell]:
            target = next(t["id"] for t in r.json()["targets"] if t["value"] == value)
            return [Cell(cell.who, obj.label, "POST",
                         f"/investigations/{case_id}/targets/{target}/remove",
                         frozenset({303}), data={"csrf_token": CSRF})]
        look.then = remove
        return [look]
    add.then = find
    return add


def _seeded_target(ctx: Ctx, key: str) -> int:
    return ctx.seeded.targets.get(key, MISSING)


def targets_of(ctx: Ctx) -> list[Obj]:
    out = [Obj(c.key, {"investigation_id": ctx.seeded.investigations[c.key],
                       "target_id": _seeded_target(ctx, c.key)},
               lambda w, c=c: sees_case(w, c)) for c in INVESTIGATIONS]
    return [*out, Obj("missing", {"investigation_id": MISSING, "target_id": MISSING},
                      lambda w: False, missing=True)]


def hit_objects(_ctx: Ctx, few: bool = False) -> list[Obj]:
    """Phones: of people of each owner (NP and DR, H0 and H2), of the cases, of nobody;
    `few` of them for the page (its answer is the API's, padded as a page)."""
    chosen = [r for r in PEOPLE if r.key in (
        ("OFAST-H2-DR", "DNPJ-H0-NP", "EMCO-H2-NP") if few else
        ("OFAST-H0-NP", "OFAST-H2-DR", "DNPJ-H2-NP", "DNPJ-H0-DR", "EMCO-H2-DR"))]
    out = [Obj(f"phone of {r.key}", {"phone": r.phone}, lambda w: True) for r in chosen]
    out += [Obj(f"case phone {n}", {"phone": p}, lambda w: True)
            for n, p in enumerate(SHARED_PHONES) if n == 0 or (n == 2 and not few)]
    return [*out, Obj("phone of nobody", {"phone": "06 55 55 55 55"}, lambda w: True)]


def hit_body(_ctx: Ctx, _who: Who, obj: Obj) -> dict[str, Any]:
    return {"json": {"kind": "phone", "value": obj.values["phone"]}}


def hit_form(_ctx: Ctx, _who: Who, obj: Obj) -> dict[str, Any]:
    return {"data": {"kind": "phone", "value": obj.values["phone"], "csrf_token": CSRF}}


def operation_body(ctx: Ctx, who: Who, obj: Obj) -> dict[str, Any]:
    n = ctx.unique()  # a place of its own: no conflict with anything
    return {"json": {"agency": obj.label, "reference": f"MO-{n}", "kind": "raid",
                     "latitude": 43.0 + n * 0.05, "longitude": 5.0, "radius_m": 50,
                     "start": "2030-01-02T06:00:00+01:00", "end": "2030-01-02T08:00:00+01:00"}}


def operation_form(ctx: Ctx, who: Who, obj: Obj) -> dict[str, Any]:
    n = ctx.unique()
    return {"data": {"agency": obj.label, "reference": f"MOP-{n}", "kind": "raid",
                     "latitude": str(43.0 + n * 0.05), "longitude": "5.0", "radius_m": "50",
                     "start": "2030-01-02T06:00", "end": "2030-01-02T08:00",
                     "csrf_token": CSRF}}


def operation_targets_body(ctx: Ctx, _who: Who, _obj: Obj) -> dict[str, Any]:
    return {"json": {"targets": [{"kind": "phone", "value": _phone(ctx)}]}}


def ack_rule(who: Who, obj: Obj) -> set[int] | None:
    """Only a recipient acknowledges; the staff, who sees every alert, is told 409."""
    if who.may("alerts:alert:acknowledge") and who.staff and not obj.missing:
        return {409}
    return None


def resolution_body(_ctx: Ctx, _who: Who, _obj: Obj) -> dict[str, Any]:
    # Refused after the access check (ZZZZ is no recipient): the alert stays open.
    return {"json": {"outcome": "lead_designated", "note": "matrice", "lead_agency": "ZZZZ"}}


def resolution_form(_ctx: Ctx, _who: Who, _obj: Obj) -> dict[str, Any]:
    return {"data": {"outcome": "lead_designated", "note": "matrice", "lead_agency": "ZZZZ",
                     "csrf_token": CSRF}}


def webhook_body(_ctx: Ctx, _who: Who, _obj: Obj) -> dict[str, Any]:
    return {"json": {"url": "https://hooks.example.org/emco"}}


def webhook_then_delete(ctx: Ctx, cell: Cell, obj: Obj) -> Cell:
    put = Cell(cell.who, obj.label, "PUT", cell.url, frozenset({200}),
               json={"url": "https://hooks.example.org/emco"})
    put.then = lambda _r: [Cell(cell.who, obj.label, "DELETE", cell.url, frozenset({204}))]
    return put


def reaches(ctx: Ctx) -> list[Obj]:
    """People, as the links reach them (a person's page answers a link in sight too)."""
    out = []
    for obj in few_people(ctx):
        group = ctx.group_of_entity(obj.values["entity_id"])
        out.append(Obj(obj.label, obj.values, never if group is None else
                       (lambda w, g=group: reaches_person(w, g)), missing=obj.missing,
                       extra=group))
    return out


def few_phones(ctx: Ctx) -> list[Obj]:
    return hit_objects(ctx, few=True)


def people_reached(ctx: Ctx) -> list[Obj]:
    """People, seen through their records, carrying their group for `decision_page_rule`."""
    out = []
    for o in people(ctx, ["OFAST-H0-NP", "OFAST-H0-DR", "DNPJ-H3-DR", "EMCO-H3-DR"]):
        group = ctx.group_of_entity(o.values["entity_id"]) if not o.missing else None
        out.append(Obj(o.label, o.values, o.visible, o.missing, extra=group, known=None
                       if group is None else lambda w, g=group: reaches_person(w, g)))
    return out


def path_objects(ctx: Ctx) -> list[Obj]:
    linked = next(g for g in entity_groups() if len(g) > 1)
    chosen = [(linked, ("OFAST-H2-NP",)), (("DNPJ-H1-NP",), ("DNPJ-H3-DR",)),
              (("OFAST-H0-DR",), ("OFAST-H3-NP",)), (linked, ("DNPJ-H1-NP",))]
    out = [Obj(f"{a[0]}~{b[0]}", {"from": ctx.entity(a), "to": ctx.entity(b)},
               lambda w: True) for a, b in chosen]
    return [*out, Obj("missing", {"from": ctx.entity(linked), "to": "E99999999"},
                      lambda w: True)]


def path_params(_ctx: Ctx, _who: Who, obj: Obj) -> dict[str, Any]:
    return {"params": {**obj.values, **WHY}}


def staff_only(permission: str) -> Any:
    """Runs over every service's records: the staff's operators only (docs/networks.md,
    docs/risk.md), and never a count of another service's files to anyone else."""
    def rule(who: Who, _obj: Obj) -> set[int] | None:
        return None if who.may(permission) and who.staff else {403}
    return rule


def decision_body(_ctx: Ctx, _who: Who, _obj: Obj) -> dict[str, Any]:
    return {"json": {"agency": "OFAST", "decision": "keep", "motif": "matrice"}}


def decision_form(_ctx: Ctx, _who: Who, _obj: Obj) -> dict[str, Any]:
    # the look's motif travels in the address, the decision's in the form
    return {"params": dict(WHY), "data": {"agency": "OFAST", "decision": "keep",
                                          "motif": "matrice", "csrf_token": CSRF}}


def decision_page_rule(who: Who, obj: Obj) -> set[int] | None:
    """A refused decision shows the person page again, with the refusal's status: 403
    for a reader of the person without the permission; 404, as for nobody, when the
    reader cannot reach the person (docs/risk.md)."""
    if who.may("risk:decision:write"):
        return None
    if not who.may("network:graph:read"):
        return {403}
    group = obj.extra
    return {403} if group is not None and reaches_person(who, group) else {404}


def judicial_body(_ctx: Ctx, _who: Who, obj: Obj) -> dict[str, Any]:
    return {"json": {"record": obj.values["record_id"], "kind": "judicial",
                     "motif": "matrice", "case_ref": "MATRIX-1"}}


def judicial_form(_ctx: Ctx, _who: Who, obj: Obj) -> dict[str, Any]:
    return {"data": {"record": str(obj.values["record_id"]), "kind": "judicial",
                     "motif": "matrice", "case_ref": "MATRIX-1", "csrf_token": CSRF}}


def request_then_withdraw(ctx: Ctx, cell: Cell, obj: Obj) -> Cell:
    """Ask (granted at once, already asked: 409, or pending), then withdraw a pending
    request of one's own."""
    def then(r: httpx.Response) -> list[Cell]:
        if r.status_code == 201 and r.json()["status"] == "pending":
            return [Cell(cell.who, obj.label, "POST",
                         f"/api/v1/handling-requests/{r.json()['id']}/withdrawal",
                         frozenset({200}))]
        return []
    cell.then = then
    return cell


def _grant(obj: Obj) -> Grant:
    return next(g for g in GRANTS if f"{g.record} {g.kind}" == obj.label)


def _party(who: Who, grant: Grant) -> bool:
    """A request is known to the services it is between and to who sees its record; to
    anyone else it reads as one that does not exist (handling.md: "the same 404 words
    for both, as everywhere")."""
    return who.agency in (BY_KEY[grant.record].agency, grant.to) or \
        sees_record(who, grant.record)


def decide_rule(who: Who, obj: Obj) -> set[int] | None:
    """handling.md: a liaison of the owning service decides (a request decided already:
    409), within its clearance; another service's 403; an unknown request 404."""
    if not who.may("handling:request:decide"):
        return {403}
    if obj.missing:
        return {404}
    grant = _grant(obj)
    if not _party(who, grant):
        return {404}
    if BY_KEY[grant.record].agency != who.agency:
        return {403}
    return {200, 409} if sees_record(who, grant.record) else {404}


def withdraw_rule(who: Who, obj: Obj) -> set[int] | None:
    """handling.md: only its author withdraws a request (the seeding accounts made
    these): 403 to everyone else it concerns, 404 for an unknown request."""
    if not who.may("handling:request:create"):
        return {403}
    if obj.missing or not _party(who, _grant(obj)):
        return {404}
    return {403}


def export_params(_ctx: Ctx, _who: Who, _obj: Obj) -> dict[str, Any]:
    return {"params": dict(WHY)}


def export_form(_ctx: Ctx, _who: Who, _obj: Obj) -> dict[str, Any]:
    return {"data": {**WHY, "csrf_token": CSRF}}


def status_form(value: str) -> Any:
    def build(_ctx: Ctx, _who: Who, _obj: Obj) -> dict[str, Any]:
        return {"data": {"status": value, "csrf_token": CSRF}}
    return build


def form(**fields: str) -> Any:
    def build(_ctx: Ctx, _who: Who, _obj: Obj) -> dict[str, Any]:
        return {"data": {**fields, "csrf_token": CSRF}}
    return build


def body(**fields: Any) -> Any:
    def build(_ctx: Ctx, _who: Who, _obj: Obj) -> dict[str, Any]:
        return {"json": dict(fields)}
    return build


def other_tokens(_ctx: Ctx) -> list[Obj]:
    return [Obj("own", {}, lambda w: True),
            Obj("victim.user", {}, lambda w: w.may("admin:token:manage"))]


def tokens_params(_ctx: Ctx, _who: Who, obj: Obj) -> dict[str, Any]:
    return {"params": {"username": obj.label}} if obj.label != "own" else {}


def tokens_rule(who: Who, obj: Obj) -> set[int] | None:
    """Another user's tokens are listed to a token manager only (docs/security.md)."""
    return {403} if obj.label != "own" and not who.may("admin:token:manage") else None


def search_page_objects(ctx: Ctx) -> list[Obj]:
    return [Obj("form", {}, lambda w: True), Obj("all people", {}, lambda w: True)]


def search_page_params(_ctx: Ctx, _who: Who, obj: Obj) -> dict[str, Any]:
    return {"params": {"q": SURNAME, **WHY}} if obj.label != "form" else {}


def search_page_rule(who: Who, obj: Obj) -> set[int] | None:
    return {200} if obj.label == "form" else None


def decide_form(_ctx: Ctx, _who: Who, _obj: Obj) -> dict[str, Any]:
    return {"data": {"decision": "refuse", "note": "matrice", "csrf_token": CSRF}}


def page_decide_rule(who: Who, obj: Obj) -> set[int] | None:
    ruled = decide_rule(who, obj)
    return {303, 409} if ruled == {200, 409} else ruled
