"""The visit minutes (Biên bản kiểm tra, NĐ 30 Mẫu 1.9) and the conclusion notice (Thông báo kết luận
kiểm tra, Mẫu 1.4) as Word documents."""

from __future__ import annotations

import io

from inspect_app.reports import nd30, rules, tables, wording
from inspect_app.reports.nd30 import CENTER, para
from inspect_app.reports.visit_doc import VisitDoc, notice_signature
from inspect_app.text import short_date, vn_number

FINDING_WIDTHS = (1.0, 1.5, 7.6, 3.2, 1.5, 1.7)


def _points(value: float | None) -> str:
    return "–" if value is None else vn_number(value)


def _draft(doc, vd: VisitDoc) -> None:
    if not vd.signed:
        para(doc, "DỰ THẢO – cuộc kiểm tra chưa được trưởng đoàn ký duyệt", italic=True, align=CENTER, size=13)


def _findings_table(doc, vd: VisitDoc) -> None:
    rows: list = []
    number = 0
    for area in vd.areas:
        rows.append(("§", f"Lĩnh vực {area.code}. {area.title}: {_points(area.points)}/{_points(area.max_points)} điểm"))
        for line in area.lines:
            number += 1
            rows.append([str(number), line.code, line.text, line.answer, _points(line.points),
                         "–" if line.na or line.points is None and not line.max_points else _points(line.max_points)])
    nd30.data_table(doc, ["STT", "Mã", "Tiêu chí thành phần", "Kết quả", "Điểm", "Tối đa"], FINDING_WIDTHS, rows,
                    aligns=["center", "center", "left", "left", "right", "right"])
    para(doc, f"Tổng cộng: {_points(vd.points)}/{_points(vd.max_points)} điểm.", bold=True, align=nd30.RIGHT,
         before=6)


def _numbered(doc, lines: list[str], empty: str, bullet: bool = False) -> None:
    if not lines:
        para(doc, empty, italic=True)
    for index, line in enumerate(lines, start=1):
        para(doc, f"- {line}" if bullet else f"{index}. {line}")


def appendix_head(doc, part: wording.Appendix) -> None:
    """"Phụ lục I" (ordinary case, bold) and the appendix's name (capitals, bold), centred (NĐ 30 Phụ lục I)."""
    doc.add_page_break()
    para(doc, part.label, bold=True, align=CENTER, after=0)
    para(doc, part.title, bold=True, align=CENTER, after=0)


def evidence_appendix(doc, vd: VisitDoc, part: wording.Appendix) -> None:
    appendix_head(doc, part)
    para(doc, f"(Kèm theo Biên bản kiểm tra ngày {short_date(vd.visit_day)} tại {wording.subject(vd)})",
         italic=True, align=CENTER, after=12)
    rows = []
    for ev in vd.evidence:
        info = [ev.caption or ev.name or ("Ảnh chụp" if ev.kind == "photo" else "Tài liệu")]
        if ev.kind != "photo":
            info.append(f"Tệp: {ev.name}")
        if ev.captured_at:
            info.append(f"Chụp lúc: {rules.device_time(ev.captured_at)} (theo thiết bị)")
        info.append(f"Tải lên: {rules.vietnam_time(ev.uploaded_at)}")
        info.append(f"SHA-256: {ev.sha256[:32]}\n{ev.sha256[32:]}")
        rows.append([str(ev.number), "" if ev.thumb else "(không có ảnh thu nhỏ)", ev.item_code, "\n".join(info)])
    table = nd30.data_table(doc, ["STT", "Ảnh", "Tiêu chí", "Thông tin"], (1.0, 4.4, 1.6, 9.5), rows,
                            aligns=["center", "center", "center", "left"])
    for index, ev in enumerate(vd.evidence, start=1):
        if ev.thumb:
            nd30.picture_cell(table, index, 1, ev.thumb, 4.0)


def sample_appendix(doc, vd: VisitDoc, parts: list[wording.Appendix]) -> None:
    """One appendix per dossier sample: the rows the derived figures were computed from."""
    for block, part in zip(vd.samples, parts):
        appendix_head(doc, part)
        para(doc, f"(Kèm theo Biên bản kiểm tra ngày {short_date(vd.visit_day)} tại {wording.subject(vd)})",
             italic=True, align=CENTER, after=12)
        width = nd30.text_width(doc) - 0.1
        widths = [1.0] + [(width - 1.0) / len(block.headers)] * len(block.headers)
        rows = [[str(number), *cells] for number, cells in enumerate(block.rows, start=1)]
        nd30.data_table(doc, ["STT", *block.headers], widths, rows, aligns=["center"] + ["left"] * len(block.headers))


def minutes_docx(vd: VisitDoc, *, issued: bool = False) -> bytes:
    """Biên bản kiểm tra: header, basis, members, findings by area, remarks, signatures, evidence.
    `issued` leaves the form's signing hints out."""
    doc = nd30.new_document(f"Biên bản kiểm tra – {vd.visit.unit_name}")
    nd30.header_block(doc, parent=wording.parent_body(vd.plan.issuer), body=vd.visit.team_name.upper(),
                      number=wording.doc_number("BB-ĐKT"), place_date=wording.place_date(vd, vd.visit_day))
    _draft(doc, vd)
    nd30.title_block(doc, "BIÊN BẢN", wording.minutes_summary(vd))
    for line in wording.basis_lines(vd):
        para(doc, line, italic=True)
    para(doc, wording.opening_line(vd))
    para(doc, "I. THÀNH PHẦN", bold=True, indent=False, before=6)
    para(doc, f"1. {vd.visit.team_name}:", bold=True)
    for line in wording.member_lines(vd):
        para(doc, f"- {line};")
    para(doc, "2. Đại diện đơn vị được kiểm tra:", bold=True)
    para(doc, f"- {vd.visit.unit_representative or '……………………………………………'}.")
    lead, secretary = vd.lead, vd.secretary
    para(doc, f"Chủ trì: {lead.full_name if lead else '……………'}; thư ký: "
              f"{secretary.full_name if secretary else '……………'}.")
    para(doc, "II. NỘI DUNG VÀ KẾT QUẢ KIỂM TRA", bold=True, indent=False, before=6)
    para(doc, wording.result_line(vd))
    _findings_table(doc, vd)
    appendices = wording.appendices(vd)
    if appendices:
        para(doc, wording.appendix_line(appendices))
    if vd.appraisal is not None:
        a = vd.appraisal
        para(doc, f"Kết quả tự đánh giá của đơn vị và kết quả thẩm định: đơn vị tự đánh giá {_points(a.self_points)} "
                  f"điểm; Đoàn thẩm định {_points(a.appraised_points)} điểm; chênh lệch {_points(a.difference)} điểm.")
        widths = [w * (nd30.text_width(doc) - 0.1) / 16.0 for w in (7.0, 2.0, 2.4, 2.4, 2.2)]
        nd30.data_table(doc, tables.APPRAISAL_AREA_HEAD, widths,
                        [tables.text(r) for r in tables.appraisal_area_rows(a)],
                        aligns=["left", "right", "right", "right", "right"])
    para(doc, "III. NHẬN XÉT", bold=True, indent=False, before=6)
    para(doc, "1. Ưu điểm", bold=True)
    _numbered(doc, wording.strength_lines(vd), "Không có.", bullet=True)
    para(doc, "2. Tồn tại, hạn chế", bold=True)
    _numbered(doc, [wording.shortcoming_line(s) for s in vd.shortcomings], "Không có tồn tại, hạn chế.")
    para(doc, "3. Nhận xét chung của Đoàn kiểm tra", bold=True)
    para(doc, vd.visit.remarks or "Không có.")
    para(doc, "IV. Ý KIẾN CỦA ĐƠN VỊ ĐƯỢC KIỂM TRA", bold=True, indent=False, before=6)
    for _ in range(2):
        para(doc, "…" * 44, indent=False)
    para(doc, wording.closing_line(vd))
    unit_sig, lead_sig = vd.signatures.get("unit"), vd.signatures.get("lead")
    blocks = [(["ĐẠI DIỆN ĐƠN VỊ", "ĐƯỢC KIỂM TRA"],
               unit_sig.name if unit_sig else vd.visit.unit_representative.split(",")[0], unit_sig),
              (["TM. ĐOÀN KIỂM TRA", "TRƯỞNG ĐOÀN"], lead_sig.name if lead_sig else (lead.full_name if lead else ""),
               lead_sig)]
    if secretary:
        blocks.append((["THƯ KÝ"], secretary.full_name))
    nd30.signatures(doc, blocks, issued=issued)
    if note := wording.earlier_version_note(vd):
        para(doc, note, italic=True)
    sample_appendix(doc, vd, appendices)
    if vd.evidence:
        evidence_appendix(doc, vd, appendices[-1])
    return _save(doc)


def notice_docx(vd: VisitDoc, *, issued: bool = False) -> bytes:
    """Thông báo kết luận kiểm tra: results, shortcomings, required fixes with deadlines, signature.
    `issued` leaves the form's signing hint out."""
    doc = nd30.new_document(f"Thông báo kết luận kiểm tra – {vd.visit.unit_name}")
    nd30.header_block(doc, parent=wording.parent_body(vd.plan.issuer), body="SỞ NỘI VỤ",
                      number=wording.doc_number("TB-SNV"), place_date=wording.place_date(vd, vd.today))
    _draft(doc, vd)
    nd30.title_block(doc, "THÔNG BÁO", wording.notice_summary(vd))
    for line in wording.basis_lines(vd, with_minutes=True):
        para(doc, line, italic=True)
    para(doc, "Sở Nội vụ thông báo kết luận kiểm tra như sau:")
    para(doc, wording.opening_line(vd).replace("Hôm nay, vào", "Vào"))
    para(doc, "Thành phần Đoàn: " + "; ".join(wording.member_lines(vd)) + ".")
    para(doc, "I. KẾT QUẢ KIỂM TRA", bold=True, indent=False, before=6)
    para(doc, wording.result_line(vd))
    rows = [[a.code, a.title, _points(a.points), _points(a.max_points),
             vn_number(a.points / a.max_points * 100) + "%" if a.max_points else "–"] for a in vd.areas]
    rows.append(["", "Tổng cộng", _points(vd.points), _points(vd.max_points),
                 vn_number(vd.percent) + "%" if vd.percent is not None else "–"])
    nd30.data_table(doc, ["LV", "Lĩnh vực", "Điểm đạt", "Tối đa", "Tỷ lệ"], (1.0, 9.9, 1.9, 1.7, 2.0), rows,
                    aligns=["center", "left", "right", "right", "right"])
    para(doc, "1. Ưu điểm", bold=True, before=6)
    _numbered(doc, wording.strength_lines(vd), "Không có.", bullet=True)
    para(doc, "2. Tồn tại, hạn chế", bold=True)
    _numbered(doc, [wording.shortcoming_line(s) for s in vd.shortcomings], "Không có tồn tại, hạn chế.")
    if vd.visit.remarks:
        para(doc, f"Nhận xét chung của Đoàn kiểm tra: {vd.visit.remarks}")
    para(doc, "II. YÊU CẦU CHẤN CHỈNH, KHẮC PHỤC", bold=True, indent=False, before=6)
    if vd.actions:
        nd30.data_table(doc, ["STT", "Nội dung yêu cầu khắc phục", "Thời hạn", "Tình trạng"], (1.0, 10.3, 2.4, 2.8),
                        [[str(i), a.text, short_date(a.deadline), a.status] for i, a in enumerate(vd.actions, 1)],
                        aligns=["center", "left", "center", "left"])
    else:
        para(doc, f"Đề nghị {wording.subject(vd)} khắc phục các tồn tại, hạn chế nêu tại Mục I.2 của Thông báo này.")
    para(doc, "III. TỔ CHỨC THỰC HIỆN", bold=True, indent=False, before=6)
    para(doc, wording.report_duty(vd))
    titles, name = notice_signature(vd)
    nd30.signatures(doc, [(titles, name)], left_note=wording.recipients(vd), issued=issued)
    return _save(doc)


def _save(doc) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()

