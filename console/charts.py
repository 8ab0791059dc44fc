"""Numbers for the charts and their SVG, rendered on the server (no JavaScript, no CDN)."""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from html import escape
from typing import Any, Dict, List, Optional, Sequence, Tuple
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from console.conversations import day_bounds
from console.db import Database, events
from console.events import booking_reference, custom_of, is_fallback, load, user_turn

BINS = 10


def stats(db: Database, date_from: dt.date, date_to: dt.date) -> Dict[str, Any]:
    tz = ZoneInfo(db.settings.timezone)
    start, _ = day_bounds(date_from, db.settings.timezone)
    _, end = day_bounds(date_to, db.settings.timezone)
    days = [date_from + dt.timedelta(days=i) for i in range((date_to - date_from).days + 1)]
    senders_per_day: Dict[dt.date, set] = defaultdict(set)
    replies_per_day: Counter = Counter()
    fallbacks_per_day: Counter = Counter()
    topics: Counter = Counter()
    histogram = [0] * BINS
    started: set = set()
    confirmed: set = set()
    if db.events_table_exists():
        with db.tracker.connect() as conn:
            rows = conn.execute(
                sa.select(events.c.sender_id, events.c.type_name, events.c.timestamp, events.c.data).where(
                    events.c.timestamp >= start,
                    events.c.timestamp < end,
                    events.c.type_name.in_(("user", "bot")),
                )
            )
            for row in rows:
                day = dt.datetime.fromtimestamp(row.timestamp, tz).date()
                event = load(row.data)
                if row.type_name == "user":
                    senders_per_day[day].add(row.sender_id)
                    confidence = user_turn(event).confidence
                    if confidence is not None:
                        histogram[min(BINS - 1, max(0, int(confidence * BINS)))] += 1
                    continue
                custom = custom_of(event)
                if not custom.get("topic"):
                    continue
                replies_per_day[day] += 1
                topics[str(custom["topic"])] += 1
                if is_fallback(custom):
                    fallbacks_per_day[day] += 1
                if custom.get("requested_slot"):
                    started.add(row.sender_id)
                if booking_reference(custom):
                    confirmed.add(row.sender_id)
                    started.add(row.sender_id)
    return {
        "days": days,
        "conversations": [len(senders_per_day[d]) for d in days],
        "fallback_rate": [
            (fallbacks_per_day[d] / replies_per_day[d]) if replies_per_day[d] else None for d in days
        ],
        "replies": [replies_per_day[d] for d in days],
        "topics": topics.most_common(),
        "histogram": histogram,
        "booking_started": len(started),
        "booking_confirmed": len(confirmed & started),
    }


# ----------------------------------------------------------------------------- SVG

W, H = 720, 260
PAD_L, PAD_R, PAD_T, PAD_B = 48, 16, 16, 44


def _frame(title: str, body: List[str], width: int = W, height: int = H) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="100%" role="img" aria-label="{escape(title)}" class="chart">'
        f"<title>{escape(title)}</title>" + "".join(body) + "</svg>"
    )


def _nice_max(value: float) -> float:
    """The smallest 4 x (1, 2 or 5 x 10^k) that is at least `value`: round tick labels."""
    if value <= 0:
        return 4
    magnitude = 1.0
    while magnitude * 4 < value / 5:
        magnitude *= 10
    for m in (0.25, 0.5, 1, 2, 5, 10):
        if m * magnitude >= 1 or magnitude > 1:
            if 4 * m * magnitude >= value:
                return 4 * m * magnitude
    return value


def _axes(y_max: float, fmt=lambda v: f"{v:g}") -> List[str]:
    out = []
    for i in range(5):
        value = y_max * i / 4
        y = H - PAD_B - (H - PAD_T - PAD_B) * i / 4
        out.append(f'<line x1="{PAD_L}" x2="{W - PAD_R}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        out.append(
            f'<text x="{PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">'
            f"{escape(fmt(value))}</text>"
        )
    return out


def _x_labels(labels: Sequence[str], step_w: float) -> List[str]:
    every = max(1, len(labels) // 10)
    out = []
    for i, label in enumerate(labels):
        if i % every == 0:
            x = PAD_L + step_w * (i + 0.5)
            out.append(
                f'<text x="{x:.1f}" y="{H - PAD_B + 16}" text-anchor="middle" '
                f'class="tick">{escape(label)}</text>'
            )
    return out


def bar_chart(
    title: str, labels: Sequence[str], values: Sequence[float], css: str = "bar", y_fmt=lambda v: f"{v:g}"
) -> str:
    y_max = _nice_max(max(values) if values else 0)
    inner_w, inner_h = W - PAD_L - PAD_R, H - PAD_T - PAD_B
    step_w = inner_w / max(1, len(values))
    body = _axes(y_max, y_fmt)
    for i, value in enumerate(values):
        h = inner_h * value / y_max
        x = PAD_L + step_w * i + step_w * 0.15
        body.append(
            f'<rect x="{x:.1f}" y="{H - PAD_B - h:.1f}" width="{step_w * 0.7:.1f}" '
            f'height="{h:.1f}" class="{css}"><title>{escape(labels[i])}: '
            f"{escape(y_fmt(value))}</title></rect>"
        )
    body += _x_labels(labels, step_w)
    return _frame(title, body)


def line_chart(
    title: str,
    labels: Sequence[str],
    values: Sequence[Optional[float]],
    y_max: float = 1.0,
    y_fmt=lambda v: f"{v:.0%}",
) -> str:
    inner_w, inner_h = W - PAD_L - PAD_R, H - PAD_T - PAD_B
    step_w = inner_w / max(1, len(values))
    body = _axes(y_max, y_fmt)
    points: List[Tuple[float, float, int]] = []
    for i, value in enumerate(values):
        if value is None:
            continue
        points.append((PAD_L + step_w * (i + 0.5), H - PAD_B - inner_h * value / y_max, i))
    if len(points) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
        body.append(f'<polyline points="{path}" class="line"/>')
    for x, y, i in points:
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" class="dot"><title>'
            f"{escape(labels[i])}: {escape(y_fmt(values[i]))}</title></circle>"
        )
    body += _x_labels(labels, step_w)
    return _frame(title, body)


def hbar_chart(title: str, items: Sequence[Tuple[str, float]], css: str = "bar") -> str:
    row_h, label_w = 22, 200
    height = max(60, PAD_T + row_h * len(items) + 24)
    v_max = max([v for _, v in items] or [1]) or 1
    inner_w = W - label_w - PAD_R - 40
    body = []
    for i, (label, value) in enumerate(items):
        y = PAD_T + row_h * i
        w = inner_w * value / v_max
        body.append(
            f'<text x="{label_w - 8}" y="{y + 15}" text-anchor="end" class="label">{escape(label)}</text>'
        )
        body.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row_h - 6}" '
            f'class="{css}"><title>{escape(label)}: {value:g}</title></rect>'
        )
        body.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 15}" class="value">{value:g}</text>')
    if not items:
        body.append(f'<text x="{W / 2}" y="35" text-anchor="middle" class="label">No data</text>')
    return _frame(title, body, height=height)


def render_all(data: Dict[str, Any]) -> Dict[str, str]:
    labels = [d.strftime("%m-%d") for d in data["days"]]
    topics = data["topics"][:15]
    other = sum(v for _, v in data["topics"][15:])
    if other:
        topics = topics + [("(other topics)", other)]
    return {
        "conversations": bar_chart("Conversations per day", labels, data["conversations"]),
        "fallback": line_chart("Fallback rate per day", labels, data["fallback_rate"]),
        "topics": hbar_chart("Topic mix (replies per topic)", topics),
        "confidence": bar_chart(
            "NLU confidence of visitor messages",
            [f"{i / BINS:.1f}-{(i + 1) / BINS:.1f}" for i in range(BINS)],
            data["histogram"],
            css="bar alt",
        ),
        "booking": hbar_chart(
            "Booking conversion (conversations)",
            [("booking started", data["booking_started"]), ("booking confirmed", data["booking_confirmed"])],
            css="bar alt",
        ),
    }
