"""Failed logins per (username, IP), for the login throttle (services/auth.LoginThrottle)."""

from __future__ import annotations

from inspect_app.db import Database, Tx


async def recent(db: Database | Tx, username: str, ip: str, since: str) -> tuple[int, str | None]:
    """How many failures since `since`, and the oldest of them."""
    row = await db.lookup(
        "SELECT count(*), min(failed_at) FROM login_failures WHERE username = ? AND ip = ? AND failed_at > ?",
        (username, ip, since))
    return (row[0], row[1]) if row else (0, None)


async def add(tx: Tx, username: str, ip: str, at: str, *, prune_before: str) -> None:
    """Record a failure; failures older than `prune_before` (everyone's) go."""
    await tx.execute("DELETE FROM login_failures WHERE failed_at <= ?", (prune_before,))
    await tx.execute("INSERT INTO login_failures (username, ip, failed_at) VALUES (?, ?, ?)", (username, ip, at))


async def clear(tx: Tx, username: str, ip: str) -> None:
    await tx.execute("DELETE FROM login_failures WHERE username = ? AND ip = ?", (username, ip))
