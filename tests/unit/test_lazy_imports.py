"""rasa_ext/runtime/lazy_imports.py: deferred modules run their real code on first use, no sooner,
and the Rasa server's imports and model load leave TensorFlow out (docs/performance.md)."""

import importlib
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from rasa_ext.runtime import lazy_imports
from rasa_ext.runtime.lazy_imports import LazyFinder, top_level_names

ROOT = Path(__file__).resolve().parents[2]
MODEL = ROOT / "models" / "current.tar.gz"

MODULE_SOURCE = """
import json
from os import path as ospath
RUNS.append("ran")
VALUE = 41
VALUE += 1
a, (b, c) = 1, (2, 3)
def answer():
    return VALUE
class Thing:
    pass
try:
    import not_a_real_module_xyz
except ImportError:
    FALLBACK = True
if True:
    INSIDE_IF = 1
"""


@pytest.fixture
def deferred(tmp_path, monkeypatch):
    """A module `deferred_mod` on sys.path, imported through a LazyFinder for it."""
    import builtins

    runs = []
    monkeypatch.setattr(builtins, "RUNS", runs, raising=False)
    (tmp_path / "deferred_mod.py").write_text(MODULE_SOURCE)
    (tmp_path / "broken_mod.py").write_text("RUNS.append('broken')\nNAME = 1\nraise RuntimeError('boom')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    finder = LazyFinder(frozenset({"deferred_mod", "broken_mod"}))
    sys.meta_path.insert(0, finder)
    yield runs
    sys.meta_path.remove(finder)
    for name in ("deferred_mod", "broken_mod"):
        sys.modules.pop(name, None)


def test_top_level_names_are_the_bindings_a_module_makes():
    names = top_level_names(MODULE_SOURCE)
    assert {
        "json",
        "ospath",
        "VALUE",
        "a",
        "b",
        "c",
        "answer",
        "Thing",
        "FALLBACK",
        "INSIDE_IF",
        "not_a_real_module_xyz",
    } <= names
    assert "path" not in names and "RUNS" not in names


def test_a_star_import_means_the_names_cannot_be_told():
    assert top_level_names("from os.path import *\n") is None


def test_import_binds_the_module_without_running_it(deferred):
    import deferred_mod

    assert deferred == []
    assert not lazy_imports.is_loaded("deferred_mod")
    import deferred_mod as again  # a second import reads __spec__: still not run

    assert again is deferred_mod and deferred == []


def test_first_read_of_a_defined_name_runs_the_real_module_once(deferred):
    import deferred_mod

    assert deferred_mod.answer() == 42
    assert deferred_mod.Thing.__module__ == "deferred_mod"
    assert deferred == ["ran"]
    assert lazy_imports.is_loaded("deferred_mod")
    assert deferred_mod.VALUE == 42 and deferred == ["ran"]
    assert type(deferred_mod) is type(json)  # a plain module from then on


def test_from_import_runs_it(deferred):
    from deferred_mod import VALUE

    assert VALUE == 42 and deferred == ["ran"]


def test_reading_a_name_it_does_not_define_is_an_attribute_error_without_running(deferred):
    import deferred_mod

    with pytest.raises(AttributeError, match="no attribute 'ufunc_like'"):
        _ = deferred_mod.ufunc_like
    assert not hasattr(deferred_mod, "__path__")  # a pickle-style probe
    assert deferred == []
    deferred_mod.answer()
    with pytest.raises(AttributeError):  # still missing once it has run
        _ = deferred_mod.ufunc_like


def test_a_module_that_fails_raises_its_error_and_is_not_left_half_loaded(deferred):
    import broken_mod

    with pytest.raises(RuntimeError, match="boom"):
        _ = broken_mod.NAME
    assert "broken_mod" not in sys.modules
    assert deferred == ["broken"]


def test_names_outside_the_list_import_as_usual(deferred):
    finder = next(f for f in sys.meta_path if isinstance(f, LazyFinder))
    assert finder.find_spec("json", None) is None


def _run(code: str, **env: str) -> dict:
    import os

    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env},
    )
    assert out.returncode == 0, out.stderr[-3000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


SERVER_IMPORTS = """
import json, sys
from rasa_ext.runtime import lazy_imports
installed = lazy_imports.install()
import rasa.core.run, rasa.server, rasa.core.agent, rasa.core.policies.rule_policy
import spacy
import thinc.compat
print(json.dumps({"installed": installed, "tensorflow": "tensorflow" in sys.modules,
                  "train_utils_run": lazy_imports.is_loaded("rasa.utils.train_utils"),
                  "thinc_has_tf": thinc.compat.has_tensorflow}))
"""


def test_the_server_imports_leave_tensorflow_out():
    result = _run(SERVER_IMPORTS)
    assert result == {"installed": True, "tensorflow": False, "train_utils_run": False, "thinc_has_tf": False}


def test_turned_off_it_imports_as_rasa_does():
    result = _run(SERVER_IMPORTS, RASA_LAZY_IMPORTS="0")
    assert result["installed"] is False and result["tensorflow"] is True


def test_a_model_with_tensorflow_components_still_gets_them_whole():
    result = _run("""
    import json, sys
    from rasa_ext.runtime import lazy_imports
    lazy_imports.install()
    import rasa.core.run
    from rasa.core.policies.ted_policy import TEDPolicy
    from rasa.nlu.classifiers.diet_classifier import DIETClassifier
    import rasa.utils.train_utils as train_utils
    callback = train_utils.RasaTrainingLogger.__module__  # the first use runs the module
    print(json.dumps({"tensorflow": "tensorflow" in sys.modules,
                      "train_utils_run": lazy_imports.is_loaded("rasa.utils.train_utils"),
                      "callback": callback,
                      "ted": TEDPolicy.__name__, "diet": DIETClassifier.__name__}))
    """)
    assert result == {
        "tensorflow": True,
        "train_utils_run": True,
        "callback": "rasa.utils.tensorflow.callback",
        "ted": "TEDPolicy",
        "diet": "DIETClassifier",
    }


@pytest.mark.skipif(not MODEL.exists(), reason="needs the trained model (make train)")
def test_the_model_loads_and_parses_without_tensorflow_and_the_training_graph_is_the_same():
    result = _run(f"""
    import asyncio, json, sys
    from rasa_ext.runtime import lazy_imports
    lazy_imports.install()
    from rasa.core.agent import Agent
    from rasa.engine.storage.local_model_storage import LocalModelStorage

    agent = Agent.load({str(MODEL)!r})
    parsed = asyncio.run(agent.parse_message("what is tms"))
    deferred = LocalModelStorage.metadata_from_archive({str(MODEL)!r})
    no_tf_after_load = "tensorflow" not in sys.modules
    train = deferred.train_schema.as_dict()  # resolves the training graph: imports DIET, TED...
    original = lazy_imports.ORIGINAL_FROM_DICT
    import rasa.engine.storage.storage as storage
    storage.ModelMetadata.from_dict = original
    plain = LocalModelStorage.metadata_from_archive({str(MODEL)!r})
    print(json.dumps({{"intent": parsed["intent"]["name"], "no_tf_after_load": no_tf_after_load,
                      "same_train": train == plain.train_schema.as_dict(),
                      "same_predict": deferred.predict_schema.as_dict() == plain.predict_schema.as_dict(),
                      "tf_after_train_schema": "tensorflow" in sys.modules}}))
    """)
    assert result == {
        "intent": "tms_overview",
        "no_tf_after_load": True,
        "same_train": True,
        "same_predict": True,
        "tf_after_train_schema": True,
    }


def test_a_bad_training_graph_fails_when_it_is_read(monkeypatch):
    from rasa.engine.exceptions import GraphSchemaException
    from rasa.engine.storage.storage import ModelMetadata

    # Patched for this test only: the other tests see Rasa's own from_dict.
    monkeypatch.setattr(ModelMetadata, "from_dict", ModelMetadata.__dict__["from_dict"])
    monkeypatch.setattr(lazy_imports, "ORIGINAL_FROM_DICT", None)
    lazy_imports.defer_train_schema()
    serialized = {
        "trained_at": "2026-11-25T12:00:00",
        "rasa_open_source_version": "3.6.21",
        "model_id": "x",
        "assistant_id": "a",
        "domain": {},
        "training_type": 3,
        "project_fingerprint": "f",
        "core_target": None,
        "nlu_target": "n",
        "language": "en",
        "predict_schema": {"nodes": {}},
        "train_schema": {
            "nodes": {
                "bad": {
                    "needs": {},
                    "uses": "no.such.Component",
                    "constructor_name": "create",
                    "fn": "train",
                    "config": {},
                    "eager": False,
                    "is_target": False,
                    "is_input": False,
                    "resource": None,
                }
            }
        },
    }
    metadata = ModelMetadata.from_dict(json.loads(json.dumps(serialized)))
    assert metadata.predict_schema.nodes == {}
    with pytest.raises(GraphSchemaException):  # as the plain from_dict raises at load
        _ = metadata.train_schema.nodes
    with pytest.raises(GraphSchemaException):
        lazy_imports.ORIGINAL_FROM_DICT(json.loads(json.dumps(serialized)))


def test_the_launcher_is_rasa_run():
    module = importlib.import_module("rasa_ext.runtime.main")
    assert callable(module.main)
    out = subprocess.run(
        [sys.executable, "-m", "rasa_ext.runtime.main", "run", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0 and "--enable-api" in out.stdout


def test_a_module_getattr_means_the_names_cannot_be_told():
    assert top_level_names("def __getattr__(name):\n    return name\n") is None
