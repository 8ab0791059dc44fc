"""The chat widget on the demo page, in Chromium, against the running assistant."""

from __future__ import annotations

import json
import re

import pytest
import requests

from tests.browser.conftest import ASSISTANT_URL, AXE, DEMO, RASA_AUTH_TOKEN, Widget

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def tracker(session_id: str) -> dict:
    response = requests.get(
        f"{ASSISTANT_URL}/conversations/{session_id}/tracker", params={"token": RASA_AUTH_TOKEN}, timeout=30
    )
    assert response.status_code == 200, response.text
    return response.json()


def assert_external_links_safe(scope) -> None:
    links = scope.locator("a[href^='http']")
    assert links.count() > 0
    for i in range(links.count()):
        link = links.nth(i)
        assert link.get_attribute("target") == "_blank"
        assert set((link.get_attribute("rel") or "").split()) >= {"noopener", "noreferrer"}


def run_axe(widget: Widget) -> list:
    widget.page.evaluate(AXE.read_text(encoding="utf-8") + "\n;void 0;")
    result = widget.page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_TAGS
    )
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
    ]


def test_opens_with_notice_greets_and_shows_source_cards(widget: Widget):
    widget.goto().open()
    assert widget.panel.get_attribute("role") == "dialog"
    assert widget.panel.get_attribute("aria-label")
    assert widget.launcher.get_attribute("aria-expanded") == "true"
    assert widget.page.evaluate("document.activeElement.classList.contains('tmsw-input')")
    notice = widget.page.locator(".tmsw-notice").inner_text()
    for words in (
        "automated assistant",
        "not a clinician",
        "not for emergencies",
        "988",
        "911",
        "reviewed by staff",
    ):
        assert words in notice, words
    assert widget.log.get_attribute("role") == "log"
    assert widget.log.get_attribute("aria-live") == "polite"

    greeting = widget.say("hello")
    assert greeting.locator(".tmsw-bot").first.inner_text().strip()

    turn = widget.say("what are the side effects of tms")
    assert turn.get_attribute("data-topic") == "tms.side_effects"
    cards = turn.locator(".tmsw-source-link")
    assert cards.count() >= 1
    assert cards.first.is_visible()
    assert cards.first.get_attribute("href").startswith("https://")
    assert_external_links_safe(turn)
    # Each source is shown once, as a card: the text's own citation lines (raw URLs) are
    # dropped from the displayed answer; the card links are the only ones to the sources.
    hrefs = [cards.nth(i).get_attribute("href") for i in range(cards.count())]
    assert len(hrefs) == len(set(hrefs))
    bubbles = turn.locator(".tmsw-bot")
    shown_text = " ".join(bubbles.nth(i).inner_text() for i in range(bubbles.count()))
    assert "https://" not in shown_text and "Sources:" not in shown_text
    assert turn.locator(".tmsw-bot a[href^='https://']").count() == 0
    assert "not medical advice" in shown_text  # the rest of the answer stays
    # REST clients still get the citations written out in the text.
    rest = requests.post(
        f"{ASSISTANT_URL}/webhooks/rest/webhook",
        json={"sender": "rest-sources-check", "message": "what are the side effects of tms"},
        timeout=60,
    ).json()
    rest_text = "\n".join(m.get("text") or "" for m in rest)
    assert "Sources:" in rest_text and all(h.rstrip("/") in rest_text or h in rest_text for h in hrefs)
    assert turn.locator(".tmsw-feedback button").count() == 2
    assert not widget.page.locator(".tmsw-typing.tmsw-active").is_visible()
    widget.page.wait_for_timeout(300)
    widget.screenshot("widget-desktop.png")  # the question and the start of the answer
    widget.log.evaluate("log => { log.scrollTop = log.scrollHeight; }")
    widget.screenshot("widget-desktop-sources.png")  # the end: source cards, thumbs
    assert widget.csp_errors == []


def test_quick_reply_sends_payload_and_shows_title(widget: Widget):
    widget.goto().open()
    turn = widget.say("am I a candidate for tms")
    button = turn.locator(".tmsw-quick-reply").first
    button.wait_for(state="visible")
    title = button.inner_text().strip()
    assert title
    answered = widget.answered_turns().count()
    button.click()
    user_bubbles = widget.page.locator(".tmsw-user")
    assert user_bubbles.last.inner_text().replace("You said:", "").strip() == title
    assert not user_bubbles.last.inner_text().strip().startswith("/")  # the title, not the payload
    reply = widget.wait_for_turns(answered + 1)
    assert reply.get_attribute("data-topic")
    assert turn.locator(".tmsw-quick-reply").count() == 0  # used buttons go away


def test_history_and_session_survive_a_reload(widget: Widget):
    widget.goto().open()
    widget.say("what is tms")
    session = widget.session_id()
    assert session and re.match(r"^[0-9a-f]{32}$", session)
    bubbles_before = widget.log.locator(".tmsw-msg").count()

    widget.page.reload()
    widget.launcher.wait_for(state="visible")
    widget.open()
    assert widget.session_id() == session
    assert widget.log.locator(".tmsw-msg").count() == bubbles_before
    assert "what is tms" in widget.log.inner_text()
    assert widget.log.locator(".tmsw-source-link").count() >= 1
    # Restored from the stored transcript, the sources are still shown once (cards only).
    assert "https://" not in " ".join(widget.log.locator(".tmsw-bot").all_inner_texts())

    before = widget.answered_turns().count()
    widget.say("what are the side effects of tms")
    assert widget.answered_turns().count() == before + 1
    texts = [e.get("text") for e in tracker(session)["events"] if e["event"] == "user"]
    assert "what is tms" in texts and "what are the side effects of tms" in texts


def test_html_in_a_message_is_shown_as_text(widget: Widget):
    payload = "<img src=x onerror=alert(1)>"
    widget.goto().open()
    widget.say(payload)
    assert widget.page.locator(".tmsw-user").last.inner_text().replace("You said:", "").strip() == payload
    assert widget.page.locator(".tmsw-root img").count() == 0
    widget.page.wait_for_timeout(500)
    assert widget.dialogs == []


def test_no_wcag_a_or_aa_violations(widget: Widget):
    widget.goto()
    assert run_axe(widget) == [], "page with the closed widget"
    widget.open()
    widget.say("am I a candidate for tms")
    turn = widget.say("I want to kill myself")
    turn.locator(".tmsw-crisis").wait_for()
    violations = run_axe(widget)
    assert violations == [], json.dumps(violations, indent=1)


def test_keyboard_only(widget: Widget):
    page = widget.goto().page
    for _ in range(30):  # Tab through the page to the launcher
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('tmsw-launcher')"):
            break
    else:
        pytest.fail("the launcher is not reachable with Tab")
    page.keyboard.press("Enter")
    widget.panel.wait_for(state="visible")
    assert page.evaluate("document.activeElement.classList.contains('tmsw-input')")

    before = widget.answered_turns().count()
    page.keyboard.type("am I a candidate for tms")
    page.keyboard.press("Enter")
    turn = widget.wait_for_turns(before + 1)
    assert page.evaluate("document.activeElement.classList.contains('tmsw-input')")
    turn.locator(".tmsw-quick-reply").first.wait_for()

    for _ in range(12):  # back from the input to the quick-reply button
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.classList.contains('tmsw-quick-reply')"):
            break
    else:
        pytest.fail("the quick-reply button is not reachable with Shift+Tab")
    title = page.evaluate("document.activeElement.textContent")
    page.keyboard.press("Enter")
    widget.wait_for_turns(before + 2)
    assert title in widget.page.locator(".tmsw-user").last.inner_text()

    page.keyboard.press("Escape")
    widget.panel.wait_for(state="hidden")
    assert page.evaluate("document.activeElement.classList.contains('tmsw-launcher')")
    assert widget.launcher.get_attribute("aria-expanded") == "false"
    page.keyboard.press("Enter")  # and open again from the launcher
    widget.panel.wait_for(state="visible")
    assert page.evaluate("document.activeElement.classList.contains('tmsw-input')")


def test_works_at_320_px(small_widget: Widget):
    widget = small_widget.goto()
    widget.open()
    widget.say("what are the side effects of tms")
    page = widget.page
    assert page.evaluate("document.documentElement.scrollWidth") <= 320
    box = widget.panel.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 320
    for part in (".tmsw-input", ".tmsw-send", ".tmsw-close"):
        part_box = page.locator(part).bounding_box()
        assert part_box and part_box["x"] >= 0 and part_box["x"] + part_box["width"] <= 320, part
    assert page.locator(".tmsw-source-link").first.is_visible()
    page.wait_for_timeout(300)
    widget.screenshot("widget-320px.png")
    widget.log.evaluate("log => { log.scrollTop = log.scrollHeight; }")
    widget.screenshot("widget-320px-sources.png")
    assert widget.csp_errors == []


def test_crisis_reply_is_prominent_with_tappable_numbers(widget: Widget):
    widget.goto().open()
    turn = widget.say("I want to kill myself")
    assert turn.get_attribute("data-topic") == "safety.crisis"
    assert "tmsw-turn-crisis" in turn.get_attribute("class")
    box = turn.locator(".tmsw-crisis")
    box.wait_for(state="visible")
    for href in ("tel:988", "sms:988", "tel:911"):
        link = box.locator(f"a[href='{href}']")
        assert link.count() == 1 and link.is_visible(), href
    assert "988" in turn.locator(".tmsw-bot").first.inner_text()
    # The help box is what the visitor sees first: scrolled into the visible part of the log.
    log_box, help_box = widget.log.bounding_box(), box.bounding_box()
    assert (
        log_box["y"] <= help_box["y"]
        and help_box["y"] + help_box["height"] <= log_box["y"] + log_box["height"]
    )
    widget.screenshot("widget-crisis.png")


def check_in_turn(widget: Widget):
    widget.goto().open()
    turn = widget.say("i'm worn out by everything and nothing ever helps")
    assert turn.get_attribute("data-topic") == "safety.check_in"
    assert "988" in turn.locator(".tmsw-bot").first.inner_text()
    assert turn.locator(".tmsw-crisis a[href='tel:988']").count() == 1
    buttons = turn.locator(".tmsw-quick-reply")
    buttons.first.wait_for(state="visible")
    assert [buttons.nth(i).inner_text().strip() for i in range(buttons.count())] == ["Yes", "No"]
    return turn


def test_check_in_no_button_thanks_and_carries_on(widget: Widget):
    turn = check_in_turn(widget)
    answered = widget.answered_turns().count()
    turn.locator(".tmsw-quick-reply", has_text="No").click()
    reply = widget.wait_for_turns(answered + 1)
    assert reply.get_attribute("data-topic") == "safety.check_in"
    assert "Thank you for telling me" in reply.inner_text()
    assert turn.locator(".tmsw-quick-reply").count() == 0
    widget.screenshot("widget-check-in-no.png")


def test_check_in_yes_button_gets_the_crisis_reply(widget: Widget):
    turn = check_in_turn(widget)
    answered = widget.answered_turns().count()
    turn.locator(".tmsw-quick-reply", has_text="Yes").click()
    reply = widget.wait_for_turns(answered + 1)
    assert reply.get_attribute("data-topic") == "safety.crisis"
    assert reply.locator(".tmsw-crisis a[href='tel:988']").count() == 1
    widget.screenshot("widget-check-in-yes.png")


def test_thumbs_down_is_stored_with_the_conversation(widget: Widget):
    widget.goto().open()
    turn = widget.say("what are the side effects of tms")
    reply_to = turn.get_attribute("data-reply-to")
    assert re.match(r"^[0-9a-f]{32}$", reply_to)
    down = turn.locator(".tmsw-thumb[data-value='down']")
    down.click()
    widget.page.wait_for_function(
        "el => el.getAttribute('aria-pressed') === 'true'", arg=down.element_handle()
    )
    turn.locator(".tmsw-feedback-note", has_text="Thanks").wait_for()

    events = tracker(widget.session_id())["events"]
    feedback = [e for e in events if e["event"] == "slot" and e["name"] == "feedback"]
    assert feedback, "no feedback event in the tracker"
    value = feedback[-1]["value"]
    assert value["value"] == "down"
    assert value["message_id"] == reply_to
    assert value["topic"] == "tms.side_effects"
    assert isinstance(value["bot_ts"], (int, float))


def test_demo_page_security_headers():
    response = requests.get(DEMO, timeout=10)
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "default-src 'none'" in csp
    connect = re.search(r"connect-src ([^;]+)", csp).group(1).split()
    assert set(connect) == {"'self'", ASSISTANT_URL, ASSISTANT_URL.replace("http", "ws", 1)}
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert 'data-server-url="' + ASSISTANT_URL + '"' in response.text
    assert len(re.findall(r"<script\b", response.text)) == 1


def test_new_chat_forgets_the_conversation_in_this_browser(widget: Widget):
    widget.goto().open()
    widget.say("hello")
    old = widget.session_id()
    widget.page.locator(".tmsw-new").click()
    assert widget.log.locator(".tmsw-msg").count() == 0
    widget.page.wait_for_function(
        "old => { const s = localStorage.getItem('tmsw:session'); return s && s !== old; }", arg=old
    )
    assert widget.page.evaluate("old => Object.keys(sessionStorage).filter(k => k.includes(old))", old) == []
    widget.say("hello")
    assert widget.answered_turns().count() == 1
