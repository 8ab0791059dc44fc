"""The deterministic crisis safety net (PRODUCT.md "Crisis first").

Why it exists: the ML intent classifier can miss a crisis phrased in a way it never saw, and a
missed crisis is the worst failure this product can have. So every message also goes through
this detector, which matches the patterns in ``knowledge/crisis_lexicon.yml`` (data staff can
edit; the comments there explain each decision). Pure Python, no Rasa imports, so the NLU
component, the action server and scripts can all use it.

``detect(text)`` returns a :class:`Detection`:

- ``kind == "emergency"``: a medical emergency now (overdose taken, seizure, not breathing...);
- ``kind == "crisis"``: suicidal thoughts, self-harm, harm to others, preparation...;
- ``kind == "idiom"``: only benign idioms ("this traffic is killing me"), no signal;
- ``kind is None``: nothing.

Emergency wins over crisis, and any signal wins over an idiom. ``pattern`` names the family of
the signal that matched (shown to staff as a flag); the matched text is never returned, so a
method is never echoed back.

Speed: a long message is not scanned whole by every pattern. Each pattern is run only around
the words it cannot match without ("anchors"), which are worked out from the parsed regex
itself, so they always agree with the lexicon (see ``_anchors``).
"""

from __future__ import annotations

import functools
import itertools
import operator
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Pattern, Set, Tuple

import yaml

from practice.paths import KNOWLEDGE_DIR

# the regex parser, to find the words a pattern cannot match without
if sys.version_info >= (3, 11):
    import re._constants as _sre_constants
    import re._parser as _sre_parse
else:  # Python 3.10
    import sre_constants as _sre_constants
    import sre_parse as _sre_parse

LEXICON_PATH = KNOWLEDGE_DIR / "crisis_lexicon.yml"

EMERGENCY = "emergency"
CRISIS = "crisis"
IDIOM = "idiom"
ALARM_KINDS = (EMERGENCY, CRISIS)

BOUNDARY = "|"  # the clause-boundary token in normalised text

# Messages longer than this are matched around anchors only; shorter ones whole.
GATE_ABOVE = 1_500
_MERGE_GAP = 20
_RECENT_MESSAGES = 256  # results remembered per detector ...
_RECENT_MAX_CHARS = 2_000  # ... for messages up to this long (bounded memory)

# Non-ASCII handling (each a regex, so the scan runs in C; str.translate with a dict does not).
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u200e\u200f\u2060-\u2064\ufeff\u00ad\u180e]+")
_APOSTROPHES = re.compile("[\u2018\u2019\u201b\u02bc\u02bb\u00b4\u2032]")
_UNICODE_CLAUSE = re.compile("[\u2026\u2014\u2013\u201c\u201d\u00ab\u00bb\u3002\u300c\u300d]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_CLAUSE_MARK = "\x1f"
_CLAUSE_CHARS = '.!?;:,\n\r\t()[]{}"' + _CLAUSE_MARK
_KEEP = "abcdefghijklmnopqrstuvwxyz0123456789 '"
# ASCII in, ASCII out, one character for one: CPython's fast translate path.
_ASCII_TABLE = str.maketrans(
    "".join(chr(i) for i in range(128)),
    "".join(
        chr(i) if chr(i) in _KEEP else (_CLAUSE_MARK if chr(i) in _CLAUSE_CHARS else " ") for i in range(128)
    ),
)
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]+")
_RUN3 = re.compile(r"([a-z])\1{2,}")
_RUN2 = re.compile(r"([a-z])\1+")
_DIGIT_BEFORE_WORD = re.compile(r"(\d)(?=[a-z]{3})")
_SPELLED_PROBE = re.compile(r" [a-z] [a-z] [a-z] [a-z] ")
_SPELLED_OUT = re.compile(r"(?<![a-z0-9])(?:[a-z] +){3,}[a-z](?![a-z0-9])")
_TOKEN = re.compile(r"\S+")
_ESCAPES = re.compile(r"\\[a-zA-Z]")
_WORDS = re.compile(r"[a-z]{2,}")
_MACRO = re.compile(r"\{([A-Z_]+)\}")
# How a disclosure phrase may be framed (CrisisDetector.mention_framing with disclosure=True).
DISCLOSURE_FRAMINGS = ("past", "loss", "reported", "another_well")
# A sentence, and a clause, of the raw text, with the punctuation that ends it ("?" marks a
# question).
_RAW_SENTENCE = re.compile(r"[^.?!\n]+[.?!\n]*")
_RAW_CLAUSE = re.compile(r"[^.?!;,\n\u2014\u2013]+[.?!;,\n\u2014\u2013]*")

# Apostrophe contractions, applied to the word pair around each apostrophe; the bare forms
# ("dont", "im") are in the lexicon's shorthand map.
_NOT_STEMS = {"can": "can", "won": "will", "ain": "am", "shan": "shall"}
_SUFFIXES = {"re": "are", "ve": "have", "ll": "will", "d": "would", "m": "am"}
_IS_BEFORE_S = frozenset(
    "it he she that what there here who where how everything nothing life everyone everybody "
    "someone somebody this".split()
)
_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class Detection:
    """What the detector found in one message."""

    kind: Optional[str] = None
    pattern: Optional[str] = None
    # The alarm rests on a topic word only ("suicide", "self-harm", "overdose", "988"), which a
    # factual question names as often as a disclosure does (lexicon: `mention: true`).
    mention: bool = False
    # A first-person statement no context makes factual (lexicon: `sure: true`): the risk
    # model never doubts it into a check-in.
    sure: bool = False

    @property
    def is_alarm(self) -> bool:
        """True for a crisis or an emergency: the message must get the crisis reply."""
        return self.kind in ALARM_KINDS


NOTHING = Detection()


@dataclass(frozen=True)
class _Pattern:
    regex: Pattern[str]
    # Every match contains one of these words, or a word starting with one of the prefixes.
    # None: the regex gives no such guarantee, and the pattern reads the whole text.
    words: Optional[frozenset]
    prefixes: frozenset
    # How many words a window must reach either side of an anchor to hold any match.
    reach: int


@dataclass(frozen=True)
class _Family:
    name: str
    kind: str
    any_match: Pattern[str]  # all patterns in one regex: a quick "anything here?" check
    patterns: Tuple[_Pattern, ...]
    negatable: bool
    hypothetical_guard: bool
    mention: bool
    sure: bool


class LexiconError(ValueError):
    """The crisis lexicon is malformed (reported with the family at fault)."""


class CrisisDetector:
    """Compiled crisis lexicon. Build once (``get_detector()``), call ``detect`` per message."""

    def __init__(self, lexicon: Dict[str, Any], gate_above: int = GATE_ABOVE) -> None:
        self._gate_above = gate_above
        # Each message is checked twice in the Rasa server (the channel's guard, then
        # RiskClassifier in NLU): remember the latest short messages' results.
        self._recent = functools.lru_cache(maxsize=_RECENT_MESSAGES)(self._detect)
        norm = lexicon.get("normalisation") or {}
        self._macros = self._expand_macros(lexicon.get("macros") or {})
        homoglyphs = {str(k): str(v) for k, v in (norm.get("homoglyphs") or {}).items()}
        self._homoglyphs = str.maketrans(homoglyphs)
        self._homoglyph_probe = (
            re.compile("[" + "".join(re.escape(c) for c in homoglyphs) + "]") if homoglyphs else None
        )
        self._emoji = [(str(k), str(v)) for k, v in (norm.get("emoji") or {}).items()]
        # Raw rewrites, each with the substrings it cannot apply without (checked first).
        self._rewrites = [
            (re.compile(str(p)), str(r), _probe_strings(str(p))) for p, r in (norm.get("rewrites") or [])
        ]
        self._leet = {str(k): str(v) for k, v in (norm.get("leet") or {}).items()}
        self._leet_run = re.compile("[" + "".join(re.escape(c) for c in self._leet) + "]+")
        self._word_map: Dict[str, str] = {}
        self._word_map.update(_fuzzy_map(norm.get("fuzzy_words") or [], norm.get("fuzzy_exclude") or []))
        self._word_map.update({str(k): str(v) for k, v in (norm.get("typos") or {}).items()})
        self._word_map.update({str(k): str(v) for k, v in (norm.get("shorthand") or {}).items()})

        neg = lexicon.get("negation") or {}
        self._neg_cues = _words(neg, "cues")
        self._np_cues = _words(neg, "np_cues")
        self._fillers = _words(neg, "fillers")
        self._np_fillers = _words(neg, "np_fillers")
        self._blockers = _words(neg, "blockers")
        self._max_gap = int(neg.get("max_gap", 6))
        reinstated = neg.get("reinstated_by")
        self._reinstated = (
            re.compile(self._expand(reinstated, "negation.reinstated_by")) if reinstated else None
        )
        hyp = lexicon.get("hypothetical") or {}
        self._hyp_cues = _words(hyp, "cues")
        self._hyp_window = int(hyp.get("window", 5))
        framing = lexicon.get("mention_framing") or {}
        self._question_words = _words(framing, "question_words")
        self._lead_words = _words(framing, "lead_words")
        self._first_person = _words(framing, "first_person")
        self._self_words = _words(framing, "self_words")
        self._elided_self = _words(framing, "elided_self")
        self._present_words = _words(framing, "present")
        self._present_weak = _words(framing, "present_weak")
        self._service_words = _words(framing, "service_words")
        self._writer_subject = _words(framing, "writer_subject")
        self._affirmations = tuple(f"{a} " for a in sorted(_words(framing, "affirmations")))
        self._retractions = [
            re.compile(_leading_space(self._expand(p, "retraction"))) for p in lexicon.get("retraction") or []
        ]
        self._leans_yes = [
            re.compile(self._expand(p, "check_in_yes")) for p in lexicon.get("check_in_yes") or []
        ]
        self._framing = {
            cue: [
                re.compile(_leading_space(self._expand(p, f"mention_framing.{cue}")))
                for p in framing.get(cue) or []
            ]
            for cue in (
                "topic_compounds",
                "past",
                "loss",
                "never",
                "reason_withdrawn",
                "wellness",
                "reported",
                "study",
                "role",
                "another_well",
                "another_then",
            )
        }

        self._families: Dict[str, List[_Family]] = {}
        seen = set()
        for kind in (EMERGENCY, CRISIS, IDIOM):
            families = []
            for entry in lexicon.get(kind) or []:
                name = entry.get("name")
                if not name or name in seen:
                    raise LexiconError(f"{kind}: missing or duplicate family name {name!r}")
                seen.add(name)
                sources = [
                    _leading_space(self._expand(p, f"{kind}.{name}")) for p in entry.get("patterns") or []
                ]
                if not sources:
                    raise LexiconError(f"{kind}.{name}: no patterns")
                try:
                    patterns = []
                    for source in sources:
                        words, prefixes = _anchors(source)
                        spaces = _max_spaces(_sre_parse.parse(source))
                        if spaces is None or any(len(p) < 3 for p in prefixes or ()):
                            words, prefixes = None, None  # unbounded or vague: read it all
                        patterns.append(
                            _Pattern(re.compile(source), words, prefixes or frozenset(), (spaces or 0) + 2)
                        )
                    any_match = re.compile("|".join(f"(?:{s})" for s in sources))
                except re.error as exc:
                    raise LexiconError(f"{kind}.{name}: {exc}") from exc
                families.append(
                    _Family(
                        name=name,
                        kind=kind,
                        any_match=any_match,
                        patterns=tuple(patterns),
                        negatable=bool(entry.get("negatable", False)),
                        hypothetical_guard=bool(entry.get("hypothetical_guard", False)),
                        mention=bool(entry.get("mention", False)),
                        sure=bool(entry.get("sure", False)),
                    )
                )
            self._families[kind] = families
        if not self._families[EMERGENCY] or not self._families[CRISIS]:
            raise LexiconError("the lexicon needs emergency and crisis families")

        all_patterns = [p for fs in self._families.values() for f in fs for p in f.patterns]
        self._anchor_words = frozenset(w for p in all_patterns for w in (p.words or ()))
        self._anchor_prefixes3 = frozenset(w[:3] for p in all_patterns for w in p.prefixes)

        # Words the patterns are written with: a token whose letter run collapsed to single
        # letters ("dieee" -> "die") is taken in that form only if it becomes one of these.
        vocabulary = set()
        for families in self._families.values():
            for family in families:
                vocabulary.update(_WORDS.findall(_ESCAPES.sub(" ", family.any_match.pattern)))
        for value in self._word_map.values():
            vocabulary.update(value.split())
        self._vocabulary = frozenset(vocabulary)

    # ------------------------------------------------------------------ loading helpers
    @staticmethod
    def _expand_macros(raw: Dict[str, str]) -> Dict[str, str]:
        expanded: Dict[str, str] = {}
        for name, value in raw.items():
            text = str(value)
            for _ in range(10):
                new = _MACRO.sub(lambda m: expanded.get(m.group(1), m.group(0)), text)
                if new == text:
                    break
                text = new
            expanded[str(name)] = text
        return expanded

    def _expand(self, pattern: str, where: str) -> str:
        def sub(match: "re.Match[str]") -> str:
            name = match.group(1)
            if name not in self._macros:
                raise LexiconError(f"{where}: unknown macro {{{name}}}")
            return self._macros[name]

        return _MACRO.sub(sub, str(pattern))

    # ------------------------------------------------------------------ normalisation
    def normalise(self, text: str) -> str:
        """Text as the lexicon's patterns see it (see the FORMAT notes in the lexicon)."""
        if not text:
            return ""
        t = str(text)
        if t.isascii():
            t = t.lower()
        else:
            t = self._to_ascii(t)
        for regex, replacement, probes in self._rewrites:
            if probes is None or any(probe in t for probe in probes):
                t = regex.sub(replacement, t)
        if "'" in t:
            t = _expand_contractions(t)
        t = self._leet_run.sub(lambda m: self._unleet(m, t), t)
        t = _DIGIT_BEFORE_WORD.sub(r"\1 ", t)
        t = t.replace(" - ", _CLAUSE_MARK).translate(_ASCII_TABLE)
        t = t.replace(_CLAUSE_MARK, " | ")
        if _SPELLED_PROBE.search(" " + t + " "):
            t = _SPELLED_OUT.sub(lambda m: " " + m.group(0).replace(" ", "") + " ", t)

        word_map = self._word_map
        tokens = t.split()
        emphasised = {tk: self._canon_emphasised(tk) for tk in set(tokens) if _RUN3.search(tk)}
        if emphasised:
            tokens = [emphasised.get(tk) or word_map.get(tk, tk) for tk in tokens]
        else:
            tokens = [word_map.get(tk, tk) for tk in tokens]
        norm = " ".join(tokens)
        while " | | " in norm:
            norm = norm.replace(" | | ", " | ")
        while norm.startswith("| ") or norm == BOUNDARY:
            norm = norm[2:]
        while norm.endswith(" |"):
            norm = norm[:-2]
        return norm

    def _to_ascii(self, t: str) -> str:
        """Unicode to the lowercase ASCII the patterns are written in: compatibility forms
        (fullwidth letters), zero-width characters, accents, look-alike letters, curly
        apostrophes, meaningful emoji; other non-ASCII characters become spaces."""
        t = unicodedata.normalize("NFKC", t)
        t = _ZERO_WIDTH.sub("", t).casefold()
        if self._homoglyph_probe is not None and self._homoglyph_probe.search(t):
            t = t.translate(self._homoglyphs)
        t = _APOSTROPHES.sub("'", t)
        for emoji, words in self._emoji:
            if emoji in t:
                t = t.replace(emoji, words)
        decomposed = unicodedata.normalize("NFKD", t)
        if _COMBINING.search(decomposed):
            t = _COMBINING.sub("", decomposed)
        t = _UNICODE_CLAUSE.sub(_CLAUSE_MARK, t)
        return _NON_ASCII.sub(" ", t)

    def _unleet(self, m: "re.Match[str]", text: str) -> str:
        """Leetspeak: characters between letters ("k1ll", "d!e"), after letters at a word's end
        ("di3"), or one before two letters at a word's start ("0verdose"); else unchanged."""
        start, end, run = m.start(), m.end(), m.group(0)
        letter_before = start > 0 and "a" <= text[start - 1] <= "z"
        after = text[end : end + 2]
        letter_after = after[:1].isalpha() and after[:1].isascii()
        if letter_before and letter_after:
            return "".join(self._leet[c] for c in run)
        if letter_before and not after[:1].isalnum() and run.isalnum():  # digits only: "di3"
            return "".join(self._leet[c] for c in run)
        if (
            len(run) == 1
            and not letter_before
            and not (start > 0 and text[start - 1].isalnum())
            and len(after) == 2
            and after.isalpha()
            and after.isascii()
        ):
            return self._leet[run]
        return run

    def _canon_emphasised(self, token: str) -> str:
        """A token with a letter run ("dieeee", "killlll"): shorten the run to two letters,
        or to one when only that gives a word the lexicon knows."""
        doubled = _RUN3.sub(r"\1\1", token)
        for candidate in (doubled, _RUN2.sub(r"\1", doubled)):
            mapped = self._word_map.get(candidate)
            if mapped is not None:
                return mapped
            if candidate in self._vocabulary:
                return candidate
        return doubled

    # ------------------------------------------------------------------ matching
    def _denial_start(self, text: str, start: int) -> Optional[int]:
        """Where the denial attached to a match at ``start`` begins, or None."""
        before = list(_TOKEN.finditer(text, max(0, start - 240), start))
        between: List[str] = []
        for index in range(len(before) - 1, -1, -1):
            word = before[index].group(0)
            if word == BOUNDARY:
                return None
            if word in self._neg_cues or word in self._np_cues:
                allowed = self._np_fillers if word in self._np_cues else self._fillers
                if any(w not in allowed for w in between):
                    return None
                previous = [m.group(0) for m in before[max(0, index - 3) : index]]
                if BOUNDARY in previous:
                    previous = previous[len(previous) - previous[::-1].index(BOUNDARY) :]
                if any(w in self._blockers for w in previous):
                    return None
                return before[index].start()
            if word in self._fillers or word in self._np_fillers:
                between.append(word)
                if len(between) > self._max_gap:
                    return None
                continue
            return None
        return None

    def _is_hypothetical(self, text: str, start: int) -> bool:
        before = [m.group(0) for m in _TOKEN.finditer(text, max(0, start - 120), start)]
        words = before[-self._hyp_window :]
        if BOUNDARY in words:
            words = words[len(words) - words[::-1].index(BOUNDARY) :]
        return any(w in self._hyp_cues for w in words)

    def _matches(self, family: _Family, text: str, index: Optional["_TokenIndex"]) -> List["re.Match[str]"]:
        """Every match of every pattern of the family (per pattern, so that one pattern's
        match can never hide another's)."""
        found: List["re.Match[str]"] = []
        if index is None:
            if family.any_match.search(text) is None:
                return found
            for pattern in family.patterns:
                found.extend(pattern.regex.finditer(text))
            return found
        for pattern in family.patterns:
            if pattern.words is None:
                found.extend(pattern.regex.finditer(text))
                continue
            last_end = -1
            for start, end in index.windows(pattern.words, pattern.prefixes, pattern.reach):
                for m in pattern.regex.finditer(text, start, end):
                    if m.start() >= last_end:
                        found.append(m)
                        last_end = m.end()
        return found

    def detect(self, text: str) -> Detection:
        """Classify one message (the same answer as `_detect`, remembered for short ones)."""
        if len(text) > _RECENT_MAX_CHARS:
            return self._detect(text)
        return self._recent(text)

    def _detect(self, text: str) -> Detection:
        """Classify one message; see the module docstring.

        Signals are tried in priority order (emergency families first) and the first one
        that survives the masks wins, so an alarm stops the scan early. Masks: a denial
        attached to it ("I'm not suicidal"), an idiom it ends inside ("dying to know"), a
        hypothetical it follows ("if someone is having a seizure"), or a denial of another
        signal that contains it ("never thought about killing myself").
        """
        norm = self.normalise(text)
        if not norm:
            return NOTHING
        # Every word has a space in front of it (patterns' leading \b became a space).
        padded = " " + norm
        index = (
            _TokenIndex(padded, self._anchor_words, self._anchor_prefixes3)
            if len(padded) > self._gate_above
            else None
        )
        idioms: Optional[List[Tuple[int, int, str]]] = None

        for kind in ALARM_KINDS:
            for family in self._families[kind]:
                for m in self._matches(family, padded, index):
                    s, e = m.start(), m.end()
                    if family.negatable and self._denied(padded, m) is not None:
                        continue
                    if idioms is None:
                        idioms = self._idioms(padded, index)
                    if any(i_s < e and i_e > s and i_e >= e for i_s, i_e, _ in idioms):
                        continue
                    if family.hypothetical_guard and self._is_hypothetical(padded, s):
                        continue
                    if self._inside_other_denial(padded, m):
                        continue
                    return Detection(family.kind, family.name, family.mention, family.sure)
        if idioms is None:
            idioms = self._idioms(padded, index)
        if idioms:
            return Detection(IDIOM, min(idioms)[2])
        return NOTHING

    def mention_framing(self, text: str, disclosure: bool = False) -> Optional[Tuple[str, str]]:
        """How a message frames the topic words it names, and the rest of the message.

        None if it does not frame them all.

        Each clause (split at . ? ! ; , and dashes) that holds a match of a `mention: true`
        family must be framed: "loss" (someone died), "past" (distant past, nothing in the
        message bringing it back; a recovery stated now does not), "reported" (what a label, a
        form, a screening or someone says or asks), "study" (a project, a book, a show, something
        read), "another_well" (someone else's past or a "what if" about them, in a message that
        says they are well now), "role" (the writer states a professional
        role anywhere in the message) or "impersonal" (no first-person word, and a question
        or a topic compound). Returns the first clause's framing and the clauses that hold no
        mention (for the risk model to read on their own: "can TMS help suicidal thoughts?
        mine are getting really bad" frames its mention and discloses in the rest); see the
        lexicon's `mention_framing` for the words and patterns.

        ``disclosure``: frame the clauses that hold any alarm (not only topic words) and only as
        someone else's or the distant past, a loss or a report ("I attempted suicide twelve
        years ago, I've been stable since", "the intake form asks if I've wished I was dead"),
        never as impersonal or by a role: a disclosure phrase in a question is still asked about.
        """
        mention_families = (
            [f for kind in ALARM_KINDS for f in self._families[kind]]
            if disclosure
            else [f for f in self._families[CRISIS] if f.mention]
        )
        framings: List[str] = []
        rest: List[str] = []
        whole = " " + self.normalise(text)
        if any(p.search(whole) for p in self._framing["reason_withdrawn"]):
            return None
        role = any(p.search(whole) for p in self._framing["role"])
        another_well = any(p.search(whole) for p in self._framing["another_well"])
        clauses = [
            (raw, " " + self.normalise(raw).replace("|", " "), sentence.rstrip().endswith("?"))
            for sentence in _RAW_SENTENCE.findall(text or "")
            for raw in _RAW_CLAUSE.findall(sentence)
        ]
        brought_back = any(self._in_the_present(clause, of_the_writer=False) for _, clause, _ in clauses)
        for raw, clause, asks in clauses:
            if not any(f.any_match.search(clause) for f in mention_families):
                if set(clause.split()) & self._first_person and (
                    self._in_the_present(clause) or any(p.search(clause) for p in self._framing["never"])
                ):
                    return None  # "... mine are out of control today"
                if f"{clause.strip()} ".startswith(self._affirmations) and not any(
                    p.search(clause) for p in self._framing["past"]
                ):
                    return None  # "... a suicide plan? i do" (not "i did in high school")
                rest.append(raw)
                continue
            framing = self._clause_framing(clause, asks, brought_back, role and not disclosure, another_well)
            if framing is None or (disclosure and framing not in DISCLOSURE_FRAMINGS):
                return None
            framings.append(framing)
        return (framings[0], "".join(rest).strip()) if framings else None

    def alarm_sentences(self, text: str, limit: int = 3) -> List[str]:
        """The first ``limit`` sentences of ``text`` (split at . ? ! and line breaks) that raise
        an alarm on their own."""
        found: List[str] = []
        for raw in _RAW_SENTENCE.findall(text or ""):
            if len(found) >= limit:
                break
            sentence = raw.strip()
            if sentence and self.detect(sentence).is_alarm:
                found.append(sentence)
        return found

    def leans_yes(self, text: str, normalised: Optional[str] = None) -> bool:
        """Whether an answer to the check-in question begins by leaning to yes ("kinda, what
        should I do"); see the lexicon's `check_in_yes`. ``normalised``: ``normalise(text)``,
        if already computed."""
        folded = self.normalise(text) if normalised is None else normalised
        return any(p.search(folded) for p in self._leans_yes)

    def retracts(self, text: str, normalised: Optional[str] = None) -> bool:
        """Whether a message takes back or plays down what was said ("jk", "i'm fine, just a bad
        day", "era broma"): said right after a crisis reply, it is met with a check-in.
        ``normalised``: ``normalise(text)``, if already computed."""
        folded = " " + (self.normalise(text) if normalised is None else normalised)
        return any(p.search(folded) for p in self._retractions)

    def _in_the_present(self, clause: str, of_the_writer: bool = True) -> bool:
        """A clause set in the present: a strong present word ("again", "lately"), or a weak one
        ("now", "today") in a clause that names no service ("now I want to try TMS" is about
        the treatment) and, with ``of_the_writer``, speaks of the writer. A recovery stated now
        ("I'm 34 now and doing fine") and a dated past are left out first."""
        words = self._tense_words(clause)
        if words & self._present_words:
            return True
        return bool(
            words & self._present_weak
            and (words & self._self_words or not of_the_writer)
            and not words & self._service_words
        )

    def _tense_words(self, clause: str) -> Set[str]:
        """The clause's words once a recovery stated now and a dated past are taken out."""
        return set(self._without(self._without(clause, "wellness"), "past").split())

    def _without(self, text: str, cue: str) -> str:
        for pattern in self._framing[cue]:
            text = pattern.sub(" ", text)
        return text

    def _clause_framing(
        self, clause: str, asks: bool, brought_back: bool, role: bool, another_well: bool
    ) -> Optional[str]:
        if any(p.search(clause) for p in self._framing["never"]):
            return None  # a method, a plan, "asking for me", a first-person disclosure
        words = clause.split()
        if role:
            return "role"
        if (
            another_well
            and not set(words) & self._writer_subject
            and any(p.search(clause) for p in self._framing["another_then"])
        ):
            return "another_well"  # "if my son ever said he was suicidal ... he's fine"
        compound = any(p.search(clause) for p in self._framing["topic_compounds"])
        present = self._tense_words(clause) & (self._present_words | self._present_weak)
        if present and not (compound and not set(words) & self._self_words):
            return None  # "again", "today" beside the topic word, unless a topic compound
        if any(p.search(clause) for p in self._framing["loss"]):
            return "loss"
        if not brought_back and any(p.search(clause) for p in self._framing["past"]):
            return "past"
        if any(p.search(clause) for p in self._framing["reported"]):
            return "reported"
        if any(p.search(clause) for p in self._framing["study"]):
            return "study"
        if set(words) & self._first_person and not compound:
            return None  # a topic compound names a topic: "where can I find suicide statistics"
        first = next((w for w in words if w not in self._lead_words), "")
        if len(words) < 3 or first in self._elided_self:
            return None  # "suicide?" names nothing but the word; "thinking about suicide, normal?"
        if first in self._question_words or asks:
            return "impersonal"
        return "impersonal" if compound else None

    def _idioms(self, text: str, index: Optional["_TokenIndex"]) -> List[Tuple[int, int, str]]:
        return [
            (m.start(), m.end(), family.name)
            for family in self._families[IDIOM]
            for m in self._matches(family, text, index)
        ]

    def _denied(self, text: str, m: "re.Match[str]") -> Optional[int]:
        """Start of the denial attached to a negatable match, unless taken back."""
        start = self._denial_start(text, m.start())
        if start is None:
            return None
        if self._reinstated is not None and self._reinstated.match(text, m.end()):
            return None
        return start

    def _inside_other_denial(self, text: str, m: "re.Match[str]") -> bool:
        """Whether a denied signal of a negatable family, in the same clause, contains m."""
        s, e = m.start(), m.end()
        low = text.rfind(" |", max(0, s - 600), s)
        high = text.find(" |", e, e + 600)
        low = max(0, s - 600) if low == -1 else low
        high = min(len(text), e + 600) if high == -1 else high
        for kind in ALARM_KINDS:
            for family in self._families[kind]:
                if not family.negatable:
                    continue
                for pattern in family.patterns:
                    for other in pattern.regex.finditer(text, low, high):
                        if other.end() < e or other.start() > e:
                            continue
                        start = self._denied(text, other)
                        if start is not None and start <= s:
                            return True
        return False

    def family_names(self, kind: str) -> List[str]:
        """Names of the families of one kind, in priority order (for staff tools and tests)."""
        return [family.name for family in self._families.get(kind, [])]


class _TokenIndex:
    """Where the anchor words of a long message are, to run patterns only near them."""

    def __init__(self, text: str, anchors: frozenset, prefixes3: frozenset) -> None:
        tokens = text.split(" ")
        lengths = list(map(len, tokens))
        # Offset of token i = total length of the tokens before it + one space each.
        before = itertools.accumulate(lengths, initial=0)
        self._starts = list(map(operator.add, before, range(len(tokens) + 1)))
        self._size = len(text)
        self._count = len(tokens)
        self._at: Dict[str, List[int]] = {}
        at = self._at
        for i, token in enumerate(tokens):
            if token in anchors or token[:3] in prefixes3:
                bucket = at.get(token)
                if bucket is None:
                    at[token] = [i]
                else:
                    bucket.append(i)

    def windows(self, words: frozenset, prefixes: frozenset, reach: int) -> List[Tuple[int, int]]:
        """Character spans of the text around each anchor, merged; each starts at the space
        before a word (patterns start with that space) and reaches `reach` words either side
        of the anchor (a pattern's longest match, lookarounds included, plus a margin)."""
        hits: List[int] = []
        at = self._at
        for word in words:
            found = at.get(word)
            if found:
                hits.extend(found)
        if prefixes:
            for token, found in at.items():
                if token.startswith(tuple(prefixes)):
                    hits.extend(found)
        if not hits:
            return []
        last = self._count - 1
        if len(hits) * reach * 4 > last:  # anchors everywhere: one scan is cheaper
            return [(0, self._size)]
        hits.sort()
        # Windows closer than _MERGE_GAP words are merged: fewer, slightly longer scans.
        reach_ahead = reach + _MERGE_GAP
        spans: List[List[int]] = []
        for hit in hits:
            if spans and hit - reach <= spans[-1][1]:
                spans[-1][1] = hit + reach_ahead
            else:
                spans.append([hit - reach, hit + reach_ahead])
        starts, size = self._starts, self._size
        return [
            (max(0, starts[max(0, first)] - 1), starts[final + 1] - 1 if final < last else size)
            for first, final in spans
        ]


_EXACT_CAP = 512
_EDGE = "\x00"  # a word edge inside an exact string
_WEAK_ANCHORS = frozenset(
    "a an the i me my you your he him his she her it its we us our they them their to of in on "
    "at for and or but is am are was were be been being do does did have has had not no so just "
    "s this that with like up out all any".split()
)
# Everyday words: an anchor of last resort (a rarer word in the same pattern is preferred).
_COMMON_ANCHORS = frozenset(
    "about after again also always another any anymore around away back because before being "
    "call called can come could day did does doing done down each even ever every feel feeling "
    "felt first from get getting give go going gone good got had has have having here how if "
    "into just keep know last left life little long look made make many may maybe might more "
    "most much need never new next night now off old once one only other over own people "
    "really right said say says see should since some something still such take taken taking "
    "tell than then there these thing things think those thought through time today told too "
    "took try trying two very want wants was way week well went were what when where which "
    "while who why will with without would year yes yet".split()
)


def _exact(item: Tuple[Any, Any]) -> Optional[set]:
    """Every string one regex item can match, if they are few; word edges as _EDGE."""
    c = _sre_constants
    op, av = item
    if op is c.LITERAL:
        return {chr(av)}
    if op is c.AT:
        edges = (c.AT_BOUNDARY, c.AT_BEGINNING, c.AT_END, c.AT_BEGINNING_STRING, c.AT_END_STRING)
        return {_EDGE} if av in edges else {""}
    if op is c.ASSERT and av[0] == 1 and _starts_at_edge(av[1]):
        return {_EDGE}  # a lookahead for a space or the end: the word ends here
    if op in (c.ASSERT, c.ASSERT_NOT):
        return {""}
    if op is c.IN:
        chars = set()
        for sub_op, sub_av in av:
            if sub_op is not c.LITERAL:
                return None
            chars.add(chr(sub_av))
        return chars
    if op is c.SUBPATTERN:
        return _exact_seq(av[-1])
    if op is c.BRANCH:
        out: set = set()
        for branch in av[1]:
            got = _exact_seq(branch)
            if got is None or len(out) + len(got) > _EXACT_CAP:
                return None
            out |= got
        return out
    if op in (c.MAX_REPEAT, c.MIN_REPEAT):
        low, high, sub = av
        if high > 3:
            return None
        got = _exact_seq(sub)
        if got is None:
            return None
        out, layer = set(), {""}
        for count in range(high + 1):
            if count >= low:
                out |= layer
            if count < high:
                layer = {x + y for x in layer for y in got}
                if len(layer) > _EXACT_CAP:
                    return None
        return out
    return None


def _starts_at_edge(items: Any) -> bool:
    """Whether every match of the regex starts with a space or at the end of the text."""
    c = _sre_constants
    for op, av in items:
        if op is c.LITERAL:
            return av == 32
        if op is c.AT:
            return av in (c.AT_END, c.AT_END_STRING, c.AT_BOUNDARY)
        if op is c.SUBPATTERN:
            return _starts_at_edge(av[-1])
        if op is c.BRANCH:
            return all(_starts_at_edge(branch) for branch in av[1])
        return False
    return False


def _exact_seq(items: Any) -> Optional[set]:
    out = {""}
    for item in items:
        got = _exact(item)
        if got is None:
            return None
        out = {x + y for x in out for y in got}
        if len(out) > _EXACT_CAP:
            return None
    return out


def _class_has_space(members: Any) -> bool:
    """Whether a character class [...] can match a space."""
    c = _sre_constants
    for op, av in members:
        if op is c.NEGATE:
            return True
        if op is c.LITERAL and av == 32:
            return True
        if op is c.RANGE and av[0] <= 32 <= av[1]:
            return True
        if op is c.CATEGORY and av in (c.CATEGORY_SPACE, c.CATEGORY_NOT_WORD, c.CATEGORY_NOT_DIGIT):
            return True
    return False


def _max_spaces(items: Any) -> Optional[int]:
    """The most spaces a match of the regex (with what its lookarounds read) can contain,
    or None if unbounded. A match spans at most that many words plus one."""
    c = _sre_constants
    total = 0
    for op, av in items:
        if op is c.LITERAL:
            total += 1 if av == 32 else 0
        elif op is c.IN:
            total += 1 if _class_has_space(av) else 0
        elif op in (c.NOT_LITERAL, c.ANY):
            total += 1
        elif op is c.SUBPATTERN:
            got = _max_spaces(av[-1])
            if got is None:
                return None
            total += got
        elif op in (c.ASSERT, c.ASSERT_NOT):
            got = _max_spaces(av[1])
            if got is None:
                return None
            total += got
        elif op is c.BRANCH:
            counts = [_max_spaces(branch) for branch in av[1]]
            known = [n for n in counts if n is not None]
            if len(known) < len(counts):
                return None
            total += max(known)
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT):
            got = _max_spaces(av[2])
            if got is None:
                return None
            if got:
                if av[1] is c.MAXREPEAT:
                    return None
                total += got * av[1]
        elif op is c.CATEGORY:
            total += 1 if av in (c.CATEGORY_SPACE, c.CATEGORY_NOT_WORD, c.CATEGORY_NOT_DIGIT) else 0
    return total


def _probe_strings(source: str) -> Optional[Tuple[str, ...]]:
    """Substrings one of which every match of the regex contains (the best exact run of its
    top-level sequence), or None. Used to skip a rewrite quickly when it cannot apply."""
    best: Optional[set] = None
    run: Optional[set] = None
    for item in list(_sre_parse.parse(source).data) + [(None, None)]:
        got = _exact(item) if item[0] is not None else None
        if got is not None:
            merged = {x + y for x in (run or {""}) for y in got}
            if len(merged) <= _EXACT_CAP:
                run = merged
                continue
        if run:
            cleaned = {x.replace(_EDGE, "") for x in run}
            if all(cleaned) and (best is None or min(map(len, cleaned)) > min(map(len, best))):
                best = cleaned
        run = got
    return tuple(sorted(best)) if best else None


def _anchors(source: str) -> Tuple[Optional[frozenset], Optional[frozenset]]:
    """(words, prefixes): every match of the regex contains a token equal to one of the words
    or starting with one of the prefixes. (None, None) when no such guarantee was found.

    Worked out from the parsed regex, so it always agrees with the patterns: a family is only
    run around these tokens in long messages (that is what keeps a 100 kB message fast), and
    no hand-kept keyword list can switch a pattern off by mistake.
    """
    c = _sre_constants

    def best_anchor(text: str) -> Optional[Tuple[str, bool]]:
        """The best whole word (False) or word prefix (True) that `text` guarantees."""
        pieces = text.split(" ")
        best: Optional[Tuple[str, bool]] = None
        best_score = -1
        for index, piece in enumerate(pieces):
            left = index > 0 or piece.startswith(_EDGE)
            right = index < len(pieces) - 1 or piece.endswith(_EDGE)
            word = piece.replace(_EDGE, "")
            if not left or not word or _EDGE in word or not word.isalnum():
                continue
            if _anchor_score(word) == 0:
                continue
            score = 2 * _anchor_score(word) + (1 if right else 0)
            if score > best_score:
                best, best_score = (word, not right), score
        return best

    Requirement = Tuple[frozenset, int]  # ({(word, is_prefix)}, score)

    def from_strings(strings: set) -> Optional[Requirement]:
        anchors = set()
        for text in strings:
            anchor = best_anchor(text)
            if anchor is None:
                return None
            anchors.add(anchor)
        score = min(_anchor_score(w) for w, _ in anchors)
        return frozenset(anchors), score

    def ends_at_edge(item: Tuple[Any, Any], edge_before: bool) -> bool:
        """Whether a word edge (space, \\b) always stands right after this item."""
        op, av = item
        if op is c.LITERAL:
            return chr(av) == " "
        if op is c.AT:
            return av in (c.AT_BOUNDARY, c.AT_BEGINNING, c.AT_BEGINNING_STRING) or edge_before
        if op in (c.ASSERT, c.ASSERT_NOT):
            return edge_before
        if op is c.SUBPATTERN:
            return seq_ends_at_edge(av[-1], edge_before)
        if op is c.BRANCH:
            return all(seq_ends_at_edge(branch, edge_before) for branch in av[1])
        if op in (c.MAX_REPEAT, c.MIN_REPEAT):
            return seq_ends_at_edge(av[2], edge_before) and (av[0] >= 1 or edge_before)
        return False

    def seq_ends_at_edge(items: Any, edge_before: bool) -> bool:
        for item in items:
            edge_before = ends_at_edge(item, edge_before)
        return edge_before

    def seq(items: Any, edge_before: bool = False) -> Optional[Requirement]:
        candidates: List[Requirement] = []
        run: Optional[set] = {_EDGE} if edge_before else None

        def close_run() -> None:
            if run and any(x.strip(_EDGE + " ") for x in run):
                got = from_strings(run)
                if got:
                    candidates.append(got)

        for item in items:
            got = _exact(item)
            if got is not None:
                merged = {x + y for x in (run or {""}) for y in got}
                if len(merged) <= _EXACT_CAP:
                    run = merged
                else:
                    close_run()
                    run = {(_EDGE if edge_before else "") + y for y in got}
                edge_before = ends_at_edge(item, edge_before)
                continue
            close_run()
            op, av = item
            found: Optional[Requirement] = None
            if op is c.SUBPATTERN:
                found = seq(av[-1], edge_before)
            elif op is c.BRANCH:
                parts = [seq(branch, edge_before) for branch in av[1]]
                if all(parts):
                    found = (
                        frozenset().union(*(p[0] for p in parts)),  # type: ignore[index]
                        min(p[1] for p in parts),  # type: ignore[index]
                    )
            elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and av[0] >= 1:
                found = seq(av[2], edge_before)
            if found:
                candidates.append(found)
            edge_before = ends_at_edge(item, edge_before)
            run = {_EDGE} if edge_before else None
        close_run()
        if not candidates:
            return None
        return max(candidates, key=lambda r: (r[1], -len(r[0])))

    found = seq(_sre_parse.parse(source))
    if not found or found[1] == 0:
        return None, None
    words = frozenset(w for w, prefix in found[0] if not prefix)
    prefixes = frozenset(w for w, prefix in found[0] if prefix)
    return words, prefixes


def _anchor_score(word: str) -> int:
    """How good a word is as an anchor: 0 never, 1 everyday word, else longer is rarer."""
    if word in _WEAK_ANCHORS:
        return 0
    if word in _COMMON_ANCHORS:
        return 1
    return len(word) + 1


def _expand_contractions(text: str) -> str:
    """don't -> do not, i'm -> i am, mom's -> mom s, it's -> it is ... around each apostrophe."""
    parts = text.split("'")
    out = [parts[0]]
    for after in parts[1:]:
        before = out[-1]
        left = before[len(before.rstrip(_ALNUM)) :]
        right = after[: len(after) - len(after.lstrip(_ALNUM))]
        if right == "t" and left.endswith("n"):
            stem = _NOT_STEMS.get(left, left[:-1])  # can't, won't; don't, isn't, didn't
            out[-1] = before[: len(before) - len(left)] + stem + " not"
            out.append(after[1:])
        elif right in _SUFFIXES and left:
            out.append(" " + _SUFFIXES[right] + after[len(right) :])
        elif right == "s" and left:
            out.append((" is" if left in _IS_BEFORE_S else " s") + after[1:])
        else:
            out.append(after)
    return "".join(out)


def _fuzzy_map(words: Iterable[str], exclude: Iterable[str]) -> Dict[str, str]:
    """Every spelling one edit away from each long word (misspellings of key words)."""
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = [str(w) for w in words]
    excluded = set(map(str, exclude)) | set(words)
    mapping: Dict[str, str] = {}
    for word in words:
        if len(word) < 6:
            continue
        splits = [(word[:i], word[i:]) for i in range(len(word) + 1)]
        variants: set[str] = set()
        variants.update(a + b[1:] for a, b in splits if b)
        variants.update(a + b[1] + b[0] + b[2:] for a, b in splits if len(b) > 1)
        variants.update(a + c + b[1:] for a, b in splits if b for c in letters)
        variants.update(a + c + b for a, b in splits for c in letters)
        for variant in variants:
            if variant not in excluded:
                mapping.setdefault(variant, word)
    return mapping


def _leading_space(pattern: str) -> str:
    """A pattern's leading \\b becomes a literal space (the text is matched with a space in
    front of every word): same matches, but `re` can then skip quickly to candidate spots."""
    return " " + pattern[2:] if pattern.startswith("\\b") else pattern


def _words(section: Dict[str, Any], key: str) -> frozenset:
    """A list of words from the lexicon; YAML turns a bare `no` into False, so check."""
    words = section.get(key) or []
    bad = [w for w in words if not isinstance(w, str)]
    if bad:
        raise LexiconError(f"{key}: {bad!r} are not words (quote them in the YAML)")
    return frozenset(words)


def load_lexicon(path: Path = LEXICON_PATH) -> Dict[str, Any]:
    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise LexiconError(f"{path}: not a mapping")
    return data


@functools.lru_cache(maxsize=4)
def get_detector(path: Path = LEXICON_PATH) -> CrisisDetector:
    """The detector for a lexicon file, built once per process."""
    return CrisisDetector(load_lexicon(Path(path)))


def detect(text: str) -> Detection:
    """Classify one message with the project's lexicon."""
    return get_detector().detect(text)


def normalise(text: str) -> str:
    """The project's normalisation of one message (handy when editing the lexicon)."""
    return get_detector().normalise(text)
