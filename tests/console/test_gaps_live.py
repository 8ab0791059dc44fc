"""/gaps against conversations driven through the running assistant (scripts/test_servers.sh):
every paraphrase of tests/console/gap_paraphrases.py is sent over the REST channel; a reply
that was not the fallback gets the visitor's thumbs-down through the widget's feedback
endpoint (these questions have no answer yet, so a given answer missed). The page must list
each message, with the reason the assistant's own replies give, clustered like the table."""

from __future__ import annotations

import html
import os
import re
import uuid
from pathlib import Path

import pytest
import requests
from sklearn.metrics import adjusted_rand_score

from tests.console.conftest import Console, create_user
from tests.console.gap_paraphrases import labelled
from tests.console.test_gaps import MIN_ARI

ASSISTANT_URL = os.environ.get("ASSISTANT_URL", "")
WEB_URL = os.environ.get("WEB_URL", "")
TOKEN = os.environ.get("RASA_AUTH_TOKEN", "")
DB_PATH = os.environ.get("TRACKER_DB_PATH", "")


def _assistant_up() -> bool:
    if not (ASSISTANT_URL and DB_PATH and WEB_URL):
        return False
    try:
        return requests.get(ASSISTANT_URL + "/webhooks/rest/", timeout=2).ok
    except requests.RequestException:
        return False


pytestmark = pytest.mark.skipif(
    not _assistant_up(), reason="needs the live assistant (scripts/test_servers.sh)"
)
RUN = uuid.uuid4().hex[:8]


def _thumbs_down(sender: str) -> None:
    tracker = requests.get(
        f"{ASSISTANT_URL}/conversations/{sender}/tracker", params={"token": TOKEN}, timeout=30
    ).json()
    message_id = [e for e in tracker["events"] if e["event"] == "user"][-1]["message_id"]
    response = requests.post(
        f"{ASSISTANT_URL}/webhooks/socketio/feedback",
        json={"session_id": sender, "message_id": message_id, "value": "down"},
        headers={"Origin": WEB_URL},
        timeout=30,
    )
    assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def live():
    sent = {}  # sender -> (text, group, got the fallback)
    for i, (text, group) in enumerate(labelled()):
        sender = f"gaps-live-{RUN}-{i:03d}"
        reply = requests.post(
            ASSISTANT_URL + "/webhooks/rest/webhook", json={"sender": sender, "message": text}, timeout=60
        )
        assert reply.status_code == 200, reply.text
        custom = next(m["custom"] for m in reply.json() if isinstance(m.get("custom"), dict))
        fallback = custom.get("topic") == "fallback" or "fallback" in (custom.get("flags") or [])
        if not fallback:
            _thumbs_down(sender)
        sent[sender] = (text, group, fallback)
    db_path = Path(DB_PATH)
    create_user(db_path, name=f"gaps{RUN}")
    server = Console(db_path)
    assert server.login(user=f"gaps{RUN}").status_code == 302
    yield server, sent
    server.stop()


def test_live_messages_are_all_listed_and_clustered_like_the_table(live):
    server, sent = live
    page = server.get("/gaps?days=7").text
    found = {}  # sender -> (cluster index, row html)
    sections = re.findall(r'<section class="cluster".*?</section>', page, re.DOTALL)
    for index, section in enumerate(sections):
        for row in re.findall(r"<tr data-event.*?</tr>", section, re.DOTALL):
            sender = re.search(r"sender=([\w-]+)#m", row).group(1)
            if sender in sent:
                found[sender] = (index, row)
    assert set(found) == set(sent)
    for sender, (_, row) in found.items():
        text, _, _ = sent[sender]
        assert html.escape(text, quote=False) in row or text in html.unescape(row)
    senders = sorted(sent)
    score = adjusted_rand_score([sent[s][1] for s in senders], [found[s][0] for s in senders])
    assert score >= MIN_ARI, score
    # The reasons follow what the assistant did: fallbacks counted as such.
    n_fallback = sum(1 for s in senders if sent[s][2])
    counted = sum(int(n) for n in re.findall(r'<span class="tag">fallback: (\d+)</span>', page))
    assert counted >= n_fallback
