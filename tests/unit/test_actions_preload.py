"""actions/preload.py: what the first visitor would wait for is loaded at start, never fatally."""

from actions import preload
from practice.booking import service as booking_service_module


def test_preload_tolerates_a_database_without_the_schema(tmp_path, monkeypatch):
    monkeypatch.setenv("BOOKING_DB_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    booking_service_module._default_service.cache_clear()
    try:
        preload.preload()  # the bookings table is missing: logged, not raised
    finally:
        booking_service_module._default_service.cache_clear()


def test_preload_leaves_a_remote_database_for_first_use(monkeypatch):
    monkeypatch.setenv("BOOKING_DB_URL", "postgresql://nobody@192.0.2.1:5432/none")  # TEST-NET: unroutable
    booking_service_module._default_service.cache_clear()
    try:
        preload.preload()  # returns at once: no connection attempt
        assert booking_service_module._default_service()._store is None
    finally:
        booking_service_module._default_service.cache_clear()
