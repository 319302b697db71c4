"""A real browser against a real server: log in, search, read a record, switch language.

The app of the `app` fixture (over `world`'s data) is served by uvicorn in a thread, on a
free port (`live_server`, in tests/web/conftest.py), over SQLite only (one backend is
enough to see the pages in a browser). Debian's Chromium is driven by Playwright; no
browser is ever downloaded, and a missing one fails the test. Screenshots land in
test-artifacts/ (ignored by git) for a person to look at.
"""

from pathlib import Path

import playwright.sync_api as playwright_api
import pytest

from emco.store.db import Database
from tests import factories
from tests.web.conftest import H3_CONDITION, PASSWORD, WHY, WHY_Q, World

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)


def test_log_in_search_read_a_record_and_switch_language(live_server: str, db: Database,
                                                         world: World) -> None:
    # A missing browser fails: it must not pass for a green run (.ci/run installs it).
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.set_default_timeout(5000)
            # CSP violations and failed loads show up as console errors.
            page.on("console", lambda m: problems.append(f"{m.text} {m.location.get('url')}")
                    if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                    if r.status >= 400 else None)
            expect = playwright_api.expect

            page.goto(f"{live_server}/search")
            expect(page).to_have_url(f"{live_server}/login?next=/search")
            expect(page.locator("h1")).to_have_text("Connexion")
            expect(page.locator("html")).to_have_attribute("lang", "fr")
            page.fill("#username", world.ofast_user)
            page.fill("#password", PASSWORD)
            page.screenshot(path=ARTIFACTS / "1-login-fr.png")
            page.get_by_role("button", name="Connexion").click()
            expect(page.locator("h1")).to_have_text("Second facteur")
            page.fill("#code", factories.totp_code(db, world.ofast_user))
            page.get_by_role("button", name="Confirmer").click()

            expect(page).to_have_url(f"{live_server}/search")
            expect(page.locator("h1")).to_have_text("Rechercher dans les fiches partagées")
            page.fill("input[name=motif]", WHY["motif"])  # required before a search
            page.fill("input[name=case_ref]", WHY["case_ref"])
            page.fill("#q", "Jean")
            page.press("#q", "Enter")
            expect(page.locator("#result-count")).to_have_text("2 fiches correspondantes")
            page.fill("#q", "Dupont")
            page.press("#q", "Enter")
            expect(page.locator("#result-count")).to_have_text("1 fiche correspondante")
            page.screenshot(path=ARTIFACTS / "2-search-fr.png", full_page=True)

            page.get_by_role("link", name="Jean Dupont").click()
            expect(page).to_have_url(f"{live_server}/records/{world.ids['o-dupont']}?{WHY_Q}")
            expect(page.locator("h1")).to_have_text("Jean Dupont")
            expect(page.get_by_role("heading", name="Faits")).to_be_visible()
            phone = page.locator("table.facts tr", has_text="Téléphone")
            expect(phone).to_contain_text("+33612345678")
            expect(phone).to_contain_text("06 12 34 56 78")
            expect(phone).to_contain_text("B2")
            expect(page.locator("dl.meta")).to_contain_text("Code de traitement")
            page.screenshot(path=ARTIFACTS / "3-record-fr.png", full_page=True)

            page.get_by_role("link", name="EN", exact=True).click()
            expect(page.locator("html")).to_have_attribute("lang", "en")
            expect(page.get_by_role("heading", name="Facts")).to_be_visible()
            expect(page.locator("table.facts tr", has_text="Phone")).to_contain_text(
                "+33612345678")
            expect(page.get_by_role("link", name="Search", exact=True)).to_be_visible()
            page.screenshot(path=ARTIFACTS / "4-record-en.png", full_page=True)

            # The choice is kept: the next page is in English too.
            page.goto(f"{live_server}/records/{world.ids['o-curie']}?{WHY_Q}")
            expect(page.locator("p.condition")).to_contain_text(H3_CONDITION)
            expect(page.locator("p.condition")).to_contain_text("Owner's condition")
            page.screenshot(path=ARTIFACTS / "5-record-h3-en.png", full_page=True)
        finally:
            browser.close()
    assert problems == []
