"""rasa_ext/channels/rate_limit.py: per-visitor and per-address windows, Redis or in-process."""

import asyncio
import os
import uuid

import pytest

from practice import message_guard
from rasa_ext.channels import rate_limit
from rasa_ext.channels.rate_limit import RateLimiter, client_address


class Clock:
    def __init__(self, now=1_000_040.0):
        self.now = now

    def __call__(self):
        return self.now


def hits(limiter, n, visitor="v", address=None):
    async def run():
        return [await limiter.retry_after(visitor, address) for _ in range(n)]

    return asyncio.run(run())


def test_per_visitor_window_in_memory():
    clock = Clock()
    limiter = RateLimiter(per_visitor=3, per_address=0, window=60, clock=clock)
    assert hits(limiter, 4) == [0, 0, 0, 40 + 1]  # the 4th waits for the window's end
    assert hits(limiter, 1, visitor="someone else") == [0]
    clock.now += 60
    assert hits(limiter, 1) == [0]


def test_per_address_window_counts_every_visitor_of_that_address():
    limiter = RateLimiter(per_visitor=100, per_address=2, window=60, clock=Clock())
    assert [hits(limiter, 1, visitor=f"v{i}", address="203.0.113.9")[0] for i in range(3)][2] > 0
    assert hits(limiter, 1, visitor="v9", address="198.51.100.1") == [0]


def test_zero_turns_a_limit_off():
    limiter = RateLimiter(per_visitor=0, per_address=0, clock=Clock())
    assert set(hits(limiter, 100)) == {0}


def test_forwarded_address_only_from_trusted_proxies(monkeypatch):
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "127.0.0.1")
    headers = {"x-forwarded-for": "198.51.100.7, 203.0.113.5"}
    assert client_address("127.0.0.1", headers) == "203.0.113.5"  # the hop our proxy added
    assert client_address("192.0.2.44", headers) == "192.0.2.44"  # anyone else: the peer
    assert client_address("127.0.0.1", {}) == "127.0.0.1"


def test_redis_counters_are_shared_between_limiters():
    pytest.importorskip("redis")
    import redis

    url = os.environ.get("RATE_LIMIT_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception:
        pytest.skip("no Redis")
    prefix = f"unit{uuid.uuid4().hex[:8]}"
    clock = Clock()
    first = RateLimiter(per_visitor=3, per_address=0, redis_url=url, prefix=prefix, clock=clock)
    second = RateLimiter(per_visitor=3, per_address=0, redis_url=url, prefix=prefix, clock=clock)

    async def run():
        results = []
        for limiter in (first, second, first, second):
            results.append(await limiter.retry_after("visitor"))
        await first._redis.aclose() if hasattr(first._redis, "aclose") else await first._redis.close()
        await second._redis.aclose() if hasattr(second._redis, "aclose") else await second._redis.close()
        return results

    assert asyncio.run(run())[-1] > 0
    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    assert keys and all(b"visitor" not in key for key in keys)  # ids are hashed
    assert 0 < client.ttl(keys[0]) <= 65
    client.delete(*keys)


def test_redis_down_lets_messages_through():
    limiter = RateLimiter(per_visitor=1, per_address=0, redis_url="redis://127.0.0.1:1/0", clock=Clock())
    assert hits(limiter, 3) == [0, 0, 0]


def test_rate_limited_reply_is_a_contract_reply_and_crisis_still_wins():
    crisis = {
        "text": "call 988",
        "custom": {"topic": "safety.crisis", "sources": [], "defer_to_clinician": True, "flags": ["crisis"]},
    }
    reply = message_guard.rate_limited_reply(message_guard.crisis_kind("what is tms"), crisis)
    assert len(reply) == 1 and reply[0]["custom"]["flags"] == ["rate_limited"]
    assert "988" in reply[0]["text"]
    assert message_guard.rate_limited_reply(message_guard.crisis_kind("i want to kill myself"), crisis) == [
        crisis
    ]


def test_limiter_reads_the_environment(monkeypatch):
    monkeypatch.setenv("RATE_LIMIT_PER_MINUTE", "7")
    monkeypatch.setenv("RATE_LIMIT_IP_PER_MINUTE", "70")
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setattr(rate_limit, "_limiter", None)
    limiter = rate_limit.limiter()
    assert (limiter.per_visitor, limiter.per_address, limiter.redis_url) == (7, 70, None)
    monkeypatch.setattr(rate_limit, "_limiter", None)


def test_the_per_address_limit_is_on_by_default(monkeypatch):
    monkeypatch.delenv("RATE_LIMIT_IP_PER_MINUTE", raising=False)
    monkeypatch.delenv("REDIS_URL", raising=False)
    limiter = RateLimiter.from_env()
    assert limiter.per_address == rate_limit.DEFAULT_PER_ADDRESS > 0
    # A client rotating its visitor id is still held by its address.
    limiter.clock = Clock()
    waits = [
        asyncio.run(limiter.retry_after(f"rotated-{i}", "198.51.100.9"))
        for i in range(limiter.per_address + 1)
    ]
    assert waits[:-1] == [0] * limiter.per_address and waits[-1] > 0
    assert asyncio.run(limiter.retry_after("someone", "198.51.100.10")) == 0


def test_this_machine_is_held_by_the_per_visitor_limit_only():
    import asyncio

    from rasa_ext.channels.rate_limit import RateLimiter

    limiter = RateLimiter(per_visitor=100, per_address=2, window=60, redis_url=None, prefix="t")
    waits = [asyncio.run(limiter.retry_after(f"v{i}", "127.0.0.1")) for i in range(5)]
    assert waits == [0] * 5
    elsewhere = [asyncio.run(limiter.retry_after(f"w{i}", "198.51.100.9")) for i in range(3)]
    assert elsewhere[:2] == [0, 0] and elsewhere[2] > 0
