"""The logs after the whole suite. No personal data: after everything the suite did (contact details in messages,
bookings with names, emails, database errors while PostgreSQL was cut), the INFO-level logs of
every part hold no email address, phone number, visitor name or message text the tests sent."""

import re

from tests.reliability.stack import FIGURES
from tests.reliability.test_booking_race import NAMES

EMAIL = re.compile(r"[\w.+-]+@example\.(?:com|org)")
SENT = [
    "503-555-01",
    "5035550",
    "Dana Whitfield",
    "Morgan Ellis",
    "load0.pii",
    "dana.load",
    "what are the side effects of tms",
    "i want to end my life",
    "my email is",
] + NAMES


def test_logs_hold_no_personal_data(stack):
    logs = sorted(stack.logs.glob("reliability-*.log"))
    assert logs
    found = []
    checked = 0
    for path in logs:
        text = path.read_text(errors="replace")
        checked += len(text.splitlines())
        found += [(path.name, m) for m in EMAIL.findall(text)]
        found += [(path.name, s) for s in SENT if s in text]
    assert not found, f"personal data in the logs: {found[:10]}"
    FIGURES["log_lines_checked_for_pii"] = checked


def test_no_turn_failed_with_an_exception(stack):
    """Every fault above is handled before or inside Rasa; no input made a turn raise."""
    failures = sum(
        path.read_text(errors="replace").count("handling a message failed")
        for path in stack.logs.glob("reliability-rasa*.log")
    )
    FIGURES["turn_exceptions_in_logs"] = failures
    assert failures == 0
