"""Documents as PDF, derived from their print HTML (no third layout): the one place other parts call.

`html_to_pdf` turns a print-ready page into an A4 PDF with real, selectable text and embedded fonts
(Liberation Serif stands in for Times New Roman, metric-compatible); `visit_pdf` and `plan_pdf` render
the minutes, the conclusion notice and the plan report. The engine (headless Chromium, reports/chromium.py)
runs in a worker thread, never inside a database transaction, at most RENDERS_AT_ONCE at a time, and
with a timeout: a missing, failing or stuck engine is a 503 with a Vietnamese message, never a hang.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

from inspect_app.db import Database
from inspect_app.reports import chromium, html
from inspect_app.reports.visit_doc import document_filename, require_visit_doc
from inspect_app.services.errors import Refused
from inspect_app.settings import ROOT

log = logging.getLogger(__name__)

RENDERS_AT_ONCE = 2  # each render is a browser of its own; more than the machine's 2 cores only queues
BASE_DIR = ROOT / "static"  # where a relative address in a print page points (the pages embed what they show)
UNAVAILABLE = "Không tạo được bản PDF lúc này (bộ tạo PDF không phản hồi). Vui lòng thử lại sau ít phút."
BUSY = "Máy chủ đang tạo nhiều bản PDF cùng lúc. Vui lòng thử lại sau ít phút."

_slots = threading.BoundedSemaphore(RENDERS_AT_ONCE)


def html_to_pdf(html_text: str, base_dir: Path | str | None = BASE_DIR, *,
                timeout: float = chromium.TIMEOUT_SECONDS) -> bytes:
    """A print-ready HTML page as PDF bytes (blocking: call it from a thread). 503 `pdf_unavailable`
    when the engine is missing, fails or exceeds `timeout`; 503 `pdf_busy` when every slot stays taken."""
    if not _slots.acquire(timeout=timeout):
        raise Refused(503, "pdf_busy", BUSY)
    try:
        return chromium.print_to_pdf(html_text, base_dir, timeout)
    except chromium.EngineError as exc:
        log.error("PDF engine failed: %s", exc)
        raise Refused(503, "pdf_unavailable", UNAVAILABLE) from None
    finally:
        _slots.release()


async def render_pdf(html_text: str, base_dir: Path | str | None = BASE_DIR) -> bytes:
    """`html_to_pdf` off the event loop."""
    return await asyncio.to_thread(html_to_pdf, html_text, base_dir)


async def visit_pdf(db: Database, evidence_dir: Path, visit_id: int, kind: str, *,
                    issued: bool = False) -> tuple[bytes, str]:
    """The minutes ("minutes") or the conclusion notice ("notice") of a visit as PDF: (bytes, file name).

    `issued`: the document goes out as issued, so the form's hints ("(Ký, ghi rõ họ tên)") are left out
    and only the blank signature space stays; a draft keeps them.
    """
    doc = await require_visit_doc(db, visit_id, evidence_dir)
    page = await asyncio.to_thread(html.visit_html, kind, doc, standalone=True, issued=issued)
    return await render_pdf(page), document_filename(doc, kind, "pdf")


async def plan_pdf(report) -> bytes:
    """The plan's consolidated report (an assembled `PlanReport`) as PDF."""
    page = await asyncio.to_thread(html.plan_html, report, standalone=True)
    return await render_pdf(page)
