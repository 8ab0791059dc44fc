"""The knowledge files and clinic.yml are checked when loaded; errors name the file and field."""

import shutil
from pathlib import Path

import pytest
import yaml

from practice.knowledge.loader import KnowledgeBase
from practice.knowledge.schema import KnowledgeError, read_clinic
from practice.paths import CLINIC_FILE, KNOWLEDGE_DIR


@pytest.fixture()
def copies(tmp_path: Path):
    """Copies of the knowledge folder and clinic.yml to break one field at a time."""
    knowledge = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, knowledge)
    clinic = tmp_path / "clinic.yml"
    shutil.copy(CLINIC_FILE, clinic)
    return knowledge, clinic


def edit(path: Path, change) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")


def test_the_projects_own_files_pass():
    kb = KnowledgeBase()
    assert kb.topics and kb.sources and kb.phrases
    assert read_clinic(CLINIC_FILE)["name"]


@pytest.mark.parametrize(
    "file,change,named",
    [
        ("topics.yml", lambda d: d["topics"]["tms.side_effects"].pop("answer"), "tms.side_effects.answer"),
        (
            "topics.yml",
            lambda d: d["topics"]["tms.side_effects"].update(offer_booking="maybe"),
            "offer_booking",
        ),
        ("topics.yml", lambda d: d["topics"].pop("fallback"), "fallback"),
        ("sources.yml", lambda d: d["sources"]["mayo_tms"].update(url="not a url"), "mayo_tms.url"),
        ("sources.yml", lambda d: d["sources"]["mayo_tms"].update(titel="typo"), "mayo_tms.titel"),
        ("phrases.yml", lambda d: d["phrases"].update(deferral=""), "phrases.deferral"),
    ],
)
def test_a_broken_knowledge_file_names_the_file_and_the_field(copies, file, change, named):
    knowledge, clinic = copies
    edit(knowledge / file, change)
    with pytest.raises(KnowledgeError) as error:
        KnowledgeBase(knowledge_dir=knowledge, clinic_file=clinic)
    assert str(error.value).startswith(file) and named in str(error.value)


@pytest.mark.parametrize(
    "change,named",
    [
        (lambda d: d.pop("name"), "name"),
        (lambda d: d.update(timezone="Mars/Olympus"), "timezone"),
        (lambda d: d["contact"].pop("email"), "contact.email"),
        (lambda d: d["availability"].update(slot_minutes=0), "availability.slot_minutes"),
    ],
)
def test_a_broken_clinic_file_names_the_field(copies, change, named):
    knowledge, clinic = copies
    edit(clinic, change)
    with pytest.raises(KnowledgeError) as error:
        KnowledgeBase(knowledge_dir=knowledge, clinic_file=clinic)
    assert str(error.value).startswith("clinic.yml") and named in str(error.value)


def test_invalid_yaml_is_named(copies):
    knowledge, clinic = copies
    (knowledge / "phrases.yml").write_text("phrases: [unclosed", encoding="utf-8")
    with pytest.raises(KnowledgeError, match="phrases.yml: not valid YAML"):
        KnowledgeBase(knowledge_dir=knowledge, clinic_file=clinic)
