"""Placeholder contact details in the clinic file: `make run` warns, production refuses.

The shipped clinic.yml still has its EXAMPLE values, so these tests use it as it is, and a
copy with test values (as tests/reliability does) for the other side.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from practice.knowledge.clinic_placeholders import looks_like_placeholder, main, marked_keys, placeholders
from practice.paths import PROJECT_ROOT
from tests.reliability.stack import TEST_CONTACT, write_test_clinic

SHIPPED = PROJECT_ROOT / "clinic.yml"


@pytest.fixture
def test_clinic(tmp_path: Path) -> Path:
    return write_test_clinic(tmp_path / "clinic.yml")


def test_shipped_clinic_file_reports_its_example_contact_values() -> None:
    found = dict(placeholders(SHIPPED))
    assert {"contact.phone", "contact.email", "contact.hours"} <= set(found)
    assert "555" in found["contact.phone"] and "example.com" in found["contact.email"]


def test_clinic_file_with_test_values_has_no_placeholder(test_clinic: Path) -> None:
    assert placeholders(test_clinic) == []


def test_lookalike_values_count_even_without_the_example_mark(tmp_path: Path, test_clinic: Path) -> None:
    text = test_clinic.read_text(encoding="utf-8").replace(TEST_CONTACT["email"], "hello@example.org")
    path = tmp_path / "unmarked.yml"
    path.write_text(text, encoding="utf-8")
    assert placeholders(path) == [("contact.email", "hello@example.org")]


@pytest.mark.parametrize(
    "value",
    [
        "(503) 555-0142",
        "503.555.0199",
        "+1 971 555 1212",
        "care@example.com",
        "https://clinic.example",
        "a@b.invalid",
    ],
)
def test_placeholder_lookalikes(value: str) -> None:
    assert looks_like_placeholder(value)


@pytest.mark.parametrize(
    "value",
    [
        "(503) 010-4242",
        "care@clinic.test",
        "(503) 494-5550",
        "https://www.synchronousmentalhealth.com",
        "care@examples.com",
    ],
)
def test_real_looking_values_are_not_placeholders(value: str) -> None:
    assert not looks_like_placeholder(value)


def test_marked_keys_follow_the_nesting() -> None:
    text = "name: X\ncontact:\n  phone: '1'   # EXAMPLE\n  email: e\nhours: h  # EXAMPLE - replace\n"
    assert marked_keys(text) == ["contact.phone", "hours"]


def test_warn_mode_succeeds_and_prints_a_loud_warning(capsys: pytest.CaptureFixture) -> None:
    assert main(["--warn", "--clinic-file", str(SHIPPED)]) == 0
    err = capsys.readouterr().err
    assert "WARNING" in err and "contact.phone" in err and err.startswith("!!!")


def test_refuse_mode_fails_on_placeholders_only(capsys: pytest.CaptureFixture, test_clinic: Path) -> None:
    assert main(["--refuse", "--clinic-file", str(SHIPPED)]) == 1
    assert "REFUSING TO START" in capsys.readouterr().err
    assert main(["--refuse", "--clinic-file", str(test_clinic)]) == 0


def _run_prod(clinic_file: Path) -> subprocess.CompletedProcess:
    # "no-such-part" makes the script stop with its usage message right after the check, so
    # nothing is started either way.
    env = {**os.environ, "CLINIC_FILE": str(clinic_file), "RASA_AUTH_TOKEN": "unit-test"}
    return subprocess.run(
        ["scripts/run_prod.sh", "no-such-part"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_profile_refuses_to_start_with_placeholder_contact_details() -> None:
    result = _run_prod(SHIPPED)
    assert result.returncode == 1
    assert "REFUSING TO START" in result.stderr and "contact.email" in result.stderr
    assert "usage" not in result.stderr


def test_production_profile_passes_the_check_with_a_test_clinic_file(test_clinic: Path) -> None:
    result = _run_prod(test_clinic)
    assert result.returncode == 2 and "usage" in result.stderr
    assert "REFUSING" not in result.stderr


def test_make_run_warns_before_starting_anything() -> None:
    script = (PROJECT_ROOT / "scripts" / "run.sh").read_text(encoding="utf-8")
    warn = script.index("practice.knowledge.clinic_placeholders --warn")
    assert warn < script.index("rasa run actions") and warn < script.index("rasa_ext.runtime.main")
