"""Visits: the caller's list and a visit's summary page."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from inspect_app.db import Database
from inspect_app.services.errors import Refused
from inspect_app.models import Visit
from inspect_app.permissions import ADMIN, ALL_ROLES, UNIT, allow, can_see_visit
from inspect_app.queries import visits
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
    """The visit if the caller may see it.

    A unit officer asking for another unit's visit gets 404, so existence does not leak outside
    the Sở Nội vụ; an inspector of another team gets 403 (staff know the plan's visits exist).
    """
    return (await visit_and_membership(db, request, visit_id))[0]


async def visit_and_membership(db: Database, request: Request, visit_id: int) -> tuple[Visit, bool]:
    """`visit_for`, plus whether the caller is on the visit's team (read once, used twice)."""
    user = user_of(request)
    found = await visits.get_visit_for_member(db, visit_id, user.id)
    if found is None or (user.role == UNIT and found[0].unit_code != user.unit_code):
        raise Refused(404, "not_found", "Không tìm thấy cuộc kiểm tra này.")
    visit, is_member = found
    if not can_see_visit(user, visit, is_member):
        raise Refused(403, "not_team_member", "Bạn không thuộc đoàn kiểm tra của cuộc kiểm tra này.")
    return visit, is_member


class VisitController(Controller):
    path = "/visits"
    include_in_schema = False

    @get("/", name="visits:list", opt=allow(*ALL_ROLES))
    async def list_visits(self, request: Request, db: NamedDependency[Database],
                          status: FromQuery[str | None] = None) -> Template:
        return Template("visits/list.html", context=page_context(
            request, visits=await visible_visits(db, request, status=status or None), status=status or ""))
