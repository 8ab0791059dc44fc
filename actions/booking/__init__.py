"""Booking a telehealth evaluation: slot finder, store, form validation and actions (issue 4)."""
