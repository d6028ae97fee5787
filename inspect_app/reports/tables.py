"""The report tables as rows of plain values, written once for DOCX, XLSX and HTML alike.

Numbers stay numbers here (XLSX keeps them as values); `text()` formats a row for a document with
the Vietnamese decimal comma.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from inspect_app.models import UNIT_KIND_LABELS, VISIT_STATUS_LABELS
from inspect_app.reports.groups import Group
from inspect_app.reports.rules import RemediationSummary
from inspect_app.text import short_date, vn_number

Row = list[Any]


def text(row: Sequence[Any]) -> list[str]:
    return ["–" if v is None else vn_number(v) if isinstance(v, float) else str(v) for v in row]


def matrix_head(group: Group) -> list[str]:
    return ["Hạng", "Đơn vị", *[f"LV{a.code} ({vn_number(a.max_points)})" for a in group.areas],
            "Tổng điểm", "Tỷ lệ (%)", "Xếp loại"]


def matrix_rows(group: Group) -> list[Row]:
    return [[r.rank, r.unit_name, *r.area_points, r.points, r.percent, r.rating or ""] for r in group.rows]


def matrix_detail_head(group: Group) -> list[str]:
    """The spreadsheet's wider matrix: codes, kind, province and the earlier result too."""
    return ["Hạng", "Mã đơn vị", "Đơn vị", "Loại", "Tỉnh, thành phố", "Ngày kiểm tra",
            *[f"LV{a.code} ({vn_number(a.max_points)})" for a in group.areas], "Tổng điểm", "Điểm tối đa",
            "Tỷ lệ (%)", "Xếp loại", "Số tồn tại", "Kỳ trước: kế hoạch", "Kỳ trước (%)", "Thay đổi (điểm %)"]


def matrix_detail_rows(group: Group) -> list[Row]:
    return [[r.rank, r.unit_code, r.unit_name, UNIT_KIND_LABELS.get(r.unit_kind, r.unit_kind), r.province_name,
             short_date(r.scheduled_on), *r.area_points, r.points, r.max_points, r.percent, r.rating or "",
             len(r.failed), r.earlier.plan_number if r.earlier else "", r.earlier.percent if r.earlier else None,
             r.earlier.delta if r.earlier else None] for r in group.rows]


AREA_HEAD = ["LV", "Lĩnh vực", "Tối đa", "Trung bình", "Trung bình (%)", "Độ lệch chuẩn (%)", "Thấp nhất (%)",
             "Cao nhất (%)"]


def area_rows(group: Group) -> list[Row]:
    return [[s.code, s.title, s.max_points, s.points.mean, s.percent.mean, s.percent.stdev, s.percent.minimum,
             s.percent.maximum] for s in group.area_stats]


COMMON_HEAD = ["Mã", "Tiêu chí thành phần", "Số đơn vị chưa đạt", "Tỷ lệ (%)"]


def common_rows(group: Group) -> list[Row]:
    return [[c.code, c.text, c.count, c.share] for c in group.common]


BELOW_HEAD = ["Đơn vị", "Tổng điểm", "Tỷ lệ (%)", "Xếp loại", "Số tồn tại"]


def below_rows(group: Group) -> list[Row]:
    return [[r.unit_name, r.points, r.percent, r.rating or "", len(r.failed)] for r in group.below]


EARLIER_HEAD = ["Đơn vị", "Kế hoạch kỳ trước", "Ngày kiểm tra kỳ trước", "Kỳ trước (%)", "Kỳ này (%)",
                "Thay đổi (điểm %)"]


def earlier_rows(group: Group) -> list[Row]:
    return [[r.unit_name, r.earlier.plan_number, short_date(r.earlier.scheduled_on), r.earlier.percent, r.percent,
             r.earlier.delta] for r in group.rows if r.earlier]


REMEDIATION_HEAD = ["Đơn vị", "Tổng số", "Hoàn thành đúng hạn", "Hoàn thành quá hạn", "Quá hạn chưa hoàn thành",
                    "Đang trong hạn"]


def remediation_rows(summary: RemediationSummary) -> list[Row]:
    rows = [[u.unit_name, u.figures.total, u.figures.closed_on_time, u.figures.closed_late, u.figures.overdue,
             u.figures.pending] for u in summary.by_unit]
    f = summary.figures
    return [*rows, ["Tổng cộng", f.total, f.closed_on_time, f.closed_late, f.overdue, f.pending]]


PROGRESS_HEAD = ["Số cuộc kiểm tra theo kế hoạch", "Đang kiểm tra", "Đã kiểm tra", "Đã ký duyệt", "Chưa thực hiện"]


def progress_row(progress) -> Row:
    return [progress.planned, progress.in_progress, progress.done, progress.signed_off,
            progress.by_status.get("planned", 0)]


VISITS_HEAD = ["Đơn vị", "Ngày kiểm tra", "Trạng thái"]


def unscored_rows(visits: list) -> list[Row]:
    return [[v.unit_name, short_date(v.scheduled_on), VISIT_STATUS_LABELS.get(v.status, v.status)]
            for v in visits if v.status not in ("signed_off", "amended")]


RECURRING_HEAD = ["Đơn vị", "Mã", "Tiêu chí thành phần", "Lần trước", "Lần này"]


def recurring_rows(recurring: list) -> list[Row]:
    return [[r.unit_name, r.item_code, r.item_text, f"{r.earlier_plan}, {short_date(r.earlier_date)}",
             f"{r.current_plan}, {short_date(r.current_date)}"] for r in recurring]


APPRAISAL_HEAD = ["Đơn vị", "Tự đánh giá", "Thẩm định", "Chênh lệch", "Số tiêu chí tự chấm cao hơn"]


def appraisal_rows(appraisals: list) -> list[Row]:
    """(unit name, Appraisal) pairs → rows; the difference is appraised minus self-assessed."""
    return [[name, a.self_points, a.appraised_points, a.difference, len(a.over_claimed)] for name, a in appraisals]


APPRAISAL_AREA_HEAD = ["Lĩnh vực", "Tối đa", "Tự đánh giá", "Thẩm định", "Chênh lệch"]


def appraisal_area_rows(appraisal) -> list[Row]:
    return [[f"{a.code}. {a.title}", a.max_points, a.self_points, a.appraised_points, a.difference]
            for a in appraisal.areas]


OVER_CLAIMED_HEAD = ["Mã tiêu chí", "Số đơn vị tự chấm cao hơn kết quả thẩm định"]
