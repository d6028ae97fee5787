"""Plans (kế hoạch kiểm tra): list, detail with teams and visits, creation by the Sở Nội vụ."""

from __future__ import annotations

from datetime import date

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from inspect_app.db import Database
from inspect_app.errors import AppError
from inspect_app.models import Plan
from inspect_app.permissions import ADMIN, INSPECTOR, LEAD, STAFF, UNIT, allow
from inspect_app.queries import audit, plans, units, visits
from inspect_app.text import nfc
from inspect_app.web.common import client_ip, page_context, user_of


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


class PlanController(Controller):
    path = "/plans"
    include_in_schema = False

    @get("/", name="plans:list", opt=allow(ADMIN, LEAD, INSPECTOR, UNIT))
    async def list_plans(self, request: Request, db: NamedDependency[Database]) -> Template:
        return Template("plans/list.html", context=page_context(request, plans=await visible_plans(db, request)))

    @get("/new", name="plans:new", opt=allow(ADMIN))
    async def new_plan(self, request: Request, db: NamedDependency[Database]) -> Template:
        return Template("plans/new.html", context=page_context(
            request, form=PlanForm(), errors={}, provinces=await units.list_provinces(db)))

    @post("/", name="plans:create", opt=allow(ADMIN), status_code=303)
    async def create_plan(self, request: Request, db: NamedDependency[Database],
                          data: URLEncodedBody[PlanForm]) -> Template | Redirect:
        """Create a plan; invalid input re-renders the form with messages (422)."""
        errors = plan_form_errors(data)
        if data.province_code and data.province_code not in {c for c, _, _ in await units.list_provinces(db)}:
            errors["province_code"] = "Tỉnh này chưa có trong danh mục đơn vị."
        if not errors and await plans.find_plan(db, nfc(data.number), data.issued_on):
            errors["number"] = "Đã có kế hoạch cùng số, ký hiệu và ngày ban hành."
        if errors:
            return Template("plans/new.html", status_code=422, context=page_context(
                request, form=data, errors=errors, provinces=await units.list_provinces(db)))
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
    async def plan_detail(self, request: Request, db: NamedDependency[Database], plan_id: FromPath[int]) -> Template:
        """A plan with its teams and the visits the caller may see (404 if none of it is theirs)."""
        user = user_of(request)
        if plan_id not in {p.id for p in await visible_plans(db, request)}:
            raise AppError(404, "not_found", "Không tìm thấy kế hoạch này.")
        plan = await plans.get_plan(db, plan_id)
        if user.role == UNIT:
            plan_visits = await visits.list_visits(db, plan_id=plan_id, unit_code=user.unit_code)
            teams = []
        else:
            member = None if user.role == ADMIN else user.id
            plan_visits = await visits.list_visits(db, plan_id=plan_id, member_user_id=member)
            teams = await plans.list_teams(db, plan_id)
        return Template("plans/detail.html", context=page_context(
            request, plan=plan, teams=teams, visits=plan_visits, staff=user.role in STAFF))
