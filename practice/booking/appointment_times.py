"""Open evaluation slots from the practice's availability (clinic.yml), and typed times.

Weekly hours are wall-clock times in the practice's time zone, so a 9:00 slot stays at 9:00
local across a daylight-saving change while its UTC instant moves. Every instant leaves this
module as an aware UTC datetime; only `Availability.describe*` turns one into local text, always
with the zone abbreviation (PST/PDT) so nobody has to guess.

`match_time` reads what a visitor typed ("next Tuesday afternoon", "monday 10am", "the first
one", a button's ISO payload) and picks the matching open slot: the open slots are a short,
known list, so a small parser that narrows that list is more predictable than a general date
parser guessing an absolute date.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

UTC = timezone.utc
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: times must carry a time zone")
    return moment.astimezone(UTC)


def to_iso(moment: datetime) -> str:
    """The slot's stable id: ISO 8601 in UTC with a Z, e.g. 2026-12-01T17:00:00Z."""
    return as_utc(moment).strftime("%Y-%m-%dT%H:%M:%SZ")


ISO_INSTANT = re.compile(
    r"(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.\d+)?\s*(Z|[+-]\d{2}:?\d{2})?", re.I
)


def parse_iso(text: str) -> datetime | None:
    """The first ISO instant in the text (UTC when no offset is given), or None."""
    match = ISO_INSTANT.search(text or "")
    if not match:
        return None
    day, clock, offset = match.groups()
    offset = (offset or "Z").upper()
    if offset != "Z" and ":" not in offset:
        offset = offset[:3] + ":" + offset[3:]
    try:
        moment = datetime.fromisoformat(f"{day}T{clock}{'+00:00' if offset == 'Z' else offset}")
    except ValueError:
        return None
    return moment.astimezone(UTC)


def _parse_window(spec: str) -> tuple[time, time]:
    try:
        start, end = (time.fromisoformat(part.strip()) for part in str(spec).split("-"))
    except ValueError as exc:
        raise ValueError(f"weekly_hours window {spec!r} is not 'HH:MM-HH:MM'") from exc
    if end <= start:
        raise ValueError(f"weekly_hours window {spec!r} ends before it starts")
    return start, end


def _exists(naive: datetime, zone: ZoneInfo) -> bool:
    """False for wall-clock times skipped by a spring-forward change (e.g. 02:30)."""
    aware = naive.replace(tzinfo=zone)
    return aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive


@dataclass(frozen=True)
class Availability:
    zone: ZoneInfo
    slot_minutes: int
    lead_time: timedelta
    horizon: timedelta
    weekly_hours: Mapping[int, tuple[tuple[time, time], ...]]
    blocked_dates: frozenset[date] = frozenset()

    @classmethod
    def from_clinic(cls, clinic: Mapping[str, Any]) -> Availability:
        raw = clinic.get("availability") or {}
        weekly: dict[int, tuple[tuple[time, time], ...]] = {}
        for day, windows in (raw.get("weekly_hours") or {}).items():
            key = str(day).strip().lower()
            if key not in WEEKDAYS:
                raise ValueError(f"weekly_hours: unknown day {day!r}")
            weekly[WEEKDAYS.index(key)] = tuple(_parse_window(w) for w in windows or [])
        slot_minutes = int(raw.get("slot_minutes", 60))
        if slot_minutes <= 0:
            raise ValueError("slot_minutes must be positive")
        return cls(
            zone=ZoneInfo(str(clinic["timezone"])),
            slot_minutes=slot_minutes,
            lead_time=timedelta(hours=float(raw.get("lead_time_hours", 24))),
            horizon=timedelta(days=float(raw.get("horizon_days", 28))),
            weekly_hours=weekly,
            blocked_dates=frozenset(date.fromisoformat(str(d)) for d in raw.get("blocked_dates") or []),
        )

    @property
    def slot_length(self) -> timedelta:
        return timedelta(minutes=self.slot_minutes)

    def _day_starts(self, day: date) -> Iterable[datetime]:
        """The local starts of the day's slots that fit entirely in an open window."""
        if day in self.blocked_dates:
            return
        for window_start, window_end in self.weekly_hours.get(day.weekday(), ()):
            naive = datetime.combine(day, window_start)
            end = datetime.combine(day, window_end)
            while naive + self.slot_length <= end:
                if _exists(naive, self.zone):
                    yield naive.replace(tzinfo=self.zone, fold=0)
                naive += self.slot_length

    def open_slots(self, now: datetime, booked: Iterable[datetime] = ()) -> list[datetime]:
        """Every bookable slot start (aware UTC), soonest first.

        Bookable: inside the weekly hours, not on a blocked date, at least `lead_time` after
        `now`, no later than `now + horizon`, and not already booked.
        """
        now = as_utc(now)
        earliest, latest = now + self.lead_time, now + self.horizon
        taken = {as_utc(b) for b in booked}
        day = now.astimezone(self.zone).date()
        last_day = latest.astimezone(self.zone).date()
        slots: list[datetime] = []
        while day <= last_day:
            for local in self._day_starts(day):
                start = local.astimezone(UTC)
                if earliest <= start <= latest and start not in taken:
                    slots.append(start)
            day += timedelta(days=1)
        return sorted(slots)

    def local(self, start: datetime) -> datetime:
        return as_utc(start).astimezone(self.zone)

    def zone_abbreviation(self, start: datetime) -> str:
        return self.local(start).tzname() or str(self.zone)

    def describe(self, start: datetime) -> str:
        """'Tuesday, December 1 at 9:00 AM PST': for sentences and the confirmation."""
        local = self.local(start)
        return f"{local:%A, %B} {local.day} at {_clock(local)} {local.tzname()}"

    def describe_short(self, start: datetime) -> str:
        """'Tue Dec 1, 9:00 AM PST': for buttons and lists."""
        local = self.local(start)
        return f"{local:%a %b} {local.day}, {_clock(local)} {local.tzname()}"


def _clock(local: datetime) -> str:
    hour = local.hour % 12 or 12
    return f"{hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


# --------------------------------------------------------------------------- typed times

MONTHS = {
    "jan": 1,
    "january": 1,
    "feb": 2,
    "february": 2,
    "mar": 3,
    "march": 3,
    "apr": 4,
    "april": 4,
    "may": 5,
    "jun": 6,
    "june": 6,
    "jul": 7,
    "july": 7,
    "aug": 8,
    "august": 8,
    "sep": 9,
    "sept": 9,
    "september": 9,
    "oct": 10,
    "october": 10,
    "nov": 11,
    "november": 11,
    "dec": 12,
    "december": 12,
}
WEEKDAY_WORDS = {
    "mon": 0,
    "monday": 0,
    "mondays": 0,
    "tue": 1,
    "tues": 1,
    "tuesday": 1,
    "tuesdays": 1,
    "wed": 2,
    "weds": 2,
    "wednesday": 2,
    "wednesdays": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "thursday": 3,
    "thursdays": 3,
    "fri": 4,
    "friday": 4,
    "fridays": 4,
    "sat": 5,
    "saturday": 5,
    "saturdays": 5,
    "sun": 6,
    "sunday": 6,
    "sundays": 6,
}
ORDINALS = {
    "first": 1,
    "1st": 1,
    "one": 1,
    "second": 2,
    "2nd": 2,
    "two": 2,
    "third": 3,
    "3rd": 3,
    "three": 3,
    "fourth": 4,
    "4th": 4,
    "four": 4,
    "fifth": 5,
    "5th": 5,
    "five": 5,
    "sixth": 6,
    "6th": 6,
    "six": 6,
}
MORE = re.compile(
    r"\b(more|other|another|different|later|else|next (few|ones|page)|none of (these|those|them)"
    r"|(don'?t|do not|doesn'?t|does not|can'?t|cannot) work)\b"
)
EARLIER = re.compile(r"\b(earlier|previous|back|go back)\b")
SOONEST = re.compile(
    r"\b(earliest|soonest|first available|next available|asap|as soon as possible"
    r"|any ?time|whenever|first (opening|slot|time))\b"
)
PARTS_OF_DAY = {
    "morning": (time(0, 0), time(12, 0)),
    "afternoon": (time(12, 0), time(17, 0)),
    "evening": (time(17, 0), time(23, 59)),
    "tonight": (time(17, 0), time(23, 59)),
}
CLOCK = re.compile(
    r"(?<![\d:/])(?P<h>\d{1,2})(?::(?P<m>\d{2}))?\s*"
    r"(?P<ampm>a\.m\.?|p\.m\.?|am\b|pm\b|a\b|p\b)?(?![\d/]|st\b|nd\b|rd\b|th\b)"
)


@dataclass
class TimeRequest:
    """What a visitor's words say about the time they want (all local to the practice)."""

    iso: datetime | None = None
    ordinal: int | None = None  # 1-based index into the offered list; -1 = last
    more: bool = False
    earlier: bool = False
    soonest: bool = False
    weekday: int | None = None
    day: date | None = None
    week_offset: int | None = None  # 0 = this week, 1 = next week
    clock: time | None = None
    part: tuple[time, time] | None = None
    words: list[str] = field(default_factory=list)

    @property
    def has_constraints(self) -> bool:
        return any(v is not None for v in (self.weekday, self.day, self.week_offset, self.clock, self.part))


def _inform_payload(text: str) -> dict[str, Any]:
    """The entities of a button payload like /inform{"appointment_time": "..."}."""
    match = re.match(r"^\s*/\w+(\{.*\})\s*$", text or "", re.S)
    if not match:
        return {}
    try:
        data = json.loads(match.group(1))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _resolve_date(month: int, day: int, year: int | None, today: date) -> date | None:
    try:
        if year is not None:
            return date(year if year > 99 else 2000 + year, month, day)
        candidate = date(today.year, month, day)
        if candidate < today - timedelta(days=7):  # "January 5" said in December
            candidate = date(today.year + 1, month, day)
        return candidate
    except ValueError:
        return None


def read_time_request(text: str, today: date) -> TimeRequest:
    """Parses a typed time preference. `today` is the practice's local date."""
    request = TimeRequest()
    payload = _inform_payload(text)
    raw = str(payload.get("appointment_time") or payload.get("booking_choice") or text or "")
    low = raw.lower().strip()
    request.iso = parse_iso(low)
    if request.iso:
        return request
    low = re.sub(r"[,!?]", " ", low)

    # Dates first, so their numbers are not read as clock times.
    def take(pattern: str, handler) -> None:
        nonlocal low
        for match in list(re.finditer(pattern, low)):
            value = handler(match)
            if value is not None:
                request.day = value
                low = low.replace(match.group(0), " ", 1)

    month_names = "|".join(sorted(MONTHS, key=len, reverse=True))
    take(
        r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b",
        lambda m: _resolve_date(int(m.group(2)), int(m.group(3)), int(m.group(1)), today),
    )
    take(
        rf"\b({month_names})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?\b(?:\s+(\d{{4}}))?(?!\s*:)(?!\s*(?:am|pm|a\.m|p\.m)\b)",
        lambda m: _resolve_date(
            MONTHS[m.group(1)], int(m.group(2)), int(m.group(3)) if m.group(3) else None, today
        ),
    )
    take(
        rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({month_names})\b",
        lambda m: _resolve_date(MONTHS[m.group(2)], int(m.group(1)), None, today),
    )
    take(
        r"(?<![\d:])(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?(?![\d:])",
        lambda m: _resolve_date(
            int(m.group(1)), int(m.group(2)), int(m.group(3)) if m.group(3) else None, today
        ),
    )
    if re.search(r"\bday after tomorrow\b", low):
        request.day = today + timedelta(days=2)
        low = low.replace("day after tomorrow", " ")
    elif re.search(r"\b(tomorrow|tmrw|tmr)\b", low):
        request.day = today + timedelta(days=1)
    elif re.search(r"\btoday\b", low):
        request.day = today

    if re.search(r"\bnext week\b", low):
        request.week_offset = 1
    elif re.search(r"\bthis week\b", low):
        request.week_offset = 0
    for word, index in WEEKDAY_WORDS.items():
        if re.search(rf"\b{word}\b", low):
            request.weekday = index
            break

    if re.search(r"\b(noon|midday|lunch ?time)\b", low):
        request.clock = time(12, 0)
    for word, span in PARTS_OF_DAY.items():
        if re.search(rf"\b{word}\b", low):
            request.part = span
            break

    if request.clock is None:
        request.clock = _read_clock(low, bool(request.weekday is not None or request.day))

    request.soonest = bool(SOONEST.search(low))
    request.earlier = bool(EARLIER.search(low)) and not request.soonest
    request.more = bool(MORE.search(low)) and not request.has_constraints
    if not request.has_constraints and not request.soonest:
        request.ordinal = _read_ordinal(low)
    return request


def _read_clock(low: str, has_day: bool) -> time | None:
    for match in CLOCK.finditer(low):
        hour, minute, ampm = int(match.group("h")), int(match.group("m") or 0), match.group("ampm")
        before = low[: match.start()].rstrip()
        after = low[match.end() :].lstrip()
        cued = bool(
            ampm
            or match.group("m")
            or before.endswith(("at", "@", "around", "by"))
            or after.startswith(("o'clock", "oclock"))
        )
        if not cued and not has_day:
            continue
        if minute > 59 or hour > 23:
            continue
        if ampm:
            if hour == 0 or hour > 12:
                continue
            pm = ampm.startswith("p")
            hour = (hour % 12) + (12 if pm else 0)
        elif 1 <= hour <= 7:
            hour += 12  # "at 2" during office hours means 2 PM
        return time(hour, minute)
    return None


def _read_ordinal(low: str) -> int | None:
    if re.search(r"\b(last|final)\b", low):
        return -1
    match = re.search(r"(?:#|\bnumber\s*|\boption\s*|\bno\.\s*)(\d{1,2})\b", low)
    if match:
        return int(match.group(1))
    stripped = re.sub(r"\b(the|one|option|slot|time|please|i'?ll take|take|let'?s do|do)\b", " ", low)
    stripped = stripped.strip(" .")
    if re.fullmatch(r"\d{1,2}", stripped):
        return int(stripped)
    for word, index in ORDINALS.items():
        if word != "one" and re.search(rf"\b{word}\b", low):
            return index
    return None


@dataclass(frozen=True)
class TimeMatch:
    """The outcome of matching typed words to the open slots."""

    kind: str  # "slot", "more", "earlier", "taken" (exact time not open), "no_match", "unparsed"
    slot: datetime | None = None


def match_time(
    text: str,
    open_slots: Sequence[datetime],
    offered: Sequence[datetime],
    availability: Availability,
    now: datetime,
) -> TimeMatch:
    """Picks the open slot the visitor means, soonest first among several matches."""
    today = availability.local(now).date()
    request = read_time_request(text, today)
    if request.iso is not None:
        return (
            TimeMatch("slot", request.iso) if request.iso in open_slots else TimeMatch("taken", request.iso)
        )
    if request.ordinal is not None and offered:
        index = request.ordinal
        if index == -1:
            chosen = offered[-1]
        elif 1 <= index <= len(offered):
            chosen = offered[index - 1]
        else:
            return TimeMatch("no_match")
        return TimeMatch("slot", chosen) if chosen in open_slots else TimeMatch("taken", chosen)
    if request.soonest and not request.has_constraints:
        return TimeMatch("slot", open_slots[0]) if open_slots else TimeMatch("no_match")
    if request.more:
        return TimeMatch("more")
    if request.earlier and not request.has_constraints:
        return TimeMatch("earlier")
    if not request.has_constraints:
        return TimeMatch("unparsed")

    week_start = today - timedelta(days=today.weekday())
    candidates = []
    for slot in open_slots:
        local = availability.local(slot)
        if request.day is not None and local.date() != request.day:
            continue
        if request.weekday is not None and local.weekday() != request.weekday:
            continue
        if request.weekday is not None and request.day is None and local.date() <= today:
            continue
        if request.week_offset is not None:
            start = week_start + timedelta(weeks=request.week_offset)
            if not start <= local.date() < start + timedelta(days=7):
                continue
        if request.clock is not None and (local.hour, local.minute) != (
            request.clock.hour,
            request.clock.minute,
        ):
            continue
        if request.part is not None and not request.part[0] <= local.time() < request.part[1]:
            continue
        candidates.append(slot)
    return TimeMatch("slot", candidates[0]) if candidates else TimeMatch("no_match")
