"""A real browser on deconfliction: OFAST's liaison registers a case and a target through
the pages; DNPJ registers the same phone in its own case; OFAST's page then shows who to
call at DNPJ (never DNPJ's title), and the hit/no-hit page answers. No console error (the
CSP forbids inline code), no failed request.

Served by `live_server` over SQLite; Debian's Chromium (/usr/bin/chromium) driven by
Playwright, a missing browser fails; screenshots land in test-artifacts/.
"""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from emco.model.enums import Role
from emco.store.db import Database
from tests import factories
from tests.deconflict.conftest import case, liaison
from tests.web.conftest import PASSWORD, browser_login

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SECRET = "Filature du go-fast de l'A7 (SECRET DNPJ)"

pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)


@pytest.fixture
def page() -> Iterator[tuple[Page, list[str]]]:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(5000)
            page.on("console", lambda m: problems.append(m.text) if m.type == "error"
                    else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                    if r.status >= 400 else None)
            yield page, problems
        finally:
            browser.close()


def test_a_liaison_registers_a_case_and_learns_of_the_other_service(
        live_server: str, db: Database, page: tuple[Page, list[str]]) -> None:
    p, problems = page
    factories.user(db, "liaison.ofast", "OFAST", Role.LIAISON, password=PASSWORD)
    p.goto(f"{live_server}/investigations")
    browser_login(p, db, "liaison.ofast")
    expect(p.locator("#register")).to_be_visible()
    p.fill("#reference", "OFAST-2026-042")
    p.fill("#title", "Trafic de résine, cité des Oliviers")
    p.fill("#contact_name", "Cdt Durand")
    p.fill("#contact_phone", "01 40 00 00 42")
    p.click("#register button[type=submit]")
    expect(p.locator("h1")).to_contain_text("OFAST-2026-042")
    p.select_option("#kind", "phone")
    p.fill("#value", "06 12 34 56 78")
    p.click("#add-target button[type=submit]")
    expect(p.locator("table.targets")).to_contain_text("+33612345678")
    expect(p.locator("#no-overlap")).to_be_visible()

    case(liaison(db, "DNPJ"), "DNPJ-2026-117", ("phone", "0612345678"), title=SECRET)
    p.reload()
    row = p.locator("table.overlaps tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("DNPJ-2026-117")
    expect(row).to_contain_text("Permanence DNPJ")
    expect(row).to_contain_text("06 12 34 56 78")
    assert SECRET not in p.content()
    p.screenshot(path=ARTIFACTS / "deconflict-investigation.png", full_page=True)

    p.click("header nav a[href='/hits']")
    p.select_option("#kind", "phone")
    p.fill("#value", "+33 6 12 34 56 78")
    p.click("#hit-form button[type=submit]")
    expect(p.locator("#hit-result h2.hit")).to_be_visible()
    expect(p.locator("table.contacts")).to_contain_text("DNPJ")
    p.fill("#value", "07 98 76 54 32")
    p.click("#hit-form button[type=submit]")
    expect(p.locator("#hit-result h2.no-hit")).to_be_visible()
    p.screenshot(path=ARTIFACTS / "deconflict-hits.png", full_page=True)
    assert problems == []
