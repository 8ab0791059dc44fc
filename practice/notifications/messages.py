"""What is sent, worded once: to the visitor (confirmation, reminder, move and cancel notices,
each with the .ics) and to the clinic's scheduling address (a notice with a console link).

No health details anywhere: subjects and bodies say only "appointment with <practice>", the
time, the reference and how to change it. The clinic's notices carry no name or contact
either: staff open the console for those.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import List, Optional, Protocol
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from practice.notifications.calendar_invite import CANCEL, REQUEST, booking_uid, build_invite
from practice.notifications.outbox import OutgoingMessage
from practice.notifications.settings import NotificationSettings
from practice.notifications.zones import zone_for_state

BOOKED, MOVED, CANCELLED = "booked", "moved", "cancelled"
VISITOR_KINDS = {BOOKED: "visitor_confirmation", MOVED: "visitor_moved", CANCELLED: "visitor_cancelled"}
REMINDER = "visitor_reminder"
CLINIC_KINDS = {
    BOOKED: "clinic_booking_new",
    MOVED: "clinic_booking_moved",
    CANCELLED: "clinic_booking_cancelled",
}
CLINIC_CALLBACK = "clinic_callback_request"


class BookingLike(Protocol):
    """What the messages read of a booking (practice/booking/store.py `Booking`, frozen)."""

    @property
    def reference(self) -> str: ...

    @property
    def full_name(self) -> str: ...

    @property
    def contact(self) -> str: ...

    @property
    def state(self) -> str: ...

    @property
    def start_utc(self) -> datetime: ...

    @property
    def sender_id(self) -> str: ...


def is_email(contact: str) -> bool:
    return "@" in (contact or "")


def format_time(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    hour = local.strftime("%I:%M %p").lstrip("0")
    return f"{local:%A} {local.day} {local:%B %Y}, {hour} {local:%Z}"


def short_time(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    hour = local.strftime("%I:%M %p").lstrip("0")
    return f"{local:%a} {local.day} {local:%b}, {hour} {local:%Z}"


def when_lines(start: datetime, state: str, settings: NotificationSettings) -> str:
    clinic_zone = settings.clinic_timezone
    lines = [f"When: {format_time(start, clinic_zone)} (the practice's time)"]
    visitor_zone = zone_for_state(state)
    if visitor_zone and (
        start.astimezone(ZoneInfo(visitor_zone)).utcoffset()
        != start.astimezone(ZoneInfo(clinic_zone)).utcoffset()
    ):
        lines.append(f"      {format_time(start, visitor_zone)} (your time, {state.upper()})")
    return "\n".join(lines)


def _how_to_change(reference: str, settings: NotificationSettings) -> str:
    phone = f" or call us at {settings.clinic_phone}" if settings.clinic_phone else ""
    return (
        f"To cancel or move it: open the chat on our website, say you want to change your "
        f"booking, and give your reference {reference} and this email address{phone}."
    )


def _visit_notes(settings: NotificationSettings) -> str:
    parts = []
    if settings.video_note:
        parts.append(f"How the video visit works:\n{settings.video_note}")
    if settings.prepare_note:
        parts.append(f"What to prepare:\n{settings.prepare_note}")
    return "\n\n".join(parts)


def _invite(
    method: str, booking: BookingLike, sequence: int, stamp: datetime, settings: NotificationSettings
) -> str:
    return build_invite(
        method=method,
        uid=booking_uid(booking.reference, settings.mail_domain),
        sequence=sequence,
        start=booking.start_utc,
        end=booking.start_utc + timedelta(minutes=settings.appointment_minutes),
        summary=f"Appointment with {settings.practice_name}",
        description=(
            f"Video visit with {settings.practice_name}. Reference {booking.reference}. "
            + _how_to_change(booking.reference, settings)
        ),
        organizer=settings.sender_address,
        organizer_name=settings.practice_name,
        attendee=booking.contact,
        attendee_name=booking.full_name,
        stamp=stamp,
    )


def visitor_message(
    change: str,
    booking: BookingLike,
    settings: NotificationSettings,
    sequence: int,
    stamp: datetime,
    previous_start: Optional[datetime] = None,
) -> OutgoingMessage:
    """Confirmation, move or cancel notice to the visitor's email address, with the .ics."""
    practice = settings.practice_name
    when = when_lines(booking.start_utc, booking.state, settings)
    short = short_time(booking.start_utc, settings.clinic_timezone)
    greeting = f"Hello {booking.full_name},"
    if change == BOOKED:
        subject = f"Your appointment with {practice} is confirmed: {short}"
        intro = f"Your appointment with {practice} is booked."
    elif change == MOVED:
        subject = f"Your appointment with {practice} has moved: {short}"
        before = (
            f"\nIt was: {format_time(previous_start, settings.clinic_timezone)}" if previous_start else ""
        )
        intro = f"Your appointment with {practice} has a new time.{before}"
    else:
        subject = f"Your appointment with {practice} is cancelled"
        intro = f"Your appointment with {practice} is cancelled."
    paragraphs = [greeting, intro, when, f"Reference: {booking.reference}"]
    if change == CANCELLED:
        paragraphs.append(
            "To book another time, open the chat on our website"
            + (f" or call us at {settings.clinic_phone}." if settings.clinic_phone else ".")
        )
    else:
        notes = _visit_notes(settings)
        if notes:
            paragraphs.append(notes)
        paragraphs.append(_how_to_change(booking.reference, settings))
        paragraphs.append("The attached invitation adds the appointment to your calendar.")
    paragraphs.append(f"{practice}")
    method = CANCEL if change == CANCELLED else REQUEST
    return OutgoingMessage(
        kind=VISITOR_KINDS[change],
        recipient=booking.contact,
        subject=subject,
        body="\n\n".join(paragraphs) + "\n",
        ics=_invite(method, booking, sequence, stamp, settings),
        ics_sequence=sequence,
        booking_reference=booking.reference,
        sender_id=booking.sender_id,
    )


def reminder_message(booking: BookingLike, settings: NotificationSettings) -> OutgoingMessage:
    """Sent `reminder_hours` before the appointment (not_before); no .ics (nothing changed)."""
    practice = settings.practice_name
    paragraphs = [
        f"Hello {booking.full_name},",
        f"A reminder of your appointment with {practice}.",
        when_lines(booking.start_utc, booking.state, settings),
        f"Reference: {booking.reference}",
    ]
    notes = _visit_notes(settings)
    if notes:
        paragraphs.append(notes)
    paragraphs += [_how_to_change(booking.reference, settings), practice]
    return OutgoingMessage(
        kind=REMINDER,
        recipient=booking.contact,
        subject=f"Reminder: your appointment with {practice} on "
        f"{short_time(booking.start_utc, settings.clinic_timezone)}",
        body="\n\n".join(paragraphs) + "\n",
        booking_reference=booking.reference,
        sender_id=booking.sender_id,
        not_before=booking.start_utc - timedelta(hours=settings.reminder_hours),
    )


def console_link(settings: NotificationSettings, path: str, **query: str) -> str:
    return f"{settings.console_url}{path}" + (f"?{urlencode(query)}" if query else "")


def clinic_booking_notice(
    change: str,
    booking: BookingLike,
    settings: NotificationSettings,
    previous_start: Optional[datetime] = None,
) -> OutgoingMessage:
    """To the scheduling address: which booking, when, and where to see it. No name, contact
    or health details (they are in the console)."""
    zone = settings.clinic_timezone
    label = {BOOKED: "New booking", MOVED: "Booking moved", CANCELLED: "Booking cancelled"}[change]
    lines = [f"{label}: {booking.reference}", f"Appointment: {format_time(booking.start_utc, zone)}"]
    if change == MOVED and previous_start is not None:
        lines.append(f"Previously: {format_time(previous_start, zone)}")
    lines.append(f"Visitor's state: {booking.state.upper()}")
    if not is_email(booking.contact):
        lines.append(
            "The visitor gave a phone number only and gets no email: please call "
            "them" + (" to confirm." if change != CANCELLED else " if needed.")
        )
    else:
        lines.append(
            "The visitor was sent an email"
            + (" with a calendar invitation." if change != CANCELLED else " notice.")
        )
    lines.append(f"Details in the console: {console_link(settings, '/bookings')}")
    return OutgoingMessage(
        kind=CLINIC_KINDS[change],
        recipient=settings.clinic_address,
        subject=f"{label} {booking.reference}: {short_time(booking.start_utc, zone)}",
        body="\n".join(lines) + "\n",
        booking_reference=booking.reference,
        sender_id=booking.sender_id,
    )


def booking_messages(
    change: str,
    booking: BookingLike,
    settings: NotificationSettings,
    sequence: int,
    stamp: datetime,
    previous_start: Optional[datetime] = None,
) -> List[OutgoingMessage]:
    """Every message one booking change causes (the reminder included for book and move)."""
    messages: List[OutgoingMessage] = []
    if is_email(booking.contact):
        messages.append(visitor_message(change, booking, settings, sequence, stamp, previous_start))
        if change != CANCELLED:
            reminder = reminder_message(booking, settings)
            if reminder.not_before is not None and reminder.not_before > stamp:
                messages.append(reminder)
    messages.append(clinic_booking_notice(change, booking, settings, previous_start))
    return messages
