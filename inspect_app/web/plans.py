"""Plans (kế hoạch kiểm tra): list, detail with teams and visits, creation by the Sở Nội vụ."""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from inspect_app.db import Database
from inspect_app.services.errors import Refused
from inspect_app.models import Plan
from inspect_app.permissions import ADMIN, INSPECTOR, LEAD, STAFF, UNIT, allow, can_edit_plan_settings
from inspect_app.queries import audit, plans, units, users, visits
from inspect_app.services import plan_settings, scheduling
from inspect_app.text import nfc
from inspect_app.web import flash
from inspect_app.web.common import checklists_of, client_ip, form_values, page_context, user_of
from inspect_app.web.flash import flash_of


class PlanForm(msgspec.Struct):
    number: str = ""
    issued_on: str = ""
    issuer: str = ""
    title: str = ""
    legal_basis: str = ""
    period_start: str = ""
    period_end: str = ""
    province_code: str = ""


def plan_form_errors(form: PlanForm) -> dict[str, str]:
    """Vietnamese messages per field; empty when the plan can be saved."""
    errors: dict[str, str] = {}
    if not nfc(form.number) or "/" not in form.number:
        errors["number"] = "Nhập số, ký hiệu dạng 33/KH-UBND."
    for field in ("issued_on", "period_start", "period_end"):
        try:
            date.fromisoformat(getattr(form, field))
        except ValueError:
            errors[field] = "Ngày không hợp lệ."
    if not nfc(form.issuer):
        errors["issuer"] = "Nhập cơ quan ban hành."
    if not nfc(form.title):
        errors["title"] = "Nhập trích yếu kế hoạch."
    if "period_start" not in errors and "period_end" not in errors and form.period_start > form.period_end:
        errors["period_end"] = "Ngày kết thúc phải sau ngày bắt đầu."
    return errors


async def visible_plans(db: Database, request: Request) -> list[Plan]:
    """Admin: every plan; lead/inspector: plans with a team they are on; unit: plans visiting them."""
    user = user_of(request)
    if user.role == ADMIN:
        return await plans.list_plans(db)
    if user.role == UNIT:
        return await plans.list_plans(db, unit_code=user.unit_code)
    return await plans.list_plans(db, visible_to_user=user.id)


def schedule_target(plan_id: int, form) -> str:
    """Where a scheduling refusal goes back to: the plan page, with the unit search kept."""
    q = str(form.get("q") or "").strip()
    return f"/plans/{plan_id}" + (f"?{urlencode({'q': q})}" if q else "") + "#schedule"


class PlanController(Controller):
    """Every form here posts, then redirects (post/redirect/get): a refusal comes back to the page
    with its message and what was typed (web/flash.py), so a reload never posts twice."""

    path = "/plans"
    include_in_schema = False

    @get("/", name="plans:list", opt=allow(ADMIN, LEAD, INSPECTOR, UNIT))
    async def list_plans(self, request: Request, db: NamedDependency[Database]) -> Template:
        return Template("plans/list.html", context=page_context(request, plans=await visible_plans(db, request)))

    @get("/new", name="plans:new", opt=allow(ADMIN))
    async def new_plan(self, request: Request, db: NamedDependency[Database]) -> Template:
        note = flash_of(request)
        return Template("plans/new.html", context=page_context(
            request, form=flash.refill(note, PlanForm) or PlanForm(), errors=note.errors if note else {}, provinces=await units.list_provinces(db)))

    @post("/", name="plans:create", opt=allow(ADMIN), status_code=303)
    async def create_plan(self, request: Request, db: NamedDependency[Database],
                          data: URLEncodedBody[PlanForm]) -> Redirect:
        """Create a plan; invalid input goes back to the form with messages by field."""
        errors = plan_form_errors(data)
        if data.province_code and data.province_code not in {c for c, _, _ in await units.list_provinces(db)}:
            errors["province_code"] = "Tỉnh này chưa có trong danh mục đơn vị."
        if not errors and await plans.find_plan(db, nfc(data.number), data.issued_on):
            errors["number"] = "Đã có kế hoạch cùng số, ký hiệu và ngày ban hành."
        if errors:
            return await flash.redirect(request, "/plans/new", "Vui lòng sửa các mục được đánh dấu bên dưới.",
                                        form=msgspec.structs.asdict(data), errors=errors)
        user = user_of(request)
        plan = Plan(id=0, number=nfc(data.number), issued_on=data.issued_on, issuer=nfc(data.issuer),
                    title=nfc(data.title), legal_basis=nfc(data.legal_basis), period_start=data.period_start,
                    period_end=data.period_end, province_code=data.province_code or None)
        async with db.transaction() as tx:
            plan_id = await plans.insert_plan(tx, plan, created_by=user.id)
            await audit.record(tx, actor_id=user.id, actor=user.username, action="plan.create",
                               subject_type="plan", subject_id=plan_id, ip=client_ip(request),
                               after=msgspec.structs.asdict(plan) | {"id": plan_id})
        return Redirect(f"/plans/{plan_id}", status_code=303)

    @get("/{plan_id:int}", name="plans:detail", opt=allow(ADMIN, LEAD, INSPECTOR, UNIT))
    async def plan_detail(self, request: Request, db: NamedDependency[Database], plan_id: FromPath[int],
                          q: FromQuery[str] = "", all: FromQuery[str] = "") -> Template:
        """A plan with its teams and the visits the caller may see (404 if none of it is theirs).

        `q` narrows the scheduling form's unit list (diacritics ignored) and `all=1` ticks every
        unit it lists: search and select-all without JavaScript."""
        user = user_of(request)
        plan = await self._plan_or_404(request, db, plan_id)
        note = flash_of(request)
        loaded = sorted((await checklists_of(request)).values(), key=lambda c: c.checklist.id)
        context = page_context(request, plan=plan, error=note.message if note and note.kind == "error" else "",
                               where=note.where if note else "", staff=user.role in STAFF, checklists=loaded,
                               settings=await plan_settings.settings_of(db, plan_id),
                               can_edit_settings=can_edit_plan_settings(user))
        if user.role == UNIT:
            context |= {"teams": [], "visits": await visits.list_visits(db, plan_id=plan_id, unit_code=user.unit_code)}
            return Template("plans/detail.html", context=context)
        member = None if user.role == ADMIN else user.id
        plan_visits = await visits.list_visits(db, plan_id=plan_id, member_user_id=member)
        context |= {"teams": await plans.list_teams(db, plan_id), "visits": plan_visits}
        if user.role in (ADMIN, LEAD):
            scheduled = {v.unit_code for v in await visits.list_visits(db, plan_id=plan_id)}
            province_units = await units.search_units(db, province=plan.province_code or "", limit=5000)
            free = [u for u in province_units if u.code not in scheduled]
            q = (q or (note.value("q") if note else ""))[:100]
            shown = scheduling.matching_units(free, q)
            default = scheduling.default_checklist(loaded, free)
            chosen = set(note.chosen("units")) if note and note.where == "schedule" else set()
            if all == "1":
                chosen |= {u.code for u in shown}
            staff_users = [u for u in await users.list_users(db) if u.role in ("lead", "inspector")]
            context |= {
                "free_units": free, "shown_units": shown, "q": q, "chosen_units": chosen,
                "all_shown": bool(shown) and all == "1",
                "default_checklist": (note.value("checklist_id") if note and note.where == "schedule" else "")
                or (default.checklist.id if default else ""),
                "all_units": province_units,
                "addable": {t.id: scheduling.addable_staff(staff_users, t) for t in context["teams"]},
                "lead_team": await scheduling.lead_team(db, user, plan) if user.role == LEAD else None}
        return Template("plans/detail.html", context=context)

    async def _plan_or_404(self, request: Request, db: Database, plan_id: int) -> Plan:
        if plan_id not in {p.id for p in await visible_plans(db, request)}:
            raise Refused(404, "not_found", "Không tìm thấy kế hoạch này.")
        return await plans.get_plan(db, plan_id)

    @post("/{plan_id:int}/settings", name="plans:settings", opt=allow(ADMIN), status_code=303)
    async def save_settings(self, request: Request, db: NamedDependency[Database], plan_id: FromPath[int]) -> Redirect:
        """The plan's settings (thiết lập): each field names the version it replaces (`base_<key>`)."""
        plan = await self._plan_or_404(request, db, plan_id)
        form = await request.form()
        values = {key: str(form.get(key)) for key in plan_settings.RULES if form.get(key) is not None}
        try:
            bases = {key: int(str(form.get(f"base_{key}") or "-1")) for key in values}
            changed = await plan_settings.update(db, user_of(request), plan, values, bases, ip=client_ip(request))
        except ValueError:
            return await flash.redirect(request, f"/plans/{plan_id}#settings", "Biểu mẫu thiết lập không hợp lệ.",
                                        where="settings")
        except Refused as exc:
            return await flash.redirect(request, f"/plans/{plan_id}#settings", exc.message, where="settings")
        message = "Đã lưu thiết lập của kế hoạch." if changed else "Thiết lập không thay đổi."
        return await flash.redirect(request, f"/plans/{plan_id}#settings", message, kind="success", where="settings")

    @post("/{plan_id:int}/teams", name="plans:add-team", opt=allow(ADMIN), status_code=303)
    async def add_team(self, request: Request, db: NamedDependency[Database], plan_id: FromPath[int]) -> Redirect:
        plan = await self._plan_or_404(request, db, plan_id)
        form = await request.form()
        try:
            await scheduling.create_team(db, user_of(request), plan, name=str(form.get("name") or ""),
                                         decision_number=str(form.get("decision_number") or ""),
                                         decision_date=str(form.get("decision_date") or ""))
        except Refused as exc:
            return await flash.redirect(request, f"/plans/{plan_id}#new-team", exc.message, where="team", form=form)
        return Redirect(f"/plans/{plan_id}#teams", status_code=303)

    @post("/{plan_id:int}/teams/{team_id:int}/members", name="plans:add-member", opt=allow(ADMIN), status_code=303)
    async def add_member(self, request: Request, db: NamedDependency[Database], plan_id: FromPath[int],
                         team_id: FromPath[int]) -> Redirect:
        plan = await self._plan_or_404(request, db, plan_id)
        form = await request.form()
        try:
            await scheduling.add_member(db, user_of(request), plan, team_id, str(form.get("username") or ""),
                                        str(form.get("role") or ""))
        except Refused as exc:
            if exc.status == 404:
                raise
            return await flash.redirect(request, f"/plans/{plan_id}#team-{team_id}", exc.message,
                                        where=f"team-{team_id}", form=form)
        return Redirect(f"/plans/{plan_id}#team-{team_id}", status_code=303)

    @post("/{plan_id:int}/visits", name="plans:schedule", opt=allow(ADMIN), status_code=303)
    async def schedule(self, request: Request, db: NamedDependency[Database], plan_id: FromPath[int]) -> Redirect:
        """Schedule visits to one or many units at once (all or none)."""
        plan = await self._plan_or_404(request, db, plan_id)
        form = await request.form()
        loaded = await checklists_of(request)
        try:
            team_id = int(str(form.get("team_id") or "0"))
            created = await scheduling.schedule_visits(
                db, user_of(request), plan, team_id=team_id, on=str(form.get("date") or ""),
                checklist=loaded.get(str(form.get("checklist_id") or "")), alternatives=loaded.values(),
                unit_codes=[str(c) for c in form_values(form, "units")])
        except ValueError:
            return await flash.redirect(request, schedule_target(plan_id, form), "Chọn đoàn kiểm tra.",
                                        where="schedule", form=form, lists=("units",))
        except Refused as exc:
            return await flash.redirect(request, schedule_target(plan_id, form), exc.message,
                                        where="schedule", form=form, lists=("units",))
        return await flash.redirect(request, f"/plans/{plan_id}#visits", f"Đã lên lịch {len(created)} cuộc kiểm tra.",
                                    kind="success")

    @post("/{plan_id:int}/surprise", name="plans:surprise", opt=allow(LEAD), status_code=303)
    async def surprise(self, request: Request, db: NamedDependency[Database], plan_id: FromPath[int]) -> Redirect:
        """A lead opens an unscheduled visit (kiểm tra đột xuất) today, for their own team."""
        plan = await self._plan_or_404(request, db, plan_id)
        user = user_of(request)
        team_id = await scheduling.lead_team(db, user, plan)
        if team_id is None:
            raise Refused(403, "not_lead", "Bạn không phải trưởng đoàn trong kế hoạch này.")
        form = await request.form()
        loaded = await checklists_of(request)
        try:
            created = await scheduling.schedule_visits(
                db, user, plan, team_id=team_id, on=date.today().isoformat(),
                checklist=loaded.get(str(form.get("checklist_id") or "")), alternatives=loaded.values(),
                unit_codes=[str(form.get("unit_code") or "")], kind="surprise")
        except Refused as exc:
            return await flash.redirect(request, f"/plans/{plan_id}#surprise", exc.message, where="surprise", form=form)
        return Redirect(f"/visits/{created[0]}", status_code=303)
