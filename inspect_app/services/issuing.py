"""Issuing a visit's document ("Phát hành"): number it in the issuer's register, freeze and sign its PDF.

NĐ 30/2020 Điều 15 and Phụ lục I (Phần I, mục II, khoản 3): a document's number is its order among
all the documents the issuer issues in the year (from 01 on 1 January to 31 December), unique for
the year and shared by paper and electronic copies; the ký hiệu is the type's abbreviation and the
issuer's ("15/TB-SNV"), numbers below 10 with a leading 0. So one sequence per issuer per year, across
document types.

The single database writer never waits for a PDF: the PDF is rendered and signed first, with the
number the register would give next, and only then does a short transaction take that number — if
someone took it meanwhile (the UNIQUE(issuer, year, number) of migration 0008 is the last word), the
document is rendered again with the next one. Within this process issuing is serialised per issuer,
so concurrent "Phát hành" calls wait their turn instead of rendering in vain. A failed render or
signature takes no number. Issuing twice returns the first issue.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import uuid
import weakref
from collections.abc import Awaitable, Callable
from pathlib import Path

import msgspec

from inspect_app.db import Database, IntegrityErrors, utc_now
from inspect_app.models import User, Visit
from inspect_app.permissions import can_issue_documents
from inspect_app.queries import audit, plans, register
from inspect_app.queries import reports as report_q
from inspect_app.reports import rules, wording
from inspect_app.services import plan_settings as ps
from inspect_app.services import signing
from inspect_app.services.errors import Refused
from inspect_app.settings import Settings

log = logging.getLogger(__name__)
KINDS = {"notice": ("TB", "Thông báo kết luận kiểm tra công tác cải cách hành chính tại {}"),
         "minutes": ("BB", "Biên bản kiểm tra công tác cải cách hành chính tại {}")}
MAX_ATTEMPTS = 5  # renders per call when another process keeps taking the number first


class IssueStamp(msgspec.Struct, frozen=True):
    """What an issued document prints that a draft does not (for the PDF engine's `stamp=`)."""

    doc_id: str
    number: str  # "15/TB-SNV"
    issued_on: str  # ISO date in Vietnam
    issuer_name: str
    authority: list[str]  # ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"]
    signer_name: str
    recipients: list[str]


class IssueOut(msgspec.Struct):
    number: str
    issued_at: str
    sha256: str


PdfMaker = Callable[[Database, Path, int, str, IssueStamp], Awaitable[bytes]]


async def engine_pdf(db: Database, evidence_dir: Path, visit_id: int, kind: str, stamp: IssueStamp) -> bytes:
    """The PDF from the report engine (inspect_app/reports/pdf.py): the print HTML as issued, with the stamp."""
    from inspect_app.reports.pdf import visit_pdf  # loads the engine's modules on the first issue only

    data, _ = await visit_pdf(db, evidence_dir, visit_id, kind, issued=True, stamp=stamp)
    return data


def number_text(number: int, symbol: str) -> str:
    return f"{number:02d}/{symbol}"


def out_of(entry: register.RegisterEntry) -> IssueOut:
    return IssueOut(number=number_text(entry.number, entry.symbol), issued_at=entry.issued_at, sha256=entry.sha256)


# One lock per issuer and event loop (a lock that once waited belongs to its loop; tests run several).
_locks: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, asyncio.Lock]] = weakref.WeakKeyDictionary()


def _lock(issuer: str) -> asyncio.Lock:
    return _locks.setdefault(asyncio.get_running_loop(), {}).setdefault(issuer, asyncio.Lock())


class _Taken(Exception):
    """The number was taken between the render and the write."""


async def issuable(db: Database, visit: Visit, kind: str) -> bool:
    """The notice always; the minutes when the plan says the Sở issues them."""
    if kind == "notice":
        return True
    return await ps.value_of(db, visit.plan_id, ps.MINUTES_ISSUER) == "department"


async def issue(db: Database, settings: Settings, actor: User, visit: Visit, kind: str, *,
                maker: PdfMaker | None = None, ip: str = "") -> IssueOut:
    """Issue the visit's `kind` document (or return its earlier issue)."""
    if not can_issue_documents(actor):
        raise Refused(403, "forbidden", "Chỉ Sở Nội vụ được phát hành văn bản.")
    if kind not in KINDS:
        raise Refused(404, "not_found", "Không có loại văn bản này.")
    existing = await register.for_visit(db, visit.id, kind)
    if existing:
        return out_of(existing)
    if visit.status not in rules.SIGNED:
        raise Refused(409, "not_signed_off", "Chỉ phát hành được văn bản của cuộc kiểm tra đã được trưởng đoàn ký duyệt.")
    if not await issuable(db, visit, kind):
        raise Refused(409, "issued_by_team", "Theo thiết lập của kế hoạch, biên bản kiểm tra do Đoàn kiểm tra "
                                             "phát hành, không cấp số trong sổ văn bản đi của Sở.")
    values = await ps.values_of(db, visit.plan_id)
    issuer = values[ps.ISSUER_ABBREVIATION]
    async with _lock(issuer):
        for _ in range(MAX_ATTEMPTS):
            existing = await register.for_visit(db, visit.id, kind)
            if existing:  # issued by the call this one waited for
                return out_of(existing)
            today = rules.today_in_vietnam()
            number = await register.last_number(db, issuer, today.year) + 1
            stamp = await _stamp(db, visit, kind, values, number, today.isoformat())
            pdf = await _render_and_sign(db, settings, visit, kind, stamp, maker or engine_pdf)
            try:
                return await _record(db, actor, visit, kind, stamp, issuer, today.year, number, pdf,
                                     signed=signing.configured(settings), ip=ip)
            except (_Taken, *IntegrityErrors):
                log.info("number %s of %s/%s taken meanwhile; rendering again", number, issuer, today.year)
    raise Refused(503, "register_busy", "Sổ văn bản đi đang được cấp số liên tục; chưa cấp số cho văn bản này, "
                                        "hãy thử lại sau ít phút.")


async def _stamp(db: Database, visit: Visit, kind: str, values: dict[str, str], number: int,
                 issued_on: str) -> IssueStamp:
    signer = values[ps.SIGNER_NAME]
    if not signer:
        lead = next((m for m in await report_q.team_members(db, visit.team_id) if m.role == "truong_doan"), None)
        signer = lead.full_name if lead else ""
    recipients = values[ps.RECIPIENTS].split("\n") if values[ps.RECIPIENTS] else wording.default_recipients(
        wording.unit_subject(visit), (await plans.get_plan(db, visit.plan_id)).issuer)
    return IssueStamp(doc_id=uuid.uuid4().hex, number=number_text(number, f"{KINDS[kind][0]}-{values[ps.ISSUER_ABBREVIATION]}"),
                      issued_on=issued_on, issuer_name=values[ps.ISSUER_NAME],
                      authority=[part.strip() for part in values[ps.SIGNING_AUTHORITY].split("/") if part.strip()],
                      signer_name=signer, recipients=recipients)


async def _render_and_sign(db: Database, settings: Settings, visit: Visit, kind: str, stamp: IssueStamp,
                           maker: PdfMaker) -> bytes:
    """The frozen PDF; any failure here is a refusal and no number is taken."""
    try:
        pdf = await maker(db, settings.evidence_dir, visit.id, kind, stamp)
        pdf = await asyncio.to_thread(signing.stamp_info, pdf, stamp.doc_id, stamp.number)
    except Refused:
        raise
    except Exception as exc:
        log.exception("rendering the %s of visit %s failed", kind, visit.id)
        raise Refused(503, "render_failed", "Không tạo được tệp PDF của văn bản; chưa cấp số. "
                                            "Hãy báo quản trị hệ thống.") from exc
    if not signing.configured(settings):
        return pdf
    try:
        return await asyncio.to_thread(signing.sign, settings, pdf, reason=f"Phát hành văn bản số {stamp.number}",
                                       location=stamp.issuer_name)
    except signing.SigningError as exc:
        log.error("signing the %s of visit %s failed: %s", kind, visit.id, exc)
        raise Refused(503, "signing_failed", "Không ký số được văn bản (khóa ký hoặc thiết bị ký không dùng được); "
                                             "chưa cấp số. Hãy báo quản trị hệ thống.") from exc


async def _record(db: Database, actor: User, visit: Visit, kind: str, stamp: IssueStamp, issuer: str, year: int,
                  number: int, pdf: bytes, *, signed: bool, ip: str) -> IssueOut:
    digest = hashlib.sha256(pdf).hexdigest()
    entry = register.NewEntry(
        doc_id=stamp.doc_id, issuer=issuer, year=year, number=number, symbol=stamp.number.split("/", 1)[1], kind=kind,
        visit_id=visit.id, issued_at=utc_now(), issued_on=stamp.issued_on,
        summary=KINDS[kind][1].format(visit.unit_name), recipients="\n".join(stamp.recipients),
        signer=" / ".join([*stamp.authority, stamp.signer_name]), signed=signed, sha256=digest)
    async with db.transaction() as tx:
        if await register.last_number(tx, issuer, year) != number - 1 or await register.for_visit(tx, visit.id, kind):
            raise _Taken
        await register.insert(tx, entry, pdf, actor.id)
        await audit.record(tx, actor_id=actor.id, actor=actor.username, action="document.issue",
                           subject_type="visit", subject_id=visit.id, ip=ip,
                           after={"number": stamp.number, "kind": kind, "sha256": digest, "signed": signed,
                                  "doc_id": stamp.doc_id})
    return IssueOut(number=stamp.number, issued_at=entry.issued_at, sha256=digest)


async def frozen_pdf(db: Database, visit_id: int, kind: str) -> tuple[bytes, str] | None:
    """(bytes, file name) of the issued PDF, byte for byte as the register's hash names it; None if not issued.
    The PDF route serves this first when it exists."""
    found = await register.frozen_pdf(db, visit_id, kind)
    if found is None:
        return None
    data, label = found
    prefix = "thong-bao-ket-luan" if kind == "notice" else "bien-ban-kiem-tra"
    return data, f"{prefix}-{label.replace('/', '-')}-{visit_id}.pdf"
