"""Placeholder values still in the clinic configuration (clinic.yml, or the file CLINIC_FILE names).

Every "contact us" answer and the handoff reply give the clinic's phone and email, so a
placeholder there sends visitors nowhere. A value is a placeholder when its line in the file
is marked `# EXAMPLE` (the file's own convention), or when it looks like one whatever the
comments say: a phone number in the 555 exchange, or an address or website on a domain kept
for documentation and testing (example.com/.net/.org, *.example, *.invalid, *.localhost).

    python -m practice.knowledge.clinic_placeholders --warn     # `make run`: a loud warning, then go on
    python -m practice.knowledge.clinic_placeholders --refuse   # production profile: exit 1 if any

Tests that start the production profile point CLINIC_FILE at a copy of clinic.yml holding
test values (tests/reliability/stack.py); there is no switch that skips the check.
"""
from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from practice.knowledge.loader import CLINIC_FILE

_MARKED = re.compile(r"^(?P<indent>\s*)(?P<key>[A-Za-z_][\w-]*)\s*:.*#\s*EXAMPLE\b")
_PHONE_555 = re.compile(r"\(?\b\d{3}\)?[\s.-]*555[\s.-]*\d{4}\b")
_RESERVED_DOMAIN = re.compile(
    r"[@/.](?:example\.(?:com|net|org)|[\w-]+\.(?:example|invalid|localhost))\b|@example\b", re.I
)
# Where visitors are sent: checked for look-alike placeholders even without a marker.
CONTACT_KEYS = ("contact.phone", "contact.email", "website")


def marked_keys(text: str) -> list[str]:
    """Dotted keys whose line carries an `# EXAMPLE` comment (block-style YAML)."""
    keys: list[str] = []
    stack: list[tuple[int, str]] = []
    for line in text.splitlines():
        match = re.match(r"^(\s*)([A-Za-z_][\w-]*)\s*:", line)
        if not match or line.lstrip().startswith("#"):
            continue
        indent = len(match.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, match.group(2)))
        if _MARKED.match(line):
            keys.append(".".join(key for _, key in stack))
    return keys


def _lookup(config: dict[str, Any], dotted: str) -> Any:
    value: Any = config
    for part in dotted.split("."):
        if not isinstance(value, dict) or part not in value:
            return None
        value = value[part]
    return value


def looks_like_placeholder(value: Any) -> bool:
    text = str(value or "")
    return bool(_PHONE_555.search(text) or _RESERVED_DOMAIN.search(text))


def placeholders(path: Path | None = None) -> list[tuple[str, str]]:
    """(dotted key, value) for every placeholder in the clinic file, in file order."""
    path = Path(path or CLINIC_FILE)
    text = path.read_text(encoding="utf-8")
    config = yaml.safe_load(text) or {}
    found: dict[str, str] = {}
    for key in marked_keys(text):
        found[key] = _short(_lookup(config, key))
    for key in CONTACT_KEYS:
        value = _lookup(config, key)
        if key not in found and looks_like_placeholder(value):
            found[key] = _short(value)
    return list(found.items())


def _short(value: Any) -> str:
    text = " ".join(str(value).split()) if not isinstance(value, dict) else "(section)"
    return text if len(text) <= 60 else text[:57] + "..."


def _banner(lines: list[str]) -> Iterator[str]:
    width = max(len(line) for line in lines) + 4
    yield "!" * width
    for line in lines:
        yield f"! {line.ljust(width - 4)} !"
    yield "!" * width


def report(found: list[tuple[str, str]], path: Path, refusing: bool) -> str:
    head = (
        f"REFUSING TO START: {path} still holds placeholder values."
        if refusing
        else f"WARNING: {path} still holds placeholder values; visitors would be sent to them."
    )
    lines = [head] + [f"  {key}: {value}" for key, value in found]
    lines.append("Replace them with the practice's real details and remove the # EXAMPLE marks.")
    return "\n".join(_banner(lines))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--warn", action="store_true", help="print a warning and succeed")
    mode.add_argument("--refuse", action="store_true", help="fail when any placeholder is found")
    parser.add_argument("--clinic-file", type=Path, default=None, help="default: CLINIC_FILE or clinic.yml")
    args = parser.parse_args(argv)
    path = Path(args.clinic_file or CLINIC_FILE)
    found = placeholders(path)
    if not found:
        return 0
    print(report(found, path, refusing=args.refuse), file=sys.stderr)
    return 1 if args.refuse else 0


if __name__ == "__main__":
    sys.exit(main())
