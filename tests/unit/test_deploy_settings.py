"""The deployment files (deploy/) keep what the code assumes: no Rasa HTTP API and no token on
a command line in production, X-Forwarded-For believed only from the proxies' own network, and
one body-size cap everywhere in front of the channels."""

import ipaddress
import re
from pathlib import Path

import yaml

from practice import message_guard
from rasa_ext.channels.rate_limit import client_address

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


def _size(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([km]?)", value.strip().lower()).groups()
    return int(number) * {"": 1, "k": 1024, "m": 1024 * 1024}[unit]


def test_helm_runs_rasa_without_the_api_and_trusts_only_the_ingress_network():
    values = yaml.safe_load((DEPLOY / "helm-values.yml").read_text())
    args = [str(a) for a in values["args"]]
    assert "--enable-api" not in args and not any("auth-token" in a or "TOKEN" in a for a in args)
    assert values["applicationSettings"]["enableAPI"] is False
    env = {item["name"]: item.get("value") for item in values["extraEnv"]}
    trusted = env["FORWARDED_ALLOW_IPS"]
    assert "*" not in trusted
    for item in trusted.replace(",", " ").split():
        assert ipaddress.ip_network(item, strict=False).num_addresses < 2**24, item
    body = values["ingress"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
    assert _size(body) == message_guard.MAX_BODY_BYTES


def test_compose_runs_rasa_without_the_api_and_no_secret_on_a_command_line():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    for name, service in compose["services"].items():
        command = service.get("command") or ""
        command = " ".join(command) if isinstance(command, list) else command
        assert "--enable-api" not in command and "--auth-token" not in command, name
        assert not re.search(r"\$\{?\w*(TOKEN|PASSWORD)", command.replace("$$", "")), name
    assert "RASA_AUTH_TOKEN" not in (DEPLOY / "docker-compose.yml").read_text()


def test_nginx_refuses_bodies_over_the_channels_cap_and_forwards_normalised_paths():
    conf = (DEPLOY / "nginx.conf").read_text()
    sizes = re.findall(r"client_max_body_size\s+(\w+);", conf)
    assert sizes and all(_size(s) == message_guard.MAX_BODY_BYTES for s in sizes)
    # `proxy_pass http://upstream;` (no URI) would forward the client's raw path.
    targets = re.findall(r"^\s*proxy_pass\s+([^;]+);", conf, re.M)
    assert targets and all(re.fullmatch(r"http://\w+/[\w./-]*", t) for t in targets), targets


def test_forwarded_for_is_believed_only_from_listed_proxies(monkeypatch):
    headers = {"X-Forwarded-For": "198.51.100.7"}
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "*")
    assert client_address("203.0.113.9", headers) == "203.0.113.9", "'*' must not be honoured"
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.244.0.0/16, 127.0.0.1")
    assert client_address("10.244.3.17", headers) == "198.51.100.7"
    assert client_address("127.0.0.1", headers) == "198.51.100.7"
    assert client_address("10.245.0.1", headers) == "10.245.0.1"


def test_compose_services_use_their_own_database_roles():
    compose = yaml.safe_load((DEPLOY / "docker-compose.yml").read_text())
    services = compose["services"]

    def user(service, variable):
        url = (services[service].get("environment") or {}).get(variable)
        return url and url.split("//", 1)[1].split(":", 1)[0]

    expected = {
        ("rasa1", "TRACKER_DB_URL"): "tms_rasa",
        ("rasa2", "TRACKER_DB_URL"): "tms_rasa",
        ("actions", "BOOKING_DB_URL"): "tms_actions",
        ("console", "TRACKER_DB_URL"): "tms_console",
        ("console", "BOOKING_DB_URL"): "tms_console",
        ("migrate", "BOOKING_DB_URL"): services["postgres"]["environment"]["POSTGRES_USER"],
    }
    assert {key: user(*key) for key in expected} == expected
    # No service holds another's database credentials.
    assert user("actions", "TRACKER_DB_URL") is None and user("rasa1", "BOOKING_DB_URL") is None
    assert "./postgres:/docker-entrypoint-initdb.d:ro" in services["postgres"]["volumes"]
    assert (DEPLOY / "postgres" / "roles.psql").is_file() and (
        DEPLOY / "postgres" / "init-roles.sh"
    ).is_file()
