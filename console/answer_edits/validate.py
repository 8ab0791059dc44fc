"""The knowledge schema a proposed topic entry must meet before it can be approved or exported.

- only the known topic fields; `answer` a non-empty text, `detail` optional text;
- `sources`: known source ids, and every source the entry cited before is still cited
  (sources can be added, never removed);
- the clinician deferral cannot be removed: the rendered answer must still carry it (and
  every citation) wherever the current answer does;
- no citations or deferral typed into the text (the assistant adds them), and every
  `{{ clinic.* }}` placeholder must exist in clinic.yml (the entry must render).
"""

from __future__ import annotations

from typing import Any, cast

import jinja2

from console.answer_edits import knowledge

MAX_CHARS = 1500


def check_entry(
    kb: knowledge.KnowledgeBase, topic_id: str, old: dict[str, Any], new: dict[str, Any]
) -> list[str]:
    """Problems with `new` replacing `old` as topic `topic_id` ([] when it may be used)."""
    errors = []
    if topic_id not in kb.topics:
        return [f"unknown topic {topic_id}"]
    unknown = sorted(set(new) - knowledge.TOPIC_FIELDS)
    if unknown:
        errors.append(f"unknown fields: {', '.join(unknown)}")
    answer, detail = new.get("answer"), new.get("detail")
    if not isinstance(answer, str) or not answer.strip():
        errors.append("the answer is empty")
    elif len(answer) > MAX_CHARS:
        errors.append(f"the answer is longer than {MAX_CHARS} characters")
    if detail is not None and (not isinstance(detail, str) or len(detail) > MAX_CHARS):
        errors.append(f"the detail must be a text of at most {MAX_CHARS} characters")
    sources = new.get("sources") or []
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        return [*errors, "sources must be a list of source ids"]
    missing = [s for s in sources if s not in kb.sources]
    if missing:
        errors.append(f"unknown sources: {', '.join(missing)}")
    removed = [s for s in old.get("sources") or [] if s not in sources]
    if removed:
        errors.append(f"sources cannot be removed: {', '.join(removed)}")
    deferral = kb.phrases["deferral"]
    for field in ("answer", "detail"):
        text = new.get(field) or ""
        if kb.phrases["sources_heading"] in text or "http://" in text or "https://" in text:
            errors.append(f"the {field} must not cite sources itself: they are added")
        if deferral[:40] in text:
            errors.append(f"the {field} must not repeat the deferral: it is added")
    if errors:
        return errors
    try:
        before = knowledge.render(
            kb, topic_id, old["answer"], old.get("detail"), list(old.get("sources") or [])
        )
        # a non-empty str: any other answer added an error above and returned
        after = knowledge.render(kb, topic_id, cast(str, answer), detail, sources)
    except (jinja2.TemplateError, KeyError) as error:
        return [f"the text does not render with the clinic's settings: {error}"]
    if deferral in before.answer and deferral not in after.answer:
        errors.append("the clinician deferral cannot be removed")
    for card in before.sources:
        if card["url"] not in after.answer:
            errors.append(f"the citation of {card['title']} cannot be removed")
    return errors
