"""The oracle of the permission matrix: who holds which permission, and who sees which
record, case, operation, alert, person and network of the world of
`tests.access.matrix_world`.

It is written from the documentation (docs/security.md, docs/handling.md,
docs/deconfliction.md, docs/operations.md, docs/networks.md, docs/risk.md, docs/alerts.md)
and never asks `emco.access.policy`: a matrix that asked the code under test what to
expect could not fail. Where the documentation is silent the intended behaviour was read
in `emco.access.policy` and written out here.
"""

from dataclasses import dataclass

from tests.access.matrix_world import (
    BY_KEY,
    EVENTS,
    INVESTIGATIONS,
    LINKED,
    LINKS,
    OPERATIONS,
    OWNERS,
    PROTECTIONS,
    RECORDS,
    STAFF,
    Case,
    judicial_consent,
    passed_to,
)

# --- permissions, by role ------------------------------------------------------------------
# docs/security.md (tokens), docs/handling.md (request, decide, judicial export),
# docs/deconfliction.md and docs/operations.md (liaisons register, services read),
# docs/alerts.md (acknowledge, resolve, webhooks), docs/networks.md (services read, the
# staff runs; auditors and administrators have no access), docs/risk.md (who sees what),
# docs/audit.md and docs/retention.md (auditors read the log, administrators run the
# retention). Written out, not imported.
_DECONFLICT_READ = {"deconflict:investigation:read", "deconflict:operation:read",
                    "deconflict:hit:query", "alerts:alert:read"}
_DECONFLICT_WRITE = {"deconflict:investigation:write", "deconflict:operation:write",
                     "alerts:alert:acknowledge", "alerts:alert:resolve",
                     "alerts:webhook:manage"}
PERMISSIONS: dict[str, frozenset[str]] = {
    "operator": frozenset({
        "case:record:read", "case:record:search", "admin:agency:read",
        "resolve:batch:run", "resolve:pair:explain", "resolve:judgement:create",
        "resolve:queue:read", "resolve:entity:export", *_DECONFLICT_READ,
        *_DECONFLICT_WRITE, "network:graph:read", "network:graph:export",
        "network:graph:run", "risk:assessment:run", "risk:assessment:read",
        "risk:declaration:write", "risk:decision:write", "admin:retention:review",
        "handling:request:create", "case:record:judicial-export"}),
    "liaison": frozenset({
        "case:record:read", "case:record:search", "case:record:ingest", "admin:agency:read",
        "resolve:pair:explain", *_DECONFLICT_READ, *_DECONFLICT_WRITE,
        "network:graph:read", "risk:assessment:read", "risk:declaration:write",
        "admin:retention:review", "handling:request:create", "handling:request:decide"}),
    "analyst": frozenset({
        "case:record:read", "case:record:search", "admin:agency:read",
        "resolve:pair:explain", *_DECONFLICT_READ, "network:graph:read",
        "network:graph:export", "risk:assessment:read"}),
    "auditor": frozenset({"audit:log:read", "audit:log:verify", "admin:agency:read"}),
    "admin": frozenset({"admin:user:create", "admin:user:update", "admin:token:manage",
                        "admin:agency:read", "audit:log:verify", "admin:retention:run"}),
}
ROLES = tuple(PERMISSIONS)
READERS = ("operator", "liaison", "analyst")
CLEARED = {"NP": {"NP"}, "DR": {"NP", "DR"}}


@dataclass(frozen=True)
class Who:
    """A principal of the matrix: an account logged in through the session API, a service
    token of one (`scopes`), or nobody (`role` None)."""

    name: str
    role: str | None
    agency: str | None
    clearance: str = "NP"
    scopes: frozenset[str] | None = None  # a token's; None for a session

    @property
    def token(self) -> bool:
        return self.scopes is not None

    @property
    def anonymous(self) -> bool:
        return self.role is None

    @property
    def username(self) -> str:
        return self.name.split("+")[0]

    @property
    def staff(self) -> bool:
        """One of the staff's operators: sees every service's records (handling.md)."""
        return self.role == "operator" and self.agency == STAFF

    def may(self, permission: str) -> bool:
        if self.role is None:
            return False
        held = PERMISSIONS[self.role]
        return permission in held and (self.scopes is None or permission in self.scopes)

    def cleared(self, protection: str) -> bool:
        return protection in CLEARED[self.clearance]

    def __str__(self) -> str:
        return self.name


def principals() -> list[Who]:
    """Every role in each owner (a service, the other, the staff); in each clearance for
    the roles that read case data (an auditor's or administrator's changes nothing)."""
    return [Who(f"{role}.{agency.lower()}.{clearance.lower()}", role, agency, clearance)
            for role in ROLES for agency in OWNERS for clearance in PROTECTIONS
            if clearance == "NP" or role in READERS]


# Service tokens, for the API only (docs/security.md): narrower than their user, or whole.
TOKENS = [
    Who("analyst.ofast.dr+token", "analyst", "OFAST", "DR", frozenset({"case:record:read"})),
    Who("liaison.dnpj.np+token", "liaison", "DNPJ", "NP", PERMISSIONS["liaison"]),
    Who("operator.emco.dr+token", "operator", STAFF, "DR",
        frozenset({"deconflict:hit:query", "case:record:search"})),
]
ANONYMOUS = Who("anonymous", None, None)


# --- what each principal sees --------------------------------------------------------------

def sees_record(who: Who, key: str) -> bool:
    """handling.md: the staff's operators see every service's records; a service its own
    and those passed to it; everyone within their clearance."""
    r = BY_KEY[key]
    if who.anonymous or not who.cleared(r.protection):
        return False
    return who.staff or r.agency == who.agency or key in passed_to(str(who.agency))


def sees_case(who: Who, case: Case) -> bool:
    """deconfliction.md, operations.md: the same scope as records, without passing."""
    if who.anonymous or not who.cleared(case.protection):
        return False
    return who.staff or case.agency == who.agency


def writes_for(who: Who, agency: str) -> bool:
    """A liaison registers its own service's cases and operations; the staff's operators
    any service's."""
    return who.staff or who.agency == agency


# Every alert of the world goes to both services (deconfliction.md, operations.md):
# OFAST's case or operation with DNPJ's.
ALERTS = ("overlap:OFAST-NP", "overlap:OFAST-DR", "conflict:OFAST-NP", "conflict:OFAST-DR")
ALERT_RECIPIENTS = {"OFAST", "DNPJ"}


def sees_alert(who: Who) -> bool:
    """alerts.md: a service sees the alerts it receives; the staff's operators all."""
    return who.staff or who.agency in ALERT_RECIPIENTS


def entity_groups() -> list[tuple[str, ...]]:
    """The people as resolution joined them: `LINKED`, every other record alone."""
    alone = [(r.key,) for r in RECORDS if r.key not in LINKED]
    return [LINKED, *alone]


def group_of(key: str) -> tuple[str, ...]:
    return next(g for g in entity_groups() if key in g)


def sees_entity(who: Who, group: tuple[str, ...]) -> bool:
    """A person is in sight through any of its records in sight."""
    return any(sees_record(who, k) for k in group)


def sees_link(who: Who, link: tuple[str, str, str, str, str]) -> bool:
    """networks.md: a service sees the links its own records state; the staff's operators
    every service's; DR links with DR clearance only."""
    _, agency, protection, _, _ = link
    return not who.anonymous and who.cleared(protection) and (
        who.staff or agency == who.agency)


def links_between(groups: set[tuple[str, ...]]) -> list[tuple[str, str, str, str, str]]:
    return [link for link in LINKS if group_of(link[3]) in groups
            and group_of(link[4]) in groups]


def reaches_person(who: Who, group: tuple[str, ...]) -> bool:
    """Whether a person's neighbourhood answers: a record of him, or a link to him, in
    sight (networks.md: "as if it did not exist" otherwise)."""
    return sees_entity(who, group) or any(
        sees_link(who, link) for link in LINKS if group in (group_of(link[3]),
                                                            group_of(link[4])))


def sees_network(who: Who, members: set[tuple[str, ...]]) -> bool:
    """networks.md: the staff's operators every network; a service those its own links
    reach into; a network none of its links reaches is unknown."""
    return who.staff or any(sees_link(who, link) for link in links_between(members))


def path_exists(who: Who, a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Whether the links in sight join two people (at most six links)."""
    seen = [(group_of(link[3]), group_of(link[4])) for link in LINKS if sees_link(who, link)]
    reached, frontier = {a}, {a}
    for _ in range(6):
        frontier = {y for x, z in seen for y in (x, z) if {x, z} & frontier} - reached
        reached |= frontier
    return b in reached


def judicial_lines(who: Who, group: tuple[str, ...]) -> tuple[set[str], dict[str, set[str]]]:
    """handling.md: the entity's records in sight, but the H1 records of other services
    the owner has not consented to, which are listed per owner instead."""
    kept: set[str] = set()
    withheld: dict[str, set[str]] = {}
    consent = judicial_consent(str(who.agency))
    for key in group:
        r = BY_KEY[key]
        if not sees_record(who, key):
            continue
        if r.handling == "H1" and r.agency != who.agency and key not in consent:
            withheld.setdefault(r.agency, set()).add(key)
        else:
            kept.add(key)
    return kept, withheld


def risk_signals(who: Who, group: tuple[str, ...]) -> set[tuple[str, str]]:
    """handling.md: a service is not shown the signals resting on another service's H2
    records not passed to it; the staff's operators see them all. (type, service) of
    each incident signal of the person the reader is shown."""
    out = set()
    for key, agency, code, party, _keyword, signal in EVENTS:
        if party not in group:
            continue
        hidden = (not who.staff and code == "H2" and agency != who.agency
                  and key not in passed_to(str(who.agency)))
        if not hidden:
            out.add((signal, agency))
    return out


def hit_services(phone_owner: str | None, investigations_on: set[str]) -> set[str]:
    """deconfliction.md: the services holding a record of the person the identifier
    designates (every record of his entity), or with an open case targeting it."""
    found = set(investigations_on)
    if phone_owner is not None:
        found |= {BY_KEY[k].agency for k in group_of(phone_owner)}
    return found


# --- markers: what a reader may meet in an answer ------------------------------------------

def record_markers() -> dict[str, str]:
    return {r.key: str(r.marker) for r in RECORDS if r.marker}


def seen_markers(who: Who) -> set[str]:
    """The markers of everything the principal may see."""
    out = {m for k, m in record_markers().items() if sees_record(who, k)}
    out |= {c.marker for c in INVESTIGATIONS if sees_case(who, c)}
    out |= {c.marker for c in OPERATIONS if sees_case(who, c)}
    return out


def all_markers() -> set[str]:
    return ({*record_markers().values()} | {c.marker for c in INVESTIGATIONS}
            | {c.marker for c in OPERATIONS})
