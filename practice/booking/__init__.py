"""Booking rules: visitor fields, appointment times, the booking store (Alembic)."""
