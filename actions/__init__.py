"""The action server: answers from the knowledge base, booking, medications."""

from practice import log_redaction

log_redaction.install()  # no emails, phone numbers or SQL parameters in the action server's logs
