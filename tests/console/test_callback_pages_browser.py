"""The console's call-back requests, outbox and local mail pages in a real browser (playwright
+ Debian's chromium): a scheduler sees a request made the way the chat makes it (its clinic
notice delivered by the worker to the local SMTP sink), marks it done, opens the outbox, the
notice and the delivered mail; axe-core WCAG 2.1 A/AA on each page. Screenshots are saved as
test artifacts in results/screenshots/callbacks-*.png."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from practice.booking.store import BookingStore
from practice.notifications import messages
from practice.notifications.callbacks import CallbackRequest, CallbackStore
from practice.notifications.mail_sink import start_sink
from practice.notifications.outbox import Outbox
from practice.notifications.senders import SmtpSender
from practice.notifications.settings import NotificationSettings, SmtpSettings
from practice.notifications.tables import DONE, callback_requests
from practice.notifications.worker import DeliveryWorker
from tests.console.conftest import PASSWORD, ROOT, Console, create_user
from tests.console.test_browser import ARGS, CHROMIUM, axe_violations
from tests.unit.smtp_recorder import free_port

SHOTS = ROOT / "results" / "screenshots"
SCHEDULER = "sam"
sync_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: run scripts/install_browser.sh")
    pytest.skip(f"{CHROMIUM} is not installed (scripts/install_browser.sh)", allow_module_level=True)


@dataclass(frozen=True)
class Setup:
    console: Console
    engine: sa.engine.Engine
    request: CallbackRequest


def deliver_to_sink(engine: sa.engine.Engine, mail_dir: Path) -> None:
    """Runs the delivery worker once against a local SMTP sink writing .eml files."""
    port = free_port()
    sink = start_sink(mail_dir, port=port)
    try:
        sender = SmtpSender(SmtpSettings(port=port), NotificationSettings.load())
        DeliveryWorker(Outbox(engine, max_attempts=1), {"email": sender}).run_until_idle()
    finally:
        sink.stop()


@pytest.fixture(scope="module")
def setup(tmp_path_factory) -> Iterator[Setup]:
    directory = tmp_path_factory.mktemp("callbacks")
    db_path, mail_dir = directory / "assistant.db", directory / "mail"
    create_user(db_path, name=SCHEDULER, role="scheduler")
    engine = BookingStore(f"sqlite:///{db_path}").engine  # the bookings' database, migrated
    request = CallbackStore(engine).create(
        full_name="Lee Park",
        contact="+15035550123",
        best_time="weekday mornings",
        consent=True,
        sender_id="conv-callback",
    )
    deliver_to_sink(engine, mail_dir)
    console = Console(db_path, MAIL_SINK_DIR=str(mail_dir))
    yield Setup(console, engine, request)
    console.stop()
    engine.dispose()


@pytest.fixture(scope="module")
def page(setup: Setup) -> Iterator[sync_api.Page]:
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(30_000)
        yield page
        context.close()
        browser.close()


def shot(page: sync_api.Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"callbacks-{name}.png"), full_page=True)


def assert_accessible(page: sync_api.Page) -> None:
    violations = axe_violations(page)
    assert violations == [], (page.url, violations)


def status_in_db(engine: sa.engine.Engine, reference: str) -> str:
    with engine.connect() as conn:
        return conn.execute(
            sa.select(callback_requests.c.status).where(callback_requests.c.reference == reference)
        ).scalar_one()


def test_scheduler_logs_in_and_sees_the_request(page: sync_api.Page, setup: Setup):
    server, request = setup.console, setup.request
    page.goto(server.url("/login"))
    page.fill("input[name=username]", SCHEDULER)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/bookings.*"))  # a scheduler's home
    assert page.locator("header .who").inner_text() == SCHEDULER
    page.click("header nav a[href='/callbacks']")
    page.wait_for_url(re.compile(r".*/callbacks.*"))
    row = page.locator(f"#callbacks tr[data-reference='{request.reference}']")
    assert row.count() == 1
    cells = row.inner_text()
    for shown in ("Lee Park", "+15035550123", "weekday mornings", "open"):
        assert shown in cells, shown
    assert_accessible(page)
    shot(page, "open")


def test_scheduler_marks_the_request_done(page: sync_api.Page, setup: Setup):
    server, request = setup.console, setup.request
    page.goto(server.url("/callbacks"))
    page.locator(f"#callbacks tr[data-reference='{request.reference}'] button", has_text="Mark done").click()
    page.wait_for_url(re.compile(r".*done=callback_done.*"))
    assert page.locator(f"tr[data-reference='{request.reference}']").count() == 0  # no longer open
    assert status_in_db(setup.engine, request.reference) == DONE
    page.click("a[href='/callbacks?status=done']")
    row = page.locator(f"#callbacks tr[data-reference='{request.reference}']")
    assert f"done ({SCHEDULER})" in row.inner_text()
    assert row.locator("button").count() == 0
    assert_accessible(page)
    shot(page, "done")


def test_outbox_shows_the_clinic_notice(page: sync_api.Page, setup: Setup):
    server, request = setup.console, setup.request
    page.goto(server.url("/callbacks"))
    page.click("header nav a[href='/outbox']")
    page.wait_for_url(re.compile(r".*/outbox.*"))
    assert_accessible(page)
    page.click("nav.tabs a[href='/outbox?view=sent']")
    page.wait_for_url(re.compile(r".*view=sent.*"))
    rows = page.locator("#outbox tbody tr")
    assert rows.count() == 1
    assert messages.CLINIC_CALLBACK in rows.first.inner_text()
    assert f"Call-back request {request.reference}" in rows.first.inner_text()
    assert_accessible(page)
    shot(page, "outbox")

    rows.first.locator("td a").first.click()
    page.wait_for_url(re.compile(r".*/outbox/\d+$"))
    body = page.locator("pre.mail").inner_text()
    assert f"Call-back request: {request.reference}" in body and "/callbacks" in body
    assert "Lee Park" not in body and "+15035550123" not in body  # details stay in the console
    assert request.reference in page.locator("main, body").first.inner_text()
    assert_accessible(page)
    shot(page, "outbox-message")


def test_local_mail_holds_the_delivered_notice(page: sync_api.Page, setup: Setup):
    server, request = setup.console, setup.request
    page.goto(server.url("/outbox"))
    page.click("nav.tabs a[href='/mail']")
    page.wait_for_url(re.compile(r".*/mail$"))
    subjects = page.locator("#mail tbody tr")
    assert subjects.count() == 1
    assert f"Call-back request {request.reference}" in subjects.first.inner_text()
    assert_accessible(page)
    shot(page, "mail")

    subjects.first.locator("a").last.click()
    page.wait_for_url(re.compile(r".*/mail/[^/]+\.eml$"))
    assert f"Call-back request: {request.reference}" in page.content()
    assert_accessible(page)
    shot(page, "mail-message")
