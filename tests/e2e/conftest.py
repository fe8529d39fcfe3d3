"""Playwright (sync API) fixtures driving Debian's Chromium for the end-to-end tests.

Every test under tests/e2e is marked ``e2e``. Tests get the app's URL from pytest-django's
``live_server`` fixture. Outside CI a missing /usr/bin/chromium skips these tests; under CI
(env ``CI`` set) it is an error.
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django's async-safety check (read at
# call time) would otherwise refuse ORM calls made by tests after they have used the page.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-dev-shm-usage",
]
E2E_DIR = Path(__file__).resolve().parent


def _in_ci():
    return os.environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    # tryfirst: mark before `-m "not e2e"` deselects.
    for item in items:
        if E2E_DIR in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found: install Debian's chromium (scripts/ensure-system-packages)"
        if _in_ci():
            pytest.fail(message, pytrace=False)
        pytest.skip(message)

    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(
        viewport={"width": 1366, "height": 860},
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def screenshot(request):
    """``screenshot(page, name)`` saves a full-page PNG to test-artifacts/screenshots/<name>.png."""
    directory = Path(request.config.rootpath) / "test-artifacts" / "screenshots"

    def take(page, name):
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


def enter_sudo(page, base_url, password, next_path="/settings/"):
    """Re-authenticate for enterprise settings (sudo mode, Q-21) as an admin does: open the sudo
    page, type the password, and land on ``next_path`` (the settings home by default)."""
    from urllib.parse import urlencode

    page.goto(f"{base_url}/settings/sudo/?{urlencode({'next': next_path})}")
    page.get_by_test_id("sudo-form").locator('input[name="password"]').fill(password)
    page.get_by_test_id("sudo-submit").click()
    page.wait_for_url(f"{base_url}{next_path}")
