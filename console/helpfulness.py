"""Per-topic helpfulness: the visitors' thumbs up/down on the answers of each topic, and the
helpful share and fallback rate week by week. A thumb is a `feedback` slot event
({"value", "bot_ts", "topic"?}); its topic is the one stored with it, or else that of the
reply it rates. A visitor who changed their mind counts once, with the latest value."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from console.charts import W, line_chart
from console.conversations import day_bounds
from console.db import Database, events
from console.events import FEEDBACK_SLOT, custom_of, feedback_value, is_fallback, load

NO_TOPIC = "(unknown topic)"


def _week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def stats(db: Database, date_from: dt.date, date_to: dt.date, topic: str | None = None) -> dict[str, Any]:
    """Per-topic thumbs over the range; the weekly helpful share of all topics, or of `topic`."""
    tz = ZoneInfo(db.settings.timezone)
    start, _ = day_bounds(date_from, db.settings.timezone)
    _, end = day_bounds(date_to, db.settings.timezone)
    weeks = sorted(
        {_week_start(date_from + dt.timedelta(days=i)) for i in range((date_to - date_from).days + 1)}
    )
    reply_topic: dict[tuple[str, float], str] = {}
    thumbs: dict[tuple[str, Any], tuple[float, str, str | None]] = {}
    replies: Counter = Counter()
    fallbacks: Counter = Counter()
    if db.events_table_exists():
        with db.tracker.connect() as conn:
            rows = conn.execute(
                sa.select(events.c.sender_id, events.c.type_name, events.c.timestamp, events.c.data)
                .where(
                    events.c.timestamp >= start - 86400,
                    events.c.timestamp < end,
                    events.c.type_name.in_(("bot", "slot")),
                )
                .order_by(events.c.id)
            )
            for row in rows:
                event = load(row.data)
                if row.type_name == "bot":
                    custom = custom_of(event)
                    if not custom.get("topic"):
                        continue
                    reply_topic[(row.sender_id, round(row.timestamp or 0, 3))] = custom["topic"]
                    if row.timestamp >= start:
                        week = _week_start(dt.datetime.fromtimestamp(row.timestamp, tz).date())
                        replies[week] += 1
                        fallbacks[week] += is_fallback(custom)
                elif event.get("name") == FEEDBACK_SLOT and row.timestamp >= start:
                    value = event.get("value")
                    thumb = feedback_value(value)
                    if thumb is None:
                        continue
                    info = value if isinstance(value, dict) else {}
                    key = (row.sender_id, info.get("message_id") or info.get("bot_ts"))
                    rated = info.get("topic")
                    if not rated and info.get("bot_ts") is not None:
                        try:
                            rated = reply_topic.get((row.sender_id, round(float(info["bot_ts"]), 3)))
                        except (TypeError, ValueError):
                            rated = None
                    thumbs[key] = (row.timestamp, thumb, rated)
    per_topic: dict[str, Counter] = defaultdict(Counter)
    per_week: dict[dt.date, Counter] = defaultdict(Counter)
    for ts, thumb, rated in thumbs.values():
        per_topic[str(rated or NO_TOPIC)][thumb] += 1
        if topic is None or rated == topic:
            per_week[_week_start(dt.datetime.fromtimestamp(ts, tz).date())][thumb] += 1
    topics: list[dict[str, Any]]
    topics = sorted(
        (
            {"topic": t, "up": c["up"], "down": c["down"], "share": c["up"] / (c["up"] + c["down"])}
            for t, c in per_topic.items()
        ),
        key=lambda r: (r["share"], -(r["up"] + r["down"]), r["topic"]),
    )
    return {
        "topics": topics,
        "weeks": weeks,
        "helpful_share": [
            (per_week[w]["up"] / (per_week[w]["up"] + per_week[w]["down"]))
            if per_week[w]["up"] + per_week[w]["down"]
            else None
            for w in weeks
        ],
        "fallback_rate": [(fallbacks[w] / replies[w]) if replies[w] else None for w in weeks],
        "ratings": sum(r["up"] + r["down"] for r in topics),
        "topic": topic,
    }


def topic_chart(rows: list[dict[str, Any]]) -> str:
    """Stacked bars per topic: thumbs up (green) and down (red), helpful share written out."""
    row_h, label_w, right = 22, 200, 90
    height = max(60, 16 + row_h * len(rows) + 24)
    most = max([r["up"] + r["down"] for r in rows] or [1])
    inner = W - label_w - right
    body = []
    for i, r in enumerate(rows):
        y = 16 + row_h * i
        up_w, down_w = inner * r["up"] / most, inner * r["down"] / most
        name = escape(r["topic"])
        body.append(f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" class="label">{name}</text>')
        body.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{up_w:.1f}" height="{row_h - 6}" '
            f'class="bar up"><title>{name}: {r["up"]} helpful</title></rect>'
        )
        body.append(
            f'<rect x="{label_w + up_w:.1f}" y="{y + 3}" width="{down_w:.1f}" '
            f'height="{row_h - 6}" class="bar down"><title>{name}: {r["down"]} not '
            f"helpful</title></rect>"
        )
        body.append(
            f'<text x="{label_w + up_w + down_w + 6:.1f}" y="{y + 15}" class="value">'
            f"{r['share']:.0%} of {r['up'] + r['down']}</text>"
        )
    if not rows:
        body.append(
            f'<text x="{W / 2}" y="35" text-anchor="middle" class="label">No ratings in this period</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {height}" width="100%" '
        'role="img" aria-label="Helpfulness per topic" class="chart"><title>Helpfulness per '
        "topic</title>" + "".join(body) + "</svg>"
    )


def render(data: dict[str, Any]) -> dict[str, str]:
    labels = [f"wk {w.strftime('%m-%d')}" for w in data["weeks"]]
    return {
        "helpfulness": topic_chart(data["topics"]),
        "helpful_weekly": line_chart(
            f"Helpful share per week ({data['topic'] or 'all topics'})", labels, data["helpful_share"]
        ),
        "fallback_weekly": line_chart("Fallback rate per week", labels, data["fallback_rate"]),
    }
