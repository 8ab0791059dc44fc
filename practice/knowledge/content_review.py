"""When each knowledge entry was last checked against its sources, and whether that is too long ago.

Every topic in knowledge/topics.yml and every class in knowledge/medications.yml carries
`reviewed` (the date a clinician last checked the wording against the sources) and
`reviewed_against` (the source ids read for that check; it must include every source the
entry cites). clinic.yml's `content_review_months` (default 12) is how long a review stays
valid: past it the test suite fails, so the practice has to re-review before releasing.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from dateutil.relativedelta import relativedelta

DEFAULT_REVIEW_MONTHS = 12
REVIEW_FIELDS = ("reviewed", "reviewed_against")


@dataclass(frozen=True)
class ReviewRecord:
    entry: str  # "topic tms.overview" or "medication class ssri"
    reviewed: dt.date
    against: tuple[str, ...]


def parse_review(
    entry: str, raw: Mapping[str, Any], known_sources: Collection[str], cited: Iterable[str]
) -> ReviewRecord:
    """The entry's review record; ValueError naming the entry when it is missing or wrong."""
    reviewed = raw.get("reviewed")
    if isinstance(reviewed, dt.datetime) or not isinstance(reviewed, dt.date):
        raise ValueError(f"{entry}: `reviewed` must be a date (YYYY-MM-DD), got {reviewed!r}")
    if reviewed > dt.date.today():
        raise ValueError(f"{entry}: `reviewed` {reviewed} is in the future")
    against = raw.get("reviewed_against")
    if not isinstance(against, list) or not all(isinstance(s, str) for s in against):
        raise ValueError(f"{entry}: `reviewed_against` must be a list of source ids")
    unknown = sorted(set(against) - set(known_sources))
    if unknown:
        raise ValueError(f"{entry}: `reviewed_against` names unknown sources {unknown}")
    unread = sorted(set(cited) - set(against))
    if unread:
        raise ValueError(f"{entry}: cites {unread} but `reviewed_against` does not include them")
    return ReviewRecord(entry=entry, reviewed=reviewed, against=tuple(against))


def review_months(clinic: Mapping[str, Any]) -> int:
    months = clinic.get("content_review_months", DEFAULT_REVIEW_MONTHS)
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise ValueError(f"clinic.yml content_review_months must be a whole number >= 1, got {months!r}")
    return months


def due_date(record: ReviewRecord, months: int) -> dt.date:
    return record.reviewed + relativedelta(months=months)


def overdue(records: Iterable[ReviewRecord], months: int, today: dt.date) -> list[ReviewRecord]:
    """The records whose review is older than `months` on `today`."""
    return [r for r in records if due_date(r, months) < today]


def medication_class_reviews(
    raw_catalog: Mapping[str, Any], known_sources: Collection[str]
) -> list[ReviewRecord]:
    records = []
    for entry in raw_catalog.get("classes") or []:
        records.append(
            parse_review(
                f"medication class {entry.get('id')}", entry, known_sources, entry.get("sources") or []
            )
        )
    return records
