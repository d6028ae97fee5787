"""The JSON API (/api/v1): session cookie or `Authorization: Bearer TOKEN`; each list is scoped."""

from __future__ import annotations

import re
from typing import Annotated

import msgspec
from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, QueryParameter

from inspect_app.db import Database
from inspect_app.services.errors import Refused
from inspect_app.permissions import ALL_ROLES, INSPECTOR, LEAD, ADMIN, allow
from inspect_app.queries import units
from inspect_app.web.common import user_of
from inspect_app.web.plans import visible_plans
from inspect_app.web.visits import visible_visits


class Me(msgspec.Struct):
    username: str
    role: str
    unit_code: str | None
    full_name: str


class UnitOut(msgspec.Struct):
    code: str
    name: str
    kind: str
    province_code: str


class PlanOut(msgspec.Struct):
    id: int
    number: str
    title: str
    issued_on: str
    period_start: str
    period_end: str
    issuer: str


class VisitOut(msgspec.Struct):
    id: int
    plan_id: int
    unit_code: str
    unit_name: str
    team: str
    date: str
    status: str
    checklist_id: str
    checklist_version: str


# The bounds the handler checks itself (with its own Vietnamese message), told to the OpenAPI document.
Province = Annotated[str, QueryParameter(name="province", schema_extra={"pattern": "^([0-9]{1,2})?$"})]
Limit = Annotated[int, QueryParameter(name="limit", schema_extra={"minimum": 1, "maximum": 1000})]
Offset = Annotated[int, QueryParameter(name="offset", schema_extra={"minimum": 0, "maximum": 2**63 - 1})]
PROVINCE_CODE = re.compile(r"[0-9]{1,2}")


class ApiController(Controller):
    path = "/api/v1"
    tags = ["api"]

    @get("/me", opt=allow(*ALL_ROLES), operation_id="GetMe")
    async def me(self, request: Request) -> Me:
        """Who the caller is."""
        user = user_of(request)
        return Me(username=user.username, role=user.role, unit_code=user.unit_code, full_name=user.full_name)

    @get("/units", opt=allow(ADMIN, LEAD, INSPECTOR), operation_id="ListUnits")
    async def list_units(
        self, db: NamedDependency[Database], province: Province = "", q: FromQuery[str] = "",
        kind: FromQuery[str] = "", limit: Limit = 100, offset: Offset = 0,
    ) -> list[UnitOut]:
        """Units by province; `q` ignores diacritics and case ("thuy nguyen" finds "Thủy Nguyên")."""
        if province and not PROVINCE_CODE.fullmatch(province):
            raise Refused(400, "invalid_province", "Mã tỉnh gồm 2 chữ số, ví dụ 31.")
        if not 1 <= limit <= 1000 or offset < 0:
            raise Refused(400, "invalid_paging", "limit phải từ 1 đến 1000 và offset không âm.")
        rows = await units.search_units(db, q=q, province=province.zfill(2) if province else "", kind=kind,
                                        limit=limit, offset=offset)
        return [UnitOut(code=u.code, name=u.name, kind=u.kind, province_code=u.province_code) for u in rows]

    @get("/units/{code:str}", opt=allow(*ALL_ROLES), operation_id="GetUnit")
    async def get_unit(self, request: Request, db: NamedDependency[Database], code: FromPath[str]) -> UnitOut:
        """One unit by official code (a unit officer may read only their own)."""
        user = user_of(request)
        unit = await units.get_unit(db, code)
        if unit is None or (user.role == "unit" and user.unit_code != code):
            raise Refused(404, "unknown_unit", f"Không có đơn vị mã {code}.")
        return UnitOut(code=unit.code, name=unit.name, kind=unit.kind, province_code=unit.province_code)

    @get("/plans", opt=allow(*ALL_ROLES), operation_id="ListPlans")
    async def list_plans(self, request: Request, db: NamedDependency[Database]) -> list[PlanOut]:
        """The plans the caller may see."""
        return [PlanOut(id=p.id, number=p.number, title=p.title, issued_on=p.issued_on, issuer=p.issuer,
                        period_start=p.period_start, period_end=p.period_end)
                for p in await visible_plans(db, request)]

    @get("/visits", opt=allow(*ALL_ROLES), operation_id="ListVisits")
    async def list_visits(self, request: Request, db: NamedDependency[Database],
                          plan: FromQuery[int | None] = None) -> list[VisitOut]:
        """The visits the caller may see, optionally of one plan."""
        return [VisitOut(id=v.id, plan_id=v.plan_id, unit_code=v.unit_code, unit_name=v.unit_name,
                         team=v.team_name, date=v.scheduled_on, status=v.status, checklist_id=v.checklist_id,
                         checklist_version=v.checklist_version)
                for v in await visible_visits(db, request, plan_id=plan)]
