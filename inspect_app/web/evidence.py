"""Evidence uploads, captions, soft deletes and guarded file delivery (pages and API)."""

from __future__ import annotations

import secrets

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import File, Redirect, Template

from inspect_app.db import Database
from inspect_app.models import Evidence
from inspect_app.permissions import ADMIN, ALL_ROLES, INSPECTOR, LEAD, allow, can_edit_findings, can_read_evidence
from inspect_app.queries import evidence as evidence_q
from inspect_app.queries import findings as findings_q
from inspect_app.services import attach, capture
from inspect_app.services.errors import Refused
from inspect_app.settings import Settings
from inspect_app.services.visits import LOCKED, VisitContext
from inspect_app.web.capture import build_cards, load_context
from inspect_app.web.common import dom_id, form_values, page_context, wants_fragment

STAFF_ROLES = (ADMIN, LEAD, INSPECTOR)
MAX_FILES_PER_FORM = 4  # × 15 MB: the no-script form's body limit below
SIZES = ("thumb", "display", "original")


async def uploaded_files(request: Request) -> list[UploadFile]:
    form = await request.form()
    files = [f for f in form_values(form, "file") if isinstance(f, UploadFile) and f.filename]
    if not files:
        raise Refused(422, "no_file", "Chưa chọn tệp nào để tải lên.")
    if len(files) > MAX_FILES_PER_FORM:
        raise Refused(422, "too_many_files", f"Mỗi lần tải lên tối đa {MAX_FILES_PER_FORM} tệp.")
    return files


async def evidence_for(db: Database, request: Request, evidence_id: int) -> tuple[Evidence, VisitContext]:
    """The evidence if the caller may see its visit (404 otherwise, deleted included)."""
    ev = await evidence_q.get_evidence(db, evidence_id)
    if ev is None or ev.deleted_at or ev.visit_id is None:
        raise Refused(404, "unknown_evidence", "Không tìm thấy minh chứng này.")
    ctx = await load_context(db, request, ev.visit_id)
    if not can_read_evidence(ctx.user, ctx.visit, ev):
        raise Refused(404, "unknown_evidence", "Không tìm thấy minh chứng này.")
    return ev, ctx


async def gallery_template(request: Request, db: Database, ctx: VisitContext, item_code: str,
                           status_code: int = 200) -> Template:
    """The item's gallery, plus the progress header out of band (missing evidence may change)."""
    finding = await findings_q.get_finding(db, ctx.visit.id, item_code)
    card = build_cards(ctx, [finding] if finding else [],
                       await evidence_q.list_for_item(db, ctx.visit.id, item_code))[item_code]
    visit_findings = await findings_q.list_findings(db, ctx.visit.id)
    progress = capture.progress(ctx.checklist, visit_findings, await capture.evidence_counts(db, ctx.visit.id))
    return Template("visits/_gallery_oob.html", status_code=status_code, context=page_context(
        request, visit=ctx.visit, card=card, progress=progress,
        editable=can_edit_findings(ctx.user, ctx.is_member), locked=ctx.visit.status in LOCKED))


def file_response(settings: Settings, ev: Evidence, size: str) -> File:
    if size not in SIZES:
        raise Refused(400, "bad_size", "Tham số size phải là thumb, display hoặc original.")
    try:
        path, media_type = attach.stored_file(settings.evidence_dir, ev, size)
    except Refused:
        raise Refused(404, "file_missing", "Tệp minh chứng không còn trên máy chủ.") from None
    if not path.exists():
        raise Refused(404, "file_missing", "Tệp minh chứng không còn trên máy chủ.")
    original = size == "original" or ev.kind == "document"
    name = ev.original_name or f"minh-chung-{ev.id}"
    return File(path=path, media_type=media_type, filename=name if original else f"{ev.id}-{size}.jpg",
                # Originals go out as downloads (never rendered in our origin); derivatives are ours.
                content_disposition_type="attachment" if original else "inline",
                headers={"Cache-Control": "private, max-age=31536000, immutable",
                         "X-Content-Type-Options": "nosniff"})


class EvidenceController(Controller):
    include_in_schema = False

    @post("/visits/{visit_id:int}/items/{item_code:str}/evidence", name="evidence:upload",
          opt=allow(*STAFF_ROLES), request_max_body_size=64_000_000, status_code=200)
    async def upload(self, request: HTMXRequest, db: NamedDependency[Database], settings: NamedDependency[Settings],
                     visit_id: FromPath[int], item_code: FromPath[str]) -> Template | Redirect:
        """One file per request from the script (with its Idempotency-Key); several from a plain form."""
        ctx = await load_context(db, request, visit_id)
        capture.require_editor(ctx)
        item = capture.find_item(ctx.checklist, item_code)
        form = await request.form()
        base_key = request.headers.get("idempotency-key") or str(form.get("idempotency_key") or "") \
            or secrets.token_urlsafe(16)
        files = await uploaded_files(request)
        for index, upload in enumerate(files):
            data = await upload.read()
            key = base_key if len(files) == 1 else f"{base_key}:{index}"
            await attach.attach(db, root=settings.evidence_dir, user=ctx.user, visit=ctx.visit, item=item,
                                data=data, filename=upload.filename, caption=str(form.get("caption") or ""),
                                idempotency_key=key)
        if request.headers.get("x-requested-with") == "fetch" or wants_fragment(request):
            return await gallery_template(request, db, ctx, item_code)
        return Redirect(f"/visits/{visit_id}#item-{dom_id(item_code)}", status_code=303)

    @get("/visits/{visit_id:int}/items/{item_code:str}/gallery", name="evidence:gallery", opt=allow(*STAFF_ROLES))
    async def gallery(self, request: Request, db: NamedDependency[Database], visit_id: FromPath[int],
                      item_code: FromPath[str]) -> Template:
        ctx = await load_context(db, request, visit_id)
        capture.find_item(ctx.checklist, item_code)
        return await gallery_template(request, db, ctx, item_code)

    @post("/evidence/{evidence_id:int}/caption", name="evidence:caption", opt=allow(*STAFF_ROLES), status_code=303)
    async def caption(self, request: HTMXRequest, db: NamedDependency[Database],
                      evidence_id: FromPath[int]) -> Redirect | Template:
        ev, ctx = await evidence_for(db, request, evidence_id)
        capture.require_editor(ctx)
        form = await request.form()
        await attach.set_caption(db, ctx.user, ev, str(form.get("caption") or ""))
        if wants_fragment(request):
            return await gallery_template(request, db, ctx, ev.item_code)
        return Redirect(f"/visits/{ctx.visit.id}#item-{dom_id(ev.item_code)}", status_code=303)

    @post("/evidence/{evidence_id:int}/delete", name="evidence:delete", opt=allow(*STAFF_ROLES), status_code=303)
    async def delete(self, request: HTMXRequest, db: NamedDependency[Database],
                     evidence_id: FromPath[int]) -> Redirect | Template:
        ev, ctx = await evidence_for(db, request, evidence_id)
        capture.require_editor(ctx)
        await attach.remove(db, ctx.user, ev, ctx.visit)
        if wants_fragment(request):
            return await gallery_template(request, db, ctx, ev.item_code)
        return Redirect(f"/visits/{ctx.visit.id}#item-{dom_id(ev.item_code)}", status_code=303)

    @get("/evidence/{evidence_id:int}/file", name="evidence:file", opt=allow(*ALL_ROLES))
    async def file(self, request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings],
                   evidence_id: FromPath[int], size: FromQuery[str] = "display") -> File:
        """The file, only for someone who may see the visit."""
        ev, _ = await evidence_for(db, request, evidence_id)
        return file_response(settings, ev, size)
