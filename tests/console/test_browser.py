"""The staff console in a real browser (playwright + Debian's chromium): login, redirects,
a filter, an annotation, CSRF rejection of a forged cross-origin post, the export download,
the charts, axe-core WCAG 2.1 A/AA on every page, times with their zone; screenshots in
artifacts/screenshots/console-*.png."""

import http.server
import os
import re
import sqlite3
import threading
from pathlib import Path

import pytest

from tests.console import rasa_events
from tests.console.conftest import PASSWORD, ROOT, USER, Console, create_user, free_port

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SHOTS = ROOT / "artifacts" / "screenshots"

sync_api = (
    pytest.importorskip("playwright.sync_api")
    if not os.environ.get("CI")
    else __import__("playwright.sync_api", fromlist=["sync_playwright"])
)
if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: run scripts/install_browser.sh")
    pytest.skip(f"{CHROMIUM} is not installed (scripts/install_browser.sh)", allow_module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("browser") / "assistant.db"
    rasa_events.fill(str(db_path))
    rasa_events.fill_busy(str(db_path))
    create_user(db_path)
    console = Console(db_path)
    yield console
    console.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield instance
        instance.close()


@pytest.fixture(scope="module")
def page(browser, server):
    """One logged-in browser page for the module (the login itself is a test below)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


def login(page, server, password=PASSWORD):
    page.goto(server.url("/login"))
    page.fill("input[name=username]", USER)
    page.fill("input[name=password]", password)
    page.click("#login-form button[type=submit]")


def test_access_without_login_is_redirected(browser, server):
    context = browser.new_context()
    page = context.new_page()
    for path in ("/conversations", "/transcript?sender=conv-crisis", "/charts", "/audit"):
        page.goto(server.url(path))
        assert page.url.startswith(server.url("/login?next=")), path
        assert page.locator("#login-form").is_visible()
    context.close()


def test_login_wrong_then_right(page, server):
    login(page, server, "not-the-password")
    assert "Wrong username or password" in page.locator(".error").inner_text()
    login(page, server)
    page.wait_for_url(server.url("/conversations"))
    assert page.locator("header .who").inner_text() == USER
    assert page.locator("#conversation-list tbody tr").count() == 25  # one page, newest first
    assert "Page 1 of 3" in page.locator(".pager").inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "console-list.png"), full_page=True)


def test_a_filter(page, server):
    page.goto(server.url("/conversations"))
    page.check("input[name=crisis]")
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r".*crisis=1.*"))
    senders = page.locator("#conversation-list tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.sender)"
    )
    assert senders == ["conv-crisis"]
    page.goto(server.url("/conversations"))
    page.select_option("select[name=topic]", "handoff.human")
    page.click("#filters button[type=submit]")
    assert page.locator("#conversation-list tbody tr").evaluate_all(
        "rows => rows.map(r => r.dataset.sender)"
    ) == ["conv-handoff"]


def test_annotation_and_transcript(page, server):
    page.goto(server.url("/transcript?sender=conv-side-effects"))
    # Contact details are masked in the transcript.
    assert "jane.doe@example.com" not in page.content()
    assert "[email hidden]" in page.locator(".turn.user").nth(1).inner_text()
    turn = page.locator(".turn.user").nth(1)
    turn.locator("summary").click()
    turn.locator("select[name=intent]").select_option("tms_side_effects")
    turn.locator("textarea[name=note]").fill("right answer; keep as an example")
    turn.locator("button[type=submit]").click()
    page.wait_for_url(re.compile(r".*done=annotated.*"))
    assert page.locator(".notice").inner_text() == "Annotation saved."
    assert "right intent tms_side_effects" in page.locator(".turn.user").nth(1).inner_text()
    page.click("#review-form button")
    assert "yes, by alice" in page.locator("#review-state").inner_text()
    page.screenshot(path=str(SHOTS / "console-transcript.png"), full_page=True)
    page.goto(server.url("/transcript?sender=conv-crisis"))
    assert page.locator(".turn.bot.crisis .flag.crisis").count() == 1
    page.goto(server.url("/transcript?sender=conv-booking"))
    page.screenshot(path=str(SHOTS / "console-transcript-booking.png"), full_page=True)


def test_forged_cross_origin_post_is_rejected(page, server, tmp_path):
    """A page on another origin (same site: cookies flow) auto-submits a form to the console."""
    (tmp_path / "forge.html").write_text(f"""<!doctype html><html><body>
<form id="f" method="post" action="{server.url("/delete")}">
<input name="sender" value="conv-crisis"><input name="confirm" value="yes">
<input name="csrf_token" value="guessed-token"></form>
<script>document.getElementById('f').submit()</script></body></html>""")
    handler = lambda *a, **kw: http.server.SimpleHTTPRequestHandler(  # noqa: E731
        *a, directory=str(tmp_path), **kw
    )
    evil = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), handler)
    threading.Thread(target=evil.serve_forever, daemon=True).start()
    try:
        with page.expect_response(lambda r: r.url == server.url("/delete")) as info:
            page.goto(f"http://127.0.0.1:{evil.server_address[1]}/forge.html")
        assert info.value.status == 403
        page.wait_for_load_state()
        assert "Request refused" in page.content()
    finally:
        evil.shutdown()
    with sqlite3.connect(server.db_path) as conn:
        assert conn.execute("select count(*) from events where sender_id='conv-crisis'").fetchone()[0] > 0
    # Still logged in; the console's own delete form would work (not used here).
    page.goto(server.url("/audit?action=csrf_rejected"))
    assert page.locator("#audit tbody tr").count() == 1


def test_export_download(page, server, tmp_path):
    page.goto(server.url("/annotations"))
    assert page.locator("#pending tbody tr").count() == 1
    with page.expect_download() as info:
        page.click("#export-form button")
    download = info.value
    assert re.match(r"nlu_annotations_\d{8}_\d{6}\.yml$", download.suggested_filename)
    target = tmp_path / download.suggested_filename
    download.save_as(str(target))
    content = target.read_text()
    assert 'version: "3.1"' in content
    assert (
        "  - intent: tms_side_effects\n    examples: |\n      - my email is name@example.com, does tms hurt?"
        in content
    )
    page.goto(server.url("/annotations"))
    assert page.locator("#exports tbody tr").count() == 1
    assert page.locator("#export-form button").is_disabled()


def test_charts_render(page, server):
    page.goto(server.url("/charts"))
    for chart in ("conversations", "fallback", "topics", "confidence", "booking"):
        svg = page.locator(f"#chart-{chart} svg")
        assert svg.is_visible(), chart
        box = svg.bounding_box()
        assert box["width"] > 300 and box["height"] > 50, chart
    assert page.locator("#chart-conversations svg rect").count() == 30
    assert page.locator("#chart-fallback svg circle").count() > 5
    assert page.locator("#chart-topics svg rect").count() >= 10
    page.screenshot(path=str(SHOTS / "console-charts.png"), full_page=True)


def test_bookings_screenshot_and_logout(page, server):
    page.goto(server.url("/bookings"))
    assert page.locator("#bookings tbody tr").count() == 2
    page.screenshot(path=str(SHOTS / "console-bookings.png"), full_page=True)
    page.click("header .logout button")
    page.wait_for_url(re.compile(r".*/login.*"))
    page.goto(server.url("/conversations"))
    assert "/login" in page.url


AXE = ROOT / "tests" / "browser" / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_PAGES = [
    "/conversations",
    "/conversations?crisis=1",
    "/transcript?sender=conv-booking",
    "/transcript?sender=conv-side-effects",
    "/annotations",
    "/charts",
    "/bookings",
    "/retention",
    "/audit",
]


def axe_violations(page) -> list:
    page.evaluate(AXE.read_text(encoding="utf-8") + "\n;void 0;")
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS)
    return [
        {"id": v["id"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


def test_login_page_passes_axe_wcag21_aa(browser, server):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(server.url("/login"))
    assert axe_violations(page) == []
    context.close()


@pytest.mark.parametrize("path", AXE_PAGES)
def test_console_pages_pass_axe_wcag21_aa(page, server, path):
    if "/login" in page.url or page.url == "about:blank":
        login(page, server)
        page.wait_for_url(re.compile(r".*/(conversations|bookings).*"))
    page.goto(server.url(path))
    assert "/login" not in page.url
    assert axe_violations(page) == [], path


def test_console_times_show_their_zone(page, server):
    if "/login" in page.url or page.url == "about:blank":
        login(page, server)
    page.goto(server.url("/conversations"))
    first = page.locator("#conversation-list tbody tr td").first.inner_text()
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2} P[SD]T", first.strip()), first
    assert "Times in America/Los_Angeles" in page.locator("header").inner_text()
