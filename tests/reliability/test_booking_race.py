"""Booking integrity under load: visitors race for the same slots through the assistant (load
balancer, both instances, the action server, PostgreSQL). Each takes one of the first three
offered times, then all confirm at the same moment; a visitor told the slot was just taken
takes a time from the new offer and confirms again. Afterwards: no slot booked twice, every
confirmed reference in the database with that visitor's conversation and time."""

import asyncio
import re
import uuid
from datetime import datetime, timezone

import aiohttp
import sqlalchemy as sa

from tests.reliability.stack import FIGURES, customs

VISITORS = 12
# Names the NLU model reads as `inform` (some names are taken for other intents mid-form, e.g.
# "Emery Walsh" as safety_emergency: an NLU matter, not what this test is about).
NAMES = [
    "Dana Whitfield",
    "Morgan Ellis",
    "Casey Morgan",
    "Jordan Pike",
    "Logan Reyes",
    "Maria Lopez",
    "Sam Carter",
    "Priya Patel",
    "Chris Nguyen",
    "Alex Kim",
    "Taylor Brown",
    "Noah Green",
]
MAX_TURNS = 60
TAKEN = re.compile(r"was just booked by someone else|no longer available", re.I)


class Visitor:
    def __init__(self, session, url, n, run):
        self.session, self.url, self.n = session, url, n
        self.sender = f"race-{run}-{n:02d}-{uuid.uuid4().hex[:6]}"
        self.email = f"race{n}.{run}@example.com"
        self.turns = 0
        self.slot = None  # the field the form asks for next
        self.reference = self.start = None
        self.taken = 0
        self.last = []

    async def say(self, text):
        self.turns += 1
        assert self.turns <= MAX_TURNS, f"{self.sender}: no booking after {MAX_TURNS} turns"
        async with self.session.post(self.url, json={"sender": self.sender, "message": text}) as response:
            assert response.status == 200, await response.text()
            self.last = await response.json()
        payloads = customs(self.last)
        assert len(payloads) == 1, self.last
        self.slot = payloads[0].get("requested_slot")
        booking = payloads[0].get("booking")
        if isinstance(booking, dict) and booking.get("reference"):
            self.reference, self.start = booking["reference"], booking.get("start")
        if TAKEN.search(" ".join(r.get("text") or "" for r in self.last)):
            self.taken += 1

    def time_choice(self):
        """The payload of one of the first three offered times (n mod 3: races of four)."""
        payloads = [
            b["payload"]
            for r in self.last
            for b in (r.get("buttons") or [])
            if "appointment_time" in (b.get("payload") or "")
        ]
        assert payloads, f"{self.sender}: no times offered: {self.last}"
        return payloads[min(self.n % 3, len(payloads) - 1)]

    def answer(self):
        if self.slot == "appointment_time":
            return self.time_choice()
        answers = {
            "full_name": NAMES[self.n % len(NAMES)],
            "contact": self.email,
            "state": "Oregon",
            "adult": "yes",
            "consent": "yes",
        }
        assert self.slot in answers, f"{self.sender}: unexpected step {self.slot}: {self.last}"
        return answers[self.slot]

    async def to_confirmation(self):
        """Answers the form until it asks for the final yes."""
        while self.reference is None and self.slot != "confirm":
            await self.say(self.answer())


def test_concurrent_visitors_never_double_book(stack):
    async def run():
        timeout = aiohttp.ClientTimeout(total=300)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            visitors = [Visitor(session, stack.webhook, n, stack.run) for n in range(VISITORS)]
            await asyncio.gather(*(v.say("I'd like to book an evaluation") for v in visitors))
            assert all(v.slot == "full_name" for v in visitors), [v.last for v in visitors]
            rounds, pending = 0, visitors
            while pending:
                rounds += 1
                assert rounds <= VISITORS + 2, "the race does not end"
                await asyncio.gather(*(v.to_confirmation() for v in pending))
                # Everyone still booking says "yes" at the same moment.
                await asyncio.gather(*(v.say("yes") for v in pending if v.reference is None))
                pending = [v for v in visitors if v.reference is None]
            return visitors, rounds

    visitors, rounds = asyncio.run(run())

    references = [v.reference for v in visitors]
    assert all(references) and len(set(references)) == VISITORS
    with stack.engine.connect() as conn:
        rows = conn.execute(
            sa.text("select reference, sender_id, start_utc, status, contact from bookings")
        ).all()
    by_reference = {r.reference: r for r in rows}
    booked = [r.start_utc for r in rows if r.status == "booked"]
    assert len(booked) == len(set(booked)), "a slot is booked twice"
    for v in visitors:
        row = by_reference.get(v.reference)
        assert row is not None, f"{v.reference} confirmed to {v.sender} but not in the database"
        assert row.sender_id == v.sender and row.status == "booked" and row.contact == v.email
        told = datetime.fromisoformat(v.start.replace("Z", "+00:00")).astimezone(timezone.utc)
        assert row.start_utc.replace(tzinfo=timezone.utc) == told
    race_rows = [r for r in rows if r.sender_id.startswith(f"race-{stack.run}-")]
    assert len(race_rows) == VISITORS, "a booking no visitor was told about"
    # The race was real: more visitors than distinct first choices.
    assert sum(v.taken for v in visitors) >= 1

    FIGURES["booking_race_visitors"] = VISITORS
    FIGURES["booking_race_rounds"] = rounds
    FIGURES["booking_race_slot_taken_replies"] = sum(v.taken for v in visitors)
    FIGURES["booking_race_turns"] = sum(v.turns for v in visitors)
    FIGURES["booking_race_bookings_verified"] = VISITORS
