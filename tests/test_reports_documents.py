"""The documents as files: DOCX opened with python-docx, XLSX with openpyxl; the layout rules of
NĐ 30/2020, Vietnamese names, and totals equal to what the scoring engine computes."""

from __future__ import annotations

import io
import re
import time

import msgspec
import pytest
from conftest import login, post_form
import dbtarget
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from reports_fixtures import meta, rclient, reports_seed, rsettings  # noqa: F401 (fixtures)

from inspect_app.checklists import Answer, checklist_from_json, score_checklist
from inspect_app.reports.rules import is_failed
from inspect_app.text import short_date, vn_number

DATE_LINE = re.compile(r"^Hải Phòng, ngày (0[1-9]|[12]\d|3[01]) tháng (0[12]|[3-9]|1[012]) năm \d{4}$")


def engine(settings, visit_id: int):
    """The visit's score straight from the scoring engine over the stored answers."""
    cid, version = dbtarget.sql(settings, "SELECT checklist_id, checklist_version FROM visits WHERE id = ?",
                                visit_id)[0]
    content = dbtarget.sql(settings, "SELECT content_json FROM checklist_versions WHERE checklist_id = ? AND"
                                     " version_hash = ?", cid, version)[0][0]
    rows = dbtarget.sql(settings, "SELECT item_code, answer_json FROM findings WHERE visit_id = ?", visit_id)
    checklist = checklist_from_json(bytes(content))
    return score_checklist(checklist, {c: msgspec.json.decode(a, type=Answer) for c, a in rows})


def export(client, url: str, data: dict) -> bytes:
    """Start an export as a plain form would, follow the job until its file is ready, download it."""
    response = post_form(client, url, data)
    assert response.status_code == 303, response.text
    job = response.headers["location"]
    for _ in range(100):
        if "/file" in client.get(job).text:
            break
        time.sleep(0.1)
    file = client.get(job + "/file")
    assert file.status_code == 200 and "attachment" in file.headers["content-disposition"]
    return file.content


def all_text(doc) -> str:
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def test_minutes_docx_follows_nd30_and_matches_the_engine(rclient, rsettings, meta):
    visit_id = meta["current"]["visits"]["11560"]
    login(rclient, "sonoivu")
    response = rclient.get(f"/visits/{visit_id}/minutes.docx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument")
    doc = Document(io.BytesIO(response.content))
    section = doc.sections[0]
    assert round(section.page_width.mm) == 210 and round(section.page_height.mm) == 297
    assert 20 <= round(section.top_margin.mm) <= 25 and 20 <= round(section.bottom_margin.mm) <= 25
    assert 30 <= round(section.left_margin.mm) <= 35 and 15 <= round(section.right_margin.mm) <= 20
    normal = doc.styles["Normal"]
    assert normal.font.name == "Times New Roman" and 13 <= normal.font.size.pt <= 14
    # Page numbers: a PAGE field centred in the header, none on page 1.
    assert section.different_first_page_header_footer
    assert "PAGE" in "".join(el.text or "" for el in section.header._element.iter(qn("w:instrText")))
    assert not section.first_page_header.paragraphs[0].text
    # Quốc hiệu, tiêu ngữ, issuing body, number, place and date.
    head = doc.tables[0]
    left, right = head.rows[0].cells
    assert left.paragraphs[0].text == "UBND THÀNH PHỐ HẢI PHÒNG" and left.paragraphs[1].text == "ĐOÀN KIỂM TRA SỐ 1"
    assert [p.text for p in right.paragraphs[:2]] == ["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc"]
    quoc_hieu, tieu_ngu = right.paragraphs[0].runs[0], right.paragraphs[1].runs[0]
    assert quoc_hieu.bold and 12 <= quoc_hieu.font.size.pt <= 13 and tieu_ngu.bold and 13 <= tieu_ngu.font.size.pt <= 14
    assert right.paragraphs[1]._p.pPr.find(qn("w:pBdr")) is not None  # the drawn line under the tiêu ngữ
    number, place_date = head.rows[1].cells
    assert number.text.startswith("Số:") and number.text.endswith("/BB-ĐKT")
    assert DATE_LINE.match(place_date.text) and place_date.paragraphs[0].runs[0].italic
    # Every run of the body is Times New Roman 13–14 pt (or inherits the 14 pt of Normal).
    for paragraph in doc.paragraphs:
        for run in paragraph.runs:
            assert run.font.size is None or 13 <= run.font.size.pt <= 14, paragraph.text
            assert run.font.name in (None, "Times New Roman")
    text = all_text(doc)
    assert "BIÊN BẢN" in text and "Kiểm tra công tác cải cách hành chính tại UBND phường Thủy Nguyên" in text
    assert "Trần Văn Minh, Phó Giám đốc Sở Nội vụ – Trưởng đoàn" in text and "Ông Phạm Văn Hùng" in text
    score = engine(rsettings, visit_id)
    assert f"Tổng cộng: {vn_number(score.points)}/{vn_number(score.max_points)} điểm." in text
    findings = next(t for t in doc.tables if t.rows[0].cells[0].text == "STT" and t.rows[0].cells[2].text.startswith("Tiêu chí"))
    printed = {r.cells[1].text: r.cells[4].text for r in findings.rows[1:] if r.cells[0].text != r.cells[1].text}
    for code, item in score.items.items():
        assert printed[code] == ("–" if item.points is None else vn_number(item.points)), code
    failed = [code for code, item in score.items.items() if is_failed(item)]
    for code in failed:
        assert f"Tiêu chí {code} –" in text
    assert "Đơn vị chuẩn bị hồ sơ đầy đủ" in text  # the lead's remarks
    # Evidence appendix: a thumbnail and the SHA-256 of the bytes received.
    sha = dbtarget.sql(rsettings, "SELECT sha256 FROM evidence_files WHERE visit_id = ?", visit_id)[0][0]
    assert "Phụ lục" in text and "PHỤ LỤC" not in text and sha[:32] in text and sha[32:] in text  # NĐ 30: ordinary case
    assert len(doc.inline_shapes) == 1


def test_notice_docx_lists_remediation_with_deadlines(rclient, meta):
    login(rclient, "truongdoan")
    doc = Document(io.BytesIO(rclient.get(f"/visits/{meta['current']['visits']['11560']}/notice.docx").content))
    text = all_text(doc)
    assert "THÔNG BÁO" in text and "SỞ NỘI VỤ" in text and "/TB-SNV" in text
    assert "Kết luận kiểm tra công tác cải cách hành chính tại UBND phường Thủy Nguyên" in text
    actions = next(t for t in doc.tables if t.rows[0].cells[1].text == "Nội dung yêu cầu khắc phục")
    rows = [[c.text for c in r.cells] for r in actions.rows[1:]]
    assert ["Số hóa kết quả giải quyết thủ tục hành chính", "Chưa khắc phục"] == [rows[-1][1], rows[-1][3]]
    assert all(re.fullmatch(r"\d{2}/\d{2}/\d{4}", r[2]) for r in rows) and len(rows) == 4
    assert "KT. GIÁM ĐỐC" in text and "Nơi nhận:" in text and "Trần Văn Minh" in text


def test_plan_report_docx_and_xlsx_agree_with_the_engine(rclient, rsettings, meta):
    login(rclient, "sonoivu")
    plan_id = meta["current"]["plan_id"]
    visits = meta["current"]["visits"]
    expected = {code: engine(rsettings, visits[code]) for code in ("11560", "11167", "10525", "10606")}
    names = {"11560": "Phường Thủy Nguyên", "11167": "Xã Tân An", "10525": "Phường Hải Dương", "10606": "Xã Nam Sách"}
    doc = Document(io.BytesIO(export(rclient, f"/reports/plans/{plan_id}/export", {"format": "docx"})))
    assert any(s.orientation == 1 for s in doc.sections)  # the wide matrix sits on a landscape page
    text = all_text(doc)
    assert "BÁO CÁO" in text and "Kết quả kiểm tra công tác cải cách hành chính theo Kế hoạch số 88/KH-UBND" in text
    matrix = next(t for t in doc.tables if t.rows[0].cells[0].text == "Hạng")
    printed = {r.cells[1].text: r for r in matrix.rows[1:]}
    for code, score in expected.items():
        row = printed[names[code]]
        assert row.cells[-3].text == vn_number(score.points) and row.cells[-2].text == vn_number(score.percent)
    ranks = [r.cells[0].text for r in matrix.rows[1:]]
    assert ranks == ["1", "2", "3", "4"]
    assert "Xã Nam Sách" in text.split("dưới 65%")[1]  # listed below the threshold
    for code in meta["common"]:
        assert re.search(rf"{re.escape(code)}\n.*\n4\n100", text), code

    book = load_workbook(io.BytesIO(export(rclient, f"/reports/plans/{plan_id}/export", {"format": "xlsx"})))
    sheet = book["Kết quả"]
    assert sheet.freeze_panes == "A2" and sheet.auto_filter.ref.startswith("A1:")
    head = [c.value for c in sheet[1]]
    rows = {r[2]: dict(zip(head, r)) for r in sheet.iter_rows(min_row=2, values_only=True)}
    for code, score in expected.items():
        row = rows[names[code]]
        assert row["Tổng điểm"] == score.points and row["Tỷ lệ (%)"] == score.percent
        assert row["Mã đơn vị"] == code and row["Số tồn tại"] == sum(is_failed(i) for i in score.items.values())
    then = engine(rsettings, meta["earlier"]["visits"]["11560"])
    assert rows["Phường Thủy Nguyên"]["Kỳ trước (%)"] == then.percent
    assert rows["Phường Thủy Nguyên"]["Thay đổi (điểm %)"] == round(expected["11560"].percent - then.percent, 2)
    remediation = list(book["Khắc phục"].iter_rows(min_row=2, values_only=True))
    assert remediation[0] == ("Phường Thủy Nguyên", 4, 1, 1, 1, 1)
    for ws in book.worksheets:
        for row in ws.iter_rows():
            assert all(cell.data_type != "f" for cell in row), ws.title  # values only, no formulas
    summary = dict(book["Tổng hợp"].values)
    assert (summary["Số cuộc kiểm tra theo kế hoạch"], summary["Đã kiểm tra"], summary["Đã ký duyệt"]) == (6, 4, 4)


def test_periodic_report_finds_recurring_shortcomings(rclient, rsettings, meta):
    login(rclient, "sonoivu")
    before = engine(rsettings, meta["earlier"]["visits"]["11167"])
    now = engine(rsettings, meta["current"]["visits"]["11167"])
    again = sorted({c for c, i in before.items.items() if is_failed(i)} & {c for c, i in now.items.items() if is_failed(i)})
    assert again  # the fixture makes Xã Tân An fail some items twice
    book = load_workbook(io.BytesIO(export(rclient, "/reports/periodic/export",
                                           {"format": "xlsx", "year": "2026", "quarter": "4"})))
    recurring = [r for r in book["Tồn tại lặp lại"].iter_rows(min_row=2, values_only=True) if r[0] == "Xã Tân An"]
    assert sorted(r[1] for r in recurring if r[3].startswith("12/KH-UBND")) == again
    assert all(r[4] == f"88/KH-UBND, {short_date('2026-11-20')}" for r in recurring if r[3].startswith("12/"))
    plans = [r[0] for r in book["Kế hoạch"].iter_rows(min_row=2, values_only=True)]
    assert "88/KH-UBND" in plans and "12/KH-UBND" not in plans
    doc = Document(io.BytesIO(export(rclient, "/reports/periodic/export",
                                     {"format": "docx", "year": "2026", "quarter": "4"})))
    text = all_text(doc)
    assert "Kết quả kiểm tra công tác cải cách hành chính quý IV năm 2026" in text
    assert "TỒN TẠI, HẠN CHẾ LẶP LẠI" in text and "Xã Tân An" in text
    yearly = load_workbook(io.BytesIO(export(rclient, "/reports/periodic/export", {"format": "xlsx", "year": "2025"})))
    assert [r[0] for r in yearly["Kế hoạch"].iter_rows(min_row=2, values_only=True)] == ["12/KH-UBND"]


@pytest.mark.parametrize("kind", ["minutes", "notice"])
def test_print_pages_carry_the_same_content(rclient, meta, kind):
    login(rclient, "sonoivu")
    page = rclient.get(f"/visits/{meta['current']['visits']['11167']}/{kind}")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'href="/static/css/print.css"' in page.text and "<style>" not in page.text  # CSP: no inline style
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in page.text and "Xã Tân An" in page.text
    if kind == "minutes":
        assert '/evidence/' in page.text and "SHA-256" in page.text


ISO_DATE = re.compile(r"\b(19|20)\d\d-\d\d-\d\d\b")


def test_minutes_print_dates_the_vietnamese_way(rclient, meta):
    """A date answer reads "15/01/2026" in the results column (stored "2026-01-15"), and the camera's time
    is worded like every other time; no ISO date reaches the reader of either format."""
    visit_id = meta["current"]["visits"]["11560"]
    login(rclient, "sonoivu")
    page = rclient.get(f"/visits/{visit_id}/minutes")
    docx_text = all_text(Document(io.BytesIO(rclient.get(f"/visits/{visit_id}/minutes.docx").content)))
    visible = re.sub(r"<[^>]+>", " ", page.text)
    for text in (visible, docx_text):
        assert "15/01/2026" in text
        assert "09 giờ 15 phút, ngày 20/11/2026 (theo thiết bị)" in text
        assert not ISO_DATE.search(text), ISO_DATE.search(text)


def test_a_finished_export_swapped_in_by_htmx_starts_its_download(rclient, meta):
    """Issue 15: Word/Excel needed a second click on "Tải xuống". The fragment htmx swaps in when the job is
    done marks its link for static/js/reports.js to follow at once; the link stays, and the plain page
    (no JavaScript) is the same link as before."""
    login(rclient, "sonoivu")
    url = f"/reports/plans/{meta['current']['plan_id']}/export"
    fragment = rclient.post(url, data={"format": "xlsx", "threshold": "", "_csrf_token": rclient.cookies["csrftoken"]},
                            headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    job = re.search(r'id="job-([^"]+)"', fragment.text).group(1)
    for _ in range(100):
        if "/file" in fragment.text:
            break
        time.sleep(0.1)
        fragment = rclient.get(f"/reports/jobs/{job}", headers={"HX-Request": "true"})
    link = re.search(r"<a [^>]*/reports/jobs/[^>]*>", fragment.text).group(0)
    assert "data-autodownload" in link and "download" in link
    assert "tệp đang được tải xuống" in fragment.text
    plain = rclient.get(f"/reports/jobs/{job}")
    assert f'href="/reports/jobs/{job}/file"' in plain.text and "data-autodownload" not in plain.text
    assert "/static/js/reports.js?v=" in plain.text
    assert rclient.get(f"/reports/jobs/{job}/file").status_code == 200
