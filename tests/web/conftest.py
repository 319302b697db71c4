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

`login` opens a session through the API; `form_login` goes through the login page with
its CSRF token, as a browser does. `parse` reads a rendered page (links, text, tables,
tags) with the standard library's HTML parser.

tests/api/conftest.py re-exports these fixtures for the API tests.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from emco.access import auth, records
from emco.access.gate import Access
from emco.model.enums import Role
from emco.settings import Settings
from emco.store.db import Database
from emco.web.app import create_app
from emco.web.security import CSRF_COOKIE
from tests import factories

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
def world(db: Database, settings: Settings, tmp_path: Path) -> World:
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
                                   region=settings.default_region)
            ids.update((r.source_id, r.id) for r in found.records if r.source_id == e["id"])
    assert len(ids) == len(OFAST_FILE) + len(DNPJ_FILE)
    return World(ids)


def login(client: TestClient, username: str = OFAST_USER, password: str = PASSWORD) -> None:
    """Open a session for `client` through the API (the cookie stays in the client)."""
    response = client.post("/api/v1/session", json={"username": username,
                                                     "password": password})
    assert response.status_code == 200, response.text


def csrf(client: TestClient) -> str:
    """The CSRF token of the client's browser, fetching the login page for one."""
    if CSRF_COOKIE not in client.cookies:
        assert client.get("/login").status_code == 200
    return client.cookies[CSRF_COOKIE]


def form_login(client: TestClient, username: str = OFAST_USER, password: str = PASSWORD,
               next: str | None = None, token: str | None = None) -> httpx.Response:
    """Submit the login form; returns the response (a 303 on success)."""
    data = {"username": username, "password": password,
            "csrf_token": csrf(client) if token is None else token}
    if next is not None:
        data["next"] = next
    return client.post("/login", data=data)


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
        return [int(h.rsplit("/", 1)[1]) for h in self.links() if h.startswith("/records/")]


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
