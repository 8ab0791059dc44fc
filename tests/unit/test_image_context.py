"""What enters the image: the build context docker sends for `docker build -f deploy/Dockerfile .`,
computed with the docker SDK's own .dockerignore rules over a copy of the project in which an
operator has left what compose and the run scripts tell them to keep beside it (secrets, the
database, the generated API token, a venv, old models)."""

import shutil
import subprocess
from pathlib import Path

import pytest
from docker.utils.build import exclude_paths

ROOT = Path(__file__).resolve().parents[2]

# Files an operator's checkout holds that must never be in an image layer.
SECRETS = [
    "deploy/.env",
    ".env",
    "deploy/certs/server.key",
    "deploy/certs/server.crt",
    "var/assistant.db",
    "var/rasa_auth_token",
    "logs/rasa.log",
    "results/reliability.json",
    ".venv/bin/python",
    ".git/config",
    "models/20260101-old.tar.gz",
    "build/spacy_en_tms/meta.json",
    "actions/.env",
    "console/dev.key",
    "knowledge/local.db",
    "tests/console/conftest.py",
    "web/widget/widget.js",
]
# What the Dockerfile's steps and the services need.
NEEDED = [
    "requirements.txt",
    "constraints.txt",
    "models/current.tar.gz",
    "scripts/build_spacy_pipeline.py",
    "clinic.yml",
    "config.yml",
    "credentials.yml",
    "domain.yml",
    "endpoints.prod.yml",
    "practice/booking/store.py",
    "rasa_ext/runtime/main.py",
    "rasa_ext/runtime/patches.py",
    "rasa_ext/stores/sql_tracker_store.py",
    "rasa_ext/policies/rule_policy.py",
    "console/templates/base.html",
    "console/blueprints/auth/templates/login.html",
    "practice/notifications/worker.py",  # imported by the booking store and run as the mail worker
    "knowledge/medications.yml",
    "data/nlu",
    "deploy/Dockerfile",
]


def _patterns(ignore_file: Path):
    # The docker client's own reading of the file (docker/api/build.py).
    lines = [line.strip() for line in ignore_file.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line and not line.startswith("#")]


@pytest.fixture(scope="module")
def operator_tree(tmp_path_factory):
    tree = tmp_path_factory.mktemp("checkout")
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    for name in tracked.stdout.decode().split("\0"):
        if not name or not (ROOT / name).exists():
            continue
        target = tree / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_symlink():
            target.symlink_to(Path(*([".."] * (len(Path(name).parts) - 1)), (ROOT / name).readlink()))
        else:
            shutil.copyfile(ROOT / name, target)
    for name in SECRETS + ["models/current.tar.gz"]:
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text("operator data\n", encoding="utf-8")
    return tree


@pytest.mark.parametrize(
    "ignore_file", ["deploy/Dockerfile.dockerignore", ".dockerignore"], ids=["buildkit", "classic-builder"]
)
def test_no_secret_enters_the_build_context(operator_tree, ignore_file):
    ignore = operator_tree / ignore_file
    assert ignore.is_file(), f"{ignore_file} missing: the whole checkout would enter the image"
    context = exclude_paths(str(operator_tree), _patterns(ignore), dockerfile="deploy/Dockerfile")
    leaked = [name for name in SECRETS if name in context]
    assert not leaked, f"these would be copied into the image: {leaked}"
    assert not [name for name in context if name.startswith(("var/", "deploy/certs", ".venv", ".git/"))]
    missing = [name for name in NEEDED if name not in context]
    assert not missing, f"the image would lack: {missing}"
