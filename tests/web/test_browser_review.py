"""A real browser on the review of pairs: an operator of the staff opens the queue, looks at
a pair, decides with the keyboard, and sees the result in a record's entity panel; then the
pages in English and the queue once empty.

Data: the `resolved` fixture (two services' records, resolved, some pairs left for review),
served by `live_server` over SQLite. Debian's Chromium (/usr/bin/chromium) is driven by
Playwright; a missing browser fails (.ci/run installs Chromium). Screenshots land in
test-artifacts/ for a person to look at.
"""

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from tests.web.conftest import WHY_Q, Resolved, browser_login

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PAIR_URL = re.compile(r"/review/(\d+)/(\d+)\?at=(\d+)(?:&|$)")
REASON = "Même date et lieu de naissance, mêmes prénoms"

pytestmark = pytest.mark.parametrize("db", ["sqlite"], indirect=True)


@pytest.fixture
def page() -> Iterator[tuple[Page, list[str]]]:
    """A page of Debian's Chromium and the problems it met: console errors (CSP violations
    and failed loads show up there), uncaught errors, responses of 400 and up."""
    assert CHROMIUM.exists(), f"{CHROMIUM} is missing: apt-get install chromium"
    ARTIFACTS.mkdir(exist_ok=True)
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.set_default_timeout(5000)
            page.on("console", lambda m: problems.append(
                f"{m.text} {m.location.get('url')}") if m.type == "error" else None)
            page.on("pageerror", lambda e: problems.append(str(e)))
            page.on("response", lambda r: problems.append(f"{r.status} {r.url}")
                    if r.status >= 400 else None)
            yield page, problems
        finally:
            browser.close()


def _shot(page: Page, name: str) -> None:
    page.screenshot(path=ARTIFACTS / name, full_page=True)


def _pair(page: Page) -> tuple[int, int, int]:
    found = PAIR_URL.search(page.url)
    assert found, page.url
    left, right, at = (int(g) for g in found.groups())
    return left, right, at


def _queued(page: Page) -> list[tuple[int, int]]:
    """The pairs the queue page links to, in order."""
    hrefs = page.locator("table.queue a.review-link").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")
    return [(int(m[1]), int(m[2])) for m in (PAIR_URL.search(h) for h in hrefs) if m]


def _no_horizontal_overflow(page: Page) -> None:
    window: Any = page.viewport_size
    width: Any = page.evaluate("document.documentElement.scrollWidth")
    assert width <= window["width"], f"the page is {width}px wide in a {window}px window"


def test_operator_reviews_pairs_with_the_keyboard(live_server: str, resolved: Resolved,
                                                   page: tuple[Page, list[str]]) -> None:
    p, problems = page
    p.goto(f"{live_server}/search")
    browser_login(p, resolved.db, resolved.operator, resolved.password)
    expect(p).to_have_url(f"{live_server}/search")

    # The queue, from the navigation.
    p.locator("header nav").get_by_role("link", name="Revue", exact=True).click()
    expect(p).to_have_url(f"{live_server}/review")
    expect(p.locator("h1")).to_have_text("Paires à revoir")
    queued = _queued(p)
    assert len(queued) >= 2
    expect(p.locator("table.queue tbody tr")).to_have_count(len(queued))
    _no_horizontal_overflow(p)
    _shot(p, "review-queue.png")

    # The first pair: both records side by side, the score's parts with their bars.
    p.locator("table.queue a.review-link").first.click()
    left, right, at = _pair(p)
    assert ((left, right), at) == (queued[0], 0)
    expect(p.locator("h1")).to_have_text("Même personne ?")
    heads = p.locator("table.compare thead th.side a")
    expect(heads).to_have_count(2)
    expect(heads.nth(0)).to_have_attribute("href", f"/records/{left}")
    expect(heads.nth(1)).to_have_attribute("href", f"/records/{right}")
    expect(p.locator("table.compare tbody tr").first).to_be_visible()
    expect(p.get_by_role("heading", name="Pourquoi ce score")).to_be_visible()
    parts = p.locator("table.parts tbody tr")
    assert parts.count() >= 2  # the prior and at least one comparison
    bars = p.locator("table.parts .bar")
    widths = [box["width"] for box in (bars.nth(n).bounding_box()
                                       for n in range(bars.count())) if box]
    assert max(widths) > 20, widths  # the largest weight's bar is plain to see
    expect(p.locator("#effect")).to_contain_text("Même personne")
    _no_horizontal_overflow(p)
    _shot(p, "review-pair.png")

    # A reason typed in its field: the letters are text there, not shortcuts; Enter leaves
    # the field without deciding anything, then `s` decides "same person".
    p.fill("#reason", "")
    p.locator("#reason").press_sequentially(REASON)
    expect(p.locator("#reason")).to_have_value(REASON)
    p.locator("#reason").press("Enter")
    assert _pair(p) == (left, right, 0)
    assert [j for j in resolved.standing() if j.human] == []
    with p.expect_navigation():
        p.keyboard.press("s")
    # On to the pair now first in the queue (the decided one left it), or the queue.
    if len(queued) > 1:
        assert _pair(p)[:2] == queued[1]
    [judged] = [j for j in resolved.standing() if j.human]
    assert (judged.left, judged.right, judged.verdict, judged.author) == (
        left, right, "positive", resolved.operator)

    p.locator("nav.pager").get_by_role("link", name="La file").click()
    expect(p).to_have_url(f"{live_server}/review")
    assert _queued(p) == queued[1:]

    # The record's entity panel lists the record it was just joined with.
    p.goto(f"{live_server}/records/{left}?{WHY_Q}")
    panel = p.locator("#entity")
    expect(panel.get_by_role("heading", name="Entité résolue")).to_be_visible()
    expect(panel.locator(f"ul.entity-records a[href^='/records/{right}?']")).to_be_visible()
    _shot(p, "record-entity.png")
    # And the pair's page shows the decision with its reason.
    p.goto(f"{live_server}/review/{left}/{right}")
    expect(p.locator("table.judgements tbody tr").last).to_contain_text(REASON)
    expect(p.locator("#effect")).to_contain_text(f"{resolved.operator} a décidé")
    _shot(p, "review-pair-decided.png")

    # The next pair, in English (the choice is kept from then on).
    p.locator("nav.pager").get_by_role("link", name="Paire suivante").click()
    assert _pair(p)[:2] == queued[1]
    p.get_by_role("link", name="EN", exact=True).click()
    assert _pair(p)[:2] == queued[1]
    expect(p.locator("html")).to_have_attribute("lang", "en")
    expect(p.locator("h1")).to_have_text("Same person?")
    expect(p.get_by_role("heading", name="Why this score")).to_be_visible()
    for name in ("Same person", "Not the same person", "Unsure"):
        expect(p.locator("#decide").get_by_role("button", name=name, exact=True)).to_be_visible()
    expect(p.locator("#reason")).to_have_value("review")
    _no_horizontal_overflow(p)
    _shot(p, "review-pair-en.png")
    p.set_viewport_size({"width": 800, "height": 800})  # half a screen
    _no_horizontal_overflow(p)
    _shot(p, "review-pair-en-800.png")
    p.set_viewport_size({"width": 1280, "height": 800})

    # `u` (unsure) on every pair left, one after the other, till the queue is empty.
    for _ in queued[1:]:
        if not PAIR_URL.search(p.url):
            break
        with p.expect_navigation():
            p.keyboard.press("u")
    expect(p).to_have_url(f"{live_server}/review")
    expect(p.locator("#queue-empty")).to_have_text("No pair is waiting for a decision.")
    _shot(p, "review-queue-empty-en.png")
    p.get_by_role("link", name="FR", exact=True).click()
    expect(p.locator("#queue-empty")).to_have_text("Aucune paire n'attend de décision.")
    expect(p.locator("table.queue")).to_have_count(0)
    _shot(p, "review-queue-empty.png")
    assert problems == []
