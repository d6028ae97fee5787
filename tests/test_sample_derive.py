"""The dossier sample's pure rules: cells, rows, row tests and derived answers (checklists/sample.py,
checklists/derive.py), against the shared table tests/data/derive_cases.json."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from inspect_app.checklists import Answer, Checklist, score_checklist
from inspect_app.checklists.derive import derive_answers, derived_answer
from inspect_app.checklists.model import Column, FromSample, Item, RowTest
from inspect_app.checklists.sample import rows_problem, too_few_rows

CASES = json.loads((Path(__file__).parent / "data" / "derive_cases.json").read_text(encoding="utf-8"))
COLUMNS = msgspec.convert(CASES["columns"], list[Column])
SAMPLE = Item(code="1.1.1", text="Mẫu hồ sơ", type="sample", columns=COLUMNS, max_rows=5)
ON_TIME = FromSample(item="1.1.1", numerator=[RowTest(column="ngay_tra", le_column="ngay_hen_tra")],
                     denominator=[RowTest(column="ngay_tra", filled=True)])


def derived_item(kind: str, rule: FromSample) -> Item:
    bands = [{"from": 0, "to": 50, "points": 0}, {"from": 50, "points": 1}] if kind == "count" else []
    return msgspec.convert({"code": "1.1.2", "text": "Tính từ mẫu", "type": kind, "max_points": 1,
                            "mode": "linear" if kind == "ratio" else "step", "bands": bands,
                            "from_sample": msgspec.to_builtins(rule)}, Item)


@pytest.mark.parametrize("case", CASES["cases"], ids=lambda c: c["name"])
def test_derive_case(case):
    item = derived_item(case["type"], msgspec.convert(case["from_sample"], FromSample))
    answer = derived_answer(item, case["rows"])
    got = answer.number if case["type"] == "count" else [answer.numerator, answer.denominator]
    assert got == case["expect"]


def test_rows_refused_with_the_row_and_column_named():
    good = {"ma_ho_so": "H1", "ngay_hen_tra": "2026-11-03"}
    assert rows_problem(SAMPLE, [good]) is None
    assert "cột «so_ho_so»" in rows_problem(SAMPLE, [good, {**good, "so_ho_so": "x"}])
    assert rows_problem(SAMPLE, [{**good, "ngay_tra": "2026-02-31"}]) == (
        "Dòng 1, cột «Ngày trả kết quả»: ngày «2026-02-31» không tồn tại trong lịch.")
    assert "không đúng dạng" in rows_problem(SAMPLE, [{**good, "ngay_tra": "3/11/2026"}])
    assert rows_problem(SAMPLE, [{"ma_ho_so": "H1"}]) == "Dòng 1: chưa nhập «Ngày hẹn trả» (cột bắt buộc)."
    assert "vượt quá 5 dòng" in rows_problem(SAMPLE, [good] * 6)
    assert "có (true) hoặc không (false)" in rows_problem(SAMPLE, [{**good, "truc_tuyen": "có"}])
    assert "phải là một số" in rows_problem(SAMPLE, [{**good, "so_trang": True}])
    assert "không phải một lựa chọn" in rows_problem(SAMPLE, [{**good, "linh_vuc": "xay_dung"}])


def test_a_sample_short_of_min_rows_is_not_finished():
    item = msgspec.structs.replace(SAMPLE, min_rows=2)
    row = {"ma_ho_so": "H1", "ngay_hen_tra": "2026-11-03"}
    assert too_few_rows(item, Answer(rows=[row]))
    assert not too_few_rows(item, Answer(rows=[row, row]))
    assert not too_few_rows(item, Answer(na=True))


def checklist_of(*items: Item) -> Checklist:
    return msgspec.convert({"id": "thu", "title": "Thử", "version": "1", "unit_kinds": ["xa"], "legal_basis": [],
                            "areas": [{"code": "1", "title": "Thử", "max_points": 1, "criteria": [
                                {"code": "1.1", "title": "Thử", "items": [msgspec.to_builtins(i) for i in items]}]}]},
                           Checklist)


def test_derive_answers_replaces_what_was_typed_and_follows_the_sample():
    checklist = checklist_of(SAMPLE, derived_item("ratio", ON_TIME))
    typed = Answer(numerator=5, denominator=5)
    assert derive_answers(checklist, {"1.1.2": typed}) == {}  # no sample yet: unanswered
    assert derive_answers(checklist, {"1.1.1": Answer(na=True)})["1.1.2"] == Answer(numerator=0, denominator=0)
    rows = [{"ma_ho_so": "H1", "ngay_hen_tra": "2026-11-03", "ngay_tra": "2026-11-04"},
            {"ma_ho_so": "H2", "ngay_hen_tra": "2026-11-03", "ngay_tra": "2026-11-01"}]
    got = derive_answers(checklist, {"1.1.1": Answer(rows=rows), "1.1.2": typed})
    assert got["1.1.2"] == Answer(numerator=1, denominator=2)
    score = score_checklist(checklist, {"1.1.1": Answer(rows=rows)})
    assert score.items["1.1.2"].points == 0.5 and score.answered == 2


DATES = st.dates().map(lambda d: d.isoformat())
ROWS = st.lists(st.fixed_dictionaries({"ma_ho_so": st.just("H"), "ngay_hen_tra": DATES},
                                      optional={"ngay_tra": DATES, "ngay_tiep_nhan": DATES,
                                                "phieu_xin_loi": st.booleans(), "truc_tuyen": st.booleans()}),
                max_size=30)
TESTS = st.lists(st.one_of(
    st.builds(RowTest, column=st.sampled_from(["ngay_tra", "ngay_tiep_nhan"]), filled=st.booleans()),
    st.builds(RowTest, column=st.sampled_from(["phieu_xin_loi", "truc_tuyen"]), yes=st.booleans()),
    st.builds(RowTest, column=st.sampled_from(["ngay_tra", "ngay_tiep_nhan"]), le_column=st.just("ngay_hen_tra")),
    st.builds(RowTest, column=st.sampled_from(["ngay_tra", "ngay_tiep_nhan"]), gt_column=st.just("ngay_hen_tra")),
), max_size=3)


@given(rows=ROWS, numerator=TESTS, denominator=TESTS)
def test_a_derived_ratio_never_exceeds_its_denominator(rows, numerator, denominator):
    item = derived_item("ratio", FromSample(item="1.1.1", numerator=numerator, denominator=denominator))
    answer = derived_answer(item, rows)
    assert 0 <= answer.numerator <= answer.denominator <= len(rows)
    assert rows_problem(SAMPLE, rows[:5]) is None


@given(rows=ROWS, tests=TESTS)
def test_a_derived_count_is_at_most_the_rows_and_adding_a_test_never_raises_it(rows, tests):
    fewer = derived_answer(derived_item("count", FromSample(item="1.1.1", count=tests)), rows).number
    more = derived_answer(derived_item("count", FromSample(item="1.1.1", count=tests[:-1])), rows).number
    assert 0 <= fewer <= more <= len(rows)


def test_a_condition_on_a_derived_item_reads_the_sample_rows():
    from inspect_app.checklists.conditions import skipped_codes
    from inspect_app.checklists.model import When

    late = msgspec.convert({"code": "1.1.3", "text": "Xin lỗi khi trễ hạn", "type": "yesno", "max_points": 1,
                            "when": {"item": "1.1.2", "min": 1}}, Item)
    count = derived_item("count", FromSample(item="1.1.1", count=[RowTest(column="ngay_tra", gt_column="ngay_hen_tra")]))
    checklist = checklist_of(SAMPLE, count, late)
    assert late.when == When(item="1.1.2", min=1)
    on_time = [{"ma_ho_so": "H1", "ngay_hen_tra": "2026-11-03", "ngay_tra": "2026-11-03"}]
    overdue = [*on_time, {"ma_ho_so": "H2", "ngay_hen_tra": "2026-11-03", "ngay_tra": "2026-11-04"}]
    assert "1.1.3" in skipped_codes(checklist, {"1.1.1": Answer(rows=on_time)})
    assert "1.1.3" not in skipped_codes(checklist, {"1.1.1": Answer(rows=overdue)})
