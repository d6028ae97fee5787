"""The Sở Nội vụ's dashboard: plan progress, server-drawn charts, filters and a diacritic-blind search."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Template

from inspect_app.db import Database
from inspect_app.services.errors import Refused
from inspect_app.models import UNIT_KIND_LABELS, VISIT_STATUS_LABELS
from inspect_app.permissions import ADMIN, allow
from inspect_app.queries import reports as report_q
from inspect_app.reports import dashboard, jobs, svg
from inspect_app.reports.plan_data import DEFAULT_THRESHOLD, Filters, PlanReport
from inspect_app.settings import Settings
from inspect_app.web.common import page_context
from inspect_app.web.reports import WAIT_SECONDS, plan_view_job


def checked_filters(province: str, kind: str, status: str, area: str, provinces: list[tuple[str, str]]) -> Filters:
    """Filters from the query string; an unknown value is a 400 with a message, never a silent empty page."""
    if province and province not in {code for code, _ in provinces}:
        raise Refused(400, "bad_filter", "Tỉnh, thành phố không có trong dữ liệu kiểm tra.")
    if kind and kind not in UNIT_KIND_LABELS:
        raise Refused(400, "bad_filter", "Loại đơn vị không hợp lệ.")
    if status and status not in VISIT_STATUS_LABELS:
        raise Refused(400, "bad_filter", "Trạng thái không hợp lệ.")
    if len(area) > 10:
        raise Refused(400, "bad_filter", "Lĩnh vực không hợp lệ.")
    return Filters(province=province, kind=kind, status=status, area=area)


class DashboardController(Controller):
    path = "/reports"
    include_in_schema = False

    @get("/", name="reports:dashboard", opt=allow(ADMIN))
    async def dashboard(self, request: HTMXRequest, db: NamedDependency[Database],
                        settings: NamedDependency[Settings], plan: FromQuery[int | None] = None,
                        province: FromQuery[str] = "", kind: FromQuery[str] = "", status: FromQuery[str] = "",
                        area: FromQuery[str] = "", q: FromQuery[str] = "") -> Template:
        """Progress of every plan; for the chosen plan (default: the newest) charts and search."""
        provinces = await report_q.provinces_in_use(db)
        filters = checked_filters(province, kind, status, area, provinces)
        query = q.strip()[:200]
        progress = await dashboard.plan_progress(db, province=province, kind=kind)
        plan_id = plan if plan is not None else (progress[0].plan_id if progress else None)
        if plan_id is not None and plan_id not in {p.plan_id for p in progress}:
            raise Refused(404, "not_found", "Không tìm thấy kế hoạch này.")
        context = page_context(request, progress=progress, provinces=provinces, filters=filters, query=query,
                               plan_id=plan_id, svg=svg, report=None, job=None, unit_hits=[], finding_hits=[],
                               UNIT_KIND_LABELS=UNIT_KIND_LABELS, charts=[], areas=[])
        if plan_id is None:
            return Template("reports/dashboard.html", context=context)
        registry = jobs.registry_of(request)
        job = await registry.wait(await plan_view_job(request, db, plan_id, DEFAULT_THRESHOLD,
                                                      Filters(province=province, kind=kind, status=status)),
                                  WAIT_SECONDS)
        context["job"] = job
        if job.status == "done" and (report := await registry.result(job, PlanReport)) is not None:
            units, findings = await dashboard.search(db, report, query)
            areas = {a.code: a.title for g in report.groups for a in g.areas}
            context |= {"report": report, "unit_hits": units, "finding_hits": findings,
                        "areas": sorted(areas.items(), key=lambda kv: kv[0]),
                        "charts": [(g, svg.group_charts(g, report.threshold, filters.area)) for g in report.groups]}
        return Template("reports/dashboard.html", context=context)
