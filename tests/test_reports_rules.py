"""The report rules as plain functions: ranking ties, spread, failed items, deadlines in Vietnam's
time zone, remediation figures, recurring shortcomings, wording, charts and search folding."""

from __future__ import annotations

import unicodedata
import xml.etree.ElementTree as ET
from datetime import date

import msgspec
import pytest

from inspect_app.checklists import ItemScore
from inspect_app.reports import rules, svg
from inspect_app.reports.dashboard import matches
from inspect_app.reports.groups import VisitScore
from inspect_app.reports.jobs import safe_filename
from inspect_app.reports.periodic_data import recurring_shortcomings
from inspect_app.text import fold


def test_rank_shares_places_at_two_decimals_and_skips_unscored():
    assert rules.rank([90.0, 85.0, 85.004, 80.0, None]) == [1, 2, 2, 4, None]
    assert rules.rank([]) == []
    assert rules.rank([None, 50.0]) == [None, 1]


def test_spread_is_population_deviation_with_range():
    s = rules.spread([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0, None])
    assert (s.count, s.mean, s.stdev, s.minimum, s.maximum) == (8, 5.0, 2.0, 2.0, 9.0)
    assert rules.spread([None]) == rules.Spread(0, None, None, None, None)


@pytest.mark.parametrize("score, failed", [
    (ItemScore("1.1.1", 0.5, 1.0, answered=True), True),
    (ItemScore("1.1.1", 1.0, 1.0, answered=True), False),
    (ItemScore("1.1.1", None, 0.0, na=True, answered=True), False),  # N/A is never a shortcoming
    (ItemScore("1.1.1", None, 1.0), False),                          # unanswered
    (ItemScore("1.1.1", None, 0.0, answered=True), False),           # text and date items carry no points
])
def test_failed_means_answered_applicable_and_below_maximum(score, failed):
    assert rules.is_failed(score) is failed


def test_closing_day_is_the_vietnamese_calendar_day():
    # 17:30 UTC on the deadline is 00:30 the next day in Hà Nội: late.
    assert rules.classify("accepted", "2026-11-23", "2026-11-23T17:30:00Z", date(2026, 12, 1)) == "closed_late"
    assert rules.classify("accepted", "2026-11-23", "2026-11-23T16:59:00Z", date(2026, 12, 1)) == "closed_on_time"
    assert rules.classify("accepted", "2026-11-23", None, date(2026, 12, 1)) == "closed_on_time"


def test_overdue_when_today_in_vietnam_is_after_the_deadline_and_not_accepted():
    for status in ("open", "answered", "returned"):
        assert rules.classify(status, "2026-11-23", None, date(2026, 11, 23)) == "pending"
        assert rules.classify(status, "2026-11-23", None, date(2026, 11, 24)) == "overdue"
    from datetime import UTC, datetime

    # 18:00 UTC on the 23rd is already the 24th in Vietnam.
    assert rules.today_in_vietnam(datetime(2026, 11, 23, 18, 0, tzinfo=UTC)) == date(2026, 11, 24)


class Item(msgspec.Struct):
    unit_code: str
    unit_name: str
    status: str
    deadline: str
    closed_at: str | None


def test_remediation_figures_total_and_by_unit():
    rows = [Item("1", "Xã Tân An", "accepted", "2026-10-01", "2026-09-30T03:00:00Z"),
            Item("1", "Xã Tân An", "accepted", "2026-10-01", "2026-10-05T03:00:00Z"),
            Item("1", "Xã Tân An", "open", "2026-10-01", None),
            Item("2", "Phường Đồ Sơn", "returned", "2026-12-31", None)]
    summary = rules.remediation_figures(rows, date(2026, 11, 23))
    assert msgspec.to_builtins(summary.figures) == {"total": 4, "closed_on_time": 1, "closed_late": 1, "overdue": 1,
                                                   "pending": 1}
    assert [u.unit_name for u in summary.by_unit] == ["Phường Đồ Sơn", "Xã Tân An"]
    assert summary.by_unit[1].figures.total == 3


def test_periods_and_place_names():
    assert rules.period_bounds(2026, 1) == ("2026-01-01", "2026-03-31", "quý I năm 2026")
    assert rules.period_bounds(2026, 4) == ("2026-10-01", "2026-12-31", "quý IV năm 2026")
    assert rules.period_bounds(2024, None) == ("2024-01-01", "2024-12-31", "năm 2024")
    assert rules.place_name("Thành phố Hải Phòng") == "Hải Phòng"
    assert rules.place_name("Tỉnh Đắk Lắk") == "Đắk Lắk"
    assert rules.upper_vn("Ủy ban nhân dân thành phố Hải Phòng") == "UBND THÀNH PHỐ HẢI PHÒNG"


class Visit(msgspec.Struct, frozen=True):
    id: int
    unit_code: str
    unit_name: str
    checklist_id: str
    plan_number: str
    scheduled_on: str


def _score(failed: list[str]) -> VisitScore:
    """A visit's score as the engine gives it, for three 1-point items."""
    from inspect_app.checklists import AreaScore, ChecklistScore

    codes = ["1.1.1", "1.1.2", "2.1.1"]
    items = {c: ItemScore(c, 0.0 if c in failed else 1.0, 1.0, answered=True) for c in codes}
    points = sum(i.points for i in items.values())
    return VisitScore.of(ChecklistScore(points, 3.0, points / 3 * 100, None, 3, 3,
                                        [AreaScore("1", points, 3.0, 3, 3, [])], items))


def test_recurring_shortcoming_is_the_same_item_failed_by_the_same_unit_before():
    history = [Visit(1, "A", "Xã Tân An", "cchc-xa", "12/KH-UBND", "2025-04-15"),
               Visit(2, "A", "Xã Tân An", "cchc-xa", "88/KH-UBND", "2026-11-20"),
               Visit(3, "B", "Phường Đồ Sơn", "cchc-xa", "88/KH-UBND", "2026-11-20")]
    scores = {1: _score(["1.1.1", "2.1.1"]), 2: _score(["1.1.1", "1.1.2"]), 3: _score(["1.1.1"])}
    found = recurring_shortcomings(history, scores, "2026-10-01", "2026-12-31", {("cchc-xa", "1.1.1"): "Kế hoạch"})
    assert [(r.unit_name, r.item_code, r.earlier_plan, r.current_plan) for r in found] == [
        ("Xã Tân An", "1.1.1", "12/KH-UBND", "88/KH-UBND")]
    assert found[0].item_text == "Kế hoạch"


def test_search_folding_treats_nfc_nfd_case_and_diacritics_alike():
    name = "Xã Tân An"
    for query in ("tan an", "TÂN AN", unicodedata.normalize("NFD", "Tân An"), "tân  an"):
        assert matches(fold(query).split(), name), query
    assert not matches(fold("tan hung").split(), name)
    assert not matches(fold("tan an").split(), "Phường Tân Hưng")  # "an" must start a word
    assert matches(fold("đo son").split(), "Phường Đồ Sơn")


def test_charts_are_well_formed_svg_with_text_alternatives():
    charts = [
        svg.bar_chart([("Xã Tân An", 74.85), ("Phường <Đồ Sơn>", None)], title="Điểm", threshold=65),
        svg.range_chart([("LV1", 70.0, 50.0, 90.0), ("LV2", None, None, None)], title="Lĩnh vực"),
        svg.count_chart([("1.3.1", 4, "Báo cáo & hồ sơ")], title="Tồn tại", total=4),
        svg.progress_bar(3, 2, 6),
    ]
    for chart in charts:
        root = ET.fromstring(str(chart))
        assert root.tag.endswith("svg") and root.get("role") == "img" and root.get("aria-label")
        assert "style=" not in str(chart)  # the CSP forbids inline styles
    assert "&lt;Đồ Sơn&gt;" in str(charts[0])


def test_safe_filename_is_ascii():
    assert safe_filename("Báo cáo 33/KH-UBND Đồ Sơn.docx") == "Bao-cao-33-KH-UBND-Do-Son.docx"


def test_dates_and_camera_times_read_the_vietnamese_way():
    from inspect_app.checklists import Answer, Item
    from inspect_app.services.answers import answer_label, date_label

    assert date_label("2026-01-20") == "20/01/2026"
    assert date_label("không rõ") == "không rõ" and date_label(None) == ""
    item = msgspec.convert({"code": "1.1.1", "text": "Ngày ban hành", "type": "date", "max_points": 0}, Item)
    assert answer_label(Answer(text="2026-01-20"), item) == "20/01/2026"
    assert rules.device_time("2026-11-20T09:15:00") == "09 giờ 15 phút, ngày 20/11/2026"  # the camera's clock
    assert rules.device_time("2026-11-20T09:15:00+09:00") == "07 giờ 15 phút, ngày 20/11/2026"
    assert rules.device_time("2026:11:20") == "2026:11:20" and rules.device_time(None) == ""


def _value_labels(chart) -> tuple[float, list[tuple[float, str]]]:
    """The threshold line's x and the (x, text) of each start-anchored label beside a bar."""
    root = ET.fromstring(str(chart))
    ns = "{http://www.w3.org/2000/svg}"
    line = next(el for el in root.iter(ns + "line") if el.get("stroke-dasharray"))
    bottom = max(float(el.get("y2")) for el in root.iter(ns + "line"))
    labels = [(float(el.get("x")), el.text) for el in root.iter(ns + "text")
              if el.get("text-anchor") is None and float(el.get("y")) < bottom]
    return float(line.get("x1")), labels


@pytest.mark.parametrize("threshold", [2.0, 50.0, 65.0, 80.0, 99.5])
def test_the_threshold_line_never_crosses_a_value_label(threshold):
    """Issue 15: on the dashboard the dashed threshold line ran through "62%" beside a bar just under it."""
    values = [("Xã", v / 4) for v in range(0, 401)] + [("Phường chưa chấm", None)]
    line_x, labels = _value_labels(svg.bar_chart(values, title="Điểm", threshold=threshold))
    assert len(labels) == len(values)
    for x, text in labels:
        width = len(text) * 13 * 0.7  # 13 px text: no character of these fonts is wider on average
        assert x + width + 1 < line_x or x - 1 > line_x, (threshold, text, x, line_x)
        assert x + width <= 760, text  # still inside the chart


def test_the_common_shortcomings_chart_names_each_criterion():
    """Issue 15: the chart showed bare codes ("1.6.1"); now the criterion, shortened to fit, with the full
    text as the row's tooltip and in the chart's description for screen readers."""
    text = "Niêm yết công khai, đầy đủ thủ tục hành chính tại Bộ phận Một cửa và trên Cổng dịch vụ công của tỉnh"
    chart = str(svg.count_chart([("1.6.1", 4, text), ("2.3.3", 2, "Báo cáo & hồ sơ")], title="Tồn tại", total=4))
    root = ET.fromstring(chart)
    ns = "{http://www.w3.org/2000/svg}"
    labels = [el.text for el in root.iter(ns + "text") if el.get("text-anchor") == "end"]
    assert labels[0].startswith("1.6.1 Niêm yết công khai, đầy đủ thủ tục") and labels[0].endswith("…")
    assert labels[1] == "2.3.3 Báo cáo & hồ sơ"
    assert len(labels[0]) * 13 * 0.58 <= 360 - 8  # fits left of the bars
    assert [g.find(ns + "title").text for g in root.iter(ns + "g")] == [
        f"1.6.1 {text}: 4/4 đơn vị", "2.3.3 Báo cáo & hồ sơ: 2/4 đơn vị"]
    assert root.find(ns + "desc").text == f"1.6.1 {text}: 4/4 đơn vị; 2.3.3 Báo cáo & hồ sơ: 2/4 đơn vị"
