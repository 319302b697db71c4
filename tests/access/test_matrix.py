"""The permission matrix, generated: role x owner (own service, another, the staff) x
handling code x protection mention and clearance x route, on the API and the pages, on
SQLite and PostgreSQL.

Fixture strategy: the `world` fixture seeds one store per backend for the whole module
(the small world of `tests.access.matrix_world`, through the platform's own entry
points), makes an account for every role in each owner (in each clearance, for the
roles that read case data) and logs each in once: one `TestClient` per principal, kept
for the module; and three service tokens. It copies a migrated template
as `db` does in tests/conftest.py, but once per module: the matrix's thousands of cells
read one world, and the write rows (run last) never change what a read row expects.

Each route of `app.routes` has a row in `tests.access.matrix_routes.ROWS`; the expected
answer of each cell comes from the oracle `tests.access.matrix`, written from the
documentation, never from `emco.access.policy`. A test per row loops over its cells and
reports every failing cell at once. Beyond the status, every answer is searched for the
markers of what its reader may not see (counts, suggestions, exports and error messages
included), a refusal for an object out of sight must read exactly as one for an object
that does not exist, and hit/no-hit answers must not differ in size or time.

To stay within a minute per backend on two shared cores, a row's objects are all asked
by one principal of each kind of sight (service, clearance, staff or not) holding its
permission; the others ask about one object (`tests.access.matrix_cells`). The size of
the matrix is written to test-artifacts/permission-matrix.txt.
"""

import re
import shutil
import statistics
import time
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from emco.access import auth, records, tokens
from emco.access.gate import Access
from emco.api.risk import ranking
from emco.model.enums import Protection, Role
from emco.model.types import Principal
from emco.network.reading import scoped_edges
from emco.resolve.service import export_entities
from emco.settings import Settings
from emco.store import users
from emco.store.db import Database
from emco.web.app import create_app
from emco.web.security import CSRF_COOKIE
from tests import factories
from tests.access.matrix import (
    ANONYMOUS,
    TOKENS,
    Who,
    all_markers,
    principals,
    seen_markers,
    sees_link,
    sees_record,
)
from tests.access.matrix_asks import CSRF
from tests.access.matrix_cells import MISSING, WHY, Cell, Ctx, Row, nothing
from tests.access.matrix_routes import ROWS
from tests.access.matrix_world import (
    BY_KEY,
    LINKS,
    OWNERS,
    PERSONS,
    RECORDS,
    SERVICES,
    STAFF,
    seed,
    seeder,
)
from tests.conftest import _pg_url
from tests.web.conftest import PASSWORD, csrf, login, parse

ARTIFACT = Path(__file__).resolve().parents[2] / "test-artifacts" / "permission-matrix.txt"
TIMED = 200  # hit queries of each kind timed
ROLES = {r.value: r for r in Role}
BYE = [Who(f"bye.{role}", role, "OFAST") for role in ROLES]  # their sessions are ended
VICTIM = "victim.user"  # owns the tokens others try to revoke
AGENCY_READ = "admin:agency:read"  # a permission every role holds
# Pages read no token (docs/security.md): tokens are shown these, and sent to log in.
TOKEN_PAGES = ("/search", "/records/{record_id}", "/handling")


@dataclass
class World:
    """A seeded store, the app over it, a logged-in client per principal."""

    backend: str
    db: Database
    app: FastAPI
    ctx: Ctx
    clients: dict[str, TestClient]
    cells: int = 0
    rows: dict[str, int] = field(default_factory=dict)  # cells per route
    failures: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    seconds: float = 0.0

    def client(self, who: Who) -> TestClient:
        return self.clients[who.name]


STATS: dict[str, World] = {}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[tuple[str, Database]]:
    """A migrated store with the agencies, for the module (as `db`, once)."""
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("matrix") / "emco.sqlite3"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        database = Database(f"sqlite:///{path}")
        yield request.param, database
        database.dispose()
        return
    admin: sa.Engine = request.getfixturevalue("postgres_admin")
    template = request.getfixturevalue("postgres_template")
    name = f"emco_m_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    database = Database(_pg_url(name))
    yield request.param, database
    database.dispose()
    with admin.connect() as conn:
        conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def world(store: tuple[str, Database], tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[World]:
    """The seeded world, an account per principal logged in with its own client, the
    tokens, and the tokens each principal revokes in the write rows."""
    backend, db = store
    started = time.perf_counter()
    tmp = tmp_path_factory.mktemp("matrix-world")
    with pytest.MonkeyPatch.context() as patch, ExitStack() as stack:
        hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
        patch.setattr(auth, "_hasher", hasher)  # the hash is not what is tested here
        patch.setattr(auth, "_DUMMY_HASH", hasher.hash("not a password"))
        settings = Settings(database_url=db.url, data_dir=tmp / "var",
                            login_rate="100000/minute", hit_rate="100000/minute",
                            alert_worker_seconds=0)  # thousands of logins and hit queries
        ctx = Ctx(seed(db, settings, tmp))
        ranked = ranking(Access(db, seeder(STAFF, Role.OPERATOR))).people
        ctx.assessed = {g for p in ranked if (g := ctx.group_of_entity(p.entity))}
        for who in [*principals(), *BYE]:
            factories.user(db, who.name, str(who.agency), ROLES[str(who.role)],
                           clearance=Protection(who.clearance), password=PASSWORD)
        factories.user(db, VICTIM, "OFAST", Role.ANALYST, password=PASSWORD)
        app = create_app(settings, db)
        clients: dict[str, TestClient] = {}
        for who in [*principals(), *BYE, ANONYMOUS]:
            client = stack.enter_context(TestClient(app, follow_redirects=False))
            if not who.anonymous:
                login(client, who.name)
                csrf(client)  # the CSRF cookie of the forms
            clients[who.name] = client
        for who in TOKENS:
            secret = _token(db, who.username, sorted(who.scopes or ()), who.name).secret
            clients[who.name] = stack.enter_context(TestClient(
                app, follow_redirects=False, headers={"Authorization": f"Bearer {secret}"}))
        for who in [*principals(), *TOKENS]:
            for where in ("api", "page"):
                key = f"{who.name}:{where}"
                ctx.own_tokens[key] = _token(db, who.username, [AGENCY_READ], key).token.id
                ctx.victim_tokens[key] = _token(db, VICTIM, [AGENCY_READ], key).token.id
        found = World(backend, db, app, ctx, clients, started=started)
        STATS[backend] = found
        yield found


def _token(db: Database, username: str, scopes: list[str], name: str) -> tokens.NewToken:
    """A token of `username`'s, made as that user would make it."""
    with db.read() as conn:
        user = users.by_username(conn, username)
    assert user is not None
    return tokens.create(Access(db, user.principal()), username=username, name=name,
                         scopes=scopes, days=1)


# --- running the cells ---------------------------------------------------------------------

def _askers(row: Row) -> list[Who]:
    """Nobody for a public row; else nobody, every account (those refused the row's
    permission in one clearance only: the refusal is the role's) and the tokens (on the
    API, and on a few pages, which must send them to log in)."""
    if row.need == "public":
        return [ANONYMOUS]
    if row.own_session:
        return [ANONYMOUS, *BYE]
    if row.need is None and row.objects is nothing:  # one's own: one account per role
        return [ANONYMOUS, *(w for w in principals() if w.agency == SERVICES[0]
                             and w.clearance == "NP"), *TOKENS]
    refused = row.need is not None and not row.refusal_varies
    tokens = TOKENS if not row.page or row.path in TOKEN_PAGES else []
    return [ANONYMOUS, *(w for w in principals() if not (
        refused and w.clearance == "DR" and not w.may(str(row.need)))), *tokens]


# Who stands for a kind of sight (service, clearance, staff or not) among the principals
# holding a row's permission: a liaison, else an analyst, else an operator.
PREFERENCE = {"liaison": 0, "analyst": 1, "operator": 2}


def _full(row: Row, askers: list[Who]) -> set[str]:
    """The principals asked about every object of the row: one of each kind of sight
    among those holding its permission (the others ask about one object, to check the
    permission itself); everyone, where the answer depends on more than sight."""
    if row.need in (None, "public") or row.refusal_varies:
        return {w.name for w in askers}
    chosen: dict[tuple[object, ...], str] = {}
    for who in sorted(askers, key=lambda w: PREFERENCE.get(str(w.role), 9)):
        if who.may(str(row.need)) and not who.token:
            chosen.setdefault((who.agency, who.clearance, who.staff), who.name)
    return set(chosen.values())


def _send(world: World, cell: Cell) -> httpx.Response:
    """The cell's request, by its principal's client, with that client's CSRF token."""
    client = world.client(cell.who)
    data = cell.data
    if data is not None:
        token = client.cookies.get(CSRF_COOKIE, "")
        data = {k: (token if v == CSRF else v) for k, v in data.items()}
    return client.request(cell.method, cell.url, params=cell.params, json=cell.json,
                          data=data)


def _problems(row: Row, cell: Cell, r: httpx.Response) -> list[str]:
    """What is wrong with an answer: its status, a marker of what its reader may not see
    (any marker at all in an API refusal), a marker it must show, its row's check."""
    out = []
    if r.status_code not in cell.expect:
        out.append(f"status {r.status_code}, expected {sorted(cell.expect)}: "
                   f"{' '.join(r.text[:300].split())}")
    text = r.text.lower()
    if not row.unscoped:
        leaked = sorted(m for m in all_markers() - seen_markers(cell.who) if m.lower() in text)
        if leaked:
            out.append(f"shows what its reader may not see: {leaked}")
    if not row.page and r.status_code in (401, 403, 404) and row.case_data and \
            any(m.lower() in text for m in all_markers()):
        out.append("a refusal carries case data")
    if r.status_code in cell.expect and cell.shows and r.status_code < 300:
        absent = sorted(m for m in cell.shows if m.lower() not in text)
        if absent:
            out.append(f"does not show {absent}")
    if cell.check is not None and r.status_code in cell.expect and r.status_code < 300:
        problem = cell.check(r)
        if problem:
            out.append(problem)
    return out


def _normal(text: str, ids: tuple[str, ...]) -> str:
    """A refusal's words with the path's ids put aside ("no investigation 3" and "no
    investigation 999" say the same)."""
    for value in sorted(ids, key=len, reverse=True):
        text = re.sub(rf"(?<![\w-]){re.escape(value)}(?![\w-])", "#", text)
    return text


@dataclass
class Asked:
    """What one principal's cells of a row found."""

    cells: int = 0
    failures: list[str] = field(default_factory=list)
    refusals: dict[int, list[tuple[Cell, str]]] = field(
        default_factory=lambda: defaultdict(list))  # status -> (cell, its words)
    sizes: set[int] = field(default_factory=set)  # of the hit/no-hit answers


def _ask(world: World, row: Row, who: Who, full: bool) -> Asked:
    """Send one principal's cells of a row, its follow-up steps after each."""
    out = Asked()
    queue = row.cells(world.ctx, who, full=full)
    while queue:
        cell = queue.pop(0)
        r = _send(world, cell)
        out.cells += 1
        out.failures += [f"{cell.method} {cell.url} as {who} ({cell.label}): {problem}"
                         for problem in _problems(row, cell, r)]
        if r.status_code in (403, 404) and (cell.unseen or cell.missing or
                                            r.status_code == 403):
            said = " | ".join(parse(r.text).by_class.get("error", [])) if row.page \
                else r.text
            out.refusals[r.status_code].append((cell, _normal(said, cell.ids)))
        if row.path.endswith("/hits") and r.status_code == 200:
            out.sizes.add(len(r.content))
        if cell.then is not None and r.status_code in cell.expect:
            queue = cell.then(r) + queue
    for status, found in out.refusals.items():
        if len({body for _cell, body in found}) > 1:
            out.failures.append(
                f"{row.method} {row.path} as {who}: the {status} answers differ between "
                f"{[c.label for c, _ in found]} (an object out of sight must read as one "
                f"that does not exist)")
    if len(out.sizes) > 1:
        out.failures.append(f"{row.method} {row.path} as {who}: hit and no-hit answers "
                            f"differ in size: {sorted(out.sizes)}")
    return out


def run_row(world: World, row: Row) -> list[str]:
    """Every cell of a row, principal after principal (a write row's sequences touch
    the same objects)."""
    askers = _askers(row)
    full = _full(row, askers)
    if row.need not in (None, "public") and not row.refusal_varies:
        # beyond the one of each sight, a permission is checked in one clearance
        askers = [w for w in askers if w.name in full or w.clearance == "NP" or w.token]
    found = [_ask(world, row, who, who.name in full) for who in askers]
    failures = [f for asked in found for f in asked.failures]
    world.rows[f"{row.method} {row.path}"] = sum(a.cells for a in found)
    world.cells += sum(a.cells for a in found)
    world.failures += failures
    return failures


def _ids(rows: list[Row]) -> list[str]:
    return [f"{r.method} {r.path}" for r in rows]


READS = [r for r in ROWS if not r.write]
WRITES = [r for r in ROWS if r.write]


def test_every_route_has_a_row(world: World) -> None:
    table = {(r.method, r.path) for r in ROWS}
    routes = set()
    for route in iter_route_contexts(world.app.routes):
        for method in sorted((route.methods or {"GET"}) - {"HEAD"}):
            routes.add((method, str(route.path)))
    missing = [f"route {m} {p} has no row in the permission matrix"
               for m, p in sorted(routes - table)]
    gone = [f"row {m} {p} has no route" for m, p in sorted(table - routes)]
    assert not missing + gone, "\n".join(missing + gone)


@pytest.mark.parametrize("row", READS, ids=_ids(READS))
def test_read(world: World, row: Row) -> None:
    failures = run_row(world, row)
    assert not failures, f"{len(failures)} failing cells:\n" + "\n".join(failures)


def test_exports_and_counts_stay_in_scope(world: World) -> None:
    """What the CLI exports for a principal (docs/handling.md, docs/networks.md): the
    identities and the census of its records, the resolved entities, the links."""
    failures = []
    for who in principals():
        p = Principal(who.name, str(who.agency), frozenset({ROLES[str(who.role)]}),
                      Protection(who.clearance))
        access = Access(world.db, p)
        seen = {world.ctx.ids[r.key] for r in RECORDS if sees_record(who, r.key)}
        if who.may("case:record:read"):
            got = {rid for _a, _s, rid in records.identities(access)}
            if got != seen:
                failures.append(f"identities as {who}: {sorted(got ^ seen)} differ")
        if who.may("case:record:search"):
            counts = records.census(access)
            want: dict[str, int] = defaultdict(int)
            for r in RECORDS:
                if sees_record(who, r.key):
                    want[r.agency] += 1
            got_counts = {a: sum(v.values()) for a, v in counts.items()}
            if got_counts != dict(want):
                failures.append(f"census as {who}: {got_counts}, expected {dict(want)}")
        if who.may("resolve:entity:export"):
            sources = {s for _a, s, _e in export_entities(access)}
            hidden = {k for k in BY_KEY if not sees_record(who, k)} & sources
            if hidden:
                failures.append(f"entity export as {who} names {sorted(hidden)}")
        if who.may("network:graph:export"):
            frame = scoped_edges(access)
            evidence = {e for lst in frame["evidence"] for e in lst}
            allowed = {f"record:{world.ctx.ids[link[0]]}" for link in LINKS
                       if sees_link(who, link)}
            if not evidence <= allowed:
                failures.append(f"edges exported to {who}: {sorted(evidence - allowed)}")
        world.cells += 4
    world.failures += failures
    assert not failures, "\n".join(failures)


def _alternate(client: TestClient, asks: list[dict[str, Any]], rounds: int, whole: bool
               ) -> tuple[list[list[float]], set[tuple[int, object]]]:
    """Send two requests in turn `rounds` times: the times of each (ms), and the answers
    seen, as (status, size), or (status, body) when `whole`."""
    times: list[list[float]] = [[] for _ in asks]
    answers: set[tuple[int, object]] = set()
    for _ in range(rounds):
        for n, ask in enumerate(asks):
            start = time.perf_counter()
            r = client.request(**ask)
            times[n].append((time.perf_counter() - start) * 1000)
            answers.add((r.status_code, r.content if whole else len(r.content)))
    return times, answers


def _apart(what: str, times: list[list[float]]) -> list[str]:
    """Medians within 3 ms or half the smaller: generous, for a loaded 2-core machine."""
    a, b = (statistics.median(t) for t in times)
    if abs(a - b) <= max(3.0, 0.5 * min(a, b)):
        return []
    return [f"{what} differ in time: medians {a:.2f} ms and {b:.2f} ms"]


def test_hit_and_no_hit_look_and_take_the_same(world: World) -> None:
    """deconfliction.md: a hit on a record the asker cannot see (OFAST's DR person, for
    DNPJ's NP liaison) and no hit answer with the same status and size, in about the
    same time; and so do a record out of sight and one that does not exist (the same
    words, too)."""
    who = next(w for w in principals() if w.name == "liaison.dnpj.np")
    client = world.client(who)
    unseen = BY_KEY["OFAST-H2-DR"]
    assert not sees_record(who, unseen.key)
    phones = [{"method": "POST", "url": "/api/v1/hits",
               "json": {"kind": "phone", "value": value}}
              for value in (unseen.phone, "06 55 55 55 55")]
    times, answers = _alternate(client, phones, TIMED, whole=False)
    problems = _apart("hit and no hit", times)
    if len(answers) != 1:
        problems.append(f"hit and no hit answer differently: {sorted(answers)}")
    reads = [{"method": "GET", "url": f"/api/v1/records/{rid}", "params": WHY}
             for rid in (world.ctx.ids[unseen.key], MISSING)]
    times, answers = _alternate(client, reads, TIMED // 8, whole=True)
    problems += _apart("a record out of sight and none", times)
    if len(answers) != 1:
        problems.append(f"a record out of sight and none answer differently: {answers}")
    world.cells += 2 * TIMED + 2 * (TIMED // 8)
    world.failures += problems
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("row", WRITES, ids=_ids(WRITES))
def test_write(world: World, row: Row) -> None:
    failures = run_row(world, row)
    assert not failures, f"{len(failures)} failing cells:\n" + "\n".join(failures)


def test_report(world: World) -> None:
    """The size of the matrix, per backend, in test-artifacts/permission-matrix.txt."""
    world.seconds = time.perf_counter() - world.started
    ARTIFACT.parent.mkdir(exist_ok=True)
    lines = []
    for backend, w in sorted(STATS.items()):
        lines.append(f"{backend}: {w.cells} cells checked, {len(w.rows)} of {len(ROWS)} "
                     f"routes covered, {len(w.failures)} failures, {w.seconds:.1f} s, "
                     f"{len(principals())} accounts + {len(TOKENS)} tokens + anonymous, "
                     f"{len(RECORDS)} records ({len(PERSONS)} people of "
                     f"{len(OWNERS)} owners x 4 handling codes x 2 mentions)")
        lines += [f"  {n:5d} cells  {route}" for route, n in sorted(
            w.rows.items(), key=lambda item: -item[1])]
        lines += [f"  FAILED {f}" for f in w.failures[:200]]
    ARTIFACT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    assert len(world.rows) == len(ROWS), sorted(
        {f"{r.method} {r.path}" for r in ROWS} - set(world.rows))

