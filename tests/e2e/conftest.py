"""Browser tests: Playwright drives Debian's Chromium against pytest-django's live server.

Run with ``pytest tests/e2e -m e2e``. Screenshots land in ``test-artifacts/e2e/`` (kept by CI),
named ``<test name>-<step>.png``; a failing test also leaves ``<test name>-failure.png``.
"""

import os
import re
from pathlib import Path

import pytest

# Playwright's sync API keeps an asyncio loop in this thread; Django would otherwise refuse
# ORM calls made by fixtures and tests while it is alive (SynchronousOnlyOperation).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from .browser import CHROMIUM, CHROMIUM_ARGS

VIEWPORT = {"width": 1280, "height": 800}
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not installed at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def demo(transactional_db, settings):
    """The G20 demo, committed so the live server thread sees it (flushed after the test)."""
    from competitions.demo import build_demo

    # The demo users' passwords are hashed on every test; a fast hasher keeps that cheap.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return build_demo()


@pytest.fixture
def context(browser):
    """A fresh browser profile (no cookies) with a Chinese browser language."""
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.set_default_timeout(15_000)
    yield context
    context.close()


@pytest.fixture
def page(context, request):
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and not page.is_closed():
        screenshot(page, request, "failure")
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _artifact_name(request, step: str) -> str:
    return re.sub(r"[^\w.-]+", "_", f"{request.node.name}-{step}").strip("_") + ".png"


def screenshot(page, request, step: str) -> Path:
    """Save a full-page screenshot as test-artifacts/e2e/<test name>-<step>.png."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / _artifact_name(request, step)
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture
def shot(page, request):
    """``shot("step")`` screenshots the current page for this test."""
    return lambda step: screenshot(page, request, step)


def login(page, live_server, username: str, password: str | None = None):
    """Log in through the login form and land on the dashboard."""
    from competitions.demo import DEMO_PASSWORD

    page.goto(f"{live_server.url}/accounts/login/")
    form = page.locator("form:has(input[name=username])")
    form.locator("input[name=username]").fill(username)
    form.locator("input[name=password]").fill(password or DEMO_PASSWORD)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "/accounts/login/" not in page.url, (
        f"login as {username!r} failed; the page says: {page.locator('main').inner_text()}"
    )
    # Logged-in pages carry the logout form in the header.
    assert page.locator("form[action$='/logout/']").count() == 1
    return page
