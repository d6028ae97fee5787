"""The checklist editor (Sở Nội vụ only): drafts started from any version or a workbook, the tree edited node
by node, a preview as the tablet shows it, and publishing as a new version.

Every form posts, then redirects (web/flash.py): a refused edit comes back to its node with what was typed
and a message beside each field; the validator's own messages stay beside their fields until fixed. Every
form names the draft version it was made from (`draft_version`): a stale one is refused (409 in the service)
and the page shows the newer draft.
"""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Template

from inspect_app.checklists import editing
from inspect_app.checklists.diff import diff_checklists
from inspect_app.checklists.model import Answer, Checklist
from inspect_app.checklists.scoring import score_item
from inspect_app.db import Database
from inspect_app.permissions import ADMIN, allow
from inspect_app.queries import checklists as checklist_q
from inspect_app.services import checklist_drafts as drafts
from inspect_app.services.checklist_store import checklist_version
from inspect_app.services.errors import Refused
from inspect_app.web import flash
from inspect_app.web.capture import CardView
from inspect_app.web.checklists import EVIDENCE_LABELS, TYPE_LABELS

# What a select in the editor shows for each value the format stores.
CHOICE_LABELS = {
    "type": TYPE_LABELS,
    "evidence.kind": {"none": "Không yêu cầu", "photo": "Ảnh chụp", "document": "Tài liệu", "any": "Ảnh hoặc tài liệu"},
}
from inspect_app.web.common import checklists_of, client_ip, page_context, user_of
from inspect_app.text import nfc
from inspect_app.workbook_limits import MAX_WORKBOOK_BYTES

MOVES = {"up": -1, "down": 1}
OPS = {"add": "thêm mục con của", "remove": "xóa", "up": "chuyển lên", "down": "chuyển xuống"}  # audit wording


def draft_url(checklist_id: str, draft_id: int, node: str = "") -> str:
    anchor = f"?open={node}#node-{node}" if node else ""
    return f"/checklists/{checklist_id}/drafts/{draft_id}{anchor}"


def parse_node_or_404(node: str) -> tuple[int, ...]:
    try:
        return editing.parse_node(node)
    except KeyError:
        raise Refused(404, "unknown_node", "Không tìm thấy mục này trong bản nháp.") from None


def _base(form: Any) -> int:
    try:
        return int(str(form.get("draft_version") or ""))
    except ValueError:
        return -1


class ChecklistEditorController(Controller):
    path = "/checklists/{checklist_id:str}"
    include_in_schema = False
    opt = allow(ADMIN)

    async def _known(self, db: Database, checklist_id: str) -> list:
        versions = await checklist_q.list_versions(db, checklist_id)
        if not versions:
            raise Refused(404, "unknown_checklist", f"Không có bộ tiêu chí {checklist_id}.")
        return versions

    @get("/edit", name="checklists:edit")
    async def home(self, request: Request, db: NamedDependency[Database], checklist_id: FromPath[str]) -> Template:
        """Start a draft from any version or a workbook; continue an open draft."""
        versions = await self._known(db, checklist_id)
        current = (await checklists_of(request)).get(checklist_id)
        return Template("checklists/edit.html", context=page_context(
            request, checklist_id=checklist_id, versions=versions,
            current=current.version_hash if current else versions[0].version_hash,
            drafts=await checklist_q.list_drafts(db, checklist_id), max_mb=MAX_WORKBOOK_BYTES // (1024 * 1024)))

    @post("/drafts", name="checklists:draft-start", status_code=303)
    async def start(self, request: Request, db: NamedDependency[Database], checklist_id: FromPath[str]) -> Redirect:
        form = await request.form()
        await self._known(db, checklist_id)
        try:
            draft_id = await drafts.start(db, user_of(request), checklist_id, str(form.get("from_version") or ""))
        except Refused as exc:
            return await flash.redirect(request, f"/checklists/{checklist_id}/edit", exc.message, where="start")
        return Redirect(draft_url(checklist_id, draft_id), status_code=303)

    @post("/drafts/workbook", name="checklists:draft-workbook", status_code=303,
          request_max_body_size=MAX_WORKBOOK_BYTES + 1024 * 1024)
    async def upload(self, request: Request, db: NamedDependency[Database], checklist_id: FromPath[str]) -> Redirect:
        """What `inspect-app checklist import-xlsx` does, into a new draft instead of a file."""
        await self._known(db, checklist_id)
        form = await request.form()
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await flash.redirect(request, f"/checklists/{checklist_id}/edit", "Chọn một tệp Excel (.xlsx).",
                                        where="workbook")
        try:
            draft_id = await drafts.start_from_workbook(db, user_of(request), checklist_id, await upload.read(),
                                                        upload.filename)
        except Refused as exc:
            return await flash.redirect(request, f"/checklists/{checklist_id}/edit", exc.message, where="workbook",
                                        extra=exc.extra)
        return Redirect(draft_url(checklist_id, draft_id), status_code=303)

    @get("/drafts/{draft_id:int}", name="checklists:draft")
    async def draft(self, request: Request, db: NamedDependency[Database], checklist_id: FromPath[str],
                    draft_id: FromPath[int]) -> Template:
        """The whole draft, node by node, with the validator's messages beside their fields."""
        draft = await drafts.get(db, checklist_id, draft_id)
        base = await checklist_version(db, checklist_id, draft.row.base_version) if draft.row.base_version else None
        versions = await checklist_q.list_versions(db, checklist_id)
        problems = editing.field_problems(draft.checklist)
        publish = drafts.publish_problems(draft.checklist, {v.version_label for v in versions})
        return Template("checklists/draft.html", context=page_context(
            request, draft=draft, checklist=draft.checklist, problems=problems,
            publish_problems=publish, editing=editing, TYPE_LABELS=TYPE_LABELS, CHOICE_LABELS=CHOICE_LABELS,
            opened=request.query_params.get("open", ""), current=(await checklists_of(request)).get(checklist_id),
            diff=diff_checklists(base, draft.checklist) if base else None))

    @get("/drafts/{draft_id:int}/preview", name="checklists:draft-preview")
    async def preview(self, request: Request, db: NamedDependency[Database], checklist_id: FromPath[str],
                      draft_id: FromPath[int]) -> Template:
        """The draft's items as the tablet shows them (the visit page's own card template), nothing saved."""
        draft = await drafts.get(db, checklist_id, draft_id)
        return Template("checklists/draft_preview.html", context=page_context(
            request, draft=draft, checklist=draft.checklist, cards=preview_cards(draft.checklist),
            visit={"id": 0}, editable=False, locked=False, can_sign_off=False, base="#",
            TYPE_LABELS=TYPE_LABELS, EVIDENCE_LABELS=EVIDENCE_LABELS))

    @post("/drafts/{draft_id:int}/nodes/{node:str}", name="checklists:draft-save", status_code=303)
    async def save(self, request: Request, db: NamedDependency[Database], checklist_id: FromPath[str],
                   draft_id: FromPath[int], node: FromPath[str]) -> Redirect:
        """Save one node's fields (the checklist's own, an area's, a criterion's or an item's)."""
        draft = await drafts.get(db, checklist_id, draft_id)
        form = await request.form()
        path = parse_node_or_404(node)
        values = {name: nfc(value) for name, value in form.multi_items() if isinstance(value, str)}
        try:
            await drafts.edit(db, user_of(request), draft, _base(form), drafts.save_fields(path, values),
                              f"sửa {drafts.node_label(draft.checklist, path)}")
        except editing.EditError as exc:
            return await flash.redirect(request, draft_url(checklist_id, draft_id, node),
                                        "Chưa lưu: hãy sửa các ô được đánh dấu.", where=node, form=form, errors=exc.errors)
        except Refused as exc:
            if exc.status == 404:
                raise
            # The fields show the newer draft; what this person typed is kept beside it to copy from.
            shown = [k for k in values.get("fields", "").split(",") if k]
            return await flash.redirect(request, draft_url(checklist_id, draft_id, node), exc.message, where=node,
                                        extra={"typed": {k: values.get(k, "") for k in shown}})
        return await flash.redirect(request, draft_url(checklist_id, draft_id, node), "Đã lưu vào bản nháp.",
                                    kind="success", where=node)

    @post("/drafts/{draft_id:int}/structure", name="checklists:draft-structure", status_code=303)
    async def structure(self, request: Request, db: NamedDependency[Database], checklist_id: FromPath[str],
                        draft_id: FromPath[int]) -> Redirect:
        """Add a child, remove a node, or move it up or down among its siblings."""
        draft = await drafts.get(db, checklist_id, draft_id)
        form = await request.form()
        op = str(form.get("op") or "")
        if op not in OPS:
            raise Refused(400, "unknown_op", "Thao tác không hợp lệ.")
        path = parse_node_or_404(str(form.get("node") or ""))
        landed: list[str] = [editing.node_id(path)]

        def change(checklist: Checklist) -> Checklist:
            if op == "add":
                changed, moved = editing.add_child(checklist, path)
            elif op == "remove":
                changed, moved = editing.remove_node(checklist, path), path[:-1]
            else:
                changed, moved = editing.move_node(checklist, path, MOVES[op])
            landed[0] = editing.node_id(moved)
            return changed

        try:
            await drafts.edit(db, user_of(request), draft, _base(form), change,
                              f"{OPS[op]} {drafts.node_label(draft.checklist, path)}")
        except Refused as exc:
            if exc.status == 404:
                raise
            return await flash.redirect(request, draft_url(checklist_id, draft_id), exc.message)
        return Redirect(draft_url(checklist_id, draft_id, landed[0]), status_code=303)

    @post("/drafts/{draft_id:int}/publish", name="checklists:draft-publish", status_code=303)
    async def publish(self, request: Request, db: NamedDependency[Database], checklist_id: FromPath[str],
                      draft_id: FromPath[int]) -> Redirect:
        """Publish the draft: the new version is what new visits get from now on."""
        draft = await drafts.get(db, checklist_id, draft_id)
        form = await request.form()
        try:
            published = await drafts.publish(db, user_of(request), draft, _base(form), ip=client_ip(request))
        except Refused as exc:
            return await flash.redirect(request, draft_url(checklist_id, draft_id) + "#publish", exc.message,
                                        where="publish")
        return await flash.redirect(request, f"/checklists/{checklist_id}/{published.version_hash}",
                                    f"Đã công bố phiên bản {published.checklist.version}: các cuộc kiểm tra mới dùng "
                                    "phiên bản này; cuộc kiểm tra đã bắt đầu giữ phiên bản cũ.", kind="success")

    @post("/drafts/{draft_id:int}/delete", name="checklists:draft-delete", status_code=303)
    async def delete(self, request: Request, db: NamedDependency[Database], checklist_id: FromPath[str],
                     draft_id: FromPath[int]) -> Redirect:
        draft = await drafts.get(db, checklist_id, draft_id)
        form = await request.form()
        try:
            await drafts.discard(db, user_of(request), draft, _base(form))
        except Refused as exc:
            return await flash.redirect(request, draft_url(checklist_id, draft_id), exc.message)
        return await flash.redirect(request, f"/checklists/{checklist_id}/edit", "Đã xóa bản nháp.", kind="success")


def preview_cards(checklist: Checklist) -> dict[str, CardView]:
    """An unanswered card per item, as a visit's page builds it before the first answer."""
    cards = {}
    for item in checklist.items():
        score = score_item(item, Answer())
        cards[item.code] = CardView(item=item, answer=Answer(), note="", version=0, points=score.points,
                                    max_points=score.max_points)
    return cards
