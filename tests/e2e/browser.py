"""How the browser tests and the screenshot script launch Debian's Chromium (headless, without
the background networking this machine's closed network would refuse), and small page helpers
shared by the browser tests."""

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--lang=zh-CN",
]


def logout(page):
    with page.expect_navigation():
        page.locator("form[action$='/logout/'] button").click()
    assert page.locator("form[action$='/logout/']").count() == 0


def messages(page) -> str:
    box = page.locator("main ul.messages")
    return box.inner_text() if box.count() else ""


def submit_form(page, selector: str):
    with page.expect_navigation():
        page.locator(selector).click()
