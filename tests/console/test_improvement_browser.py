"""The improvement loop in a real browser (playwright + Debian's chromium): the "can't answer
yet" clusters page and a bulk annotation from it, the helpfulness chart, and an answer edit
proposed, approved by someone else and exported; pages checked with axe-core (WCAG 2.1 A/AA).
Screenshots are saved as test artifacts in results/screenshots/improve-*.png."""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import pytest

from tests.console import gap_events
from tests.console.conftest import PASSWORD, ROOT, USER, Console, create_user
from tests.console.test_browser import ARGS, CHROMIUM, axe_violations

SHOTS = ROOT / "results" / "screenshots"
sync_api = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists():
    if os.environ.get("CI"):
        raise RuntimeError(f"{CHROMIUM} is missing: run scripts/install_browser.sh")
    pytest.skip(f"{CHROMIUM} is not installed (scripts/install_browser.sh)", allow_module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    db_path = tmp_path_factory.mktemp("improve") / "assistant.db"
    gap_events.fill(str(db_path))
    create_user(db_path)
    create_user(db_path, name="erin", role="editor")
    create_user(db_path, name="frank", role="editor")
    console = Console(db_path)
    yield console
    console.stop()


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        yield instance
        instance.close()


def logged_in(browser, server, user: str, home: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    page = context.new_page()
    page.goto(server.url("/login"))
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("#login-form button[type=submit]")
    page.wait_for_url(re.compile(rf".*{home}.*"))
    return context, page


@pytest.fixture(scope="module")
def page(browser, server):
    context, page = logged_in(browser, server, USER, "/conversations")
    yield page
    context.close()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"improve-{name}.png"), full_page=True)


def test_clusters_page(page, server):
    page.goto(server.url("/gaps"))
    clusters = page.locator("section.cluster")
    assert clusters.count() >= 8
    sizes = [int(s) for s in clusters.evaluate_all("els => els.map(e => e.dataset.size)")]
    assert sum(sizes) == 72 and sizes == sorted(sizes, reverse=True)
    first = clusters.first
    assert first.locator(".guesses .tag").count() >= 1
    assert "this week" in first.locator(".trend").inner_text()
    assert page.locator("header nav a.active").inner_text() == "Can't answer yet"
    assert axe_violations(page) == []
    shot(page, "clusters")
    # A transcript link opens the conversation at that message.
    link = first.locator("td.msg a").first
    href = link.get_attribute("href")
    link.click()
    page.wait_for_url(re.compile(r".*/transcript\?sender=gap-.*"))
    assert page.locator(f"#{href.split('#')[1]}").count() == 1


def test_bulk_annotation(page, server):
    page.goto(server.url("/gaps"))
    cluster = page.locator("section.cluster").first
    rows = cluster.locator("tbody tr")
    n = rows.count()
    texts = [rows.nth(i).locator("td.msg").inner_text() for i in range(n)]
    rows.nth(n - 1).locator("input[type=checkbox]").uncheck()  # not this one
    cluster.locator("select[name=intent]").select_option("tms_insurance")
    cluster.locator("input[name=note]").fill("asked about insurance, in many words")
    shot(page, "bulk-annotation-form")
    cluster.locator("button.annotate-all").click()
    page.wait_for_url(re.compile(r".*done=bulk_annotated.*"))
    assert "annotated" in page.locator(".notice").inner_text()
    remaining = page.locator("td.msg").all_inner_texts()
    assert texts[-1] in remaining and not set(texts[:-1]) & set(remaining)
    page.goto(server.url("/annotations"))
    pending = page.locator("#pending tbody tr")
    assert pending.count() == n - 1
    assert "tms_insurance" in pending.first.inner_text()
    shot(page, "bulk-annotation-pending")
    with sqlite3.connect(server.db_path) as conn:
        (count,) = conn.execute(
            "select count(*) from console_annotations where intent = 'tms_insurance'"
        ).fetchone()
    assert count == n - 1


def test_helpfulness_chart(page, server):
    page.goto(server.url("/charts"))
    chart = page.locator("#chart-helpfulness svg")
    assert chart.is_visible()
    box = chart.bounding_box()
    assert box["width"] > 300 and box["height"] > 40
    # The fixture's thumbs-down (18, on tms.overview answers; the topic comes from the reply).
    down = chart.locator("rect.bar.down")
    assert down.count() == 1 and down.first.bounding_box()["width"] > 100
    row = page.locator('#helpfulness tr[data-topic="tms.overview"] td')
    assert row.all_inner_texts() == ["tms.overview", "0", "18", "0%"]
    assert page.locator("#chart-fallback-weekly svg circle").count() >= 2
    assert axe_violations(page) == []
    page.locator("#helpfulness-title").scroll_into_view_if_needed()
    shot(page, "helpfulness-chart")


def test_edit_approve_export(browser, server, tmp_path):
    erin_context, erin = logged_in(browser, server, "erin", "/answers")
    erin.click('#topics a[href="/answers/edit?topic=tms.side_effects"]')
    erin.fill(
        "#answer",
        "Most people feel a light tapping on the scalp. A mild headache is "
        "common and fades. Ask us at {{ clinic.contact.phone }}.",
    )
    erin.fill("#note", "shorter, plainer")
    erin.click("button[value=preview]")
    preview = erin.locator("#preview")
    assert "{{" not in preview.inner_text() and "light tapping" in preview.inner_text()
    assert preview.locator(".source-cards a").count() >= 1
    assert axe_violations(erin) == []
    shot(erin, "answer-edit-preview")
    erin.click("#propose")
    erin.wait_for_url(re.compile(r".*/answers/change/\d+\?done=proposed"))
    change_url = erin.url.split("?")[0]
    assert erin.locator("#change-status").inner_text() == "pending"
    assert erin.locator("#approve-form").count() == 0  # not by the proposer
    erin_context.close()

    frank_context, frank = logged_in(browser, server, "frank", "/answers")
    frank.goto(change_url)
    assert axe_violations(frank) == []
    shot(frank, "answer-change-review")
    frank.click("#approve-form button")
    frank.wait_for_url(re.compile(r".*done=approved"))
    assert frank.locator("#change-status").inner_text() == "approved"
    with frank.expect_download() as info:
        frank.click("#export-form button")
    target = tmp_path / info.value.suggested_filename
    info.value.save_as(str(target))
    patch = target.read_text()
    assert patch.startswith("--- a/knowledge/topics.yml")
    assert "+      Most people feel a light tapping on the scalp." in patch
    frank.goto(server.url("/answers"))
    row = frank.locator("#changes tbody tr").first
    assert row.get_attribute("data-status") == "exported"
    assert axe_violations(frank) == []
    shot(frank, "answers-list")
    frank.goto(server.url("/audit?action=answer_exported"))  # editors have no audit log
    assert "does not include this page" in frank.content()
    frank_context.close()
