"""A real browser on the alert inbox: OFAST's liaison officer finds a new alert through the
navigation, opens it, reads what OFAST may know, acknowledges it, and finds it
acknowledged in the inbox; the other side's disclosure never reaches the page.

Data: one overlap alert between OFAST and DNPJ, raised as the deconfliction stage raises
it, served by `live_server` over SQLite. Debian's Chromium (/usr/bin/chromium) is driven by
Playwright; a missing browser fails. Screenshots land in test-artifacts/.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from emco.model.enums import AlertSeverity, Role
from emco.store.db import Database
from tests import factories
from tests.alerts.conftest import DNPJ_SEES, OFAST_SEES, raise_overlap
from tests.web.conftest import PASSWORD, browser_login

from .test_browser_review import Page, _no_horizontal_overflow, _shot
from .test_browser_review import page as page  # the browser fixture, reused

pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def test_liaison_acknowledges_an_alert_from_the_inbox(
        live_server: str, db: Database, page: tuple[Page, list[str]]) -> None:
    factories.user(db, "liaison.ofast", "OFAST", Role.LIAISON, password=PASSWORD)
    alert_id = raise_overlap(db, severity=AlertSeverity.HIGH).alert_id
    p, problems = page
    p.goto(f"{live_server}/alerts")
    expect(p).to_have_url(f"{live_server}/login?next=/alerts")
    browser_login(p, db, "liaison.ofast")
    expect(p).to_have_url(f"{live_server}/alerts")

    # The inbox, from the navigation as well.
    p.locator("header nav").get_by_role("link", name="Alertes", exact=True).click()
    expect(p.locator("h1")).to_have_text("Alertes")
    row = p.locator(f"table.alerts tr[data-alert='{alert_id}']")
    expect(row).to_contain_text("Cible commune")
    expect(row.locator(".state")).to_have_text("à accuser réception")
    expect(row.locator(".sev")).to_have_text("haute")
    _no_horizontal_overflow(p)
    _shot(p, "alerts-inbox.png")

    # The alert: OFAST's disclosure, never DNPJ's.
    row.locator("a.alert-link").click()
    expect(p).to_have_url(f"{live_server}/alerts/{alert_id}")
    disclosure = p.locator("#disclosure")
    expect(disclosure).to_contain_text(str(OFAST_SEES["case_ref"]))
    expect(disclosure).to_contain_text(str(OFAST_SEES["contact"]))
    content = p.content()
    assert str(DNPJ_SEES["case_ref"]) not in content
    assert str(DNPJ_SEES["contact"]) not in content
    _shot(p, "alert-new.png")

    # Acknowledging, with a note.
    p.fill("#ack-note", "Pris en compte par la permanence")
    with p.expect_navigation():
        p.get_by_role("button", name="Accuser réception pour OFAST").click()
    expect(p.locator("#alert-state")).to_have_text("réception accusée")
    expect(p.locator("#acknowledge")).to_have_count(0)
    expect(p.locator("table.history")).to_contain_text("Pris en compte par la permanence")
    _no_horizontal_overflow(p)
    _shot(p, "alert-acknowledged.png")

    p.locator("header nav").get_by_role("link", name="Alertes", exact=True).click()
    expect(row.locator(".state")).to_have_text("réception accusée")
    assert problems == []
