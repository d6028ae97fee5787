"""The audit log page: who changed what, when, with before → after."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from inspect_app.db import Database
from inspect_app.permissions import ADMIN, allow
from inspect_app.queries import audit
from inspect_app.web.common import page_context, page_number

PAGE_SIZE = 100


class AuditController(Controller):
    path = "/audit"
    include_in_schema = False
    opt = allow(ADMIN)

    @get("/", name="audit:list")
    async def list_entries(
        self, request: Request, db: NamedDependency[Database], actor: FromQuery[str] = "",
        action: FromQuery[str] = "", subject_type: FromQuery[str] = "", since: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> Template:
        page = page_number(page)
        entries = await audit.list_entries(db, actor=actor, action=action, subject_type=subject_type,
                                           since=since, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
        actors, types = await audit.distinct_values(db)
        broken = await audit.verify_chain(db)
        return Template("audit/list.html", context=page_context(
            request, entries=entries[:PAGE_SIZE], has_more=len(entries) > PAGE_SIZE, page=page, actors=actors,
            types=types, filters={"actor": actor, "action": action, "subject_type": subject_type, "since": since},
            chain_broken_at=broken))
