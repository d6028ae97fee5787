"""The data-access layer: the only place with SQL. One module per resource.

Reads take the `Database` (or a `Tx` to read inside a transaction); writes take a `Tx`.
Rows become Structs here, at the boundary.
"""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

T = TypeVar("T")


def as_struct(kind: type[T], row: Any) -> T:
    """Convert one sqlite3.Row into the Struct `kind` (extra columns are ignored)."""
    return msgspec.convert(dict(row), kind, strict=False)


def as_structs(kind: type[T], rows: list[Any]) -> list[T]:
    return [as_struct(kind, row) for row in rows]
