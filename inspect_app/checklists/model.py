"""The checklist file format: msgspec Structs that a `checklists/*.toml` file decodes into.

This module is the contract between the TOML files, the validator, the scoring engine, the
Excel round-trip and the database. Field names here are the keys people write in TOML.
"""

from __future__ import annotations

from typing import Literal

import msgspec

ItemType = Literal["yesno", "levels", "score", "ratio", "count", "deduction", "text", "date"]
UnitKind = Literal["xa", "phuong", "dac_khu", "so_nganh"]
EvidenceKind = Literal["none", "photo", "document", "any"]

# Types whose answers carry points; `text` and `date` are recorded, not scored.
SCORED_TYPES: frozenset[str] = frozenset({"yesno", "levels", "score", "ratio", "count", "deduction"})
# Types whose answers are whole numbers a person counts: a count, violations, a numerator and denominator.
COUNTED_TYPES: frozenset[str] = frozenset({"ratio", "count", "deduction"})
# The largest such number an answer may carry unless the item sets its own `max_value` (our reference
# value: a commune or a department handles far fewer dossiers, tasks or violations in a year).
DEFAULT_MAX_VALUE = 1_000_000
# The largest `max_value` an item may set: whole numbers stay exact in a float far beyond it.
MAX_VALUE_CEILING = 1_000_000_000_000


class Band(msgspec.Struct, forbid_unknown_fields=True):
    """One band of a `ratio` (percent) or `count` item: values in [from_, to) earn `points`.

    `to` is omitted on the last band of a `count` item (no upper bound). For `ratio` the bands
    cover 0 … 100 exactly and the last band includes 100.
    """

    from_: float = msgspec.field(name="from")
    points: float
    to: float | None = None


class Level(msgspec.Struct, forbid_unknown_fields=True):
    """A named level of a `levels` item (e.g. đạt / đạt một phần / không đạt)."""

    key: str  # stable ASCII key used in answers and the API, e.g. "dat_mot_phan"
    label: str
    points: float


class Evidence(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """What evidence (tài liệu kiểm chứng) an item expects."""

    kind: EvidenceKind = "none"
    min_count: int = 0
    hint: str = ""


class When(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """Skip logic: the item (or criterion) applies only while an earlier item's answer meets this.

    Exactly one of `equals` (a yes/no choice "yes"/"no" or a level key), `in_` (TOML key `in`: level
    keys) or `min` (a number ≥ min; for a ratio the percent) is given; see checklists/conditions.py.
    """

    item: str
    equals: str | None = None
    in_: list[str] | None = msgspec.field(default=None, name="in")
    min: float | None = None


class Item(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A tiêu chí thành phần: the unit an inspector answers."""

    code: str  # e.g. "3.2.1": criterion code + "." + number
    text: str
    type: ItemType
    max_points: float = 0.0
    guidance: str = ""
    na_allowed: bool = False
    evidence: Evidence = msgspec.field(default_factory=Evidence)
    # levels
    levels: list[Level] = msgspec.field(default_factory=list)
    # score
    step: float = 0.25
    # ratio and count
    mode: Literal["step", "linear"] = "step"
    bands: list[Band] = msgspec.field(default_factory=list)
    # ratio: linear mode runs from 0 points at zero_at % to max_points at full_at %
    zero_at: float = 0.0
    full_at: float = 100.0
    # ratio: what an empty denominator (nothing fell due) earns
    if_empty: Literal["max", "zero", "na"] = "max"
    numerator_label: str = ""
    denominator_label: str = ""
    # count
    count_label: str = ""
    # deduction
    per_violation: float = 0.0
    violation_label: str = ""
    # ratio, count and deduction: the largest whole number an answer may carry (None: DEFAULT_MAX_VALUE)
    max_value: int | None = None
    # skip logic: while false the item is "không áp dụng theo điều kiện" (checklists/conditions.py)
    when: When | None = None

    def value_limit(self) -> int:
        """The largest count, number of violations, numerator or denominator this item accepts."""
        return DEFAULT_MAX_VALUE if self.max_value is None else self.max_value


class Criterion(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A tiêu chí: groups items; its maximum is the sum of its items'."""

    code: str  # e.g. "3.2": area code + "." + number
    title: str
    items: list[Item] = msgspec.field(default_factory=list)
    max_points: float | None = None  # optional; when given it must equal the items' sum
    when: When | None = None  # skip logic for every item of the criterion (checklists/conditions.py)


class Area(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A lĩnh vực."""

    code: str  # e.g. "3"
    title: str
    max_points: float
    criteria: list[Criterion] = msgspec.field(default_factory=list)


class RatingBand(msgspec.Struct, forbid_unknown_fields=True):
    """A rating (xếp loại) reached at `min_percent` of the maximum; provinces differ."""

    min_percent: float
    label: str


class Checklist(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """A whole bộ tiêu chí, as written in one TOML file."""

    id: str  # stable id across versions, e.g. "cchc-xa"
    title: str
    version: str  # human label, e.g. "2026.1"; the content hash identifies the version
    unit_kinds: list[UnitKind]
    legal_basis: list[str]
    areas: list[Area]
    max_points: float | None = None  # optional; when given it must equal the areas' sum
    rating_bands: list[RatingBand] = msgspec.field(default_factory=list)
    description: str = ""

    def items(self) -> list[Item]:
        """Every item in document order."""
        return [item for area in self.areas for crit in area.criteria for item in crit.items]


class Answer(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """One answer to an item, by an inspector (finding) or a unit (self-assessment).

    Which fields are used depends on the item type:
    yesno → choice "yes"/"no"; levels → choice = a level key; score → number (points);
    ratio → numerator and denominator; count → number; deduction → number (violations found);
    text → text; date → text (ISO date YYYY-MM-DD). `na` marks "không áp dụng" where allowed.
    """

    na: bool = False
    choice: str | None = None
    number: float | None = None
    numerator: float | None = None
    denominator: float | None = None
    text: str | None = None
