"""The visitor's time zone, inferred from the US state (USPS code) they said they will be in.

States spanning two zones get the zone most of their people live in (the message always
shows the clinic's time as well, so a visitor in the other part can still tell).
"""

from __future__ import annotations

from typing import Optional

_EASTERN = "America/New_York"
_CENTRAL = "America/Chicago"
_MOUNTAIN = "America/Denver"
_PACIFIC = "America/Los_Angeles"

STATE_ZONES = {
    "AL": _CENTRAL,
    "AK": "America/Anchorage",
    "AZ": "America/Phoenix",
    "AR": _CENTRAL,
    "CA": _PACIFIC,
    "CO": _MOUNTAIN,
    "CT": _EASTERN,
    "DE": _EASTERN,
    "FL": _EASTERN,
    "GA": _EASTERN,
    "HI": "Pacific/Honolulu",
    "ID": "America/Boise",
    "IL": _CENTRAL,
    "IN": "America/Indiana/Indianapolis",
    "IA": _CENTRAL,
    "KS": _CENTRAL,
    "KY": "America/Kentucky/Louisville",
    "LA": _CENTRAL,
    "ME": _EASTERN,
    "MD": _EASTERN,
    "MA": _EASTERN,
    "MI": "America/Detroit",
    "MN": _CENTRAL,
    "MS": _CENTRAL,
    "MO": _CENTRAL,
    "MT": _MOUNTAIN,
    "NE": _CENTRAL,
    "NV": _PACIFIC,
    "NH": _EASTERN,
    "NJ": _EASTERN,
    "NM": _MOUNTAIN,
    "NY": _EASTERN,
    "NC": _EASTERN,
    "ND": _CENTRAL,
    "OH": _EASTERN,
    "OK": _CENTRAL,
    "OR": _PACIFIC,
    "PA": _EASTERN,
    "RI": _EASTERN,
    "SC": _EASTERN,
    "SD": _CENTRAL,
    "TN": _CENTRAL,
    "TX": _CENTRAL,
    "UT": _MOUNTAIN,
    "VT": _EASTERN,
    "VA": _EASTERN,
    "WA": _PACIFIC,
    "WV": _EASTERN,
    "WI": _CENTRAL,
    "WY": _MOUNTAIN,
    "DC": _EASTERN,
    "PR": "America/Puerto_Rico",
    "GU": "Pacific/Guam",
    "VI": "America/St_Thomas",
    "AS": "Pacific/Pago_Pago",
    "MP": "Pacific/Saipan",
}


def zone_for_state(state: Optional[str]) -> Optional[str]:
    return STATE_ZONES.get((state or "").strip().upper())
