"""Issued documents: "Phát hành" (a number in the register, a frozen and signed PDF), the register of
outgoing documents (sổ đăng ký văn bản đi) with its XLSX export, and the public verification page.

Who reads the register: the Sở Nội vụ only. It is the văn thư's book of everything the Sở issues; a team
or a unit sees the number on its own documents, and anyone holding a file can check it on /verify.
"""

from __future__ import annotations

import asyncio

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, MultipartBody
from litestar.response import Redirect, Template

from inspect_app.db import Database
from inspect_app.permissions import ADMIN, PUBLIC, allow
from inspect_app.queries import register
from inspect_app.reports import rules, xlsx
from inspect_app.services import issuing, verification
from inspect_app.services.errors import Refused
from inspect_app.settings import Settings
from inspect_app.web import flash
from inspect_app.web.common import client_ip, page_context, user_of
from inspect_app.web.contract import errors
from inspect_app.web.reports import download
from inspect_app.web.visits import visit_for

VERIFY_LIMIT = verification.MAX_VERIFY_BYTES + 64 * 1024  # the file and the multipart envelope
KIND_LABELS = {"notice": "Thông báo kết luận kiểm tra", "minutes": "Biên bản kiểm tra"}


class VerifyUpload(msgspec.Struct):
    file: UploadFile


def _maker(request: Request) -> issuing.PdfMaker | None:
    # Tests put a small PDF maker here; the app uses the report engine (issuing.engine_pdf).
    return getattr(request.app.state, "pdf_maker", None)


async def _upload_bytes(upload: object) -> bytes:
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise Refused(422, "empty_file", "Chưa chọn tệp PDF cần kiểm tra.")
    data = await upload.read(verification.MAX_VERIFY_BYTES + 1)
    if len(data) > verification.MAX_VERIFY_BYTES:
        raise Refused(413, "too_large", "Tệp quá lớn: chỉ kiểm tra được tệp PDF đến 32 MB.")
    return data


class DocumentController(Controller):
    include_in_schema = False

    @get("/documents", name="documents:register", opt=allow(ADMIN))
    async def register_page(self, request: Request, db: NamedDependency[Database],
                            year: FromQuery[str] = "") -> Template:
        """Sổ đăng ký văn bản đi: every issued document, by issuer, year and number."""
        chosen = _year(year)
        return Template("documents/register.html", context=page_context(
            request, entries=await register.listing(db, chosen), year=chosen, kinds=KIND_LABELS))

    @get("/documents.xlsx", name="documents:register-xlsx", opt=allow(ADMIN))
    async def register_export(self, db: NamedDependency[Database], year: FromQuery[str] = "") -> Response:
        chosen = _year(year)
        data = await asyncio.to_thread(xlsx.register_xlsx, await register.listing(db, chosen))
        return download(data, f"so-dang-ky-van-ban-di{'-' + str(chosen) if chosen else ''}.xlsx")

    @get("/visits/{visit_id:int}/issue", name="documents:issue-page", opt=allow(ADMIN))
    async def issue_page(self, request: Request, db: NamedDependency[Database], visit_id: FromPath[int]) -> Template:
        """The visit's documents to issue: their numbers once issued, the "Phát hành" buttons before."""
        visit = await visit_for(db, request, visit_id)
        documents = [(kind, label, await register.for_visit(db, visit_id, kind), await issuing.issuable(db, visit, kind))
                     for kind, label in KIND_LABELS.items()]
        return Template("documents/issue.html", context=page_context(
            request, visit=visit, documents=documents, signed=visit.status in rules.SIGNED))

    @post("/visits/{visit_id:int}/issue", name="documents:issue", opt=allow(ADMIN), status_code=303)
    async def issue_form(self, request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings],
                         visit_id: FromPath[int]) -> Redirect:
        """"Phát hành" from the page: back to it with the number, or with the reason nothing was issued."""
        visit = await visit_for(db, request, visit_id)
        kind = str((await request.form()).get("kind") or "")
        page = f"/visits/{visit_id}/issue"
        if kind not in KIND_LABELS:
            return await flash.redirect(request, page, "Chưa chọn văn bản cần phát hành.")
        try:
            out = await issuing.issue(db, settings, user_of(request), visit, kind, maker=_maker(request),
                                      ip=client_ip(request))
        except Refused as exc:
            return await flash.redirect(request, page, exc.message)
        return await flash.redirect(request, page, f"Đã phát hành {KIND_LABELS[kind].lower()} số {out.number}.",
                                    kind="success")

    @get("/verify", name="documents:verify-page", opt=PUBLIC)
    async def verify_page(self, request: Request) -> Template:
        """Anyone holding a PDF may check it here: no login."""
        return Template("documents/verify.html", context=page_context(request, result=None, filename=""))

    @post("/verify", name="documents:verify", opt=PUBLIC, request_max_body_size=VERIFY_LIMIT, status_code=200)
    async def verify_form(self, request: Request, db: NamedDependency[Database],
                          settings: NamedDependency[Settings]) -> Template:
        """The page's upload (with its CSRF token, as every form): the answer on the page; changes nothing."""
        form = await request.form()
        upload = form.get("file")
        try:
            result = await verification.verify(db, await _upload_bytes(upload), settings.signing_trust_roots)
        except Refused as exc:
            return Template("documents/verify.html", status_code=exc.status, context=page_context(
                request, result=None, error=exc.message, filename=""))
        return Template("documents/verify.html", context=page_context(
            request, result=result, error="", filename=getattr(upload, "filename", "")))


class IssueApiController(Controller):
    path = "/api/v1"
    tags = ["documents"]

    @post("/visits/{visit_id:int}/notice/issue", opt=allow(ADMIN), operation_id="IssueNotice", status_code=200,
          responses=errors(409, 503))
    async def issue_notice(self, request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings],
                           visit_id: FromPath[int]) -> issuing.IssueOut:
        """Issue the conclusion notice: the next number in the issuer's register for the year, the PDF frozen
        (and signed when a key is configured). The same call again returns the same number; a failed render or
        signature (503) takes none."""
        return await _issue(request, db, settings, visit_id, "notice")

    @post("/visits/{visit_id:int}/minutes/issue", opt=allow(ADMIN), operation_id="IssueMinutes", status_code=200,
          responses=errors(409, 503))
    async def issue_minutes(self, request: Request, db: NamedDependency[Database],
                            settings: NamedDependency[Settings], visit_id: FromPath[int]) -> issuing.IssueOut:
        """Issue the minutes, when the plan says the Sở issues them (else 409 `issued_by_team`); as the notice."""
        return await _issue(request, db, settings, visit_id, "minutes")

    # Public and without a CSRF token: it changes nothing and answers only the caller (a program or a
    # citizen's script); the Origin check of security.py still refuses a cross-site browser post.
    @post("/verify", opt=PUBLIC | {"exclude_from_csrf": True}, operation_id="VerifyDocument",
          request_max_body_size=VERIFY_LIMIT, status_code=200, responses=errors(422))
    async def verify(self, db: NamedDependency[Database], settings: NamedDependency[Settings],
                     data: MultipartBody[VerifyUpload]) -> verification.VerifyOut:
        """Is this PDF (multipart field `file`) a document issued here, unchanged, and whose signature is it?"""
        return await verification.verify(db, await _upload_bytes(data.file), settings.signing_trust_roots)


async def _issue(request: Request, db: Database, settings: Settings, visit_id: int, kind: str) -> issuing.IssueOut:
    visit = await visit_for(db, request, visit_id)
    return await issuing.issue(db, settings, user_of(request), visit, kind, maker=_maker(request), ip=client_ip(request))


def _year(raw: str) -> int | None:
    if not raw.strip():
        return None
    if not raw.strip().isdigit() or not 2000 <= int(raw) <= 2100:
        raise Refused(400, "bad_year", "Năm không hợp lệ.")
    return int(raw)
