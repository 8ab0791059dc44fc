"""Reading and normalising what a visitor types for each booking field.

Pure functions, no Rasa: the form's validators decide what to say; these only decide what a
text means. Values are stored normalised (email lower-cased, phone as +1XXXXXXXXXX, state as
its two-letter code) so the same contact always finds the same booking.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from practice.booking.us_states import US_STATES

# ------------------------------------------------------------------------------ names

_NAME_PREFIX = re.compile(
    r"^\s*(?:(?:hi|hello|hey|ok|okay|sure|yes|yeah)[,!.\s]+)?"
    r"(?:(?:my\s+)?(?:full\s+)?name\s*(?:is|'s|:)?|i\s*am|i'm|im|it's|it\s+is|its|this\s+is"
    r"|call\s+me|you\s+can\s+call\s+me|i\s+go\s+by)\s+",
    re.I,
)
_NAME_CHARS = re.compile(r"^[^\W\d_]+(?:[\s'’.\-,][^\W\d_]*)*\.?$", re.U)
# Words that mean the text is not a name (an answer to another question, a question, a refusal).
_NOT_NAME_WORDS = {
    "yes",
    "no",
    "yeah",
    "nope",
    "ok",
    "okay",
    "sure",
    "hi",
    "hello",
    "hey",
    "thanks",
    "thank",
    "idk",
    "none",
    "nothing",
    "na",
    "n/a",
    "what",
    "why",
    "how",
    "when",
    "where",
    "who",
    "which",
    "does",
    "do",
    "can",
    "could",
    "should",
    "would",
    "is",
    "are",
    "tms",
    "insurance",
    "appointment",
    "book",
    "booking",
    "cancel",
    "stop",
    "help",
    "medication",
    "medications",
    "evaluation",
    "anonymous",
    "prefer",
    "rather",
    "not",
    "don't",
    "dont",
    "test",
    # Ways to stop or put off the booking ("never mind", "forget it", "maybe later").
    "never",
    "mind",
    "forget",
    "it",
    "quit",
    "exit",
    "bye",
    "goodbye",
    "later",
    "maybe",
    "now",
    "changed",
    "my",
    "me",
    "i",
    "you",
    "want",
    "wait",
    "back",
    "over",
    "skip",
    "pass",
    "please",
}


def clean_name(text: Any) -> str | None:
    """The visitor's name without "my name is"/"I'm", or None if the text is not a name."""
    value = _NAME_PREFIX.sub("", str(text or "")).strip().strip(" .,!")
    value = re.sub(r"\s+", " ", value)
    if not 2 <= len(value) <= 100 or "?" in value:
        return None
    if not _NAME_CHARS.match(value):
        return None
    words = value.lower().replace(",", " ").split()
    if len(words) > 6 or any(w.strip(".'’") in _NOT_NAME_WORDS for w in words):
        return None
    if sum(ch.isalpha() for ch in value) < 2:
        return None
    if value.islower() or value.isupper():
        value = " ".join(w[:1].upper() + w[1:].lower() for w in value.split(" "))
    return value


def first_name(full_name: str | None) -> str:
    return (full_name or "").split(" ")[0]


# ---------------------------------------------------------------------------- contact

EMAIL = re.compile(r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")
_EMAIL_STRICT = re.compile(
    r"^(?=.{6,254}$)[a-z0-9!#$%&'*+/=?^_`{|}~\-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~\-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9\-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)
_PHONE_CANDIDATE = re.compile(r"\+?\d[\d\s().\-]{8,}\d")


@dataclass(frozen=True)
class Contact:
    kind: str  # "email" or "phone"
    value: str  # normalised: lower-case email, or +1 and ten digits

    @property
    def display(self) -> str:
        return display_contact(self.value)


def normalise_phone(text: str) -> str | None:
    """A US (NANP) number as +1XXXXXXXXXX, or None."""
    digits = re.sub(r"\D", "", text)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        return None
    area, exchange = digits[:3], digits[3:6]
    if area[0] in "01" or exchange[0] in "01" or area[1:] == "11" or exchange[1:] == "11":
        return None
    return "+1" + digits


def parse_contact(text: Any) -> Contact | None:
    """An email address or a US phone number found in the text, normalised."""
    raw = str(text or "").strip()
    found = EMAIL.search(raw)
    if found:
        email = found.group(0).strip(".").lower()
        return Contact("email", email) if _EMAIL_STRICT.match(email) else None
    if "@" in raw:
        return None
    if raw.startswith("+") and not raw.startswith("+1"):
        return None  # an international number: the practice books US numbers only
    candidate = _PHONE_CANDIDATE.search(raw)
    if candidate:
        phone = normalise_phone(candidate.group(0))
        return Contact("phone", phone) if phone else None
    return None


def looks_like_contact_attempt(text: Any) -> bool:
    raw = str(text or "")
    return "@" in raw or len(re.sub(r"\D", "", raw)) >= 7


def display_contact(value: str | None) -> str:
    if not value:
        return ""
    if value.startswith("+1") and len(value) == 12:
        return f"({value[2:5]}) {value[5:8]}-{value[8:]}"
    return value


# ------------------------------------------------------------------------------ states

_STATE_BY_NAME: dict[str, str] = {name.lower(): code for code, name in US_STATES.items()}
_STATE_ALIASES = {
    "washington state": "WA",
    "wash": "WA",
    "ore": "OR",
    "oreg": "OR",
    "calif": "CA",
    "cali": "CA",
    "mass": "MA",
    "penn": "PA",
    "jersey": "NJ",
    "dc": "DC",
    "d.c.": "DC",
    "d.c": "DC",
    "washington dc": "DC",
    "washington d.c.": "DC",
    "washington d.c": "DC",
    "district of columbia": "DC",
    "the district": "DC",
}
_STATE_FILLER = re.compile(
    r"\b(i'?ll|i\s+will|i\s+am|i'm|im|be|will|gonna|going\s+to|physically|located|living|live|"
    r"staying|at\s+home|home|in|the|state\s+of|state|from|currently|right\s+now|now|during|"
    r"visit|appointment|probably|actually|usa|us|u\.s\.|united\s+states|it'?s|it\s+is|"
    r"my|i|at|on)\b",
    re.I,
)


def parse_state(text: Any) -> str | None:
    """The two-letter code of the US state named or abbreviated in the text, or None.

    Full names win over abbreviations ("Portland, Oregon" is OR, not "or"); the two-letter
    codes count only as a whole answer or written in capitals, so the word "or" in a
    sentence is never Oregon. Small typos in a name are tolerated ("Orgeon").
    """
    raw = str(text or "").strip()
    if not raw:
        return None
    low = re.sub(r"\s+", " ", raw.lower()).strip(" .!,")
    for alias in sorted(_STATE_ALIASES, key=len, reverse=True):
        if re.search(rf"(?<![\w.]){re.escape(alias)}(?![\w])", low):
            return _STATE_ALIASES[alias]
    named, rest_of_text = set(), low
    for name in sorted(_STATE_BY_NAME, key=len, reverse=True):  # "west virginia" before "virginia"
        pattern = rf"\b{re.escape(name)}\b"
        if re.search(pattern, rest_of_text):
            named.add(_STATE_BY_NAME[name])
            rest_of_text = re.sub(pattern, " ", rest_of_text)
    if len(named) == 1:
        return named.pop()
    if named:
        return None  # "Oregon or Washington": ask again rather than guess
    bare = raw.strip(" .!,")
    if re.fullmatch(r"[A-Za-z]{2}", bare) and bare.upper() in US_STATES:
        return bare.upper()
    for token in re.findall(r"\b[A-Z]{2}\b", raw):
        if token in US_STATES:
            return token
    rest = _STATE_FILLER.sub(" ", low)
    rest = re.sub(r"[^a-z ]", " ", rest)
    words = rest.split()
    for size in (3, 2, 1):
        for i in range(len(words) - size + 1):
            guess = " ".join(words[i : i + size])
            if len(guess) < 4:
                continue
            close = difflib.get_close_matches(guess, list(_STATE_BY_NAME), n=1, cutoff=0.8)
            if close:
                return _STATE_BY_NAME[close[0]]
    return None


def state_name(code: str | None) -> str:
    return US_STATES.get(str(code or "").upper(), str(code or ""))


# ------------------------------------------------------------------------- yes and no

_YES = re.compile(
    r"^\s*(y|yes+|yeah|yea|yep|yup|ya|yah|sure|ok|okay|correct|right|that'?s right|affirmative|"
    r"absolutely|definitely|of course|certainly|i do|i am|i agree|agreed|i consent|i understand|"
    r"understood|agree|consent|sounds good|go ahead|please do|confirm|confirmed|book it|"
    r"yes please|do it)\b",
    re.I,
)
_NO = re.compile(
    r"^\s*(n|no+|nope|nah|naw|not really|negative|i don'?t|i do not|i am not|i'm not|"
    r"i disagree|don'?t|do not|no thanks|no thank you|absolutely not|definitely not)\b",
    re.I,
)


def parse_yes_no(text: Any, intent: str | None = None) -> bool | None:
    """True/False for a yes/no answer (words first, then the NLU intent), None if unclear."""
    if isinstance(text, bool):
        return text
    raw = str(text or "").strip()
    low = raw.lower()
    if low.startswith("/affirm"):
        return True
    if low.startswith("/deny"):
        return False
    if _NO.search(low):
        return False
    if _YES.search(low):
        return True
    if intent == "affirm":
        return True
    if intent == "deny":
        return False
    return None


_AGE_BELOW = re.compile(r"\b(under|younger than|below|less than|not yet|not)\s+(\d{1,3})\b", re.I)
_AGE_ABOVE = re.compile(r"\b(over|older than|above|more than|at least)\s+(\d{1,3})\b", re.I)
_AGE = re.compile(r"(?<![\d:/])(\d{1,3})(?:\s*(?:years?|yrs?|y/?o)\b[\w\s]*)?(?![\d:/])", re.I)


def parse_adult(text: Any, intent: str | None, minimum_age: int) -> bool | None:
    """Whether the answer says the visitor is at least `minimum_age` (yes/no or an age)."""
    if isinstance(text, bool):
        return text
    raw = str(text or "")
    below = _AGE_BELOW.search(raw)
    if below:
        return False if int(below.group(2)) <= minimum_age else None
    above = _AGE_ABOVE.search(raw)
    if above:
        return True if int(above.group(2)) >= minimum_age - 1 else None
    if re.search(r"\b(minor|teen|teenager|kid|child)\b", raw, re.I) and not re.search(r"\bnot\b", raw, re.I):
        return False
    ages = [int(a) for a in _AGE.findall(raw) if 0 < int(a) < 120]
    if len(ages) == 1 and not re.search(r"\b(my|our)\s+(son|daughter|kid|child)\b", raw, re.I):
        return ages[0] >= minimum_age
    return parse_yes_no(raw, intent)


# -------------------------------------------------------------------------- references

REFERENCE = re.compile(r"\b(EV)[\s\-]?([A-HJ-NP-Z2-9]{6})\b", re.I)


def parse_reference(text: Any) -> str | None:
    match = REFERENCE.search(str(text or ""))
    if not match:
        return None
    code = match.group(2).upper()
    if re.search(r"[IO01]", code):
        return None
    return f"EV-{code}"


# ------------------------------------------------------------------------- corrections

FIELD_WORDS = {
    "full_name": r"(?:full\s+|first\s+|last\s+)?name",
    "contact": r"e-?mail(?:\s+address)?|phone(?:\s+number)?|(?:cell|mobile)(?:\s+(?:phone|number))?"
    r"|number|contact(?:\s+(?:info|information|details))?",
    "state": r"state|location",
    "appointment_time": r"appointment\s+time|time|day|date|slot|appointment",
}
_FIELD_ALT = "|".join(f"(?P<{f}>{p})" for f, p in FIELD_WORDS.items())
_LEAD = r"^\s*(?:(?:actually|sorry|oops|wait|correction|no|oh|hmm|hold on|one sec)[,.!:\s-]*)*"
_CHANGE = re.compile(
    _LEAD
    + r"(?:(?:can|could)\s+(?:i|you|we)\s+|please\s+|i\s+(?:need|want|would like|'d like)\s+to\s+|let\s+me\s+)?"
    r"(?:change|update|fix|correct|edit|switch|replace)\s+(?:my|the|your)?\s*(?:" + _FIELD_ALT + r")\b"
    r"(?:\s+(?:to|for|with|into|is)\s+(?P<value>.+))?\s*$",
    re.I,
)
_IS = re.compile(
    _LEAD + r"(?:my|the)\s+(?:" + _FIELD_ALT + r")\s+(?:is|should be|should've been|was meant to be|'s|:)\s+"
    r"(?P<value>.+?)\s*$",
    re.I,
)
_WRONG = re.compile(
    r"\b(?:wrong|incorrect|mistake in|typo in)\s+(?:my|the)?\s*(?:" + _FIELD_ALT + r")\b", re.I
)
_STATE_MOVE = re.compile(
    _LEAD + r"(?:actually\s+)?i(?:'ll|\s+will)\s+(?:actually\s+)?be\s+in\s+(?P<value>.+?)\s*$", re.I
)
_APPROVAL = re.compile(r"^(?:fine|ok|okay|good|great|right|correct|perfect|alright|all right)\b", re.I)
_CHOICE_FIELD = re.compile(r"^\s*(?:change\s*:?\s*)?(full_name|contact|state|appointment_time)\s*$")


@dataclass(frozen=True)
class Correction:
    field: str
    value: str | None = None  # None: the visitor wants to change it but gave no new value


def _matched_field(match: re.Match[str]) -> str | None:
    for name in FIELD_WORDS:
        if match.group(name):
            return name
    return None


def detect_correction(text: Any) -> Correction | None:
    """A request to change a booking field ("actually my email is ...", "change the time").

    Also a button's /inform{"booking_choice": "change:contact"} payload from the summary.
    """
    raw = str(text or "").strip()
    choice = re.match(r'^\s*/\w+\{\s*"booking_choice"\s*:\s*"change:(\w+)"\s*\}\s*$', raw)
    if choice and choice.group(1) in FIELD_WORDS:
        return Correction(choice.group(1))
    for pattern in (_CHANGE, _IS):
        match = pattern.match(raw)
        if match:
            field = _matched_field(match)
            value = (match.group("value") or "").strip().strip(".!") or None
            if value and _APPROVAL.match(value):
                return None  # "the time is fine": not a change
            if field:
                return Correction(field, value)
    match = _STATE_MOVE.match(raw)
    if match:
        return Correction("state", match.group("value"))
    match = _WRONG.search(raw)
    if match:
        field = _matched_field(match)
        if field:
            return Correction(field)
    return None


def field_named(text: Any) -> str | None:
    """The field a short answer names ("the email", "time"), for "what would you like to change?"."""
    raw = str(text or "").strip().lower()
    if _CHOICE_FIELD.match(raw):
        return _CHOICE_FIELD.match(raw).group(1)  # type: ignore[union-attr]
    raw = re.sub(r"^(?:the|my|your|change|update|fix)\s+", "", raw).strip(" .!")
    raw = re.sub(r"^(?:the|my|your)\s+", "", raw)
    for name, pattern in FIELD_WORDS.items():
        if re.fullmatch(pattern, raw, re.I):
            return name
    return None
