"""The documents as PDF (issue 18): printed by headless Chromium from the print HTML. A4, real text with
its Vietnamese intact, every font embedded, photos embedded; the same permissions as the HTML and DOCX;
the command line; and an engine that is missing or stuck is a 503 with a Vietnamese message, not a hang."""

from __future__ import annotations

import io
import os
import time
from pathlib import Path

import pytest
from browser import require_chromium
from conftest import login
import dbchecks
from pypdf import PdfReader
from reports_fixtures import meta, rclient, reports_seed, rsettings  # noqa: F401 (fixtures)
from test_reports_documents import export

from inspect_app.cli import main
from inspect_app.reports import pdf
from inspect_app.services.errors import Refused

A4_POINTS = (595, 842)


@pytest.fixture(autouse=True)
def chromium_present():
    require_chromium()


def reader(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def text_of(document: PdfReader) -> str:
    """The extracted text with its line breaks (where the layout wrapped) read as spaces."""
    return " ".join(" ".join(page.extract_text() for page in document.pages).split())


def fonts(document: PdfReader) -> dict[str, bool]:
    """Every font the pages use → whether its program is embedded (a FontFile in its descriptor)."""
    found = {}
    for page in document.pages:
        for font in ((page.get("/Resources") or {}).get("/Font") or {}).values():
            font = font.get_object()
            program = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
            descriptor = program.get("/FontDescriptor")
            found[str(font["/BaseFont"])] = descriptor is not None and any(
                key in descriptor.get_object() for key in ("/FontFile", "/FontFile2", "/FontFile3"))
    return found


def assert_a4(document: PdfReader) -> None:
    for page in document.pages:
        box = page.mediabox
        assert (round(float(box.width)), round(float(box.height))) == A4_POINTS


def test_minutes_pdf_is_a4_searchable_vietnamese_with_fonts_and_photos_embedded(rclient, meta):
    login(rclient, "sonoivu")
    visit_id = meta["current"]["visits"]["11560"]
    response = rclient.get(f"/visits/{visit_id}/minutes.pdf")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert f'filename="bien-ban-kiem-tra-11560-{visit_id}.pdf"' in response.headers["content-disposition"]
    document = reader(response.content)
    assert_a4(document)
    text = text_of(document)
    for words in ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "BIÊN BẢN",
                  "Kiểm tra công tác cải cách hành chính tại UBND phường Thủy Nguyên", "Ông Phạm Văn Hùng",
                  "Trần Văn Minh", "Phụ lục", "DANH MỤC TÀI LIỆU KIỂM CHỨNG"):
        assert words in text, words
    used = fonts(document)
    assert used and all(used.values()), used
    assert any("LiberationSerif" in name or "TimesNewRoman" in name for name in used), used
    assert sum(len(page.images) for page in document.pages) >= 1  # the evidence thumbnail
    assert "2" == document.pages[1].extract_text().split("\n", 1)[0].strip()  # page number from page 2


def test_notice_pdf(rclient, meta):
    login(rclient, "truongdoan")
    response = rclient.get(f"/visits/{meta['current']['visits']['11167']}/notice.pdf")
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    document = reader(response.content)
    assert_a4(document)
    text = text_of(document)
    assert "THÔNG BÁO" in text and "Kết luận kiểm tra công tác cải cách hành chính" in text and "Nơi nhận:" in text
    assert all(fonts(document).values())


def test_pdf_permissions_follow_the_html_and_docx(rclient, meta):
    """A unit's officer gets its own signed-off visit's PDF; another unit's is not found (404)."""
    login(rclient, "dv11560")
    own, other = meta["current"]["visits"]["11560"], meta["current"]["visits"]["11167"]
    assert rclient.get(f"/visits/{own}/minutes.pdf").status_code == 200
    for kind in ("minutes", "notice"):
        assert rclient.get(f"/visits/{other}/{kind}.pdf").status_code == 404
    assert rclient.get("/visits/999999/minutes.pdf").status_code == 404


def test_plan_report_exports_as_pdf(rclient, meta):
    login(rclient, "sonoivu")
    data = export(rclient, f"/reports/plans/{meta['current']['plan_id']}/export", {"format": "pdf", "threshold": ""})
    document = reader(data)
    first = document.pages[0].mediabox  # A4 portrait; the wide matrix pages are A4 landscape
    assert (round(float(first.width)), round(float(first.height))) == A4_POINTS
    assert {tuple(sorted((round(float(p.mediabox.width)), round(float(p.mediabox.height))))) for p in document.pages} \
        == {A4_POINTS}
    text = text_of(document)
    assert "BÁO CÁO" in text and "Kết quả kiểm tra công tác cải cách hành chính theo Kế hoạch số 88/KH-UBND" in text
    assert all(fonts(document).values())


@pytest.fixture
def env(rsettings, monkeypatch):
    dbchecks.point_cli_at(monkeypatch, rsettings)
    return rsettings


def test_cli_writes_pdf(env, meta, tmp_path, capsys):
    visit_id = str(meta["current"]["visits"]["11167"])
    for command in (["minutes", visit_id], ["notice", visit_id], ["report", str(meta["current"]["plan_id"])]):
        out = tmp_path / f"{command[0]}.pdf"
        assert main([*command, "--format", "pdf", "-o", str(out)]) == 0
        assert f"Đã ghi {out}" in capsys.readouterr().err
        assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text_of(reader(out.read_bytes()))


def test_a_missing_engine_is_a_503_in_vietnamese(rclient, meta, monkeypatch):
    monkeypatch.setenv("INSPECT_CHROMIUM", "/nonexistent/chromium")
    login(rclient, "sonoivu")
    response = rclient.get(f"/visits/{meta['current']['visits']['11560']}/minutes.pdf",
                           headers={"Accept": "application/json"})
    assert response.status_code == 503
    assert "Không tạo được bản PDF" in response.text


def test_a_stuck_engine_is_killed_at_the_timeout(tmp_path, monkeypatch):
    stuck = tmp_path / "chromium"
    stuck.write_text("#!/bin/sh\nsleep 60 &\nsleep 60\n")
    stuck.chmod(0o755)
    monkeypatch.setenv("INSPECT_CHROMIUM", str(stuck))
    started = time.monotonic()
    with pytest.raises(Refused) as refused:
        pdf.html_to_pdf("<!doctype html><html><head></head><body>x</body></html>", None, timeout=1.0)
    assert refused.value.status == 503 and refused.value.code == "pdf_unavailable"
    assert time.monotonic() - started < 10
    time.sleep(0.2)
    survivors = [line for line in os.popen("ps -eo args").read().splitlines() if str(stuck) in line]
    assert not survivors, survivors  # the whole process group went, the backgrounded child too


def test_html_to_pdf_resolves_relative_addresses_in_base_dir(tmp_path):
    Path(tmp_path / "style.css").write_text("p { font-family: 'Liberation Serif'; }")
    data = pdf.html_to_pdf('<!doctype html><html><head><link rel="stylesheet" href="style.css"></head>'
                           "<body><p>Chữ ký số: Nguyễn Thị Hương</p></body></html>", tmp_path)
    assert "Chữ ký số: Nguyễn Thị Hương" in text_of(reader(data))
