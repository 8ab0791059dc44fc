"""rasa_ext/stores/lock_store.py: ticket numbers stay unique when instances race (Rasa 3.6's
RedisLockStore can hand the same ticket to two instances)."""

import asyncio
import os
import threading
import uuid

import pytest
from rasa.utils.endpoints import EndpointConfig

URL = os.environ.get("RATE_LIMIT_TEST_REDIS_URL", "redis://127.0.0.1:6379/14")


@pytest.fixture
def stores():
    redis = pytest.importorskip("redis")
    try:
        redis.Redis.from_url(URL, socket_connect_timeout=1).ping()
    except Exception:
        pytest.skip("no Redis")
    from rasa_ext.stores.lock_store import AtomicRedisLockStore

    client = redis.Redis.from_url(URL)
    db = client.connection_pool.connection_kwargs.get("db", 0)
    prefix = f"unit{uuid.uuid4().hex[:8]}"
    config = EndpointConfig(
        url="127.0.0.1",
        type="rasa_ext.stores.lock_store.AtomicRedisLockStore",
        port=6379,
        db=db,
        key_prefix=prefix,
    )
    yield [AtomicRedisLockStore(endpoint_config=config) for _ in range(4)]
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)


def test_created_from_endpoints_like_rasa_does(stores):
    from rasa.core.lock_store import LockStore

    config = EndpointConfig(
        url="127.0.0.1",
        type="rasa_ext.stores.lock_store.AtomicRedisLockStore",
        port="6379",
        db="14",
        key_prefix="abc",
    )
    store = LockStore.create(config)
    assert type(store).__name__ == "AtomicRedisLockStore" and store.key_prefix == "abc:lock:"


def test_racing_instances_never_share_a_ticket(stores):
    conversation = "c-" + uuid.uuid4().hex
    tickets, barrier = [], threading.Barrier(40)

    def take(store):
        barrier.wait()
        tickets.append(store.issue_ticket(conversation, 30))

    threads = [threading.Thread(target=take, args=(stores[i % 4],)) for i in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(tickets) == list(range(40))
    lock = stores[0].get_lock(conversation)
    assert [t.number for t in lock.tickets] == list(range(40))


def test_turns_of_one_conversation_run_one_at_a_time(stores):
    conversation = "c-" + uuid.uuid4().hex
    running, overlaps, done = [0], [0], []

    async def turn(store, n):
        async with store.lock(conversation, lock_lifetime=30, wait_time_in_seconds=0.01):
            running[0] += 1
            overlaps[0] = max(overlaps[0], running[0])
            await asyncio.sleep(0.01)
            running[0] -= 1
            done.append(n)

    async def run():
        await asyncio.gather(*(turn(stores[n % 4], n) for n in range(20)))

    asyncio.run(run())
    assert overlaps[0] == 1 and sorted(done) == list(range(20))
    assert stores[0].get_lock(conversation) is None  # cleaned up when nobody waits


def test_lock_keys_expire(stores):
    conversation = "c-" + uuid.uuid4().hex
    stores[0].issue_ticket(conversation, 5)
    ttl = stores[0].red.ttl(stores[0].key_prefix + conversation)
    assert 0 < ttl <= 5 + 61
