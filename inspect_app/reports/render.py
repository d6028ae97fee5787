"""Report → file: assemble the data, then render the asked format off the event loop.

Shared by the web jobs and the command line, so both produce the same bytes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from pathlib import Path

from inspect_app.db import Database
from inspect_app.reports import docx_plan, docx_visit, html, pdf, xlsx
from inspect_app.reports.periodic_data import build_periodic
from inspect_app.reports.plan_data import DEFAULT_THRESHOLD, PlanReport, build_plan_report, no_progress
from inspect_app.reports.visit_doc import document_filename, require_visit_doc
from inspect_app.services.errors import Refused

PLAN_FORMATS = ("docx", "xlsx", "html", "pdf")
VISIT_FORMATS = ("docx", "html", "pdf")
PERIODIC_FORMATS = ("docx", "xlsx")
Progress = Callable[[int, int, str], None]


def check_format(fmt: str, allowed: tuple[str, ...]) -> str:
    if fmt not in allowed:
        raise Refused(400, "bad_format", f"Định dạng phải là một trong: {', '.join(allowed)}.")
    return fmt


def plan_filename(report: PlanReport, fmt: str) -> str:
    return f"bao-cao-ket-qua-kiem-tra-{report.plan.number.replace('/', '-')}.{fmt}"


async def plan_file(db: Database, plan_id: int, fmt: str, *, threshold: float = DEFAULT_THRESHOLD,
                    progress: Progress = no_progress, today: date | None = None) -> tuple[bytes, str]:
    """The plan's consolidated report as DOCX, XLSX, standalone HTML or PDF (bytes, file name)."""
    check_format(fmt, PLAN_FORMATS)
    report = await build_plan_report(db, plan_id, threshold=threshold, progress=progress, today=today)
    if report is None:
        raise Refused(404, "not_found", "Không tìm thấy kế hoạch này.")
    return await plan_bytes(report, fmt, progress), plan_filename(report, fmt)


async def plan_bytes(report: PlanReport, fmt: str, progress: Progress = no_progress) -> bytes:
    def step(text: str) -> None:
        progress(1, 1, text)

    progress(1, 1, "Đang tạo tệp")
    if fmt == "docx":
        return await asyncio.to_thread(docx_plan.plan_docx, report, step)
    if fmt == "xlsx":
        return await asyncio.to_thread(xlsx.plan_xlsx, report, step)
    if fmt == "pdf":
        return await pdf.plan_pdf(report)
    return (await asyncio.to_thread(html.plan_html, report, standalone=True)).encode()


async def visit_file(db: Database, evidence_root: Path, visit_id: int, kind: str, fmt: str,
                     *, standalone: bool = True, issued: bool = False) -> tuple[bytes, str]:
    """The minutes ("minutes") or the conclusion notice ("notice") of a visit; `issued` drops the form's
    signing hints (an issued document), a draft keeps them."""
    check_format(fmt, VISIT_FORMATS)
    if fmt == "pdf":
        return await pdf.visit_pdf(db, evidence_root, visit_id, kind, issued=issued)
    doc = await require_visit_doc(db, visit_id, evidence_root)
    name = document_filename(doc, kind, fmt)
    if fmt == "docx":
        builder = docx_visit.minutes_docx if kind == "minutes" else docx_visit.notice_docx
        return await asyncio.to_thread(builder, doc, issued=issued), name
    return (await asyncio.to_thread(html.visit_html, kind, doc, standalone=standalone, issued=issued)).encode(), name


async def periodic_file(db: Database, year: int, quarter: int | None, fmt: str, *,
                        threshold: float = DEFAULT_THRESHOLD, progress: Progress = no_progress,
                        today: date | None = None) -> tuple[bytes, str]:
    check_format(fmt, PERIODIC_FORMATS)
    check_period(year, quarter)
    report = await build_periodic(db, year, quarter, threshold=threshold, progress=progress, today=today)
    issuer = report.plans[0].plan.issuer if report.plans else "Ủy ban nhân dân"
    province = report.plans[0].plan.province_name if report.plans else None
    progress(1, 1, "Đang tạo tệp")
    if fmt == "docx":
        data = await asyncio.to_thread(docx_plan.periodic_docx, report, issuer, province)
    else:
        data = await asyncio.to_thread(xlsx.periodic_xlsx, report)
    period = f"{year}" if quarter is None else f"quy-{quarter}-{year}"
    return data, f"bao-cao-kiem-tra-cchc-{period}.{fmt}"


def check_period(year: int, quarter: int | None) -> None:
    if not 2000 <= year <= 2100:
        raise Refused(400, "bad_period", "Năm báo cáo không hợp lệ (2000–2100).")
    if quarter is not None and quarter not in (1, 2, 3, 4):
        raise Refused(400, "bad_period", "Quý phải là 1, 2, 3 hoặc 4.")
