"""Reports in a real Chromium: print pages to PDF (page count, page numbers, text), the export
journey with its download, and the dashboard on a tablet."""

from __future__ import annotations

import re
import shutil
import unicodedata

import pytest
from browser import ARTIFACTS, LiveServer, log_in
from pypdf import PdfReader
from reports_fixtures import cloned_reports_database, meta, reports_seed  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


@pytest.fixture
def server(tmp_path, reports_seed):
    source, _ = reports_seed
    data_dir = tmp_path / "live"
    shutil.copytree(source, data_dir, ignore=shutil.ignore_patterns("reports"))
    (data_dir / "secret_key").write_text("browser-test-secret")
    clone = cloned_reports_database(source)  # PostgreSQL: the built reports database, not the bare demo
    live = LiveServer(data_dir, {"INSPECT_DATABASE_URL": clone["database_url"]} if clone else {})
    yield live
    live.stop()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 768, "height": 1024}, locale="vi-VN", accept_downloads=True)
    page = context.new_page()
    yield page
    context.close()


def squash(text: str) -> str:
    """PDF text extraction spaces out combining marks; compare without any whitespace."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFC", text))


def pdf_pages(path) -> tuple[list[str], list[tuple[float, float]]]:
    reader = PdfReader(path)
    return ([squash(p.extract_text()) for p in reader.pages],
            [(float(p.mediabox.width), float(p.mediabox.height)) for p in reader.pages])


def test_minutes_print_to_a4_pdf_with_page_numbers_from_page_two(page, server, meta, tmp_path):
    log_in(page, server, "sonoivu")
    page.goto(f"{server.url}/visits/{meta['current']['visits']['11560']}/minutes")
    assert page.locator(".toolbar").is_visible()  # screen only
    page.locator("table.evidence img").first.wait_for()
    assert page.evaluate("document.querySelector('table.evidence img').naturalWidth") > 0  # guarded thumbnail
    target = tmp_path / "bien-ban.pdf"
    page.pdf(path=str(target), format="A4", prefer_css_page_size=True)
    texts, sizes = pdf_pages(target)
    assert len(texts) >= 3
    assert all(abs(w - 595) < 2 and abs(h - 842) < 2 for w, h in sizes)  # A4 portrait
    first = texts[0]
    for line in ("CỘNGHÒAXÃHỘICHỦNGHĨAVIỆTNAM", "Độclập-Tựdo-Hạnhphúc", "ĐOÀNKIỂMTRASỐ1", "BIÊNBẢN",
                 "UBNDphườngThủyNguyên", "HảiPhòng,ngày"):
        assert line in first, line
    assert "Tảibản" not in first  # the toolbar does not print
    assert not first.startswith("1") and texts[1].startswith("2") and texts[2].startswith("3")
    assert "PhụlụcII" in texts[-1] and "PHỤLỤC" not in texts[-1] and "SHA-256" in texts[-1]  # NĐ 30: ordinary case
    assert any("TRƯỞNGĐOÀN" in t and "TrầnVănMinh" in t for t in texts)


def test_plan_report_export_downloads_and_prints(page, server, meta, tmp_path):
    log_in(page, server, "sonoivu")
    page.goto(f"{server.url}/reports/plans/{meta['current']['plan_id']}")
    with page.expect_download() as info:  # one click: the download starts when the job is done
        page.get_by_role("button", name="Tải bản in (HTML, A4)").click()
    saved = tmp_path / "bao-cao.html"
    info.value.save_as(saved)
    page.goto(saved.as_uri())
    target = tmp_path / "bao-cao.pdf"
    page.pdf(path=str(target), format="A4", prefer_css_page_size=True)
    texts, sizes = pdf_pages(target)
    assert len(texts) >= 3
    assert any(w > h for w, h in sizes) and any(w < h for w, h in sizes)  # the matrix on a landscape page
    whole = "".join(texts)
    for needle in ("BÁOCÁO", "Kếtquảkiểmtracôngtáccảicáchhànhchínhtheo", "PhườngHảiDương", "XãTânAn",
                   "XãNamSách", "KẾTQUẢKHẮCPHỤC"):
        assert needle in whole, needle
    assert texts[1].startswith("2")


CROSSED = """() => [...document.querySelectorAll("svg.chart line[stroke-dasharray]")].flatMap(line => {
    const x = line.x1.baseVal.value, top = line.y1.baseVal.value, bottom = line.y2.baseVal.value;
    return [...line.ownerSVGElement.querySelectorAll("text")].map(t => [t.textContent, t.getBBox()])
        .filter(([, b]) => b.x - 1 < x && x < b.x + b.width + 1 && b.y < bottom && top < b.y + b.height)
        .map(([text]) => text);
})"""


def labels_under_threshold_line(page) -> list[str]:
    """Texts of the charts that the dashed threshold line crosses, as Chromium lays them out."""
    return page.evaluate(CROSSED)


def test_threshold_line_clears_the_value_labels(page, server, meta):
    """Issue 15: a unit scoring just under the threshold had its "62%" label crossed by the dashed line."""
    log_in(page, server, "sonoivu")
    url = f"{server.url}/reports/plans/{meta['current']['plan_id']}"
    page.goto(url)
    titles = page.locator("svg.chart:has(line[stroke-dasharray]) rect title").all_text_contents()
    values = [float(t.rsplit(": ", 1)[1].rstrip("%").replace(",", ".")) for t in titles]
    value = min(v for v in values if v < 95)
    page.goto(f"{url}?threshold={int(value) + 3}")  # the line lands where the label beside that bar begins
    assert page.locator("svg.chart line[stroke-dasharray]").count() >= 1
    assert labels_under_threshold_line(page) == []


@pytest.mark.parametrize("button, suffix", [("Tải báo cáo Word (DOCX)", ".docx"), ("Tải bảng tính (XLSX)", ".xlsx")])
def test_word_and_excel_exports_download_on_one_click(page, server, meta, button, suffix):
    """Issue 15: the export buttons needed a second click on a "Tải xuống" link once the job was done."""
    log_in(page, server, "sonoivu")
    page.goto(f"{server.url}/reports/plans/{meta['current']['plan_id']}")
    with page.expect_download(timeout=60000) as info:
        page.get_by_role("button", name=button).click()
    download = info.value
    assert download.suggested_filename.endswith(suffix) and download.failure() is None
    link = page.locator("#jobs a.btn-primary")  # still there, as the fallback
    assert link.is_visible() and link.get_attribute("data-autodownload") is None
    assert link.get_attribute("href").endswith("/file")


def test_dashboard_reads_on_a_tablet(page, server, meta):
    log_in(page, server, "sonoivu")
    page.goto(f"{server.url}/reports?plan={meta['current']['plan_id']}")
    charts = page.locator("section.charts svg.chart")
    assert charts.count() == 3
    for index in range(3):
        box = charts.nth(index).bounding_box()
        assert box["width"] <= 768 and box["height"] > 60
    assert page.evaluate("document.documentElement.scrollWidth") <= 768  # no sideways scrolling
    assert labels_under_threshold_line(page) == []
    page.get_by_placeholder("Tìm đơn vị, ghi chú, tiêu chí (không cần dấu)").fill("tan an")
    page.get_by_role("button", name="Lọc").click()
    page.locator("#search-results").wait_for()
    assert "Xã Tân An" in page.locator("#search-results").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "reports-dashboard-768x1024.png"), full_page=True)
