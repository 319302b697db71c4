"""A real browser on the map of operations: the staff's operator sees every service's
planned operations drawn as circles, the two in conflict outlined in red; OFAST's liaison
registers one through the form and sees its own only. Every request stays on the test
server (no tile server, no CDN), and no console error (the CSP forbids inline code).

Served by `live_server` over SQLite; Debian's Chromium (/usr/bin/chromium) driven by
Playwright, a missing browser fails; screenshots land in test-artifacts/.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from emco.deconflict import operations as stage
from emco.deconflict.conflicts import Margins
from emco.deconflict.operation_input import OperationIn
from emco.model.enums import Protection, Role
from emco.store.db import Database
from tests import factories
from tests.deconflict.conftest import liaison
from tests.web.conftest import PASSWORD, browser_login

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
MORNING = datetime.fromisoformat("2026-02-03T06:00:00+01:00")

pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)


def _op(db: Database, agency: str, reference: str, kind: str, lat: float, lon: float,
        radius: float, hours: float = 4, start: datetime = MORNING) -> None:
    stage.register(liaison(db, agency), OperationIn(
        agency=agency, reference=reference, kind=kind, latitude=lat, longitude=lon,
        radius_m=radius, start=start, end=start + timedelta(hours=hours)), Margins(), "FR")


@pytest.fixture
def browser_page(live_server: str) -> Iterator[tuple[Page, list[str], list[str]]]:
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    requested: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(8000)
            page.on("console", lambda m: problems.append(m.text) if m.type == "error"
                    else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("request", lambda r: requested.append(r.url))
            page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                    if r.status >= 400 else None)
            yield page, problems, requested
        finally:
            browser.close()


def _login(page: Page, live_server: str, db: Database, username: str, target: str) -> None:
    page.goto(f"{live_server}{target}")
    browser_login(page, db, username)
    expect(page).to_have_url(f"{live_server}{target}")


def test_the_map_draws_the_operations_without_a_tile_server(
        live_server: str, db: Database,
        browser_page: tuple[Page, list[str], list[str]]) -> None:
    page, problems, requested = browser_page
    factories.user(db, "op.emco", "EMCO", Role.OPERATOR, clearance=Protection.DR,
                   password=PASSWORD)
    factories.user(db, "liaison.ofast", "OFAST", Role.LIAISON, password=PASSWORD)
    _op(db, "OFAST", "OFAST-OP-0001", "raid", 43.357, 5.364, 300)
    _op(db, "DGGN", "DGGN-OP-0001", "arrest", 43.358, 5.363, 200)  # the same morning
    _op(db, "DNRED", "DNRED-SURV-0001", "surveillance", 45.75, 4.85, 2000, hours=24 * 30)
    _op(db, "DAP", "DAP-TR-0001", "transfer", 48.86, 2.35, 500)

    _login(page, live_server, db, "op.emco", "/operations/map")
    expect(page.locator("h1")).to_have_text("Carte des opérations")
    expect(page.locator("#operations-map")).to_have_attribute("data-loaded", "4")
    expect(page.locator("path.op-area")).to_have_count(4)
    expect(page.locator("path.op-area.op-conflict")).to_have_count(2)
    expect(page.locator("path.op-dot")).to_have_count(4)
    expect(page.locator("#map-status")).to_have_text(
        "4 opérations prévues, dont 2 en conflit")
    page.screenshot(path=ARTIFACTS / "operations-map-staff.png", full_page=True)
    page.locator("path.op-dot.op-transfer").click()
    expect(page.locator(".op-popup")).to_contain_text("DAP · DAP-TR-0001")
    expect(page.locator(".op-popup")).to_contain_text("Transfèrement")

    # OFAST's liaison registers an operation through the form, and sees its own only.
    page.context.clear_cookies()
    _login(page, live_server, db, "liaison.ofast", "/operations")
    page.fill("#reference", "OFAST-OP-0002")
    page.select_option("#kind", "controlled_delivery")
    page.fill("#latitude", "43,30")
    page.fill("#longitude", "5.40")
    page.fill("#radius_m", "800")
    page.fill("#start", "2026-02-10T05:00")
    page.fill("#end", "2026-02-10T12:00")
    page.click("#register button[type=submit]")
    expect(page.locator("h1")).to_contain_text("OFAST-OP-0002")
    expect(page.locator("#op-start")).to_have_text("10/02/2026 05:00")
    expect(page.locator("#no-conflict")).to_be_visible()
    page.goto(f"{live_server}/operations/map")
    expect(page.locator("#operations-map")).to_have_attribute("data-loaded", "2")
    expect(page.locator("path.op-area")).to_have_count(2)
    expect(page.locator("path.op-area.op-conflict")).to_have_count(1)  # its raid
    assert "DGGN" not in page.content()
    page.screenshot(path=ARTIFACTS / "operations-map-ofast.png", full_page=True)

    assert requested, "the browser made no request"
    assert [u for u in requested if not u.startswith(live_server + "/")] == []
    assert problems == []
