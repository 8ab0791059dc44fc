"""Clusters of unanswered messages as the console shows them: size, trend (this week against
the week before), why the messages are here, examples with transcript links and the
classifier's top guesses (from the parse data stored with each message)."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from console.gaps.cluster import cluster_labels
from console.gaps.collect import GapMessage

WEEK = 7 * 86400
EXAMPLES = 5


@dataclass
class Cluster:
    number: int
    messages: list[GapMessage]
    this_week: int
    last_week: int
    reasons: dict[str, int]
    guesses: list[dict[str, Any]]  # {name, mean confidence, share of messages it topped}

    @property
    def size(self) -> int:
        return len(self.messages)

    @property
    def examples(self) -> list[GapMessage]:
        return self.messages[:EXAMPLES]

    @property
    def trend(self) -> str:
        if self.this_week > self.last_week:
            return "up"
        return "down" if self.this_week < self.last_week else "flat"

    @property
    def keys(self) -> list[str]:
        """What the bulk-action forms post back: 'sender_id|event_id' per message."""
        return [f"{m.sender_id}|{m.event_id}" for m in self.messages]


def top_guesses(messages: Sequence[GapMessage], n: int = 3) -> list[dict[str, Any]]:
    total: dict[str, float] = defaultdict(float)
    tops: Counter = Counter()
    for m in messages:
        for i, guess in enumerate(m.ranking):
            total[guess["name"]] += guess["confidence"]
            if i == 0:
                tops[guess["name"]] += 1
    ranked = sorted(total, key=lambda name: (-total[name], name))[:n]
    return [
        {"name": name, "confidence": total[name] / len(messages), "top_share": tops[name] / len(messages)}
        for name in ranked
    ]


def build(
    messages: Sequence[GapMessage], now: float | None = None, threshold: float | None = None
) -> list[Cluster]:
    """Clusters, the biggest first (ties: the most this week)."""
    now = now or time.time()
    kwargs = {} if threshold is None else {"threshold": threshold}
    labels = cluster_labels([m.text for m in messages], **kwargs)
    groups: dict[int, list[GapMessage]] = defaultdict(list)
    for message, label in zip(messages, labels, strict=True):
        groups[label].append(message)
    clusters = []
    for label, items in groups.items():
        items.sort(key=lambda m: -m.ts)
        reasons = Counter(r for m in items for r in m.reasons)
        clusters.append(
            Cluster(
                number=label,
                messages=items,
                this_week=sum(1 for m in items if m.ts >= now - WEEK),
                last_week=sum(1 for m in items if now - 2 * WEEK <= m.ts < now - WEEK),
                reasons=dict(reasons),
                guesses=top_guesses(items),
            )
        )
    clusters.sort(key=lambda c: (-c.size, -c.this_week, c.number))
    for i, cluster in enumerate(clusters, 1):
        cluster.number = i
    return clusters
