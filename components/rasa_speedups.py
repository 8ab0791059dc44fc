"""Removes per-turn work Rasa 3.6 repeats for nothing (issue 7; measured by `make bench`).

`RemoteAction._validate_action_result` checks every action server response with
`jsonschema.validate(response, schema)`, which first validates the *schema* against the
JSON-Schema 2020-12 meta-schema, on every call: ~19 ms of CPU per custom action call on this
machine, more than the whole NLU pipeline, on the one event loop that serves every visitor.
`install()` makes it validate against the same schema with a validator built once (~0.5 ms):
same checks, same `ValidationError` (and message) for a bad response.

Installed on import by components/channels.py (the Rasa server loads it via credentials.yml);
idempotent; a Rasa version without the method is left alone. RASA_SPEEDUPS=0 turns it off
(to measure the difference).
"""
from __future__ import annotations

import functools
import logging
import os
from typing import Any, Dict, Text

logger = logging.getLogger(__name__)

_installed = False


@functools.lru_cache(maxsize=None)
def _validator(action_class: type) -> Any:
    """One validator per action class (its schema is a constant of the class)."""
    from jsonschema import validators

    schema = action_class.action_response_format_spec()
    cls = validators.validator_for(schema)
    cls.check_schema(schema)  # once, where jsonschema.validate() does it on every call
    return cls(schema)


def _validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
    from jsonschema.exceptions import best_match

    from rasa.shared.constants import DOCS_BASE_URL

    # The error jsonschema.validate() would raise (the best match), with Rasa's message.
    e = best_match(_validator(type(self)).iter_errors(result))
    if e is not None:
        e.message += (
            f". Failed to validate Action server response from API, "
            f"make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise e
    return True


def install() -> None:
    global _installed
    if _installed or os.environ.get("RASA_SPEEDUPS", "1") == "0":
        return
    from rasa.core.actions.action import RemoteAction

    if not hasattr(RemoteAction, "_validate_action_result"):
        logger.warning("rasa_speedups: RemoteAction._validate_action_result not found; not patched")
        return
    RemoteAction._validate_action_result = _validate_action_result
    _installed = True
