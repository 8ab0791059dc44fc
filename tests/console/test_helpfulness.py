"""Per-topic helpfulness (thumbs up/down) and the weekly helpful share and fallback rate, from
conversations written by Rasa's SQLTrackerStore: the numbers and the charts page."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from console.db import Database
from console.helpfulness import stats
from console.settings import Settings
from tests.console import rasa_events
from tests.console.conftest import Console, create_user
from tests.console.rasa_events import DAY, Chat, answer

FALLBACK = {"topic": "fallback", "sources": [], "defer_to_clinician": False, "flags": ["fallback"]}


def thumb(chat: Chat, value: str, with_topic: str | None = None, message_id: str = "m1") -> None:
    body = {"value": value, "bot_ts": chat.last_bot_ts(), "message_id": message_id}
    if with_topic:
        body["topic"] = with_topic
    chat.slot("feedback", body)


def chats(now: float) -> list[Chat]:
    out = []
    # tms.side_effects: 3 up, 1 down (one visitor changed their mind: up then down = down).
    for i, value in enumerate(("up", "up", "up")):
        c = Chat(f"h-side-{i}", now - DAY - i * 3600)
        c.user("does tms hurt", "tms_side_effects", 0.95).bot("...", answer("tms.side_effects"))
        thumb(c, value, "tms.side_effects", f"s{i}")
        out.append(c)
    c = Chat("h-side-changed", now - DAY)
    c.user("headaches after tms?", "tms_side_effects", 0.9).bot("...", answer("tms.side_effects"))
    thumb(c, "up", "tms.side_effects")
    thumb(c, "down", "tms.side_effects")
    out.append(c)
    # clinic.insurance: 2 down, the topic found from the rated reply (no topic in the thumb).
    for i in range(2):
        c = Chat(f"h-ins-{i}", now - 15 * DAY)
        c.user("do you take medicare", "clinic_insurance", 0.8).bot("...", answer("clinic.insurance"))
        thumb(c, "down", message_id=f"i{i}")
        out.append(c)
    # Fallbacks: one in each of the two weeks (2 weeks apart).
    for i, age in enumerate((1, 15)):
        c = Chat(f"h-fb-{i}", now - age * DAY)
        c.user("qwzx", "nlu_fallback", 0.2).bot("I'm not sure", FALLBACK)
        out.append(c)
    return out


@pytest.fixture(scope="module")
def db_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("helpful") / "assistant.db"
    rasa_events.write(str(path), chats(time.time()))
    create_user(path)
    return path


def test_per_topic_counts_and_weekly_series(db_path, monkeypatch):
    monkeypatch.setenv("TRACKER_DB_PATH", str(db_path))
    settings = Settings.from_env()
    db = Database(settings)
    today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
    data = stats(db, today - dt.timedelta(days=27), today)
    one = stats(db, today - dt.timedelta(days=27), today, "clinic.insurance")
    db.dispose()
    rows = {r["topic"]: r for r in data["topics"]}
    assert (rows["tms.side_effects"]["up"], rows["tms.side_effects"]["down"]) == (3, 1)
    assert (rows["clinic.insurance"]["up"], rows["clinic.insurance"]["down"]) == (0, 2)
    assert data["topics"][0]["topic"] == "clinic.insurance"  # least helpful first
    assert data["ratings"] == 6
    shares = [s for s in data["helpful_share"] if s is not None]
    assert sorted(shares) == [0.0, 0.75]  # two weeks apart: insurance 0/2, side effects 3/4
    assert [s for s in one["helpful_share"] if s is not None] == [0.0]  # only its own week
    assert one["topics"] == data["topics"]  # the per-topic table stays whole
    rates = [r for r in data["fallback_rate"] if r is not None]
    assert len(rates) >= 2 and all(0 < r < 1 for r in rates)


def test_charts_page_shows_helpfulness(db_path):
    server = Console(db_path)
    try:
        assert server.login().status_code == 302
        page = server.get("/charts").text
    finally:
        server.stop()
    for chart in ("helpfulness", "helpful-weekly", "fallback-weekly"):
        assert f'id="chart-{chart}"' in page
    assert "(6 ratings)" in page
    row = re.search(r'<tr data-topic="tms.side_effects">(.*?)</tr>', page).group(1)
    assert re.findall(r"<td>(.*?)</td>", row) == ["tms.side_effects", "3", "1", "75%"]
    assert "<title>clinic.insurance: 2 not helpful</title>" in page
    assert "Helpful share per week, all topics" in page
