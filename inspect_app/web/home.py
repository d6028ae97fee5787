"""The home page: what each role needs first."""

from __future__ import annotations

from datetime import date, timedelta

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from inspect_app.db import Database
from inspect_app.permissions import ADMIN, ALL_ROLES, UNIT, allow
from inspect_app.queries import plans, remediation, units, visits
from inspect_app.services import deadlines
from inspect_app.web.common import page_context, user_of
from inspect_app.web.remediation import scoped_items


class HomeController(Controller):
    include_in_schema = False

    @get("/", name="home", opt=allow(*ALL_ROLES))
    async def home(self, request: Request, db: NamedDependency[Database]) -> Template:
        """Admin: plans and progress. Lead/inspector: today's and upcoming visits. Unit: their unit."""
        user = user_of(request)
        today = date.today()
        vn_today = deadlines.today_in_vietnam()
        pressing = sum(1 for r in await scoped_items(db, user)
                       if deadlines.is_overdue(r.status, r.deadline, vn_today)
                       or deadlines.is_due_soon(r.status, r.deadline, vn_today))
        if user.role == ADMIN:
            plan_rows = []
            for plan in await plans.list_plans(db):
                plan_rows.append((plan, await visits.count_by_status(db, plan.id)))
            return Template("home/admin.html", context=page_context(
                request, plan_rows=plan_rows, unit_count=await units.count_units(db),
                provinces=await units.list_provinces(db), pressing=pressing,
            ))
        if user.role == UNIT:
            unit = await units.get_unit(db, user.unit_code)
            return Template("home/unit.html", context=page_context(
                request, unit=unit, visits=await visits.list_visits(db, unit_code=user.unit_code),
                remediation=await remediation.count_by_status(db, unit_code=user.unit_code), pressing=pressing,
            ))
        mine = await visits.list_visits(db, member_user_id=user.id, date_from=today.isoformat())
        horizon = (today + timedelta(days=30)).isoformat()
        return Template("home/inspector.html", context=page_context(
            request,
            today_visits=[v for v in mine if v.scheduled_on == today.isoformat()],
            upcoming=[v for v in mine if today.isoformat() < v.scheduled_on <= horizon],
            today=today, pressing=pressing,
        ))
