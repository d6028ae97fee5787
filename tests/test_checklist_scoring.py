"""Scoring engine: each item type, N/A, answer validation, totals, and property tests."""

from __future__ import annotations

import math
from pathlib import Path

import msgspec
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from inspect_app.checklists import (
    Answer,
    AnswerError,
    Checklist,
    Item,
    load_checklist_file,
    score_checklist,
    score_item,
    validate_answer,
)
from inspect_app.checklists.model import Area, Band, Criterion, Level, RatingBand
from inspect_app.checklists.validate import item_findings

MINI = Path(__file__).resolve().parent / "data" / "checklists" / "valid" / "mini.toml"


def item(**fields) -> Item:
    """An Item from TOML-like fields, decoded the way a file is."""
    base = {"code": "1.1.1", "text": "Thử"}
    return msgspec.convert({**base, **fields}, type=Item)


YESNO = item(type="yesno", max_points=2)
LEVELS = item(
    type="levels",
    max_points=2,
    levels=[
        {"key": "dat", "label": "Đạt", "points": 2},
        {"key": "mot_phan", "label": "Một phần", "points": 0.75},
        {"key": "khong", "label": "Không đạt", "points": 0},
    ],
)
SCORE = item(type="score", max_points=1.5, step=0.25)
RATIO = item(
    type="ratio",
    max_points=6,
    bands=[
        {"from": 0, "to": 80, "points": 0},
        {"from": 80, "to": 95, "points": 3},
        {"from": 95, "to": 100, "points": 6},
    ],
)
LINEAR = item(type="ratio", mode="linear", max_points=4, zero_at=20, full_at=80)
COUNT = item(
    type="count",
    max_points=4,
    bands=[{"from": 0, "to": 1, "points": 0}, {"from": 1, "to": 3, "points": 2}, {"from": 3, "points": 4}],
)
DEDUCTION = item(type="deduction", max_points=1.5, per_violation=0.5)
TEXT = item(type="text")
DATE = item(type="date")


def points(it: Item, **answer) -> float | None:
    return score_item(it, Answer(**answer)).points


def test_fixture_items_are_valid() -> None:
    for it in (YESNO, LEVELS, SCORE, RATIO, LINEAR, COUNT, DEDUCTION, TEXT, DATE):
        assert list(item_findings(it)) == []


def test_yesno() -> None:
    assert points(YESNO, choice="yes") == 2
    assert points(YESNO, choice="no") == 0
    with pytest.raises(AnswerError, match="«Có» \\(yes\\) hoặc «Không» \\(no\\)"):
        score_item(YESNO, Answer(choice="co"))


def test_unanswered_keeps_maximum() -> None:
    for answer in (None, Answer(), Answer(text="  ")):
        score = score_item(YESNO, answer)
        assert (score.points, score.max_points, score.answered, score.na) == (None, 2, False, False)


def test_na_only_where_allowed() -> None:
    with pytest.raises(AnswerError, match="không cho phép chọn «Không áp dụng»"):
        score_item(YESNO, Answer(na=True))
    allowed = msgspec.structs.replace(YESNO, na_allowed=True)
    score = score_item(allowed, Answer(na=True))
    assert (score.points, score.max_points, score.na, score.answered) == (None, 0, True, True)


def test_levels() -> None:
    assert points(LEVELS, choice="dat") == 2
    assert points(LEVELS, choice="mot_phan") == 0.75
    assert points(LEVELS, choice="khong") == 0
    message = validate_answer(LEVELS, Answer(choice="tot"))
    assert message is not None and "«Đạt» (dat)" in message
    assert validate_answer(LEVELS, Answer(number=1)) == "Chưa chọn câu trả lời."


def test_score() -> None:
    assert points(SCORE, number=1.25) == 1.25
    assert points(SCORE, number=0) == 0
    assert "bội số của 0,25" in (validate_answer(SCORE, Answer(number=1.3)) or "")
    assert "vượt điểm tối đa 1,5" in (validate_answer(SCORE, Answer(number=1.75)) or "")
    assert validate_answer(SCORE, Answer(number=-0.25)) == "Điểm chấm không được âm."
    assert validate_answer(SCORE, Answer(number=math.nan)) == "Điểm chấm phải là một số hữu hạn."


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [
        (0, 10, 0),
        (79, 100, 0),
        (80, 100, 3),
        (8, 10, 3),
        (949, 1000, 3),
        (95, 100, 6),
        (10, 10, 6),
        (29, 29, 6),
    ],
)
def test_ratio_step(numerator: float, denominator: float, expected: float) -> None:
    assert points(RATIO, numerator=numerator, denominator=denominator) == expected


def test_ratio_band_boundary_survives_binary_rounding() -> None:
    # 0.29 / 1 · 100 is 28.999999999999996 in binary floating point.
    it = item(
        type="ratio", max_points=1, bands=[{"from": 0, "to": 29, "points": 0}, {"from": 29, "points": 1}]
    )
    assert points(it, numerator=0.29, denominator=1) == 1


def test_ratio_empty_denominator() -> None:
    assert points(RATIO, numerator=0, denominator=0) == 6  # if_empty = "max" by default
    zero = msgspec.structs.replace(RATIO, if_empty="zero")
    assert points(zero, numerator=0, denominator=0) == 0
    na = msgspec.structs.replace(RATIO, if_empty="na")
    score = score_item(na, Answer(numerator=0, denominator=0))
    assert (score.points, score.max_points, score.na, score.answered) == (None, 0, True, True)


def test_ratio_answer_errors() -> None:
    assert validate_answer(RATIO, Answer(numerator=11, denominator=10)) == "Tử số không được lớn hơn mẫu số."
    assert validate_answer(RATIO, Answer(numerator=1, denominator=0)) == "Tử số không được lớn hơn mẫu số."
    assert validate_answer(RATIO, Answer(numerator=1)) == "Cần nhập cả tử số và mẫu số."
    assert validate_answer(RATIO, Answer(numerator=-1, denominator=3)) == "Tử số không được âm."
    with pytest.raises(AnswerError) as info:
        score_item(RATIO, Answer(numerator=11, denominator=10))
    assert isinstance(info.value, ValueError)
    assert info.value.code == "1.1.1"


@pytest.mark.parametrize(
    ("numerator", "expected"), [(0, 0), (20, 0), (35, 1), (50, 2), (80, 4), (100, 4), (10, 0)]
)
def test_ratio_linear(numerator: float, expected: float) -> None:
    assert points(LINEAR, numerator=numerator, denominator=100) == expected


def test_linear_rounds_to_two_decimals() -> None:
    assert points(LINEAR, numerator=1, denominator=3) == 0.89  # (33.33 − 20) / 60 · 4 = 0.8888…


@pytest.mark.parametrize(("number", "expected"), [(0, 0), (1, 2), (2, 2), (3, 4), (1000, 4)])
def test_count(number: float, expected: float) -> None:
    assert points(COUNT, number=number) == expected


def test_count_answer_errors() -> None:
    assert validate_answer(COUNT, Answer(number=1.5)) == "Số đếm phải là số nguyên (đang là 1,5)."
    assert validate_answer(COUNT, Answer(number=-1)) == "Số đếm không được âm."
    labelled = msgspec.structs.replace(COUNT, count_label="cuộc đối thoại")
    assert validate_answer(labelled, Answer(number=-1)) == "Cuộc đối thoại không được âm."


@pytest.mark.parametrize(("violations", "expected"), [(0, 1.5), (1, 1), (3, 0), (10, 0)])
def test_deduction(violations: float, expected: float) -> None:
    assert points(DEDUCTION, number=violations) == expected


def test_deduction_needs_whole_number() -> None:
    assert validate_answer(DEDUCTION, Answer(number=0.5)) == "Số vi phạm phải là số nguyên (đang là 0,5)."


def test_text_and_date_are_recorded_not_scored() -> None:
    score = score_item(TEXT, Answer(text="Đơn vị đã khắc phục."))
    assert (score.points, score.max_points, score.answered) == (None, 0, True)
    score = score_item(DATE, Answer(text="2026-03-31"))
    assert (score.points, score.max_points, score.answered) == (None, 0, True)
    assert score_item(DATE, None).max_points == 0


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("31/03/2026", "không đúng dạng"),
        ("2026-3-1", "không đúng dạng"),
        ("2026-02-30", "không tồn tại"),
        ("20260331", "không đúng dạng"),
    ],
)
def test_date_errors(text: str, fragment: str) -> None:
    assert fragment in (validate_answer(DATE, Answer(text=text)) or "")


# --- whole checklist ----------------------------------------------------------------------------------


def test_score_checklist_totals_and_rating() -> None:
    checklist = load_checklist_file(MINI).checklist
    answers = {
        "1.1.1": Answer(choice="yes"),  # 1 / 1
        "1.1.2": Answer(choice="mot_phan"),  # 1 / 2
        "1.2.1": Answer(na=True),  # N/A: 0 / 0 (was 1.5)
        "1.2.2": Answer(text="2026-01-15"),
        "1.2.4": Answer(number=1),  # 1 / 1.5
        "2.1.1": Answer(numerator=90, denominator=100),  # 3 / 6
        "2.1.2": Answer(numerator=0, denominator=0),  # if_empty = na: 0 / 0 (was 4)
        # 2.1.3 unanswered: 0 / 4; 1.2.3 (text) unanswered
    }
    result = score_checklist(checklist, answers)
    assert result.points == 6
    assert result.max_points == 14.5
    assert result.percent == 41.38
    assert result.rating == "Yếu"
    assert (result.answered, result.total) == (7, 9)
    area1, area2 = result.areas
    assert (area1.points, area1.max_points, area1.answered, area1.total) == (3, 4.5, 5, 6)
    assert (area2.points, area2.max_points) == (3, 10)
    assert [(c.code, c.points, c.max_points) for c in area1.criteria] == [("1.1", 2, 3), ("1.2", 1, 1.5)]
    assert result.items["1.2.1"].na and result.items["2.1.2"].na
    assert result.items["2.1.3"].points is None and result.items["2.1.3"].max_points == 4


def test_score_checklist_full_marks_and_ignores_unknown_codes() -> None:
    checklist = load_checklist_file(MINI).checklist
    answers = {
        "1.1.1": Answer(choice="yes"),
        "1.1.2": Answer(choice="dat"),
        "1.2.1": Answer(number=1.5),
        "1.2.4": Answer(number=0),
        "2.1.1": Answer(numerator=10, denominator=10),
        "2.1.2": Answer(numerator=9, denominator=10),
        "2.1.3": Answer(number=5),
        "9.9.9": Answer(choice="yes"),
    }
    result = score_checklist(checklist, answers)
    assert (result.points, result.max_points, result.percent, result.rating) == (20, 20, 100, "Tốt")


def test_score_checklist_all_na_has_no_percent() -> None:
    checklist = _checklist([msgspec.structs.replace(YESNO, na_allowed=True)])
    result = score_checklist(checklist, {"1.1.1": Answer(na=True)})
    assert (result.points, result.max_points, result.percent, result.rating) == (0, 0, None, None)


def test_score_checklist_raises_answer_error() -> None:
    with pytest.raises(AnswerError):
        score_checklist(_checklist([YESNO]), {"1.1.1": Answer(choice="maybe")})


def _checklist(items: list[Item], rating: bool = True) -> Checklist:
    """A one-area checklist of these items (codes renumbered 1.1.1, 1.1.2 …)."""
    items = [msgspec.structs.replace(it, code=f"1.1.{n}") for n, it in enumerate(items, start=1)]
    total = sum(it.max_points for it in items)
    return Checklist(
        id="thu",
        title="Thử",
        version="1",
        unit_kinds=["xa"],
        legal_basis=[],
        areas=[
            Area(
                code="1",
                title="A",
                max_points=total,
                criteria=[Criterion(code="1.1", title="C", items=items)],
            )
        ],
        rating_bands=[RatingBand(0, "Yếu"), RatingBand(50, "Đạt")] if rating else [],
    )


# --- properties ---------------------------------------------------------------------------------------

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)
maybe_number = st.one_of(
    st.none(), finite, st.sampled_from([math.nan, math.inf, -math.inf]), st.integers(-5, 50).map(float)
)
answers = st.builds(
    Answer,
    na=st.booleans(),
    choice=st.one_of(st.none(), st.sampled_from(["yes", "no", "dat", "mot_phan", "khong", "x", ""])),
    number=maybe_number,
    numerator=maybe_number,
    denominator=maybe_number,
    text=st.one_of(st.none(), st.sampled_from(["", "2026-01-31", "2026-02-30", "ghi chú", "31/01/2026"])),
)
max_points = st.integers(1, 40).map(lambda n: n * 0.25)


@st.composite
def step_bands(draw: st.DrawFn, maximum: float, last_to: float | None, upper: int) -> list[Band]:
    cuts = sorted(draw(st.sets(st.integers(1, upper - 1), max_size=4)))
    edges = [0, *cuts]
    levels = sorted(draw(st.lists(st.integers(0, 40), min_size=len(edges) - 1, max_size=len(edges) - 1)))
    pts = [min(maximum, p * 0.25) for p in levels] + [maximum]
    bands = [
        Band(from_=float(edges[i]), to=float(edges[i + 1]), points=pts[i]) for i in range(len(edges) - 1)
    ]
    return [*bands, Band(from_=float(edges[-1]), to=last_to, points=maximum)]


@st.composite
def ratio_items(draw: st.DrawFn) -> Item:
    maximum = draw(max_points)
    if_empty = draw(st.sampled_from(["max", "zero", "na"]))
    if draw(st.booleans()):
        zero_at = draw(st.integers(0, 99))
        full_at = draw(st.integers(zero_at + 1, 100))
        return item(
            type="ratio",
            mode="linear",
            max_points=maximum,
            zero_at=zero_at,
            full_at=full_at,
            if_empty=if_empty,
        )
    bands = draw(step_bands(maximum, draw(st.sampled_from([100.0, None])), 100))
    return msgspec.structs.replace(item(type="ratio", max_points=maximum, if_empty=if_empty), bands=bands)


@st.composite
def scored_items(draw: st.DrawFn) -> Item:
    kind = draw(st.sampled_from(["yesno", "levels", "score", "ratio", "count", "deduction", "text", "date"]))
    maximum = draw(max_points)
    na = draw(st.booleans())
    if kind == "ratio":
        return msgspec.structs.replace(draw(ratio_items()), na_allowed=na)
    if kind == "levels":
        lower = draw(st.lists(st.integers(0, int(maximum * 4)), min_size=1, max_size=3, unique=True))
        levels = [Level(key="dat", label="Đạt", points=maximum)] + [
            Level(key=f"muc_{n}", label=f"Mức {n}", points=p * 0.25)
            for n, p in enumerate(lower)
            if p * 0.25 < maximum
        ]
        assume(len(levels) >= 2)
        return msgspec.structs.replace(item(type="levels", max_points=maximum, na_allowed=na), levels=levels)
    if kind == "count":
        bands = draw(step_bands(maximum, None, 30))
        return msgspec.structs.replace(item(type="count", max_points=maximum, na_allowed=na), bands=bands)
    if kind == "deduction":
        return item(type="deduction", max_points=maximum, per_violation=draw(max_points), na_allowed=na)
    if kind == "score":
        return item(type="score", max_points=maximum, step=0.25, na_allowed=na)
    if kind in ("text", "date"):
        return item(type=kind, na_allowed=na)
    return item(type="yesno", max_points=maximum, na_allowed=na)


@settings(max_examples=300, deadline=None)
@given(scored_items())
def test_generated_items_are_valid(it: Item) -> None:
    assert list(item_findings(it)) == []


@settings(max_examples=500, deadline=None)
@given(scored_items(), answers)
def test_score_stays_within_zero_and_maximum(it: Item, answer: Answer) -> None:
    try:
        score = score_item(it, answer)
    except AnswerError as exc:
        assert exc.message and validate_answer(it, answer, limits=False) == exc.message
        return
    assert validate_answer(it, answer, limits=False) is None
    assert 0 <= score.max_points <= it.max_points
    if score.points is not None:
        assert 0 <= score.points <= score.max_points


@st.composite
def two_fractions(draw: st.DrawFn) -> tuple[tuple[int, int], tuple[int, int]]:
    first = (draw(st.integers(0, 500)), draw(st.integers(1, 500)))
    second = (draw(st.integers(0, 500)), draw(st.integers(1, 500)))
    assume(first[0] <= first[1] and second[0] <= second[1])
    return tuple(sorted([first, second], key=lambda f: f[0] / f[1]))  # type: ignore[return-value]


@settings(max_examples=500, deadline=None)
@given(ratio_items(), two_fractions())
def test_ratio_score_never_falls_when_ratio_rises(
    it: Item, fractions: tuple[tuple[int, int], tuple[int, int]]
) -> None:
    assert list(item_findings(it)) == []
    (n1, d1), (n2, d2) = fractions
    low = points(it, numerator=n1, denominator=d1)
    high = points(it, numerator=n2, denominator=d2)
    assert low is not None and high is not None
    assert low <= high


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(scored_items(), answers), min_size=1, max_size=8), st.integers(1, 3))
def test_checklist_totals_equal_sum_of_areas(pairs: list[tuple[Item, Answer]], n_areas: int) -> None:
    valid = []
    for it, answer in pairs:
        try:
            score_item(it, answer)
        except AnswerError:
            answer = Answer()
        valid.append((it, answer))
    # Spread the items over up to n_areas areas of one criterion each.
    areas = []
    answer_by_code = {}
    for a in range(n_areas):
        chunk = valid[a::n_areas]
        if not chunk:
            continue
        code = str(len(areas) + 1)
        items = []
        for n, (it, answer) in enumerate(chunk, start=1):
            items.append(msgspec.structs.replace(it, code=f"{code}.1.{n}"))
            answer_by_code[f"{code}.1.{n}"] = answer
        total = sum(it.max_points for it in items)
        areas.append(
            Area(
                code=code,
                title="A",
                max_points=total,
                criteria=[Criterion(code=f"{code}.1", title="C", items=items)],
            )
        )
    checklist = Checklist(id="thu", title="T", version="1", unit_kinds=["xa"], legal_basis=[], areas=areas)
    result = score_checklist(checklist, answer_by_code)
    assert result.points == round(sum(area.points for area in result.areas), 2)
    assert result.max_points == round(sum(area.max_points for area in result.areas), 2)
    for area in result.areas:
        assert area.points == round(sum(c.points for c in area.criteria), 2)
        assert 0 <= area.points <= area.max_points + 1e-9
    assert 0 <= result.points <= result.max_points + 1e-9
    assert result.total == len(valid)
    if result.percent is not None:
        assert 0 <= result.percent <= 100


# ---------------------------------------------------------------------------------------------- value limits

def test_counted_answers_are_whole_numbers_up_to_the_items_limit() -> None:
    from inspect_app.checklists.model import DEFAULT_MAX_VALUE, Item

    count = Item(code="1.1.1", text="Số cuộc đối thoại", type="count", max_points=1, count_label="số cuộc đối thoại",
                 bands=[Band(from_=0, to=1, points=0), Band(from_=1, points=1)])
    assert validate_answer(count, Answer(number=DEFAULT_MAX_VALUE)) is None
    assert "vượt quá giới hạn 1.000.000" in validate_answer(count, Answer(number=DEFAULT_MAX_VALUE + 1))
    assert "vượt quá giới hạn" in validate_answer(count, Answer(number=1e308))
    own = msgspec.structs.replace(count, max_value=20)
    assert validate_answer(own, Answer(number=20)) is None
    assert "vượt quá giới hạn 20" in validate_answer(own, Answer(number=21))
    ratio = Item(code="1.1.2", text="Tỷ lệ", type="ratio", max_points=1, mode="linear")
    assert "số nguyên" in validate_answer(ratio, Answer(numerator=1.5, denominator=3))
    assert "vượt quá giới hạn" in validate_answer(ratio, Answer(numerator=2**64, denominator=2**65))
    assert validate_answer(ratio, Answer(numerator=999_999, denominator=1_000_000)) is None
