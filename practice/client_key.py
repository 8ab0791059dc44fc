"""A visitor's client address as a stable keyed hash, never the address itself.

The channels attach it to each visitor message (`metadata["client"]`, replacing anything the
client sent under that name), so the action server can cap what one address does (bookings
per day, practice/booking/store.py) without the address being stored anywhere. The key is
ADDRESS_HASH_KEY (scripts/env.sh generates one into var/ for the local profiles; production
sets it like its other secrets, the same on every instance); without it a plain SHA-256 is
used, which caps just as well but can be reversed by trying every IPv4 address.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import os
from typing import Any

METADATA_KEY = "client"


def client_key(address: str | None) -> str | None:
    """None for no address and for loopback: a message from this machine itself is the
    operator's (or the test suites'); visitors arrive from elsewhere or through the balancer,
    which names their address in X-Forwarded-For."""
    if not address:
        return None
    try:
        if ipaddress.ip_address(address).is_loopback:
            return None
    except ValueError:
        pass
    secret = os.environ.get("ADDRESS_HASH_KEY", "")
    if secret:
        return hmac.new(secret.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]
    return hashlib.sha256(b"tms-address:" + address.encode()).hexdigest()[:32]


def with_client_key(metadata: dict[str, Any] | None, address: str | None) -> dict[str, Any]:
    """The message metadata with the server's client key (a client cannot choose its own)."""
    result = {k: v for k, v in (metadata or {}).items() if k != METADATA_KEY}
    key = client_key(address)
    if key:
        result[METADATA_KEY] = key
    return result


def client_key_of(events: Any) -> str | None:
    """The client key of the latest visitor message in a tracker's events (action server)."""
    for event in reversed(list(events or [])):
        if isinstance(event, dict) and event.get("event") == "user":
            value = (event.get("metadata") or {}).get(METADATA_KEY)
            return value if isinstance(value, str) and value else None
    return None
