"""Skip logic (`when`): the pure evaluation, its effect on scoring, and the shared case table."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inspect_app.checklists import Answer, Checklist, load_checklist_file, score_checklist
from inspect_app.checklists.conditions import applicable_items, condition_holds, has_conditions, skipped_codes
from inspect_app.checklists.model import Item, When

DATA = Path(__file__).resolve().parent / "data"
CASES = json.loads((DATA / "conditions_cases.json").read_text(encoding="utf-8"))
CHECKLIST = load_checklist_file(DATA / CASES["checklist"]).checklist


def _answers(raw: dict) -> dict[str, Answer]:
    return {code: msgspec.convert(value, Answer) for code, value in raw.items()}


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda c: c["name"])
def test_shared_cases(case: dict) -> None:
    answers = _answers(case["answers"])
    assert sorted(skipped_codes(CHECKLIST, answers)) == case["skipped"]
    assert [i.code for i in applicable_items(CHECKLIST, answers)] == [
        i.code for i in CHECKLIST.items() if i.code not in case["skipped"]]


@pytest.mark.parametrize("case", CASES["ratio_cases"], ids=lambda c: c["name"])
def test_ratio_min_reads_the_percent(case: dict) -> None:
    ratio = next(i for i in CHECKLIST.items() if i.type == "ratio")
    when = When(item=ratio.code, min=case["min"])
    assert condition_holds(when, ratio, msgspec.convert(case["answer"], Answer)) is case["holds"]


def test_checklists_without_when_skip_nothing() -> None:
    mini = load_checklist_file(DATA / "checklists" / "valid" / "mini.toml").checklist
    assert not has_conditions(mini) and has_conditions(CHECKLIST)
    assert skipped_codes(mini, {}) == set()


def test_skipped_items_leave_score_maximum_and_total() -> None:
    answers = _answers({"1.1.1": {"choice": "no"}, "1.1.2": {"choice": "dat"}, "2.1.1": {"choice": "no"}})
    score = score_checklist(CHECKLIST, answers)
    assert score.skipped == ["1.1.2", "1.1.3", "2.2.1", "2.2.2", "2.2.3"]
    assert (score.points, score.max_points, score.total, score.answered) == (0, 3, 2, 2)
    assert score.items["1.1.2"].skipped and score.items["1.1.2"].points is None
    assert score.items["1.1.2"].max_points == 0


def test_an_answer_saved_before_counts_again_when_the_condition_turns_true() -> None:
    answers = _answers({"1.1.1": {"choice": "no"}, "1.1.2": {"choice": "dat"}})
    assert score_checklist(CHECKLIST, answers).items["1.1.2"].points is None
    answers["1.1.1"] = Answer(choice="yes")
    again = score_checklist(CHECKLIST, answers)
    assert again.items["1.1.2"].points == 2 and not again.items["1.1.2"].skipped
    assert again.points == 4


# --- properties ------------------------------------------------------------------------------------


def _answer_for(item: Item) -> st.SearchStrategy[Answer | None]:
    if item.type == "yesno":
        values = st.sampled_from(["yes", "no"]).map(lambda c: Answer(choice=c))
    elif item.type == "levels":
        values = st.sampled_from([lv.key for lv in item.levels]).map(lambda c: Answer(choice=c))
    elif item.type == "score":
        steps = int(item.max_points / item.step)
        values = st.integers(0, steps).map(lambda n: Answer(number=n * item.step))
    elif item.type == "ratio":
        values = st.integers(0, 50).flatmap(
            lambda d: st.integers(0, d).map(lambda n: Answer(numerator=n, denominator=d)))
    else:
        values = st.integers(0, 10).map(lambda n: Answer(number=n))
    return st.one_of(st.none(), values)


def _full(item: Item) -> Answer:
    """An answer earning the item's full points."""
    if item.type == "yesno":
        return Answer(choice="yes")
    if item.type == "levels":
        return Answer(choice=max(item.levels, key=lambda lv: lv.points).key)
    if item.type == "score":
        return Answer(number=item.max_points)
    if item.type == "ratio":
        return Answer(numerator=1, denominator=1)
    return Answer(number=0 if item.type == "deduction" else 1_000)


def _full_of(checklist: Checklist, code: str) -> Answer:
    return _full(next(i for i in checklist.items() if i.code == code))


def _without_when(checklist: Checklist, code: str) -> Checklist:
    """The checklist with the item applying unconditionally (its and its criterion's `when` removed)."""
    raw = msgspec.to_builtins(checklist)
    for area in raw["areas"]:
        for crit in area["criteria"]:
            if any(item["code"] == code for item in crit["items"]):
                crit.pop("when", None)
                for item in crit["items"]:
                    if item["code"] == code:
                        item.pop("when", None)
    return msgspec.convert(raw, Checklist)


ANSWERS = st.fixed_dictionaries({item.code: _answer_for(item) for item in CHECKLIST.items()}).map(
    lambda raw: {code: answer for code, answer in raw.items() if answer is not None})


@settings(max_examples=150, deadline=None)
@given(ANSWERS)
def test_skipping_never_raises_a_percent_above_answering_with_full_points(answers: dict[str, Answer]) -> None:
    skipped = skipped_codes(CHECKLIST, answers)
    before = score_checklist(CHECKLIST, answers)
    for code in skipped:
        forced = _without_when(CHECKLIST, code)
        # The item, and whatever comes to apply because of it, answered with full points.
        full = {**answers, code: _full_of(forced, code)}
        while now_applying := {c for c in skipped - skipped_codes(forced, full) if full.get(c) != _full_of(forced, c)}:
            full |= {c: _full_of(forced, c) for c in now_applying}
        after = score_checklist(forced, full)
        if before.percent is not None:
            assert after.percent is not None and before.percent <= after.percent + 1e-9


@settings(max_examples=150, deadline=None)
@given(ANSWERS)
def test_skipped_items_never_count(answers: dict[str, Answer]) -> None:
    score = score_checklist(CHECKLIST, answers)
    skipped = set(score.skipped)
    assert score.total == len(CHECKLIST.items()) - len(skipped)
    assert score.max_points == round(sum(i.max_points for i in CHECKLIST.items() if i.code not in skipped), 2)
    # A controller that is skipped or unanswered never lets its dependants apply.
    for item in CHECKLIST.items():
        if item.when and (item.when.item in skipped or item.when.item not in answers):
            assert item.code in skipped


def test_excel_round_trip_carries_when(tmp_path) -> None:
    from inspect_app.checklists import export_xlsx, import_xlsx

    path = tmp_path / "dieu-kien.xlsx"
    export_xlsx(CHECKLIST, path)
    back, problems = import_xlsx(path)
    assert problems == []
    assert back == CHECKLIST


def test_toml_writer_keeps_when() -> None:
    from inspect_app.checklists import checklist_to_toml, validate_source

    back, problems = validate_source(checklist_to_toml(CHECKLIST), "dieu-kien-xa.toml")
    assert problems == [] and back == CHECKLIST
