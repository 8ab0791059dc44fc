"""The console against a database filled by real conversations through the running assistant.

Runs under scripts/test_servers.sh (Rasa + action server on test ports, SQLite database at
$TRACKER_DB_PATH). Each filter's expected result comes from what the assistant actually
answered (the contract payloads returned by the REST channel), not from assumptions about
the model's predictions.
"""

import html
import os
import re
import shutil
import sqlite3
import time
import uuid

import pytest
import requests
import yaml

from tests.console import rasa_events
from tests.console.conftest import ROOT, Console, create_user

ASSISTANT_URL = os.environ.get("ASSISTANT_URL", "")
DB_PATH = os.environ.get("TRACKER_DB_PATH", "")


def _assistant_up() -> bool:
    if not ASSISTANT_URL or not DB_PATH:
        return False
    try:
        return requests.get(ASSISTANT_URL + "/webhooks/rest/", timeout=2).ok
    except requests.RequestException:
        return False


pytestmark = pytest.mark.skipif(
    not _assistant_up(), reason="needs the live assistant (scripts/test_servers.sh)"
)
RUN = uuid.uuid4().hex[:8]
CHATS = {  # name -> visitor messages
    "info": ["hi there", "my email is pat.lee@example.com and my phone is 971-555-0123, does tms hurt?"],
    "crisis": ["i want to kill myself"],
    "handoff": ["can i speak with a human please"],
    "nonsense": ["qwzx plorf blenk"],
    "booking": ["i would like to book an evaluation"],
}


def say(sender, text):
    response = requests.post(
        ASSISTANT_URL + "/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60
    )
    assert response.status_code == 200, response.text
    return [r["custom"] for r in response.json() if isinstance(r.get("custom"), dict)]


@pytest.fixture(scope="module")
def live():
    """Talks to the assistant, then serves the console on the assistant's own database."""
    payloads = {}
    senders = {}
    for name, messages in CHATS.items():
        sender = f"console-live-{name}-{RUN}"
        senders[name] = sender
        payloads[name] = [p for text in messages for p in say(sender, text)]
    # A conversation from long ago, written by Rasa's own tracker store, for the purge.
    old = rasa_events.conversations()[-1]
    old.sender = f"console-live-old-{RUN}"
    senders["old"] = old.sender
    rasa_events.write(DB_PATH, [old])
    db_path = __import__("pathlib").Path(DB_PATH)
    create_user(db_path, name=f"live{RUN}")
    server = Console(db_path, CONSOLE_PAGE_SIZE="1000")
    assert server.login(user=f"live{RUN}").status_code == 302
    yield server, senders, payloads
    server.stop()


def ours(server, senders, query):
    return set(server.senders(query)) & set(senders.values())


def expected(senders, payloads, test):
    return {senders[name] for name, items in payloads.items() if any(test(p) for p in items)}


def flags(p):
    return set(p.get("flags") or [])


def test_every_live_conversation_is_listed(live):
    server, senders, _ = live
    assert ours(server, senders, "") == set(senders.values())


def test_filters_match_what_the_assistant_answered(live):
    server, senders, payloads = live
    crisis = expected(
        senders,
        payloads,
        lambda p: p["topic"] in ("safety.crisis", "safety.emergency") or flags(p) & {"crisis", "emergency"},
    )
    assert senders["crisis"] in crisis  # the deterministic safety net never misses this one
    assert ours(server, senders, "crisis=1") == crisis
    fallback = expected(senders, payloads, lambda p: p["topic"] == "fallback" or "fallback" in flags(p))
    listed_fallback = ours(server, senders, "fallback=1")
    assert fallback <= listed_fallback
    # Besides fallback replies, only an nlu_fallback prediction marks a conversation.
    for sender in listed_fallback - fallback:
        assert "intent: <b>nlu_fallback</b>" in server.get(f"/transcript?sender={sender}").text
    assert ours(server, senders, "handoff=1") >= expected(
        senders, payloads, lambda p: p["topic"] == "handoff.human"
    )
    for name, items in payloads.items():
        for p in items:
            assert senders[name] in ours(server, senders, f"topic={p['topic']}"), (name, p)
    assert ours(server, senders, "booking_made=1") == set()  # no booking was completed
    assert ours(server, senders, "q=does+tms+hurt") == {senders["info"]}


def test_transcript_shows_the_trackers_nlu_and_masks_contacts(live):
    server, senders, payloads = live
    sender = senders["info"]
    with sqlite3.connect(DB_PATH) as conn:
        intents = [
            r[0]
            for r in conn.execute(
                "select intent_name from events where sender_id=? and type_name='user' order by id", (sender,)
            )
        ]
    page = html.unescape(server.get(f"/transcript?sender={sender}").text)
    for intent in intents:
        assert f"intent: <b>{intent}</b>" in page
    assert re.search(r"confidence: [01]\.\d\d", page)
    for p in payloads["info"]:
        assert f"topic: <b>{p['topic']}</b>" in page
        for source in p.get("sources") or []:
            assert source["url"] in page
    assert "pat.lee@example.com" not in page and "971-555-0123" not in page
    assert "[email hidden]" in page and "[phone hidden]" in page


def test_annotation_export_validates(live, tmp_path):
    server, senders, _ = live
    page = server.get(f"/transcript?sender={senders['nonsense']}").text
    event_id = re.search(r'<li class="turn user[^"]*" id="m(\d+)"', page).group(1)
    server.post(
        "/annotate",
        {"sender": senders["nonsense"], "event_id": event_id, "intent": "out_of_scope", "note": "gibberish"},
    )
    page = server.get(f"/transcript?sender={senders['info']}").text
    event_id = re.findall(r'<li class="turn user[^"]*" id="m(\d+)"', page)[1]
    server.post("/annotate", {"sender": senders["info"], "event_id": event_id, "intent": "tms_side_effects"})
    content = server.post("/annotations/export", {}).text
    examples = {b["intent"]: b["examples"] for b in yaml.safe_load(content)["nlu"]}
    assert "pat.lee" not in content and "971-555-0123" not in content
    assert "name@example.com" in examples["tms_side_effects"]
    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "data" / "nlu" / "console_export.yml").write_text(content)
    import subprocess

    result = subprocess.run(
        [
            str(ROOT / ".venv/bin/rasa"),
            "data",
            "validate",
            "--data",
            str(tmp_path / "data"),
            "--domain",
            str(ROOT / "domain.yml"),
            "--config",
            str(ROOT / "config.yml"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_delete_and_purge(live):
    server, senders, _ = live
    token = os.environ.get("RASA_AUTH_TOKEN", "")

    def rasa_events_of(sender):
        response = requests.get(
            f"{ASSISTANT_URL}/conversations/{sender}/tracker",
            params={"token": token, "include_events": "ALL"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response.json()["events"]

    assert rasa_events_of(senders["handoff"])
    server.post("/delete", {"sender": senders["handoff"], "confirm": "yes"})
    with sqlite3.connect(DB_PATH) as conn:
        assert (
            conn.execute("select count(*) from events where sender_id=?", (senders["handoff"],)).fetchone()[0]
            == 0
        )
    # Rasa itself finds nothing of the conversation any more (asking it for the tracker
    # starts a new, empty session: no visitor message, no reply).
    assert [e for e in rasa_events_of(senders["handoff"]) if e["event"] in ("user", "bot")] == []
    with sqlite3.connect(DB_PATH) as conn:
        before = dict(conn.execute("select sender_id, count(*) from events group by sender_id"))
    server.post("/retention/purge", {"days": "365", "confirm": "yes"})
    with sqlite3.connect(DB_PATH) as conn:
        after = dict(conn.execute("select sender_id, count(*) from events group by sender_id"))
    assert senders["old"] not in after
    assert after == {k: v for k, v in before.items() if k != senders["old"]}


def test_negative_feedback_from_the_widget_channel(live):
    """The widget's thumbs-down (rasa_ext/channels/socketio_channel.py) shows up in the console."""
    server, senders, _ = live
    sender = senders["crisis"]
    token = os.environ.get("RASA_AUTH_TOKEN", "")
    events = requests.get(
        f"{ASSISTANT_URL}/conversations/{sender}/tracker", params={"token": token}, timeout=30
    ).json()["events"]
    message_id = next(e["message_id"] for e in events if e["event"] == "user")
    response = requests.post(
        f"{ASSISTANT_URL}/webhooks/socketio/feedback",
        timeout=30,
        json={"session_id": sender, "message_id": message_id, "value": "down"},
    )
    if response.status_code == 404 and "error" not in response.text:
        pytest.skip("the socket.io channel's feedback endpoint is not registered")
    assert response.status_code == 200, response.text
    time.sleep(0.2)
    assert sender in ours(server, senders, "negative_feedback=1")
    assert "negative feedback" in server.get(f"/transcript?sender={sender}").text
