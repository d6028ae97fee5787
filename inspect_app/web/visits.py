"""Visits: the caller's list and a visit's summary page."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from inspect_app.db import Database
from inspect_app.errors import AppError
from inspect_app.models import Visit
from inspect_app.permissions import ADMIN, ALL_ROLES, UNIT, allow, can_see_visit
from inspect_app.queries import plans, visits
from inspect_app.queries import checklists as checklist_q
from inspect_app.web.common import page_context, user_of


async def visible_visits(db: Database, request: Request, plan_id: int | None = None,
                         status: str | None = None) -> list[Visit]:
    """Admin: all; lead/inspector: their teams'; unit: their unit's."""
    user = user_of(request)
    if user.role == ADMIN:
        return await visits.list_visits(db, plan_id=plan_id, status=status)
    if user.role == UNIT:
        return await visits.list_visits(db, plan_id=plan_id, unit_code=user.unit_code, status=status)
    return await visits.list_visits(db, plan_id=plan_id, member_user_id=user.id, status=status)


async def visit_for(db: Database, request: Request, visit_id: int) -> Visit:
    """The visit if the caller may see it; 404 otherwise, so existence does not leak."""
    user = user_of(request)
    visit = await visits.get_visit(db, visit_id)
    if visit is None or not can_see_visit(user, visit, await visits.is_team_member(db, visit_id, user.id)):
        raise AppError(404, "not_found", "Không tìm thấy cuộc kiểm tra này.")
    return visit


class VisitController(Controller):
    path = "/visits"
    include_in_schema = False

    @get("/", name="visits:list", opt=allow(*ALL_ROLES))
    async def list_visits(self, request: Request, db: NamedDependency[Database],
                          status: FromQuery[str | None] = None) -> Template:
        return Template("visits/list.html", context=page_context(
            request, visits=await visible_visits(db, request, status=status or None), status=status or ""))

    @get("/{visit_id:int}", name="visits:detail", opt=allow(*ALL_ROLES))
    async def visit_detail(self, request: Request, db: NamedDependency[Database], visit_id: FromPath[int]) -> Template:
        """Who, where, when, with which checklist version."""
        visit = await visit_for(db, request, visit_id)
        plan = await plans.get_plan(db, visit.plan_id)
        team = next((t for t in await plans.list_teams(db, visit.plan_id) if t.id == visit.team_id), None)
        version = next((v for v in await checklist_q.list_versions(db, visit.checklist_id)
                        if v.version_hash == visit.checklist_version), None)
        return Template("visits/detail.html", context=page_context(
            request, visit=visit, plan=plan, team=team, version=version))
