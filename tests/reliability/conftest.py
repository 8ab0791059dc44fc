"""The production profile, started once for the whole reliability suite (tests/reliability/stack.py).

Run by `make test-integration`. Needs the PostgreSQL and Redis of the machine (127.0.0.1;
RELIABILITY_PG_ADMIN_URL, RELIABILITY_REDIS_HOST/PORT/DB to point elsewhere); fails, not
skips, without them: this suite is the proof the production profile works.
"""

import atexit
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from tests.reliability.stack import FIGURES, ROOT, Stack, write_test_clinic

# Before any test module imports practice.knowledge.loader, which reads CLINIC_FILE once.
_clinic_dir = tempfile.mkdtemp(prefix="reliability-clinic-")
atexit.register(shutil.rmtree, _clinic_dir, True)
os.environ["CLINIC_FILE"] = str(write_test_clinic(Path(_clinic_dir) / "clinic.yml"))

# Faults restart processes, so they run after the load, race and fuzz runs; the log check last.
ORDER = [
    "test_security",
    "test_load",
    "test_booking_race",
    "test_fuzz",
    "test_faults",
    "test_fault_drill",
    "test_logs",
]


def pytest_collection_modifyitems(items):
    def rank(item):
        module = Path(str(item.fspath)).stem
        return ORDER.index(module) if module in ORDER else len(ORDER)

    items.sort(key=rank)


@pytest.fixture(scope="session")
def stack():
    started = time.monotonic()
    stack = Stack()
    try:
        stack.start()
    except Exception:
        stack.stop()
        raise
    FIGURES["startup_seconds"] = round(time.monotonic() - started, 1)
    yield stack
    stack.stop()


def pytest_terminal_summary(terminalreporter):
    if not FIGURES:
        return
    figures = dict(sorted(FIGURES.items()))
    terminalreporter.section("reliability figures")
    for key, value in figures.items():
        terminalreporter.write_line(f"{key:>34}: {value}")
    out = ROOT / "results"
    out.mkdir(exist_ok=True)
    (out / "reliability.json").write_text(json.dumps(figures, indent=2) + "\n")
