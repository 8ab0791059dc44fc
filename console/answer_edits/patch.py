"""An approved change as a patch to knowledge/topics.yml: the topic's `answer` / `detail` /
`sources` lines rewritten in place (comments and every other entry untouched), the result
loaded by the assistant's own knowledge loader and checked against the schema before the
unified diff is returned."""

from __future__ import annotations

import difflib
import re
import shutil
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import yaml

from console.answer_edits import knowledge, validate

WIDTH = 92
FIELD_INDENT = "    "
TEXT_INDENT = "      "


class PatchError(ValueError):
    pass


def block(field: str, text: str) -> list[str]:
    """`field: >-` with the text folded at WIDTH (or `|-` kept line by line for lists)."""
    text = text.strip().replace("\r\n", "\n")
    if re.search(r"^\s*[-*] ", text, re.MULTILINE):
        body = [TEXT_INDENT + line if line.strip() else "" for line in text.split("\n")]
        return [f"{FIELD_INDENT}{field}: |-", *body]
    lines = [f"{FIELD_INDENT}{field}: >-"]
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    for i, para in enumerate(paragraphs):
        if i:
            lines.append("")
        lines += textwrap.wrap(
            " ".join(para.split()),
            WIDTH,
            initial_indent=TEXT_INDENT,
            subsequent_indent=TEXT_INDENT,
            break_long_words=False,
            break_on_hyphens=False,
        )
    return lines


def _topic_span(lines: list[str], topic_id: str) -> tuple[int, int]:
    start = next((i for i, line in enumerate(lines) if line == f"  {topic_id}:"), None)
    if start is None:
        raise PatchError(f"topic {topic_id} not found in topics.yml")
    end = start + 1
    while end < len(lines) and (
        not lines[end].strip() or lines[end].startswith(FIELD_INDENT) or lines[end].startswith("      ")
    ):
        end += 1
    while lines[end - 1].strip() == "":
        end -= 1
    return start, end


def _field_span(lines: list[str], start: int, end: int, field: str) -> tuple[int, int] | None:
    head = next((i for i in range(start + 1, end) if lines[i].startswith(f"{FIELD_INDENT}{field}:")), None)
    if head is None:
        return None
    stop = head + 1
    while stop < end and (not lines[stop].strip() or lines[stop].startswith(TEXT_INDENT)):
        stop += 1
    while lines[stop - 1].strip() == "":
        stop -= 1
    return head, stop


def _changed(before: Any, after: Any) -> bool:
    if isinstance(before, str) or isinstance(after, str):
        return " ".join(str(before or "").split()) != " ".join(str(after or "").split())
    return list(before or []) != list(after or [])


def rewrite(text: str, topic_id: str, new: dict[str, Any]) -> str:
    lines = text.split("\n")
    start, end = _topic_span(lines, topic_id)
    old = yaml.safe_load(text)["topics"][topic_id]
    replacements = {
        "answer": block("answer", new["answer"]),
        "sources": [f"{FIELD_INDENT}sources: [{', '.join(new['sources'])}]"],
    }
    if new.get("detail"):
        replacements["detail"] = block("detail", new["detail"])
    fields = [
        f
        for f in ("detail", "answer", "sources")  # bottom-up keeps indices valid
        if _changed(old.get(f), new.get(f))
    ]
    for field in fields:
        span = _field_span(lines, start, end, field)
        if field == "detail" and span is None and "detail" in replacements:
            answer = _field_span(lines, start, end, "answer")
            if answer is None:
                raise PatchError(f"topic {topic_id} has no answer in topics.yml")
            lines[answer[1] : answer[1]] = replacements["detail"]
            end += len(replacements["detail"])
            continue
        if span is None:
            continue
        if field == "detail" and "detail" not in replacements:
            del lines[span[0] : span[1]]
            end -= span[1] - span[0]
            continue
        lines[span[0] : span[1]] = replacements[field]
        end += len(replacements[field]) - (span[1] - span[0])
    return "\n".join(lines)


def make_patch(topic_id: str, new: dict[str, Any], folder: Path | None = None) -> str:
    """The unified diff (a/knowledge/topics.yml -> b/...), validated; raises PatchError."""
    folder = folder or knowledge.knowledge_dir()
    current = (folder / "topics.yml").read_text(encoding="utf-8")
    old = yaml.safe_load(current)["topics"].get(topic_id)
    if old is None:
        raise PatchError(f"unknown topic {topic_id}")
    updated = rewrite(current, topic_id, new)
    parsed = yaml.safe_load(updated)["topics"]
    entry = parsed[topic_id]
    if " ".join(entry["answer"].split()) != " ".join(new["answer"].split()) or set(parsed) != set(
        yaml.safe_load(current)["topics"]
    ):
        raise PatchError("the rewritten file does not read back as the approved text")
    with tempfile.TemporaryDirectory() as tmp:
        for item in folder.iterdir():
            if item.suffix == ".yml":
                shutil.copy2(item, Path(tmp) / item.name)
        (Path(tmp) / "topics.yml").write_text(updated, encoding="utf-8")
        try:
            kb = knowledge.load(Path(tmp))  # the assistant's own loader: fields, sources, placeholders
        except Exception as error:
            raise PatchError(f"the knowledge base does not load with this change: {error}") from error
        errors = validate.check_entry(kb, topic_id, old, entry)
    if errors:
        raise PatchError("; ".join(errors))
    return "".join(
        difflib.unified_diff(
            current.splitlines(keepends=True),
            updated.splitlines(keepends=True),
            fromfile="a/knowledge/topics.yml",
            tofile="b/knowledge/topics.yml",
        )
    )
