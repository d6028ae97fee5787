"""Remediation pages: items from a signed-off visit, the unit's portal, review, reminders."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Iterable

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from inspect_app.db import Database
from inspect_app.models import User
from inspect_app.permissions import (ADMIN, ALL_ROLES, LEAD, allow, can_answer_remediation, can_manage_remediation,
                                     can_see_remediation, remediation_scope)
from inspect_app.queries import evidence as evidence_q
from inspect_app.queries import findings as findings_q
from inspect_app.queries import plans as plans_q
from inspect_app.queries import remediation as q
from inspect_app.queries import visits as visits_q
from inspect_app.queries.remediation import RemediationRow
from inspect_app.services import deadlines, remediation
from inspect_app.services.visits import LOCKED
from inspect_app.services.errors import Refused
from inspect_app.settings import Settings
from inspect_app.web.capture import load_context
from inspect_app.web import flash
from inspect_app.web.common import clock_now, form_values, page_context, user_of
from inspect_app.web.flash import flash_of


async def scoped_items(db: Database, user: User, **filters) -> list[RemediationRow]:
    """The items the user's lists show (permissions.remediation_scope)."""
    return await q.list_items(db, **remediation_scope(user), **filters)


async def item_for(db: Database, request: Request, item_id: int) -> tuple[RemediationRow, bool]:
    """The item if the caller may see it (404 otherwise: a unit never learns another unit's ids)."""
    user = user_of(request)
    row = await q.get_item(db, item_id)
    is_member = row is not None and await visits_q.is_team_member(db, row.visit_id, user.id)
    if row is None or not can_see_remediation(user, row, is_member):
        raise Refused(404, "unknown_item", "Không tìm thấy kiến nghị khắc phục này.")
    return row, is_member


def require_manager(user: User, is_member: bool, may: str) -> None:
    """403 unless the Sở Nội vụ or the visit's lead; `may` finishes the sentence ("được xem xét")."""
    if not can_manage_remediation(user, is_member):
        raise Refused(403, "forbidden", f"Chỉ Sở Nội vụ hoặc trưởng đoàn của cuộc kiểm tra {may}.")


async def read_uploads(parts: Iterable[object]) -> list[tuple[bytes, str]]:
    """(bytes, file name) of each chosen file; an empty file input sends a part without a name."""
    return [(await f.read(), f.filename) for f in parts if isinstance(f, UploadFile) and f.filename]


async def manage(request: Request, db: Database, item_id: int, where: str, act: Callable[..., Awaitable[None]],
                 fields: tuple[str, ...], *, may: str) -> Redirect:
    """A manager's form on the item page (`where`: review, edit): `act(db, user, row, **fields as typed)`,
    then back to the item; a refusal goes back to that form with its message and what was typed."""
    row, is_member = await item_for(db, request, item_id)
    require_manager(user_of(request), is_member, may)
    form = await request.form()
    try:
        await act(db, user_of(request), row, **{name: str(form.get(name) or "") for name in fields})
    except Refused as exc:
        return await flash.redirect(request, f"/remediation/{item_id}#{where}", exc.message, where=where, form=form)
    return Redirect(f"/remediation/{item_id}", status_code=303)


class RemediationController(Controller):
    path = "/remediation"
    include_in_schema = False

    @get("/", name="remediation:list", opt=allow(*ALL_ROLES))
    async def list_items(self, request: Request, db: NamedDependency[Database], status: FromQuery[str] = "",
                         plan: FromQuery[int | None] = None, due: FromQuery[str] = "") -> Template:
        """The caller's items with days left; figures for the same scope."""
        user = user_of(request)
        today = deadlines.today_in_vietnam()
        rows = await scoped_items(db, user, plan_id=plan)
        views = [remediation.view(r, today) for r in rows]
        if status:
            views = [v for v in views if v.row.status == status]
        if due == "overdue":
            views = [v for v in views if v.overdue]
        elif due == "soon":
            views = [v for v in views if v.due_soon]
        return Template("remediation/list.html", context=page_context(
            request, items=views, figures=remediation.figures(rows, today), status=status, due=due, plan=plan,
            by_unit=remediation.figures_by(rows, today, lambda r: r.unit_name),
            by_area=remediation.figures_by(rows, today, remediation.area_of)))

    @get("/reminders", name="remediation:reminders", opt=allow(*ALL_ROLES))
    async def reminders(self, request: Request, db: NamedDependency[Database]) -> Template:
        """Due within 7 days and overdue, per unit and per plan (nhắc việc)."""
        today = deadlines.today_in_vietnam()
        views = [remediation.view(r, today) for r in await scoped_items(db, user_of(request))]
        pressing = [v for v in views if v.overdue or v.due_soon]
        by_unit: dict[str, list] = {}
        by_plan: dict[str, list] = {}
        for v in pressing:
            by_unit.setdefault(v.row.unit_name, []).append(v)
            by_plan.setdefault(v.row.plan_number, []).append(v)
        return Template("remediation/reminders.html", context=page_context(
            request, by_unit=by_unit, by_plan=by_plan, total=len(pressing), today=today))

    @get("/{item_id:int}", name="remediation:detail", opt=allow(*ALL_ROLES))
    async def detail(self, request: Request, db: NamedDependency[Database], item_id: FromPath[int]) -> Template:
        """The item, its thread and the forms; a refused form comes back here with its message and
        what was typed (post/redirect/get, web/flash.py)."""
        row, is_member = await item_for(db, request, item_id)
        note = flash_of(request)
        user = user_of(request)
        ctx = await load_context(db, request, row.visit_id)
        linked = set(await q.linked_findings(db, row.id))
        visit_findings = [f for f in await findings_q.list_findings(db, row.visit_id) if f.id in linked]
        photos = [e for e in await evidence_q.list_for_visit(db, row.visit_id) if e.finding_id in linked]
        thread = await q.responses(db, row.id)
        draft = next((r for r in thread if r.kind == "answer" and r.state == "draft"), None)
        if draft and not can_answer_remediation(user, row):
            thread = [r for r in thread if r.id != draft.id]  # a draft is the unit's own business
        return Template("remediation/detail.html", context=page_context(
            request, item=remediation.view(row, deadlines.today_in_vietnam()), findings=visit_findings,
            checklist=ctx.checklist, photos=photos, thread=thread, draft=draft,
            files=await q.response_files(db, row.id), error=note.message if note and note.kind == "error" else "",
            typed=note if note and note.kind == "error" else None,
            can_answer=can_answer_remediation(user, row) and remediation.awaits_answer(row),
            can_review=can_manage_remediation(user, is_member) and row.status == "answered",
            can_edit=can_manage_remediation(user, is_member) and row.status != "accepted",
            new_key=secrets.token_urlsafe(16)))

    @post("/{item_id:int}/answer", name="remediation:answer", opt=allow("unit"), status_code=303,
          request_max_body_size=64_000_000)
    async def answer(self, request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings],
                     item_id: FromPath[int]) -> Redirect:
        """Save the unit's answer as a draft, or submit it; files join the answer (services/remediation)."""
        row, _ = await item_for(db, request, item_id)
        form = await request.form()
        submit = form.get("action") == "submit"
        try:
            await remediation.answer(db, user_of(request), row, text=str(form.get("text") or ""), submit=submit,
                                     files=await read_uploads(form_values(form, "file")),
                                     root=settings.evidence_dir,
                                     idempotency_key=str(form.get("idempotency_key") or "") or None)
        except Refused as exc:
            chosen = " Các tệp đã chọn chưa được lưu: hãy chọn lại." if form_values(form, "file") else ""
            return await flash.redirect(request, f"/remediation/{item_id}#answer", exc.message + chosen,
                                        where="answer", form=form)
        if submit:
            return await flash.redirect(request, f"/remediation/{item_id}",
                                        f"Đã gửi kết quả khắc phục cho Sở Nội vụ lúc {clock_now()}. "
                                        "Sở Nội vụ sẽ xem xét và trả lời tại trang này.", kind="success")
        return await flash.redirect(request, f"/remediation/{item_id}#answer", f"Đã lưu nháp lúc {clock_now()}.",
                                    kind="success")

    @post("/{item_id:int}/review", name="remediation:review", opt=allow(ADMIN, LEAD), status_code=303)
    async def review(self, request: Request, db: NamedDependency[Database], item_id: FromPath[int]) -> Redirect:
        return await manage(request, db, item_id, "review", remediation.review, ("decision", "comment"),
                            may="được xem xét")

    @post("/{item_id:int}/edit", name="remediation:edit", opt=allow(ADMIN, LEAD), status_code=303)
    async def edit(self, request: Request, db: NamedDependency[Database], item_id: FromPath[int]) -> Redirect:
        return await manage(request, db, item_id, "edit", remediation.edit_item, ("text", "deadline"),
                            may="được sửa kiến nghị")


class VisitRemediationController(Controller):
    """Turning a signed-off visit's shortcomings into items: confirm, edit, merge, add."""

    path = "/visits/{visit_id:int}/remediation"
    include_in_schema = False

    @get("/", name="remediation:visit", opt=allow(ADMIN, LEAD, "inspector"))
    async def page(self, request: Request, db: NamedDependency[Database], visit_id: FromPath[int]) -> Template:
        ctx = await load_context(db, request, visit_id)
        note = flash_of(request)
        error = note.message if note and note.kind == "error" else ""
        items = await q.list_items(db, visit_id=visit_id)
        covered = {f for item in items for f in await q.linked_findings(db, item.id)}
        signed_off_at = await visits_q.signed_off_at(db, visit_id)
        days = await plans_q.remediation_days(db, ctx.visit.plan_id)
        default = deadlines.default_deadline(signed_off_at, days) if signed_off_at else ""
        today = deadlines.today_in_vietnam()
        return Template("remediation/visit.html", context=page_context(
            request, visit=ctx.visit, error=error, items=[remediation.view(i, today) for i in items],
            proposals=remediation.proposals(ctx.checklist, await findings_q.list_findings(db, visit_id), covered)
            if ctx.visit.status in LOCKED else [],
            default_deadline=max(default, today.isoformat()) if default else today.isoformat(),
            can_manage=can_manage_remediation(ctx.user, ctx.is_member),
            typed=note if note and note.kind == "error" else None))

    @post("/", name="remediation:create", opt=allow(ADMIN, LEAD), status_code=303)
    async def create(self, request: Request, db: NamedDependency[Database],
                     visit_id: FromPath[int]) -> Redirect:
        """One form, three uses: confirm one proposal, merge the ticked ones, or add a new item."""
        ctx = await load_context(db, request, visit_id)
        require_manager(ctx.user, ctx.is_member, "được lập kiến nghị")
        form = await request.form()
        try:
            finding_ids = [int(v) for v in form_values(form, "finding_id")]
            await remediation.create_item(db, ctx.user, ctx.visit, finding_ids=finding_ids,
                                          text=str(form.get("text") or ""), deadline=str(form.get("deadline") or ""))
        except (ValueError, Refused) as exc:  # back to the page, the form that was sent keeping what was typed
            message = exc.message if isinstance(exc, Refused) else "Lựa chọn không hợp lệ."
            return await flash.redirect(request, f"/visits/{visit_id}/remediation", message,
                                        where=str(form.get("form") or "")[:20], form=form, lists=("finding_id",))
        return Redirect(f"/visits/{visit_id}/remediation", status_code=303)
