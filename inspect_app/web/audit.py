"""The audit log page: who changed what, when, in Vietnam time and Vietnamese words (services/audit_view)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.response import Template

from inspect_app.db import Database
from inspect_app.models import AuditEntry
from inspect_app.permissions import ADMIN, allow
from inspect_app.queries import audit
from inspect_app.services import audit_view
from inspect_app.web.common import page_context

PAGE_SIZE = 100
MAX_PAGE = 100_000  # an offset SQLite can take; past the end of any real log


def _url(filters: dict[str, str], **extra: Any) -> str:
    return "/audit?" + urlencode({**{k: v for k, v in filters.items() if v}, **extra})


class AuditController(Controller):
    path = "/audit"
    include_in_schema = False
    opt = allow(ADMIN)

    @get("/", name="audit:list")
    async def list_entries(
        self, request: Request, db: NamedDependency[Database], actor: FromQuery[str] = "",
        action: FromQuery[str] = "", kind: FromQuery[str] = "", object_id: FromQuery[str] = "",
        date_from: FromQuery[str] = "", date_to: FromQuery[str] = "", page: FromQuery[int] = 1,
    ) -> Template:
        """Newest first, 100 a page; filters by person, action, object and Vietnamese calendar days, kept
        across pages. A date that is not a date is a 400 with the form kept and the reason shown."""
        page = min(max(1, page), MAX_PAGE)
        filters = {"actor": actor.strip(), "action": action.strip(), "kind": kind.strip(),
                   "object_id": object_id.strip() if kind.strip() else "", "date_from": date_from.strip(),
                   "date_to": date_to.strip()}
        error, entries = "", []
        try:
            start, end = audit_view.utc_bounds(filters["date_from"], filters["date_to"])
        except ValueError as exc:
            error = str(exc)
        else:
            flt = audit.AuditFilter(actor=filters["actor"], action=filters["action"], kind=filters["kind"],
                                    object_id=filters["object_id"], start=start, end=end)
            entries = await audit.list_entries(db, flt, limit=PAGE_SIZE + 1, offset=(page - 1) * PAGE_SIZE)
        shown = entries[:PAGE_SIZE]
        focus_entry = (AuditEntry(0, "", "", "", filters["kind"], filters["object_id"], None, None, "")
                       if filters["kind"] and filters["object_id"] else None)
        names = await audit_view.names_for(db, [*shown, *([focus_entry] if focus_entry else [])])
        rows = []
        for entry in shown:
            who, login = audit_view.actor_names(entry.actor, entry.actor_name)
            ref = audit_view.object_ref(entry, names)
            rows.append({"id": entry.id, "at": entry.at, "time": audit_view.local_datetime(entry.at), "who": who,
                         "login": login, "ip": entry.ip, "action": entry.action,
                         "action_label": audit_view.action_label(entry.action), "object": ref,
                         "object_url": _url({"kind": ref.kind, "object_id": ref.object_id}),
                         "summary": audit_view.summarize(entry, names)})
        actors, actions = await audit.distinct_values(db)
        return Template("audit/list.html", status_code=400 if error else 200, context=page_context(
            request, rows=rows, page=page, filters=filters, error=error, filtered=any(filters.values()),
            focus=audit_view.object_ref(focus_entry, names).label if focus_entry else "",
            actors=[(username, *audit_view.actor_names(username, name)) for username, name in actors],
            action_menu=audit_view.action_menu(actions), kinds=audit_view.OBJECT_KIND_LABELS,
            prev_url=_url(filters, page=page - 1) if page > 1 else "",
            next_url=_url(filters, page=page + 1) if len(entries) > PAGE_SIZE else "",
            chain_broken_at=await audit.verify_chain(db)))
