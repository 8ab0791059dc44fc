#!/usr/bin/env python3
"""Measures medication recognition: misspellings found, and ordinary words wrongly matched.

Run after changing knowledge/medications.yml or the matching rules in
practice/medications/catalog.py, and quote the numbers when tuning:

    .venv/bin/python scripts/measure_medication_matching.py [--show]

Checks (all offline):
1. every NLU sentence in data/nlu and tests/nlu outside the intents that name medications
   (meds_specific, inform): any medication found there in a word that is not a listed name
   or a known misspelling is a false positive;
2. every English word in spaCy's lemma tables that is not a medication name: none may match;
   also reports how many would match on edit distance alone, without the English-word guard;
3. the misspelling table tests/unit/medication_misspellings.yml: how many are recognised;
4. one-typo variants (drop, double, swap, vowel change) of the 30,000 commonest words:
   how many are read as a medication.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from practice.medications import catalog as meds  # noqa: E402

MEDICATION_INTENTS = {"meds_specific", "inform"}
MISSPELLINGS_FILE = ROOT / "tests" / "unit" / "medication_misspellings.yml"
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def nlu_sentences(root: Path = ROOT) -> Iterator[tuple[str, str, str]]:
    """(file, intent, sentence) for every example in data/nlu and tests/nlu."""
    for folder in ("data/nlu", "tests/nlu"):
        for path in sorted((root / folder).glob("*.yml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for block in data.get("nlu") or []:
                intent = block.get("intent")
                if not intent:
                    continue
                for line in str(block.get("examples") or "").splitlines():
                    line = line.strip()
                    if line.startswith("- "):
                        yield str(path.relative_to(root)), intent, _ANNOTATION.sub(r"\1", line[2:])


def misspellings() -> dict[str, str]:
    return yaml.safe_load(MISSPELLINGS_FILE.read_text(encoding="utf-8"))


def sentence_false_positives(matcher: meds.MedicationMatcher) -> tuple[int, int, list[tuple]]:
    known_typos = set(misspellings())
    sentences = tokens = 0
    wrong = []
    for path, intent, text in nlu_sentences():
        if intent in MEDICATION_INTENTS:
            continue
        sentences += 1
        tokens += len(meds.tokenize(text))
        for mention in matcher.find(text):
            typed = meds.normalise(mention.text)
            if matcher.lookup_exact(typed) or typed in known_typos:
                continue  # a real medication named outside a medication intent
            wrong.append((path, intent, text, mention.text, mention.name.name))
    return sentences, tokens, wrong


def english_word_matches(matcher: meds.MedicationMatcher) -> tuple[int, list[str], list[str]]:
    """(words checked, words matched with the guard, words matched on distance alone)."""
    unguarded = meds.MedicationMatcher(matcher.catalog, english=(), common=(), stop=())
    words = [w for w in meds.english_words() if not matcher.lookup_exact(w)]
    guarded = [w for w in words if matcher.fuzzy_lookup(w)]
    raw = [w for w in words if unguarded.fuzzy_lookup(w)]
    return len(words), guarded, raw


def typo_variants(word: str) -> set:
    out = set()
    for i in range(len(word)):
        out.add(word[:i] + word[i + 1 :])
        out.add(word[:i] + word[i] + word[i:])
        if i < len(word) - 1:
            out.add(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
        for vowel in "aeiou":
            out.add(word[:i] + vowel + word[i + 1 :])
    out.discard(word)
    return out


def common_word_typos(matcher: meds.MedicationMatcher, top: int = 30000) -> tuple[int, list[tuple]]:
    words = _top_words(top)
    checked = 0
    wrong = []
    for word in words:
        if len(word) < meds.MIN_FUZZY_LENGTH or matcher.lookup_exact(word):
            continue
        for variant in typo_variants(word):
            if matcher.is_protected(variant) or matcher.lookup_exact(variant):
                continue
            checked += 1
            match = matcher.fuzzy_lookup(variant)
            if match:
                wrong.append((word, variant, match[0].name))
    return checked, wrong


def _top_words(n: int) -> list[str]:
    import gzip
    import json

    path = meds._lookups_file("lexeme_prob")
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        probs = json.load(handle)
    ranked = sorted((w for w in probs if w.isalpha() and w.islower()), key=lambda w: -probs[w])
    return ranked[:n]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--show", action="store_true", help="list every match found")
    parser.add_argument("--skip-typos", action="store_true", help="skip check 4 (slow)")
    args = parser.parse_args()
    matcher = meds.default_matcher()

    sentences, tokens, wrong = sentence_false_positives(matcher)
    print(
        f"NLU sentences (non-medication intents): {sentences} sentences, {tokens} words, "
        f"{len(wrong)} false positives"
    )
    for item in wrong:
        print("  FP", *item, sep=" | ")

    checked, guarded, raw = english_word_matches(matcher)
    print(
        f"English words (spaCy lemma tables, not medication names): {checked} checked, "
        f"{len(guarded)} matched; {len(raw)} would match on edit distance alone"
    )
    if args.show:
        print("  distance alone:", ", ".join(sorted(raw)))
    for word in guarded:
        print("  FP", word)

    table = misspellings()
    missed = [t for t, g in table.items() if [m.generic for m in matcher.find(f"is {t} ok")] != [g]]
    print(f"Misspelling table: {len(table) - len(missed)} of {len(table)} recognised")
    for typo in missed:
        print("  MISSED", typo, "->", table[typo])

    if not args.skip_typos:
        checked, wrong_typos = common_word_typos(matcher)
        print(
            f"One-typo variants of the 30,000 commonest words: {checked} checked, "
            f"{len(wrong_typos)} read as a medication"
        )
        if args.show:
            for item in wrong_typos:
                print("  ", *item)
    return 1 if wrong or guarded or missed else 0


if __name__ == "__main__":
    sys.exit(main())
