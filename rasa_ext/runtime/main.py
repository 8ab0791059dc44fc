"""The `rasa` command with the project's runtime: the one place Rasa gets patched.

`python -m rasa_ext.runtime.main run --model ...` takes the same arguments as `rasa run`, and
`... test core ...` / `... test nlu ...` the same as `rasa test`. For `run`, `test` and `shell`
it first installs rasa_ext/runtime/patches.py (which installs lazy_imports.py: no TensorFlow the
model does not use), so the e2e stories and the held-out NLU set (scripts/test.sh) run on the
same runtime as `make run` and production. Other commands (`run actions`, `train`, ...) run as
the plain `rasa` command would. docs/runtime.md.

`rasa run --enable-api` takes its token only as `--auth-token`, which any local user can read
in `ps`. Here the token comes from the RASA_AUTH_TOKEN environment variable (or the file named
by RASA_AUTH_TOKEN_FILE) and is added to the arguments inside the process, so it never appears
on a command line. With `--enable-api` and no token the server refuses to start.
"""

import logging
import os
import sys
from typing import List, Optional

from rasa_ext.runtime import patches

# The commands that load a model and predict with it, as the server does.
RUNTIME_COMMANDS = frozenset({"run", "test", "shell"})


def _token_from_environment() -> Optional[str]:
    path = os.environ.get("RASA_AUTH_TOKEN_FILE")
    if path:
        with open(path, encoding="utf-8") as handle:
            return handle.read().strip() or None
    return os.environ.get("RASA_AUTH_TOKEN") or None


def with_auth_token(argv: List[str]) -> List[str]:
    """argv with `--auth-token` from the environment when the HTTP API is enabled."""
    if not argv or argv[0] != "run" or "--enable-api" not in argv:
        return argv
    if any(a in ("--auth-token", "-t") or a.startswith("--auth-token=") for a in argv):
        raise SystemExit(
            "pass the API token in RASA_AUTH_TOKEN (or RASA_AUTH_TOKEN_FILE), "
            "not on the command line: every local user can read command lines"
        )
    token = _token_from_environment()
    if not token:
        raise SystemExit("--enable-api needs a token: set RASA_AUTH_TOKEN or RASA_AUTH_TOKEN_FILE")
    return argv + ["--auth-token", token]


def uses_runtime(argv: List[str]) -> bool:
    """True for the commands that predict with a model (not `run actions`: the action server)."""
    return bool(argv) and argv[0] in RUNTIME_COMMANDS and argv[1:2] != ["actions"]


def install_runtime() -> List[str]:
    """patches.install(), its log lines shown (Rasa sets up logging only later)."""
    log = logging.getLogger("rasa_ext.runtime")
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-8s %(name)s  - %(message)s"))
    previous_level = log.level
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        return patches.install()
    finally:
        log.removeHandler(handler)
        log.setLevel(previous_level)


def main() -> None:
    sys.argv[1:] = with_auth_token(sys.argv[1:])
    if uses_runtime(sys.argv[1:]):
        install_runtime()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
