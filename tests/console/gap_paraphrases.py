"""Visitor questions the assistant has no answer for yet, in groups of paraphrases: the
reference labelling for the "what we can't answer yet" clustering (tests/console/test_gaps.py).
Written as visitors type: different wording, typos, lower case, extra words."""

from __future__ import annotations

GROUPS: dict[str, list[str]] = {
    "medicare": [
        "do you take medicare",
        "is medicare accepted for tms",
        "will medicare cover my treatment",
        "I have medicare part b, can I come to you",
        "does medicare pay for this",
        "medicare coverage?",
        "are you in network with medicare",
        "can I use my medicare card",
    ],
    "parking": [
        "is there parking at the clinic",
        "where do I park",
        "do you have free parking",
        "parking for patients?",
        "is the parking lot close to the entrance",
        "how much is parking",
        "can I park on the street near the office",
        "is there handicap parking",
    ],
    "ketamine": [
        "do you offer ketamine",
        "ketamine infusions available?",
        "can I get ketamine treatment instead of tms",
        "is ketamine better than tms",
        "do you do ketamine therapy",
        "what about ketamine for depression",
        "ketamine clinic near me",
        "ketamine or esketamine, do you have it",
    ],
    "teenager": [
        "can my teenager get tms",
        "is tms ok for a 15 year old",
        "do you treat teens",
        "my teen son has depression can he do tms",
        "minimum age for tms",
        "is there an age limit, my daughter is 16",
        "tms for adolescents",
        "do you see teenagers",
    ],
    "pregnancy": [
        "is tms safe during pregnancy",
        "can I do tms while pregnant",
        "I'm pregnant is tms ok",
        "tms and pregnancy risks",
        "is it safe for the baby if I get tms pregnant",
        "pregnant women tms",
        "trying to get pregnant, can I still have tms",
        "tms safe in pregnancy?",
    ],
    "driving": [
        "can I drive after a session",
        "will I be able to drive home after tms",
        "is it ok to drive after treatment",
        "do I need someone to drive me after",
        "driving after tms",
        "can i drive myself to and from sessions",
        "safe to drive after the session?",
        "need a driver after tms?",
    ],
    "spanish": [
        "do you have spanish speaking staff",
        "hablan español",
        "is there a clinician who speaks spanish",
        "can I get an interpreter for spanish",
        "spanish speaking doctor?",
        "my mom only speaks spanish can she be seen",
        "do you offer sessions in spanish",
        "spanish interpreter available?",
    ],
    "letter": [
        "can you write a letter for my employer",
        "I need a doctor's note for work",
        "do you provide work excuse letters",
        "can I get a note for missing work for sessions",
        "letter for my job about treatment",
        "will you fill out FMLA paperwork",
        "fmla forms for tms",
        "need a work note for my appointments",
    ],
    "service_dog": [
        "can I bring my service dog",
        "are dogs allowed in the office",
        "my emotional support dog comes with me, is that ok",
        "service animal policy",
        "can my dog come to treatment",
        "is it ok to bring a service animal to sessions",
        "pets allowed?",
        "bring my dog to tms",
    ],
}


def labelled() -> list[tuple[str, str]]:
    """(message, group) for every message, in a fixed interleaved order."""
    rows = []
    for i in range(max(len(v) for v in GROUPS.values())):
        for group, texts in GROUPS.items():
            if i < len(texts):
                rows.append((texts[i], group))
    return rows
