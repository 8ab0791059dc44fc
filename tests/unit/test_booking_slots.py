"""The slot finder: weekly hours in the practice's zone, DST, lead time, horizon, blocked dates,
and matching what a visitor types to an open slot."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from practice.booking.appointment_times import Availability, match_time, parse_iso, read_time_request, to_iso

UTC = timezone.utc


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def availability(booking_clinic) -> Availability:
    return Availability.from_clinic(booking_clinic)


# --------------------------------------------------------------------- open slots


def test_slots_follow_the_weekly_hours_in_the_practice_time_zone(availability):
    now = utc(2026, 11, 30, 16)  # Mon 08:00 PST
    slots = availability.open_slots(now)
    tuesday = [availability.local(s) for s in slots if availability.local(s).date() == date(2026, 12, 1)]
    assert [s.hour for s in tuesday] == [9, 10, 11, 13, 14, 15, 16]  # lunch 12-13 is closed
    assert all(s.tzname() == "PST" for s in tuesday)
    assert slots[0] == utc(2026, 12, 1, 17)  # 9:00 PST
    friday = [availability.local(s).hour for s in slots if availability.local(s).date() == date(2026, 12, 4)]
    assert friday == [9, 10, 11]
    assert not [s for s in slots if availability.local(s).weekday() >= 5]  # no weekends


def test_a_slot_must_fit_entirely_in_its_window(booking_clinic):
    booking_clinic["availability"]["weekly_hours"] = {"monday": ["09:00-10:30"]}
    availability = Availability.from_clinic(booking_clinic)
    slots = availability.open_slots(utc(2026, 11, 26, 12))
    assert slots and all(availability.local(s).strftime("%H:%M") == "09:00" for s in slots)  # no 10:00


def test_lead_time_hides_slots_too_soon(availability):
    now = utc(2026, 12, 1, 18, 30)  # Tue 10:30 PST
    slots = availability.open_slots(now)
    assert min(slots) >= now + timedelta(hours=24)
    assert slots[0] == utc(2026, 12, 2, 19)  # Wed 11:00 PST, not Wed 9:00 or 10:00
    exactly = availability.open_slots(utc(2026, 11, 30, 17))  # Mon 9:00 PST
    assert exactly[0] == utc(2026, 12, 1, 17)  # exactly 24 hours later is bookable


def test_horizon_limits_how_far_ahead(availability):
    now = utc(2026, 11, 30, 17)  # Mon 9:00 PST
    slots = availability.open_slots(now)
    assert max(slots) == now + timedelta(days=28) == utc(2026, 12, 28, 17)  # the edge is included
    earlier = availability.open_slots(now - timedelta(minutes=1))
    assert max(earlier) == utc(2026, 12, 24, 0)  # Wed 23 Dec 4 PM PST: 24-27 blocked or weekend


def test_blocked_dates_have_no_slots(availability):
    slots = availability.open_slots(utc(2026, 12, 20, 12))
    days = {availability.local(s).date() for s in slots}
    assert date(2026, 12, 24) not in days and date(2026, 12, 25) not in days
    assert date(2026, 12, 31) not in days and date(2027, 1, 1) not in days
    assert date(2026, 12, 23) in days


def test_booked_slots_are_not_offered(availability):
    now = utc(2026, 11, 30, 16)
    first = availability.open_slots(now)[0]
    assert first not in availability.open_slots(now, booked=[first])


def test_dst_start_in_march_keeps_local_hours_and_moves_utc(availability):
    # 8 March 2026: clocks spring forward in the US.
    slots = availability.open_slots(utc(2026, 3, 2, 12))
    friday_before = [s for s in slots if availability.local(s).date() == date(2026, 3, 6)][0]
    monday_after = [s for s in slots if availability.local(s).date() == date(2026, 3, 9)][0]
    assert friday_before == utc(2026, 3, 6, 17)  # 9:00 PST = UTC-8
    assert monday_after == utc(2026, 3, 9, 16)  # 9:00 PDT = UTC-7
    assert availability.describe(friday_before) == "Friday, March 6 at 9:00 AM PST"
    assert availability.describe(monday_after) == "Monday, March 9 at 9:00 AM PDT"


def test_dst_end_in_november_keeps_local_hours_and_moves_utc(availability):
    # 1 November 2026: clocks fall back.
    slots = availability.open_slots(utc(2026, 10, 26, 12))
    friday_before = [s for s in slots if availability.local(s).date() == date(2026, 10, 30)][0]
    monday_after = [s for s in slots if availability.local(s).date() == date(2026, 11, 2)][0]
    assert friday_before == utc(2026, 10, 30, 16)  # 9:00 PDT
    assert monday_after == utc(2026, 11, 2, 17)  # 9:00 PST
    assert availability.describe_short(monday_after) == "Mon Nov 2, 9:00 AM PST"


def test_skipped_and_repeated_night_hours_on_dst_days(booking_clinic):
    booking_clinic["availability"].update(
        weekly_hours={"sunday": ["00:00-04:00"]}, lead_time_hours=0, horizon_days=400
    )
    availability = Availability.from_clinic(booking_clinic)
    slots = availability.open_slots(utc(2026, 3, 1, 12))
    march = [
        availability.local(s).strftime("%H:%M %Z")
        for s in slots
        if availability.local(s).date() == date(2026, 3, 8)
    ]
    assert march == ["00:00 PST", "01:00 PST", "03:00 PDT"]  # 02:00 does not exist that night
    november = [s for s in slots if availability.local(s).date() == date(2026, 11, 1)]
    assert len(november) == len(set(november)) == 4  # 01:00 happens twice; offered once
    assert availability.local(november[1]).strftime("%H:%M %Z") == "01:00 PDT"


def test_slots_are_computed_in_the_configured_zone(booking_clinic):
    booking_clinic["timezone"] = "America/New_York"
    availability = Availability.from_clinic(booking_clinic)
    assert availability.open_slots(utc(2026, 11, 30, 12))[0] == utc(2026, 12, 1, 14)  # 9:00 EST


def test_bad_weekly_hours_are_reported(booking_clinic):
    booking_clinic["availability"]["weekly_hours"] = {"monday": ["17:00-09:00"]}
    with pytest.raises(ValueError):
        Availability.from_clinic(booking_clinic)
    booking_clinic["availability"]["weekly_hours"] = {"funday": ["09:00-10:00"]}
    with pytest.raises(ValueError):
        Availability.from_clinic(booking_clinic)


def test_times_are_stored_as_utc_iso(availability):
    slot = utc(2026, 12, 1, 17)
    assert to_iso(slot) == "2026-12-01T17:00:00Z"
    assert parse_iso('/inform{"appointment_time":"2026-12-01T17:00:00Z"}') == slot
    assert parse_iso("2026-12-01T09:00:00-08:00") == slot
    with pytest.raises(ValueError):
        to_iso(datetime(2026, 12, 1, 17))


# ---------------------------------------------------------------- typed times

NOW = utc(2026, 11, 30, 16)  # Monday 30 November 2026, 08:00 PST


@pytest.fixture
def open_slots(availability):
    return availability.open_slots(NOW)


def pick(text, availability, open_slots, offered=None):
    result = match_time(text, open_slots, offered or open_slots[:5], availability, NOW)
    return result.kind, (availability.describe_short(result.slot) if result.slot else None)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("next tuesday afternoon", "Tue Dec 1, 1:00 PM PST"),
        ("monday 10am", "Mon Dec 7, 10:00 AM PST"),
        ("monday at 10am", "Mon Dec 7, 10:00 AM PST"),
        ("10 am on monday", "Mon Dec 7, 10:00 AM PST"),
        ("tuesday at 9", "Tue Dec 1, 9:00 AM PST"),
        ("thursday 2pm", "Thu Dec 3, 2:00 PM PST"),
        ("friday at 11", "Fri Dec 4, 11:00 AM PST"),
        ("wednesday morning", "Wed Dec 2, 9:00 AM PST"),
        ("tomorrow afternoon", "Tue Dec 1, 1:00 PM PST"),
        ("december 3 at 3:00 pm", "Thu Dec 3, 3:00 PM PST"),
        ("Dec 9th, 4pm", "Wed Dec 9, 4:00 PM PST"),
        ("12/10 at 1pm", "Thu Dec 10, 1:00 PM PST"),
        ("any time next week", "Mon Dec 7, 9:00 AM PST"),
        ("the earliest one", "Tue Dec 1, 9:00 AM PST"),
        ("the first one", "Tue Dec 1, 9:00 AM PST"),
        ("the second option", "Tue Dec 1, 10:00 AM PST"),
        ("the last one", "Tue Dec 1, 2:00 PM PST"),
        ("3", "Tue Dec 1, 11:00 AM PST"),
        ("the 9:00 one", "Tue Dec 1, 9:00 AM PST"),
        ("the 3pm slot", "Tue Dec 1, 3:00 PM PST"),
        ('/inform{"appointment_time":"2026-12-01T17:00:00Z"}', "Tue Dec 1, 9:00 AM PST"),
    ],
)
def test_typed_times_match_an_open_slot(text, expected, availability, open_slots):
    assert pick(text, availability, open_slots) == ("slot", expected)


@pytest.mark.parametrize(
    "text", ["more times", '/inform{"appointment_time":"more"}', "none of those work", "anything later?"]
)
def test_asking_for_more_times(text, availability, open_slots):
    assert pick(text, availability, open_slots)[0] == "more"


def test_no_open_slot_for_the_asked_time(availability, open_slots):
    assert pick("saturday morning", availability, open_slots)[0] == "no_match"
    assert pick("friday at 3pm", availability, open_slots)[0] == "no_match"  # Friday afternoons closed
    assert pick("december 25 at 10am", availability, open_slots)[0] == "no_match"  # blocked
    assert pick("monday 7am", availability, open_slots)[0] == "no_match"


def test_a_booked_or_expired_button_is_reported_as_taken(availability, open_slots):
    taken = open_slots[0]
    result = match_time(
        f'/inform{{"appointment_time":"{to_iso(taken)}"}}', open_slots[1:], open_slots[:5], availability, NOW
    )
    assert result.kind == "taken"


def test_words_that_are_not_a_time(availability, open_slots):
    assert pick("banana", availability, open_slots)[0] == "unparsed"
    assert pick("", availability, open_slots)[0] == "unparsed"


def test_numbers_in_dates_are_not_read_as_hours():
    request = read_time_request("june 12 at 1pm", date(2026, 5, 1))
    assert request.day == date(2026, 6, 12)
    assert (request.clock.hour, request.clock.minute) == (13, 0)
    assert read_time_request("monday the 7th", date(2026, 11, 30)).clock is None
