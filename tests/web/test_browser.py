"""The review app in a real headless Chromium (Debian's /usr/bin/chromium driven by
Playwright; no browser is downloaded): log in, open the grid, open a shot, seek to a frame
and read both the number the player shows and the number the picture carries, approve with
a note, and see the new status in the grid and in 'reelgraph status'."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest
from playwright.sync_api import Browser, Page, sync_playwright
from review_project import FRAMES, Server, read_frame_number, reelgraph

pytestmark = pytest.mark.slow  # the session fixture renders a project (tens of seconds)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu"]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists() and shutil.which("chromium") is None:
        pytest.fail("Debian's chromium is missing: apt-get install chromium (.ci/run does)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, server: Server) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, f"script errors in the page: {errors}"


def log_in(page: Page, server: Server, who: str) -> None:
    page.goto(f"{server.url}/")
    assert "/login" in page.url
    page.fill("input[name=name]", who)
    page.fill("input[name=password]", server.people[who].password)
    page.click("form.login button[type=submit]")
    page.wait_for_url(f"{server.url}/")


def shown_picture_number(page: Page) -> int:
    png = page.locator("#video-a").screenshot()
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    return read_frame_number(image[..., ::-1])


def wait_presented(page: Page, frame: int) -> None:
    page.wait_for_function(
        f"() => document.getElementById('player').dataset.presented === '{frame}'",
        timeout=20_000,
    )


def test_seek_step_and_read_the_frame(page: Page, server: Server) -> None:
    log_in(page, server, "vera")
    cards = page.locator(".card")
    assert cards.count() == 2
    page.click("a.card[data-shot=sh010]")
    wait_presented(page, 0)
    assert shown_picture_number(page) == 0
    for target in (17, 5, FRAMES - 1):
        page.fill("#jump-frame", str(target))
        page.click("#jump button")
        wait_presented(page, target)
        assert page.text_content("#frame-number") == str(target)
        assert page.text_content("#timecode") == f"00:00:00:{target:02d}"
        assert shown_picture_number(page) == target
    page.click("#step-back")
    wait_presented(page, FRAMES - 2)
    assert shown_picture_number(page) == FRAMES - 2
    page.click("#step-back")
    page.click("#step-forward")
    wait_presented(page, FRAMES - 2)
    assert shown_picture_number(page) == FRAMES - 2
    # A QC finding on the timeline seeks to where it starts.
    marker = page.locator(".marker.sev-warning, .marker.sev-warn").first
    start = int(marker.get_attribute("data-frame"))
    marker.click()
    wait_presented(page, start)
    assert shown_picture_number(page) == start
    # A viewer sees no approve button.
    assert page.locator("button.approve").count() == 0


def test_compare_with_the_source(page: Page, server: Server) -> None:
    log_in(page, server, "vera")
    page.goto(f"{server.url}/shots/sh010")
    wait_presented(page, 0)
    page.select_option("#compare", "source")
    page.fill("#jump-frame", "9")
    page.click("#jump button")
    wait_presented(page, 9)
    page.wait_for_function(
        "() => document.getElementById('player').dataset.presentedB === '9'", timeout=20_000
    )
    png = page.locator("#video-b").screenshot()
    image = cv2.imdecode(np.frombuffer(png, np.uint8), cv2.IMREAD_COLOR)
    assert read_frame_number(image[..., ::-1]) == 9


def test_approve_with_a_note(page: Page, server: Server) -> None:
    log_in(page, server, "rita")
    assert page.text_content("a.card[data-shot=sh010] .status") == "qc failed"
    page.click("a.card[data-shot=sh010]")
    page.fill("#review-note", "sound comes in the mix; picture approved")
    page.click("button.approve")
    page.wait_for_selector("#review-state.state-approved")
    assert "picture approved" in page.text_content(".history")
    page.click("header nav a[href='/']")
    assert page.text_content("a.card[data-shot=sh010] .status") == "approved"
    page.select_option("select[name=status]", "approved")
    page.wait_for_function("() => document.querySelectorAll('.card').length === 1")
    status = json.loads(reelgraph("status", "-p", str(server.root), "--json").stdout)
    assert status["reviews"] == {"sh010": "approved", "sh020": "pending"}
    shown = reelgraph("status", "-p", str(server.root)).stderr
    assert "sh010: $" in shown and "review: approved" in shown
