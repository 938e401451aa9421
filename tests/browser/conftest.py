"""Playwright in Debian's system Chromium, never a downloaded browser.

Journeys run against pytest-django's ``live_server`` (a real HTTP server on a
thread, with a transactional test database).
"""

from __future__ import annotations

import os
import shutil

import pytest

# Playwright's sync API keeps an event loop running in this thread; Django's ORM
# refuses to run beside one unless told it is safe (it is: one thread, no awaits).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="module")
def chromium():
    # module scope, not session: Playwright's sync API keeps an asyncio loop running
    # in this thread while it is open, and tests that run after the browser tests
    # (pytest-django runs tests without a database last) call asyncio.run().
    if not os.path.exists(CHROMIUM) and not shutil.which("chromium"):
        pytest.skip("Debian chromium is not installed (scripts/install-test-deps.sh installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def _context(chromium):
    context = chromium.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    return context


@pytest.fixture
def browser_page(chromium):
    context = _context(chromium)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def new_page(chromium):
    """``new_page()``: a page in a browser context of its own (its own cookies), so
    a journey can keep several users logged in side by side."""
    contexts = []

    def make():
        contexts.append(_context(chromium))
        return contexts[-1].new_page()

    yield make
    for context in contexts:
        context.close()


def login(page, live_server, username: str, password: str, totp_secret: str | None = None) -> None:
    """Log in through the real pages: password, then a TOTP code when staff."""
    import pyotp
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form[action$='/accounts/login/'] button[type=submit]").click()
    if totp_secret:
        page.wait_for_selector("#id_code")
        page.fill("#id_code", pyotp.TOTP(totp_secret).now())
        page.locator("main form button[type=submit]").first.click()
    expect(page.locator("header .who")).to_be_visible()


def enrolled_staff(username: str, role: str, area, password: str = "Correct-Horse-9"):
    """A staff user with a confirmed TOTP secret; returns (user, secret)."""
    import pyotp
    from django.utils import timezone

    from shequ.accounts.models import RoleGrant, User
    from shequ.core import pii

    secret = pyotp.random_base32()
    user = User.objects.create_user(username=username, password=password, display_name=username)
    user.totp_secret_cipher = pii.encrypt(secret)
    user.totp_confirmed_at = timezone.now()
    user.save()
    RoleGrant.objects.create(user=user, role=role, area=area)
    return user, secret
