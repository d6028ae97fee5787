"""The evidence package (hồ sơ tài liệu kiểm chứng) of one unit for one checklist version.

A ZIP with one folder per criterion code ("1.1", "1.2", …) holding the unit's self-assessment evidence
(and, once the visit is signed off, the team's photos and documents), each file named
`<item code>_<n>_<short title>.<ext>`, and at its root the list ("Danh mục tài liệu kiểm chứng") as
XLSX and DOCX with every file's SHA-256. The ZIP is written to disk file by file, in chunks, so a
200 MB package never sits in memory; `verify_folder` checks an unzipped package against its list.

Before sign-off the package holds only what the unit itself gave: the team's findings and photos
are not the unit's to see yet (the same rule as the visit documents).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import os
import re
import secrets
import shutil
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import msgspec
import openpyxl
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from inspect_app.checklists import Checklist, Item, score_checklist
from inspect_app.checklists.conditions import SKIPPED_LABEL
from inspect_app.db import Database
from inspect_app.models import Evidence, Visit
from inspect_app.queries import evidence as evidence_q
from inspect_app.queries import findings as findings_q
from inspect_app.queries import self_assessment as self_q
from inspect_app.reports import nd30
from inspect_app.reports.rules import SIGNED
from inspect_app.services.answers import answer_label, decode
from inspect_app.services.attach import stored_file
from inspect_app.services.checklist_store import checklist_version
from inspect_app.text import fold, official_date, printable, short_date, vn_number
from inspect_app.services.errors import Refused

LIST_NAME = "danh-muc-tai-lieu-kiem-chung"
LIST_TITLE = "Danh mục tài liệu kiểm chứng"
TITLE_LIMIT = 40
CHUNK = 1024 * 1024
SOURCE_UNIT, SOURCE_TEAM = "Đơn vị", "Đoàn kiểm tra"
# Columns of the list; `verify_folder` reads the file and hash columns back by these headers.
HEAD = ["STT", "Mã", "Tiêu chí thành phần", "Tự chấm", "Thẩm định", "Tối đa", "Tệp trong hồ sơ", "Tiêu đề",
        "Nguồn", "Trang / kích thước", "Ngày", "SHA-256", "Giải trình", "Ghi chú"]
FILE_COLUMN, HASH_COLUMN = HEAD.index("Tệp trong hồ sơ"), HEAD.index("SHA-256")
# Photos and PDFs are compressed already: storing them is faster and no larger.
EXTENSIONS = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "application/pdf": "pdf"}


class PackageFile(msgspec.Struct, kw_only=True):
    """One file of the package, before and after it is written (`sha256` and `detail` are filled then)."""

    item_code: str
    arcname: str  # path inside the ZIP: "<criterion>/<item>_<n>_<title>.<ext>"
    title: str  # the Vietnamese title, for the list
    source: str  # SOURCE_UNIT or SOURCE_TEAM
    path: str  # on disk, under the evidence root
    kind: str
    width: int | None = None
    height: int | None = None
    date: str = ""
    sha256: str = ""
    detail: str = ""  # "3 trang" or "2048×1536 px"
    missing: bool = False  # its row is there but the file is not on the server any more: listed, not packed


class PackageItem(msgspec.Struct, kw_only=True):
    code: str
    text: str
    self_points: float | None
    appraised_points: float | None
    max_points: float
    answer: str
    explanation: str
    min_count: int
    files: list[PackageFile]

    @property
    def unit_files(self) -> int:
        return sum(1 for f in self.files if f.source == SOURCE_UNIT and not f.missing)

    @property
    def lacking(self) -> bool:
        """The unit's own evidence is below the checklist's `min_count` for this item."""
        return self.unit_files < self.min_count


class Package(msgspec.Struct, kw_only=True):
    visit: Visit
    checklist: Checklist
    signed: bool
    submitted_at: str | None
    draft: bool  # the unit's unsubmitted answers are in it (a package built by the unit, for the unit)
    items: list[PackageItem]
    self_total: float | None
    appraised_total: float | None
    max_total: float

    @property
    def files(self) -> list[PackageFile]:
        """The files to pack (those still on the server)."""
        return [f for item in self.items for f in item.files if not f.missing]


def short_title(caption: str, original_name: str, item_text: str) -> str:
    """The caption, else the file name (without extension), else the item text, folded to [a-z0-9-]."""
    stem = original_name.rsplit(".", 1)[0] if "." in original_name else original_name
    for candidate in (caption, stem, item_text):
        folded = _ascii_slug(candidate)
        if folded:
            return folded
    return "tai-lieu"


def _ascii_slug(text: str) -> str:
    # text.fold drops the diacritics (đ→d) and lowers; what is still not [a-z0-9] becomes a dash.
    slug = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")
    return slug[:TITLE_LIMIT].rstrip("-")


def entry_name(item_code: str, n: int, title: str, media_type: str) -> str:
    """`<criterion code>/<item code>_<n>_<title>.<ext>`: unique by (item, n), safe on Windows and in Zalo."""
    criterion = item_code.rsplit(".", 1)[0]
    return f"{criterion}/{item_code}_{n}_{title}.{EXTENSIONS.get(media_type, 'bin')}"


def _file(root: Path, ev: Evidence, item: Item, n: int, source: str) -> PackageFile:
    size = "original" if ev.kind == "document" else "display"
    try:
        path, media_type = stored_file(root, ev, size)
        missing = not path.is_file()
    except (Refused, KeyError, msgspec.DecodeError):
        path, media_type, missing = Path(), ev.media_type, True
    title = ev.caption or ev.original_name or item.text
    slug = short_title(ev.caption, ev.original_name, item.text)
    day = (ev.captured_at or ev.uploaded_at or "")[:10]
    return PackageFile(item_code=item.code, arcname=entry_name(item.code, n, slug, media_type), title=title,
                       source=source, path=str(path), kind=ev.kind, width=ev.width, height=ev.height, date=day,
                       missing=missing)


async def gather(db: Database, evidence_root: Path, visit: Visit, *, with_draft: bool = False) -> Package:
    """Everything the package holds, read in a handful of queries (files are read later, when written).

    The unit's self-assessment is in it once submitted; its draft only with `with_draft` (the unit's own
    package: a draft is the unit's until it submits, as everywhere else in the app)."""
    checklist = await checklist_version(db, visit.checklist_id, visit.checklist_version)
    assessment = await self_q.get_for_visit(db, visit.id)
    submitted = assessment is not None and assessment.status == "submitted"
    if assessment is not None and not (submitted or with_draft):
        assessment = None
    self_rows = await self_q.answers(db, assessment.id) if assessment else []
    self_files = await evidence_q.list_for_assessment(db, assessment.id) if assessment else []
    signed = visit.status in SIGNED
    team_rows = await findings_q.list_findings(db, visit.id) if signed else []
    team_files = await evidence_q.list_for_visit(db, visit.id) if signed else []
    mine = {r.item_code: decode(r.answer_json) for r in self_rows}
    theirs = {r.item_code: decode(r.answer_json) for r in team_rows}
    own = score_checklist(checklist, mine) if mine else None
    team = score_checklist(checklist, theirs) if signed else None
    notes = {r.item_code: r.note for r in self_rows}
    items = []
    for item in checklist.items():
        files: list[PackageFile] = []
        for source, rows in ((SOURCE_UNIT, self_files), (SOURCE_TEAM, team_files)):
            for ev in rows:
                if ev.item_code == item.code:
                    files.append(_file(evidence_root, ev, item, len(files) + 1, source))
        answer = mine.get(item.code)
        applied = team if team is not None else own  # the conditions as the answers that count decide them
        skipped = applied is not None and applied.items[item.code].skipped
        items.append(PackageItem(
            code=item.code, text=item.text, max_points=item.max_points, min_count=item.evidence.min_count,
            self_points=own.items[item.code].points if own and answer else None,
            appraised_points=team.items[item.code].points if team and item.code in theirs else None,
            answer=SKIPPED_LABEL if skipped else answer_label(answer, item) if answer else "",
            explanation=notes.get(item.code, ""),
            files=files))
    return Package(visit=visit, checklist=checklist, signed=signed, draft=assessment is not None and not submitted,
                   submitted_at=assessment.submitted_at if submitted else None,
                   items=items, self_total=own.points if own else None,
                   appraised_total=team.points if team else None, max_total=score_checklist(checklist, {}).max_points)


def latest_path(data_dir: Path, visit_id: int, *, unit: bool = False) -> Path:
    """Where the latest built package of a visit is kept (outside static/, served only through the route):
    one for the unit (its draft included) and one for everyone else (submitted answers only)."""
    return Path(data_dir) / "packages" / (f"visit-{visit_id}-don-vi.zip" if unit else f"visit-{visit_id}.zip")


def publish(built: Path, latest: Path) -> None:
    """Make `built` the latest package, atomically: a second name for the same bytes where the
    filesystem allows (else a copy), renamed over the old one. A reader of the old file keeps it whole."""
    tmp = latest.with_name(f".{latest.name}.{secrets.token_hex(6)}.part")
    latest.parent.mkdir(parents=True, exist_ok=True)
    try:
        try:
            os.link(built, tmp)
        except OSError:
            shutil.copyfile(built, tmp)
        os.replace(tmp, latest)
    finally:
        tmp.unlink(missing_ok=True)


def download_name(visit: Visit) -> str:
    return f"ho-so-kiem-chung-{visit.unit_code}-{_ascii_slug(visit.unit_name)}.zip"


async def build(db: Database, evidence_root: Path, target: Path, visit: Visit,
                progress: Callable[[int, int, str], None] | None = None, *,
                with_draft: bool = False) -> tuple[Package, int]:
    """Gather the package and write it to `target` (in a worker thread); returns it and its size."""
    package = await gather(db, evidence_root, visit, with_draft=with_draft)
    size = await asyncio.to_thread(write_zip, package, target, progress)
    return package, size


# ---------------------------------------------------------------------------------------------- writing

def write_zip(package: Package, target: Path, progress: Callable[[int, int, str], None] | None = None) -> int:
    """Write the package to `target` (via a temporary file and a rename); returns its size in bytes.

    Synchronous and I/O-bound: the web layer runs it in a worker thread. Each file is copied in 1 MB
    chunks, hashed on the way, so memory stays flat whatever the package's size.
    """
    files = package.files
    total = len(files) + 2
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.part")  # two builds never share one
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            for index, packed in enumerate(files):
                if progress:
                    progress(index, total, f"Đang đóng gói tệp {index + 1}/{len(files)}")
                _copy_into(archive, packed)
            if progress:
                progress(len(files), total, "Đang lập danh mục")
            for name, data in ((f"{LIST_NAME}.xlsx", list_xlsx(package)), (f"{LIST_NAME}.docx", list_docx(package))):
                archive.writestr(_info(name, zipfile.ZIP_DEFLATED), data)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    if progress:
        progress(total, total, "Hoàn thành")
    return target.stat().st_size


def _info(name: str, compress_type: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=datetime.now().timetuple()[:6])
    info.compress_type = compress_type
    info.flag_bits |= 0x800  # names are UTF-8 (they are ASCII anyway; unzip then prints no warning)
    info.external_attr = 0o644 << 16
    return info


def _copy_into(archive: zipfile.ZipFile, packed: PackageFile) -> None:
    digest = hashlib.sha256()
    try:
        source = open(packed.path, "rb")
    except OSError:  # gone since it was gathered: listed as missing, never a failed package
        packed.missing = True
        return
    with source, archive.open(_info(packed.arcname, zipfile.ZIP_STORED), "w", force_zip64=True) as sink:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            sink.write(chunk)
    packed.sha256 = digest.hexdigest()
    packed.detail = _detail(packed)


def _detail(packed: PackageFile) -> str:
    if packed.kind == "document":
        pages = pdf_pages(packed.path)
        return f"{pages} trang" if pages else "PDF"
    if packed.width and packed.height:
        return f"{packed.width}×{packed.height} px"
    return ""


def pdf_pages(path: str | Path) -> int | None:
    """Page count of a PDF as received (None when pypdf cannot read it: the file is still packed)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        return len(PdfReader(path).pages)
    except (PyPdfError, ValueError, OSError, KeyError, TypeError):
        return None


def _points(value: float | None) -> str:
    return "" if value is None else vn_number(value)


def list_rows(package: Package) -> list[list[str]]:
    """The list's rows: one per file, or one per item without a file; items short of evidence noted."""
    rows, number = [], 0
    for item in package.items:
        lacking = (f"Thiếu tài liệu kiểm chứng: có {item.unit_files}, cần tối thiểu {item.min_count}"
                   if item.lacking else "")
        base = [item.code, item.text, _points(item.self_points), _points(item.appraised_points),
                _points(item.max_points)]
        for packed in item.files or [None]:
            number += 1
            if packed is None:
                rows.append([str(number), *base, "", "", "", "", "", "", item.explanation, lacking])
            elif packed.missing:
                gone = "Tệp không còn trên máy chủ, không có trong hồ sơ"
                rows.append([str(number), *base, "", packed.title, packed.source, "", short_date(packed.date), "",
                             item.explanation, "; ".join(n for n in (gone, lacking) if n)])
            else:
                rows.append([str(number), *base, packed.arcname, packed.title, packed.source, packed.detail,
                             short_date(packed.date), packed.sha256, item.explanation, lacking])
    return [[printable(cell) for cell in row] for row in rows]


def _summary(package: Package) -> list[tuple[str, str]]:
    visit = package.visit
    lines = [("Đơn vị", visit.unit_name), ("Kế hoạch", visit.plan_number),
             ("Bộ tiêu chí", f"{package.checklist.title} (phiên bản {package.checklist.version})"),
             ("Tự chấm", f"{_points(package.self_total) or '–'}/{_points(package.max_total)} điểm"
              + (f", nộp ngày {short_date(package.submitted_at)}" if package.submitted_at
                 else ", bản nháp chưa nộp" if package.draft else ", đơn vị chưa nộp tự đánh giá"))]
    if package.signed:
        lines.append(("Thẩm định của Đoàn kiểm tra", f"{_points(package.appraised_total)}/{_points(package.max_total)} điểm"))
    else:
        lines.append(("Thẩm định của Đoàn kiểm tra", "chưa ký duyệt: hồ sơ chỉ gồm tài liệu của đơn vị"))
    lacking = [item.code for item in package.items if item.lacking]
    lines.append(("Tiêu chí thiếu tài liệu kiểm chứng", ", ".join(lacking) if lacking else "không có"))
    lines.append(("Số tệp", str(len(package.files))))
    return lines


def list_xlsx(package: Package) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Danh mục"
    sheet.append([LIST_TITLE])
    sheet["A1"].font = Font(bold=True, size=14)
    for label, value in _summary(package):
        sheet.append([label, printable(value)])
    sheet.append([])
    header_row = sheet.max_row + 1
    sheet.append(HEAD)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in sheet[header_row]:
        cell.font, cell.fill = Font(bold=True), fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in list_rows(package):
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            cell.data_type = "s"  # an explanation starting with "=" stays text
    for index, width in enumerate((5, 8, 40, 8, 9, 7, 40, 30, 13, 14, 11, 66, 40, 30), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = sheet.cell(row=header_row + 1, column=1)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def list_docx(package: Package) -> bytes:
    doc = nd30.new_document(f"{LIST_TITLE} - {package.visit.unit_name}")
    nd30.header_block(doc, parent="", body=package.visit.unit_name.upper(), number="",
                      place_date=official_date(datetime.now().date()))
    nd30.title_block(doc, "DANH MỤC", f"Tài liệu kiểm chứng phục vụ chấm điểm Chỉ số cải cách hành chính – "
                                      f"{package.checklist.title}")
    for label, value in _summary(package):
        nd30.para(doc, f"{label}: {value}.", indent=False, after=2)
    nd30.landscape_section(doc)
    head = ["STT", "Mã", "Tiêu chí thành phần", "Tự chấm", "Thẩm định", "Tối đa", "Tệp", "Tiêu đề", "Trang / kích thước",
            "Ngày", "SHA-256", "Giải trình, ghi chú"]
    rows = [[r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[9], r[10], r[11],
             "\n".join(part for part in (r[12], r[13]) if part)] for r in list_rows(package)]
    width = nd30.text_width(doc)
    shares = [0.8, 1.1, 4.2, 1.1, 1.2, 1.0, 3.6, 2.8, 1.7, 1.6, 3.0, 3.4]
    scale = width / sum(shares)
    nd30.data_table(doc, head, [s * scale for s in shares], rows, size=9,
                    aligns=["center", "center", "left", "right", "right", "right", "left", "left", "left",
                            "center", "left", "left"])
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------- checking

class Verification(msgspec.Struct):
    changed: list[str]
    missing: list[str]
    added: list[str]

    @property
    def ok(self) -> bool:
        return not (self.changed or self.missing or self.added)


def verify_folder(folder: Path) -> Verification:
    """Compare an unzipped package with its list: files changed (hash), missing, or added."""
    listed = read_list(folder / f"{LIST_NAME}.xlsx")
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
    present -= {f"{LIST_NAME}.xlsx", f"{LIST_NAME}.docx"}
    changed, missing = [], []
    for name, expected in listed.items():
        if name not in present:
            missing.append(name)
        elif _sha256(folder / name) != expected:
            changed.append(name)
    return Verification(sorted(changed), sorted(missing), sorted(present - set(listed)))


def read_list(path: Path) -> dict[str, str]:
    """{path in the package: SHA-256} from the XLSX list."""
    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    listed: dict[str, str] = {}
    in_table = False
    for row in workbook.active.iter_rows(values_only=True):
        cells = ["" if v is None else str(v) for v in row]
        if not in_table:
            in_table = cells[: len(HEAD)] == HEAD
            continue
        if len(cells) > HASH_COLUMN and cells[FILE_COLUMN]:
            listed[cells[FILE_COLUMN]] = cells[HASH_COLUMN]
    workbook.close()
    if not in_table:
        raise ValueError("no list table")
    return listed


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
