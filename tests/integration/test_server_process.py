"""The running Rasa server answers without TensorFlow loaded (rasa_ext/runtime/lazy_imports.py)."""

import os
from pathlib import Path

import pytest


@pytest.mark.skipif("RASA_SERVER_PID" not in os.environ, reason="needs scripts/test_servers.sh")
def test_the_rasa_server_has_not_loaded_tensorflow_after_answering(visitor):
    visitor.say("what is tms")
    visitor.say("I take sertraline, is that ok with TMS?")
    payload, _, _ = visitor.say("I'd like to book an evaluation")
    assert payload.get("requested_slot")
    maps = Path(f"/proc/{os.environ['RASA_SERVER_PID']}/maps").read_text()
    assert "libpython" in maps or "/python3" in maps  # it is the server's Python process
    assert "tensorflow" not in maps
