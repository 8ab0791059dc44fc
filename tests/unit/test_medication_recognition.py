"""Medication recognition: every listed name, misspellings, and no ordinary words.

Covers the three places names are recognised, which must agree: the pure-Python matcher
(practice/medications/catalog.py), the spaCy pipeline built by scripts/build_spacy_pipeline.py
(EntityRuler), and the Rasa component that combines them (MedicationExtractor) as it runs
after SpacyNLP and SpacyTokenizer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from practice.medications import catalog as meds
from practice.medications.catalog import MedicationMatcher, default_matcher, load_catalog

ROOT = Path(__file__).resolve().parents[2]
MISSPELLINGS: dict[str, str] = yaml.safe_load(
    (Path(__file__).parent / "medication_misspellings.yml").read_text(encoding="utf-8")
)
CATALOG = load_catalog()
ALL_NAMES = sorted((n.name, n.generic) for n in CATALOG.names.values())
# Intents answered per medication named.
MEDICATION_INTENTS = {"meds_specific", "inform"}
# Intents whose examples name medications on purpose (any spelling, any language).
NAMING_INTENTS = MEDICATION_INTENTS | {"safety_medical_advice"}
_ANNOTATION = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def matcher() -> MedicationMatcher:
    return default_matcher()


@pytest.fixture(scope="module")
def pipeline_dir(tmp_path_factory) -> Path:
    from scripts.build_spacy_pipeline import build

    return build(tmp_path_factory.mktemp("spacy") / "spacy_en_tms")


@pytest.fixture(scope="module")
def nlp(pipeline_dir):
    import spacy

    return spacy.load(pipeline_dir)


@pytest.fixture(scope="module")
def parse(pipeline_dir):
    """Runs a text through SpacyNLP -> SpacyTokenizer -> MedicationExtractor, as config.yml."""
    from rasa.nlu.tokenizers.spacy_tokenizer import SpacyTokenizer
    from rasa.nlu.utils.spacy_utils import SpacyNLP
    from rasa.shared.nlu.training_data.message import Message

    from rasa_ext.nlu.medication_extractor import MedicationExtractor

    config = {**SpacyNLP.get_default_config(), "model": str(pipeline_dir), "case_sensitive": False}
    spacy_nlp = SpacyNLP(SpacyNLP.load_model(str(pipeline_dir)), config)
    tokenizer = SpacyTokenizer(SpacyTokenizer.get_default_config())
    extractor = MedicationExtractor({})

    def run(text: str) -> list[dict]:
        message = Message.build(text=text)
        spacy_nlp.process([message], spacy_nlp.provide())
        tokenizer.process([message])
        extractor.process([message])
        return message.as_dict(only_output_properties=True).get("entities", [])

    return run


def generics(entities: list[dict]) -> list[str]:
    return [e["value"] for e in entities if e["entity"] == "medication"]


# ----------------------------------------------------------------------------- the list
def test_catalog_has_every_class_and_name_from_the_medication_sheet() -> None:
    assert len(CATALOG.classes) == 14
    assert len({n.generic for n in CATALOG.names.values()}) == 63
    assert CATALOG.lookup("Neurontin").class_id == CATALOG.lookup("Lyrica").class_id == "gabapentinoid"
    assert CATALOG.lookup("hydroxyzine").class_id == "anxiolytic"
    assert CATALOG.lookup("Wellbutrin XL").generic == "bupropion"
    assert CATALOG.lookup("valproic acid").class_id == "mood_stabilizer"
    assert CATALOG.name_to_generic_and_class()["zoloft"] == ("sertraline", "ssri")


def test_every_class_cites_known_sources_and_has_a_hedge() -> None:
    sources = yaml.safe_load((ROOT / "knowledge" / "sources.yml").read_text())["sources"]
    for med_class in CATALOG.classes.values():
        assert med_class.sources and set(med_class.sources) <= set(sources), med_class.id
        assert med_class.evidence in CATALOG.evidence
        assert med_class.note


# ----------------------------------------------------------------------------- every name
@pytest.mark.parametrize("name,generic", ALL_NAMES, ids=[n for n, _ in ALL_NAMES])
def test_every_listed_name_is_recognised_in_a_sentence(name, generic, matcher, nlp, parse) -> None:
    sentence = f"can I keep taking {name} during my TMS sessions?"
    start = sentence.index(name)
    # spaCy's EntityRuler, with the generic name as the pattern id
    doc = nlp(sentence.lower())
    assert [(e.start_char, e.end_char, e.ent_id_) for e in doc.ents] == [(start, start + len(name), generic)]
    # the pure-Python matcher
    assert [(m.start, m.text, m.generic) for m in matcher.find(sentence)] == [(start, name, generic)]
    # the Rasa component, as /model/parse will show it
    (entity,) = parse(sentence)
    assert (entity["value"], entity["start"], entity["end"]) == (generic, start, start + len(name))
    assert entity["additional_info"]["mention"] == name
    assert entity["additional_info"]["class"] == CATALOG.class_of(generic).id


@pytest.mark.parametrize("text", ["WELLBUTRIN XL and tms", "wellbutrin xl and tms", "WeLLbuTrin Xl and tms"])
def test_names_are_recognised_in_any_case(text, parse) -> None:
    (entity,) = parse(text)
    assert entity["value"] == "bupropion"
    assert entity["text"] == text[: len("wellbutrin xl")]


# ----------------------------------------------------------------------------- misspellings
def test_the_misspelling_table_is_big_enough() -> None:
    assert len(MISSPELLINGS) >= 40
    for typo, generic in MISSPELLINGS.items():
        assert CATALOG.lookup(typo) is None, f"{typo} is a listed name, not a misspelling"
        assert generic in {n.generic for n in CATALOG.names.values()}


@pytest.mark.parametrize("typo,generic", sorted(MISSPELLINGS.items()))
def test_misspelling_is_read_as_its_medication(typo, generic, matcher, parse) -> None:
    sentence = f"is {typo} ok with tms"
    assert [m.generic for m in matcher.find(sentence)] == [generic]
    (entity,) = parse(sentence)
    assert entity["value"] == generic
    assert entity["text"] == typo
    assert entity["additional_info"]["edit_distance"] > 0
    assert entity["confidence_entity"] < 1.0


@pytest.mark.parametrize(
    "word",
    [
        # one or two edits from a medication, but ordinary English
        "lyric",
        "lyrics",
        "ability",
        "concert",
        "concern",
        "restore",
        "internal",
        "interval",
        "pixel",
        "parents",
        "valid",
        "desired",
        "results",
        "silence",
        "ambient",
        "martian",
        "forgive",
        "pristine",
        "neurotic",
        "effector",
        "concrete",
        # typos of ordinary words that are as close to a word as to a medication
        "abiltiy",
        "concernd",
        "lyrice",
        "intervall",
        "resultz",
        # medicines that are not in the list must not be stretched into listed ones
        "clonidine",
        "strattera",
        "topamax",
        "guanfacine",
        "levothyroxine",
        "metformin",
    ],
)
def test_ordinary_and_unlisted_words_are_not_read_as_a_medication(word, matcher, parse) -> None:
    assert matcher.find(f"what about {word} and tms") == []
    assert parse(f"what about {word} and tms") == []


def test_short_words_are_never_fuzzy_matched(matcher) -> None:
    # "paxl" is one letter from Paxil, but four-letter words are too often real words
    assert matcher.fuzzy_lookup("paxl") is None
    assert matcher.fuzzy_lookup("xanx") is None


# ----------------------------------------------------------------------------- messages
@pytest.mark.parametrize(
    "text,expected",
    [
        ("I'm on Lexapro and Xanax, is TMS ok?", ["escitalopram", "alprazolam"]),
        ("i take wellbutrin xl, lamictal and seroquel", ["bupropion", "lamotrigine", "quetiapine"]),
        ("can I keep taking welbutrin xl during tms", ["bupropion"]),
        ("adderal and tms", ["amphetamine"]),
        ("lithium?", ["lithium"]),
        ("does taking valproic acid and Depakote matter", ["divalproex", "divalproex"]),
        ("effexor xr, klonipin and zolof", ["venlafaxine", "clonazepam", "sertraline"]),
        ("amphetamines and tms", ["amphetamine"]),
        ("wellbutrin xr and tms", ["bupropion"]),  # not a listed product: Wellbutrin still is
        ("Zoloft's effect on tms", ["sertraline"]),
    ],
)
def test_messages_with_several_or_multi_word_names(text, expected, parse, matcher) -> None:
    assert generics(parse(text)) == expected
    assert [m.generic for m in matcher.find(text)] == expected


def test_multi_word_names_are_one_entity_not_two(parse) -> None:
    (entity,) = parse("is Wellbutrin XL ok")
    assert entity["text"] == "Wellbutrin XL"
    assert entity["additional_info"]["name"] == "Wellbutrin XL"
    (entity,) = parse("is welbutrin or zoloft ok")[:1]
    assert entity["text"] == "welbutrin"  # not stretched into "Wellbutrin SR"


# ----------------------------------------------------------------------------- no false positives
def _nlu_sentences() -> Iterator[tuple[str, str, str]]:
    for folder in ("data/nlu", "tests/nlu"):
        for path in sorted((ROOT / folder).glob("*.yml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for block in data.get("nlu") or []:
                if not block.get("intent"):
                    continue
                for line in str(block.get("examples") or "").splitlines():
                    if line.strip().startswith("- "):
                        text = _ANNOTATION.sub(r"\1", line.strip()[2:])
                        yield f"{path.name}:{block['intent']}", block["intent"], text


def _is_real_medication(typed: str, matcher: MedicationMatcher) -> bool:
    return bool(matcher.lookup_exact(typed)) or meds.normalise(typed) in MISSPELLINGS


def test_no_false_positives_in_any_non_medication_training_or_test_sentence(parse, matcher) -> None:
    sentences = [(where, text) for where, intent, text in _nlu_sentences() if intent not in NAMING_INTENTS]
    assert len(sentences) > 500, "the NLU data should be there to check against"
    wrong = []
    for where, text in sentences:
        for entity in parse(text):
            if entity["entity"] == "medication" and not _is_real_medication(entity["text"], matcher):
                wrong.append((where, text, entity["text"], entity["value"]))
    assert wrong == []


def test_every_medication_example_in_the_nlu_data_is_recognised(parse) -> None:
    missed = [
        (where, text)
        for where, intent, text in _nlu_sentences()
        if intent == "meds_specific" and not parse(text)
    ]
    assert missed == []


def test_no_english_word_from_the_lemma_tables_is_read_as_a_medication(matcher) -> None:
    words = [w for w in meds.english_words() if not matcher.lookup_exact(w)]
    assert len(words) > 100_000
    assert [w for w in words if matcher.fuzzy_lookup(w)] == []


def test_stop_words_come_from_spacy_and_are_protected(matcher) -> None:
    assert len(meds.stop_words()) > 300
    assert all(matcher.is_protected(w) for w in ("about", "should", "whether", "during"))


# ----------------------------------------------------------------------------- unlisted medicines
@pytest.mark.parametrize(
    "text,expected",
    [
        ("can I keep taking my thyroid pill during tms", ["your thyroid pill"]),
        ("I take levothyroxine, is tms ok", ["levothyroxine"]),
        ("is melatonin a problem with tms", ["melatonin"]),
        ("St John's wort and tms", ["St. John's wort"]),
        ("my psychiatrist put me on brintellix", ["brintellix"]),
        ("can I take my meds during tms", []),
        ("my anxiety medication and tms", []),
        ("Dr Kowalczyk said to ask about tms", []),
        ("my medicaton and tms", []),
        ("my son's pills and tms", []),
        ("my mom stopped her meds before tms", []),
        ("my past medications and tms", []),
    ],
)
def test_medicines_not_in_the_list_are_noticed_but_not_matched(text, expected, matcher) -> None:
    assert matcher.find(text) == []
    assert matcher.find_unlisted(text) == expected


def test_medication_questions_in_the_nlu_data_mention_nothing_unlisted(matcher) -> None:
    """No spurious "I don't have information on transcranial" in a medication answer."""
    wrong = []
    for where, intent, text in _nlu_sentences():
        if intent in MEDICATION_INTENTS:
            unlisted = matcher.find_unlisted(text, matcher.find(text))
            if unlisted and matcher.find(text):
                wrong.append((where, text, unlisted))
    assert wrong == []


def test_not_covered_names_never_clash_with_listed_ones() -> None:
    assert CATALOG.not_covered
    assert not set(CATALOG.not_covered) & set(CATALOG.names)


# ----------------------------------------------------------------------------- the components
def test_pipeline_is_a_blank_english_one_with_lookup_lemmas(nlp) -> None:
    assert nlp.pipe_names == ["lemmatizer", "entity_ruler"]
    assert nlp.meta["lang"] == "en"
    assert [t.lemma_ for t in nlp("took clinics")] == ["take", "clinic"]
    assert len(nlp.get_pipe("entity_ruler")) == len(CATALOG.names)


def test_extractor_passes_training_data_through_and_works_without_a_spacy_doc() -> None:
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    from rasa_ext.nlu.medication_extractor import MedicationExtractor

    extractor = MedicationExtractor({})
    data = TrainingData([Message.build(text="zoloft and tms", intent="meds_specific")])
    assert extractor.process_training_data(data) is data
    assert data.training_examples[0].get("entities") is None

    message = Message.build(text="adderal and tms")
    extractor.process([message])
    (entity,) = message.get("entities")
    assert entity["value"] == "amphetamine" and entity["extractor"] == "MedicationExtractor"


def test_extractor_replaces_overlapping_medication_entities_from_other_extractors() -> None:
    from rasa.shared.nlu.training_data.message import Message

    from rasa_ext.nlu.medication_extractor import MedicationExtractor

    other = {"entity": "medication", "start": 0, "end": 6, "value": "Zoloft", "extractor": "DIET"}
    unrelated = {"entity": "state", "start": 11, "end": 17, "value": "Oregon"}
    message = Message.build(text="Zoloft; in Oregon", entities=[other, unrelated])
    MedicationExtractor({}).process([message])
    entities = message.get("entities")
    assert [e["value"] for e in entities] == ["Oregon", "sertraline"]


def test_exact_only_mode_skips_misspellings() -> None:
    from rasa.shared.nlu.training_data.message import Message

    from rasa_ext.nlu.medication_extractor import MedicationExtractor

    message = Message.build(text="zolof and Xanax")
    MedicationExtractor({"fuzzy": False}).process([message])
    assert [e["value"] for e in message.get("entities")] == ["alprazolam"]
