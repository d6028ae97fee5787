"""Word documents laid out per Nghị định 30/2020/NĐ-CP (Phụ lục I): A4, margins, Times New Roman,
the quốc hiệu / tiêu ngữ and issuing-body header, page numbers from page 2, signature blocks.

Large tables are written by copying a prototype row's XML: python-docx's cell API costs about a
millisecond per cell, which a report of 3,321 units × 14 columns cannot afford.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence

from docx import Document
from docx.document import Document as DocumentType
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

from inspect_app.text import printable

FONT = "Times New Roman"
BODY = 14
TABLE = 12
QUOC_HIEU = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
TIEU_NGU = "Độc lập - Tự do - Hạnh phúc"
CENTER, LEFT, RIGHT, JUSTIFY = (WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.LEFT, WD_ALIGN_PARAGRAPH.RIGHT,
                                WD_ALIGN_PARAGRAPH.JUSTIFY)
TIEU_NGU_CM = 6.4  # "Độc lập - Tự do - Hạnh phúc" in 14 pt bold Times New Roman
_PPR_AFTER_BORDER = ("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:spacing", "w:ind", "w:jc")


def _fonts(rpr) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), FONT)


def new_document(title: str) -> DocumentType:
    """A4 portrait, margins 20/20/30/15 mm, Times New Roman 14, spacing 6 pt, page numbers from page 2."""
    doc = Document()
    doc.core_properties.title = printable(title)
    doc.core_properties.author = "Sổ Kiểm Tra"
    doc.core_properties.language = "vi-VN"
    normal = doc.styles["Normal"]
    normal.font.name = FONT
    normal.font.size = Pt(BODY)
    rpr = normal.element.get_or_add_rPr()
    _fonts(rpr)
    lang = OxmlElement("w:lang")
    lang.set(qn("w:val"), "vi-VN")
    rpr.append(lang)
    fmt = normal.paragraph_format
    fmt.space_before, fmt.space_after, fmt.line_spacing = Pt(0), Pt(6), 1.0
    section = doc.sections[0]
    _page(section, landscape=False)
    section.different_first_page_header_footer = True  # NĐ 30: no number on page 1
    header = section.header.paragraphs[0]
    header.alignment = CENTER
    _page_field(header)
    return doc


def _page(section, landscape: bool) -> None:
    section.orientation = WD_ORIENT.LANDSCAPE if landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (Mm(297), Mm(210)) if landscape else (Mm(210), Mm(297))
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    section.header_distance = Mm(10)


def _page_field(paragraph: Paragraph) -> None:
    """A PAGE field, centred in the top margin, size 14 as the body."""
    run = paragraph.add_run()
    run.font.size = Pt(BODY)
    for kind, text in (("begin", None), (None, " PAGE "), ("separate", None), (None, "2"), ("end", None)):
        if kind:
            el = OxmlElement("w:fldChar")
            el.set(qn("w:fldCharType"), kind)
        elif text == " PAGE ":
            el = OxmlElement("w:instrText")
            el.set(qn("xml:space"), "preserve")
            el.text = text
        else:
            el = OxmlElement("w:t")
            el.text = text
        run._r.append(el)


def landscape_section(doc: DocumentType) -> None:
    """Start a landscape page (NĐ 30 allows it for a wide table kept in the body)."""
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    _page(section, landscape=True)
    section.different_first_page_header_footer = False


def portrait_section(doc: DocumentType) -> None:
    section = doc.add_section(WD_SECTION.NEW_PAGE)
    _page(section, landscape=False)
    section.different_first_page_header_footer = False


def text_width(doc: DocumentType) -> float:
    section = doc.sections[-1]
    return (section.page_width - section.left_margin - section.right_margin) / 360000  # EMU → cm


def para(container, text: str = "", *, bold: bool = False, italic: bool = False, size: float = BODY,
         align=JUSTIFY, indent: bool = True, after: float = 6, before: float = 0) -> Paragraph:
    """A body paragraph: justified with a 1 cm first-line indent unless told otherwise."""
    p = container.add_paragraph()
    p.alignment = align
    fmt = p.paragraph_format
    fmt.first_line_indent = Cm(1) if indent and align == JUSTIFY else None
    fmt.space_after, fmt.space_before = Pt(after), Pt(before)
    if text:
        run(p, text, bold=bold, italic=italic, size=size)
    return p


def run(p: Paragraph, text: str, *, bold: bool = False, italic: bool = False, size: float = BODY):
    r = p.add_run(printable(text))  # stored text may predate the control-character rule
    r.bold, r.italic = bold or None, italic or None
    r.font.size = Pt(size)
    r.font.name = FONT
    return r


def rule_below(p: Paragraph, indent_cm: float) -> None:
    """A drawn line under a paragraph (NĐ 30 asks for a line, not underlined text), narrowed by indents."""
    ppr = p._p.get_or_add_pPr()
    border = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    border.append(bottom)
    ppr.insert_element_before(border, *_PPR_AFTER_BORDER)
    p.paragraph_format.left_indent = Cm(indent_cm)
    p.paragraph_format.right_indent = Cm(indent_cm)


def _no_borders(table: Table) -> None:
    tbl_pr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tbl_pr.append(borders)


def _cell_para(cell, first: bool = True) -> Paragraph:
    return cell.paragraphs[0] if first and not cell.paragraphs[0].text else cell.add_paragraph()


def cell_line(cell, text: str, *, bold: bool = False, italic: bool = False, size: float = BODY,
              align=CENTER, after: float = 0) -> Paragraph:
    p = _cell_para(cell)
    p.alignment = align
    p.paragraph_format.space_after = Pt(after)
    p.paragraph_format.first_line_indent = None
    if text:
        run(p, text, bold=bold, italic=italic, size=size)
    return p


def _caps_width_cm(text: str, size: float) -> float:
    """Rough width of bold capitals in Times New Roman: 0.7 em per letter (good enough for a rule)."""
    return len(text) * size * 0.7 * 0.03528  # 1 pt = 0.03528 cm


def header_block(doc: DocumentType, *, parent: str, body: str, number: str, place_date: str) -> None:
    """The top of page 1: issuing body and số/ký hiệu on the left, quốc hiệu, tiêu ngữ and the
    place-date line on the right (NĐ 30 "sơ đồ thể thức")."""
    width = text_width(doc)
    left_w = 6.6 if width < 20 else 9.0
    table = doc.add_table(rows=2, cols=2)
    _no_borders(table)
    table.autofit = False
    for row in table.rows:
        row.cells[0].width, row.cells[1].width = Cm(left_w), Cm(width - left_w)
    left, right = table.rows[0].cells
    if parent:
        cell_line(left, parent, size=13)
    body_p = cell_line(left, body, bold=True, size=13, after=2)
    # NĐ 30: the line under the issuing body is a third to a half of the name's length, centred.
    rule_below(body_p, indent_cm=max(0.8, (left_w - 0.4 * _caps_width_cm(body, 13)) / 2))
    cell_line(right, QUOC_HIEU, bold=True, size=13)
    tieu_ngu = cell_line(right, TIEU_NGU, bold=True, size=14, after=2)
    rule_below(tieu_ngu, indent_cm=max(0.5, (width - left_w - TIEU_NGU_CM) / 2))
    number_cell, date_cell = table.rows[1].cells
    cell_line(number_cell, number, size=13, after=6)
    cell_line(date_cell, place_date, italic=True, size=14, after=6)


def _bold_width_cm(text: str, size: float) -> float:
    """Rough width of bold mixed-case Times New Roman: 0.45 em per character, spaces included (within a
    few per cent of Liberation Serif Bold's metrics on Vietnamese sentences; tests/test_nd30_details.py)."""
    return len(text) * size * 0.45 * 0.03528


SUMMARY_RULE_SHARE = 0.4  # NĐ 30 Phụ lục I: the line under the trích yếu is 1/3 to 1/2 of the text's line


def title_block(doc: DocumentType, kind: str, summary: str) -> None:
    """Tên loại (capitals, bold) and trích yếu (bold), centred, with a line below measured on the
    summary's own (longest) line: a summary that wraps fills the text width."""
    para(doc, kind, bold=True, align=CENTER, after=0, before=12)
    summary_p = para(doc, summary, bold=True, align=CENTER, after=12)
    line = min(_bold_width_cm(summary, BODY), text_width(doc))
    rule_below(summary_p, indent_cm=(text_width(doc) - SUMMARY_RULE_SHARE * line) / 2)


def signatures(doc: DocumentType, blocks: Sequence[tuple], *, left_note: list[str] | None = None,
               issued: bool = False) -> None:
    """Signature blocks side by side: ([title lines], name[, drawn signature or None]); `left_note` puts
    "Nơi nhận" on the left. A draft shows the form's hint under the title; an issued document only the
    blank signing space; a signature drawn on the tablet takes that space."""
    cols = 2
    rows = (len(blocks) + (1 if left_note else 0) + 1) // cols
    table = doc.add_table(rows=rows, cols=cols)
    _no_borders(table)
    cells = [c for r in table.rows for c in r.cells]
    if left_note:
        note_cell = cells.pop(0)
        cell_line(note_cell, "Nơi nhận:", bold=True, italic=True, size=12, align=LEFT)
        for line in left_note:
            cell_line(note_cell, line, size=11, align=LEFT)
    for cell, (titles, name, *drawn) in zip(cells, blocks):
        for title in titles:
            cell_line(cell, title, bold=True, size=14)
        signature = drawn[0] if drawn else None  # reports.visit_doc.SignatureImage, drawn on the tablet
        if signature is not None:
            _signature_picture(cell, signature)
        else:
            hint = "" if issued else "(Ký, ghi rõ họ tên)" if not left_note else "(Ký, đóng dấu)"
            cell_line(cell, hint, italic=True, size=13)
            for _ in range(3):
                cell_line(cell, "", size=14)
        cell_line(cell, name, bold=True, size=14, after=12)


def _signature_picture(cell, signature) -> None:
    """The drawn signature in the room the hint and blank lines leave for a pen (about 2 cm high)."""
    line = cell_line(cell, "" if signature.image else "(đã ký trên máy tính bảng)", italic=True, size=13)
    if signature.image:
        line.add_run().add_picture(signature.image, height=Cm(2.0))
    if not signature.current:
        cell_line(cell, "(chữ ký trên phiên bản trước của biên bản)", italic=True, size=11)


# ---------------------------------------------------------------- tables


def _cell_xml(width_cm: float, align: str, bold: bool, size: float, span: int = 1):
    tc = OxmlElement("w:tc")
    tc_pr = OxmlElement("w:tcPr")
    tcw = OxmlElement("w:tcW")
    tcw.set(qn("w:w"), str(int(width_cm * 567)))
    tcw.set(qn("w:type"), "dxa")
    tc_pr.append(tcw)
    if span > 1:
        grid = OxmlElement("w:gridSpan")
        grid.set(qn("w:val"), str(span))
        tc_pr.append(grid)
    tc.append(tc_pr)
    p = OxmlElement("w:p")
    ppr = OxmlElement("w:pPr")
    spacing = OxmlElement("w:spacing")
    spacing.set(qn("w:after"), "0")
    ppr.append(spacing)
    jc = OxmlElement("w:jc")
    jc.set(qn("w:val"), align)
    ppr.append(jc)
    p.append(ppr)
    r = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    if bold:
        rpr.append(OxmlElement("w:b"))
    sz = OxmlElement("w:sz")
    sz.set(qn("w:val"), str(int(size * 2)))
    rpr.append(sz)
    r.append(rpr)
    t = OxmlElement("w:t")
    t.set(qn("xml:space"), "preserve")
    r.append(t)
    p.append(r)
    tc.append(p)
    return tc


def _row_xml(cells) -> object:
    tr = OxmlElement("w:tr")
    for tc in cells:
        tr.append(tc)
    return tr


def _fill(tr, values: Sequence[str]) -> None:
    for t, value in zip(list(tr.iter(qn("w:t"))), values):
        first, *more = printable(str(value)).split("\n")
        t.text = first
        r = t.getparent()
        for line in more:  # a line break inside the cell
            r.append(OxmlElement("w:br"))
            extra = OxmlElement("w:t")
            extra.set(qn("xml:space"), "preserve")
            extra.text = line
            r.append(extra)


def data_table(doc: DocumentType, headers: Sequence[str], widths: Sequence[float], rows: Sequence[Sequence[str]],
               *, aligns: Sequence[str] | None = None, size: float = TABLE) -> Table:
    """A bordered table with a bold header row repeated on every page; rows are lists of texts.

    A row given as ("§", text) is a full-width band (an area heading inside the findings table).
    """
    aligns = aligns or ["left"] * len(headers)
    table = doc.add_table(rows=0, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    grid = table._tbl.tblGrid
    for col, width in zip(grid.iter(qn("w:gridCol")), widths):
        col.set(qn("w:w"), str(int(width * 567)))
    head = _row_xml([_cell_xml(w, "center", True, size) for w in widths])
    tr_pr = OxmlElement("w:trPr")
    tr_pr.append(OxmlElement("w:tblHeader"))
    tr_pr.append(OxmlElement("w:cantSplit"))
    head.insert(0, tr_pr)
    _fill(head, headers)
    table._tbl.append(head)
    proto = _row_xml([_cell_xml(w, a, False, size) for w, a in zip(widths, aligns)])
    band = _row_xml([_cell_xml(sum(widths), "left", True, size, span=len(widths))])
    for values in rows:
        if len(values) == 2 and values[0] == "§":
            tr = copy.deepcopy(band)
            _fill(tr, [values[1]])
        else:
            tr = copy.deepcopy(proto)
            _fill(tr, values)
        table._tbl.append(tr)
    return table


def picture_cell(table: Table, row_index: int, col: int, path: str, width_cm: float) -> None:
    """Put an image in a cell written by `data_table` (its one run, emptied of text)."""
    paragraph = table.rows[row_index].cells[col].paragraphs[0]
    target = paragraph.runs[0] if paragraph.runs else paragraph.add_run()
    target.add_picture(path, width=Cm(width_cm))
