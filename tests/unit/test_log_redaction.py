"""practice/log_redaction.py: no emails, phone numbers or SQL parameters in any log record."""

import logging

from practice import log_redaction


def test_redact():
    text = (
        "mail dana.w+tms@example.com, phone (503) 555-0123 / +1 503.555.0123 / 5035550123; "
        "ts 1732500000.123 port 127.0.0.1:5432\n[SQL: INSERT INTO bookings]\n"
        "[parameters: {'contact': 'x@y.org', 'full_name': 'Dana'}]"
    )
    out = log_redaction.redact(text)
    assert "example.com" not in out and "555" not in out and "Dana" not in out and "x@y" not in out
    assert out.count("[phone]") == 3 and "[parameters: hidden]" in out
    assert "1732500000.123" in out and "127.0.0.1:5432" in out


def test_installed_factory_redacts_messages_and_tracebacks(caplog):
    log_redaction.install()
    log_redaction.install()  # idempotent
    logger = logging.getLogger("tests.redaction")
    with caplog.at_level(logging.INFO):
        logger.info("booked for %s", "dana@example.com")
        try:
            raise RuntimeError("insert failed\n[parameters: {'contact': '+15035550123'}]")
        except RuntimeError:
            logger.exception("booking failed for 503-555-0123")
    text = caplog.text + "".join(r.exc_text or "" for r in caplog.records)
    assert "dana@example.com" not in text and "5035550123" not in text and "555-0123" not in text
    assert "[email]" in text and "[parameters: hidden]" in text
