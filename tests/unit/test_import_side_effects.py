"""Importing any project module patches nothing: Rasa is changed only by the entry point
(rasa_ext/runtime/main.py -> rasa_ext/runtime/patches.py install()).

In a fresh interpreter: the Rasa modules the server uses are imported, every function and
class attribute of every loaded `rasa.*` module is recorded, then every project module is
imported, and each recorded value must still be the same object. This would fail if a module
ran `patches.install()` (or any other patch) at import, as rest_channel.py used to.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SCRIPT = """
import gc, importlib, inspect, json, pkgutil, sys

import rasa.core.run, rasa.core.agent, rasa.core.actions.action, rasa.engine.runner.dask
import rasa.shared.core.events, rasa.core.tracker_store, rasa.core.policies.rule_policy
import rasa.core.lock_store, rasa.engine.storage.storage, rasa.core.channels.rest
import rasa.core.channels.socketio, rasa.core.processor, rasa.core.policies.ensemble

def snapshot():
    seen = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith("rasa.") or module is None:
            continue
        for attr, value in list(vars(module).items()):
            seen[f"{name}.{attr}"] = id(value)
            if inspect.isclass(value) and value.__module__ == name:
                for member, inner in list(vars(value).items()):
                    seen[f"{name}.{attr}.{member}"] = id(inner)
    return seen

before = snapshot()
meta_path = list(sys.meta_path)
imported = []
for package in ("practice", "rasa_ext", "actions", "console", "ops"):
    root = importlib.import_module(package)
    imported.append(package)
    for info in pkgutil.walk_packages(root.__path__, package + "."):
        if info.name.rsplit(".", 1)[-1] != "__main__":
            importlib.import_module(info.name)
            imported.append(info.name)
after = snapshot()
changed = sorted(k for k, v in before.items() if after.get(k) != v)
from rasa_ext.runtime import patches
print(json.dumps({"changed": changed, "imported": imported, "frozen": gc.get_freeze_count(),
                  "meta_path_same": sys.meta_path == meta_path,
                  "installed": patches._state["installed"], "originals": sorted(patches.ORIGINALS)}))
"""


def test_importing_every_project_module_leaves_rasa_as_shipped() -> None:
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(SCRIPT)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    imported = set(result["imported"])
    assert {
        "rasa_ext.channels.rest_channel",
        "rasa_ext.channels.socketio_channel",
        "rasa_ext.runtime.patches",
        "rasa_ext.runtime.main",
        "rasa_ext.runtime.lazy_imports",
        "rasa_ext.stores.sql_tracker_store",
        "rasa_ext.policies.rule_policy",
        "rasa_ext.nlu.linear_intent_classifier",
        "actions.answers",
        "console.app",
    } <= imported
    assert result["changed"] == []
    assert result["installed"] is None and result["originals"] == []
    assert result["frozen"] == 0 and result["meta_path_same"]


def test_the_snapshot_sees_a_patch() -> None:
    """The check above is not blind: install() in the same script is caught."""
    script = textwrap.dedent(SCRIPT).replace(
        "after = snapshot()", "from rasa_ext.runtime import patches as p\np.install()\nafter = snapshot()"
    )
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "RASA_LAZY_IMPORTS": "0"},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    changed = json.loads(out.stdout.strip().splitlines()[-1])["changed"]
    assert {
        "rasa.core.actions.action.RemoteAction._validate_action_result",
        "rasa.engine.runner.dask.DaskGraphRunner.run",
        "rasa.shared.core.events.Event.resolve_by_type",
    } <= set(changed)
