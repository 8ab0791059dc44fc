"""Held-out evaluation of a model: `rasa test nlu --successes` on tests/nlu, read back as
per-intent scores and every message's prediction."""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path

SUMMARY_ROWS = ("micro avg", "macro avg", "weighted avg", "accuracy")


@dataclass
class Report:
    macro_f1: float
    accuracy: float
    intents: dict[str, dict[str, float]]  # intent -> precision, recall, f1-score, support
    predictions: list[tuple[str, str, str]]  # (text, gold intent, predicted intent)


def read(results_dir: Path) -> Report:
    report = json.loads((results_dir / "intent_report.json").read_text())
    intents = {
        k: v for k, v in report.items() if isinstance(v, dict) and "support" in v and k not in SUMMARY_ROWS
    }
    predictions = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = results_dir / name
        if path.exists():
            for item in json.loads(path.read_text()):
                predicted = (item.get("intent_prediction") or {}).get("name") or ""
                predictions.append((item["text"], item["intent"], predicted))
    predictions.sort()
    return Report(
        macro_f1=float(report["macro avg"]["f1-score"]),
        accuracy=float(report.get("accuracy", float("nan"))),
        intents=intents,
        predictions=predictions,
    )


def evaluate(model: Path, heldout: Path, out: Path, rasa: str = ".venv/bin/rasa") -> Report:
    subprocess.run(
        [rasa, "test", "nlu", "--nlu", str(heldout), "--model", str(model), "--out", str(out), "--successes"],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return read(out)
