"""Messages that bookings and call-back requests cause: written to a transactional outbox in
the same database transaction as the change, delivered by `python -m practice.notifications.worker`.

Rasa-free: nothing here imports Rasa or the action server (docs/notifications.md).
"""
