"""People who review: names, roles, passwords, API tokens and browser sessions.

Roles nest: a viewer looks; a reviewer also approves, rejects and comments; an admin also
changes scene variables, starts runs and delivers. Passwords and API tokens are stored only
as salted scrypt hashes (RFC 7914, through :func:`hashlib.scrypt`); a token is
``rg_<id>_<secret>``, where the id finds the row and the secret is checked against its
hash. Session ids are 256-bit random values, stored as SHA-256 (a slow hash adds nothing to
a secret that cannot be guessed), with a CSRF token that every cookie-authenticated form
and state-changing request must echo.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from reelgraph.errors import ProjectError
from reelgraph.project.folder import Project
from reelgraph.project.store import SessionRecord, Store, UserRecord

#: Roles from least to most allowed; each includes what the ones before it may do.
ROLES = ("viewer", "reviewer", "admin")

NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")

#: scrypt cost (RFC 7914 §2): N=2^14, r=8, p=1 is the interactive-login setting; 16 MiB.
SCRYPT_N, SCRYPT_R, SCRYPT_P, SCRYPT_LENGTH = 2**14, 8, 1, 32

#: How long a browser session lasts without logging in again.
SESSION_LIFETIME = timedelta(hours=12)


@dataclass(frozen=True)
class User:
    name: str
    role: str
    created_at: str

    def may(self, role: str) -> bool:
        """Whether this user holds ``role`` or a role above it."""
        return ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True)
class NewUser:
    """What ``user add`` shows once: the password and token are never stored in clear."""

    user: User
    password: str
    token: str


def _scrypt(secret: str, salt: str) -> str:
    return hashlib.scrypt(
        secret.encode(),
        salt=bytes.fromhex(salt),
        n=SCRYPT_N,
        r=SCRYPT_R,
        p=SCRYPT_P,
        dklen=SCRYPT_LENGTH,
    ).hex()


def _now() -> datetime:
    return datetime.now(UTC)


def _user(row: UserRecord | SessionRecord) -> User:
    return User(row.name, row.role, row.created_at)


def check_role(role: str) -> str:
    if role not in ROLES:
        raise ProjectError(f"unknown role {role!r}", hint=f"roles: {', '.join(ROLES)}")
    return role


def add_user(project: Project, name: str, role: str, *, actor: str | None = None) -> NewUser:
    """Create a user with a fresh one-time password and API token (audited)."""
    if not NAME_PATTERN.fullmatch(name):
        raise ProjectError(
            f"user name {name!r} is not allowed",
            hint="use 1–64 letters, digits, '.', '_' or '-'",
        )
    check_role(role)
    if project.store.user(name):
        raise ProjectError(
            f"user {name!r} exists",
            hint=f"remove it first with 'reelgraph user remove {name}', or choose another name",
        )
    password = secrets.token_urlsafe(12)
    token_id, token_secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    password_salt, token_salt = secrets.token_hex(16), secrets.token_hex(16)
    created = _now().isoformat(timespec="seconds")
    with project.store.transaction():
        project.store.add_user(
            UserRecord(
                name,
                role,
                password_salt,
                _scrypt(password, password_salt),
                token_id,
                token_salt,
                _scrypt(token_secret, token_salt),
                created,
            ),
        )
        project.audit.append("user_add", name, {"role": role}, actor=actor)
    return NewUser(User(name, role, created), password, f"rg_{token_id}_{token_secret}")


def list_users(store: Store) -> list[User]:
    return [_user(r) for r in store.users()]


def remove_user(project: Project, name: str, *, actor: str | None = None) -> None:
    """Remove a user and end their sessions (audited)."""
    if not project.store.user(name):
        known = ", ".join(u.name for u in list_users(project.store)) or "none"
        raise ProjectError(f"no user {name!r}", hint=f"users: {known}")
    with project.store.transaction():
        project.store.remove_user(name)
        project.audit.append("user_remove", name, {}, actor=actor)


def verify_password(store: Store, name: str, password: str) -> User | None:
    row = store.user(name)
    if row is None:
        # Spend the same time as a real check, so timing does not tell which names exist.
        _scrypt(password, "00" * 16)
        return None
    if hmac.compare_digest(_scrypt(password, row.password_salt), row.password_hash):
        return _user(row)
    return None


def verify_token(store: Store, token: str) -> User | None:
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "rg":
        return None
    row = store.user_with_token(parts[1])
    if row is None:
        return None
    if hmac.compare_digest(_scrypt(parts[2], row.token_salt), row.token_hash):
        return _user(row)
    return None


def user_named(store: Store, name: str) -> User | None:
    row = store.user(name)
    return _user(row) if row else None


def _session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def start_session(store: Store, user: User) -> tuple[str, str]:
    """A new session for ``user``: (session id for the cookie, CSRF token)."""
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = _now()
    store.start_session(
        _session_hash(session_id),
        user.name,
        csrf,
        now.isoformat(),
        (now + SESSION_LIFETIME).isoformat(),
    )
    return session_id, csrf


def session_user(store: Store, session_id: str) -> tuple[User, str] | None:
    """The user and CSRF token of a live session, or None."""
    row = store.session(_session_hash(session_id), _now().isoformat())
    if row is None:
        return None
    return _user(row), row.csrf


def end_session(store: Store, session_id: str) -> None:
    store.end_session(_session_hash(session_id))
