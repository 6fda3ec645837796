"""Retake docs/screenshot.png: the ``city`` user's dashboard in Chinese, 1280x800.

Starts nothing itself; it needs a server with the demo data, for example::

    export DATABASE_URL=sqlite:////tmp/e2e_demo.sqlite3 DEBUG=1
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo
    .venv/bin/python manage.py runserver 127.0.0.1:8765

then ``.venv/bin/python tests/e2e/make_screenshot.py [BASE_URL]`` (default
http://127.0.0.1:8765). The demo password is read from competitions/demo.py.
"""

import re
import sys
from pathlib import Path

from browser import CHROMIUM, CHROMIUM_ARGS  # the script's own folder is on sys.path
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "docs" / "screenshot.png"


def demo_password() -> str:
    source = (ROOT / "competitions" / "demo.py").read_text(encoding="utf-8")
    return re.search(r'^DEMO_PASSWORD = "([^"]+)"', source, re.M).group(1)


def main(base_url: str = "http://127.0.0.1:8765", username: str = "city") -> int:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        context = browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
        page = context.new_page()
        page.goto(f"{base_url}/accounts/login/")
        form = page.locator("form:has(input[name=username])")
        form.locator("input[name=username]").fill(username)
        form.locator("input[name=password]").fill(demo_password())
        with page.expect_navigation():
            form.locator("button[type=submit]").click()
        if page.url.rstrip("/") != base_url.rstrip("/"):
            print(f"login as {username} did not reach the dashboard: {page.url}", file=sys.stderr)
            return 1
        page.wait_for_load_state("networkidle")
        OUTPUT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(OUTPUT))  # the viewport only: exactly 1280x800
        nav = page.locator("nav.mainnav").inner_text()
        lang = page.locator("html").get_attribute("lang")
        browser.close()
    print(f"wrote {OUTPUT} (html lang={lang}; nav: {' | '.join(nav.split())})")
    if "Campaigns" in nav:
        print("warning: the nav is in English; compile the Chinese catalogue and retake")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
