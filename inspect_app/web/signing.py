"""Closing the visit on site: the team's check-in and the minutes signed on the tablet.

Pages (`/visits/{id}/sign`, and the check-in and signature forms, plain POSTs with CSRF that answer
303 with a note) and the JSON API (`/api/v1/visits/{id}/check-in`, `/api/v1/visits/{id}/signatures`)
call the same service functions (services/checkin.record, services/signatures.sign).
"""

from __future__ import annotations

import math
from typing import Literal

import anyio
import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, MultipartBody
from litestar.response import Redirect, Response, Template

from inspect_app.db import Database
from inspect_app.permissions import ADMIN, ALL_ROLES, INSPECTOR, LEAD, UNIT, allow
from inspect_app.reports import html
from inspect_app.reports.visit_doc import build_visit_doc
from inspect_app.services import checkin, signatures
from inspect_app.services.checkin import CheckinIn, CheckinOut
from inspect_app.services.errors import Refused
from inspect_app.services.signatures import PARTY_LABELS, SignatureOut
from inspect_app.services.visits import LOCKED, VisitContext
from inspect_app.settings import Settings
from inspect_app.web import flash
from inspect_app.web.capture import load_context
from inspect_app.web.common import clock_now, page_context
from inspect_app.web.contract import errors

STAFF_ROLES = (ADMIN, LEAD, INSPECTOR)
SIGNERS = (ADMIN, LEAD, UNIT)  # the lead's tablet signs for both parties; a unit officer for the unit
# The signature routes refuse a larger body before reading it (a drawn signature is 10–60 KB).
MAX_SIGNATURE_BODY = 3_000_000


class SignatureIn(msgspec.Struct):
    """`party`: "lead" or "unit"; `reason`: required only to replace the party's earlier signature;
    `file`: the drawn signature as a PNG."""

    party: Literal["lead", "unit"]
    file: UploadFile
    name: str = ""
    position: str = ""
    reason: str = ""


async def signature_bytes(file: UploadFile | None) -> bytes:
    return await file.read() if file is not None else b""


async def signing_context(db: Database, request: Request, visit_id: int) -> VisitContext:
    """The visit if the caller may see it; a unit officer reads its minutes only once signed off."""
    ctx = await load_context(db, request, visit_id)
    if ctx.user.role == UNIT and ctx.visit.status not in LOCKED:
        raise Refused(403, "not_signed_off", "Biên bản chỉ có sau khi trưởng đoàn ký duyệt cuộc kiểm tra.")
    return ctx


def _number(text: str, name: str) -> float | None:
    """A coordinate typed into (or filled by the script in) the check-in form; "" is none."""
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise Refused(422, "bad_coordinates", f"{name} không phải là số.") from None
    if not math.isfinite(value):
        raise Refused(422, "bad_coordinates", f"{name} không phải là số.")
    return value


def checkin_from_form(form: dict[str, str]) -> CheckinIn:
    return CheckinIn(lat=_number(form.get("lat", ""), "Vĩ độ"), lon=_number(form.get("lon", ""), "Kinh độ"),
                     accuracy_m=_number(form.get("accuracy_m", ""), "Sai số vị trí"),
                     declined=bool(form.get("declined")), reason=form.get("reason", ""))


def signer_defaults(doc, user) -> dict[str, dict[str, str]]:
    """What each party's fields start with: the team lead, and the representative the sign-off typed
    ("Bà Phạm Thị Mai, Chủ tịch UBND" → name and position)."""
    name, _, position = (doc.visit.unit_representative or "").partition(",")
    lead = doc.lead
    return {"lead": {"name": lead.full_name if lead else user.full_name, "position": lead.title if lead else ""},
            "unit": {"name": name.strip(), "position": position.strip()}}


class SigningController(Controller):
    path = "/visits/{visit_id:int}"
    include_in_schema = False

    @get("/sign", name="visits:sign-page", opt=allow(*ALL_ROLES))
    async def sign_page(self, request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings],
                        visit_id: FromPath[int]) -> Template:
        """The minutes as they will be printed, and a signature pad for each party the caller may sign for."""
        ctx = await signing_context(db, request, visit_id)
        doc = await build_visit_doc(db, visit_id, settings.evidence_dir)
        if doc is None:
            raise Refused(404, "not_found", "Không tìm thấy cuộc kiểm tra này.")
        note = flash.flash_of(request)
        defaults = signer_defaults(doc, ctx.user)
        if note and note.kind == "error" and note.value("party") in defaults:
            defaults[note.value("party")] = {"name": note.value("name"), "position": note.value("position")}
        open_for_signing = ctx.visit.status in LOCKED
        parties = [p for p in signatures.PARTIES
                   if open_for_signing and signatures.may_sign(ctx.user, ctx.visit, ctx.is_member, p)]
        minutes_html = await anyio.to_thread.run_sync(
            lambda: html.visit_html("minutes", doc, standalone=False, body_only=True))
        return Template("visits/sign.html", context=page_context(
            request, visit=ctx.visit, minutes_html=minutes_html, parties=parties,
            party_labels=PARTY_LABELS, defaults=defaults, signed=doc.signatures,
            images={party: html.signed_block(sig) for party, sig in doc.signatures.items()},
            open_for_signing=open_for_signing, error=note.message if note and note.kind == "error" else ""))

    @post("/sign", name="visits:sign", opt=allow(*SIGNERS), status_code=303,
          request_max_body_size=MAX_SIGNATURE_BODY)
    async def sign(self, request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings],
                   visit_id: FromPath[int]) -> Redirect:
        """One party's signature from the pad (multipart, `file` filled by static/js/sign.js)."""
        ctx = await signing_context(db, request, visit_id)
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        upload = form.get("file")
        try:
            await signatures.sign(db, ctx, settings.evidence_dir, party=fields.get("party", ""),
                                  name=fields.get("name", ""), position=fields.get("position", ""),
                                  reason=fields.get("reason", ""),
                                  data=await signature_bytes(upload if isinstance(upload, UploadFile) else None))
        except Refused as exc:
            if exc.status in (403, 404):
                raise
            return await flash.redirect(request, f"/visits/{visit_id}/sign", exc.message, form=fields)
        label = PARTY_LABELS.get(fields.get("party", ""), "")
        return await flash.redirect(request, f"/visits/{visit_id}/sign",
                                    f"Đã lưu chữ ký của {label.lower()} lúc {clock_now()}.", kind="success")

    @post("/check-in", name="visits:check-in", opt=allow(*STAFF_ROLES), status_code=303)
    async def check_in(self, request: Request, db: NamedDependency[Database], visit_id: FromPath[int]) -> Redirect:
        """"Ghi nhận có mặt": the position static/js/checkin.js asked the browser for, or a refusal to share it."""
        ctx = await load_context(db, request, visit_id)
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        try:
            out = await checkin.record(db, ctx, checkin_from_form(form))
        except Refused as exc:
            if exc.status in (403, 404):
                raise
            return await flash.redirect(request, f"/visits/{visit_id}#checkin", exc.message, where="checkin", form=form)
        where = "không chia sẻ vị trí" if out.declined else "đã lưu vị trí"
        return await flash.redirect(request, f"/visits/{visit_id}", f"Đã ghi nhận có mặt lúc {clock_now()} ({where}).",
                                    kind="success")


class SigningApiController(Controller):
    path = "/api/v1/visits/{visit_id:int}"
    tags = ["field capture"]

    @post("/check-in", opt=allow(*STAFF_ROLES), operation_id="CheckInVisit", status_code=201,
          responses=errors(409, 422))
    async def check_in(self, request: Request, db: NamedDependency[Database], visit_id: FromPath[int],
                       data: JSONBody[CheckinIn]) -> CheckinOut:
        """Record where and when the team started, with the server's time: `lat` in [-90, 90], `lon` in
        [-180, 180] (else 422, nothing stored), or `declined: true` ("không chia sẻ vị trí"). Once per
        visit: another check-in is a lead's, with a `reason` (else 409 `already_checked_in`)."""
        ctx = await load_context(db, request, visit_id)
        return await checkin.record(db, ctx, data)

    @post("/signatures", opt=allow(*SIGNERS), operation_id="SignMinutes", status_code=201,
          request_max_body_size=MAX_SIGNATURE_BODY, responses=errors(409, 422, 507))
    async def sign(self, request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings],
                   visit_id: FromPath[int], data: MultipartBody[SignatureIn]) -> Response[SignatureOut]:
        """One party's signature of the minutes (multipart: `party` lead|unit, `name`, `position`, `reason`,
        `file` = PNG), bound to the SHA-256 of the minutes' canonical content. Only while the visit is
        signed off or amended (409 `not_signed_off`); a party's second signature needs a `reason` (409
        `already_signed`); an empty, non-PNG or blank image is refused (422), a body over 3 MB 413."""
        ctx = await signing_context(db, request, visit_id)
        out = await signatures.sign(db, ctx, settings.evidence_dir, party=data.party, name=data.name,
                                    position=data.position, reason=data.reason,
                                    data=await signature_bytes(data.file))
        return Response(out, status_code=201)
