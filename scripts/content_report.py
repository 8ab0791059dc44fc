"""Reading grade and length of every answer the knowledge base gives (docs/content.md table).

    .venv/bin/python scripts/content_report.py     # prints the Markdown table

Grade: Flesch-Kincaid grade level (textstat), computed on the answer as the visitor reads it
(clinic placeholders filled in), with links, email addresses and phone numbers replaced by a
one-syllable word (they are not prose a visitor reads aloud) and each list line counted as a
sentence. Words: the answer's word count, lead and detail separately.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

import textstat

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from practice.knowledge.loader import KnowledgeBase  # noqa: E402
from practice.medications.catalog import load_catalog  # noqa: E402

MAX_GRADE = 8.0
MAX_LEAD_WORDS = 60
_NOT_PROSE = re.compile(
    r"https?://\S+|www\.\S+|\S+@\S+|\(?\b\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}\b|\b1-800-\d{3}-\d{4}\b"
)


def _as_word(match: re.Match[str]) -> str:
    found = match.group(0)
    trailing = len(found) - len(found.rstrip(".,;:!?)"))
    return "link" + (found[-trailing:] if trailing else "")


def text_for_grading(text: str) -> str:
    plain = _NOT_PROSE.sub(_as_word, text)
    lines = []
    for line in plain.splitlines():
        line = line.strip().lstrip("-").strip()
        if line and not line.endswith((".", "!", "?", ":")):
            line += "."
        lines.append(line)
    return " ".join(lines)


def grade(text: str) -> float:
    return float(textstat.flesch_kincaid_grade(text_for_grading(text)))


def words(text: str) -> int:
    return int(textstat.lexicon_count(text))


@dataclass(frozen=True)
class Row:
    entry: str
    lead_grade: float
    lead_words: int
    detail_grade: float | None = None
    detail_words: int | None = None


def topic_rows(kb: KnowledgeBase) -> list[Row]:
    rows = []
    for topic in kb.topics.values():
        detail = topic.detail
        rows.append(
            Row(
                entry=topic.id,
                lead_grade=grade(topic.answer),
                lead_words=words(topic.answer),
                detail_grade=grade(detail) if detail else None,
                detail_words=words(detail) if detail else None,
            )
        )
    return rows


def medication_rows() -> list[Row]:
    catalog = load_catalog()
    rows = []
    for med_class in catalog.classes.values():
        note = f"{med_class.note} {catalog.evidence[med_class.evidence]}"
        rows.append(
            Row(entry=f"medication class {med_class.id}", lead_grade=grade(note), lead_words=words(note))
        )
    return rows


def markdown(rows: list[Row]) -> str:
    out = ["| Entry | Lead grade | Lead words | Detail grade | Detail words |", "|---|---:|---:|---:|---:|"]
    for r in rows:
        detail_grade = f"{r.detail_grade:.1f}" if r.detail_grade is not None else "-"
        detail_words = str(r.detail_words) if r.detail_words is not None else "-"
        out.append(f"| `{r.entry}` | {r.lead_grade:.1f} | {r.lead_words} | {detail_grade} | {detail_words} |")
    return "\n".join(out)


if __name__ == "__main__":
    print(markdown(topic_rows(KnowledgeBase()) + medication_rows()))
