"""The `rasa` command with training-only imports deferred (rasa_ext/runtime/lazy_imports.py).

`python -m rasa_ext.runtime.main run --model ...` takes the same arguments as `rasa run`;
the scripts start the Rasa server this way so that it does not load TensorFlow it never uses.

`rasa run --enable-api` takes its token only as `--auth-token`, which any local user can read
in `ps`. Here the token comes from the RASA_AUTH_TOKEN environment variable (or the file named
by RASA_AUTH_TOKEN_FILE) and is added to the arguments inside the process, so it never appears
on a command line. With `--enable-api` and no token the server refuses to start.
"""
import os
import sys
from typing import List, Optional

from rasa_ext.runtime import lazy_imports


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
        raise SystemExit("pass the API token in RASA_AUTH_TOKEN (or RASA_AUTH_TOKEN_FILE), "
                         "not on the command line: every local user can read command lines")
    token = _token_from_environment()
    if not token:
        raise SystemExit("--enable-api needs a token: set RASA_AUTH_TOKEN or RASA_AUTH_TOKEN_FILE")
    return argv + ["--auth-token", token]


def main() -> None:
    sys.argv[1:] = with_auth_token(sys.argv[1:])
    lazy_imports.install()
    from rasa.__main__ import main as rasa_main

    rasa_main()


if __name__ == "__main__":
    main()
