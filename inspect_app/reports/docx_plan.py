"""The plan's consolidated report and the periodic report as Word documents (NĐ 30 Mẫu 1.4, a BC)."""

from __future__ import annotations

import io
from collections.abc import Callable

from inspect_app.reports import nd30, rules, tables
from inspect_app.reports.groups import Group
from inspect_app.reports.nd30 import para
from inspect_app.reports.periodic_data import PeriodicReport
from inspect_app.reports.plan_data import PlanReport
from inspect_app.reports.wording import doc_number
from inspect_app.text import official_date, short_date, vn_number

Step = Callable[[str], None]


def _table(doc, head: list[str], rows: list, widths: list[float], aligns: list[str] | None = None) -> None:
    total = nd30.text_width(doc) - 0.1
    scale = total / sum(widths)
    nd30.data_table(doc, head, [w * scale for w in widths], [tables.text(r) for r in rows], aligns=aligns)


def _opening(doc, issuer: str, province: str | None, today, summary: str) -> None:
    nd30.header_block(doc, parent=rules.upper_vn(issuer), body="SỞ NỘI VỤ", number=doc_number("BC-SNV"),
                      place_date=official_date(today, rules.place_name(province)))
    nd30.title_block(doc, "BÁO CÁO", summary)


def _group_sections(doc, group: Group, threshold: float, number: str, *, matrix: bool = True) -> None:
    para(doc, f"{number}. Kết quả theo bộ tiêu chí “{group.title}”", bold=True)
    para(doc, f"Số đơn vị đã ký duyệt kết quả: {len(group.rows)}. Tỷ lệ điểm bình quân: "
              f"{vn_number(group.total.mean)}% (độ lệch chuẩn {vn_number(group.total.stdev)}; thấp nhất "
              f"{vn_number(group.total.minimum)}%, cao nhất {vn_number(group.total.maximum)}%).")
    if own_maximum := group.own_maximum_line():
        para(doc, own_maximum)
    para(doc, "a) Kết quả theo lĩnh vực", italic=True)
    _table(doc, tables.AREA_HEAD, tables.area_rows(group), [0.8, 6.0, 1.3, 1.6, 1.7, 1.7, 1.6, 1.6],
           ["center", "left", "right", "right", "right", "right", "right", "right"])
    if matrix:
        nd30.landscape_section(doc)
        para(doc, "b) Kết quả, xếp hạng từng đơn vị", italic=True)
        head = tables.matrix_head(group)
        widths = [1.1, 5.0, *[1.55] * len(group.areas), 1.8, 1.6, 2.2]
        _table(doc, head, tables.matrix_rows(group), widths,
               ["center", "left", *["right"] * (len(group.areas) + 2), "left"])
        nd30.portrait_section(doc)
    para(doc, f"c) Đơn vị có tỷ lệ điểm dưới {vn_number(threshold)}%", italic=True)
    if group.below:
        _table(doc, tables.BELOW_HEAD, tables.below_rows(group), [6.5, 2.3, 2.3, 2.5, 2.3],
               ["left", "right", "right", "left", "right"])
    else:
        para(doc, "Không có đơn vị nào.")
    para(doc, "d) Tồn tại, hạn chế phổ biến (tiêu chí thành phần nhiều đơn vị chưa đạt điểm tối đa)", italic=True)
    if group.common:
        _table(doc, tables.COMMON_HEAD, tables.common_rows(group), [1.4, 10.0, 2.6, 2.0],
               ["center", "left", "right", "right"])
    else:
        para(doc, "Không có.")


def _remediation(doc, summary: rules.RemediationSummary) -> None:
    f = summary.figures
    para(doc, f"Tổng số yêu cầu khắc phục: {f.total}; hoàn thành đúng hạn: {f.closed_on_time}; hoàn thành quá hạn: "
              f"{f.closed_late}; quá hạn chưa hoàn thành: {f.overdue}; đang trong hạn: {f.pending}.")
    if summary.by_unit:
        _table(doc, tables.REMEDIATION_HEAD, tables.remediation_rows(summary), [5.4, 1.7, 2.2, 2.2, 2.3, 2.2],
               ["left", "right", "right", "right", "right", "right"])


def _closing(doc, recipients: list[str]) -> None:
    nd30.signatures(doc, [(["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"], "")], left_note=recipients)


def plan_docx(report: PlanReport, step: Step = lambda _: None) -> bytes:
    """Báo cáo kết quả kiểm tra of one plan (outline C of the domain notes)."""
    plan = report.plan
    doc = nd30.new_document(f"Báo cáo kết quả kiểm tra – Kế hoạch {plan.number}")
    _opening(doc, plan.issuer, plan.province_name, report.today,
             f"Kết quả kiểm tra công tác cải cách hành chính theo Kế hoạch số {plan.number}")
    para(doc, f"Thực hiện Kế hoạch số {plan.number} ngày {short_date(plan.issued_on)} của {plan.issuer} về "
              f"{plan.title[:1].lower() + plan.title[1:]}, Sở Nội vụ báo cáo kết quả kiểm tra như sau:")
    para(doc, "I. PHẠM VI VÀ TIẾN ĐỘ KIỂM TRA", bold=True, indent=False)
    p = report.progress
    para(doc, f"Thời gian kiểm tra: từ ngày {short_date(plan.period_start)} đến ngày {short_date(plan.period_end)}. "
              f"Số cuộc kiểm tra theo kế hoạch: {p.planned}; đã kiểm tra: {p.done}; đã ký duyệt biên bản: "
              f"{p.signed_off}; đang kiểm tra: {p.in_progress}. Phương pháp: chấm điểm theo bộ tiêu chí, đối chiếu "
              "hồ sơ, tài liệu kiểm chứng tại đơn vị. Số liệu dưới đây chỉ tính các cuộc kiểm tra đã ký duyệt.")
    _table(doc, tables.PROGRESS_HEAD, [tables.progress_row(p)], [4.0, 3.0, 3.0, 3.0, 3.0], ["center"] * 5)
    para(doc, "II. KẾT QUẢ KIỂM TRA", bold=True, indent=False)
    step("Đang ghi bảng kết quả")
    for index, group in enumerate(report.groups, start=1):
        _group_sections(doc, group, report.threshold, str(index))
        rows = tables.earlier_rows(group)
        if rows:
            para(doc, "đ) So sánh với lần kiểm tra trước", italic=True)
            _table(doc, tables.EARLIER_HEAD, rows, [5.0, 2.6, 2.4, 2.0, 2.0, 2.2],
                   ["left", "center", "center", "right", "right", "right"])
    if not report.groups:
        para(doc, "Chưa có cuộc kiểm tra nào được ký duyệt.")
    if report.appraisals:
        para(doc, "Kết quả tự đánh giá của đơn vị và kết quả thẩm định", italic=True)
        _table(doc, tables.APPRAISAL_HEAD, tables.appraisal_rows(report.appraisals), [6.0, 2.4, 2.4, 2.4, 3.0],
               ["left", "right", "right", "right", "right"])
        if report.over_claimed:
            _table(doc, tables.OVER_CLAIMED_HEAD, report.over_claimed, [4.0, 8.0], ["center", "right"])
    para(doc, "III. KẾT QUẢ KHẮC PHỤC SAU KIỂM TRA", bold=True, indent=False)
    _remediation(doc, report.remediation)
    para(doc, "IV. KIẾN NGHỊ, ĐỀ XUẤT", bold=True, indent=False)
    para(doc, "Đề nghị các đơn vị có tồn tại, hạn chế khẩn trương khắc phục và báo cáo kết quả về Sở Nội vụ đúng "
              "thời hạn; các đơn vị có tỷ lệ điểm dưới ngưỡng xây dựng kế hoạch khắc phục cụ thể. Sở Nội vụ tiếp tục "
              "theo dõi, đôn đốc và tổng hợp báo cáo.")
    _closing(doc, [f"- {plan.issuer} (để báo cáo);", "- Các đơn vị được kiểm tra;", "- Lưu: VT, CCHC."])
    step("Đang lưu tệp")
    return _save(doc)


def periodic_docx(report: PeriodicReport, issuer: str, province: str | None, step: Step = lambda _: None) -> bytes:
    """Báo cáo công tác kiểm tra cải cách hành chính of a quarter or a year."""
    doc = nd30.new_document(f"Báo cáo kết quả kiểm tra cải cách hành chính {report.label}")
    _opening(doc, issuer, province, report.today, f"Kết quả kiểm tra công tác cải cách hành chính {report.label}")
    para(doc, f"Sở Nội vụ báo cáo kết quả kiểm tra công tác cải cách hành chính {report.label} (từ ngày "
              f"{short_date(report.start)} đến ngày {short_date(report.end)}) như sau:")
    para(doc, "I. CÁC KẾ HOẠCH VÀ TIẾN ĐỘ KIỂM TRA", bold=True, indent=False)
    _table(doc, ["Kế hoạch", "Trích yếu", "Theo kế hoạch", "Đã kiểm tra", "Đã ký duyệt"],
           [[pl.plan.number, pl.plan.title, pl.progress.planned, pl.progress.done, pl.progress.signed_off]
            for pl in report.plans], [2.6, 8.0, 1.8, 1.8, 1.8], ["left", "left", "right", "right", "right"])
    p = report.progress
    para(doc, f"Trong kỳ: {p.planned} cuộc kiểm tra theo lịch, đã kiểm tra {p.done}, đã ký duyệt {p.signed_off}; "
              f"{report.units_inspected} đơn vị có kết quả chính thức.")
    para(doc, "II. KẾT QUẢ CHẤM ĐIỂM", bold=True, indent=False)
    ratings = "; ".join(f"{label}: {n}" for label, n in sorted(report.ratings.items())) or "chưa có"
    para(doc, f"Xếp loại: {ratings}.")
    step("Đang ghi bảng kết quả")
    for index, group in enumerate(report.groups, start=1):
        _group_sections(doc, group, report.threshold, str(index))
    para(doc, "III. TỒN TẠI, HẠN CHẾ LẶP LẠI", bold=True, indent=False)
    para(doc, "Tiêu chí thành phần mà đơn vị chưa đạt trong kỳ này và cũng chưa đạt ở lần kiểm tra trước:")
    if report.recurring:
        _table(doc, tables.RECURRING_HEAD, tables.recurring_rows(report.recurring), [3.6, 1.3, 6.6, 2.4, 2.4],
               ["left", "center", "left", "left", "left"])
    else:
        para(doc, "Không có.")
    para(doc, "IV. KẾT QUẢ KHẮC PHỤC", bold=True, indent=False)
    _remediation(doc, report.remediation)
    _closing(doc, [f"- {issuer} (để báo cáo);", "- Lưu: VT, CCHC."])
    step("Đang lưu tệp")
    return _save(doc)


def _save(doc) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()

