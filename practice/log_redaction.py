"""Keeps personal data out of the logs of the Rasa server and the action server.

At Rasa's default level (INFO) neither server logs message text; what can carry personal data
are errors: SQLAlchemy puts the statement's parameters (a visitor's message inside an event,
a booking's name and contact) into its exception text, and tracebacks repeat it. `install()`
wraps the log record factory, so every record of every logger, whatever handler or formatter
prints it (Rasa's coloredlogs, structlog, a logging config file), has before it is emitted:

- SQLAlchemy `[parameters: ...]` lines replaced by `[parameters: hidden]`,
- email addresses replaced by `[email]`, phone numbers by `[phone]`,

in its message and in its traceback. Installed on import by rasa_ext/channels/rest_channel.py (Rasa
server) and actions/__init__.py (action server); idempotent.
"""

from __future__ import annotations

import logging
import re
from typing import Any

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# North American numbers as visitors type them: +1 (503) 555-0123, 503.555.0123, 5035550123.
PHONE = re.compile(r"(?<![\w.])(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?!\w|\.\d)")
SQL_PARAMETERS = re.compile(r"\[parameters: [^\n]*")

_formatter = logging.Formatter()
_installed = False


def redact(text: str) -> str:
    text = SQL_PARAMETERS.sub("[parameters: hidden]", text)
    text = EMAIL.sub("[email]", text)
    return PHONE.sub("[phone]", text)


def _redact_record(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # a broken format string: leave it to the handler to report
        return
    redacted = redact(message)
    if redacted != message:
        record.msg, record.args = redacted, ()
    if record.exc_info and not record.exc_text:
        record.exc_text = redact(_formatter.formatException(record.exc_info))


def install() -> None:
    """Redacts every log record created from now on in this process."""
    global _installed
    if _installed:
        return
    base = logging.getLogRecordFactory()

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = base(*args, **kwargs)
        _redact_record(record)
        return record

    logging.setLogRecordFactory(factory)
    _installed = True
