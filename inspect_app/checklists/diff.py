"""What changed between two versions of a checklist, for the version page: a pure function.

Items are matched by code. An item is *moved* when its criterion changed, or when it is not part of the
longest run of shared items that kept their order (so moving one item up reports that item, not every
item it jumped over). Points and texts are compared field by field; any other field that differs is
listed by its key.
"""

from __future__ import annotations


import msgspec

from .model import Checklist, Item
from .problems import format_number

# Fields reported on their own line; the rest of an item's fields are summed up as "other fields".
_POINT_FIELDS = ("max_points",)
_TEXT_FIELDS = ("text", "guidance")


class ItemRef(msgspec.Struct, frozen=True):
    code: str
    text: str
    criterion: str


class Move(msgspec.Struct, frozen=True):
    code: str
    text: str
    old_criterion: str
    new_criterion: str
    old_position: int  # 1-based position in document order
    new_position: int


class Change(msgspec.Struct, frozen=True):
    code: str
    field: str  # the item's key, e.g. "max_points", "text", "levels"
    old: str
    new: str


class ChecklistDiff(msgspec.Struct, frozen=True):
    added: list[ItemRef]
    removed: list[ItemRef]
    moved: list[Move]
    points: list[Change]  # max_points changed
    texts: list[Change]  # text or guidance changed
    other: list[Change]  # any other key of the item (type, levels, bands, evidence, …)
    headings: list[Change]  # an area's or criterion's title or points changed (code as field "title")
    old_max: float
    new_max: float

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.moved or self.points or self.texts or self.other
                    or self.headings) and self.old_max == self.new_max


def _placed(checklist: Checklist) -> dict[str, tuple[int, str, Item]]:
    """Item code → (position, criterion code, item); a duplicated code keeps its first place."""
    out: dict[str, tuple[int, str, Item]] = {}
    position = 0
    for area in checklist.areas:
        for crit in area.criteria:
            for item in crit.items:
                position += 1
                out.setdefault(item.code, (position, crit.code, item))
    return out


def _show(value: object) -> str:
    if isinstance(value, float):
        return format_number(value)
    if isinstance(value, (msgspec.Struct, list, dict)):
        return msgspec.json.encode(value).decode()
    return "" if value is None else str(value)


def _item_changes(code: str, old: Item, new: Item) -> tuple[list[Change], list[Change], list[Change]]:
    points, texts, other = [], [], []
    old_fields, new_fields = msgspec.structs.asdict(old), msgspec.structs.asdict(new)
    for field in old_fields:
        before, after = old_fields[field], new_fields[field]
        if field == "code" or before == after:
            continue
        change = Change(code, field, _show(before), _show(after))
        (points if field in _POINT_FIELDS else texts if field in _TEXT_FIELDS else other).append(change)
    return points, texts, other


def _heading_changes(old: Checklist, new: Checklist) -> list[Change]:
    def headings(checklist: Checklist) -> dict[str, tuple[str, float | None]]:
        out: dict[str, tuple[str, float | None]] = {}
        for area in checklist.areas:
            out.setdefault(area.code, (area.title, area.max_points))
            for crit in area.criteria:
                out.setdefault(crit.code, (crit.title, crit.max_points))
        return out

    before, after = headings(old), headings(new)
    changes = []
    for code in before.keys() & after.keys():
        (old_title, old_points), (new_title, new_points) = before[code], after[code]
        if old_title != new_title:
            changes.append(Change(code, "title", old_title, new_title))
        if old_points != new_points:
            changes.append(Change(code, "max_points", _show(old_points), _show(new_points)))
    for code in sorted(before.keys() - after.keys()):
        changes.append(Change(code, "removed", before[code][0], ""))
    for code in sorted(after.keys() - before.keys()):
        changes.append(Change(code, "added", "", after[code][0]))
    return sorted(changes, key=lambda c: [int(p) for p in c.code.split(".") if p.isdigit()])


def _longest_kept_order(old: list[str], new: list[str]) -> set[str]:
    """The codes of a longest common subsequence: the most items that kept their relative order.

    A true LCS, not difflib's matching blocks (a heuristic that can leave out more than it must, and so
    report three items moved after two moves). Quadratic, which is nothing for a checklist's ~100 items."""
    lengths = [[0] * (len(new) + 1) for _ in range(len(old) + 1)]
    for i in range(len(old) - 1, -1, -1):
        for j in range(len(new) - 1, -1, -1):
            lengths[i][j] = (lengths[i + 1][j + 1] + 1 if old[i] == new[j]
                             else max(lengths[i + 1][j], lengths[i][j + 1]))
    kept, i, j = set(), 0, 0
    while i < len(old) and j < len(new):
        if old[i] == new[j]:
            kept.add(old[i])
            i, j = i + 1, j + 1
        elif lengths[i + 1][j] >= lengths[i][j + 1]:
            i += 1
        else:
            j += 1
    return kept


def diff_checklists(old: Checklist, new: Checklist) -> ChecklistDiff:
    """Items added, removed, moved; points, texts and other fields changed; headings changed."""
    before, after = _placed(old), _placed(new)
    added = [ItemRef(code, item.text, crit) for code, (_, crit, item) in after.items() if code not in before]
    removed = [ItemRef(code, item.text, crit) for code, (_, crit, item) in before.items() if code not in after]
    shared_old = [code for code in before if code in after]
    shared_new = [code for code in after if code in before]
    in_order = _longest_kept_order(shared_old, shared_new)
    moved, points, texts, other = [], [], [], []
    for code in shared_new:
        old_pos, old_crit, old_item = before[code]
        new_pos, new_crit, new_item = after[code]
        if old_crit != new_crit or code not in in_order:
            moved.append(Move(code, new_item.text, old_crit, new_crit, old_pos, new_pos))
        p, t, o = _item_changes(code, old_item, new_item)
        points += p
        texts += t
        other += o
    return ChecklistDiff(added=added, removed=removed, moved=moved, points=points, texts=texts, other=other,
                         headings=_heading_changes(old, new),
                         old_max=sum(a.max_points for a in old.areas), new_max=sum(a.max_points for a in new.areas))
