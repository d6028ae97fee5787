"""The data-access layer: the only place with SQL. One module per resource.

Reads take the `Database` (or a `Tx` to read inside a transaction); writes take a `Tx`.
Rows become Structs here, at the boundary.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

import msgspec

T = TypeVar("T")
# One filter of a listing: (SQL with ? placeholders, *the values they take).
Condition = tuple[Any, ...]


def as_struct(kind: type[T], row: Any) -> T:
    """Convert one sqlite3.Row into the Struct `kind` (extra columns are ignored)."""
    return msgspec.convert(dict(row), kind, strict=False)


def as_structs(kind: type[T], rows: list[Any]) -> list[T]:
    return [as_struct(kind, row) for row in rows]


def where_clause(*conditions: Condition | None, prefix: str = " WHERE ") -> tuple[str, list[Any]]:
    """The filters a listing was asked for, joined by AND, and their values in order; a None stands for
    a filter not asked for. ("", []) when none was: `prefix` (" WHERE ", or " AND " after a fixed
    condition) comes only with a condition."""
    chosen = [condition for condition in conditions if condition is not None]
    if not chosen:
        return "", []
    return prefix + " AND ".join(sql for sql, *_ in chosen), [value for _, *values in chosen for value in values]


def utc_stamp(moment: datetime | None = None) -> str:
    """ISO-8601 UTC with microseconds, for the short-lived rows that are ordered or expire within a second
    (flash notes, login failures). Every value of such a column has this one form, so text order is time
    order (`db.utc_now()`, to the second, is the form of every other `*_at` column)."""
    return (moment or datetime.now(UTC)).astimezone(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
