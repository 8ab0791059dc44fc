"""The charts: numbers computed from the events, rendered as inline SVG on the server."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

from console.charts import stats
from console.db import Database
from console.settings import Settings


def test_chart_numbers(shared_db, monkeypatch):
    monkeypatch.setenv("TRACKER_DB_PATH", str(shared_db))
    settings = Settings.from_env()
    db = Database(settings)
    today = dt.datetime.now(ZoneInfo(settings.timezone)).date()
    data = stats(db, today - dt.timedelta(days=29), today)
    assert sum(data["conversations"]) >= 6  # conv-old is out of range
    assert sum(data["histogram"]) == 10  # visitor messages in the range
    # 0.31, 0.42, 0.66, 0.72, 0.88, then 0.91 0.95 0.98 0.99 1.0 (1.0 in the top bin)
    assert data["histogram"] == [0, 0, 0, 1, 1, 0, 1, 1, 1, 5]
    assert data["booking_started"] == 1 and data["booking_confirmed"] == 1
    topics = dict(data["topics"])
    assert topics["booking.evaluation"] == 4 and topics["fallback"] == 1
    assert "meds.specific" not in topics
    rates = [r for r in data["fallback_rate"] if r is not None]
    assert rates and max(rates) > 0
    db.dispose()


def test_charts_page_renders_svg(shared_staff):
    page = shared_staff.get("/charts").text
    for chart in ("conversations", "fallback", "topics", "confidence", "booking"):
        assert f'id="chart-{chart}"' in page
    assert page.count("<svg") == 8  # and the three of helpfulness (test_helpfulness.py)
    assert "100% of started bookings confirmed" in page
    assert re.search(r"<title>booking\.evaluation: 4</title>", page)
