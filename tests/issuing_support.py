"""Helpers for the issuing tests: a tiny PDF maker in place of the report engine, signed-off visits."""

from __future__ import annotations

import io
from pathlib import Path

from pypdf import PdfWriter

import dbtarget

from inspect_app.settings import Settings


def tiny_pdf(text: str = "") -> bytes:
    """A valid one-page A4 PDF (pypdf, no engine); `text` goes into its document information."""
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.add_metadata({"/Title": text or "Tài liệu thử"})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


async def tiny_maker(db, evidence_dir: Path, visit_id: int, kind: str, stamp) -> bytes:
    return tiny_pdf(f"{kind} {visit_id} {stamp.number}")


async def broken_maker(db, evidence_dir: Path, visit_id: int, kind: str, stamp) -> bytes:
    raise RuntimeError("the engine crashed")


def sign_off_all(settings: Settings) -> list[int]:
    """Every demo visit marked signed off (issuing reads only the status); their ids."""
    dbtarget.sql(settings, "UPDATE visits SET status = 'signed_off'")
    return [r[0] for r in dbtarget.sql(settings, "SELECT id FROM visits ORDER BY id")]


def signed_off_visit(settings: Settings) -> int:
    return dbtarget.sql(settings, "SELECT id FROM visits WHERE status = 'signed_off' ORDER BY id LIMIT 1")[0][0]


def register_rows(settings: Settings) -> list[tuple]:
    return [tuple(r) for r in dbtarget.sql(settings, "SELECT issuer, year, number, kind, visit_id, sha256"
                                                    " FROM issued_documents ORDER BY number")]
