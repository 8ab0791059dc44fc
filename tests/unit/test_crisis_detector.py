"""The deterministic crisis safety net (practice/safety/crisis_detector.py + the lexicon).

The tables here were written independently of knowledge/crisis_lexicon.yml, in visitors'
words, so that they catch gaps in the lexicon rather than restate it. When a line fails, make
a lexicon pattern cover the whole family of phrasings it belongs to; never special-case it.

Deliberate decisions pinned here (see the lexicon's header):
- informational questions naming suicide / self-harm / overdose, and asking for 988, get the
  crisis resources (a false alarm costs far less than a miss);
- negation inside a signal stays a signal ("I don't want to live anymore"); a plain denial of a
  topic word does not ("I'm not suicidal, just asking about TMS");
- questions about seizures or doses are not emergencies; a seizure now or pills taken are.
"""

from __future__ import annotations

import random

import pytest

from practice.safety.crisis_detector import (
    CRISIS,
    EMERGENCY,
    IDIOM,
    CrisisDetector,
    Detection,
    LexiconError,
    detect,
    get_detector,
    load_lexicon,
    normalise,
)

# ----------------------------------------------------------------------------- emergencies
EMERGENCY_LINES = [
    # overdose taken
    "I took too many pills",
    "i just took like 40 of my sleeping pills",
    "I swallowed a whole bottle of tylenol",
    "I already took them",
    "it's too late, I already took them all",
    "I overdosed on my lexapro",
    "I think I overdosed",
    "i think my roommate OD'd, he won't wake up",
    "I took a whole bottle of sleeping pills an hour ago",
    "i took 30 xanax",
    "took way too much of my seroquel and feel weird",
    "my brother is overdosing",
    "I took all of my pills at once",
    "i swallowed a handful of pills",
    "my wife took an overdose",
    "i popped a bunch of pills with vodka",
    "Help!!! He took too many of his pain pills",
    "I accidentally took a double dose of my lithium",
    "my kid ate a bunch of my pills",
    "I already swallowed everything in the bottle",
    "he took 20 tablets of ambien",
    "I took the entire pack of painkillers",
    "OD'd on heroin, please help",
    "i t00k too many p1lls",
    "my girlfriend swallowed a bottle of pills and now she's really sleepy",
    # seizure now
    "my friend is having a seizure",
    "my son is having a seizure right now what do i do",
    "he is seizing and foaming at the mouth",
    "I'm having a seizure",
    "she's convulsing right now",
    "my friend just had a seizure and isn't waking up",
    # breathing / unconscious
    "HELP my husband is not breathing",
    "she stopped breathing",
    "my mom is unconscious on the floor",
    "my dad collapsed and he won't wake up",
    "I can't breathe",
    "my friend is unresponsive",
    # poisoning
    "my daughter drank bleach",
    "my toddler swallowed a button battery",
    "I think I've been poisoned",
    "I drank antifreeze",
    "need poison control now",
    # other acute
    "I cut too deep and the bleeding won't stop",
    "I slit my wrists",
    "i think im having a heart attack",
    "my throat is closing up after the new med",
]

# ----------------------------------------------------------------------------- crises
CRISIS_LINES = [
    # direct
    "I want to die",
    "i want to kill myself",
    "I'm going to kill myself",
    "I'm thinking about suicide",
    "I am suicidal",
    "i feel suicidal tonight",
    "I want to end my life",
    "i want to end it all",
    "I'm going to end it tonight",
    "I have been thinking of taking my own life",
    "i wanna die",
    "i just want to die",
    "I really wish I was dead",
    "I want to commit suicide",
    "I plan to kill myself this weekend",
    "thinking about ending things",
    "I'm ready to die",
    # indirect / passive
    "I don't want to live anymore",
    "I don't want to be here anymore",
    "I can't do this anymore",
    "everyone would be better off without me",
    "my family would be better off if I was gone",
    "there's no reason to live",
    "I have nothing to live for",
    "I can't go on like this",
    "i can't go on",
    "I just want to go to sleep and not wake up",
    "I hope I don't wake up tomorrow",
    "sometimes I wish I could just disappear forever",
    "what's the point of living",
    "life isn't worth living",
    "I wish I had never been born",
    "I'm a burden to everyone",
    "nobody would even notice if I was gone",
    "I don't see the point in going on",
    "I'm tired of living",
    "I'm so done with life",
    "I've lost the will to live",
    "i wouldn't mind if i died",
    "I think about death all the time",
    "I can't take it anymore",
    "I wish I could fall asleep forever",
    "I want it all to be over",
    "I'd be better off dead",
    # plans / preparation
    "I've been saving up my pills",
    "I've been stockpiling my meds",
    "I bought a rope and I know where I'm going to do it",
    "I wrote goodbye letters to my family",
    "I've been giving away my things",
    "I have a plan to end my life",
    "how many sertraline would it take to die",
    "what is a lethal dose of lithium",
    "I'm going to jump off the bridge",
    "I've been looking up ways to kill myself",
    "i am going to hang myself",
    "I'm going to shoot myself",
    "I put my affairs in order",
    "this is my last message, goodbye",
    # self-harm
    "I cut myself last night",
    "i've been cutting again",
    "I keep hurting myself",
    "I want to self harm",
    "i burned myself on purpose",
    "I want to hurt myself",
    "i've been self-harming",
    # harm to others
    "I want to kill my husband",
    "I'm going to hurt someone",
    "I have thoughts of hurting my baby",
    "I'm having homicidal thoughts",
    "i feel like killing everyone at work",
    "I'm going to shoot up my school",
    "sometimes I want to hurt people",
    "I'm afraid I will hurt my kids",
    # third person
    "my son says he wants to kill himself",
    "my daughter is suicidal",
    "my friend told me she wants to die",
    "my brother tried to kill himself last night",
    "My wife has been cutting herself",
    "my dad keeps saying he wants to end it all",
    "my teenager wrote a suicide note",
    "My girlfriend said everyone would be better off without her",
    "my mom says she has nothing to live for",
    "my partner threatened to kill himself",
    # slang
    "kms",
    "i'm gonna kms",
    "kys",
    "honestly just wanna unalive myself",
    "i've been thinking about unaliving",
    "I want to off myself",
    "thinking of ending it all fr",
    "sewerslide thoughts again",
    # typos
    "im thinking about sucide",
    "i feel sucidal",
    "i want to kil myself",
    "i wnat to die",
    "i want to kill mysefl",
    "i want 2 die",
    "suicidial thoughts every day",
    "i dont wanna live anymore",
    # inside long messages with other content
    "Hi, I read your article about TMS and medications. I have been on sertraline for three "
    "years and nothing helps. Honestly I want to die most days. Do you take Aetna?",
    "Can I book an appointment for next week? Also I should say I've been having thoughts of "
    "killing myself lately.",
    "I'm asking for my sister. She started Wellbutrin last month and yesterday she told me she "
    "doesn't want to live anymore. What should we do?",
    "quick question about insurance, and also i can't do this anymore, i'm exhausted",
    # an idiom never hides a real signal in the same message
    "this traffic is killing me and honestly I want to die",
    "lol my feet are killing me. anyway I've been having suicidal thoughts",
    "I'm dying to know if TMS works because I've been thinking about ending my life",
    # mixed case, emoji, repeated letters, spacing, lookalike characters
    "I WANT TO DIE",
    "i want to dieeeee",
    "I want to die 😭😭",
    "i want to k1ll myself",
    "I'm so tired... I just want it to end. all of it. 💔",
    "Want To Kill Myself",
    "i wannnnna dieee",
    "k i l l  m y s e l f",
    "I\u200b want\u200b to\u200b die",
    "ｉ ｗａｎｔ ｔｏ ｄｉｅ",
    "s u i c i d e",
    "i'm not okay. i don't want to be alive",
    # negation inside the signal
    "I don't want to wake up anymore",
    "I'm not sure I want to be alive",
    "I'm not suicidal but I want to die",
    "not suicidal, I just want to sleep and never wake up",
    "I'm not okay, I keep thinking about killing myself",
    "No. I am suicidal.",
]

# Deliberate: informational questions that name the topic get the crisis resources.
INFORMATIONAL_CRISIS_LINES = [
    "does tms help with suicidal thoughts",
    "can antidepressants make you suicidal",
    "what is the 988 number",
    "is there a suicide hotline",
    "can you overdose on lithium",
]

# Deliberate: ambivalence and denials of intent are answered, not argued with.
AMBIVALENT_CRISIS_LINES = [
    "I don't want to die",
    "I'm not going to kill myself, don't worry",
    "I'm not suicidal but my son is",
]

# ----------------------------------------------------------------------------- benign
BENIGN_IDIOM_LINES = [
    "this traffic is killing me",
    "my feet are killing me",
    "I could die laughing at that video",
    "I'm dying to know how TMS works",
    "I'd kill for a coffee right now",
    "you're killing it",
    "I'm dead tired after work",
    "that chocolate cake is to die for",
    "just killing time before my appointment",
    "I killed it at work today",
    "what's the deadline to submit the intake form",
    "I was bored to death in the waiting room",
    "I'm scared to death of needles, does TMS use needles?",
    "this traffic is killing me lol, anyway what is tms",
    "my back is killing me from sitting all day",
    "the suspense is killing me, when do results come in",
    "my phone died so I missed your call",
    "my laptop battery is dead",
    "my boss will kill me if I'm late again",
    "I'm dying for a nap",
    "we were dying of laughter",
    "that joke killed me",
    "this heat is killing me",
    "lol I'm dead",
    "I'd die for my kids",
    "I'm dead serious, how much does TMS cost?",
    "we hit a dead end with the last psychiatrist",
    "the drive is 12 kms from my house",
    "ugh mondays are the worst, they kill me",
    "I'm killing myself laughing",
    "the headaches after tms are killing me",
    "I'm dying to get started with treatment",
    "this heat is going to be the death of me",
    "these stairs will be the death of me lol",
]

# Idiom-only messages the detector must label "idiom" (so the component can undo an ML alarm).
IDIOM_ONLY_LINES = [
    "this traffic is killing me",
    "my feet are killing me",
    "I could die laughing",
    "I'm dying to know",
    "I'd kill for a coffee",
    "you're killing it",
    "dead tired",
    "that pie is to die for",
    "just trying to kill time",
    "I killed it at work",
    "the deadline is Friday",
    "I was bored to death",
    "I was scared to death",
    "my kids will be the death of me",
]

BENIGN_NEGATION_LINES = [
    "I'm not suicidal, just asking about TMS",
    "I have never had thoughts of suicide",
    "no thoughts of self harm",
    "I am not suicidal",
    "I don't have any suicidal thoughts, I'm just really depressed",
    "I've never self-harmed",
    "never had suicidal ideation, mostly anxiety",
    "I'm not having thoughts of hurting myself or anyone else",
    "No suicidal thoughts at all, I just want to feel better",
    "I've never overdosed on anything",
    "I don't have any thoughts of harming others",
    "i'm not feeling suicidal at the moment, just flat",
    "I have never thought about killing myself",
    "I have never been suicidal before, is TMS safe",
]

BENIGN_QUESTION_LINES = [
    "can TMS cause seizures?",
    "what happens if I miss a dose",
    "what are the side effects of TMS",
    "how long does a TMS session take",
    "does insurance cover TMS",
    "can I take Wellbutrin during TMS",
    "is TMS safe if I have a history of seizures",
    "I had a seizure as a kid, can I still do TMS",
    "what if I have a seizure during treatment",
    "how many sessions of TMS will I need",
    "how many pills should I take per day",
    "I took my medication this morning, can I still come in",
    "can I drink coffee before TMS",
    "is it okay to take my pills before the session",
    "what should I do if I forget to take my dose",
    "I accidentally skipped my pill yesterday",
    "do you take Blue Cross",
    "I want to book an evaluation",
    "can I reschedule my appointment",
    "what time do you open",
    "are you located in Portland",
    "is this chat private",
    "can I talk to a real person",
    "hello",
    "thanks so much",
    "are you a bot",
    "does TMS hurt",
    "will TMS hurt my baby if I'm pregnant",
    "does TMS help depression",
    "is TMS approved for OCD",
    "what is accelerated TMS",
    "can I stop taking my antidepressants when I start TMS",
    "should I increase my dose",
    "is it dangerous to combine lithium and TMS",
    "what are psychotropic medications",
    "my grandmother died last year and I've been depressed since",
    "I feel really depressed and anxious, can TMS help",
    "I've tried four antidepressants and none worked",
    "I'm exhausted all the time on this medication",
    "can I go on vacation during TMS treatment",
    "I can't go on Tuesday, can we do Wednesday",
    "I can't take my meds anymore because of the cost",
    "I don't want to live in Portland, can I do telehealth from Salem",
    "is TMS a life saver for depression",
    "what does the magnet do to your brain",
    "how do I cancel my booking",
    "can I end the session early if it hurts",
    "the pharmacy gave me too many pills, what do I do with the extras",
    "I'm saving up for TMS because my insurance won't pay",
    "does TMS work for people with treatment resistant depression",
    "how does TMS compare to ECT, are you unconscious?",
    "I have chronic pain and depression",
    "am I a candidate for TMS",
    "can I take melatonin the night before",
    "i'm on 200mg of sertraline, is that too much for TMS",
    "I took 2 pills of ibuprofen for a headache after TMS",
    "my kid has food poisoning so I need to reschedule",
    "what's the dosage of lexapro people usually take with TMS",
    "I hurt my back at the gym, can I still lie in the TMS chair",
    "is TMS covered by medicare",
    "will I be able to drive after a session",
    "who should not get TMS",
    "my old doctor overdid it with the meds",
    "I'm sick of waiting for insurance approval",
    "I'm so done with this insurance company",
    "that's odd, the link didn't work",
    # "stop" inside the booking form must stay "stop"
    "I don't want to continue",
    "i don't want to go on with the booking",
    "I don't want to keep going with this form",
]

BENIGN_LINES = BENIGN_IDIOM_LINES + BENIGN_NEGATION_LINES + BENIGN_QUESTION_LINES


# A blind batch (written without the lexicon, 2026-11-25) missed these five; each is now a
# family pattern, tested here with the batch line and variants the batch did not have.
BLIND_BATCH_CRISIS_LINES = [
    "i want to sh again, relapsed after 6 months clean",
    "the sh urges are bad tonight",
    "i relapsed on sh last night",
    "survived an attempt in 2021, now I'm making a plan again",
    "I had two attempts and I'm planning again",
    "Last night I stood on the balcony for an hour deciding whether to jump.",
    "was standing at the edge of the bridge thinking i should jump",
    "I'm trying to decide whether to end it",
    "tomorrow I will not be more in this world",
    "i won't be in this world next week",
    "is better that I am dead, I have decided",
    "it would be better if i was gone",
    # a third blind batch (after the fixes above) missed these; same treatment
    "me quiero morir",
    "tengo ganas de morir, i dont know what to do",
    "quiero matarme",
    "i dont see a way out except dying",
    "there's no way out but death",
    "last night i sat in the garage with the car running for a while, anyway can tms help",
    "bought extra pills so i can take them all at once",
]
BLIND_BATCH_BENIGN_LINES = [
    "my sister will murder me if I forget her birthday",
    "after two attempts to book online i gave up, can you help me plan my visit",
    "my first attempt failed, I'll try the online form again",
    "after my attempt at tms failed i plan to try again",
    "I stood on the balcony to take a call, then had to jump on a zoom",
    "deciding whether to do tms or not",
    "sh, be quiet",
    "is it better if I am on meds during tms",
    "i'm cooking chicken tonight, how long to kill salmonella, just curious lol",
    "i sat in the garage fixing the car, engine running fine now",
    "voy a morir de risa",
    "quiero informacion sobre tms",
    "no way out of this parking garage lol",
    "can i take all my morning pills at once",
    "i bought extra pills for my trip",
]


@pytest.mark.parametrize("text", BLIND_BATCH_CRISIS_LINES)
def test_blind_batch_miss_is_now_detected(text):
    assert get_detector().detect(text).kind == CRISIS


@pytest.mark.parametrize("text", BLIND_BATCH_BENIGN_LINES)
def test_blind_batch_neighbour_raises_no_alarm(text):
    assert get_detector().detect(text).kind not in (CRISIS, EMERGENCY)


def test_tables_are_large_enough():
    alarms = EMERGENCY_LINES + CRISIS_LINES + INFORMATIONAL_CRISIS_LINES + AMBIVALENT_CRISIS_LINES
    assert len(alarms) >= 150
    assert len(BENIGN_LINES) >= 100
    assert len(FRESH_ALARM_LINES) >= 40 and len(FRESH_BENIGN_LINES) >= 40


@pytest.mark.parametrize("text", EMERGENCY_LINES)
def test_emergency_is_detected_as_emergency(text):
    assert detect(text).kind == EMERGENCY


@pytest.mark.parametrize("text", CRISIS_LINES)
def test_crisis_is_detected_as_crisis(text):
    assert detect(text).kind == CRISIS


@pytest.mark.parametrize("text", INFORMATIONAL_CRISIS_LINES)
def test_informational_question_naming_suicide_or_overdose_gets_crisis_resources(text):
    assert detect(text).kind == CRISIS


@pytest.mark.parametrize("text", AMBIVALENT_CRISIS_LINES)
def test_ambivalence_and_denied_intent_are_still_answered_as_crisis(text):
    assert detect(text).kind == CRISIS


@pytest.mark.parametrize("text", BENIGN_LINES)
def test_benign_line_raises_no_alarm(text):
    assert not detect(text).is_alarm


@pytest.mark.parametrize("text", IDIOM_ONLY_LINES)
def test_idiom_only_message_is_labelled_idiom(text):
    assert detect(text).kind == IDIOM


def test_plain_benign_message_is_nothing():
    assert detect("how long does a TMS session take") == Detection(None, None)


@pytest.mark.parametrize("text", ["", "   ", "\u200b", "...", "😂"])
def test_empty_or_symbol_only_message_is_not_an_alarm(text):
    assert not detect(text).is_alarm


def test_emergency_wins_over_crisis():
    assert detect("I want to die and I already took them").kind == EMERGENCY
    assert detect("i'm suicidal and i swallowed a bottle of pills").kind == EMERGENCY


def test_idiom_next_to_a_signal_does_not_hide_it():
    assert detect("this traffic is killing me").kind == IDIOM
    assert detect("this traffic is killing me and honestly I want to die").kind == CRISIS
    assert detect("I'm dying to know, I took too many pills").kind == EMERGENCY


def test_denial_covers_only_its_own_clause():
    assert not detect("I'm not suicidal").is_alarm
    assert detect("I'm not suicidal. I want to kill myself").kind == CRISIS
    assert detect("not sure if I'm suicidal").kind == CRISIS
    assert detect("no, I am suicidal").kind == CRISIS


@pytest.mark.parametrize(
    "text",
    [
        "I never had suicidal thoughts until I started Zoloft",
        "I never had suicidal thoughts, but now I do",
        "I have never thought about killing myself until now",
        "no suicidal thoughts but my daughter is struggling",
        "I'm not suicidal, my son is.",
    ],
)
def test_denial_limited_in_time_or_moved_to_someone_else_is_not_a_denial(text):
    assert detect(text).kind == CRISIS


def test_hypothetical_seizure_question_is_not_an_emergency_but_a_seizure_now_is():
    assert not detect("what should I do if someone is having a seizure").is_alarm
    assert detect("someone is having a seizure").kind == EMERGENCY
    assert detect("what do I do if he is having a seizure right now").kind == EMERGENCY


def test_crisis_at_the_end_of_a_long_message_is_found():
    filler = "I have a question about TMS scheduling and insurance coverage. " * 1500
    assert detect(filler + "I want to end my life").kind == CRISIS
    assert detect("I took too many pills. " + filler).kind == EMERGENCY
    assert not detect(filler).is_alarm


def test_detection_names_a_family_and_never_the_words():
    detection = detect("I'm going to hang myself")
    assert detection.kind == CRISIS
    assert detection.pattern in get_detector().family_names(CRISIS)
    assert set(vars(detection)) == {"kind", "pattern", "mention"}  # a family name and a flag, no words
    assert "hang" not in detection.pattern


def test_every_family_name_is_unique_and_method_free():
    detector = get_detector()
    names = [n for kind in (EMERGENCY, CRISIS, IDIOM) for n in detector.family_names(kind)]
    assert len(names) == len(set(names))
    methods = {"hang", "hanging", "jump", "gun", "shoot", "rope", "bleach", "cut", "cutting"}
    for name in names:
        assert not methods & set(name.split("_")), name


def test_lexicon_is_compiled_once_per_process():
    assert get_detector() is get_detector()


# ----------------------------------------------------------------------------- fresh batch
# Written after every table above passed, and run against the lexicon BEFORE any change: that
# first run detected 26 of the 41 alarms (63%; every one found had the right kind) and kept 38
# of the 40 benign lines clean (95%). The misses were then fixed by widening pattern families
# (euphemisms like "do something stupid", "in case I'm not here", weapon + myself, intent to
# take all pills, "feeling like a burden", relapse, a child getting into pills, "took more
# than prescribed"...), and "lol" after "die" stopped counting as an idiom (people minimise).
FRESH_ALARM_LINES = [
    ("i keep thinking everyone would be happier if i just wasn't around", "crisis"),
    ("been planning how i'd do it", "crisis"),
    ("I'm scared I'm going to do something stupid tonight", "crisis"),
    ("part of me wants to crash my car into a wall", "crisis"),
    ("i've started writing letters to my kids in case i'm not here", "crisis"),
    ("my husband has a gun and I keep thinking about using it on myself", "crisis"),
    ("lately i fantasize about not existing", "crisis"),
    ("I just want the pain to stop permanently", "crisis"),
    ("there's no point anymore", "crisis"),
    ("i give up, i'm done with everything", "crisis"),
    ("My 15 year old told her counselor she wants to die", "crisis"),
    ("my roommate has been talking about killing herself", "crisis"),
    ("my dad said he'd be better off dead", "crisis"),
    ("I am going to take all my pills tonight", "crisis"),
    ("what's the easiest way to die", "crisis"),
    ("how much tylenol would kill me", "crisis"),
    ("idk man i kinda wanna die lol", "crisis"),
    ("SOMETIMES I THINK ABOUT ENDING IT", "crisis"),
    ("i hate myself so much i want to hurt myself", "crisis"),
    ("I relapsed and cut again last night", "crisis"),
    ("I punch walls and myself when I'm angry", "crisis"),
    ("I've been having urges to hurt my coworker", "crisis"),
    ("i'm so angry i could kill him", "crisis"),
    ("I have intrusive thoughts about smothering my newborn", "crisis"),
    ("suicidal ideation has been bad this week", "crisis"),
    ("i think i'm having a mental breakdown", "crisis"),
    ("i've been feeling like a burden on my family", "crisis"),
    ("i don't think i'll make it through the night", "crisis"),
    ("wanting to die is all i think about", "crisis"),
    ("i just want to sleep forever", "crisis"),
    ("im gonna end it", "crisis"),
    ("I don't want to exist anymore", "crisis"),
    ("my sister overdosed last night and she's not responding", "emergency"),
    ("I swallowed like 25 of my trazodone", "emergency"),
    ("my baby got into my pills", "emergency"),
    ("my son is having convulsions", "emergency"),
    ("he's not breathing right and his lips are blue", "emergency"),
    ("i took the rest of my lithium all at once", "emergency"),
    ("i mixed my xanax with alcohol and i can't stay awake", "emergency"),
    ("she drank a bottle of cleaning fluid", "emergency"),
    ("I took way more than I was supposed to", "emergency"),
]

FRESH_BENIGN_LINES = [
    "this homework is killing me",
    "ugh my head is killing me today",
    "i'm dying to try accelerated tms",
    "that's killer, thanks for the info",
    "I nearly died laughing at the TMS helmet",
    "my plants keep dying while I'm in treatment lol",
    "the battery on my phone is about to die",
    "I'm not suicidal, I just have bad anxiety",
    "I have never attempted suicide or self-harmed",
    "denies suicidal ideation per my last psychiatrist",
    "no history of overdose",
    "is TMS safe for someone who has had seizures before",
    "what should I do if I miss a TMS session",
    "can I double up if I forgot yesterday's pill",
    "how many mg of Zoloft is normal",
    "my prescription ran out, how do I get a refill",
    "is lithium toxic with TMS",
    "could TMS make my headaches worse",
    "I'm tired all the time, is that a side effect",
    "my therapist says I'm dealing with burnout",
    "do you have any openings on Friday",
    "I live in Washington, can I still book",
    "how do I stop my antidepressant safely",
    "what is the success rate for TMS in teens",
    "my insurance denied TMS, what now",
    "can TMS help with OCD and anxiety",
    "I'm a nurse and I work night shifts, will that matter",
    "do I need to stop drinking coffee before sessions",
    "my doctor wants me to try Spravato instead",
    "I feel numb on Lexapro",
    "is there a waitlist",
    "can my wife come with me to the appointment",
    "I'm over the moon that you offer telehealth",
    "I want to kill this fatigue, would TMS help",
    "my cat died and I've been sad, is that depression",
    "I want to end my contract with my old psychiatrist",
    "can I take my pills all at once in the morning instead of twice a day",
    "the intake form is dead simple, thanks",
    "sorry if I'm a pain, one more question",
    "I could sleep for days after each session",
]


@pytest.mark.parametrize("text, kind", FRESH_ALARM_LINES)
def test_fresh_batch_alarm_is_detected_with_its_kind(text, kind):
    assert detect(text).kind == kind


@pytest.mark.parametrize("text", FRESH_BENIGN_LINES)
def test_fresh_batch_benign_line_raises_no_alarm(text):
    assert not detect(text).is_alarm


# ----------------------------------------------------------------------------- normalisation
@pytest.mark.parametrize(
    "raw, expected",
    [
        ("I don't want to live", "i do not want to live"),
        ("I can't, I won't", "i can not | i will not"),
        ("my mom's pills", "my mom s pills"),
        ("I\u2019m done", "i am done"),
        ("i wannnnna dieeee", "i want to die"),
        ("killlll myselfff", "kill myself"),
        ("k1ll mys3lf", "kill myself"),
        ("0verdose", "overdose"),
        ("30pills", "30 pills"),
        ("500mg at 10am", "500mg at 10am"),
        ("OD'd", "overdosed"),
        ("that is odd", "that is odd"),
        ("self-harm", "self harm"),
        ("ｓｕｉｃｉｄｅ", "suicide"),
        ("s\u0443icide", "suicide"),  # Cyrillic u
        ("d\u0301ie", "die"),  # combining accent
        ("s u i c i d e", "suicide"),
        ("sucide", "suicide"),
        ("Hello!!  World?", "hello | world"),
        ("I want to die!!!", "i want to die"),
        ("help me$", "help me"),
    ],
)
def test_normalise(raw, expected):
    assert normalise(raw) == expected


# ----------------------------------------------------------------------------- speed-up safety
def _detectors():
    lexicon = load_lexicon()
    return CrisisDetector(lexicon, gate_above=0), CrisisDetector(lexicon, gate_above=10**9)


def test_matching_near_anchors_agrees_with_matching_the_whole_text():
    """Long messages are matched only around each pattern's anchor words; that shortcut must
    never change a result."""
    gated, whole = _detectors()
    pool = (
        EMERGENCY_LINES
        + CRISIS_LINES
        + BENIGN_LINES
        + [text for text, _ in FRESH_ALARM_LINES]
        + FRESH_BENIGN_LINES
    )
    rng = random.Random(20261125)
    separators = [". ", ", ", " ", " and ", "\n", "... ", " - "]
    samples = list(pool)
    for _ in range(400):
        parts = rng.sample(pool, rng.randint(2, 10))
        samples.append("".join(p + rng.choice(separators) for p in parts))
    for text in samples:
        assert gated.detect(text) == whole.detect(text), text


def test_every_pattern_has_anchor_words():
    """A pattern without anchor words (e.g. one made only of gaps) still works but reads
    every long message whole; keep them anchored so 100 kB messages stay fast."""
    detector = get_detector()
    unanchored = [
        (family.name, index)
        for families in detector._families.values()
        for family in families
        for index, pattern in enumerate(family.patterns)
        if pattern.words is None
    ]
    assert unanchored == []


# ----------------------------------------------------------------------------- lexicon checks
def test_lexicon_rejects_a_bare_yaml_no():
    lexicon = load_lexicon()
    lexicon["negation"] = {**lexicon["negation"], "np_cues": [False, "zero"]}
    with pytest.raises(LexiconError):
        CrisisDetector(lexicon)


def test_lexicon_rejects_an_unknown_macro():
    lexicon = load_lexicon()
    lexicon["crisis"] = lexicon["crisis"] + [{"name": "broken", "patterns": [r"\b{NOPE}\b"]}]
    with pytest.raises(LexiconError):
        CrisisDetector(lexicon)


def test_a_remembered_answer_is_the_computed_one_and_long_messages_are_not_remembered():
    detector = CrisisDetector(load_lexicon())
    texts = ["I want to end it all", "what is tms", "I'm dying to know the cost", "i took 30 pills"]
    first = [detector.detect(t) for t in texts]
    assert first == [detector._detect(t) for t in texts]
    assert [d.kind for d in first] == [CRISIS, None, IDIOM, EMERGENCY]
    assert [detector.detect(t) for t in texts] == first  # from memory now
    assert detector._recent.cache_info().hits == len(texts)
    long_text = "tell me about tms " * 200 + "I want to kill myself"
    assert detector.detect(long_text).kind == CRISIS
    assert detector.detect(long_text).kind == CRISIS
    assert detector._recent.cache_info().currsize == len(texts)
