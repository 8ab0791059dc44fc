"""The learned risk model: how likely a message is to carry suicide, self-harm or emergency risk.

Why a model beside the lexicon: the lexicon (``practice/safety/crisis_detector.py``) is precise on
what its patterns name and blind to everything else; each blind batch found a few percent of
new misses (a farewell with no suicide word, a plan told through its means) and idioms that it
took for a crisis. A linear model over word and character n-grams, trained on a corpus of
several thousand varied lines (``data/risk/``), generalises to phrasings nobody listed.

Four classes: ``none``, ``possible`` (answered with a check-in), ``crisis`` and ``emergency``
(together "clear risk"). Probabilities are calibrated (Platt scaling over internal folds) over TF-IDF of hashed word and character n-grams
(``practice/safety/hashed_ngrams.py``: fast enough to run on every message), so
the thresholds that turn them into a level (``RiskThresholds``) mean what they say; they are
chosen by cross-validation on the training corpus only (``scripts/risk_cv.py``,
docs/safety.md). How the model and the lexicon combine is ``decide``.

Pure Python + scikit-learn, no Rasa imports: the NLU component, the channels and the scripts
all use it. The fitted pipeline is stored with skops and loading refuses any type outside
sklearn, numpy and scipy (as the intent classifier's).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np
import skops.io as sio
import yaml
from sklearn.calibration import CalibratedClassifierCV
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from practice.paths import PROJECT_ROOT
from practice.safety.crisis_detector import CRISIS, EMERGENCY, Detection, get_detector
from practice.safety.hashed_ngrams import HashedNgrams

CORPUS_DIR = PROJECT_ROOT / "data" / "risk"

NONE, POSSIBLE = "none", "possible"
LABELS = (NONE, POSSIBLE, CRISIS, EMERGENCY)
CLEAR = "clear"

# The model reads at most this much of a message: its start and its end. Risk is stated in a
# sentence or two, and a pasted page must not cost more than a short message.
HEAD_CHARS = 1_500
TAIL_CHARS = 500
TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "builtins.", "practice.safety.hashed_ngrams.HashedNgrams")


# ---------------------------------------------------------------------------- the corpus


def load_corpus(directory: Path = CORPUS_DIR) -> Tuple[List[str], List[str], List[str]]:
    """(texts, labels, families) from every ``*.yml`` under ``directory``.

    Each file maps a label (one of ``LABELS``) to families, each a list of messages:
    ``{crisis: {farewell: ["...", ...], ...}}``. Other top-level keys (such as ``followups``)
    are not training lines for the message model and are skipped. Duplicates (after case
    and space folding) are kept once, with the label of their first appearance.
    """
    texts: List[str] = []
    labels: List[str] = []
    families: List[str] = []
    seen: Dict[str, str] = {}
    for path in sorted(Path(directory).glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        if not isinstance(data, dict):
            raise ValueError(f"{path}: expected a mapping of label -> family -> lines")
        for label, groups in data.items():
            if label not in LABELS:
                continue
            if not isinstance(groups, dict):
                raise ValueError(f"{path}: {label} must map family names to lists of lines")
            for family, lines in groups.items():
                if not isinstance(lines, list):
                    raise ValueError(f"{path}: {label}.{family} must be a list of lines")
                for line in lines:
                    text = str(line).strip()
                    key = " ".join(text.lower().split())
                    if not text or key in seen:
                        continue
                    seen[key] = label
                    texts.append(text)
                    labels.append(label)
                    families.append(f"{label}.{family}")
    return texts, labels, families


def with_ordinary_messages(
    corpus: Tuple[List[str], List[str], List[str]], ordinary: Sequence[Tuple[str, str]]
) -> Tuple[List[str], List[str], List[str]]:
    """The corpus plus everyday messages labelled ``none``: ``ordinary`` holds (text, intent)
    pairs from the assistant's NLU training data, safety intents left out. Greetings, thanks,
    "bye" and plain questions are most of what visitors send; without them a model trained
    only on risk and near-miss lines has no idea what an ordinary "goodbye" is."""
    texts, labels, families = (list(part) for part in corpus)
    seen = {" ".join(t.lower().split()) for t in texts}
    for text, intent in ordinary:
        key = " ".join(str(text).lower().split())
        if key and key not in seen:
            seen.add(key)
            texts.append(str(text))
            labels.append(NONE)
            families.append(f"{NONE}.nlu_{intent}")
    return texts, labels, families


def load_followups(directory: Path = CORPUS_DIR) -> Tuple[List[str], List[int]]:
    """(texts, is_yes) of the answers to a check-in question (``followups`` in the corpus:
    ``yes_or_risk`` and ``no`` families)."""
    texts: List[str] = []
    yes: List[int] = []
    for path in sorted(Path(directory).glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for family, lines in ((data.get("followups") or {}) if isinstance(data, dict) else {}).items():
            if family not in ("yes_or_risk", "no"):
                raise ValueError(f"{path}: followups.{family}: expected yes_or_risk or no")
            for line in lines or []:
                texts.append(str(line).strip())
                yes.append(int(family == "yes_or_risk"))
    return texts, yes


def corpus_digest(directory: Path = CORPUS_DIR) -> str:
    """A digest of the corpus files (the trained model changes when they do)."""
    digest = hashlib.sha256()
    for path in sorted(Path(directory).glob("*.yml")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


# ---------------------------------------------------------------------------- features


def model_text(text: str) -> str:
    """What the model reads: the lexicon's normalisation (case, accents, contractions, leet
    and spaced-out spellings folded) of the message's head and tail."""
    text = text or ""
    if len(text) > HEAD_CHARS + TAIL_CHARS:
        text = text[:HEAD_CHARS] + " | " + text[-TAIL_CHARS:]
    return get_detector().normalise(text)


def build_pipeline(C: float = 1.0, folds: int = 5, seed: int = 42) -> Pipeline:
    features = HashedNgrams(word_ngrams=(1, 3), char_ngrams=(1, 5), bits=18)
    svm = LinearSVC(C=C, class_weight="balanced", random_state=seed)
    classifier = CalibratedClassifierCV(svm, cv=folds, method="sigmoid", ensemble=False)
    return Pipeline([("features", features), ("classifier", classifier)])


@dataclass(frozen=True)
class RiskScores:
    """Calibrated class probabilities for one message."""

    none: float
    possible: float
    crisis: float
    emergency: float

    @property
    def clear(self) -> float:
        return self.crisis + self.emergency

    @property
    def signal(self) -> float:
        """How much risk of any level the message carries (1 - P(none))."""
        return self.possible + self.clear

    def as_dict(self) -> Dict[str, float]:
        return {label: round(getattr(self, label), 4) for label in LABELS}


# With no model, the lexicon's verdict is all there is: scores that decide nothing.
NO_SCORES = RiskScores(none=1.0, possible=0.0, crisis=0.0, emergency=0.0)


class RiskModel:
    """A fitted pipeline and the order of its classes."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        classes = [str(c) for c in pipeline.classes_]
        missing = set(LABELS) - set(classes)
        if missing:
            raise ValueError(f"the risk model was trained without the classes {sorted(missing)}")
        self._index = [classes.index(label) for label in LABELS]
        self._fast = self._linear_parts(pipeline)

    @staticmethod
    def _linear_parts(pipeline: Pipeline) -> Optional[Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]]:
        """The fitted numbers predict_proba uses, for calibrated linear SVMs with one model.

        sklearn's CalibratedClassifierCV.predict_proba spends ~0.5 ms a message on input checks
        and label encoding; the arithmetic is a sparse dot product and four sigmoids. None
        (use predict_proba) for any other shape of classifier.
        """
        classifier = pipeline.named_steps["classifier"]
        calibrated = getattr(classifier, "calibrated_classifiers_", None)
        if not calibrated or len(calibrated) != 1 or len(classifier.classes_) < 3:
            return None
        part = calibrated[0]
        svm = part.base_estimator
        if (
            not isinstance(svm, LinearSVC)
            or part.method != "sigmoid"
            or list(svm.classes_) != list(classifier.classes_)
        ):
            return None
        a = np.array([c.a_ for c in part.calibrators], dtype=float)
        b = np.array([c.b_ for c in part.calibrators], dtype=float)
        return svm.coef_.T.copy(), svm.intercept_.copy(), a, b

    def _predict_proba(self, texts: List[str]) -> np.ndarray:
        if self._fast is None:
            return self.pipeline.predict_proba(texts)
        weights, intercept, a, b = self._fast
        features = self.pipeline.named_steps["features"]
        if len(texts) == 1:  # a message at a time, as the assistant scores them: no sparse matrix
            columns, values = features.weighted(texts[0])
            decision = (values @ weights[columns] + intercept)[np.newaxis, :]
        else:
            decision = np.asarray(features.transform(texts) @ weights) + intercept
        proba = 1.0 / (1.0 + np.exp(a * decision + b))
        total = proba.sum(axis=1, keepdims=True)
        return np.divide(proba, total, out=np.full_like(proba, 1 / proba.shape[1]), where=total != 0)

    @classmethod
    def train(
        cls, texts: Sequence[str], labels: Sequence[str], C: float = 1.0, seed: int = 42
    ) -> "RiskModel":
        pipeline = build_pipeline(C=C, seed=seed)
        pipeline.fit([model_text(t) for t in texts], np.array(list(labels)))
        return cls(pipeline)

    def score_many(self, texts: Iterable[str]) -> List[RiskScores]:
        return self.score_model_texts([model_text(t) for t in texts])

    def score_model_texts(self, normalised: List[str]) -> List[RiskScores]:
        """Scores of texts already passed through ``model_text`` (normalised once per message)."""
        rows = self._predict_proba(normalised)
        return [RiskScores(*(float(row[i]) for i in self._index)) for row in rows]

    def score(self, text: str) -> RiskScores:
        return self.score_many([text])[0]

    def save(self, path: Path) -> None:
        sio.dump(self.pipeline, path)

    @classmethod
    def load(cls, path: Path) -> "RiskModel":
        return cls(_load_pipeline(path))


class AnswerModel:
    """P(yes) for an answer to "are you having thoughts of ending your life?".

    A visitor answers in their own words ("kinda", "not a plan but yeah", "si a veces", "no,
    just stressed"), which the intent classifier's affirm / deny were never trained on.
    """

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self._yes = [int(c) for c in pipeline.classes_].index(1)

    @classmethod
    def train(cls, texts: Sequence[str], yes: Sequence[int], seed: int = 42) -> "AnswerModel":
        pipeline = build_pipeline(C=1.0, folds=3, seed=seed)
        pipeline.fit([model_text(t) for t in texts], np.array(list(yes)))
        return cls(pipeline)

    def p_yes(self, text: str) -> float:
        return self.p_yes_model_text(model_text(text))

    def p_yes_model_text(self, normalised: str) -> float:
        """P(yes) of a text already passed through ``model_text``."""
        return float(self.pipeline.predict_proba([normalised])[0][self._yes])

    def save(self, path: Path) -> None:
        sio.dump(self.pipeline, path)

    @classmethod
    def load(cls, path: Path) -> "AnswerModel":
        return cls(_load_pipeline(path))


def _load_pipeline(path: Path) -> Pipeline:
    untrusted = sio.get_untrusted_types(file=path)
    unexpected = [t for t in untrusted if not t.startswith(TRUSTED_PREFIXES)]
    if unexpected:
        raise ValueError(f"refusing to load unexpected types {unexpected}")
    return sio.load(path, trusted=untrusted)


# ---------------------------------------------------------------------------- decisions


@dataclass(frozen=True)
class RiskThresholds:
    """Where calibrated probabilities become levels (chosen by scripts/risk_cv.py).

    clear: P(crisis) + P(emergency) at or above it is clear risk.
    possible: P(not none) at or above it (and not clear) is possible risk: a check-in.
    lexicon_check_in: a lexicon alarm the model doubts (P(none) at least this) is answered with
        a check-in instead of the crisis reply: the lexicon cannot tell "my aunt died by
        suicide years ago" from a disclosure, the model often can, and the visitor is still
        asked. The model never silences the lexicon: in testing it was sure (P(none) 0.97)
        that "i'm thinking about suicide, what does a tms session feel like?" was a factual
        question, as so many corpus lines that name suicide beside TMS are.
    mention: a lexicon alarm on a topic word alone (a `mention: true` family) that the model
        does not call clear, with P(none) at least this, in a message that frames every mention as a topic
        (``CrisisDetector.mention_framing``) and whose other clauses the model reads as no risk
        either, is a factual question: it gets its answer with the 988 line added. Never for a
        first-person statement ("i'm thinking about suicide, what does a tms session feel
        like?" is not framed, so it keeps its check-in).
    """

    clear: float = 0.5
    possible: float = 0.5
    lexicon_check_in: float = 1.01
    mention: float = 1.01


@dataclass(frozen=True)
class RiskDecision:
    level: str  # none / possible / clear
    kind: Optional[str]  # crisis / emergency when clear
    scores: RiskScores
    lexicon: Detection
    # "lexicon", "model", "both", "lexicon_doubted", "lexicon_sentence" (a doubt the alarm's own
    # sentence overrules), "lexicon_mention" or "none"
    source: str
    mention: Optional[str] = None  # how a factual mention was framed (source lexicon_mention)

    def as_dict(self) -> Dict[str, object]:
        return {
            "level": self.level,
            "kind": self.kind,
            "scores": self.scores.as_dict(),
            "signal": round(self.scores.signal, 4),
            "source": self.source,
            "lexicon": self.lexicon.kind,
            "pattern": self.lexicon.pattern,
            "mention": self.mention,
        }


def decide(scores: RiskScores, lexicon: Detection, thresholds: RiskThresholds) -> RiskDecision:
    """The message's risk level from the model's scores and the lexicon's detection.

    - Clear risk when the model's P(clear) reaches its threshold or the lexicon alarms; an
      emergency in either makes it an emergency (the lexicon's emergency families are narrow:
      something taken, a seizure now).
    - A lexicon alarm the model doubts (``lexicon_check_in``) gets a check-in, never less;
      an alarm from a `sure` family (a first-person statement: "I'm suicidal") is not doubted.
    - Possible risk when P(not none) reaches its threshold.
    """
    model_clear = scores.clear >= thresholds.clear
    verdict = "alarm" if lexicon.is_alarm else None  # the lexicon's, after the model's view
    # An emergency phrase ("my mom overdosed") is never doubted into a question: only framed
    # (assess_message) as the past, a loss or a report. Nor is a `sure` family ("I'm suicidal").
    if (
        verdict
        and lexicon.kind != EMERGENCY
        and not lexicon.sure
        and not model_clear
        and scores.none >= thresholds.lexicon_check_in
    ):
        verdict = "doubted"
    if model_clear or verdict == "alarm":
        emergency = (verdict == "alarm" and lexicon.kind == EMERGENCY) or (
            model_clear and scores.emergency > scores.crisis
        )
        source = "both" if model_clear and verdict == "alarm" else ("model" if model_clear else "lexicon")
        return RiskDecision(CLEAR, EMERGENCY if emergency else CRISIS, scores, lexicon, source)
    if verdict == "doubted":
        return RiskDecision(POSSIBLE, None, scores, lexicon, "lexicon_doubted")
    if scores.signal >= thresholds.possible:
        return RiskDecision(POSSIBLE, None, scores, lexicon, "model")
    return RiskDecision(NONE, None, scores, lexicon, "none")


def assess_message(
    text: str,
    model: Optional["RiskModel"],
    thresholds: RiskThresholds,
    normalised: Optional[str] = None,
) -> RiskDecision:
    """The risk decision for one message: the model's scores, the lexicon, and a mention's framing.

    ``decide`` first; a lexicon alarm on a topic word alone that the model does not call clear
    then becomes a factual mention (level none, source ``lexicon_mention``) when the model's
    P(none) reaches ``mention`` (chosen by cross-validation), the message frames
    every mention (``CrisisDetector.mention_framing``) and the model reads the message's other
    clauses, on their own, below the check-in threshold.
    """
    detector = get_detector()
    lexicon = detector.detect(text)
    if model is None:
        return decide(NO_SCORES, lexicon, thresholds)
    (scores,) = model.score_model_texts([normalised if normalised is not None else model_text(text)])
    decision = decide(scores, lexicon, thresholds)
    if decision.source not in ("lexicon", "lexicon_doubted"):
        return decision
    return _factual_mention(text, decision, model, thresholds) or _doubt_checked(
        text, decision, model, thresholds
    )


def _factual_mention(
    text: str, decision: RiskDecision, model: "RiskModel", thresholds: RiskThresholds
) -> Optional[RiskDecision]:
    """The lexicon alarm of ``decision`` as a factual mention (source ``lexicon_mention``), or None.

    The model's doubt may rest on the topic word itself, which the framing accounts for: its
    P(none) must reach `mention`; a disclosure phrase must also be doubted (`lexicon_check_in`)
    and is framed only as the past, a loss or a report. The other clauses must read as no risk.
    """
    scores, lexicon = decision.scores, decision.lexicon
    disclosure = not lexicon.mention
    if scores.none < thresholds.mention or (disclosure and scores.none < thresholds.lexicon_check_in):
        return None
    framed = get_detector().mention_framing(text, disclosure=disclosure)
    if framed is None:
        return None
    framing, rest = framed
    if rest and model.score(rest).signal >= thresholds.possible:
        return None
    return RiskDecision(NONE, None, scores, lexicon, "lexicon_mention", framing)


# A doubted alarm is checked in at most this many of its sentences (a pasted page stays cheap).
MAX_DOUBT_SENTENCES = 3


def _doubt_checked(
    text: str, decision: RiskDecision, model: "RiskModel", thresholds: RiskThresholds
) -> RiskDecision:
    """A doubted lexicon alarm keeps the crisis reply when the model, reading the alarm's own
    sentence alone, calls it clear risk.

    The model reads the whole message, so an everyday sentence beside the alarm can outweigh
    it: "i want to die. not sure why im typing this into a clinic website" was doubted into a
    check-in. Only messages of two or more sentences can change (one sentence is the whole
    message, which the model already judged), and the same `clear` threshold applies.
    """
    if decision.source != "lexicon_doubted":
        return decision
    sentences = get_detector().alarm_sentences(text, limit=MAX_DOUBT_SENTENCES)
    if not sentences or sentences == [text.strip()]:
        return decision
    if max(score.clear for score in model.score_many(sentences)) < thresholds.clear:
        return decision
    return RiskDecision(CLEAR, decision.lexicon.kind, decision.scores, decision.lexicon, "lexicon_sentence")


# ---------------------------------------------------------------------------- language

_SPANISH_WORDS = frozenset(
    """que de la el los las por para con sin una uno pero como mas muy ya no si mi mis me te se
    lo le les nada todo todos quiero quieres puedo puede estoy estar esta este esto eso soy es
    son tengo tiene hay vida vivir morir muerto muerta matarme mismo ayuda ayudame nadie nunca
    siempre cuando donde porque hoy manana noche dia dias solo sola cansado cansada pastillas
    despertar familia mama papa hijo hija amigo amiga medicamento medicina tratamiento cita
    y o en del al su sus hacer hice voy vas va mejor peor gracias hola adios bien mal""".split()
)
_ENGLISH_WORDS = frozenset(
    """the a an and or but to of in on for with without is are was were be been am i you he she
    it we they my me your his her our their this that what how when why where can could would
    should will do does did not no yes just so if about have has had tms med meds my want
    feel like get got going know think""".split()
)
_WORD = re.compile(r"[a-z]+")


def is_spanish(text: str) -> bool:
    """True when the message is mostly Spanish (its replies then go in Spanish).

    Counts common function words of each language in the folded text; mixed messages count
    as Spanish when Spanish words are at least as many as English ones.
    """
    words = _WORD.findall(get_detector().normalise((text or "")[:HEAD_CHARS]))
    spanish = sum(1 for w in words if w in _SPANISH_WORDS and w not in _ENGLISH_WORDS)
    english = sum(1 for w in words if w in _ENGLISH_WORDS and w not in _SPANISH_WORDS)
    return spanish >= 2 and spanish >= english
