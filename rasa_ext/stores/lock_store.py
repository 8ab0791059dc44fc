"""A Redis lock store whose ticket operations are atomic across Rasa instances.

Rasa 3.6's `RedisLockStore` reads a conversation's lock, changes it in Python and writes it
back. Two instances handling messages of one conversation at the same moment can both read the
same lock and both write a ticket with the same number: both then "hold" the lock, handle their
turns concurrently, and the SQL tracker store, which appends the events beyond the count already
stored, drops one turn's events (found by tests/reliability/test_load.py; Rasa issue #9213; the
fix upstream, ConcurrentRedisLockStore, is not in Rasa Open Source 3.6).

Here every read-modify-write of a lock (issue a ticket, drop expired ones, finish serving and
clean up) runs as a Redis optimistic transaction (WATCH/MULTI/EXEC, retried on conflict), so
ticket numbers are unique and the lock is never deleted while someone still waits. The stored
format is Rasa's (a serialised TicketLock under the same key), and each key expires a minute
after its last ticket would, so a crashed instance leaves nothing behind.

endpoints.prod.yml:

    lock_store:
      type: rasa_ext.stores.lock_store.AtomicRedisLockStore
      url: ${REDIS_HOST}
      port: ${REDIS_PORT}
      ...                      # the same settings as Rasa's `type: redis`
"""

from __future__ import annotations

import json
import time
from typing import Any, Callable, Optional, Text, Tuple

from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, LockError, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

_SPARE_SECONDS = 60


class AtomicRedisLockStore(RedisLockStore):
    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        if endpoint_config is not None:
            kwargs = {"host": endpoint_config.url or "localhost", **endpoint_config.kwargs, **kwargs}
        super().__init__(**kwargs)

    def _transact(
        self,
        conversation_id: Text,
        change: Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], Any]],
    ) -> Any:
        """Applies `change` to the stored lock atomically; a None lock deletes the key."""
        import redis

        key = self.key_prefix + conversation_id
        with self.red.pipeline() as pipe:
            while True:
                try:
                    pipe.watch(key)
                    raw = pipe.get(key)
                    lock = TicketLock.from_dict(json.loads(raw)) if raw else None
                    new_lock, result = change(lock)
                    pipe.multi()
                    if new_lock is None or not new_lock.tickets:
                        pipe.delete(key)
                    else:
                        expires = max(t.expires for t in new_lock.tickets)
                        ttl = max(1, int(expires - time.time()) + _SPARE_SECONDS)
                        pipe.set(key, new_lock.dumps(), ex=ttl)
                    pipe.execute()
                    return result
                except redis.WatchError:
                    continue  # another instance changed the lock meanwhile: start again

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(lock: Optional[TicketLock]) -> Tuple[TicketLock, int]:
            lock = lock or TicketLock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._transact(conversation_id, issue)
        except Exception as error:
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: Text) -> None:
        def drop_expired(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_expired_tickets()
            return lock, None

        self._transact(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: Text, ticket_number: int) -> None:
        def finish(lock: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if lock is not None:
                lock.remove_ticket_for(ticket_number)
            return lock, None

        self._transact(conversation_id, finish)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        # One transaction: the lock is deleted only if nobody took a ticket meanwhile.
        self.finish_serving(conversation_id, ticket_number)

    def save_lock(self, lock: TicketLock) -> None:
        self._transact(lock.conversation_id, lambda _: (lock, None))
