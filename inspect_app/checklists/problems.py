"""What validation produces and points at: problems, findings, node paths, point arithmetic.

Shared by the rules, the source locator, the decoder-error translation and `validate`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import msgspec

# Sums of points written by people (0.25 + 0.5 …) are compared with this tolerance.
TOLERANCE = 1e-6

# A node of the tree: () the checklist, (a,) an area, (a, c) a criterion, (a, c, i) an item.
Node = tuple[int, ...]
# Keys below a node, as in a msgspec error path: ("levels", 1, "points").
Keys = tuple[str | int, ...]
# Where a finding points to: (file label, line or Excel row).
Locate = Callable[[Node, Keys], tuple[str, int | None]]
# The array keys that lead from the checklist down to areas, criteria and items.
LEVEL_NAMES = ("areas", "criteria", "items")


class Problem(msgspec.Struct, frozen=True):
    """One thing wrong with a checklist, located as precisely as the source allows."""

    file: str
    line: int | None
    code: str | None  # the area, criterion or item code concerned, if any
    message: str  # Vietnamese: what is wrong and how to fix it

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        code = f" [{self.code}]" if self.code else ""
        return f"{where}:{code} {self.message}"


class ChecklistError(Exception):
    """Raised when one or more checklist files are invalid; carries every problem found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class Finding(msgspec.Struct, frozen=True):
    """A rule violation before it is located in a file: a node, keys below it, a message."""

    node: Node
    keys: Keys
    message: str


def format_number(value: float) -> str:
    """Format a number for a Vietnamese reader: no trailing zeros, decimal comma."""
    if not math.isfinite(value):
        return str(value)
    if float(value).is_integer():
        whole = int(value)
        # Vietnamese digit grouping with dots from five digits on ("1.000.000"), not for years.
        return f"{whole:,}".replace(",", ".") if abs(whole) >= 10_000 else str(whole)
    return f"{value:.6f}".rstrip("0").rstrip(".").replace(".", ",")


def split_path(path: tuple[str | int, ...]) -> tuple[Node, Keys]:
    """Split a full path into the deepest area/criterion/item node and the keys below it."""
    node: list[int] = []
    rest = list(path)
    for name in LEVEL_NAMES:
        if len(rest) >= 2 and rest[0] == name and isinstance(rest[1], int):
            node.append(rest[1])
            rest = rest[2:]
        else:
            break
    return tuple(node), tuple(rest)
