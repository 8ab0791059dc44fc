"""Finds the words people use for a whole medication class: "my benzo", "my SSRI", "sleeping
pills", "my antidepressant" (classes[].terms and families in knowledge/medications.yml).

Pure Python, like practice/medications/catalog.py, whose English word lists it shares. A span of
one to four words matches a class word when its letters, spaces and hyphens dropped, equal the
word's (so "anti-psychotic", "anti psychotic" and "antipsychotic" agree), also with a plural
or possessive ending. Long words also match with a typo ("benzodiazapine", "antidepressent"),
under the same guards as misspelt medication names: an English word is never a typo, and
the first letter must agree. Longer spans win ("tricyclic antidepressant" is a tricyclic,
not any antidepressant).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from practice.medications.catalog import (
    ClassWord,
    MedicationCatalog,
    MedicationMatcher,
    Token,
    default_matcher,
    edits1,
    osa_distance,
    squash,
    tokenize,
)

CLASS_ENTITY = "medication_class"
MAX_WORDS = 4
# Typos are considered only in class words at least this long: short ones ("benzo",
# "SSRI") are one letter away from too many other words.
MIN_FUZZY_LENGTH = 8
_ENDINGS = ("", "s", "es")  # after squash(): "SSRI's" is "ssris"


@dataclass(frozen=True)
class ClassMention:
    """A class or family word found in a text."""

    start: int
    end: int
    text: str  # as typed
    word: ClassWord
    distance: int = 0

    @property
    def target(self) -> str:
        """The class id, or the family id for a family word."""
        return self.word.target

    @property
    def classes(self) -> tuple[str, ...]:
        return self.word.classes

    @property
    def is_family(self) -> bool:
        return self.word.is_family

    @property
    def confidence(self) -> float:
        return round(1.0 - self.distance / (len(squash(self.word.term)) + 1), 3)


def _allowed_distance(length: int) -> int:
    if length < MIN_FUZZY_LENGTH:
        return 0
    return 1 if length < 12 else 2


class ClassWordMatcher:
    def __init__(self, matcher: MedicationMatcher | None = None) -> None:
        self.matcher = matcher or default_matcher()
        self.catalog: MedicationCatalog = self.matcher.catalog
        self._fuzzy_keys = [k for k in self.catalog.class_words if len(k) >= MIN_FUZZY_LENGTH]

    def lookup(self, span: str) -> tuple[ClassWord, int] | None:
        """The class word a span of text is (possibly misspelt), with the number of edits."""
        exact = self._exact(span)
        if exact is not None:
            return exact, 0
        return self._fuzzy(span, squash(span))

    def _fuzzy(self, span: str, key: str) -> tuple[ClassWord, int] | None:
        words = [w for w in span.lower().replace("-", " ").split() if w]
        # The typo must be in a word that is not English ("stablizer", not "stabilizing").
        if not words or all(self.matcher.is_protected(w) for w in words):
            return None
        if len(words) == 1 and self._near_other_word(words[0]):
            return None
        best: tuple[int, str] | None = None
        tied = False
        for candidate in self._fuzzy_keys:
            if candidate[0] != key[:1]:
                continue
            for form in (key, key[:-1] if key.endswith("s") else key):
                allowed = _allowed_distance(min(len(candidate), len(form)))
                distance = osa_distance(form, candidate, allowed)
                if 0 < distance <= allowed:
                    target = self.catalog.class_words[candidate].target
                    if best is None or distance < best[0]:
                        best, tied = (distance, candidate), False
                    elif distance == best[0] and target != self.catalog.class_words[best[1]].target:
                        tied = True
        if best is None or tied:
            return None
        return self.catalog.class_words[best[1]], best[0]

    def _near_other_word(self, word: str) -> bool:
        """One typo from a common word that is not itself a class word ("stimulents" is one
        from "stimulants", which is the class word, so it still counts)."""
        return any(
            variant in self.matcher.competitors and self._exact(variant) is None for variant in edits1(word)
        )

    def _exact(self, span: str) -> ClassWord | None:
        key = squash(span)
        for ending in _ENDINGS:
            stem = key[: len(key) - len(ending)]
            if key.endswith(ending) and stem in self.catalog.class_words:
                return self.catalog.class_words[stem]
        return None

    def find(self, text: str, covered_spans: Iterable[tuple[int, int]] = ()) -> list[ClassMention]:
        """Class and family words in the text, left to right, outside the given spans
        (the medications already found)."""
        return self.find_in_tokens(text, tokenize(text), covered_spans)

    def find_in_tokens(
        self, text: str, tokens: Sequence[Token], covered_spans: Iterable[tuple[int, int]] = ()
    ) -> list[ClassMention]:
        spans = list(covered_spans)
        taken: set[int] = {
            i for i, (s, e, _) in enumerate(tokens) if any(s < end and start < e for start, end in spans)
        }
        found = self._scan(text, tokens, taken, fuzzy=False)
        found += self._scan(text, tokens, taken, fuzzy=True)
        return sorted(found, key=lambda m: m.start)

    def _scan(self, text: str, tokens: Sequence[Token], taken: set[int], fuzzy: bool) -> list[ClassMention]:
        found: list[ClassMention] = []
        stop = self.matcher.stop_words
        for size in range(MAX_WORDS, 0, -1):
            for i in range(len(tokens) - size + 1):
                span = range(i, i + size)
                if any(j in taken for j in span) or not _joined_by_spaces(text, tokens, i, size):
                    continue
                start, end = tokens[i][0], tokens[i + size - 1][1]
                if fuzzy:
                    if tokens[i][2].lower() in stop or tokens[i + size - 1][2].lower() in stop:
                        continue
                    match = self._fuzzy(text[start:end], squash(text[start:end]))
                else:
                    exact = self._exact(text[start:end])
                    match = (exact, 0) if exact else None
                if match is None:
                    continue
                found.append(ClassMention(start, end, text[start:end], match[0], match[1]))
                taken.update(span)
        return found


def _joined_by_spaces(text: str, tokens: Sequence[Token], i: int, size: int) -> bool:
    """Words of one span are separated by spaces or a hyphen only ("anti-anxiety meds")."""
    return all(text[tokens[j][1] : tokens[j + 1][0]].strip() in ("", "-") for j in range(i, i + size - 1))


@functools.lru_cache(maxsize=1)
def default_class_word_matcher() -> ClassWordMatcher:
    return ClassWordMatcher()


def find_class_words(text: str, covered_spans: Iterable[tuple[int, int]] = ()) -> list[ClassMention]:
    return default_class_word_matcher().find(text, covered_spans)
