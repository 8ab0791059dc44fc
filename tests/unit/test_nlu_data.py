"""Checks on the NLU training data (data/nlu) and the held-out NLU test sets (tests/nlu).

- every file loads with Rasa's own loader;
- no held-out example (normalised) also appears in the training data;
- every intent used in either is declared in domain.yml;
- every domain intent (except nlu_fallback) has at least MIN_TRAINING_EXAMPLES examples;
- no training example is labelled with two different intents.
"""

import collections
import functools
import re
from pathlib import Path

import pytest
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.utils.io import read_yaml_file

PROJECT = Path(__file__).resolve().parents[2]
TRAIN_DIR = PROJECT / "data" / "nlu"
HELD_OUT_DIR = PROJECT / "tests" / "nlu"
DOMAIN_PATHS = [PROJECT / "domain.yml", PROJECT / "domain"]
MIN_TRAINING_EXAMPLES = 20
NLU_SUFFIXES = {".yml", ".yaml", ".json", ".md"}
# Intents Rasa adds itself; they need no training examples.
BUILT_IN_INTENTS = {"nlu_fallback"}

Example = tuple[str, str, str]  # (intent, text, file)


def normalise(text: str) -> str:
    """Lowercase, drop punctuation, collapse whitespace.

    Messages made only of punctuation or emoji would normalise to "", so they are
    compared by their stripped raw text instead.
    """
    lowered = text.lower()
    cleaned = re.sub(r"[^\w\s]|_", " ", lowered)
    cleaned = re.sub(r"\s+", " ", cleaned).strip()
    return cleaned or re.sub(r"\s+", "", lowered)


def _nlu_files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.rglob("*") if p.is_file() and p.suffix in NLU_SUFFIXES)


@functools.cache
def _load_examples(folder: Path) -> tuple[Example, ...]:
    examples: list[Example] = []
    for path in _nlu_files(folder):
        data = load_data(str(path))
        for message in data.training_examples:
            intent = message.get("intent")
            text = message.get("text")
            if intent and text is not None:
                examples.append((intent, text, str(path.relative_to(PROJECT))))
    return tuple(examples)


def training_examples() -> tuple[Example, ...]:
    return _load_examples(TRAIN_DIR)


def held_out_examples() -> tuple[Example, ...]:
    return _load_examples(HELD_OUT_DIR)


@functools.cache
def domain_intents() -> set[str]:
    files: list[Path] = []
    for path in DOMAIN_PATHS:
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files.extend(sorted(path.rglob("*.yml")) + sorted(path.rglob("*.yaml")))
    intents: set[str] = set()
    for path in files:
        content = read_yaml_file(str(path)) or {}
        for entry in content.get("intents", []) or []:
            if isinstance(entry, dict):
                intents.update(entry.keys())
            else:
                intents.add(str(entry))
    return intents


def test_nlu_files_exist_and_load():
    assert _nlu_files(TRAIN_DIR), f"no NLU training files under {TRAIN_DIR}"
    assert _nlu_files(HELD_OUT_DIR), f"no held-out NLU files under {HELD_OUT_DIR}"
    assert training_examples(), "the training files hold no intent examples"
    assert held_out_examples(), "the held-out files hold no intent examples"


def test_domain_lists_intents():
    assert domain_intents(), "domain.yml lists no intents"


def test_held_out_examples_do_not_appear_in_training():
    seen: dict[str, Example] = {}
    for example in training_examples():
        seen.setdefault(normalise(example[1]), example)
    leaks = []
    for intent, text, path in held_out_examples():
        hit = seen.get(normalise(text))
        if hit is not None:
            leaks.append(f"{path}: {text!r} ({intent}) is in {hit[2]} as {hit[1]!r} ({hit[0]})")
    assert not leaks, "held-out examples found in training data:\n" + "\n".join(leaks)


def test_every_intent_used_is_in_domain():
    declared = domain_intents()
    unknown = collections.defaultdict(set)
    for intent, _text, path in training_examples() + held_out_examples():
        if intent not in declared:
            unknown[intent].add(path)
    assert not unknown, "intents not in domain.yml: " + "; ".join(
        f"{intent} (in {', '.join(sorted(paths))})" for intent, paths in sorted(unknown.items())
    )


def test_every_domain_intent_has_enough_training_examples():
    counts = collections.Counter(intent for intent, _t, _p in training_examples())
    too_few = {
        intent: counts.get(intent, 0)
        for intent in sorted(domain_intents() - BUILT_IN_INTENTS)
        if counts.get(intent, 0) < MIN_TRAINING_EXAMPLES
    }
    assert not too_few, (
        f"domain intents with fewer than {MIN_TRAINING_EXAMPLES} training examples: "
        + ", ".join(f"{intent}={n}" for intent, n in too_few.items())
    )


@pytest.mark.parametrize("examples", [training_examples, held_out_examples], ids=["training", "held-out"])
def test_no_example_has_two_intents(examples):
    by_text = collections.defaultdict(set)
    where = collections.defaultdict(set)
    for intent, text, path in examples():
        key = normalise(text)
        by_text[key].add(intent)
        where[key].add(f"{path}:{intent}")
    conflicts = [
        f"{key!r}: {', '.join(sorted(where[key]))}"
        for key, intents in sorted(by_text.items())
        if len(intents) > 1
    ]
    assert not conflicts, "examples labelled with more than one intent:\n" + "\n".join(conflicts)
