"""Skip logic: which items are "không áp dụng theo điều kiện" for a set of answers. Pure functions.

An item (or a whole criterion) may carry `when`, a condition on an earlier item's answer. While the
condition is false the item is skipped: hidden on the tablet, out of the score, the maximum and the
progress, not required for sign-off. The validator (checklists/when_rules.py) guarantees that every
`when` points backwards at an item of a compatible type, so one pass in document order resolves every
chain; an item whose controlling item is itself skipped or unanswered counts as skipped.

static/js/conditions.js is the same rule for the browser; tests/data/conditions_cases.json keeps the two equal.
"""

from __future__ import annotations

from collections.abc import Mapping

import msgspec

from .model import Answer, Checklist, Item, When

# How a skipped item reads wherever it is listed (minutes, reports, the evidence package).
SKIPPED_LABEL = "Không áp dụng theo điều kiện"

# Types a `when` may point at, and how it reads their answer.
CHOICE_TYPES = frozenset({"yesno", "levels"})  # equals / in
NUMBER_TYPES = frozenset({"score", "count", "deduction", "ratio"})  # min (ratio: the percent)


def answer_value(item: Item, answer: Answer | None) -> str | float | None:
    """What a condition compares: the choice of a yes/no or levels item, the number of a numeric item,
    the percent of a ratio; None when unanswered, N/A or not comparable (an empty denominator)."""
    if answer is None or answer.na:
        return None
    if item.type in CHOICE_TYPES:
        return answer.choice
    if item.type == "ratio":
        if answer.numerator is None or not answer.denominator:
            return None
        # Rounded as the scoring engine rounds a percent, so 29/100 meets `min = 29`.
        return round(answer.numerator / answer.denominator * 100, 9)
    if item.type in NUMBER_TYPES:
        return answer.number
    return None


def condition_holds(when: When, controller: Item, answer: Answer | None) -> bool:
    """Whether `when` is true for the controlling item's answer (False when it is unanswered)."""
    value = answer_value(controller, answer)
    if value is None:
        return False
    if when.equals is not None:
        return value == when.equals
    if when.in_ is not None:
        return value in when.in_
    if when.min is not None:
        return isinstance(value, (int, float)) and value >= when.min
    return False


def skipped_codes(checklist: Checklist, answers: Mapping[str, Answer]) -> set[str]:
    """Codes of every item whose own or whose criterion's condition is false for these answers."""
    by_code: dict[str, Item] = {}
    skipped: set[str] = set()

    def holds(when: When | None) -> bool:
        if when is None:
            return True
        controller = by_code.get(when.item)
        if controller is None or when.item in skipped:
            return False  # a skipped controller, or one the validator would refuse (later, unknown)
        return condition_holds(when, controller, answers.get(when.item))

    for area in checklist.areas:
        for crit in area.criteria:
            crit_applies = holds(crit.when)
            for item in crit.items:
                if not (crit_applies and holds(item.when)):
                    skipped.add(item.code)
                by_code[item.code] = item
    return skipped


def applicable_items(checklist: Checklist, answers: Mapping[str, Answer]) -> list[Item]:
    """The items that apply for these answers, in document order."""
    skipped = skipped_codes(checklist, answers)
    return [item for item in checklist.items() if item.code not in skipped]


def has_conditions(checklist: Checklist) -> bool:
    """Whether any item or criterion carries a `when` (most checklists have none: nothing to evaluate)."""
    return any(crit.when is not None or any(item.when is not None for item in crit.items)
               for area in checklist.areas for crit in area.criteria)


def is_conditional(checklist: Checklist, code: str) -> bool:
    """Whether the item with this code can be skipped (it or its criterion carries a `when`)."""
    for area in checklist.areas:
        for crit in area.criteria:
            for item in crit.items:
                if item.code == code:
                    return crit.when is not None or item.when is not None
    return False


def conditions_outline(checklist: Checklist) -> dict:
    """What static/js/conditions.js needs of a checklist: its tree with each item's code, type and `when`
    (and each criterion's `when`), nothing else."""

    def when_of(when: When | None) -> dict:
        return {} if when is None else {"when": msgspec.to_builtins(when)}

    return {"areas": [{"criteria": [{**when_of(crit.when),
                                      "items": [{"code": item.code, "type": item.type, **when_of(item.when)}
                                                for item in crit.items]}
                                     for crit in area.criteria]}
                      for area in checklist.areas]}
