"""The register of outgoing documents (sổ đăng ký văn bản đi) and the frozen PDFs it names."""

from __future__ import annotations

import msgspec

from inspect_app.db import Database, Tx
from inspect_app.queries import as_struct, as_structs

ENTRY_COLUMNS = ("id, doc_id, issuer, year, number, symbol, kind, visit_id, issued_at, issued_on, summary,"
                 " recipients, signer, signed, sha256")


class NewEntry(msgspec.Struct, frozen=True):
    """A line of the register before it is written."""

    doc_id: str
    issuer: str
    year: int
    number: int
    symbol: str
    kind: str
    visit_id: int
    issued_at: str
    issued_on: str
    summary: str
    recipients: str
    signer: str
    signed: bool
    sha256: str


class RegisterEntry(NewEntry, frozen=True):
    """One line of the register as stored (without the PDF itself)."""

    id: int


async def for_visit(db: Database | Tx, visit_id: int, kind: str) -> RegisterEntry | None:
    row = await db.fetch_one(f"SELECT {ENTRY_COLUMNS} FROM issued_documents WHERE visit_id = ? AND kind = ?",
                             (visit_id, kind))
    return as_struct(RegisterEntry, row) if row else None


async def by_sha256(db: Database, sha256: str) -> RegisterEntry | None:
    row = await db.fetch_one(f"SELECT {ENTRY_COLUMNS} FROM issued_documents WHERE sha256 = ?", (sha256,))
    return as_struct(RegisterEntry, row) if row else None


async def by_doc_id(db: Database, doc_id: str) -> RegisterEntry | None:
    row = await db.fetch_one(f"SELECT {ENTRY_COLUMNS} FROM issued_documents WHERE doc_id = ?", (doc_id,))
    return as_struct(RegisterEntry, row) if row else None


async def frozen_pdf(db: Database, visit_id: int, kind: str) -> tuple[bytes, str] | None:
    """(the PDF as issued, its register symbol) or None while the document is not issued."""
    row = await db.fetch_one("SELECT pdf, number, symbol FROM issued_documents WHERE visit_id = ? AND kind = ?",
                             (visit_id, kind))
    return (bytes(row["pdf"]), f"{row['number']:02d}-{row['symbol']}") if row else None


async def last_number(db: Database | Tx, issuer: str, year: int) -> int:
    """The highest number the issuer has given this year (0 before the first)."""
    row = await db.fetch_one("SELECT COALESCE(MAX(number), 0) AS n FROM issued_documents WHERE issuer = ? AND year = ?",
                             (issuer, year))
    return int(row["n"]) if row else 0


async def insert(tx: Tx, entry: NewEntry, pdf: bytes, issued_by: int | None) -> int:
    values = msgspec.structs.asdict(entry)
    columns = ", ".join(values)
    return await tx.execute(
        f"INSERT INTO issued_documents ({columns}, pdf, issued_by) VALUES ({', '.join('?' * len(values))}, ?, ?)",
        (*values.values(), pdf, issued_by))


async def listing(db: Database, year: int | None = None) -> list[RegisterEntry]:
    """The register in issuing order, optionally of one year."""
    where, params = ("WHERE year = ?", (year,)) if year else ("", ())
    rows = await db.fetch_all(f"SELECT {ENTRY_COLUMNS} FROM issued_documents {where} ORDER BY issuer, year, number",
                              params)
    return as_structs(RegisterEntry, rows)
