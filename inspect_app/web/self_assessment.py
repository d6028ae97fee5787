"""Self-assessment pages: the unit's own answers with evidence, and the Sở Nội vụ's campaign view."""

from __future__ import annotations

import secrets
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Template

from inspect_app.checklists import Answer, Checklist, is_blank, score_item
from inspect_app.checklists.conditions import skipped_codes
from inspect_app.checklists.derive import derive_answers
from inspect_app.db import Database
from inspect_app.models import Evidence
from inspect_app.permissions import ADMIN, LEAD, UNIT, allow
from inspect_app.queries import evidence as evidence_q
from inspect_app.queries import findings as findings_q
from inspect_app.queries import plans, visits
from inspect_app.queries import self_assessment as q
from inspect_app.services import answers, capture, deadlines, idempotency, self_assessment
from inspect_app.services.visits import LOCKED
from inspect_app.services.answers import answer_from_form
from inspect_app.services.attach import attach_to_self_answer
from inspect_app.services.errors import Refused
from inspect_app.settings import Settings
from inspect_app.web.capture import (CardView, VisitContext, derived_card, load_context, plain_form_key,
                                     skip_conditions_json)
from inspect_app.services.checklist_store import checklist_version
from inspect_app.web.evidence_package import latest_facts
from inspect_app.web import flash
from inspect_app.web.common import dom_id, form_values, page_context, user_of, wants_fragment
from inspect_app.web.flash import flash_of
from inspect_app.web.plans import visible_plans


async def unit_cards(db: Database, ctx: VisitContext, assessment_id: int | None,
                     with_evidence: bool = True) -> dict[str, CardView]:
    rows = {r.item_code: r for r in await q.answers(db, assessment_id)} if assessment_id else {}
    files: dict[str, list[Evidence]] = {}
    if assessment_id and with_evidence:
        for ev in await evidence_q.list_for_assessment(db, assessment_id):
            files.setdefault(ev.item_code, []).append(ev)
    stored = {code: answers.decode(row.answer_json) for code, row in rows.items()}
    derived = derive_answers(ctx.checklist, stored)  # an item derived from the sample shows its rows' figures
    cards = {}
    for item in ctx.checklist.items():
        if item.from_sample is not None:
            cards[item.code] = derived_card(item, derived.get(item.code), files.get(item.code, []))
            continue
        row = rows.get(item.code)
        answer = stored.get(item.code, Answer())
        score = score_item(item, answer)
        cards[item.code] = CardView(item=item, answer=answer, note=row.note if row else "",
                                    version=row.version if row else 0, points=score.points,
                                    max_points=score.max_points, updated_at=row.updated_at if row else None,
                                    updated_by=row.updated_by_name if row else None,
                                    evidence=files.get(item.code, []))
    return cards


def header_figures(checklist: Checklist, cards: dict[str, CardView]) -> dict[str, Any]:
    """The self-assessment header: items answered out of those that apply, and the points they give
    (an item skipped by its condition neither counts nor scores)."""
    skipped = skipped_codes(checklist, {code: card.answer for code, card in cards.items()})
    applying = [card for code, card in cards.items() if code not in skipped]
    # An item derived from the sample is answered once the sample's rows give it a figure (as in the
    # visit's progress), never by a save of its own.
    return {"answered": sum(1 for c in applying if (c.version or c.item.from_sample) and not is_blank(c.answer)),
            "total": len(applying), "self_points": sum(c.points or 0 for c in applying), "skipped": skipped}


class SelfAssessmentController(Controller):
    path = "/visits/{visit_id:int}/self-assessment"
    include_in_schema = False

    @get("/", name="self:page", opt=allow(UNIT))
    async def page(self, request: Request, db: NamedDependency[Database], visit_id: FromPath[int]) -> Template:
        """The unit's self-assessment of this visit's checklist: draft, then submitted (read-only)."""
        ctx = await load_context(db, request, visit_id)
        note = flash_of(request)
        error = note.message if note and note.kind == "error" else ""
        assessment = await q.get_for_visit(db, visit_id)
        cards = await unit_cards(db, ctx, assessment.id if assessment else None)
        editable = (assessment is None or assessment.status == "draft") and ctx.visit.status not in LOCKED
        if note and note.kind == "error" and note.where in cards:  # a refused plain-form save: show what was typed
            card = cards[note.where]
            cards[note.where] = msgspec.structs.replace(card, note=note.value("note", card.note), error=note.message)
        return Template("self_assessment/page.html", context=page_context(
            request, visit=ctx.visit, checklist=ctx.checklist, cards=cards, assessment=assessment, error=error,
            editable=editable, skip_conditions=skip_conditions_json(ctx.checklist),
            **header_figures(ctx.checklist, cards)))

    @post("/items/{item_code:str}", name="self:save", opt=allow(UNIT), status_code=200)
    async def save(self, request: HTMXRequest, db: NamedDependency[Database], visit_id: FromPath[int],
                   item_code: FromPath[str]) -> Template | Redirect:
        ctx = await load_context(db, request, visit_id)
        item = capture.find_item(ctx.checklist, item_code)
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        key = request.headers.get("idempotency-key") or form.get("idempotency_key", "")
        try:
            answer = answer_from_form(item, form)
            base = int(form.get("base_version", "0") or 0)
            result, _ = await self_assessment.save_answer(
                db, user=ctx.user, visit=ctx.visit, item=item, answer=answer, note=form.get("note", ""),
                base_version=base, idempotency_key=key or plain_form_key("self", ctx, item_code, base, form),
                payload_hash=idempotency.request_hash("self-form", visit_id, item_code, msgspec.to_builtins(answer),
                                                  form.get("note", ""), base))
        except (Refused, ValueError) as exc:
            refused = exc if isinstance(exc, Refused) else Refused(422, "invalid_input", "Giá trị không hợp lệ.")
            if refused.status == 403:
                raise refused
            if wants_fragment(request):
                return Template("self_assessment/_status.html", status_code=refused.status if refused.status in
                                (409, 422) else 422, context={"code": item_code, "error": refused.message})
            return await flash.redirect(request, f"/visits/{visit_id}/self-assessment#item-{dom_id(item_code)}",
                                        f"{item_code}: {refused.message}", where=item_code, form=form)
        if not wants_fragment(request):
            return Redirect(f"/visits/{visit_id}/self-assessment#item-{dom_id(item_code)}", status_code=303)
        # The status line, the new version and the header's figures (out of band), as on the visit page.
        assessment = await q.get_for_visit(db, visit_id)
        cards = await unit_cards(db, ctx, assessment.id if assessment else None, with_evidence=False)
        return Template("self_assessment/_status.html",
                        context={"code": item_code, "result": result, "card": cards[item_code]} | header_figures(ctx.checklist, cards))

    @post("/items/{item_code:str}/evidence", name="self:upload", opt=allow(UNIT), status_code=200,
          request_max_body_size=64_000_000)
    async def upload(self, request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings],
                     visit_id: FromPath[int], item_code: FromPath[str]) -> Template | Redirect:
        """The unit's documents and photos for one item (the same validated pipeline as field evidence)."""
        ctx = await load_context(db, request, visit_id)
        item = capture.find_item(ctx.checklist, item_code)
        answer = await self_assessment.answer_for_evidence(db, ctx.user, ctx.visit, item, create=True)
        form = await request.form()
        files = [f for f in form_values(form, "file") if isinstance(f, UploadFile) and f.filename]
        if not files:
            raise Refused(422, "no_file", "Chưa chọn tệp nào để tải lên.")
        base_key = request.headers.get("idempotency-key") or str(form.get("idempotency_key") or "") \
            or secrets.token_urlsafe(16)
        for index, upload in enumerate(files[:4]):
            await attach_to_self_answer(
                db, root=settings.evidence_dir, user=ctx.user, visit_id=visit_id, self_answer_id=answer.id,
                item_code=item_code, data=await upload.read(), filename=upload.filename or "",
                idempotency_key=base_key if len(files) == 1 else f"{base_key}:{index}")
        if request.headers.get("x-requested-with") == "fetch":
            cards = await unit_cards(db, ctx, answer.assessment_id)
            return Template("self_assessment/_gallery.html", context=page_context(
                request, visit=ctx.visit, card=cards[item_code], editable=True))
        return Redirect(f"/visits/{visit_id}/self-assessment#item-{dom_id(item_code)}", status_code=303)

    @post("/submit", name="self:submit", opt=allow(UNIT), status_code=303)
    async def submit(self, request: Request, db: NamedDependency[Database], visit_id: FromPath[int]) -> Redirect:
        """Submit to the Sở Nội vụ; the page then says so, with the time (or why it was refused)."""
        ctx = await load_context(db, request, visit_id)
        try:
            await self_assessment.submit(db, ctx.user, ctx.visit, ctx.checklist)
        except Refused as exc:
            return await flash.redirect(request, f"/visits/{visit_id}/self-assessment", exc.message)
        # The page now opens with the confirmation: sent to the Sở Nội vụ, at what time.
        return Redirect(f"/visits/{visit_id}/self-assessment#top", status_code=303)


class CampaignController(Controller):
    """The Sở Nội vụ opens self-assessments for many units with a deadline and follows them."""

    path = "/plans/{plan_id:int}/self-assessments"
    include_in_schema = False

    @get("/", name="self:campaign", opt=allow(ADMIN, LEAD))
    async def progress(self, request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings],
                       plan_id: FromPath[int]) -> Template:
        user = user_of(request)
        note = flash_of(request)
        error = note.message if note and note.kind == "error" else ""
        if plan_id not in {p.id for p in await visible_plans(db, request)}:
            raise Refused(404, "not_found", "Không tìm thấy kế hoạch này.")
        plan = await plans.get_plan(db, plan_id)
        # A lead follows the units of their own team; the Sở Nội vụ follows every unit.
        mine = None if user.role == ADMIN else {
            v.id for v in await visits.list_visits(db, plan_id=plan_id, member_user_id=user.id)}
        today = deadlines.today_in_vietnam()
        rows: list[dict[str, Any]] = []
        appraisals = []
        evidence = await q.evidence_counts_for_plan(db, plan_id)
        for r in await q.list_for_plan(db, plan_id):
            if mine is not None and r["visit_id"] not in mine:
                continue
            state = self_assessment.campaign_state(r["status"], r["deadline"], today)
            row = dict(r) | {"state": state, "appraisal": None}
            if state == "submitted" and r["visit_status"] != "planned":
                visit = await visits.get_visit(db, r["visit_id"])
                checklist = await checklist_version(db, visit.checklist_id, visit.checklist_version)
                found = await findings_q.list_findings(db, r["visit_id"])
                row["appraisal"] = self_assessment.appraisal(checklist, await q.answers(db, r["assessment_id"]), found)
                appraisals.append(row["appraisal"])
            # A draft is the unit's until it submits: the Sở Nội vụ counts submitted evidence only.
            row["completeness"] = (self_assessment.evidence_completeness(
                await checklist_version(db, r["checklist_id"], r["checklist_version"]), evidence.get(r["visit_id"], {}))
                if r["status"] == "submitted" else None)
            row["package"] = latest_facts(settings, r["visit_id"])
            rows.append(row)
        # Units with gaps in their evidence first: that is whom the Sở Nội vụ chases before the scoring.
        rows.sort(key=lambda r: (bool(r["completeness"]) and not r["completeness"].lacking, r["unit_name"]))
        return Template("self_assessment/campaign.html", context=page_context(
            request, plan=plan, rows=rows, error=error, over_claimed=self_assessment.most_over_claimed(appraisals),
            counts={s: sum(1 for r in rows if r["state"] == s) for s in ("none", "draft", "late", "submitted")}))

    @post("/", name="self:open", opt=allow(ADMIN), status_code=303)
    async def open_campaign(self, request: Request, db: NamedDependency[Database], plan_id: FromPath[int]) -> Redirect:
        form = await request.form()
        chosen = {int(v) for v in form_values(form, "visit_id") if str(v).isdigit()}
        targets = [v for v in await visits.list_visits(db, plan_id=plan_id) if v.id in chosen]
        try:
            if not targets:
                raise Refused(422, "no_units", "Chọn ít nhất một đơn vị.")
            await self_assessment.open_for(db, user_of(request), targets, str(form.get("deadline") or "") or None)
        except Refused as exc:
            return await flash.redirect(request, f"/plans/{plan_id}/self-assessments", exc.message, form=form,
                                        lists=("visit_id",))
        return Redirect(f"/plans/{plan_id}/self-assessments", status_code=303)
