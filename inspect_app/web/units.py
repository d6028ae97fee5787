"""Administrative units: search (diacritics ignored) and departments added by the Sở Nội vụ."""

from __future__ import annotations

import msgspec
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery, URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from inspect_app.db import Database
from inspect_app.models import Unit
from inspect_app.permissions import ADMIN, INSPECTOR, LEAD, allow
from inspect_app.queries import audit, units
from inspect_app.services.units_import import DEPARTMENT_CODE_RE
from inspect_app.text import nfc
from inspect_app.web import flash
from inspect_app.web.common import client_ip, page_context, page_number, user_of, wants_fragment
from inspect_app.web.flash import flash_of

PAGE_SIZE = 50


class DepartmentForm(msgspec.Struct):
    code: str = ""
    name: str = ""
    province_code: str = ""


class UnitController(Controller):
    path = "/units"
    include_in_schema = False

    @get("/", name="units:list", opt=allow(ADMIN, LEAD, INSPECTOR))
    async def list_units(
        self, request: HTMXRequest, db: NamedDependency[Database], q: FromQuery[str] = "",
        province: FromQuery[str] = "", kind: FromQuery[str] = "", page: FromQuery[int] = 1,
    ) -> Template:
        """One URL, two renderings: the rows for an htmx search, the whole page otherwise."""
        page = page_number(page)
        rows = await units.search_units(db, q=q, province=province, kind=kind, limit=PAGE_SIZE + 1,
                                        offset=(page - 1) * PAGE_SIZE)
        context = page_context(request, units=rows[:PAGE_SIZE], has_more=len(rows) > PAGE_SIZE, page=page,
                               q=q, province=province, kind=kind)
        if wants_fragment(request):
            return Template("units/_rows.html", context=context, headers={"Vary": "HX-Request"})
        context["provinces"] = await units.list_provinces(db)
        note = flash_of(request)
        context["dept_form"] = flash.refill(note, DepartmentForm) or DepartmentForm(province_code=province)
        context["dept_errors"] = note.errors if note else {}
        return Template("units/list.html", context=context, headers={"Vary": "HX-Request"})

    @post("/departments", name="units:add-department", opt=allow(ADMIN), status_code=303)
    async def add_department(self, request: HTMXRequest, db: NamedDependency[Database],
                             data: URLEncodedBody[DepartmentForm]) -> Redirect:
        """Add a sở/ngành (communes come from the official list, not by hand)."""
        code, name = nfc(data.code).upper(), nfc(data.name)
        provinces = await units.list_provinces(db)
        errors = {}
        if not DEPARTMENT_CODE_RE.match(code):
            errors["code"] = "Mã sở, ngành gồm chữ in hoa, số và dấu chấm, bắt đầu bằng chữ (ví dụ H31.12)."
        elif await units.get_unit(db, code):
            errors["code"] = f"Mã {code} đã có trong danh mục."
        if len(name) < 4:
            errors["name"] = "Nhập tên đầy đủ của sở, ngành."
        if data.province_code not in {c for c, _, _ in provinces}:
            errors["province_code"] = "Chọn tỉnh, thành phố."
        if errors:  # back to the list with the messages and what was typed (post/redirect/get)
            return await flash.redirect(request, "/units#add-department", "Vui lòng sửa các mục được đánh dấu.",
                                        form=msgspec.structs.asdict(data), errors=errors)
        user = user_of(request)
        unit = Unit(code=code, name=name, kind="so_nganh", province_code=data.province_code)
        async with db.transaction() as tx:
            await units.upsert_units(tx, [unit])
            await audit.record(tx, actor_id=user.id, actor=user.username, action="unit.create",
                               subject_type="unit", subject_id=code, ip=client_ip(request),
                               after={"name": name, "kind": "so_nganh", "province_code": data.province_code})
        return Redirect(f"/units?kind=so_nganh&province={data.province_code}", status_code=303)
