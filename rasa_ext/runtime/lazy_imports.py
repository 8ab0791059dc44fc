"""Keeps TensorFlow out of the Rasa server process when the model does not use it (issue 7).

Rasa 3.6 imports TensorFlow in every server process, though this assistant's model has no
TensorFlow component (config.yml: a linear classifier, rules and forms). It costs ~500 MB
of RSS and seconds of start-up per process, which is what kept two Sanic workers above the
stock bot's memory. It comes in two ways:

1. `rasa.core.policies.policy` -> featurizers -> `rasa.nlu.extractors.extractor`, which
   does `import rasa.utils.train_utils`; that module imports Rasa's Keras callbacks at its
   top, yet the server never calls it. `LazyFinder` gives the modules in `LAZY` a loader
   that binds the module at once and runs its code on the first read of a name it defines
   (`from X import name` included), so the first code that really uses it (a model with
   TEDPolicy or DIET) gets the whole module, and TensorFlow, as a plain import would have.
   The names a module defines are read from its source (top-level bindings): a read of any
   other name is an AttributeError without loading, as it would be after loading; pickle-
   style lookups (skops' `whichmodule`) probe every module in `sys.modules` that way.
   The standard library's `importlib.util.LazyLoader` cannot serve here: on Python 3.10 it
   loads on any attribute read, and a second `import X` reads `X.__spec__`.
2. Loading a model reads its metadata, and `ModelMetadata.from_dict` resolves the classes
   of the *training* graph as well, among them `DefaultV1RecipeValidator`, which imports
   DIET, TED and ResponseSelector. The server runs only the prediction graph.
   `defer_train_schema()` makes the metadata resolve the training graph on its first use;
   everything else in the metadata is read and checked at load as before.
3. spaCy's backend, thinc, imports TensorFlow at its top when it is installed, to offer
   TensorFlow-wrapped layers; this assistant's spaCy pipeline (built in code, blank English)
   has none. `import_thinc_without_tensorflow()` imports thinc once while TensorFlow is
   hidden, so thinc records it as absent (`thinc.compat.has_tensorflow` False), as on a
   machine without it; any later `import tensorflow` (by Rasa) works as usual.

Nothing is stubbed: each piece is the real module or schema, only later. `install()` is
called by rasa_ext/runtime/patches.py `install()` (it replaces `ModelMetadata.from_dict`, so it
is under the same Rasa version check), which only the entry point rasa_ext/runtime/main.py
calls (`python -m rasa_ext.runtime.main run|test ...`: the run, bench and test scripts);
`rasa train` imports as usual. RASA_LAZY_IMPORTS=0 turns it off (to measure it).
"""

from __future__ import annotations

import ast
import importlib.abc
import importlib.machinery
import os
import sys
import threading
from types import ModuleType
from typing import Any, Dict, Optional, Sequence, Text, cast

# Imported with a plain `import X` on the server's path; used only by training code.
LAZY = frozenset({"rasa.utils.train_utils"})

_load_lock = threading.RLock()


def top_level_names(source: str) -> Optional[frozenset]:
    """The names a module's top level binds; None when it cannot be told (a star import or
    a module `__getattr__`)."""
    names = set()

    def visit(body: list) -> bool:
        for node in body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for alias in node.names:
                    if alias.name == "*":
                        return False
                    names.add(alias.asname or alias.name.split(".")[0])
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                names.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
            for field in ("body", "orelse", "finalbody"):  # if / try / with / for at top level
                if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    if not visit(getattr(node, field, [])):
                        return False
            for handler in getattr(node, "handlers", []):
                if not visit(handler.body):
                    return False
        return True

    if not visit(ast.parse(source).body) or "__getattr__" in names:  # PEP 562: any name
        return None
    return frozenset(names)


class DeferredModule(ModuleType):
    """A module whose code has not run yet; reading a name it defines runs it."""

    def __getattr__(self, name: str) -> Any:
        spec = cast(importlib.machinery.ModuleSpec, self.__spec__)  # set on import, loader a DeferredLoader
        defined = cast(DeferredLoader, spec.loader).names
        if defined is not None and name not in defined:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        with _load_lock:
            if type(self) is DeferredModule:
                loader = cast(DeferredLoader, spec.loader)
                self.__class__ = ModuleType  # type: ignore[assignment]  # mypy: __class__ is type[Self]
                try:
                    loader.real.exec_module(self)
                except BaseException:
                    sys.modules.pop(self.__name__, None)  # as a failed plain import leaves it
                    raise
        return getattr(self, name)


class DeferredLoader(importlib.abc.Loader):
    def __init__(self, real: importlib.abc.Loader, source: str) -> None:
        self.real = real
        self.names = top_level_names(source)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Optional[ModuleType]:
        return self.real.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        module.__class__ = DeferredModule


class LazyFinder(importlib.abc.MetaPathFinder):
    """Finds `names` with the other finders and defers running their code."""

    def __init__(self, names: frozenset = LAZY) -> None:
        self.names = names

    def find_spec(
        self, fullname: str, path: Optional[Sequence[str]], target: Optional[ModuleType] = None
    ) -> Optional[importlib.machinery.ModuleSpec]:
        if fullname not in self.names:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                source = _source(spec)
                if source is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                    spec.loader = DeferredLoader(spec.loader, source)
                return spec
        return None


def _source(spec: importlib.machinery.ModuleSpec) -> Optional[str]:
    get_source = getattr(spec.loader, "get_source", None)
    try:
        return get_source(spec.name) if get_source else None
    except (ImportError, OSError, SyntaxError):
        return None


def is_loaded(name: str) -> bool:
    """True when module `name` has run its code (a deferred module never read has not)."""
    module = sys.modules.get(name)
    return module is not None and not isinstance(module, DeferredModule)


def _deferred_schema_class() -> type:
    from rasa.engine.graph import GraphSchema

    class DeferredGraphSchema(GraphSchema):
        """A graph schema whose node classes are imported on the first read of `nodes`."""

        def __init__(self, serialized: Dict[Text, Any]) -> None:  # no super(): nodes is a property
            self._serialized = serialized
            self._nodes: Optional[Dict[Text, Any]] = None

        @property
        def nodes(self) -> Dict[Text, Any]:
            with _load_lock:
                if self._nodes is None:
                    self._nodes = GraphSchema.from_dict(self._serialized).nodes
            return self._nodes

        @nodes.setter
        def nodes(self, value: Dict[Text, Any]) -> None:
            self._nodes = value

    return DeferredGraphSchema


ORIGINAL_FROM_DICT: Any = None


def defer_train_schema() -> None:
    """`ModelMetadata.from_dict` with the training graph resolved on first use."""
    global ORIGINAL_FROM_DICT
    from rasa.engine.storage.storage import ModelMetadata

    if ORIGINAL_FROM_DICT is not None:
        return
    original = ModelMetadata.from_dict.__func__
    deferred_schema = _deferred_schema_class()

    def from_dict(cls: type, serialized: Dict[Text, Any]) -> Any:
        train = serialized["train_schema"]
        metadata = original(cls, {**serialized, "train_schema": {"nodes": {}}})
        metadata.train_schema = deferred_schema(train)
        return metadata

    ORIGINAL_FROM_DICT = ModelMetadata.from_dict
    ModelMetadata.from_dict = classmethod(from_dict)


class _Hidden(importlib.abc.MetaPathFinder):
    """Makes `import <name>` fail as for a module that is not installed."""

    def __init__(self, names: frozenset) -> None:
        self.names = names

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> None:
        if fullname.split(".")[0] in self.names:
            raise ModuleNotFoundError(f"No module named {fullname!r}", name=fullname)
        return None


def import_thinc_without_tensorflow() -> bool:
    """Imports thinc with TensorFlow hidden; False when thinc is missing or already imported."""
    if "thinc" in sys.modules or "tensorflow" in sys.modules:
        return False
    hidden = _Hidden(frozenset({"tensorflow"}))
    sys.meta_path.insert(0, hidden)
    try:
        import thinc.compat  # noqa: F401  (records has_tensorflow = False)
    except ImportError:
        return False
    finally:
        sys.meta_path.remove(hidden)
    return True


def enabled() -> bool:
    return os.environ.get("RASA_LAZY_IMPORTS", "1") != "0"


def install() -> bool:
    """Defers all three (once). False when turned off or a LAZY module is already loaded."""
    if not enabled() or any(isinstance(f, LazyFinder) for f in sys.meta_path):
        return False
    if any(name in sys.modules for name in LAZY):
        return False  # too late to defer it
    sys.meta_path.insert(0, LazyFinder())
    defer_train_schema()
    import_thinc_without_tensorflow()
    return True
