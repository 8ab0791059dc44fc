"""Browser tests of the chat widget: Python playwright driving Debian's chromium.

They run against the real assistant and the demo page that scripts/test_servers.sh starts
(WEB_URL, ASSISTANT_URL, RASA_AUTH_TOKEN come from it):

    scripts/install_browser.sh
    scripts/test_servers.sh .venv/bin/python -m pytest tests/browser -q

Screenshots go to artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright import sync_api  # requirements-dev.txt; a missing install fails, never skips

WEB_URL = os.environ.get("WEB_URL", "http://127.0.0.1:8180").rstrip("/")
ASSISTANT_URL = os.environ.get("ASSISTANT_URL", "http://127.0.0.1:5105").rstrip("/")
RASA_AUTH_TOKEN = os.environ.get("RASA_AUTH_TOKEN", "")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
DEMO = f"{WEB_URL}/demo/"
REPLY_TIMEOUT_MS = 90_000  # the first turn after start-up loads the model's graph


# Module scope: a sync playwright must be closed before another starts, and the console's
# browser tests (tests/console/) start their own when run in the same session.
@pytest.fixture(scope="module")
def browser() -> Iterator[sync_api.Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run scripts/install_browser.sh")
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield instance
        instance.close()


class Widget:
    """The demo page with the widget, as a visitor uses it."""

    def __init__(self, page: sync_api.Page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.csp_errors: list[str] = []
        page.on("dialog", self._on_dialog)
        page.on("console", self._on_console)

    def _on_dialog(self, dialog: sync_api.Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _on_console(self, message: sync_api.ConsoleMessage) -> None:
        if message.type == "error" and re.search(r"Content Security Policy|Refused to", message.text):
            self.csp_errors.append(message.text)

    # locators
    @property
    def launcher(self):
        return self.page.locator(".tmsw-launcher")

    @property
    def panel(self):
        return self.page.locator(".tmsw-panel")

    @property
    def log(self):
        return self.page.locator(".tmsw-log")

    @property
    def input(self):
        return self.page.locator(".tmsw-input")

    def answered_turns(self):
        """Bot turns whose contract payload has arrived (data-topic is set then)."""
        return self.page.locator(".tmsw-bot-turn[data-topic]")

    def goto(self) -> Widget:
        self.page.goto(DEMO)
        self.launcher.wait_for(state="visible")
        return self

    def open(self) -> Widget:
        if not self.panel.is_visible():
            self.launcher.click()
        self.panel.wait_for(state="visible")
        return self

    def wait_for_turns(self, count: int):
        self.page.wait_for_function(
            "n => document.querySelectorAll('.tmsw-bot-turn[data-topic]').length >= n",
            arg=count,
            timeout=REPLY_TIMEOUT_MS,
        )
        return self.answered_turns().nth(count - 1)

    def say(self, text: str, submit_with_enter: bool = False):
        """Sends `text` and returns the locator of the bot turn that answers it."""
        before = self.answered_turns().count()
        self.input.fill(text)
        if submit_with_enter:
            self.input.press("Enter")
        else:
            self.page.locator(".tmsw-send").click()
        return self.wait_for_turns(before + 1)

    def session_id(self) -> str:
        return self.page.evaluate("localStorage.getItem('tmsw:session')")

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / name
        self.page.screenshot(path=str(path))
        return path


def _new_widget(browser, **context_args) -> Iterator[Widget]:
    context = browser.new_context(**context_args)
    page = context.new_page()
    page.set_default_timeout(30_000)
    widget = Widget(page)
    yield widget
    context.close()


@pytest.fixture
def widget(browser) -> Iterator[Widget]:
    yield from _new_widget(browser, viewport={"width": 1280, "height": 800})


@pytest.fixture
def small_widget(browser) -> Iterator[Widget]:
    yield from _new_widget(
        browser, viewport={"width": 320, "height": 640}, device_scale_factor=2, is_mobile=True, has_touch=True
    )
