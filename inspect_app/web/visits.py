"""Visits: the caller's list and a visit's summary page."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from inspect_app.db import Database
from inspect_app.services import visits as visits_service
from inspect_app.models import Visit
from inspect_app.permissions import ADMIN, ALL_ROLES, UNIT, allow
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
    """The visit if the caller may see it (services/visits.load: 404 for another unit, 403 for another team)."""
    return (await visits_service.load(db, user_of(request), visit_id)).visit


class VisitController(Controller):
    path = "/visits"
    include_in_schema = False

    @get("/", name="visits:list", opt=allow(*ALL_ROLES))
    async def list_visits(self, request: Request, db: NamedDependency[Database],
                          status: FromQuery[str | None] = None) -> Template:
        return Template("visits/list.html", context=page_context(
            request, visits=await visible_visits(db, request, status=status or None), status=status or ""))
