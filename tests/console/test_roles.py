"""Least privilege in the console: every route x role (allowed or 403), account management
from the CLI (list, role, disable, remove) and the idle timeout, against the console served
for real."""

import subprocess
import sys
import time

import pytest
import requests

from tests.console.conftest import PASSWORD, ROOT, Console, console_env, create_user, csrf_of

R, S, E, A = "reviewer", "scheduler", "editor", "admin"
ALL = {R, S, E, A}
# (method, path, form) -> roles allowed. The policy, written out independently of the code.
TABLE = [
    ("GET", "/", {}, ALL),
    ("GET", "/charts", {}, ALL),
    ("GET", "/conversations", {}, {R, A}),
    ("GET", "/transcript?sender=conv-crisis", {}, {R, A}),
    ("POST", "/annotate", {"sender": "conv-crisis", "event_id": "0", "intent": "greet"}, {R, A}),
    ("POST", "/review", {"sender": "nobody"}, {R, A}),
    ("GET", "/annotations", {}, {R, A}),
    ("GET", "/gaps", {}, {R, A}),
    ("POST", "/gaps/annotate", {"intent": "tms_overview"}, {R, A}),  # no messages: nothing annotated
    ("POST", "/gaps/new-topic", {"note": "x"}, {R, A}),
    ("POST", "/annotations/export", {}, {A}),
    ("GET", "/annotations/exports/1", {}, {A}),
    ("POST", "/delete", {"sender": "conv-crisis"}, {A}),  # no confirmation: nothing is deleted
    ("GET", "/bookings", {}, {S, A}),
    ("POST", "/bookings/update", {"reference": "EV-NOPE00", "action": "attended"}, {S, A}),
    ("GET", "/outbox", {}, {S, A}),
    ("GET", "/outbox/1", {}, {S, A}),
    ("POST", "/outbox/retry", {"id": "999999"}, {S, A}),
    ("GET", "/mail", {}, {S, A}),
    ("GET", "/mail/20261207T000000-00000000.eml", {}, {S, A}),
    ("GET", "/callbacks", {}, {S, A}),
    ("POST", "/callbacks/done", {"reference": "CB-NOPE00"}, {S, A}),
    ("GET", "/retention", {}, {A}),
    ("POST", "/retention/purge", {"days": "365"}, {A}),  # no confirmation: nothing is purged
    ("GET", "/audit", {}, {A}),
    ("GET", "/answers", {}, {E, A}),
    ("GET", "/answers/edit?topic=tms.overview", {}, {E, A}),
    (
        "POST",
        "/answers/propose",
        {
            "topic": "tms.overview",
            "action": "preview",  # no change
            "answer": "TMS is a treatment for depression.",
            "source": ["seed_article", "mayo_tms", "nimh_brain_stim"],
        },
        {E, A},
    ),
    ("GET", "/answers/change/1", {}, {E, A}),
    ("POST", "/answers/change/1/approve", {}, {E, A}),  # no such change: nothing happens
    ("POST", "/answers/change/1/reject", {}, {E, A}),
    ("POST", "/answers/change/1/export", {}, {E, A}),
    ("GET", "/answers/change/1/patch", {}, {E, A}),
]


def _session(server: Console, user: str) -> Console:
    client = object.__new__(Console)
    client.__dict__.update(server.__dict__)
    client.http = requests.Session()
    assert client.login(user, PASSWORD).status_code == 302
    return client


@pytest.fixture(scope="module")
def role_console(shared_db):
    for role in (R, S, E):
        create_user(shared_db, name=f"{role}1", role=role)
    server = Console(shared_db)
    yield server, {role: _session(server, f"{role}1" if role != A else "alice") for role in (R, S, E, A)}
    server.stop()


@pytest.mark.parametrize("method, path, form, allowed", TABLE, ids=[f"{m} {p}" for m, p, _, _ in TABLE])
def test_route_by_role(role_console, method, path, form, allowed):
    _, clients = role_console
    for role, client in clients.items():
        if method == "GET":
            response = client.get(path, allow_redirects=False)
        else:
            response = client.post(path, form, allow_redirects=False)
        if role in allowed:
            assert response.status_code in (200, 302, 404), (role, path, response.status_code)
        else:
            assert response.status_code == 403, (role, path, response.status_code)
            assert "does not include this page" in response.text


def test_every_route_of_the_app_is_in_the_policy(shared_db, monkeypatch):
    from console.app import create_app
    from console.roles import ACCESS, PUBLIC, route_name
    from console.settings import Settings

    for key, value in console_env(shared_db).items():
        monkeypatch.setenv(key, value)
    app = create_app(Settings.from_env(), name="policy_check")
    names = {route_name(route.name) for route in app.router.routes}
    assert names - PUBLIC == set(ACCESS), names ^ (set(ACCESS) | PUBLIC)
    tested = {path.split("?")[0] for _, path, _, _ in TABLE}
    assert len(tested) == len(ACCESS) - 1  # every guarded route is in TABLE, but logout (below)


def test_each_role_sees_only_its_pages_and_lands_on_its_home(role_console):
    _, clients = role_console
    reviewer_nav = clients[R].get("/charts").text
    assert 'href="/conversations"' in reviewer_nav and 'href="/bookings"' not in reviewer_nav
    assert 'href="/audit"' not in reviewer_nav
    scheduler_nav = clients[S].get("/charts").text
    assert 'href="/bookings"' in scheduler_nav and 'href="/conversations"' not in scheduler_nav
    assert clients[S].get("/", allow_redirects=False).headers["Location"] == "/bookings"
    assert clients[R].get("/", allow_redirects=False).headers["Location"] == "/conversations"
    # A forbidden page asked for at login sends the person to their home instead.
    login = requests.Session()
    token = csrf_of(login.get(clients[S].url("/login")).text)
    response = login.post(
        clients[S].url("/login"),
        data={"username": "scheduler1", "password": PASSWORD, "next": "/audit", "csrf_token": token},
        headers={"Origin": clients[S].base},
        allow_redirects=False,
    )
    assert response.headers["Location"] == "/bookings"


def _cli(db, *args):
    return subprocess.run(
        [sys.executable, "-m", "console.cli", *args],
        cwd=ROOT,
        env=console_env(db),
        capture_output=True,
        text=True,
    )


def test_accounts_are_listed_changed_disabled_and_removed_from_the_cli(filled_db):
    create_user(filled_db, name="robin", role=R)
    listed = _cli(filled_db, "list-users")
    assert listed.returncode == 0
    assert any(line.startswith("robin\treviewer") for line in listed.stdout.splitlines())
    assert any(line.startswith("alice\tadmin") for line in listed.stdout.splitlines())
    server = Console(filled_db)
    try:
        robin = _session(server, "robin")
        assert robin.get("/audit", allow_redirects=False).status_code == 403
        assert _cli(filled_db, "set-role", "robin", "admin").returncode == 0
        # A role change ends the sessions: the new role applies from the next login.
        assert robin.get("/audit", allow_redirects=False).status_code == 302
        robin = _session(server, "robin")
        assert robin.get("/audit", allow_redirects=False).status_code == 200
        assert _cli(filled_db, "disable-user", "robin").returncode == 0
        assert robin.get("/charts", allow_redirects=False).status_code == 302  # session ended
        assert robin.login("robin", PASSWORD).status_code == 401
        assert _cli(filled_db, "enable-user", "robin").returncode == 0
        assert robin.login("robin", PASSWORD).status_code == 302
        assert _cli(filled_db, "remove-user", "robin").returncode == 0
        assert robin.get("/charts", allow_redirects=False).status_code == 302
        assert robin.login("robin", PASSWORD).status_code == 401
        assert "robin" not in _cli(filled_db, "list-users").stdout
        bad = _cli(filled_db, "set-role", "nobody", "admin")
        assert bad.returncode == 1 and "no user" in bad.stderr
    finally:
        server.stop()


def test_an_idle_session_ends(filled_db):
    server = Console(filled_db, CONSOLE_IDLE_MINUTES="0.05")  # 3 seconds
    try:
        assert server.login().status_code == 302
        for _ in range(3):  # activity keeps it alive
            time.sleep(1.5)
            assert server.get("/charts", allow_redirects=False).status_code == 200
        time.sleep(4)
        assert server.get("/charts", allow_redirects=False).status_code == 302
    finally:
        server.stop()
