"""Per-visitor rate limiting for the public channels (REST and socket.io).

Each visitor message is counted against two fixed windows of RATE_LIMIT_WINDOW_SECONDS (60):
one per visitor (the REST `sender`, the widget's session id), limit RATE_LIMIT_PER_MINUTE
(default 30; 0 turns it off), and one per client address, limit RATE_LIMIT_IP_PER_MINUTE
(default 120, on in every profile: the visitor id is chosen by the client, so a script that
rotates it is still held by its address; 0 turns it off; this machine's own address is held by
the per-visitor limit only). Feedback counts like a message. A visitor over a limit gets the
`rate_limited` reply (practice/message_guard.py) without Rasa running; a crisis message is
still answered with the crisis resources.

Counters live in Redis when REDIS_URL is set (e.g. redis://127.0.0.1:6379/2), so every Rasa
instance behind the load balancer shares them; keys are RATE_LIMIT_KEY_PREFIX (default
`tms:rl`) + a hash of the visitor id, never the id itself, and expire with their window.
Without REDIS_URL they are per process. If Redis is unreachable the limiter lets messages
through (and logs a warning at most once a minute): a visitor is never refused because a
counter is down.

The client address is the TCP peer, or the last X-Forwarded-For entry when the peer is a
trusted proxy (FORWARDED_ALLOW_IPS: addresses or networks, default 127.0.0.1 and ::1, the local
load balancer; `*` is not accepted).
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import os
import time
from collections.abc import Mapping
from typing import Any

logger = logging.getLogger(__name__)

_MAX_LOCAL_KEYS = 50_000
DEFAULT_PER_ADDRESS = 120


def _int_env(name: str, default: int) -> int:
    try:
        return max(0, int(os.environ.get(name, default)))
    except ValueError:
        return default


def _is_loopback(address: str | None) -> bool:
    """A message from this machine itself is the operator's or a test suite's (visitors arrive
    from elsewhere, or through the balancer, which names them in X-Forwarded-For): it is held
    by the per-visitor limit only, as the booking caps exempt it (practice/client_key.py)."""
    try:
        return bool(address) and ipaddress.ip_address(str(address)).is_loopback
    except ValueError:
        return False


def _trusted_proxy(peer: str, trusted: str) -> bool:
    """Whether `peer` is one of FORWARDED_ALLOW_IPS: addresses or networks (10.0.0.0/8).
    `*` (every peer) is refused: any visitor could then choose the address it is limited as."""
    try:
        address = ipaddress.ip_address(peer)
    except ValueError:
        return False
    for item in trusted.replace(",", " ").split():
        try:
            if address in ipaddress.ip_network(item, strict=False):
                return True
        except ValueError:
            continue
    return False


def client_address(peer: str | None, headers: Mapping[str, str]) -> str:
    """The visitor's address: X-Forwarded-For's last hop only when set by a trusted proxy."""
    trusted = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
    peer = peer or ""
    forwarded = headers.get("x-forwarded-for") or headers.get("X-Forwarded-For") or ""
    if forwarded and _trusted_proxy(peer, trusted):
        last = forwarded.split(",")[-1].strip()
        if last:
            return last[:64]
    return peer[:64]


class RateLimiter:
    """Fixed-window counters, in Redis (shared) or in this process."""

    def __init__(
        self,
        per_visitor: int,
        per_address: int,
        window: int = 60,
        redis_url: str | None = None,
        prefix: str = "tms:rl",
        clock: Any = time.time,
    ) -> None:
        self.per_visitor, self.per_address = per_visitor, per_address
        self.window = max(1, window)
        self.redis_url, self.prefix, self.clock = redis_url, prefix, clock
        self._redis: Any = None
        self._local: dict[str, tuple[int, int]] = {}
        self._last_warning = 0.0

    @classmethod
    def from_env(cls) -> RateLimiter:
        return cls(
            per_visitor=_int_env("RATE_LIMIT_PER_MINUTE", 30),
            per_address=_int_env("RATE_LIMIT_IP_PER_MINUTE", DEFAULT_PER_ADDRESS),
            window=_int_env("RATE_LIMIT_WINDOW_SECONDS", 60),
            redis_url=os.environ.get("REDIS_URL") or None,
            prefix=os.environ.get("RATE_LIMIT_KEY_PREFIX", "tms:rl"),
        )

    async def retry_after(self, visitor: str, address: str | None = None) -> int:
        """0 if the message may go through, else the seconds until the window resets."""
        window_id = int(self.clock() // self.window)
        per_address = 0 if _is_loopback(address) else self.per_address
        checks = [("v", visitor, self.per_visitor), ("a", address or "", per_address)]
        checks = [(kind, key, limit) for kind, key, limit in checks if limit and key]
        if not checks:
            return 0
        keys = [self._key(kind, key, window_id) for kind, key, _ in checks]
        counts = await self._incr(keys, window_id)
        if counts is None:
            return 0
        if any(count > limit for count, (_, _, limit) in zip(counts, checks, strict=False)):
            return max(1, int((window_id + 1) * self.window - self.clock()) + 1)
        return 0

    def _key(self, kind: str, key: str, window_id: int) -> str:
        digest = hashlib.sha256(key.encode("utf-8", "replace")).hexdigest()[:32]
        return f"{self.prefix}:{kind}:{digest}:{window_id}"

    async def _incr(self, keys: list, window_id: int) -> list | None:
        if not self.redis_url:
            return [self._incr_local(key, window_id) for key in keys]
        try:
            if self._redis is None:
                import redis.asyncio

                self._redis = redis.asyncio.from_url(
                    self.redis_url, socket_timeout=2, socket_connect_timeout=2
                )
            pipe = self._redis.pipeline(transaction=True)
            for key in keys:
                pipe.incr(key)
                pipe.expire(key, self.window + 5)
            results = await pipe.execute()
            return [int(count) for count in results[0::2]]
        except Exception as error:  # Redis down: let the visitor through
            now = time.monotonic()
            if now - self._last_warning > 60:
                self._last_warning = now
                logger.warning("rate limit: Redis unavailable (%s); not limiting", type(error).__name__)
            return None

    def _incr_local(self, key: str, window_id: int) -> int:
        seen_window, count = self._local.get(key, (window_id, 0))
        count = count + 1 if seen_window == window_id else 1
        if len(self._local) >= _MAX_LOCAL_KEYS and key not in self._local:
            self._local = {k: v for k, v in self._local.items() if v[0] == window_id}
        self._local[key] = (window_id, count)
        return count


_limiter: RateLimiter | None = None


def limiter() -> RateLimiter:
    """The process's limiter, configured from the environment on first use."""
    global _limiter
    if _limiter is None:
        _limiter = RateLimiter.from_env()
    return _limiter
