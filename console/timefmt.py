"""Times as the console shows them: in the clinic's zone, with the zone written out."""

from __future__ import annotations

import datetime as dt


def zone_name(when: dt.datetime) -> str:
    """The zone's abbreviation at that moment (PST / PDT, UTC); offsets as UTC+04."""
    name = when.tzname() or "UTC"
    return f"UTC{name}" if name.startswith(("+", "-")) else name


def local_time(when: dt.datetime, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A console time with its zone, e.g. '2026-12-06 14:03 PST'."""
    return f"{when.strftime(fmt)} {zone_name(when)}"
