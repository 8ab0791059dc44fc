"""Words for a medication class or family ("my benzo", "sleeping pills", "my antidepressant"):
found in any spelling people use, never in ordinary words, never inside a medication name.
"""

import pytest

from practice.medications import catalog as meds
from practice.medications.catalog import load_catalog
from practice.medications.class_words import default_class_word_matcher, find_class_words

CATALOG = load_catalog()


def found(text: str) -> list[tuple[str, str]]:
    return [(m.text, m.target) for m in find_class_words(text)]


@pytest.mark.parametrize(
    "text,typed,target",
    [
        ("my benzo, will it get in the way of TMS", "benzo", "benzodiazepine"),
        ("Benzos?", "Benzos", "benzodiazepine"),
        ("can I keep taking my SSRI's", "SSRI's", "ssri"),
        ("my SNRI and tms", "SNRI", "snri"),
        ("my mood stabiliser", "mood stabiliser", "mood_stabilizer"),
        ("my mood stabilizer", "mood stabilizer", "mood_stabilizer"),
        ("my anti-psychotic", "anti-psychotic", "antipsychotic"),
        ("my anti psychotic", "anti psychotic", "antipsychotic"),
        ("neuroleptics", "neuroleptics", "antipsychotic"),
        ("my sleeping pills", "sleeping pills", "sleep_aid"),
        ("my sleep meds", "sleep meds", "sleep_aid"),
        ("a sleep aid", "sleep aid", "sleep_aid"),
        ("my ADHD medication", "ADHD medication", "stimulant"),
        ("stimulants", "stimulants", "stimulant"),
        ("a tricyclic antidepressant", "tricyclic antidepressant", "tca"),
        ("my MAOI", "MAOI", "maoi"),
        ("my antidepressant", "antidepressant", "antidepressant"),
        ("anti-depressants", "anti-depressants", "antidepressant"),
        ("my depression meds", "depression meds", "antidepressant"),
        ("anti-anxiety pills", "anti-anxiety pills", "anti_anxiety"),
        ("my anxiety medication", "anxiety medication", "anti_anxiety"),
    ],
)
def test_class_and_family_words_are_found(text, typed, target):
    assert found(text) == [(typed, target)]


@pytest.mark.parametrize(
    "text,typed,target",
    [
        ("my benzodiazapine", "benzodiazapine", "benzodiazepine"),
        ("my antidepressent", "antidepressent", "antidepressant"),
        ("antidepresants", "antidepresants", "antidepressant"),
        ("antipsycotic", "antipsycotic", "antipsychotic"),
        ("stimulents", "stimulents", "stimulant"),
        ("my mood stablizer", "mood stablizer", "mood_stabilizer"),
    ],
)
def test_long_class_words_are_found_with_a_typo(text, typed, target):
    (mention,) = find_class_words(text)
    assert (mention.text, mention.target) == (typed, target)
    assert mention.distance == 1
    assert mention.confidence == pytest.approx(1 - 1 / (len(meds.squash(mention.word.term)) + 1), abs=1e-3)


@pytest.mark.parametrize(
    "text",
    [
        "I'm a light sleeper",
        "does tms stimulate the brain",
        "brain stimulation",
        "the stimulus",
        "I feel sleepy",
        "should I add meds to my tms",
        "anxiety is getting worse",
        "is my depression treatable",
        "benzoyl peroxide",
        "antidepression",
    ],
)
def test_ordinary_words_are_not_class_words(text):
    assert found(text) == []


def test_no_english_word_from_the_lemma_tables_is_read_as_a_misspelt_class_word():
    matcher = default_class_word_matcher()
    words = [w for w in meds.english_words() if len(w) >= 8 and matcher._exact(w) is None]
    assert len(words) > 50_000
    assert [w for w in words if matcher.lookup(w)] == []


def test_the_longest_words_win_and_a_family_lists_its_classes():
    (mention,) = find_class_words("my tricyclic antidepressant")
    assert (mention.target, mention.is_family) == ("tca", False)
    (mention,) = find_class_words("my antidepressant")
    assert mention.is_family and set(mention.classes) == {
        "ssri",
        "snri",
        "ndri",
        "other_antidepressant",
        "tca",
        "maoi",
    }


def test_words_inside_a_medication_name_are_left_to_it():
    assert find_class_words("Zoloft and my benzo", covered_spans=[(0, 6)]) == find_class_words(
        "Zoloft and my benzo"
    )
    assert find_class_words("my benzo", covered_spans=[(3, 8)]) == []


def test_every_term_and_family_in_the_file_is_found_as_written():
    for word in {w.term: w for w in CATALOG.class_words.values()}.values():
        (mention,) = find_class_words(f"is my {word.term} ok with tms")
        assert mention.target == word.target, word.term


def test_family_classes_exist_and_words_never_clash_with_names():
    for family in CATALOG.families.values():
        assert set(family.classes) <= set(CATALOG.classes) and family.id not in CATALOG.classes
        assert family.evidence in CATALOG.evidence and family.sources
    names = {meds.squash(n) for n in CATALOG.names}
    assert not names & set(CATALOG.class_words)


def test_a_word_listed_for_two_classes_is_refused():
    raw = {
        "evidence": {"low": "Limited."},
        "classes": [
            {
                "id": "a",
                "label": "A",
                "note": "n",
                "evidence": "low",
                "names": {"x1": []},
                "terms": ["benzo"],
            },
            {
                "id": "b",
                "label": "B",
                "note": "n",
                "evidence": "low",
                "names": {"x2": []},
                "terms": ["benzo"],
            },
        ],
    }
    with pytest.raises(ValueError, match="benzo"):
        meds.MedicationCatalog(raw)


def test_the_extractor_adds_a_medication_class_entity_beside_the_names():
    from rasa.shared.nlu.training_data.message import Message

    from rasa_ext.nlu.medication_extractor import MedicationExtractor

    message = Message.build(text="I take Lexapro and a benzo at night")
    MedicationExtractor({}).process([message])
    entities = message.get("entities")
    assert [(e["entity"], e["value"]) for e in entities] == [
        ("medication", "escitalopram"),
        ("medication_class", "benzodiazepine"),
    ]
    word = entities[1]
    assert (word["start"], word["end"], word["text"]) == (21, 26, "benzo")
    assert word["additional_info"] == {
        "mention": "benzo",
        "classes": ["benzodiazepine"],
        "family": False,
        "edit_distance": 0,
    }
    assert word["confidence_entity"] == pytest.approx(1.0)
