"""Issue 18's NĐ 30/2020 details, one test per rule, each on the HTML (what the PDF is printed from) and
on the DOCX:

- an issued document carries no form hints such as "(Ký, ghi rõ họ tên)" / "(Ký, đóng dấu)" (a draft
  keeps them over its blank signing space);
- an appendix is headed "Phụ lục I" in ordinary case (its name below in capitals), numbered in Roman
  numerals when there are two or more, and the text names each one;
- after "Căn cứ" a document's type keeps its capital ("Căn cứ Quyết định số …");
- the line under the trích yếu is 1/3 to 1/2 of the summary's line.
"""

from __future__ import annotations

import asyncio
import io
import re
from pathlib import Path

import msgspec
import pytest
import dbtarget
from browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
from docx import Document
from docx.shared import Cm
from pypdf import PdfReader
from reports_fixtures import meta, reports_seed, rsettings  # noqa: F401 (fixtures)

from inspect_app.db import open_database
from inspect_app.reports import docx_visit, html, nd30, pdf, wording
from inspect_app.reports.visit_doc import VisitDoc, build_visit_doc

HINTS = ("(Ký, ghi rõ họ tên)", "(Ký, đóng dấu)")
BOLD_FONT = Path("/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf")
LEGAL_BASIS = "Quyết định số 272/QĐ-UBND ngày 02/11/2026 của Chủ tịch UBND thành phố về việc thành lập Đoàn kiểm tra"


def visit_doc(settings, visit_id: int) -> VisitDoc:
    async def build() -> VisitDoc:
        db = await open_database(settings.database)
        try:
            return await build_visit_doc(db, visit_id, settings.evidence_dir)
        finally:
            await db.close()

    return asyncio.run(build())


def visible(page: str) -> str:
    body = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def docx_text(data: bytes) -> str:
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    parts += [p.text for t in doc.tables for row in t.rows for cell in row.cells for p in cell.paragraphs]
    return "\n".join(parts)


@pytest.fixture
def doc(rsettings, meta) -> VisitDoc:
    # A plan whose legal basis cites a decision.
    dbtarget.sql(rsettings, "UPDATE plans SET legal_basis = ? WHERE id = ?", LEGAL_BASIS, meta["current"]["plan_id"])
    return visit_doc(rsettings, meta["current"]["visits"]["11560"])


# ------------------------------------------------------------------ hints in the signature blocks


@pytest.mark.parametrize("kind", ["minutes", "notice"])
def test_issued_html_has_no_signing_hints_a_draft_keeps_them(doc, kind):
    draft = visible(html.visit_html(kind, doc, standalone=True))
    issued_page = html.visit_html(kind, doc, standalone=True, issued=True)
    assert any(hint in draft for hint in HINTS)
    assert not any(hint in visible(issued_page) for hint in HINTS)
    assert "sign-space" in issued_page  # the blank space to sign in stays


@pytest.mark.parametrize("kind", ["minutes", "notice"])
def test_issued_docx_has_no_signing_hints_a_draft_keeps_them(doc, kind):
    builder = docx_visit.minutes_docx if kind == "minutes" else docx_visit.notice_docx
    assert any(hint in docx_text(builder(doc)) for hint in HINTS)
    assert not any(hint in docx_text(builder(doc, issued=True)) for hint in HINTS)


def test_issued_pdf_has_no_signing_hints(rsettings, meta):
    """The flag the issuing part passes reaches the PDF (visit_pdf, the function it calls)."""
    require_chromium()

    async def render() -> bytes:
        db = await open_database(rsettings.database)
        try:
            data, name = await pdf.visit_pdf(db, rsettings.evidence_dir, meta["current"]["visits"]["11167"],
                                             "notice", issued=True)
            assert name.endswith(".pdf")
            return data
        finally:
            await db.close()

    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(asyncio.run(render()))).pages)
    assert "Nơi nhận" in text and not any(hint in " ".join(text.split()) for hint in HINTS)


# ------------------------------------------------------------------ "Phụ lục"


def test_appendices_html_ordinary_case_roman_numbers_named_in_the_text(doc):
    page = html.visit_html("minutes", doc, standalone=True)
    labels = re.findall(r'<p class="appendix-label">([^<]+)</p>', page)
    assert labels == ["Phụ lục I", "Phụ lục II"]  # the dossier sample and the evidence list
    assert "PHỤ LỤC" not in page
    text = visible(page)
    assert ("Kèm theo Biên bản này: Phụ lục I – Mẫu hồ sơ kiểm tra của tiêu chí" in text
            and "Phụ lục II – Danh mục tài liệu kiểm chứng." in text)
    assert "DANH MỤC TÀI LIỆU KIỂM CHỨNG" in text  # the appendix's name: capitals


def test_appendices_docx_ordinary_case_roman_numbers_named_in_the_text(doc):
    document = Document(io.BytesIO(docx_visit.minutes_docx(doc)))
    texts = [p.text for p in document.paragraphs]
    assert [t for t in texts if t.startswith("Phụ lục")] == ["Phụ lục I", "Phụ lục II"]
    heading = next(p for p in document.paragraphs if p.text == "Phụ lục II")
    assert all(run.bold for run in heading.runs)
    assert not any("PHỤ LỤC" in t for t in texts)
    assert any(t.startswith("Kèm theo Biên bản này: Phụ lục I – ") for t in texts)
    assert "DANH MỤC TÀI LIỆU KIỂM CHỨNG" in texts


def test_a_single_appendix_is_plain_phu_luc(doc):
    alone = wording.appendices(msgspec.structs.replace(doc, samples=[]))
    assert [(a.label, a.title) for a in alone] == [("Phụ lục", "DANH MỤC TÀI LIỆU KIỂM CHỨNG")]


# ------------------------------------------------------------------ "Quyết định" after "Căn cứ"


def test_basis_keeps_the_document_types_capital_in_html(doc):
    text = visible(html.visit_html("minutes", doc, standalone=True))
    assert "Căn cứ Quyết định số 272/QĐ-UBND" in text and "Căn cứ quyết định" not in text


def test_basis_keeps_the_document_types_capital_in_docx(doc):
    text = docx_text(docx_visit.notice_docx(doc))
    assert "Căn cứ Quyết định số 272/QĐ-UBND" in text and "Căn cứ quyết định" not in text


def test_cited_lowers_only_common_words():
    assert wording.cited("Quyết định số 1/QĐ-UBND") == "Quyết định số 1/QĐ-UBND"
    assert wording.cited("Nghị định số 30/2020/NĐ-CP") == "Nghị định số 30/2020/NĐ-CP"
    assert wording.cited("Các văn bản hướng dẫn của Bộ Nội vụ") == "các văn bản hướng dẫn của Bộ Nội vụ"


# ------------------------------------------------------------------ the rule under the summary


@pytest.mark.parametrize("kind", ["minutes", "notice"])
def test_summary_rule_html_is_a_third_to_a_half_of_its_line(doc, kind):
    """Laid out by Chromium as it prints (A4's 165 mm text width, print media): the rule's width
    against the widest line of the summary as drawn."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 624, "height": 1000})  # 165 mm at 96 px/in
            page.emulate_media(media="print")
            page.set_content(html.visit_html(kind, doc, standalone=True))
            line, rule = page.evaluate("""() => {
                const el = document.querySelector('.doc-summary');
                const range = document.createRange();
                range.selectNodeContents(el);
                const widths = Array.from(range.getClientRects(), r => r.width);
                return [Math.max(...widths), parseFloat(getComputedStyle(el, '::after').width)];
            }""")
        finally:
            browser.close()
    assert 1 / 3 <= rule / line <= 1 / 2, (rule, line)


@pytest.mark.parametrize("kind", ["minutes", "notice"])
def test_summary_rule_docx_is_a_third_to_a_half_of_its_line(doc, kind):
    """The rule is the paragraph's bottom border between its indents; the line is measured with
    Liberation Serif Bold's metrics (Times New Roman's), capped at the text width when it wraps."""
    if not BOLD_FONT.exists():
        pytest.skip("fonts-liberation2 not installed")
    from PIL import ImageFont

    builder = docx_visit.minutes_docx if kind == "minutes" else docx_visit.notice_docx
    document = Document(io.BytesIO(builder(doc)))
    summary = wording.minutes_summary(doc) if kind == "minutes" else wording.notice_summary(doc)
    paragraph = next(p for p in document.paragraphs if p.text == summary)
    width = nd30.text_width(document)
    rule = width - (paragraph.paragraph_format.left_indent + paragraph.paragraph_format.right_indent) / Cm(1)
    font = ImageFont.truetype(str(BOLD_FONT), 1000)
    line = min(font.getlength(summary) / 1000 * nd30.BODY * 0.03528, width)
    assert 1 / 3 <= rule / line <= 1 / 2, (rule, line)
