"""Browser tests: Playwright (sync API) driving Debian's Chromium against pytest-django's live
server, with axe-core accessibility checks.

Fixtures and helpers for scenario tests:

* ``browser`` (package-scoped: all of tests/e2e): a headless Chromium; skips (fails in CI,
  SCA_REQUIRE_SERVICES=1) when /usr/bin/chromium is not installed.
* ``page``: a fresh 1280x900 page whose relative URLs go to the live server.
* ``mobile_page``: the same at 390x844 (a phone).
* ``make_page(width=1280, height=900)``: more pages, e.g. two users side by side.
* ``login(page, username, password="demo12345")``: sign in through the real form.
* ``assert_accessible(page, name)``: no serious or critical axe-core violations.
* ``screenshot(page, name)``: a full-page PNG in docs/screenshots/ when SCA_SCREENSHOTS=1.
* ``pdf_screenshot(pdf, index, name)``: one page of a generated PDF, likewise.
* ``allow_browser_errors(page, *fragments)``: tolerate expected console messages (a 404 page).

Every page fails its test at teardown if the browser logged a console error (which includes
every Content-Security-Policy refusal: "Refused to ..."), an uncaught script error, a server
error (status >= 500) or a request that never completed.
"""

from __future__ import annotations

import contextlib
import os
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from tests.conftest import require_service

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "screenshots"
DESKTOP = (1280, 900)
MOBILE = (390, 844)
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"
PASSWORD = "demo12345"  # tests.factories.UserFactory's default


def pytest_collection_modifyitems(config, items):
    """Every test under tests/e2e is an ``e2e`` test (``pytest -m "not e2e"`` skips them)."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)


# ----------------------------------------------------------------------------- browser


@contextmanager
def _django_allows_async_unsafe() -> Iterator[None]:
    """Playwright's sync API runs an asyncio event loop in the test's own thread for as long as
    Playwright is started. Django sees that running loop and refuses every ORM call from the
    thread (SynchronousOnlyOperation), so fixtures and assertions could not touch the database
    while a browser is open. The calls are in fact synchronous and never race that loop, so we
    tell Django it is safe, with DJANGO_ALLOW_ASYNC_UNSAFE (setdefault-like: an explicit value
    is kept). Only while the browser runs, not from import time: set for the whole session it
    would leak into the rest of the suite and its subprocesses (``manage.py check --deploy``
    rightly fails on it: async.E001)."""
    previous = os.environ.get(ASYNC_UNSAFE)
    os.environ.setdefault(ASYNC_UNSAFE, "true")
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)


@pytest.fixture(scope="package")
def browser():
    """One headless Chromium for all the browser tests. Package-scoped (tests/e2e and below):
    it is started for the first browser test and stopped right after the last one, so the
    event loop Playwright keeps running (see above) never outlives the browser tests."""
    require_service("chromium", CHROMIUM.exists())
    from playwright.sync_api import sync_playwright

    with _django_allows_async_unsafe(), sync_playwright() as pw:
        # Debian's Chromium, never Playwright's own downloaded browsers.
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@dataclass
class BrowserProblems:
    """What went wrong in one page, collected from its events."""

    problems: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def add(self, text: str) -> None:
        if not any(fragment in text for fragment in self.allowed):
            self.problems.append(text)

    def watch(self, page) -> None:
        def on_console(msg):
            # CSP refusals arrive as console errors ("Refused to apply inline style ...").
            if msg.type == "error" or "Refused to" in msg.text:
                self.add(f"console {msg.type}: {msg.text} ({msg.location.get('url', '')})")

        def on_response(response):
            if response.status >= 500:
                self.add(f"HTTP {response.status}: {response.request.method} {response.url}")

        def on_request_failed(request):
            error = request.failure or ""
            # A navigation that replaces the page aborts whatever the old page had in flight.
            if "ERR_ABORTED" not in error:
                self.add(f"request failed: {request.method} {request.url} ({error})")

        page.on("console", on_console)
        page.on("pageerror", lambda exc: self.add(f"uncaught script error: {exc}"))
        page.on("response", on_response)
        page.on("requestfailed", on_request_failed)


_problems: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def allow_browser_errors(page, *fragments: str) -> None:
    """Tolerate console messages or failures containing any of ``fragments`` on ``page``
    (for a test that visits an error page on purpose). Call it before the navigation."""
    _problems[page].allowed.extend(fragments)


@pytest.fixture
def make_page(browser, live_server, transactional_db) -> Iterator[Callable]:
    """make_page(width=1280, height=900) -> a new page in its own browser context (own cookies),
    with relative URLs resolved against the live server."""
    contexts = []

    def make(width: int = DESKTOP[0], height: int = DESKTOP[1]):
        context = browser.new_context(
            viewport={"width": width, "height": height},
            base_url=live_server.url,
            locale="en-US",
            timezone_id="America/New_York",
        )
        context.set_default_timeout(10_000)
        page = context.new_page()
        _problems[page] = BrowserProblems()
        _problems[page].watch(page)
        contexts.append((context, page))
        return page

    yield make

    problems = []
    for context, page in contexts:
        # Let requests the page still makes (a favicon, an htmx poll) finish before the
        # database is flushed: SQLite's shared in-memory database locks while they run.
        with contextlib.suppress(PlaywrightTimeoutError):  # a page that never idles
            page.wait_for_load_state("networkidle", timeout=5_000)
        problems += _problems[page].problems
        context.close()
    if problems:
        pytest.fail("the browser reported problems:\n  " + "\n  ".join(problems), pytrace=False)


@pytest.fixture
def page(make_page):
    """A desktop (1280x900) page on the live server."""
    return make_page(*DESKTOP)


@pytest.fixture
def mobile_page(make_page):
    """A phone-sized (390x844) page on the live server."""
    return make_page(*MOBILE)


# ----------------------------------------------------------------------------- helpers


def login(page, username: str, password: str = PASSWORD) -> None:
    """Sign in through the real form at /login/ and wait for the page it leads to."""
    page.goto("/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()


_axe_source: str | None = None


def assert_accessible(page, name: str) -> None:
    """Run axe-core on the current page; fail listing every serious or critical violation.

    axe is evaluated through the DevTools protocol (``page.evaluate``), not added as a
    <script> tag: our CSP (script-src 'self') rightly refuses an inline script, and
    ``add_script_tag(content=...)`` would be blocked and logged as a CSP error. Code run by
    ``evaluate`` is not subject to the page's CSP, so the policy stays on for the test.
    """
    global _axe_source
    require_service("axe-core (node_modules/, `npm ci`)", AXE_JS.exists())
    if _axe_source is None:
        _axe_source = AXE_JS.read_text(encoding="utf-8")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(_axe_source)
    violations = page.evaluate(
        """async () => {
            const results = await axe.run(document, {resultTypes: ['violations']});
            return results.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                targets: v.nodes.slice(0, 3).map(n => n.target.join(' ')),
                count: v.nodes.length,
            }));
        }"""
    )
    bad = [v for v in violations if v["impact"] in ("serious", "critical")]
    if bad:
        lines = [
            f"{v['impact']} {v['id']}: {v['help']} ({v['count']} elements) "
            + "; ".join(v["targets"])
            for v in bad
        ]
        pytest.fail(
            f"accessibility violations on {name} ({page.url}):\n  " + "\n  ".join(lines),
            pytrace=False,
        )


def screenshot(page, name: str) -> Path | None:
    """Save a full-page PNG as docs/screenshots/<name>.png, only when SCA_SCREENSHOTS=1 (so an
    ordinary run never rewrites committed images). Returns the path written, or None."""
    if os.environ.get("SCA_SCREENSHOTS") != "1":
        return None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled", caret="hide")
    return path


def pdf_screenshot(pdf: bytes, page_index: int, name: str) -> Path | None:
    """Save one page of a generated PDF as docs/screenshots/<name>.png (rendered by PDFium at
    100 dpi), only when SCA_SCREENSHOTS=1, like ``screenshot``."""
    if os.environ.get("SCA_SCREENSHOTS") != "1":
        return None
    import pypdfium2

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    document = pypdfium2.PdfDocument(pdf)
    try:
        document[page_index].render(scale=100 / 72).to_pil().save(path)
    finally:
        document.close()
    return path
