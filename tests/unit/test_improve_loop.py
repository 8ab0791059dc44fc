"""`make improve` (improve/): the merge of exported annotations, the before/after comparison
and the promotion rule (a held-out macro-F1 drop refuses the candidate and takes the merged
files out of data/ again), on real files; tests/unit/test_improve_e2e.py trains for real."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from improve import compare, evaluate, merge, promote
from improve.evaluate import Report

EXPORT = """version: "3.1"
nlu:
  - intent: tms_insurance
    examples: |
      - do you take medicare
      - is medicare accepted
"""


def report(macro: float, predictions: list[tuple[str, str, str]]) -> Report:
    return Report(
        macro_f1=macro,
        accuracy=macro,
        predictions=sorted(predictions),
        intents={"tms_insurance": {"precision": 1, "recall": macro, "f1-score": macro, "support": 2}},
    )


def write_rasa_results(folder: Path, macro: float, successes: list, errors: list) -> Path:
    folder.mkdir(parents=True)
    (folder / "intent_report.json").write_text(
        json.dumps(
            {
                "tms_insurance": {"precision": 1.0, "recall": 0.5, "f1-score": 0.667, "support": 2},
                "accuracy": 0.5,
                "macro avg": {"f1-score": macro, "support": 2},
                "weighted avg": {"f1-score": macro, "support": 2},
            }
        )
    )
    (folder / "intent_successes.json").write_text(json.dumps(successes))
    (folder / "intent_errors.json").write_text(json.dumps(errors))
    return folder


def test_reads_rasa_test_nlu_output(tmp_path):
    def item(text, gold, got):
        return {"text": text, "intent": gold, "intent_prediction": {"name": got, "confidence": 0.9}}

    folder = write_rasa_results(
        tmp_path / "r",
        0.667,
        [item("a", "tms_insurance", "tms_insurance")],
        [item("b", "tms_insurance", "out_of_scope")],
    )
    result = evaluate.read(folder)
    assert result.macro_f1 == 0.667 and set(result.intents) == {"tms_insurance"}
    assert result.predictions == [
        ("a", "tms_insurance", "tms_insurance"),
        ("b", "tms_insurance", "out_of_scope"),
    ]


def test_changed_predictions_and_tables():
    before = report(0.5, [("a", "x", "x"), ("b", "x", "y"), ("c", "x", "y"), ("d", "z", "z")])
    after = report(0.6, [("a", "x", "y"), ("b", "x", "x"), ("c", "x", "w"), ("d", "z", "z")])
    changes = compare.changed_predictions(before, after)
    assert [(c.text, c.verdict) for c in changes] == [("a", "broken"), ("b", "fixed"), ("c", "still wrong")]
    lines = compare.change_lines(changes)
    assert "changed: 3 (fixed 1, broken 1, still wrong 1)" in lines[0]
    assert any("'b': y -> x (want x)" in line for line in lines)
    table = compare.intent_table(before, after)
    assert table[-2].split()[:3] == ["macro-F1", "0.5000", "0.6000"]


def test_merge_writes_once_and_refuses_other_content(tmp_path):
    first = merge.merge({"nlu_annotations_1.yml": EXPORT}, tmp_path)
    assert [p.name for p in first.added] == ["nlu_annotations_1.yml"] and first.examples == 2
    again = merge.merge({"nlu_annotations_1.yml": EXPORT}, tmp_path)
    assert again.added == [] and again.skipped == ["nlu_annotations_1.yml"]
    with pytest.raises(ValueError):
        merge.merge({"x.yml": "version: '3.1'\nstories: []\n"}, tmp_path)
    with pytest.raises(ValueError):
        merge.merge({"y.yml": "version: '3.1'\nnlu:\n  - regex: x\n    examples: '- a'\n"}, tmp_path)
    assert merge.safe_name("../../etc/passwd") == "passwd.yml"


@pytest.fixture
def project(tmp_path):
    for name in (
        "config.yml",
        "domain.yml",
        "build/spacy_en_tms/meta.json",
        "knowledge/crisis_lexicon.yml",
        "knowledge/medications.yml",
        "data/nlu/tms.yml",
        "practice/x.py",
        "rasa_ext/nlu/y.py",
    ):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(name)
    models = tmp_path / "models"
    models.mkdir()
    (models / "current.tar.gz").write_bytes(b"current model")
    (models / "current.sha256").write_text("old digest\n")
    (tmp_path / "candidate.tar.gz").write_bytes(b"candidate model")
    return tmp_path


def test_a_macro_f1_drop_refuses_the_candidate(project):
    merged = merge.merge({"nlu_annotations_1.yml": EXPORT}, project)
    decision = promote.decide(report(0.95, []), report(0.949, []))
    assert not decision.accepted and "dropped 0.9500 -> 0.9490" in decision.reason
    promote.apply(decision, project / "candidate.tar.gz", project / "models/current.tar.gz", merged, project)
    assert (project / "models/current.tar.gz").read_bytes() == b"current model"
    assert (project / "models/current.sha256").read_text() == "old digest\n"
    assert not (project / "data/nlu/annotations/nlu_annotations_1.yml").exists()
    assert not (project / "candidate.tar.gz").exists()


def test_the_digest_is_the_one_train_if_changed_computes(project):
    """Runs the script's own `inputs=` and `digest=` lines in the test project."""
    script = (Path(__file__).parents[2] / "scripts/train_if_changed.sh").read_text()
    lines = re.search(r"^inputs=.*?^digest=.*?$", script, re.S | re.M).group(0)
    shell = subprocess.run(
        ["bash", "-c", lines + '\necho "$digest"'], cwd=project, capture_output=True, text=True, check=True
    )
    assert shell.stdout.strip() == promote.inputs_digest(project)
    (project / "rasa_ext/channels.py").write_text("server only")  # not a training input
    assert promote.inputs_digest(project) == shell.stdout.strip()


def test_no_drop_replaces_the_model_and_records_the_inputs(project):
    merged = merge.merge({"nlu_annotations_1.yml": EXPORT}, project)
    decision = promote.decide(report(0.95, []), report(0.95, []))
    assert decision.accepted
    promote.apply(decision, project / "candidate.tar.gz", project / "models/current.tar.gz", merged, project)
    assert (project / "models/current.tar.gz").read_bytes() == b"candidate model"
    assert (project / "models/current.previous.tar.gz").read_bytes() == b"current model"
    assert (project / "data/nlu/annotations/nlu_annotations_1.yml").exists()
    digest = (project / "models/current.sha256").read_text().strip()
    assert digest == promote.inputs_digest(project) != "old digest"
    # The merged file is one of the hashed inputs (train_if_changed sees the same model).
    (project / "data/nlu/annotations/nlu_annotations_1.yml").write_text("changed")
    assert promote.inputs_digest(project) != digest


def test_tolerance_allows_a_small_drop_only():
    assert promote.decide(report(0.95, []), report(0.945, []), tolerance=0.01).accepted
    assert not promote.decide(report(0.95, []), report(0.93, []), tolerance=0.01).accepted
