"""Derived answers: a `ratio` or `count` item with `from_sample` is computed from a sample's rows.

Pure: `derive_answers` takes the stored answers and returns them with every derived item's answer
replaced by the one its sample's rows give (static/js/derive.js computes the same in the browser; both
are checked against tests/data/derive_cases.json). A derived item is never typed, so whatever was stored
for it is ignored.
"""

from __future__ import annotations

from collections.abc import Mapping

from .model import Answer, Checklist, Item
from .sample import Row, count_rows, row_passes


def derived_answer(item: Item, rows: list[Row]) -> Answer:
    """The answer a `from_sample` item takes from its sample's rows."""
    rule = item.from_sample
    assert rule is not None
    if item.type == "count":
        return Answer(number=float(count_rows(rows, rule.count)))
    counted = [row for row in rows if all(row_passes(row, test) for test in rule.denominator)]
    return Answer(numerator=float(count_rows(counted, rule.numerator)), denominator=float(len(counted)))


def derive_answers(checklist: Checklist, answers: Mapping[str, Answer]) -> dict[str, Answer]:
    """The answers with every derived item computed from its sample: unanswered while the sample is,
    and an empty sample (N/A: no dossier to take) counts no row."""
    out = dict(answers)
    for item in checklist.items():
        if item.from_sample is None:
            continue
        source = answers.get(item.from_sample.item)
        if source is None or not (source.na or source.rows):
            out.pop(item.code, None)
            continue
        out[item.code] = derived_answer(item, [] if source.na else list(source.rows or []))
    return out


def derived_codes(checklist: Checklist) -> set[str]:
    """The codes of the items computed from a sample (never typed)."""
    return {item.code for item in checklist.items() if item.from_sample is not None}
