"""Medication names: the one loader for knowledge/medications.yml, and typo-tolerant lookup.

Pure Python (no Rasa, no spaCy import) so the spaCy pipeline builder, the NLU extractor, the
action server and the tests all share exactly the same names and the same matching rules.

Misspellings ("zolof", "welbutrin", "seroquil") are matched by Damerau-Levenshtein distance
(optimal string alignment) with a threshold that grows with the word's length. A visitor's
ordinary English words must never turn into a medication, so a word is only considered for
fuzzy matching if it is long enough, is not a stop word, is not an English word in spaCy's
lemma tables (spacy-lookups-data) and is not one typo away from a common word. Exact names
always win, including names that are also English words ("lithium", "Sonata").

Tuned with scripts/measure_medication_matching.py (false positives over every NLU sentence,
every English word, and one-typo variants of common words); see that script for the numbers.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import json
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import yaml

from practice.paths import KNOWLEDGE_DIR

MEDICATIONS_FILE = Path(os.environ.get("MEDICATIONS_FILE", KNOWLEDGE_DIR / "medications.yml"))
ENTITY = "medication"

# Words shorter than this are never fuzzy-matched: too many short English words sit one
# edit away from a short brand name.
MIN_FUZZY_LENGTH = 5
# A word: letters, with inner apostrophes ("zoloft's").
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)

# Letters people swap for the same sound at the start of a drug name: "zanax", "clonopin",
# "symbalta", "fenelzine". Any other first-letter change is not treated as a typo.
_SAME_SOUND_STARTS = [set("xz"), set("ck"), set("cs"), set("fp"), set("ae"), set("iy")]


def max_distance(length: int) -> int:
    """How many edits a word of this length may be from a name and still match it."""
    if length < MIN_FUZZY_LENGTH:
        return 0
    if length <= 6:
        return 1
    return 2


# ------------------------------------------------------------------------------ the catalog


@dataclass(frozen=True)
class MedicationClass:
    id: str
    label: str
    note: str
    evidence: str
    sources: tuple[str, ...]
    generics: tuple[str, ...]


@dataclass(frozen=True)
class MedicationFamily:
    """Several classes people name with one word ("antidepressant"), with a note of its own."""

    id: str
    label: str
    note: str
    evidence: str
    sources: tuple[str, ...]
    classes: tuple[str, ...]


@dataclass(frozen=True)
class ClassWord:
    """A word for a class or a family ("benzo", "sleeping pill", "antidepressant")."""

    term: str  # as written in medications.yml
    target: str  # a class id or a family id
    classes: tuple[str, ...]  # the class ids it covers (one for a class word)

    @property
    def is_family(self) -> bool:
        return self.classes != (self.target,)


@dataclass(frozen=True)
class MedicationName:
    """One recognisable name: a generic name or another name it is known under."""

    name: str  # as written in medications.yml ("Wellbutrin XL", "sertraline")
    generic: str
    class_id: str

    @property
    def is_generic(self) -> bool:
        return self.name.lower() == self.generic


class MedicationCatalog:
    """Every class and name from knowledge/medications.yml."""

    def __init__(self, raw: dict) -> None:
        evidence = raw.get("evidence") or {}
        self.evidence: dict[str, str] = {k: _clean(v) for k, v in evidence.items()}
        phrases = raw.get("phrases") or {}
        self.phrases: dict[str, str] = {k: _clean(v) for k, v in phrases.items()}
        self.classes: dict[str, MedicationClass] = {}
        self.families: dict[str, MedicationFamily] = {}
        self.names: dict[str, MedicationName] = {}
        # Class and family words by their squashed form (see squash()).
        self.class_words: dict[str, ClassWord] = {}
        self.medicine_words: tuple[str, ...] = tuple(
            normalise(str(w)) for w in raw.get("medicine_words") or ()
        )
        # Medicines and supplements the assistant knows it has no information on.
        self.domain_terms: list[str] = [normalise(str(t)) for t in raw.get("domain_terms") or []]
        self.not_covered: dict[str, str] = {normalise(str(n)): str(n) for n in raw.get("not_covered") or []}
        for entry in raw["classes"]:
            generics = []
            for generic, others in (entry.get("names") or {}).items():
                generic = str(generic).strip().lower()
                generics.append(generic)
                for name in [generic] + [str(o).strip() for o in others or []]:
                    self._add(MedicationName(name=name, generic=generic, class_id=entry["id"]))
            evidence = str(entry["evidence"])
            if evidence not in self.evidence:
                raise ValueError(f"class {entry['id']}: unknown evidence level {evidence!r}")
            self.classes[entry["id"]] = MedicationClass(
                id=entry["id"],
                label=str(entry["label"]),
                note=_clean(entry["note"]),
                evidence=evidence,
                sources=tuple(entry.get("sources") or ()),
                generics=tuple(generics),
            )
            for term in entry.get("terms") or ():
                self._add_class_word(ClassWord(str(term), entry["id"], (entry["id"],)))

        for entry in raw.get("families") or ():
            if entry["id"] in self.classes:
                raise ValueError(f"family {entry['id']!r} has the id of a class")
            unknown = [c for c in entry["classes"] if c not in self.classes]
            if unknown or str(entry["evidence"]) not in self.evidence:
                raise ValueError(f"family {entry['id']}: unknown classes {unknown} or evidence")
            family = MedicationFamily(
                id=entry["id"],
                label=str(entry["label"]),
                note=_clean(entry["note"]),
                evidence=str(entry["evidence"]),
                sources=tuple(entry.get("sources") or ()),
                classes=tuple(entry["classes"]),
            )
            self.families[family.id] = family
            for term in entry.get("terms") or ():
                self._add_class_word(ClassWord(str(term), family.id, family.classes))

        clash = set(self.not_covered) & set(self.names)
        if clash:
            raise ValueError(f"listed both as covered and not covered: {sorted(clash)}")
        clash = {squash(n) for n in self.names} & set(self.class_words)
        if clash:
            raise ValueError(f"listed both as a medication and a class word: {sorted(clash)}")

    def _add_class_word(self, word: ClassWord) -> None:
        for form in self.term_forms(word.term):
            known = self.class_words.get(form)
            if known and known.target != word.target:
                raise ValueError(f"{word.term!r} is a word for {known.target} and {word.target}")
            self.class_words.setdefault(form, word)

    def term_forms(self, term: str) -> list[str]:
        """The squashed forms a class word matches: with any medicine word at its end."""
        words = normalise(term).replace("-", " ").split()
        if words[-1] in self.medicine_words:
            return [squash(" ".join(words[:-1] + [m])) for m in self.medicine_words]
        return [squash(term)]

    def _add(self, name: MedicationName) -> None:
        key = normalise(name.name)
        known = self.names.get(key)
        if known and known.generic != name.generic:
            raise ValueError(f"{name.name!r} is listed under {known.generic} and {name.generic}")
        self.names.setdefault(key, name)

    def lookup(self, name: str) -> MedicationName | None:
        """The exact (case-insensitive) name, or None."""
        return self.names.get(normalise(name))

    def class_of(self, generic: str) -> MedicationClass:
        return self.classes[self.names[normalise(generic)].class_id]

    def name_to_generic_and_class(self) -> dict[str, tuple[str, str]]:
        """Lower-cased name -> (generic, class id), for every generic and other name."""
        return {key: (n.generic, n.class_id) for key, n in self.names.items()}

    @property
    def max_words(self) -> int:
        return max(len(key.split()) for key in list(self.names) + list(self.not_covered))


def _clean(text: str) -> str:
    return " ".join(str(text).split())


def normalise(text: str) -> str:
    """Lower case, single spaces: the form names are compared in."""
    return " ".join(text.lower().replace("’", "'").split())


def squash(text: str) -> str:
    """Lower case letters only: "anti-psychotic", "anti psychotic" and "antipsychotic" agree."""
    return re.sub(r"[^\w]|_|\d", "", normalise(text))


@functools.lru_cache(maxsize=4)
def load_catalog(path: Path | None = None) -> MedicationCatalog:
    with open(path or MEDICATIONS_FILE, encoding="utf-8") as handle:
        return MedicationCatalog(yaml.safe_load(handle))


# ----------------------------------------------------------------- English words to protect


@functools.lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    """spaCy's English stop words, read without importing spaCy (it is slow to import)."""
    words: set[str] = set()
    spec = importlib.util.find_spec("spacy")
    if spec and spec.submodule_search_locations:
        path = Path(list(spec.submodule_search_locations)[0]) / "lang" / "en" / "stop_words.py"
        if path.exists():
            module_spec = importlib.util.spec_from_file_location("_en_stop_words", path)
            if module_spec is not None and module_spec.loader is not None:
                module = importlib.util.module_from_spec(module_spec)
                module_spec.loader.exec_module(module)
                words = set(module.STOP_WORDS)
    return frozenset(w.lower() for w in words)


def _lookups_file(name: str) -> Path | None:
    spec = importlib.util.find_spec("spacy_lookups_data")
    if not spec or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / f"en_{name}.json.gz"
    return path if path.exists() else None


@functools.lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """English words from spaCy's lemma tables: inflected forms, lemmas and WordNet entries.

    About 190,000 words. Medication names in it ("lithium") still match exactly; it only stops
    ordinary words ("lyric", "parent", "valid") from being read as a misspelt medication.
    """
    words: set[str] = set()

    def add(word: object) -> None:
        if isinstance(word, str):
            for part in re.split(r"[\s_\-]+", word.lower()):
                if part.isalpha():
                    words.add(part)

    for table in ("lemma_lookup", "lemma_exc", "lemma_index"):
        path = _lookups_file(table)
        if path is None:
            continue
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            data = json.load(handle)
        if table == "lemma_lookup":
            for key, value in data.items():
                add(key)
                add(value)
        elif table == "lemma_exc":
            for entries in data.values():
                for key, values in entries.items():
                    add(key)
                    for value in values:
                        add(value)
        else:
            for entries in data.values():
                for value in entries:
                    add(value)
    return frozenset(words)


# How common a word must be (log probability in spaCy's lexeme_prob table, web text) to
# count as a likelier reading of a typo than a medication. -14.5 is roughly the 40,000 most
# common words; rarer words ("wolof", "hadal", "etamin") are not competitors.
COMMON_WORD_LOG_PROB = float(os.environ.get("MEDICATION_COMMON_WORD_LOG_PROB", "-14.5"))


@functools.lru_cache(maxsize=4)
def common_words(min_log_prob: float = COMMON_WORD_LOG_PROB) -> frozenset[str]:
    """Lower-case alphabetic words at least this common in spaCy's lexeme_prob table.

    Read with a regular expression rather than json.load: the table has a million entries
    and only a few tens of thousands are kept.
    """
    path = _lookups_file("lexeme_prob")
    if path is None:
        return frozenset()
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        text = handle.read()
    words = set()
    for match in re.finditer(r'"([a-z]+)": ?(-?[0-9.]+(?:[eE][-+]?[0-9]+)?)', text):
        if float(match.group(2)) >= min_log_prob:
            words.add(match.group(1))
    return frozenset(words)


# Regular endings, so "lyrics", "parented" or "valiums" count as English if their stem does.
_ENDINGS = ("s", "es", "ed", "d", "ing", "ly", "er", "ers", "est", "ness", "ful")


# ------------------------------------------------------------------------ edit distance


def osa_distance(a: str, b: str, limit: int = 99) -> int:
    """Damerau-Levenshtein distance (optimal string alignment); > limit if beyond limit."""
    if a == b:
        return 0
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return previous[-1]


def _deletes(word: str, depth: int) -> set[str]:
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1 :] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def edits1(word: str) -> set[str]:
    """Every string one edit (delete, swap, replace, insert) away from the word."""
    splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
    deletes = {a + b[1:] for a, b in splits if b}
    swaps = {a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1}
    replaces = {a + c + b[1:] for a, b in splits if b for c in _LETTERS}
    inserts = {a + c + b for a, b in splits for c in _LETTERS}
    return (deletes | swaps | replaces | inserts) - {word}


def _same_start(a: str, b: str) -> bool:
    if a[0] == b[0]:
        return True
    return any(a[0] in group and b[0] in group for group in _SAME_SOUND_STARTS)


# ------------------------------------------------------------------------------ matching


@dataclass(frozen=True)
class Mention:
    """A medication found in a text: where, what was typed, and what it was read as."""

    start: int
    end: int
    text: str  # as typed
    name: MedicationName  # the listed name it matched
    distance: int = 0  # 0 = exact name, else the number of edits (a misspelling)

    @property
    def generic(self) -> str:
        return self.name.generic

    @property
    def class_id(self) -> str:
        return self.name.class_id

    @property
    def confidence(self) -> float:
        if not self.distance:
            return 1.0
        return round(1.0 - self.distance / (len(self.name.name) + 1), 3)


Token = tuple[int, int, str]  # start, end, text


class Span(Protocol):
    """Anything with character offsets (read-only, so frozen dataclasses qualify)."""

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...


def tokenize(text: str) -> list[Token]:
    """Words (letters only) with their character offsets."""
    return [(m.start(), m.end(), m.group()) for m in _WORD.finditer(text)]


def tokenize_words(text: str) -> list[str]:
    return [normalise(t) for _, _, t in tokenize(text)]


class MedicationMatcher:
    """Finds medication names in text: exact names first, then close misspellings.

    A word is read as a misspelt medication only if all of these hold:
    - it is at least MIN_FUZZY_LENGTH letters long and not a stop word;
    - it is not an English word (spaCy's lemma tables), nor one with a regular ending, nor a
      common word in web text (spaCy's lexeme_prob) unless it is one edit from a name
      ("adderal" is common because people misspell Adderall that way);
    - it is within max_distance() edits of exactly one medication, starting with the same
      letter (or a sound-alike one: "zanax", "clonopin");
    - it is not one typo away from a common word ("abiltiy" is "ability", not Abilify).
    """

    def __init__(
        self,
        catalog: MedicationCatalog | None = None,
        english: Iterable[str] | None = None,
        common: Iterable[str] | None = None,
        stop: Iterable[str] | None = None,
    ) -> None:
        self.catalog = catalog or load_catalog()
        self.stop_words = stop_words() if stop is None else frozenset(stop)
        english = english_words() if english is None else frozenset(english)
        common = common_words() if common is None else frozenset(common)
        self._index: dict[str, set[str]] = {}
        for key in self.catalog.names:
            if len(key) >= MIN_FUZZY_LENGTH:
                for variant in _deletes(key, max_distance(len(key))):
                    self._index.setdefault(variant, set()).add(key)
        # Words that may never be read as a misspelt medication.
        not_covered = {
            w
            for key in list(self.catalog.not_covered) + self.catalog.domain_terms
            for w in tokenize_words(key)
        }
        self.protected = frozenset(
            w for w in english | self.stop_words | not_covered if not self.lookup_exact(w)
        )
        # Common words whose typos are likelier readings than a medication. A common web
        # word that is itself a near-miss of a medication ("adderal") does not count.
        competitors = set(self.stop_words)
        for word in common:
            if self.lookup_exact(word):
                continue
            closest = self._closest(word)
            if word in english or not closest or closest[0] > 1:
                competitors.add(word)
        self.competitors = frozenset(competitors)

    # -- single words and short phrases

    def lookup_exact(self, phrase: str) -> MedicationName | None:
        """A listed name, also with a plural or possessive ending ("amphetamines", "Zoloft's")."""
        key = normalise(phrase)
        name = self.catalog.lookup(key)
        if name:
            return name
        for ending in ("'s", "s", "es"):
            if key.endswith(ending) and len(key) - len(ending) >= 4:
                name = self.catalog.lookup(key[: -len(ending)])
                if name:
                    return name
        return None

    def is_protected(self, word: str) -> bool:
        """True for words that must never be read as a misspelt medication: English words,
        stop words, and common words that are not themselves a near-miss of a medication."""
        word = normalise(word)
        if word in self.protected or word in self.competitors:
            return True
        return any(
            word.endswith(e) and len(word) - len(e) >= 3 and word[: -len(e)] in self.protected
            for e in _ENDINGS
        )

    def near_common_word(self, word: str) -> bool:
        """True if the word is one typo away from a common word ("abiltiy", "concernd")."""
        return any(variant in self.competitors for variant in edits1(normalise(word)))

    def fuzzy_lookup(self, phrase: str) -> tuple[MedicationName, int] | None:
        """The listed name a (possibly misspelt) word or phrase means, with the edit count.

        None if it is not close to any name, if it is an ordinary word, or if two different
        medications are equally close: never guess.
        """
        exact = self.lookup_exact(phrase)
        if exact:
            return exact, 0
        key = normalise(phrase)
        first = key.split(" ")[0]
        if len(first) < MIN_FUZZY_LENGTH or self.is_protected(first):
            return None
        closest = self._closest(key)
        if not closest or self.near_common_word(first):
            return None
        distance, names = closest
        if len({self.catalog.names[n].generic for n in names}) != 1:
            return None
        return self.catalog.names[sorted(names)[0]], distance

    def _closest(self, key: str) -> tuple[int, list[str]] | None:
        """The nearest listed names within the allowed distance, and that distance."""
        candidates: set[str] = set()
        for variant in _deletes(key, max_distance(len(key))):
            candidates |= self._index.get(variant, set())
        scored: list[tuple[int, str]] = []
        words = key.split(" ")
        for candidate in candidates:
            if not _same_start(candidate, key) or not _same_tail(candidate.split(" "), words):
                continue
            allowed = max_distance(min(len(candidate), len(key)))
            distance = osa_distance(key, candidate, allowed)
            if 0 < distance <= allowed:
                scored.append((distance, candidate))
        if not scored:
            return None
        best = min(d for d, _ in scored)
        return best, [c for d, c in scored if d == best]

    # -- whole texts

    def find(self, text: str) -> list[Mention]:
        """Every medication named in the text, exact names and misspellings, left to right."""
        return self.find_in_tokens(text, tokenize(text))

    def find_in_tokens(
        self, text: str, tokens: Sequence[Token], covered: Iterable[int] = ()
    ) -> list[Mention]:
        """Medications among the tokens, skipping those already covered (e.g. by spaCy's
        EntityRuler): exact names, plural or possessive names, then misspellings."""
        taken = set(covered)
        mentions = self._scan(text, tokens, taken, fuzzy=False)
        mentions += self._scan(text, tokens, taken, fuzzy=True)
        return sorted(mentions, key=lambda m: m.start)

    def _scan(self, text: str, tokens: Sequence[Token], covered: set[int], fuzzy: bool) -> list[Mention]:
        found: list[Mention] = []
        for size in range(self.catalog.max_words, 0, -1):
            for i in range(len(tokens) - size + 1):
                span = range(i, i + size)
                if any(j in covered for j in span):
                    continue
                if size > 1 and not _only_spaces_between(text, tokens, i, size):
                    continue
                start, end = tokens[i][0], tokens[i + size - 1][1]
                phrase = " ".join(tokens[j][2] for j in span)
                if fuzzy:
                    match = self.fuzzy_lookup(phrase)
                    if not match or match[1] == 0:
                        continue
                    name, distance = match
                else:
                    exact = self.lookup_exact(phrase)
                    if exact is None:
                        continue
                    name, distance = exact, 0
                found.append(Mention(start, end, text[start:end], name, distance))
                covered.update(span)
        return found

    # -- medicines that are not in the file

    def find_unlisted(self, text: str, known: Sequence[Span] = ()) -> list[str]:
        """Medication-like mentions that are not listed medications, as the visitor wrote them
        ("levothyroxine", "your thyroid pill"), so the assistant can say it has no
        information on them instead of guessing. `known`: mentions already recognised
        (medications, class words: anything with `start` and `end`).

        Only for messages already known to be about medication (the medication action).
        """
        tokens = tokenize(text)
        taken = {i for i, (s, e, _) in enumerate(tokens) for m in known if s < m.end and m.start < e}
        found: list[tuple[int, str]] = []
        # 1. names listed as not covered ("melatonin", "St. John's wort")
        words = [(s, e, normalise(t)) for s, e, t in tokens]
        for size in range(self.catalog.max_words, 0, -1):
            for i in range(len(words) - size + 1):
                span = set(range(i, i + size))
                if span & taken:
                    continue
                phrase = " ".join(w for _, _, w in words[i : i + size])
                for key, display in self.catalog.not_covered.items():
                    if " ".join(tokenize_words(key)) == phrase:
                        found.append((words[i][0], display))
                        taken |= span
                        break
        # 2. "my thyroid pill", "my blood pressure meds": a medicine named by what it is for
        for match in _MY_MEDICINE.finditer(text):
            qualifier = [w for w in tokenize_words(match.group(1)) if w not in _FILLER]
            if not qualifier or all(w in _PSYCHIATRIC for w in qualifier):
                continue  # "my meds", "my anxiety medication": which one? is asked instead
            if any(w in self.stop_words or w.split("'")[0] in _PEOPLE for w in qualifier):
                continue  # "my mom stopped her meds", "my son's pills": not a kind of medicine
            if any(s < match.end() and match.start() < e for i, (s, e, _) in enumerate(tokens) if i in taken):
                continue
            found.append((match.start(), "your " + " ".join(qualifier + [match.group(2).lower()])))
            taken |= {i for i, (s, e, _) in enumerate(tokens) if match.start() <= s < match.end()}
        # 3. when nothing else was recognised, an unknown word that looks like a drug name
        #    ("brintellix"): at least 7 letters, not English, not a typo of a common word, of
        #    a word of this field ("transcrainal") or of a listed name
        for i, (start, _, word) in enumerate(tokens):
            key = normalise(word)
            if known or found or i in taken or len(key) < 7 or "'" in key:
                continue
            if key in _DOMAIN_WORDS or _DOMAIN_WORDS & edits1(key) or self.is_protected(key):
                continue
            if self.fuzzy_lookup(key) or self.near_common_word(key):
                continue
            if i > 0 and normalise(tokens[i - 1][2]) in ("dr", "doctor"):
                continue  # a name: "Dr Kowalczyk"
            found.append((start, word))
        seen: set[str] = set()
        result = []
        for _, display in sorted(found):
            if display.lower() not in seen:
                seen.add(display.lower())
                result.append(display)
        return result


_MY_MEDICINE = re.compile(
    r"\bmy ((?:[a-z'-]+ ){1,3}?)(pills?|medications?|medicines?|meds|tablets?|prescriptions?"
    r"|drugs?|inhalers?|shots?|injections?|patch(?:es)?|supplements?)\b",
    re.I,
)
# Words that say nothing about which medicine: "my daily pill".
_FILLER = frozenset(
    "daily usual regular new current other morning night nightly evening prescription "
    "prescribed little main two three few some past previous old own all".split()
)
# What a psychiatric medicine is for: "my anxiety meds" asks which one, it is not unknown.
_PSYCHIATRIC = frozenset(
    "depression anxiety antidepressant antidepressants psych psychiatric mental health mood "
    "adhd add bipolar sleep sleeping anti panic ocd ptsd psychotropic nerve nerves stress "
    "antipsychotic stimulant benzo benzodiazepine ssri snri maoi".split()
)
# Family members: "my son's pills" is not a kind of medicine.
_PEOPLE = frozenset(
    "mom mum mother dad father son daughter kid kids child children wife husband partner "
    "sister brother parent parents friend boyfriend girlfriend grandma grandpa".split()
)
# Words of this product's own field that are not in the English word lists.
_DOMAIN_WORDS = frozenset(
    "tms rtms dtms itbs neurostar brainsway magventure telehealth telepsychiatry "
    "psychotropics psychotropic ssris snris maois benzos antidepressants mbct transcranial "
    "neuromodulation electroconvulsive thetaburst neurostimulation psychiatrist".split()
)


def _same_tail(name_words: list[str], typed_words: list[str]) -> bool:
    """In a several-word name only the first word may be badly misspelt: "welbutrin xl" is
    Wellbutrin XL, but "welbutrin or" is not Wellbutrin SR."""
    if len(name_words) != len(typed_words):
        return False
    return all(
        n == t or (len(n) >= 4 and osa_distance(n, t, 1) <= 1)
        for n, t in zip(name_words[1:], typed_words[1:], strict=False)
    )


def _only_spaces_between(text: str, tokens: Sequence[Token], i: int, size: int) -> bool:
    return all(text[tokens[j][1] : tokens[j + 1][0]].isspace() for j in range(i, i + size - 1))


@functools.lru_cache(maxsize=1)
def default_matcher() -> MedicationMatcher:
    return MedicationMatcher()


def find_medications(text: str) -> list[Mention]:
    """Every medication named in the text (see MedicationMatcher.find)."""
    return default_matcher().find(text)
