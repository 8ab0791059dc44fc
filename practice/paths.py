"""Where the project's files are: the one place that reads the location settings.

``KNOWLEDGE_DIR`` moves the whole knowledge folder (topics, sources, medications, the crisis
lexicon, phrases); ``CLINIC_FILE`` names the practice's file. Both default to the repository.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
KNOWLEDGE_DIR = Path(os.environ.get("KNOWLEDGE_DIR", PROJECT_ROOT / "knowledge"))
CLINIC_FILE = Path(os.environ.get("CLINIC_FILE", PROJECT_ROOT / "clinic.yml"))
VAR_DIR = PROJECT_ROOT / "var"
