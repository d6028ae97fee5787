"""Passwords, login throttling, session and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from inspect_app.db import Database, Tx
from inspect_app.queries import login_failures, utc_stamp

# argon2id with the library's defaults (RFC 9106 low-memory profile): memory-hard.
_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 8


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        # Spend the same time as a real check so a missing user is not told apart by timing.
        _hasher.hash(password)
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str) -> str | None:
    """A Vietnamese reason the password is unacceptable, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Mật khẩu phải có ít nhất {MIN_PASSWORD_LENGTH} ký tự."
    if len(password) > 256:
        return "Mật khẩu quá dài (tối đa 256 ký tự)."
    return None


def new_token() -> str:
    """A random secret for a session cookie or a personal API token."""
    return secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_expired(created_at: str, last_seen_at: str, *, idle_minutes: int, max_hours: int,
                    now: datetime | None = None) -> bool:
    """A session ends after `idle_minutes` unused or `max_hours` after login, whichever first."""
    now = now or datetime.now(UTC)
    created = datetime.fromisoformat(created_at.replace("Z", "+00:00"))
    seen = datetime.fromisoformat(last_seen_at.replace("Z", "+00:00"))
    return now - seen > timedelta(minutes=idle_minutes) or now - created > timedelta(hours=max_hours)


def needs_touch(last_seen_at: str, now: datetime | None = None) -> bool:
    """Refresh `last_seen_at` at most once a minute: a write per request would be wasteful."""
    now = now or datetime.now(UTC)
    seen = datetime.fromisoformat(last_seen_at.replace("Z", "+00:00"))
    return now - seen > timedelta(minutes=1)


class LoginThrottle:
    """Failed logins per (username, IP): after `limit` failures in `window` seconds, wait.

    Keyed by user *and* IP: tablets share carrier NAT, so an IP-only limit would lock out a
    whole team, and a user-only limit would let anyone lock an account. The failures are rows of
    `login_failures`, so every app process counts the same ones (issue 20: several nodes, one database);
    a failure deletes everyone's failures older than the window, which bounds the table.
    """

    def __init__(self, db: Database, limit: int = 5, window: float = 15 * 60,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.db = db
        self.limit = limit
        self.window = window
        self.clock = clock

    async def retry_after(self, username: str, ip: str) -> int:
        """Seconds to wait before another attempt is allowed (0 = allowed now)."""
        now = self.clock()
        count, oldest = await login_failures.recent(self.db, username.lower(), ip,
                                                    utc_stamp(now - timedelta(seconds=self.window)))
        if count < self.limit or oldest is None:
            return 0
        elapsed = (now - datetime.fromisoformat(oldest.replace("Z", "+00:00"))).total_seconds()
        return max(1, int(self.window - elapsed) + 1)

    async def failed(self, username: str, ip: str) -> None:
        now = self.clock()

        async def body(tx: Tx) -> None:
            await login_failures.add(tx, username.lower(), ip, utc_stamp(now),
                                     prune_before=utc_stamp(now - timedelta(seconds=self.window)))
        await self.db.atomic(body)

    async def succeeded(self, username: str, ip: str) -> None:
        async def body(tx: Tx) -> None:
            await login_failures.clear(tx, username.lower(), ip)
        await self.db.atomic(body)
