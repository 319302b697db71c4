"""Fixture strategy.

`app` is `emco.web.app.create_app(settings, db)` over the `db` fixture of tests/conftest.py,
so every test that takes it runs once on SQLite and once on PostgreSQL, on a fresh
database. `client` is a logged-out `TestClient` of it that does not follow redirects (the
tests read each Location) and keeps cookies like a browser.

`world` puts a little data in through the platform's own entry points: one file per
service, ingested with `tests.factories.load` (OFAST: three people, one of them under
handling code H3; DNPJ: a namesake of OFAST's Jean Dupont), and one analyst per service
made with `tests.factories.user`. It returns the records' ids by source id.

Passwords are hashed with argon2id at its lowest cost here (`cheap_passwords`, autouse):
the real cost takes about a second per account and login on a test machine, and these
tests are about the web layer, not the hash.

`resolved` is another small world, for entity resolution: two services' files (OFAST,
SNRP) describing the same people with the variations each service makes, and namesakes;
an operator of the staff, OFAST's liaison officer and analyst; and a full resolution run
by the operator (`Thresholds(0.5, 0.2)`, the default settings), so that some pairs are
merged, some kept apart and some left for review. It returns the records' ids by source
id. A test that needs a pair in a given state finds it in the store (`standing`), so the
tests do not depend on the exact scores the unsupervised model gives.

Both are built once per module and backend and copied for the module's other tests
(`seeded`, tests/conftest.py).

`live_server` serves `app` over HTTP on a free local port, for the browser tests.

`login` opens a session through the API; `form_login` goes through the login page with
its CSRF token, as a browser does. `parse` reads a rendered page (links, text, tables,
tags) with the standard library's HTML parser.

tests/api/conftest.py re-exports these fixtures for the API tests.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient
from playwright.sync_api import Page as PlaywrightPage

from emco.access import auth, records
from emco.access.gate import Access
from emco.model.enums import Protection, Role, Verdict
from emco.model.types import Judgement
from emco.resolve.service import Thresholds, resolve
from emco.settings import Settings
from emco.store import resolution
from emco.store.db import Database
from emco.web.app import create_app
from emco.web.security import CSRF_COOKIE
from tests import factories
from tests.web.threaded import bound_socket, served

PASSWORD = "correct horse battery"
OFAST_USER = "ana.ofast"
DNPJ_USER = "ana.dnpj"
H3_CONDITION = "Ne pas diffuser hors OFAST sans son accord écrit"

OFAST_FILE = [
    factories.entity("o-dupont", "Person", meta={
        "handling": "H1", "reliability": "B", "credibility": "2", "category": "suspect",
        "observed": "2024-03-01"},
        name="Jean Dupont", phone="06 12 34 56 78", birthDate="1980-01-02"),
    factories.entity("o-dupuis", "Person", meta={"handling": "H0"}, name="Jean Dupuis"),
    factories.entity("o-curie", "Person", meta={
        "handling": "H3", "condition": H3_CONDITION, "reliability": "A", "credibility": "1"},
        name="Marie Curie", email="marie.curie@example.org"),
]
DNPJ_FILE = [factories.person("d-dupont", "Jean Dupont", phone="06 12 34 56 78")]


@dataclass
class World:
    """The records loaded by `world`: EMCO ids by source id, and the analysts' names."""

    ids: dict[str, int]
    ofast_user: str = OFAST_USER
    dnpj_user: str = DNPJ_USER
    password: str = PASSWORD


@pytest.fixture(autouse=True)
def cheap_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    monkeypatch.setattr(auth, "_hasher", hasher)
    monkeypatch.setattr(auth, "_DUMMY_HASH", hasher.hash("not a password"))


@pytest.fixture
def app(settings: Settings, db: Database) -> FastAPI:
    return create_app(settings, db)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[str]:
    """The app served by uvicorn in a thread on 127.0.0.1 at a free port, for the length of
    a test (for the browser tests); its data is whatever the test's other fixtures put in."""
    sock = bound_socket()
    with served(app, sock):
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture
def world(db: Database, settings: Settings, tmp_path: Path,
          seeded: Callable[..., dict[str, int]]) -> World:
    return World(seeded("world", lambda: _world(db, settings, tmp_path)))


def _world(db: Database, settings: Settings, tmp_path: Path) -> dict[str, int]:
    ids: dict[str, int] = {}
    for agency, username, entities in (("OFAST", OFAST_USER, OFAST_FILE),
                                       ("DNPJ", DNPJ_USER, DNPJ_FILE)):
        path = factories.write_jsonl(tmp_path / f"{agency.lower()}.jsonl", entities)
        summary = factories.load(db, settings, path, agency=agency)
        assert summary.accepted == len(entities), summary.first_errors
        factories.user(db, username, agency, Role.ANALYST, password=PASSWORD)
        access = Access(db, factories.principal(agency, Role.ANALYST))
        for e in entities:
            found = records.search(access, e["properties"]["name"][0],
                                   region=settings.default_region, motif="fixture",
                                   case_ref="TEST")
            ids.update((r.source_id, r.id) for r in found.records if r.source_id == e["id"])
    assert len(ids) == len(OFAST_FILE) + len(DNPJ_FILE)
    return ids


OPERATOR = "op.emco"
LIAISON = "liaison.ofast"
P = factories.person
# Why a person is looked at: searches and Person records need both (docs/handling.md).
WHY = {"motif": "verification", "case_ref": "PV-1"}
WHY_Q = "motif=verification&case_ref=PV-1"
RESOLVE_OFAST = [
    P("o-amra", "Mohamed AMRA", birthDate="1994-02-13", phone="06 11 22 33 44",
      gender="male", birthPlace="Rouen"),
    P("o-benali", "Karim BENALI", birthDate="1988-05-02", gender="male"),
    P("o-martin", "Lucas MARTIN", birthDate="1990-07-07"),
    P("o-dupont", "Jean DUPONT", birthDate="1975-03-12", phone="06 99 88 77 66"),
    P("o-leroy", "Sophie LEROY", birthDate="1982-11-20", gender="female"),
    P("o-nguyen", "Thi NGUYEN", birthDate="1979-01-01"),
]
RESOLVE_SNRP = [
    P("s-amra", "AMRA Mohamed", birthDate="1994-02-13", gender="male", birthPlace="Rouen"),
    P("s-amra2", "Mohammed Amra", birthDate="1994"),
    P("s-amra-old", "Mohamed AMRA", birthDate="1961-09-30", gender="male"),  # a namesake
    P("s-benali", "Karim BEN ALI", birthDate="1988-05-02"),
    P("s-martin", "Lucas MARTIN"),
    P("s-dupont", "Jean DUPOND", phone="+33699887766"),
    P("s-leroy", "Sophie LEROI", birthDate="1982-11-02", gender="female"),
    P("s-garcia", "Pablo GARCIA", birthDate="1985-06-15"),
    P("s-martin2", "Lucas MARTINS", birthDate="1990"),
    P("s-nguyen", "NGUYEN Thi", birthDate="1979"),
    P("s-benali2", "Karima BENALI"),
    P("s-dupont2", "Jean DUPONT", birthDate="1975"),
    P("s-roux", "Paul ROUX", birthDate="1970-04-04"),
    P("s-petit", "Anne PETIT", birthDate="1991-12-24", gender="female"),
]


@dataclass
class Resolved:
    """The records of `resolved` by source id, the accounts, and the store to look in."""

    ids: dict[str, int]
    db: Database
    operator: str = OPERATOR
    liaison: str = LIAISON
    analyst: str = OFAST_USER
    password: str = PASSWORD

    @property
    def source(self) -> dict[int, str]:
        return {v: k for k, v in self.ids.items()}

    def standing(self) -> list[Judgement]:
        with self.db.read() as conn:
            return sorted(resolution.standing(conn, doubts=True), key=lambda j: j.id)

    def entities(self) -> dict[int, str]:
        with self.db.read() as conn:
            return resolution.entities(conn)

    def model_pairs(self, verdict: Verdict) -> list[tuple[int, int]]:
        """Pairs whose standing judgement is the model's `verdict`, no operator's."""
        judged = {(j.left, j.right) for j in self.standing() if j.human}
        return [(j.left, j.right) for j in self.standing()
                if j.author.startswith("model:") and j.verdict == verdict
                and (j.left, j.right) not in judged]


_MODEL: list = []  # records counted, Splink settings, term frequencies


@pytest.fixture
def resolved(db: Database, settings: Settings, tmp_path: Path,
             seeded: Callable[..., dict[str, int]]) -> Resolved:
    world = Resolved(seeded("resolved", lambda: _resolved(db, settings, tmp_path)), db)
    assert len(world.model_pairs(Verdict.UNSURE)) >= 2, "the data must leave pairs to review"
    assert world.model_pairs(Verdict.POSITIVE), "and merge some"
    return world


def _resolved(db: Database, settings: Settings, tmp_path: Path) -> dict[str, int]:
    ids: dict[str, int] = {}
    for agency, entities in (("OFAST", RESOLVE_OFAST), ("SNRP", RESOLVE_SNRP)):
        path = factories.write_jsonl(tmp_path / f"resolve-{agency.lower()}.jsonl", entities)
        summary = factories.load(db, settings, path, agency=agency)
        assert summary.accepted == len(entities), summary.first_errors
    factories.user(db, OPERATOR, "EMCO", Role.OPERATOR, clearance=Protection.DR,
                   password=PASSWORD)
    factories.user(db, LIAISON, "OFAST", Role.LIAISON, password=PASSWORD)
    factories.user(db, OFAST_USER, "OFAST", Role.ANALYST, password=PASSWORD)
    operator = Access(db, factories.principal("EMCO", Role.OPERATOR, clearance=Protection.DR,
                                              username=OPERATOR))
    for _agency, source_id, record_id in records.identities(operator):
        ids[source_id] = record_id
    # The model is trained once per test process (on the same files each time) and
    # stored again for each module: training is the slow part, and not what is tested.
    if _MODEL:
        with db.write() as conn:
            resolution.save_model(conn, "person", *_MODEL)
    resolve(operator, Thresholds(0.5, 0.2), full=True)
    if not _MODEL:
        with db.read() as conn:
            stored = resolution.latest_model(conn, "person")
        assert stored is not None
        _MODEL.extend([len(ids), stored[1], stored[2]])
    return ids


def login(client: TestClient, username: str = OFAST_USER, password: str = PASSWORD) -> None:
    """Open a session for `client` through the API (the cookie stays in the client)."""
    code = factories.totp_code(client.app.state.db, username)  # type: ignore[attr-defined]
    response = client.post("/api/v1/session", json={"username": username,
                                                     "password": password, "code": code})
    assert response.status_code == 200, response.text


def csrf(client: TestClient) -> str:
    """The CSRF token of the client's browser, fetching the login page for one."""
    if CSRF_COOKIE not in client.cookies:
        assert client.get("/login").status_code == 200
    return client.cookies[CSRF_COOKIE]


def form_login(client: TestClient, username: str = OFAST_USER, password: str = PASSWORD,
               next: str | None = None, token: str | None = None) -> httpx.Response:
    """Submit the login form, then the second factor's (enrolling it if the account has
    none yet); returns the last response (a 303 to `next` on success), or the first
    form's when it refuses."""
    data = {"username": username, "password": password,
            "csrf_token": csrf(client) if token is None else token}
    if next is not None:
        data["next"] = next
    first = client.post("/login", data=data)
    if first.status_code != 303:
        return first
    second = first.headers["location"]
    assert second.startswith(("/login/code?", "/login/enrol?")), second
    if second.startswith("/login/enrol"):
        assert client.get(second).status_code == 200  # makes the secret to enrol
    code = factories.totp_code(client.app.state.db, username)  # type: ignore[attr-defined]
    return client.post(second.split("?")[0], data={
        "code": code, "csrf_token": data["csrf_token"], "next": next or "/search"})


def browser_login(page: PlaywrightPage, db: Database, username: str,
                  password: str = PASSWORD) -> None:
    """Log in on the login page the browser shows: the password, then the code."""
    page.fill("#username", username)
    page.fill("#password", password)
    page.press("#password", "Enter")
    page.wait_for_url("**/login/*")
    page.fill("#code", factories.totp_code(db, username))
    page.press("#code", "Enter")


@dataclass
class Page:
    """What a rendered HTML page holds, as the tests look at it."""

    tags: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    text: str = ""
    tables: dict[str, list[list[str]]] = field(default_factory=dict)  # class -> body rows
    by_id: dict[str, str] = field(default_factory=dict)  # element id -> its text
    by_class: dict[str, list[str]] = field(default_factory=dict)  # class -> texts
    scripts: list[tuple[dict[str, str], str]] = field(default_factory=list)

    def links(self, cls: str | None = None) -> list[str]:
        return [a["href"] for tag, a in self.tags if tag == "a" and "href" in a
                and (cls is None or cls in a.get("class", "").split())]

    def record_ids(self) -> list[int]:
        """Ids of the records the page links to, in order."""
        return [int(h.split("?")[0].rsplit("/", 1)[1]) for h in self.links()
                if h.startswith("/records/")]


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self.open: list[tuple[str, dict[str, str], list[str]]] = []
        self.texts: list[str] = []
        self.table: str | None = None
        self.in_body = False
        self.row: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.page.tags.append((tag, a))
        if tag == "table":
            self.table = a.get("class", "")
            self.page.tables[self.table] = []
        elif tag == "tbody":
            self.in_body = True
        elif tag == "tr" and self.in_body and self.table is not None:
            self.row = []
            self.page.tables[self.table].append(self.row)
        if tag not in VOID:
            self.open.append((tag, a, []))

    def handle_endtag(self, tag: str) -> None:
        while self.open:
            name, a, parts = self.open.pop()
            text = " ".join(" ".join(parts).split())
            if self.open:
                self.open[-1][2].append(text)
            if name in ("td", "th") and self.row is not None:
                self.row.append(text)
            if "id" in a:
                self.page.by_id[a["id"]] = text
            for cls in a.get("class", "").split():
                self.page.by_class.setdefault(cls, []).append(text)
            if name == "script":
                self.page.scripts.append((a, text))
            if name == tag:
                break
        if tag == "tbody":
            self.in_body = False
        elif tag == "table":
            self.table = None

    def handle_data(self, data: str) -> None:
        if self.open:
            self.open[-1][2].append(data)
        if not self.open or self.open[-1][0] not in ("script", "style", "title"):
            self.texts.append(data)


def parse(html: str) -> Page:
    reader = _Reader()
    reader.feed(html)
    reader.close()
    reader.page.text = " ".join(" ".join(reader.texts).split())
    return reader.page
