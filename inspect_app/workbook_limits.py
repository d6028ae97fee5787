"""Limits on a received Excel workbook, checked before any parser reads it.

An .xlsx file is a ZIP of XML parts: 1.5 MB of ZIP can inflate to 1.5 GB of XML, which openpyxl
would read into memory. Every xlsx that comes in (the checklist import today, uploads later) passes
`check_workbook` first; the limits live here and nowhere else.

A real checklist workbook is about 40 KB zipped and 300 KB of XML; a province's unit list a few MB.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import BinaryIO

MAX_WORKBOOK_BYTES = 5 * 1024 * 1024  # the file as received
MAX_WORKBOOK_XML_BYTES = 20 * 1024 * 1024  # all its parts, decompressed
MAX_WORKBOOK_PARTS = 1_000  # files inside the ZIP
_CHUNK = 256 * 1024


class WorkbookRefused(Exception):
    """The workbook is not read; `message` says why, in Vietnamese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MB"


def check_workbook(source: str | Path | BinaryIO) -> None:
    """Refuse a workbook that is too big, as received or once decompressed, or not a ZIP at all.

    The declared sizes in the ZIP directory are checked first (cheap); then each part is inflated
    in chunks and counted, so a directory that lies is caught too, after at most the limit's worth
    of work and never more than a chunk in memory.
    """
    if isinstance(source, (str, Path)):
        size = Path(source).stat().st_size
    else:
        source.seek(0, 2)
        size = source.tell()
        source.seek(0)
    if size > MAX_WORKBOOK_BYTES:
        raise WorkbookRefused(f"Tệp Excel nặng {_mb(size)}, vượt giới hạn {_mb(MAX_WORKBOOK_BYTES)}: "
                              "hãy bỏ bớt các trang hoặc hình ảnh không cần thiết rồi gửi lại.")
    too_big = WorkbookRefused(f"Nội dung tệp Excel khi giải nén vượt giới hạn {_mb(MAX_WORKBOOK_XML_BYTES)}: "
                              "tệp có thể bị hỏng hoặc chứa dữ liệu bất thường; hãy lưu lại tệp bằng Excel "
                              "rồi gửi lại.")
    try:
        with zipfile.ZipFile(source) as archive:
            parts = archive.infolist()
            if len(parts) > MAX_WORKBOOK_PARTS:
                raise WorkbookRefused(f"Tệp Excel chứa {len(parts)} thành phần, nhiều bất thường: hãy lưu lại "
                                      "tệp bằng Excel rồi gửi lại.")
            if sum(part.file_size for part in parts) > MAX_WORKBOOK_XML_BYTES:
                raise too_big
            budget = MAX_WORKBOOK_XML_BYTES
            for part in parts:
                with archive.open(part) as stream:
                    while chunk := stream.read(_CHUNK):
                        budget -= len(chunk)
                        if budget < 0:
                            raise too_big
    except WorkbookRefused:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError, EOFError, ValueError):
        raise WorkbookRefused("Không mở được tệp Excel: tệp không ở dạng .xlsx hoặc đã bị hỏng; hãy mở bằng "
                              "Excel, lưu ở dạng .xlsx rồi gửi lại.") from None
    finally:
        if not isinstance(source, (str, Path)):
            source.seek(0)
