"""Operational reads (health)."""

from __future__ import annotations

from inspect_app.db import Database


async def migration_count(db: Database) -> int:
    row = await db.fetch_one("SELECT count(*) FROM schema_migrations")
    return row[0]
