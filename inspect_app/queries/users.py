"""Users, sessions and personal API tokens."""

from __future__ import annotations

from inspect_app.db import Database, Tx, utc_now
from inspect_app.models import User
from inspect_app.queries import as_struct, as_structs, where_clause

USER_COLUMNS = "id, username, full_name, title, role, unit_code, active, email"


async def get_user(db: Database | Tx, user_id: int) -> User | None:
    row = await db.fetch_one(f"SELECT {USER_COLUMNS} FROM users WHERE id = ?", (user_id,))
    return as_struct(User, row) if row else None


async def get_user_by_username(db: Database | Tx, username: str) -> User | None:
    row = await db.fetch_one(f"SELECT {USER_COLUMNS} FROM users WHERE username = ?", (username,))
    return as_struct(User, row) if row else None


async def get_password_hash(db: Database | Tx, user_id: int) -> str | None:
    row = await db.fetch_one("SELECT password_hash FROM users WHERE id = ?", (user_id,))
    return row["password_hash"] if row else None


async def list_users(db: Database, role: str | None = None) -> list[User]:
    where, params = where_clause(("role = ?", role) if role else None)
    return as_structs(User, await db.fetch_all(
        f"SELECT {USER_COLUMNS} FROM users{where} ORDER BY role, username", params))


async def insert_user(
    tx: Tx, *, username: str, full_name: str, role: str, unit_code: str | None, title: str = "",
    password_hash: str | None = None, email: str = "",
) -> int:
    return await tx.execute(
        "INSERT INTO users (username, full_name, title, role, unit_code, password_hash, email, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (username, full_name, title, role, unit_code, password_hash, email, utc_now()),
    )


async def list_unit_officers(db: Database, unit_code: str) -> list[User]:
    return as_structs(User, await db.fetch_all(
        f"SELECT {USER_COLUMNS} FROM users WHERE role = 'unit' AND unit_code = ? AND active = 1", (unit_code,)))


async def set_password_hash(tx: Tx, user_id: int, password_hash: str) -> None:
    await tx.execute("UPDATE users SET password_hash = ? WHERE id = ?", (password_hash, user_id))


async def set_active(tx: Tx, user_id: int, active: bool) -> None:
    await tx.execute("UPDATE users SET active = ? WHERE id = ?", (int(active), user_id))


# -- sessions: the cookie holds a random token; only its sha256 is stored


async def insert_session(tx: Tx, token_hash: str, user_id: int, ip: str, user_agent: str) -> None:
    now = utc_now()
    await tx.execute(
        "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, ip, user_agent)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (token_hash, user_id, now, now, ip, user_agent[:300]),
    )


async def get_session_user(db: Database, token_hash: str) -> tuple[User, str, str] | None:
    """(user, session created_at, last_seen_at) for a session token hash, in one query."""
    columns = ", ".join(f"u.{c.strip()}" for c in USER_COLUMNS.split(","))
    row = await db.lookup(
        f"SELECT {columns}, s.created_at AS s_created, s.last_seen_at AS s_seen FROM sessions s"
        " JOIN users u ON u.id = s.user_id WHERE s.token_hash = ?", (token_hash,))
    return (as_struct(User, row), row["s_created"], row["s_seen"]) if row else None


async def touch_session(tx: Tx, token_hash: str) -> None:
    await tx.execute("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", (utc_now(), token_hash))


async def delete_session(tx: Tx, token_hash: str) -> None:
    await tx.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))


async def delete_user_sessions(tx: Tx, user_id: int) -> None:
    await tx.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,))


# -- personal API tokens (Authorization: Bearer)


async def insert_token(tx: Tx, user_id: int, token_hash: str, label: str) -> int:
    return await tx.execute(
        "INSERT INTO api_tokens (user_id, token_hash, label, created_at) VALUES (?, ?, ?, ?)",
        (user_id, token_hash, label, utc_now()),
    )


async def get_token_user(db: Database, token_hash: str) -> User | None:
    """The owner of a live (not revoked) personal token, in one query."""
    columns = ", ".join(f"u.{c.strip()}" for c in USER_COLUMNS.split(","))
    row = await db.lookup(
        f"SELECT {columns} FROM api_tokens t JOIN users u ON u.id = t.user_id"
        " WHERE t.token_hash = ? AND t.revoked_at IS NULL", (token_hash,))
    return as_struct(User, row) if row else None
