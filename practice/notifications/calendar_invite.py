"""Calendar invites (RFC 5545, with the `icalendar` library): METHOD:REQUEST for a new or
moved appointment, METHOD:CANCEL when it is cancelled. One UID per booking for its whole
life; SEQUENCE grows with every move or cancel, so calendars replace the earlier version."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//Patient information assistant//Appointment notices//EN"
REQUEST, CANCEL = "REQUEST", "CANCEL"


def booking_uid(reference: str, domain: str) -> str:
    return f"{reference.upper()}@{domain}"


def build_invite(
    *,
    method: str,
    uid: str,
    sequence: int,
    start: datetime,
    end: datetime,
    summary: str,
    description: str,
    organizer: str,
    organizer_name: str,
    attendee: str,
    attendee_name: Optional[str],
    stamp: datetime,
    location: str = "Video visit",
) -> str:
    """The .ics text (CRLF lines) for one appointment."""
    if method not in (REQUEST, CANCEL):
        raise ValueError(f"unsupported METHOD {method}")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("sequence", sequence)
    event.add("dtstart", start)
    event.add("dtend", end)
    event.add("summary", summary)
    event.add("description", description)
    event.add("location", vText(location))
    event.add("status", "CANCELLED" if method == CANCEL else "CONFIRMED")
    event.add("transp", "OPAQUE")
    organizer_address = vCalAddress(f"mailto:{organizer}")
    organizer_address.params["cn"] = vText(organizer_name)
    event["organizer"] = organizer_address
    attendee_address = vCalAddress(f"mailto:{attendee}")
    if attendee_name:
        attendee_address.params["cn"] = vText(attendee_name)
    attendee_address.params["role"] = vText("REQ-PARTICIPANT")
    attendee_address.params["partstat"] = vText("ACCEPTED")
    event.add("attendee", attendee_address, encode=False)
    calendar.add_component(event)
    return calendar.to_ical().decode("utf-8")
