"""The README's explorer screenshots, taken from a running Citegraph server in Debian's
headless Chromium (Playwright). Usage, with a server already serving a store:

    .venv/bin/python tools/screenshots/take.py http://127.0.0.1:8000 docs/screenshots

It writes the concept page of "contact center" at depth 1 and 2 (the neighbourhood section
only) as `explorer-contact-center-depth{1,2}.png`. The server and the store are the user's:
`tools/screenshots/run.sh` ingests ../shared/corpus/seeds into a scratch store and serves it."""
from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
        "--disable-background-networking", "--disable-component-update"]


def take(base_url: str, out: Path, concept: str = "ContactCenter") -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        for depth in (1, 2):
            page.goto(f"{base_url}/concepts/{concept}?depth={depth}")
            page.wait_for_selector("#explorer[data-drawn=true]")
            page.wait_for_timeout(1500)  # let the force-directed layout come to rest
            path = out / f"explorer-contact-center-depth{depth}.png"
            page.locator("section.neighbourhood").screenshot(path=str(path))
            written.append(path)
        browser.close()
    return written


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    for written_path in take(sys.argv[1].rstrip("/"), Path(sys.argv[2])):
        print(written_path)
