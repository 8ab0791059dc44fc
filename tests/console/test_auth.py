"""Login, sessions, cookies, CSRF and lockout of the staff console (served for real)."""

import sqlite3

import requests

from tests.console.conftest import PASSWORD, USER, Console, csrf_of

PAGES = [
    "/",
    "/conversations",
    "/conversations?crisis=1",
    "/transcript?sender=conv-crisis",
    "/annotations",
    "/annotations/exports/1",
    "/charts",
    "/bookings",
    "/retention",
    "/audit",
]
POSTS = [
    "/annotate",
    "/review",
    "/delete",
    "/annotations/export",
    "/bookings/update",
    "/retention/purge",
    "/logout",
]


def test_nothing_is_reachable_without_login(console):
    for path in PAGES:
        response = console.get(path, allow_redirects=False)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next="), path
    for path in POSTS:
        response = console.post(
            path, {"sender": "conv-crisis", "confirm": "yes", "days": "1"}, csrf="x", allow_redirects=False
        )
        assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    # Nothing was changed by the anonymous POSTs.
    with sqlite3.connect(console.db_path) as conn:
        assert conn.execute("select count(*) from events where sender_id='conv-crisis'").fetchone()[0] > 0
        assert conn.execute("select count(*) from console_reviews").fetchone()[0] == 0


def test_login_page_and_redirect_back(console):
    response = console.get("/charts")
    assert response.url.endswith("/login?next=%2Fcharts")
    token = csrf_of(response.text)
    response = console.post(
        "/login",
        {"username": USER, "password": PASSWORD, "next": "/charts"},
        csrf=token,
        allow_redirects=False,
    )
    assert response.status_code == 302 and response.headers["Location"] == "/charts"
    # An open redirect through `next` is refused.
    console.http.cookies.clear()
    token = csrf_of(console.get("/login").text)
    response = console.post(
        "/login",
        {"username": USER, "password": PASSWORD, "next": "//evil.example/x"},
        csrf=token,
        allow_redirects=False,
    )
    assert response.headers["Location"] == "/conversations"


def test_session_cookie_flags(console):
    response = console.login()
    assert response.status_code == 302
    cookie = response.headers["Set-Cookie"]
    assert "console_session=" in cookie
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie


def test_secure_cookies_when_configured(filled_db):
    server = Console(filled_db, CONSOLE_COOKIE_SECURE="1")
    try:
        login_page = server.get("/login")
        assert "Secure" in login_page.headers["Set-Cookie"]
        token = login_page.cookies.get("__Host-console_login_csrf") or csrf_of(login_page.text)
        response = server.http.post(
            server.url("/login"),
            allow_redirects=False,
            data={"username": USER, "password": PASSWORD, "csrf_token": csrf_of(login_page.text)},
            headers={"Origin": server.base, "Cookie": f"__Host-console_login_csrf={token}"},
        )
        assert response.status_code == 302
        cookie = response.headers["Set-Cookie"]
        assert cookie.startswith("__Host-console_session=")
        assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    finally:
        server.stop()


def test_passwords_are_hashed_with_argon2id(console):
    with sqlite3.connect(console.db_path) as conn:
        (stored,) = conn.execute(
            "select password_hash from console_users where username=?", (USER,)
        ).fetchone()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_wrong_password_is_refused(console):
    token = csrf_of(console.get("/login").text)
    response = console.post(
        "/login", {"username": USER, "password": "wrong-password-123"}, csrf=token, allow_redirects=False
    )
    assert response.status_code == 401
    assert "Wrong username or password" in response.text
    assert console.get("/conversations", allow_redirects=False).status_code == 302


def test_login_form_needs_its_csrf_token(console):
    console.get("/login")
    response = console.post(
        "/login", {"username": USER, "password": PASSWORD}, csrf=None, allow_redirects=False
    )
    assert response.status_code == 403
    assert console.get("/conversations", allow_redirects=False).status_code == 302


def test_forged_posts_are_rejected(staff):
    # No token, a wrong token, the right token from another site: all refused, nothing changes.
    for csrf, headers in (
        (None, {"Origin": staff.base}),
        ("forged", {"Origin": staff.base}),
        ("auto", {"Origin": "https://evil.example"}),
    ):
        response = staff.post(
            "/review",
            {"sender": "conv-crisis", "action": "mark"},
            csrf=csrf,
            headers=headers,
            allow_redirects=False,
        )
        assert response.status_code == 403, (csrf, headers)
        assert "CSRF" in response.text
        response = staff.post(
            "/delete",
            {"sender": "conv-crisis", "confirm": "yes"},
            csrf=csrf,
            headers=headers,
            allow_redirects=False,
        )
        assert response.status_code == 403
    with sqlite3.connect(staff.db_path) as conn:
        assert conn.execute("select count(*) from console_reviews").fetchone()[0] == 0
        assert conn.execute("select count(*) from events where sender_id='conv-crisis'").fetchone()[0] > 0
        actions = [r[0] for r in conn.execute("select action from console_audit_log")]
    assert actions.count("csrf_rejected") == 6
    # The genuine form works.
    response = staff.post("/review", {"sender": "conv-crisis", "action": "mark"}, allow_redirects=False)
    assert response.status_code == 302 and "done=reviewed" in response.headers["Location"]


def test_lockout_after_repeated_failures(console):
    # CONSOLE_MAX_FAILURES=3 in the tests.
    for _ in range(3):
        token = csrf_of(console.get("/login").text)
        assert (
            console.post("/login", {"username": USER, "password": "nope-nope-nope"}, csrf=token).status_code
            == 401
        )
    token = csrf_of(console.get("/login").text)
    response = console.post(
        "/login", {"username": USER, "password": PASSWORD}, csrf=token, allow_redirects=False
    )
    assert response.status_code == 429, "the right password must not open a locked account"
    assert "locked" in response.text
    # Unknown usernames lock the same way, so the lockout does not reveal who exists.
    for _ in range(4):
        token = csrf_of(console.get("/login").text)
        last = console.post("/login", {"username": "mallory", "password": "x" * 12}, csrf=token)
    assert last.status_code == 429
    with sqlite3.connect(console.db_path) as conn:
        actions = [r[0] for r in conn.execute("select action from console_audit_log")]
    assert actions.count("login_failed") == 6 and actions.count("login_locked") == 2


def test_logout_ends_the_session(staff):
    cookie = staff.http.cookies.get("console_session")
    assert staff.get("/audit").status_code == 200
    response = staff.post("/logout", {}, allow_redirects=False)
    assert response.status_code == 302
    # Even replaying the old cookie does not work any more: the session is gone server-side.
    replay = requests.get(staff.url("/audit"), cookies={"console_session": cookie}, allow_redirects=False)
    assert replay.status_code == 302


def test_security_headers(staff):
    response = staff.get("/conversations")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"


def test_cli_create_user_rules(filled_db):
    import subprocess
    import sys

    from tests.console.conftest import ROOT, console_env

    short = subprocess.run(
        [sys.executable, "-m", "console.cli", "create-user", "bob"],
        cwd=ROOT,
        env=console_env(filled_db, CONSOLE_PASSWORD="short"),
        capture_output=True,
        text=True,
    )
    assert short.returncode == 1 and "at least 12" in short.stderr
    again = subprocess.run(
        [sys.executable, "-m", "console.cli", "create-user", USER],
        cwd=ROOT,
        env=console_env(filled_db, CONSOLE_PASSWORD=PASSWORD * 2),
        capture_output=True,
        text=True,
    )
    assert again.returncode == 1 and "already exists" in again.stderr
    # The password can also be piped in on stdin (scripts), without echoing it anywhere.
    piped = subprocess.run(
        [sys.executable, "-m", "console.cli", "create-user", "carol"],
        cwd=ROOT,
        env=console_env(filled_db),
        input="another-long-password\n",
        capture_output=True,
        text=True,
    )
    assert piped.returncode == 0, piped.stderr
    assert "another-long-password" not in piped.stdout + piped.stderr
    server = Console(filled_db)
    try:
        assert server.login("carol", "another-long-password").status_code == 302
    finally:
        server.stop()


def _from_address(console: Console, address: str) -> Console:
    """The same console driven by a client whose address is `address` (127.0.0.0/8)."""
    from requests_toolbelt.adapters.source import SourceAddressAdapter

    other = object.__new__(Console)
    other.__dict__.update(console.__dict__)
    other.http = requests.Session()
    other.http.mount("http://", SourceAddressAdapter(address))
    return other


def _fail_login(client: Console, username: str) -> int:
    token = csrf_of(client.get("/login").text)
    return client.post(
        "/login", {"username": username, "password": "wrong-password-123"}, csrf=token
    ).status_code


def test_a_stranger_cannot_lock_staff_out(console):
    stranger = _from_address(console, "127.0.0.2")
    # CONSOLE_MAX_FAILURES=3: the stranger's own attempts at alice are locked...
    assert [_fail_login(stranger, USER) for _ in range(4)] == [401, 401, 401, 429]
    # ...but alice, from her own address, still gets in.
    assert console.login().status_code == 302


def test_password_spraying_from_one_address_is_capped(console):
    # 4 x CONSOLE_MAX_FAILURES failures from one address, whatever the usernames, lock it.
    sprayer = _from_address(console, "127.0.0.3")
    codes = [_fail_login(sprayer, f"user{i}") for i in range(12)]
    assert codes == [401] * 12
    assert _fail_login(sprayer, "someone-new") == 429
    assert console.login().status_code == 302


def test_failed_logins_keep_no_typed_username(console):
    typed = "Tr0ub4dor-and-3-my-password"  # a password typed into the username field
    assert _fail_login(console, typed) == 401
    assert _fail_login(console, USER) == 401
    with sqlite3.connect(console.db_path) as conn:
        audit_rows = conn.execute(
            "select actor, action, coalesce(target, ''), coalesce(details, '') from console_audit_log"
        ).fetchall()
        attempts = conn.execute("select username, client from console_login_attempts").fetchall()
        dump = "\n".join(conn.iterdump())
    assert typed.lower() not in dump.lower(), "the typed username was stored"
    assert ("(unknown user)", "login_failed") in [(a, b) for a, b, _, _ in audit_rows]
    assert (USER, "login_failed") in [(a, b) for a, b, _, _ in audit_rows]
    assert len(attempts) == 2 and all(len(u) == 64 and USER not in u for u, _ in attempts)
