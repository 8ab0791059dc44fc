#!/usr/bin/env python3
"""Builds the project's spaCy pipeline in code, offline, and saves it for Rasa's SpacyNLP.

No en_core_web_* package can be downloaded on a locked-down clinic server, so the pipeline
is a blank English one: spaCy's tokenizer, the lookup lemmatizer with the tables from
spacy-lookups-data, and an EntityRuler with a MEDICATION pattern for every generic and
other name in knowledge/medications.yml (each pattern's id is the generic name).

    .venv/bin/python scripts/build_spacy_pipeline.py [OUTPUT_DIR]   # default build/spacy_en_tms

Run it again after editing knowledge/medications.yml, then retrain.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from practice.medications.catalog import MedicationCatalog, load_catalog  # noqa: E402

DEFAULT_OUTPUT = ROOT / "build" / "spacy_en_tms"
LABEL = "MEDICATION"


def ruler_patterns(catalog: MedicationCatalog) -> list[dict[str, str]]:
    """One phrase pattern per listed name, lower-cased (matched on the LOWER attribute)."""
    return [
        {"label": LABEL, "pattern": key, "id": name.generic} for key, name in sorted(catalog.names.items())
    ]


def build_pipeline(catalog: MedicationCatalog | None = None):
    """The blank English pipeline with the lookup lemmatizer and the medication ruler."""
    import spacy
    from spacy.lookups import load_lookups

    catalog = catalog or load_catalog()
    nlp = spacy.blank("en")
    lemmatizer = nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    # Not nlp.initialize(): it would clear the ruler's patterns. Each part is set up here.
    lemmatizer.initialize(lookups=load_lookups("en", ["lemma_lookup"]))
    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER", "validate": True})
    with nlp.select_pipes(disable=["lemmatizer"]):  # patterns need tokens only (W012)
        ruler.add_patterns(ruler_patterns(catalog))
    nlp.meta.update(
        {
            "name": "en_tms",
            "version": "1.0.0",
            "description": "Blank English pipeline: lookup lemmatizer and a medication "
            "EntityRuler built from knowledge/medications.yml.",
        }
    )
    return nlp


def build(output: Path = DEFAULT_OUTPUT) -> Path:
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    nlp = build_pipeline()
    nlp.to_disk(output)
    return output


def main(argv: list[str]) -> int:
    output = Path(argv[1]) if len(argv) > 1 else DEFAULT_OUTPUT
    path = build(output)
    import spacy

    nlp = spacy.load(path)
    doc = nlp("can I keep taking Wellbutrin XL and lithium during tms")
    found = [(ent.text, ent.ent_id_) for ent in doc.ents]
    print(
        f"saved {path} (pipes: {', '.join(nlp.pipe_names)}; "
        f"{len(nlp.get_pipe('entity_ruler'))} medication patterns); check: {found}"
    )
    return 0 if found == [("Wellbutrin XL", "bupropion"), ("lithium", "lithium")] else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
