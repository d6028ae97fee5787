"""The evidence package of a visit (hồ sơ tài liệu kiểm chứng): built as a job, the latest kept for download.

Who may build and download it: the inspected unit's own officers, the visit's team, the Sở Nội vụ
(`visit_for`: another unit gets 404, another team 403). Progress and the job's file are served by the
report job routes, to whoever started the job.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest
from litestar.response import File, Redirect, Template

from inspect_app.db import Database
from inspect_app.errors import wants_json
from inspect_app.services.errors import Refused
from inspect_app.models import Visit
from inspect_app.permissions import ALL_ROLES, UNIT, allow
from inspect_app.queries import self_assessment as self_q
from inspect_app.reports import evidence_package, jobs
from inspect_app.reports.rules import SIGNED
from inspect_app.services.checklist_store import checklist_version
from inspect_app.services.self_assessment import evidence_completeness
from inspect_app.settings import Settings
from inspect_app.web.common import page_context, user_of, wants_fragment
from inspect_app.web.reports import WAIT_SECONDS, job_fragment
from inspect_app.web.visits import visit_for


def latest_facts(settings: Settings, visit_id: int, *, unit: bool = False) -> dict | None:
    """Size and time of the latest built package (the unit's own, or everyone else's), or None."""
    path = evidence_package.latest_path(settings.data_dir, visit_id, unit=unit)
    try:
        stat = path.stat()
    except FileNotFoundError:
        return None
    built = datetime.fromtimestamp(stat.st_mtime, tz=UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    return {"size": stat.st_size, "built_at": built, "url": f"/visits/{visit_id}/evidence-package.zip"}


async def package_facts(db: Database, settings: Settings, visit: Visit, *, unit: bool) -> dict:
    """What the page says. A draft self-assessment counts only for the unit itself (it is the unit's)."""
    assessment = await self_q.get_for_visit(db, visit.id)
    if assessment is not None and assessment.status != "submitted" and not unit:
        assessment = None
    checklist = await checklist_version(db, visit.checklist_id, visit.checklist_version)
    counts = await self_q.evidence_counts(db, assessment.id) if assessment else {}
    return {"assessment": assessment, "checklist": checklist, "latest": latest_facts(settings, visit.id, unit=unit),
            "completeness": evidence_completeness(checklist, counts) if assessment else None,
            "signed": visit.status in SIGNED}


class EvidencePackageController(Controller):
    path = "/visits/{visit_id:int}"
    include_in_schema = False

    @get("/evidence-package", name="package:page", opt=allow(*ALL_ROLES))
    async def page(self, request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings],
                   visit_id: FromPath[int]) -> Template:
        """What the package holds and how complete it is; the button that builds it; the latest one."""
        visit = await visit_for(db, request, visit_id)
        unit = user_of(request).role == UNIT
        return Template("evidence_package/page.html", context=page_context(
            request, visit=visit, **await package_facts(db, settings, visit, unit=unit)))

    @post("/evidence-package", name="package:build", opt=allow(*ALL_ROLES), status_code=202)
    async def build(self, request: HTMXRequest, db: NamedDependency[Database], settings: NamedDependency[Settings],
                    visit_id: FromPath[int]) -> Response | Template | Redirect:
        """Start building the package: 202 {"job_id"} for programs, the progress fragment for htmx,
        a 303 to the progress page for a plain form."""
        visit = await visit_for(db, request, visit_id)
        unit = user_of(request).role == UNIT  # the unit's own package holds its draft too; nobody else's does
        registry = jobs.registry_of(request)

        async def work(job: jobs.Job) -> jobs.Output:
            # Built under the job's own name, then published as the latest: two builds at once never
            # hand one's file to the other's job.
            built = registry.root / f".{job.id}.zip.part"
            await evidence_package.build(db, settings.evidence_dir, built, visit, job.progress, with_draft=unit)
            await asyncio.to_thread(evidence_package.publish, built,
                                    evidence_package.latest_path(settings.data_dir, visit.id, unit=unit))
            return jobs.Output(path=built, filename=evidence_package.download_name(visit))

        job = await registry.start(owner_id=user_of(request).id, title=f"Hồ sơ tài liệu kiểm chứng · {visit.unit_name}",
                             key=("evidence-package", visit.id, unit), work=work)
        if wants_json(request):
            return Response({"job_id": job.id, "progress_url": f"/reports/jobs/{job.id}",
                             "file_url": f"/reports/jobs/{job.id}/file"}, status_code=202)
        job = await registry.wait(job, WAIT_SECONDS)
        if wants_fragment(request):
            return job_fragment(request, job, status_code=202)
        return Redirect(f"/reports/jobs/{job.id}", status_code=303)

    @get("/evidence-package.zip", name="package:latest", opt=allow(*ALL_ROLES))
    async def latest(self, request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings],
                     visit_id: FromPath[int]) -> File:
        """The latest built package (404 until one is built)."""
        visit = await visit_for(db, request, visit_id)
        path = evidence_package.latest_path(settings.data_dir, visit.id, unit=user_of(request).role == UNIT)
        if not path.exists():
            raise Refused(404, "package_not_built",
                           "Chưa có hồ sơ tài liệu kiểm chứng nào được tạo cho cuộc kiểm tra này; hãy bấm «Tạo hồ sơ».")
        return File(path=path, filename=evidence_package.download_name(visit), media_type="application/zip",
                    content_disposition_type="attachment",
                    headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})
