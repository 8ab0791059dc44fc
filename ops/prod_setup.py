"""Checks the production profile's services before anything starts (scripts/run_prod.sh).

- PostgreSQL at TRACKER_DB_URL answers; its database is created if missing when
  PROD_CREATE_DATABASE=1 (the local default; a managed database is created by its operator).
- The bookings schema in BOOKING_DB_URL is at the latest migration (Alembic, idempotent).
- Redis at REDIS_URL answers PING.

Exits non-zero with one clear line per problem; never prints passwords.
"""

from __future__ import annotations

import os
import sys
import time

import sqlalchemy as sa

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _wait(what: str, check, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            check()
            return
        except Exception as error:
            if time.monotonic() > deadline:
                raise SystemExit(
                    f"{what} not reachable: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
                ) from error
            time.sleep(1)


def ensure_database(url: str, create: bool) -> None:
    target = sa.engine.make_url(url)

    def connect() -> None:
        engine = sa.create_engine(target, future=True)
        try:
            with engine.connect() as conn:
                conn.execute(sa.text("select 1"))
        finally:
            engine.dispose()

    try:
        connect()
        return
    except sa.exc.OperationalError as error:
        if not create or f'database "{target.database}" does not exist' not in str(error):
            _wait(f"PostgreSQL ({target.render_as_string(hide_password=True)})", connect, 30)
            return
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT", future=True)
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("select 1 from pg_database where datname = :n"), {"n": target.database}
            ).first()
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
                print(f"created database {target.database}")
    finally:
        admin.dispose()
    connect()


def main() -> int:
    tracker_url = os.environ["TRACKER_DB_URL"]
    booking_url = os.environ.get("BOOKING_DB_URL") or tracker_url
    ensure_database(tracker_url, os.environ.get("PROD_CREATE_DATABASE", "1") == "1")
    if booking_url != tracker_url and booking_url.startswith("postgresql"):
        ensure_database(booking_url, os.environ.get("PROD_CREATE_DATABASE", "1") == "1")

    from practice.booking.store import make_engine, upgrade_schema

    engine = make_engine(booking_url)
    try:
        upgrade_schema(engine)
    finally:
        engine.dispose()

    redis_url = os.environ.get("REDIS_URL")
    if redis_url:
        import redis

        client = redis.Redis.from_url(redis_url, socket_timeout=2, socket_connect_timeout=2)
        _wait("Redis", client.ping, 30)
    print("production services ready: PostgreSQL (tracker, bookings), Redis (locks, rate limits)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
