"""Provinces and administrative units (keyed on official code, never on name)."""

from __future__ import annotations

from collections.abc import Iterable

from inspect_app.db import Database, Tx, utc_now
from inspect_app.models import Unit
from inspect_app.queries import as_struct, as_structs, where_clause
from inspect_app.text import fold

UNIT_SELECT = (
    "SELECT u.code, u.name, u.kind, u.province_code, p.name AS province_name"
    " FROM units u JOIN provinces p ON p.code = u.province_code"
)


def _like_escape(word: str) -> str:
    return word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def search_units(
    db: Database, *, q: str = "", province: str = "", kind: str = "", limit: int = 50, offset: int = 0,
) -> list[Unit]:
    """Units matching every word of `q` (diacritics and case ignored), in code order."""
    where, params = where_clause(
        *(("u.search_key LIKE ? ESCAPE '\\'", f"%{_like_escape(word)}%") for word in fold(q).split()),
        ("u.province_code = ?", province) if province else None,
        ("u.kind = ?", kind) if kind else None)
    sql = UNIT_SELECT + where + " ORDER BY u.province_code, u.kind = 'so_nganh' DESC, u.code LIMIT ? OFFSET ?"
    return as_structs(Unit, await db.fetch_all(sql, [*params, limit, offset]))


async def count_units(db: Database, province: str = "") -> int:
    if province:
        row = await db.fetch_one("SELECT count(*) FROM units WHERE province_code = ?", (province,))
    else:
        row = await db.fetch_one("SELECT count(*) FROM units")
    return row[0]


async def get_unit(db: Database | Tx, code: str) -> Unit | None:
    row = await db.fetch_one(UNIT_SELECT + " WHERE u.code = ?", (code,))
    return as_struct(Unit, row) if row else None


async def list_provinces(db: Database) -> list[tuple[str, str, int]]:
    """(code, name, units loaded) for every province known to the database."""
    rows = await db.fetch_all(
        "SELECT p.code, p.name, count(u.code) AS n FROM provinces p"
        " LEFT JOIN units u ON u.province_code = p.code GROUP BY p.code ORDER BY p.code"
    )
    return [(r["code"], r["name"], r["n"]) for r in rows]


async def upsert_provinces(tx: Tx, provinces: Iterable[tuple[str, str]]) -> None:
    await tx.executemany(
        "INSERT INTO provinces (code, name) VALUES (?, ?) ON CONFLICT(code) DO UPDATE SET name = excluded.name",
        list(provinces),
    )


async def upsert_units(tx: Tx, units: Iterable[Unit]) -> tuple[int, int]:
    """Insert new units and update changed names/kinds; return (inserted, updated)."""
    inserted = updated = 0
    now = utc_now()
    for unit in units:
        row = await tx.fetch_one("SELECT name, kind, province_code FROM units WHERE code = ?", (unit.code,))
        if row is None:
            await tx.execute(
                "INSERT INTO units (code, name, search_key, kind, province_code, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (unit.code, unit.name, fold(unit.name), unit.kind, unit.province_code, now),
            )
            inserted += 1
        elif (row["name"], row["kind"], row["province_code"]) != (unit.name, unit.kind, unit.province_code):
            await tx.execute(
                "UPDATE units SET name = ?, search_key = ?, kind = ?, province_code = ? WHERE code = ?",
                (unit.name, fold(unit.name), unit.kind, unit.province_code, unit.code),
            )
            updated += 1
    return inserted, updated
