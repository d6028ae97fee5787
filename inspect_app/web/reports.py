"""Report pages: a visit's minutes and conclusion notice, the plan's consolidated report, the periodic
report, and the background jobs that render the big ones (progress by htmx polling)."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, URLEncodedBody
from litestar.plugins.htmx import HTMXRequest
from litestar.response import File, Redirect, Template

from inspect_app.db import Database
from inspect_app.services import issuing
from inspect_app.services.errors import Refused
from inspect_app.models import User
from inspect_app.permissions import ADMIN, ALL_ROLES, LEAD, UNIT, allow
from inspect_app.queries import reports as q
from inspect_app.reports import html, jobs, render, rules
from inspect_app.reports.plan_data import DEFAULT_THRESHOLD, Filters, PlanReport, build_plan_report
from inspect_app.settings import Settings
from inspect_app.web.common import page_context, user_of, wants_fragment
from inspect_app.web.visits import visit_for

WAIT_SECONDS = 1.0  # a render finishing within this is answered at once; longer ones show progress
VIEW_REUSE_SECONDS = 60


class ExportForm(msgspec.Struct):
    format: str = "docx"
    threshold: str = ""


class PeriodicForm(msgspec.Struct):
    year: str = ""
    quarter: str = ""
    format: str = "docx"


def parse_threshold(raw: str | None) -> float:
    """A percentage typed by a person ("60" or "62,5"); 400 with a Vietnamese message otherwise."""
    if raw is None or not str(raw).strip():
        return DEFAULT_THRESHOLD
    try:
        value = float(str(raw).strip().replace(",", "."))
    except ValueError:
        raise Refused(400, "bad_threshold", "Ngưỡng phải là một số phần trăm từ 0 đến 100.") from None
    if not 0 <= value <= 100:
        raise Refused(400, "bad_threshold", "Ngưỡng phải là một số phần trăm từ 0 đến 100.")
    return value


def parse_period(year: str | None, quarter: str | None) -> tuple[int, int | None]:
    try:
        y = int(str(year or rules.today_in_vietnam().year).strip())
        qtr = int(quarter) if quarter not in (None, "", "all") else None
    except ValueError:
        raise Refused(400, "bad_period", "Năm hoặc quý không hợp lệ.") from None
    render.check_period(y, qtr)
    return y, qtr


async def document_visit(db: Database, request: Request, visit_id: int):
    """The visit if the caller may read its documents: staff as for the visit page; the unit's officer
    only once the lead has signed off (before that the findings may still change)."""
    visit = await visit_for(db, request, visit_id)
    if user_of(request).role == UNIT and visit.status not in rules.SIGNED:
        raise Refused(403, "not_signed_off",
                       "Biên bản và thông báo kết luận chỉ có sau khi trưởng đoàn ký duyệt cuộc kiểm tra.")
    return visit


def download(data: bytes, filename: str) -> Response:
    return Response(content=data, media_type=jobs.MEDIA_TYPES[filename.rsplit(".", 1)[-1]],
                    headers={"Content-Disposition": f'attachment; filename="{jobs.safe_filename(filename)}"',
                             "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


async def readable_plan(db: Database, user: User, plan_id: int) -> q.PlanRecord:
    """Admin: any plan; a lead: the plans they have a team in (404 otherwise)."""
    plan = await q.plan_record(db, plan_id)
    if plan is None or (user.role != ADMIN and plan_id not in await q.lead_plan_ids(db, user.id)):
        raise Refused(404, "not_found", "Không tìm thấy kế hoạch này.")
    return plan


async def plan_view_job(request: Request, db: Database, plan_id: int, threshold: float,
                        filters: Filters) -> jobs.Job:
    """The assembled plan report, shared for a minute by the report page and the dashboard."""
    user = user_of(request)

    async def work(job: jobs.Job) -> jobs.Output:
        report = await build_plan_report(db, plan_id, threshold=threshold, filters=filters, progress=job.progress)
        return jobs.Output(result=report)

    return await jobs.registry_of(request).start(
        owner_id=user.id, title="Tổng hợp số liệu kế hoạch", key=("view", plan_id, threshold, filters),
        work=work, reuse_seconds=VIEW_REUSE_SECONDS)


def job_fragment(request: Request, job: jobs.Job, status_code: int = 200) -> Template:
    # A finished "view" job reloads its page, which then finds the report ready; a finished export, swapped
    # in by htmx, starts its download by itself (static/js/reports.js), its link kept as the fallback.
    headers = {"HX-Refresh": "true"} if job.status == "done" and job.path is None else {}
    return Template("reports/_job.html", context=page_context(request, job=job, auto_download=True),
                    status_code=status_code, headers=headers)


# A visit's documents by the last part of their address: (document kind, format). The HTML is a
# print-ready A4 page; the PDF is printed from it by the server (reports/pdf.py).
VISIT_DOCUMENTS = {"minutes": ("minutes", "html"), "minutes.docx": ("minutes", "docx"),
                   "minutes.pdf": ("minutes", "pdf"),
                   "notice": ("notice", "html"), "notice.docx": ("notice", "docx"), "notice.pdf": ("notice", "pdf")}


class VisitDocumentController(Controller):
    path = "/visits/{visit_id:int}"
    include_in_schema = False

    @get([f"/{name}" for name in VISIT_DOCUMENTS], name="reports:visit-document", opt=allow(*ALL_ROLES))
    async def document(self, request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings],
                       visit_id: FromPath[int]) -> Response:
        """Biên bản kiểm tra (minutes) or Thông báo kết luận kiểm tra (notice), as HTML, .docx or .pdf."""
        kind, fmt = VISIT_DOCUMENTS[request.scope["path_template"].rsplit("/", 1)[-1]]
        await document_visit(db, request, visit_id)
        if fmt == "pdf" and (frozen := await issuing.frozen_pdf(db, visit_id, kind)):  # issued: the frozen file
            return download(*frozen)
        data, name = await render.visit_file(db, settings.evidence_dir, visit_id, kind, fmt, standalone=False)
        if fmt != "html":
            return download(data, name)
        return Response(content=data, media_type="text/html", headers={"Cache-Control": "private, no-store"})


class ReportController(Controller):
    path = "/reports"
    include_in_schema = False

    @get("/plans/{plan_id:int}", name="reports:plan", opt=allow(ADMIN, LEAD))
    async def plan_report(self, request: HTMXRequest, db: NamedDependency[Database],
                          settings: NamedDependency[Settings], plan_id: FromPath[int],
                          threshold: FromQuery[str | None] = None) -> Template:
        """The consolidated report on screen, with its exports; a slow assembly shows progress first."""
        plan = await readable_plan(db, user_of(request), plan_id)
        limit = parse_threshold(threshold)
        registry = jobs.registry_of(request)
        job = await registry.wait(await plan_view_job(request, db, plan_id, limit, Filters()), WAIT_SECONDS)
        context = page_context(request, plan=plan, job=job, threshold=limit, report=None)
        if job.status == "done" and (report := await registry.result(job, PlanReport)) is not None:
            context |= html.plan_context(report)
            context["report"] = report
        return Template("reports/plan.html", context=context)

    @post("/plans/{plan_id:int}/export", name="reports:plan-export", opt=allow(ADMIN, LEAD), status_code=200)
    async def export_plan(self, request: HTMXRequest, db: NamedDependency[Database],
                          settings: NamedDependency[Settings], plan_id: FromPath[int],
                          data: URLEncodedBody[ExportForm]) -> Template | Redirect:
        """Start a DOCX/XLSX/HTML/PDF export; htmx gets the progress fragment, a plain form a 303 to it."""
        plan = await readable_plan(db, user_of(request), plan_id)
        fmt = render.check_format(data.format, render.PLAN_FORMATS)
        limit = parse_threshold(data.threshold)

        async def work(job: jobs.Job) -> jobs.Output:
            content, name = await render.plan_file(db, plan_id, fmt, threshold=limit, progress=job.progress)
            return jobs.Output(data=content, filename=name)

        return await self._started(request, await jobs.registry_of(request).start(
            owner_id=user_of(request).id, title=f"Báo cáo Kế hoạch {plan.number} ({fmt.upper()})",
            key=("plan", plan_id, fmt, limit), work=work))

    async def _started(self, request: HTMXRequest, job: jobs.Job) -> Template | Redirect:
        job = await jobs.registry_of(request).wait(job, WAIT_SECONDS)
        if wants_fragment(request):
            return job_fragment(request, job)
        return Redirect(f"/reports/jobs/{job.id}", status_code=303)

    @get("/periodic", name="reports:periodic", opt=allow(ADMIN))
    async def periodic(self, request: Request, db: NamedDependency[Database], year: FromQuery[str | None] = None,
                       quarter: FromQuery[str | None] = None) -> Template:
        """The quarterly or yearly report: choose the period, see its plans, export DOCX or XLSX."""
        y, qtr = parse_period(year, quarter)
        start, end, label = rules.period_bounds(y, qtr)
        return Template("reports/periodic.html", context=page_context(
            request, year=y, quarter=qtr, label=label, plans=await q.plans_overlapping(db, start, end),
            this_year=rules.today_in_vietnam().year))

    @post("/periodic/export", name="reports:periodic-export", opt=allow(ADMIN), status_code=200)
    async def export_periodic(self, request: HTMXRequest, db: NamedDependency[Database],
                              settings: NamedDependency[Settings],
                              data: URLEncodedBody[PeriodicForm]) -> Template | Redirect:
        y, qtr = parse_period(data.year, data.quarter)
        fmt = render.check_format(data.format, render.PERIODIC_FORMATS)
        label = rules.period_bounds(y, qtr)[2]

        async def work(job: jobs.Job) -> jobs.Output:
            content, name = await render.periodic_file(db, y, qtr, fmt, progress=job.progress)
            return jobs.Output(data=content, filename=name)

        return await self._started(request, await jobs.registry_of(request).start(
            owner_id=user_of(request).id, title=f"Báo cáo {label} ({fmt.upper()})",
            key=("periodic", y, qtr, fmt), work=work))

    # Open to every role: a job is found only by the person who started it (others get 404).
    @get("/jobs/{job_id:str}", name="reports:job", opt=allow(*ALL_ROLES))
    async def job(self, request: HTMXRequest, job_id: FromPath[str]) -> Template:
        """A job's progress: the fragment htmx polls every second, or a page (from any app process)."""
        job = await self._job(request, job_id)
        if wants_fragment(request):
            return job_fragment(request, job)
        return Template("reports/job.html", context=page_context(request, job=job))

    @get("/jobs/{job_id:str}/file", name="reports:job-file", opt=allow(*ALL_ROLES))
    async def job_file(self, request: Request, job_id: FromPath[str]) -> File:
        job = await self._job(request, job_id)
        if job.status != "done" or job.path is None or not job.path.exists():
            raise Refused(409, "not_ready", "Tệp báo cáo chưa sẵn sàng hoặc đã hết hạn; hãy tạo lại.")
        return File(path=job.path, filename=jobs.safe_filename(job.filename), media_type=job.media_type,
                    content_disposition_type="attachment",
                    headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})

    async def _job(self, request: Request, job_id: str) -> jobs.Job:
        job = await jobs.registry_of(request).get(job_id, user_of(request).id)
        if job is None:
            raise Refused(404, "not_found", "Không tìm thấy yêu cầu tạo báo cáo này (có thể đã hết hạn).")
        return job

