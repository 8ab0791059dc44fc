"""Annotating visitor messages and exporting them as Rasa NLU data that `rasa data validate`
accepts next to the project's own data."""

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from console.annotations import build_export, domain_intents, existing_examples, training_text
from tests.console.conftest import ROOT

RASA = ROOT / ".venv" / "bin" / "rasa"


def user_event_ids(console, sender):
    return [
        int(i)
        for i in re.findall(
            r'<li class="turn user[^"]*" id="m(\d+)"', console.get(f"/transcript?sender={sender}").text
        )
    ]


def annotate(console, sender, index, intent, note=""):
    event_id = user_event_ids(console, sender)[index]
    return console.post(
        "/annotate",
        {"sender": sender, "event_id": str(event_id), "intent": intent, "note": note},
        allow_redirects=False,
    )


def warnings_of(output: str):
    return sorted(
        {line.split("UserWarning:", 1)[1].strip() for line in output.splitlines() if "UserWarning:" in line}
    )


def validate(data_dir: Path):
    result = subprocess.run(
        [
            str(RASA),
            "data",
            "validate",
            "--data",
            str(data_dir),
            "--domain",
            str(ROOT / "domain.yml"),
            "--config",
            str(ROOT / "config.yml"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result.returncode, warnings_of(result.stdout + result.stderr), result.stdout + result.stderr


@pytest.fixture(scope="module")
def baseline_warnings(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("baseline")
    shutil.copytree(ROOT / "data", tmp / "data")
    code, warnings, output = validate(tmp / "data")
    assert code == 0, output
    return warnings


def test_annotate_export_and_validate(staff, tmp_path, baseline_warnings):
    r = annotate(staff, "conv-fallback", 0, "out_of_scope", "weather question")
    assert r.status_code == 302 and "done=annotated" in r.headers["Location"]
    assert annotate(staff, "conv-side-effects", 1, "tms_side_effects").status_code == 302
    assert annotate(staff, "conv-lowconf", 0, "tms_candidates", "dad").status_code == 302
    assert (
        annotate(staff, "conv-handoff", 0, "__needs_new_answer__", "asks for a callback").status_code == 302
    )
    # Not an intent of the domain: refused, nothing stored.
    bad = annotate(staff, "conv-crisis", 0, "made_up_intent")
    assert "done=bad_intent" in bad.headers["Location"]
    page = staff.get("/transcript?sender=conv-fallback").text
    assert "right intent <b>out_of_scope</b>" in page and "weather question" in page

    pending = staff.get("/annotations").text
    assert pending.count('<tr><td class="msg">') == 4
    assert "jane.doe@example.com" not in pending

    response = staff.post("/annotations/export", {})
    assert response.status_code == 200
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="nlu_annotations_')
    content = response.text
    parsed = yaml.safe_load(content)
    assert parsed["version"] == "3.1"
    examples = {block["intent"]: block["examples"] for block in parsed["nlu"]}
    assert examples == {
        "out_of_scope": "- whats the weather like on mars\n",
        "tms_candidates": "- is it ok for someone like my dad\n",
        "tms_side_effects": "- my email is name@example.com, does tms hurt?\n",
    }
    assert "# Messages that need a new answer" in content and "asks for a callback" in content
    assert "jane.doe" not in content

    # Ready to merge: next to the project's data, `rasa data validate` accepts it and adds
    # no warning of its own.
    shutil.copytree(ROOT / "data", tmp_path / "data")
    (tmp_path / "data" / "nlu" / "console_export.yml").write_text(content, encoding="utf-8")
    code, warnings, output = validate(tmp_path / "data")
    assert code == 0, output
    assert warnings == baseline_warnings

    # Everything is exported once: the next export has nothing to do; the file stays
    # downloadable from the list of exports.
    again = staff.post("/annotations/export", {}, allow_redirects=False)
    assert again.status_code == 302 and "nothing_to_export" in again.headers["Location"]
    export_id = re.search(r'href="/annotations/exports/(\d+)"', staff.get("/annotations").text).group(1)
    assert staff.get(f"/annotations/exports/{export_id}").text == content
    audit = staff.get("/audit").text
    assert "export_annotations" in audit and "annotate" in audit


def test_build_export_rules():
    intents = domain_intents(ROOT / "domain.yml")
    existing = existing_examples(ROOT / "data")
    some_text, labels = next(iter(existing.items()))
    label = sorted(labels)[0]
    other = next(i for i in intents if i not in labels)
    items = [
        {"id": 1, "message_text": some_text, "intent": label, "needs_new_answer": False, "note": None},
        {
            "id": 2,
            "message_text": some_text.upper(),
            "intent": other,
            "needs_new_answer": False,
            "note": None,
        },
        {
            "id": 3,
            "message_text": training_text("call me on (971) 555-0199 [now](x) {y}"),
            "intent": "clinic_contact",
            "needs_new_answer": False,
            "note": None,
        },
        {
            "id": 4,
            "message_text": "two annotations",
            "intent": "deny",
            "needs_new_answer": False,
            "note": None,
        },
        {
            "id": 5,
            "message_text": "Two  annotations",
            "intent": "affirm",
            "needs_new_answer": False,
            "note": None,
        },
    ]
    content, count = build_export(items[:1], intents, existing, "alice")
    assert count == 0 and "already an example" in content and yaml.safe_load(content)["nlu"] == []
    content, count = build_export(items, intents, existing, "alice")
    parsed = yaml.safe_load(content)
    blocks = {b["intent"]: b["examples"] for b in parsed["nlu"]}
    # A conflict with data/ is listed for a person to resolve, never exported.
    assert "Conflicts to resolve by hand" in content and other not in blocks
    assert blocks["clinic_contact"] == "- call me on 555-555-0100 (now)(x) (y)\n"
    # The later annotation of the same text wins.
    assert blocks["affirm"] == "- Two annotations\n" and "deny" not in blocks
    assert count == 2


def test_training_text_masks_personal_values():
    assert (
        training_text("I'm Jane Doe, jane@x.org\nthanks", ["Jane Doe"])
        == "I'm Alex Doe, name@example.com thanks"
    )
