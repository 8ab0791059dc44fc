"""Staff accounts, sessions, CSRF tokens and the login lockout.

- Passwords: argon2id (argon2-cffi), rehashed on login when the parameters change.
- Sessions: a random token in a Secure (configurable for http on loopback), HttpOnly,
  SameSite=Strict cookie; the database keeps only its sha256, with the session's CSRF token.
- CSRF: every form carries the session's token; every POST is checked (constant time).
  Before login the token is a double-submit value bound to a separate short-lived cookie.
- Lockout: after `max_failures` failed logins for a username from one client address, that
  username is refused from that address until the window has passed, so a stranger elsewhere
  cannot lock staff out; after `max_failures_per_address` failures from one address (any
  usernames: password spraying) the address is refused. Each failure is answered after a delay.
- What a failed login leaves: the attempts table keeps keyed hashes of the typed username and
  of the address, never the text (a password typed into the username field is not kept).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Optional

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from console.db import Database, login_attempts, sessions, users
from console.roles import DEFAULT_ROLE, check_role

_hasher = PasswordHasher()
# Verifying against this when the user does not exist keeps timing the same either way.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))
USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-@")
MIN_PASSWORD_LENGTH = 12
# Key for hashing client addresses in the attempts table (per process; attempts are short-lived).
_CLIENT_KEY = secrets.token_bytes(32)


class AuthError(ValueError):
    pass


@dataclass
class Session:
    user_id: int
    username: str
    csrf_token: str
    expires_at: float
    role: str = "reviewer"


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def client_key(address: Optional[str]) -> str:
    return hmac.new(_CLIENT_KEY, (address or "?").encode(), hashlib.sha256).hexdigest()


def username_key(typed: str) -> str:
    """What the attempts table keeps of a typed username: a keyed hash, never the text."""
    return hmac.new(_CLIENT_KEY, b"user:" + (typed or "?").encode(), hashlib.sha256).hexdigest()


def account_name(db: Database, typed: str) -> Optional[str]:
    """The account's name when `typed` names an existing account, else None."""
    try:
        name = normalise_username(typed)
    except AuthError:
        return None
    with db.console.connect() as conn:
        found = conn.execute(sa.select(users.c.username).where(users.c.username == name)).scalar()
    return found


def normalise_username(name: str) -> str:
    name = (name or "").strip().lower()
    if not 2 <= len(name) <= 64 or not set(name) <= USERNAME_CHARS:
        raise AuthError("usernames are 2-64 characters: letters, digits, . _ - @")
    return name


def create_user(db: Database, username: str, password: str, role: str = DEFAULT_ROLE) -> int:
    username = normalise_username(username)
    try:
        role = check_role(role)
    except ValueError as error:
        raise AuthError(str(error)) from None
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AuthError(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
    with db.console.begin() as conn:
        if conn.execute(sa.select(users.c.id).where(users.c.username == username)).first():
            raise AuthError(f"user {username!r} already exists")
        result = conn.execute(
            users.insert().values(
                username=username,
                password_hash=_hasher.hash(password),
                created_at=time.time(),
                disabled=False,
                role=role,
            )
        )
        return int(result.inserted_primary_key[0])


def _user_id(conn, username: str) -> int:
    user_id = conn.execute(
        sa.select(users.c.id).where(users.c.username == normalise_username(username))
    ).scalar()
    if user_id is None:
        raise AuthError(f"no user {username!r}")
    return int(user_id)


def set_role(db: Database, username: str, role: str) -> None:
    try:
        role = check_role(role)
    except ValueError as error:
        raise AuthError(str(error)) from None
    with db.console.begin() as conn:
        user_id = _user_id(conn, username)
        conn.execute(users.update().where(users.c.id == user_id).values(role=role))
        conn.execute(sessions.delete().where(sessions.c.user_id == user_id))


def set_disabled(db: Database, username: str, disabled: bool) -> None:
    """Disables (ending its sessions at once) or enables an account."""
    with db.console.begin() as conn:
        user_id = _user_id(conn, username)
        conn.execute(users.update().where(users.c.id == user_id).values(disabled=disabled))
        if disabled:
            conn.execute(sessions.delete().where(sessions.c.user_id == user_id))


def remove_user(db: Database, username: str) -> None:
    """Removes an account and its sessions; what it did stays in the audit log by name."""
    with db.console.begin() as conn:
        user_id = _user_id(conn, username)
        conn.execute(sessions.delete().where(sessions.c.user_id == user_id))
        conn.execute(users.delete().where(users.c.id == user_id))


def set_password(db: Database, username: str, password: str) -> None:
    username = normalise_username(username)
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise AuthError(f"passwords need at least {MIN_PASSWORD_LENGTH} characters")
    with db.console.begin() as conn:
        result = conn.execute(
            users.update().where(users.c.username == username).values(password_hash=_hasher.hash(password))
        )
        if not result.rowcount:
            raise AuthError(f"no user {username!r}")
        user_id = conn.execute(sa.select(users.c.id).where(users.c.username == username)).scalar()
        conn.execute(sessions.delete().where(sessions.c.user_id == user_id))


def locked_until(db: Database, username: str, client: str) -> Optional[float]:
    """When the lockout for this username at this client / this client ends, or None."""
    s = db.settings
    window = s.lockout_minutes * 60
    since = time.time() - window
    with db.console.connect() as conn:

        def failures(cond) -> list:
            last_ok = (
                conn.execute(
                    sa.select(sa.func.max(login_attempts.c.ts)).where(
                        cond, login_attempts.c.success.is_(True)
                    )
                ).scalar()
                or 0
            )
            return [
                r.ts
                for r in conn.execute(
                    sa.select(login_attempts.c.ts)
                    .where(
                        cond, login_attempts.c.success.is_(False), login_attempts.c.ts > max(since, last_ok)
                    )
                    .order_by(login_attempts.c.ts)
                )
            ]

        by_user = failures(
            sa.and_(login_attempts.c.username == username_key(username), login_attempts.c.client == client)
        )
        by_client = failures(login_attempts.c.client == client)
    if len(by_user) >= s.max_failures:
        return by_user[-1] + window
    if len(by_client) >= s.max_failures_per_address:
        return by_client[-1] + window
    return None


def _record(db: Database, username: str, client: str, success: bool) -> None:
    with db.console.begin() as conn:
        conn.execute(
            login_attempts.insert().values(
                username=username_key(username), client=client, ts=time.time(), success=success
            )
        )
        # Attempts only matter within the window; keep the table small.
        conn.execute(login_attempts.delete().where(login_attempts.c.ts < time.time() - 7 * 86400))


def authenticate(db: Database, username: str, password: str, client: str) -> Optional[int]:
    """The user's id if the credentials are right and not locked out, else None.

    Raises AuthError("locked") while locked (the caller shows a generic message)."""
    try:
        username = normalise_username(username)
    except AuthError:
        username = (username or "").strip().lower()[:64] or "?"
    if locked_until(db, username, client):
        raise AuthError("locked")
    with db.console.connect() as conn:
        user = conn.execute(sa.select(users).where(users.c.username == username)).first()
    stored = user.password_hash if user is not None and not user.disabled else _DUMMY_HASH
    try:
        _hasher.verify(stored, password or "")
        ok = user is not None and not user.disabled
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        ok = False
    _record(db, username, client, ok)
    if not ok:
        return None
    with db.console.begin() as conn:
        values: dict[str, float | str] = {"last_login_at": time.time()}
        if _hasher.check_needs_rehash(user.password_hash):
            values["password_hash"] = _hasher.hash(password)
        conn.execute(users.update().where(users.c.id == user.id).values(**values))
    return int(user.id)


def start_session(db: Database, user_id: int) -> str:
    """Creates a session; returns the cookie token (only its hash is stored)."""
    token = secrets.token_urlsafe(32)
    now = time.time()
    with db.console.begin() as conn:
        conn.execute(sessions.delete().where(sessions.c.expires_at < now))
        conn.execute(
            sessions.insert().values(
                token_hash=_sha256(token),
                user_id=user_id,
                csrf_token=secrets.token_urlsafe(32),
                created_at=now,
                last_seen_at=now,
                expires_at=now + db.settings.session_hours * 3600,
            )
        )
    return token


def get_session(db: Database, token: Optional[str]) -> Optional[Session]:
    if not token or len(token) > 128:
        return None
    now = time.time()
    token_hash = _sha256(token)
    with db.console.connect() as conn:
        row = conn.execute(
            sa.select(
                sessions.c.user_id,
                sessions.c.csrf_token,
                sessions.c.expires_at,
                sessions.c.created_at,
                sessions.c.last_seen_at,
                users.c.username,
                users.c.disabled,
                users.c.role,
            )
            .select_from(sessions.join(users, users.c.id == sessions.c.user_id))
            .where(sessions.c.token_hash == token_hash)
        ).first()
    if row is None or row.expires_at < now or row.disabled:
        return None
    last_seen = row.last_seen_at or row.created_at
    with db.console.begin() as conn:
        if now - last_seen > db.settings.idle_minutes * 60:  # idle too long: the session ends
            conn.execute(sessions.delete().where(sessions.c.token_hash == token_hash))
            return None
        conn.execute(sessions.update().where(sessions.c.token_hash == token_hash).values(last_seen_at=now))
    return Session(
        user_id=row.user_id,
        username=row.username,
        csrf_token=row.csrf_token,
        expires_at=row.expires_at,
        role=row.role,
    )


def end_session(db: Database, token: Optional[str]) -> None:
    if token:
        with db.console.begin() as conn:
            conn.execute(sessions.delete().where(sessions.c.token_hash == _sha256(token)))


def tokens_match(expected: Optional[str], given: Optional[str]) -> bool:
    if not expected or not given:
        return False
    return hmac.compare_digest(expected.encode(), given.encode())
