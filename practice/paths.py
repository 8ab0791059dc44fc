"""Where the project's files are: the one place that reads the location settings.

``KNOWLEDGE_DIR`` moves the whole knowledge folder (topics, sources, medications, the crisis
lexicon, phrases); ``CLINIC_FILE`` names the practice's file. Both default to the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def knowledge_dir() -> Path:
    """The knowledge folder as the environment says now (tests and tools change it)."""
    return Path(os.environ.get("KNOWLEDGE_DIR") or PROJECT_ROOT / "knowledge")


def clinic_file() -> Path:
    """The practice's file as the environment says now."""
    return Path(os.environ.get("CLINIC_FILE") or PROJECT_ROOT / "clinic.yml")


# As they were when the process started: the loaders' defaults.
KNOWLEDGE_DIR = knowledge_dir()
CLINIC_FILE = clinic_file()
VAR_DIR = PROJECT_ROOT / "var"
