"""Take the screenshots in docs/review.md (run on demand, not a test)::

    python tests/web/screenshots.py docs/

Builds the test project (two numbered shots rendered by 'reelgraph run'), serves it, logs
in as a reviewer in Debian's headless Chromium and saves the grid and a shot page."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

# Run as a script, this folder is on sys.path: the test helpers import as modules.
from review_project import build_project, reelgraph, start_server, stop_server
from test_browser import CHROMIUM, CHROMIUM_ARGS


def main(out: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="reelgraph-shots-") as tmp:
        root = Path(tmp) / "project"
        build_project(root)
        reelgraph("review", "reject", "sh020", "-p", str(root), "--note", "no sound yet")
        server = start_server(root)
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS
                )
                page = browser.new_page(viewport={"width": 1280, "height": 760})
                page.goto(f"{server.url}/login")
                page.fill("input[name=name]", "rita")
                page.fill("input[name=password]", server.people["rita"].password)
                page.click("form.login button[type=submit]")
                page.wait_for_url(f"{server.url}/")
                page.wait_for_function(
                    "() => [...document.images].every((i) => i.complete && i.naturalWidth)"
                )
                page.screenshot(path=str(out / "review-grid.png"))
                page.goto(f"{server.url}/shots/sh010")
                page.wait_for_function("() => document.getElementById('player').dataset.presented")
                page.select_option("#compare", "source")
                page.fill("#jump-frame", "17")
                page.click("#jump button")
                page.wait_for_function(
                    "() => document.getElementById('player').dataset.presentedB === '17'"
                    " && document.getElementById('player').dataset.presented === '17'"
                )
                page.screenshot(path=str(out / "review-shot.png"))
                browser.close()
        finally:
            stop_server(server)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs"))
