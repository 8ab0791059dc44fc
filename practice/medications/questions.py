"""What a message that names a medication asks: read from its wording, deterministically.

Used by the MedicationIntentRouter (rasa_ext/nlu/medication_router.py) once a medication, a
class word ("my benzo") or a family word ("my antidepressant") has been found:

- self_managed_change(): the visitor asks how to change their own medication — a dose, a
  taper, a skipped dose, when to take it around a session, someone else's or a leftover
  prescription, stopping on their own, mixing it with alcohol or drugs. Those get
  the "ask your prescriber" answer (safety.medical_advice), never a general one. It also
  applies to a medication named only as "my meds" (general_medication_spans()), except a
  taper: "should I taper off my meds before TMS" is the general meds.stopping question.
- mentions_tms(): the message is about TMS.
- refers_to_own(): a family word names the visitor's own medication ("my antidepressant",
  "I'm on antidepressants"), not antidepressants in general.
- treatment_history(): the medication is one tried in the past ("I failed Zoloft and
  Lexapro, am I a candidate?"), so the TMS question stays a TMS question.

Each check is a short list of patterns over the lower-cased text, one per kind of wording,
so a miss is fixed by adding a word to a list, with tests for its neighbours.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

_FLAGS = re.I

TMS = re.compile(
    r"\b(?:r?tms|dtms|itbs|transcranial|magnet(?:ic)? (?:stimulation|therapy|treatments?|thing|sessions?)"
    r"|brain (?:stimulation|zapp?ing|zaps?)|theta[- ]?burst|neurostar|brainsway|neurostim\w*)\b",
    _FLAGS,
)

# Self-managed changes, by kind.
_DOSE_WORD = re.compile(r"\b(?:doses?|dosages?|dosing)\b|(?<![a-z])(?:mgs?|milligrams?)\b", _FLAGS)
# A dose taken as prescribed is not a change: "my usual dose", "my morning dose", and an
# amount stated as a fact ("I'm on Zoloft 50mg") is not a question about it.
_DOSE_AS_USUAL = re.compile(
    r"\b(?:usual|regular|normal|same|daily|current|morning|evening|night|nightly|bedtime"
    r"|prescribed|scheduled)\s+(?:\w+\s+)?$|\d\s*$",
    _FLAGS,
)
_AMOUNT_CHANGE = re.compile(
    r"\b(?:increase\w*|decrease\w*|raise|raising|lower\w*|reduc\w*|doubl\w*|halv\w*|cut\w*"
    r"|adjust\w*|(?:go|going|move|moving|bump|bumping)\s+(?:up|down)|more|less|extra|instead)\b"
    r"|\bhow (?:much|many)\b",
    _FLAGS,
)
# Verbs of change that count only when the medication follows: "double my Lamictal", "take
# an extra Xanax" (but "raise my seizure risk" is a question about the medication).
_CHANGE_BEFORE_MEDICATION = re.compile(
    r"\b(?:increase|raise|lower|reduce|decrease|cut|double|halve|adjust|bump up|split"
    r"|skip\w*|miss|take|taking|use|have)"
    r"(?:\s+(?:an?|some|more|less|extra|double|half|twice|another|two|three|\d+|of|my|the"
    r"|her|his|their|our))*\s+$",
    _FLAGS,
)
# "how many Xanax", "how much of my Seroquel": an amount of the medication named.
_AMOUNT_OF_MEDICATION = re.compile(r"\bhow (?:much|many)\s+(?:(?:of|my|the|her|his)\s+)*$", _FLAGS)
# "switch from Zoloft to Lexapro", "swap my Lexapro" (not "switch to TMS instead").
_SWITCH_BEFORE_MEDICATION = re.compile(
    r"\b(?:switch\w*|swap\w*)(?:\s+(?:from|to|off|over|my|her|his|the|onto|an?))*\s+$", _FLAGS
)
_TAKE_MORE = re.compile(
    r"\b(?:more|less|extra|double|half|twice|another|two|three|\d+)\s+(?:of\s+)?"
    r"(?:(?:my|the|her|his|their|our)\s+)?$",
    _FLAGS,
)
_PATTERNS = [
    (
        "dose",
        re.compile(
            r"\bhow (?:much|many)\s+(?:\w+\s+){0,2}?(?:should|can|could|may|do)\s+"
            r"(?:i|we|she|he|they)\s+(?:take|have|use)\b"
            r"|\bhow (?:much|many)\s+(?:mg|milligrams?|pills?|tablets?|capsules?)\b"
            r"|\b(?:in half|half a (?:pill|tablet))\b",
            _FLAGS,
        ),
    ),
    (
        "taper",
        re.compile(
            r"\b(?:tapp?er\w*|wean\w*)\b|\b(?:slowly|gradually)\s+(?:come|get|go|cut"
            r"|reduce|lower|stop|quit|drop)\b",
            _FLAGS,
        ),
    ),
    (
        "skip",
        re.compile(
            r"\bskip\w*\s+(?:(?:a|my|one|the|her|his)\s+)?(?:doses?|pills?|tablets?|days?|it|them"
            r"|one)\b|\bmiss(?:ed|ing)?\s+(?:(?:a|my|one|the|her|his)\s+)?(?:doses?|pills?"
            r"|tablets?|days?)\b|\bforg[eo]t\w*\s+(?:to take|my|her|his)\b",
            _FLAGS,
        ),
    ),
    (
        # When to take one's own dose around a session: "should I take my Lamictal before or
        # after TMS", "move my Adderall to the evening".
        "timing",
        re.compile(
            r"\b(?:take|taking|have)\s+(?:it|them|(?:my|her|his)\s+(?:\w+\s+){0,3}?)"
            r"(?:before or after|after or before)\b"
            r"|\bshould (?:i|she|he|we) take\s+(?:it|them|(?:my|her|his)\s+(?:\w+\s+){0,2}?)"
            r"(?:(?:right|just)\s+)?(?:before|after)\s+"
            r"(?:(?:my|the|each|a|every)\s+)?(?:r?tms|sessions?|treatments?|appointments?)\b"
            r"|\b(?:move|moving|shift|shifting|switch|switching|push|pushing)\s+(?:my|her|his|the)\s+"
            r"(?:\w+\s+){0,2}?to\s+(?:the\s+)?(?:evening|morning|night|afternoon|bedtime|lunch)\b"
            r"|\bwhat time (?:of (?:the )?day )?(?:should|do|can|could) (?:i|she|he|we) take\b",
            _FLAGS,
        ),
    ),
    (
        # Someone else's or a leftover prescription: "can I take my friend's Ativan".
        "borrowed",
        re.compile(
            r"\b(?:take|taking|use|using|try|trying|borrow\w*|have)\s+(?:(?:some|one|a\s+few)\s+(?:of\s+)?)?"
            r"(?:my|a|her|his)\s+(?:\w+\s+)?(?:friend|mom|mum|mother|dad|father|sister|brother"
            r"|roommate|partner|wife|husband|boyfriend|girlfriend|cousin|aunt|uncle|grandma"
            r"|grandmother|grandpa|coworker|neighbou?r)(?:'|’)?s\b"
            r"|\b(?:left\s?over|expired)\s+(?:\w+\s+){0,2}?(?:pills?|tablets?|prescriptions?|meds|bottles?)\b"
            r"|\b(?:some|a few|the rest of (?:my|the))\s+(?:\w+\s+)?left\s?over\b",
            _FLAGS,
        ),
    ),
    (
        "alcohol",
        re.compile(
            r"\b(?:alcohol\w*|booze|beers?|wines?|liquor|vodka|whiske?y|tequila|rum|cocktails?"
            r"|drunk|hungover|hangover|weed|marijuana|cannabis|thc|edibles?)\b"
            r"|\bdrink(?:s|ing)?\b(?!\s+(?:water|coffee|tea|caffeine|juice|soda|energy|milk|fluids))",
            _FLAGS,
        ),
    ),
]
_STOP_VERB = re.compile(
    r"\b(?:stop\w*|quit\w*|(?:come|coming|came|get|getting|go|going|went)\s+off|drop\w*"
    r"|ditch\w*|discontinu\w*|cut\w* out|give up|change|adjust|lower|reduce|increase)\b",
    _FLAGS,
)
_ON_MY_OWN = re.compile(
    r"\b(?:on (?:my|her|his|their|our) own|by (?:myself|herself|himself|themselves|ourselves)"
    r"|myself|without (?:telling|asking|checking with|talking to|consulting"
    r"|involving|my|her|his|the|a)\b)"
    # "cold turkey" for one's own medication ("quit my meds cold turkey"), not a story about
    # someone else ("my brother quit his meds cold turkey").
    r"|\b(?:i|i'm|im|i'd|i'll|my|me)\b(?:(?!\b(?:his|her|their|he|she|they)\b)[^.?!]){0,40}"
    r"\bcold turkey\b",
    _FLAGS,
)
# "can I just stop it": stopping as a plain act of one's own, without the prescriber.
_JUST_STOP = re.compile(
    r"\b(?:can|could|should|may|do) (?:i|we) (?:just|simply) (?:stop|quit|drop|ditch|(?:go|come|get) off)\b",
    _FLAGS,
)
# "what schedule should I follow" to come off a medication: a taper plan of one's own.
_SCHEDULE = re.compile(r"\b(?:what|which)\s+(?:\w+\s+)?(?:schedule|timeline|plan)\b", _FLAGS)
_HOW_FAST = re.compile(
    r"\bhow (?:quickly|fast)\b.{0,40}?\b(?:stop|quit|come off|get off|go off|drop)\b", _FLAGS
)


def self_managed_change(
    text: str, mentions: Sequence[tuple[int, int]] = (), named: Sequence[tuple[int, int]] = ()
) -> str | None:
    """The kind of self-managed medication change asked about ("dose", "taper", "skip",
    "switch", "timing", "borrowed", "alcohol", "stop_alone"), or None. `mentions`: where the medications (and
    class words) are in the text, for "double my Lamictal" and "take an extra Xanax";
    `named`: those that are medication names, for "how many Xanax" (but "how many
    antidepressants" counts medications tried, not pills)."""
    for start, _ in named:
        if _AMOUNT_OF_MEDICATION.search(text[:start]):
            return "dose"
    for match in _DOSE_WORD.finditer(text):
        if not _DOSE_AS_USUAL.search(text[: match.start()]) or _AMOUNT_CHANGE.search(text):
            return "dose"
    for start, _ in mentions:
        before = text[:start]
        verb = _CHANGE_BEFORE_MEDICATION.search(before)
        if verb and (_TAKE_MORE.search(before) or not re.match(r"(?i)take|taking|use|have", verb.group())):
            return "skip" if re.match(r"(?i)skip|miss", verb.group()) else "dose"
        if _SWITCH_BEFORE_MEDICATION.search(before):
            return "switch"
    for kind, pattern in _PATTERNS:
        if pattern.search(text):
            return kind
    own_plan = _ON_MY_OWN.search(text) or _SCHEDULE.search(text)
    if (own_plan and _STOP_VERB.search(text)) or _HOW_FAST.search(text) or _JUST_STOP.search(text):
        return "stop_alone"
    return None


# Medication named only by a general word: "my meds", "her pills", "my prescription".
_GENERAL_MEDICATION = re.compile(
    r"\b(?:my|her|his|their|our|the)\s+(?:\w+\s+)?(?:meds|medications?|medicines?|pills?"
    r"|tablets?|prescriptions?)\b",
    _FLAGS,
)


def general_medication_spans(text: str) -> list[tuple[int, int]]:
    """Where the text speaks of someone's medication without naming it ("my meds")."""
    return [m.span() for m in _GENERAL_MEDICATION.finditer(text)]


def mentions_tms(text: str) -> bool:
    return bool(TMS.search(text))


_POSSESSIVE_BEFORE = re.compile(r"\b(?:my|his|her|their|our|\w+'s)\s+(?:[\w-]+\s+){0,2}$", _FLAGS)
_ON_BEFORE = re.compile(
    r"\b(?:i'?m|i am|i've been|ive been|i have been|she'?s|he'?s|they'?re|we'?re"
    r"|(?:she|he|they) (?:is|are|has been|have been)|currently|still|already)\s+"
    r"(?:\w+\s+){0,2}?(?:on|taking|using|prescribed)\s+"
    r"(?:an?\s+|some\s+|two\s+|several\s+|a couple of\s+|\d+\s+)?(?:[\w-]+\s+)?$",
    _FLAGS,
)
# "I take an antidepressant", "she takes anxiety meds": a statement, not "can I take ...".
_TAKE_BEFORE = re.compile(
    r"(?:^|[.,;:!?]\s*|\b(?:and|but|so|also|because)\s+)(?:i|she|he|they|we)\s+"
    r"(?:take|takes|use|uses)\s+(?:an?\s+|some\s+)?(?:[\w-]+\s+)?$",
    _FLAGS,
)


def refers_to_own(text: str, start: int) -> bool:
    """True if the word starting at `start` names someone's own medication."""
    before = text[:start].replace("’", "'")
    return bool(_POSSESSIVE_BEFORE.search(before) or _ON_BEFORE.search(before) or _TAKE_BEFORE.search(before))


_HISTORY = re.compile(
    r"\b(?:tried|failed|fail|used to (?:take|be on)|was on|were on|previously|in the past"
    r"|(?:did ?n[o']?t|didnt|has ?n[o']?t|have ?n[o']?t|havent|never) (?:work|help|worked|helped)"
    r"|none (?:of them )?(?:worked|helped)|no luck)\b",
    _FLAGS,
)


def treatment_history(text: str) -> bool:
    """The message speaks of medications tried before, not of taking one alongside TMS."""
    return bool(_HISTORY.search(text))
