"""Answer edits (console/answer_edits): the schema checks and the patch to topics.yml, on the
project's real knowledge files."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from console.answer_edits import knowledge, patch, validate

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def kb():
    return knowledge.load(ROOT / "knowledge")


@pytest.fixture(scope="module")
def raw():
    return knowledge.raw_topics(ROOT / "knowledge")


def entry(raw, topic, **changes):
    base = {
        "answer": raw[topic]["answer"],
        "detail": raw[topic].get("detail"),
        "sources": list(raw[topic].get("sources") or []),
    }
    base.update(changes)
    return base


def test_deferral_typed_into_the_text_is_refused(kb, raw):
    text = "TMS is a treatment for depression. " + kb.phrases["deferral"]
    errors = validate.check_entry(
        kb, "tms.overview", raw["tms.overview"], entry(raw, "tms.overview", answer=text)
    )
    assert any("must not repeat the deferral" in e for e in errors)


def test_deferral_and_citations_stay_in_the_rendered_answer(kb, raw):
    new = entry(raw, "tms.overview", answer="TMS uses magnetic pulses. It treats depression.")
    assert validate.check_entry(kb, "tms.overview", raw["tms.overview"], new) == []
    shown = knowledge.render(kb, "tms.overview", new["answer"], None, new["sources"])
    assert kb.phrases["deferral"] in shown.answer
    assert all(s.url in shown.answer for s in kb.topics["tms.overview"].sources)


def test_clinic_topic_without_deferral_is_fine_and_unknown_fields_are_not(kb, raw):
    topic = "clinic.location"
    assert not knowledge.defers(topic)
    assert (
        validate.check_entry(
            kb,
            topic,
            raw[topic],
            entry(raw, topic, answer="We are online only; call {{ clinic.contact.phone }}."),
        )
        == []
    )
    errors = validate.check_entry(kb, topic, raw[topic], entry(raw, topic, colour="red"))
    assert errors == ["unknown fields: colour"]


def test_patch_touches_only_the_topic_and_applies(tmp_path, raw):
    new = entry(
        raw,
        "tms.procedure",
        answer="You come once a day, five days a week.\n\n- about 4 to 6 weeks\n- 20 to 40 minutes a session",
    )
    text = patch.make_patch("tms.procedure", new, ROOT / "knowledge")
    changed = [
        line
        for line in text.splitlines()
        if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))
    ]
    assert "+    answer: |-" in changed  # a list keeps its lines
    removed = " ".join(line[1:].strip() for line in changed if line.startswith("-"))
    assert " ".join(raw["tms.procedure"]["answer"].split()) in removed  # only the old answer
    tree = tmp_path / "knowledge"
    shutil.copytree(ROOT / "knowledge", tree)
    (tmp_path / "p.patch").write_text(text)
    subprocess.run(["git", "apply", "p.patch"], cwd=tmp_path, check=True)
    before = yaml.safe_load((ROOT / "knowledge/topics.yml").read_text())["topics"]
    after = yaml.safe_load((tree / "topics.yml").read_text())["topics"]
    assert {k: v for k, v in after.items() if k != "tms.procedure"} == {
        k: v for k, v in before.items() if k != "tms.procedure"
    }
    assert after["tms.procedure"]["answer"].startswith("You come once a day")
    assert "- 20 to 40 minutes a session" in after["tms.procedure"]["answer"]
    assert after["tms.procedure"]["detail"] == before["tms.procedure"]["detail"]


def test_patch_refuses_a_removed_source_and_an_unreviewed_new_one(raw):
    with pytest.raises(patch.PatchError, match="cannot be removed"):
        patch.make_patch(
            "tms.overview",
            entry(raw, "tms.overview", sources=raw["tms.overview"]["sources"][1:]),
            ROOT / "knowledge",
        )
    with pytest.raises(patch.PatchError, match="reviewed_against"):
        patch.make_patch(
            "tms.overview",
            entry(raw, "tms.overview", sources=[*raw["tms.overview"]["sources"], "cleveland_tms"]),
            ROOT / "knowledge",
        )
