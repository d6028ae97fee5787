"""Spreadsheets of the plan and periodic reports: values only (no formulas), a frozen header row and
a filter on every table sheet, numbers kept as numbers so people can sort and sum them."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from inspect_app.reports import tables
from inspect_app.reports.groups import Group
from inspect_app.reports.periodic_data import PeriodicReport
from inspect_app.reports.plan_data import PlanReport
from inspect_app.text import printable, short_date

HEAD_FONT = Font(bold=True)
HEAD_FILL = PatternFill("solid", fgColor="DCE6F1")
WRAP = Alignment(wrap_text=True, vertical="top")
Step = Callable[[str], None]


def _value(value: Any) -> Any:
    # openpyxl refuses control characters; stored text may predate the rule that strips them.
    return "" if value is None else printable(value) if isinstance(value, str) else value


def _sheet(wb: Workbook, title: str, head: Sequence[str], rows: Sequence[Sequence[Any]],
           widths: dict[int, float] | None = None) -> Worksheet:
    """A table sheet: bold frozen header, auto-filter over the data, text cells forced to strings."""
    ws = wb.create_sheet(title[:31])
    ws.append(list(head))
    for cell in ws[1]:
        cell.font, cell.fill, cell.alignment = HEAD_FONT, HEAD_FILL, WRAP
    for row in rows:
        ws.append([_value(v) for v in row])
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            # openpyxl reads a text starting with "=" as a formula: a unit's note must stay text.
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    ws.freeze_panes = "A2"
    if rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(head))}{len(rows) + 1}"
    for index, title_text in enumerate(head, start=1):
        width = (widths or {}).get(index) or min(60, max(10, len(title_text) + 2))
        ws.column_dimensions[get_column_letter(index)].width = width
    return ws


def _summary(wb: Workbook, lines: list[tuple[str, Any]]) -> None:
    ws = wb.active
    ws.title = "Tổng hợp"
    for label, value in lines:
        ws.append([label, _value(value)])
    ws.column_dimensions["A"].width = 42
    ws.column_dimensions["B"].width = 80
    for cell in ws["A"]:
        cell.font = HEAD_FONT


def _groups(wb: Workbook, groups: list[Group], step: Step) -> None:
    for index, group in enumerate(groups, start=1):
        suffix = f" {index}" if len(groups) > 1 else ""
        step(f"Đang ghi bảng kết quả {group.title}")
        _sheet(wb, f"Kết quả{suffix}", tables.matrix_detail_head(group), tables.matrix_detail_rows(group),
               {2: 10, 3: 28, 5: 22})
        _sheet(wb, f"Lĩnh vực{suffix}", tables.AREA_HEAD, tables.area_rows(group), {2: 60})
        _sheet(wb, f"Tồn tại phổ biến{suffix}", tables.COMMON_HEAD, tables.common_rows(group), {2: 80})
        _sheet(wb, f"Dưới ngưỡng{suffix}", tables.BELOW_HEAD, tables.below_rows(group), {1: 30})


def _save(wb: Workbook) -> bytes:
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def plan_xlsx(report: PlanReport, step: Step = lambda _: None) -> bytes:
    plan, p, f = report.plan, report.progress, report.remediation.figures
    wb = Workbook()
    _summary(wb, [
        ("Báo cáo", f"Kết quả kiểm tra công tác cải cách hành chính theo Kế hoạch số {plan.number}"),
        ("Kế hoạch", f"{plan.number} ngày {short_date(plan.issued_on)} của {plan.issuer}"),
        ("Trích yếu", plan.title),
        ("Thời gian", f"{short_date(plan.period_start)} – {short_date(plan.period_end)}"),
        ("Ngày lập báo cáo", short_date(report.today)),
        ("Số cuộc kiểm tra theo kế hoạch", p.planned), ("Đang kiểm tra", p.in_progress), ("Đã kiểm tra", p.done),
        ("Đã ký duyệt", p.signed_off), ("Ngưỡng theo dõi (%)", report.threshold),
        ("Yêu cầu khắc phục: tổng số", f.total), ("Hoàn thành đúng hạn", f.closed_on_time),
        ("Hoàn thành quá hạn", f.closed_late), ("Quá hạn chưa hoàn thành", f.overdue), ("Đang trong hạn", f.pending),
        ("Ghi chú", "Điểm chỉ tính các cuộc kiểm tra đã ký duyệt; giá trị là số, không có công thức."),
    ])
    _groups(wb, report.groups, step)
    earlier = [row for g in report.groups for row in tables.earlier_rows(g)]
    _sheet(wb, "So sánh kỳ trước", tables.EARLIER_HEAD, earlier, {1: 30})
    _sheet(wb, "Tự đánh giá", tables.APPRAISAL_HEAD, tables.appraisal_rows(report.appraisals), {1: 30})
    if report.over_claimed:
        _sheet(wb, "Tự chấm cao hơn", tables.OVER_CLAIMED_HEAD, report.over_claimed, {2: 40})
    _sheet(wb, "Khắc phục", tables.REMEDIATION_HEAD, tables.remediation_rows(report.remediation), {1: 30})
    _sheet(wb, "Chưa ký duyệt", tables.VISITS_HEAD, tables.unscored_rows(report.visits), {1: 30})
    step("Đang lưu tệp")
    return _save(wb)


def periodic_xlsx(report: PeriodicReport, step: Step = lambda _: None) -> bytes:
    p, f = report.progress, report.remediation.figures
    wb = Workbook()
    _summary(wb, [
        ("Báo cáo", f"Kết quả kiểm tra công tác cải cách hành chính {report.label}"),
        ("Từ ngày", short_date(report.start)), ("Đến ngày", short_date(report.end)),
        ("Ngày lập báo cáo", short_date(report.today)),
        ("Số kế hoạch", len(report.plans)), ("Cuộc kiểm tra theo lịch", p.planned), ("Đã kiểm tra", p.done),
        ("Đã ký duyệt", p.signed_off), ("Đơn vị có kết quả", report.units_inspected),
        *[(f"Xếp loại {label}", n) for label, n in sorted(report.ratings.items())],
        ("Tồn tại lặp lại", len(report.recurring)),
        ("Yêu cầu khắc phục: tổng số", f.total), ("Hoàn thành đúng hạn", f.closed_on_time),
        ("Hoàn thành quá hạn", f.closed_late), ("Quá hạn chưa hoàn thành", f.overdue), ("Đang trong hạn", f.pending),
    ])
    _sheet(wb, "Kế hoạch", ["Kế hoạch", "Trích yếu", "Theo kế hoạch", "Đã kiểm tra", "Đã ký duyệt"],
           [[pl.plan.number, pl.plan.title, pl.progress.planned, pl.progress.done, pl.progress.signed_off]
            for pl in report.plans], {2: 70})
    _groups(wb, report.groups, step)
    _sheet(wb, "Tồn tại lặp lại", tables.RECURRING_HEAD, tables.recurring_rows(report.recurring), {1: 28, 3: 70})
    _sheet(wb, "Khắc phục", tables.REMEDIATION_HEAD, tables.remediation_rows(report.remediation), {1: 30})
    step("Đang lưu tệp")
    return _save(wb)


REGISTER_HEAD = ("Số, ký hiệu văn bản", "Ngày tháng văn bản", "Tên loại và trích yếu nội dung", "Người ký",
                 "Nơi nhận văn bản", "Ký số", "Mã SHA-256 của tệp", "Mã văn bản (SoKiemTraDocId)")


def register_rows(entries: Sequence[Any]) -> list[list[Any]]:
    """The register's lines as NĐ 30/2020's sổ đăng ký văn bản đi lists them (Phụ lục IV)."""
    return [[f"{e.number:02d}/{e.symbol}", short_date(e.issued_on), e.summary, e.signer,
             e.recipients.replace("\n", " "), "Có" if e.signed else "Không", e.sha256, e.doc_id] for e in entries]


def register_xlsx(entries: Sequence[Any]) -> bytes:
    """Sổ đăng ký văn bản đi as a spreadsheet (values only)."""
    wb = Workbook()
    wb.remove(wb.active)
    _sheet(wb, "Sổ đăng ký văn bản đi", REGISTER_HEAD, register_rows(entries),
           widths={1: 16, 2: 14, 3: 60, 4: 30, 5: 40, 6: 8, 7: 66, 8: 34})
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
