"""The visit page an inspector holds on a tablet: item cards, autosave, start, submit, sign-off.

Every form works as a plain POST (JavaScript off: a 303 back to the card) and as an htmx request
(the status line, points, version and progress header are swapped in place).
"""

from __future__ import annotations

import hashlib
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import HTMXRequest
from litestar.response import Redirect, Response, Template

from inspect_app.checklists import Answer, Checklist, Item, is_blank, score_item
from inspect_app.checklists.conditions import conditions_outline, has_conditions
from inspect_app.checklists.derive import derive_answers
from inspect_app.db import Database
from inspect_app.models import Evidence, Finding
from inspect_app.permissions import ADMIN, ALL_ROLES, INSPECTOR, LEAD, UNIT, allow, can_edit_findings, can_sign_off
from inspect_app.queries import evidence as evidence_q
from inspect_app.queries import findings as findings_q
from inspect_app.queries import plans
from inspect_app.queries import checklists as checklist_q
from inspect_app.services import answers, capture, checkin, visits
from inspect_app.queries import self_assessment as self_q
from inspect_app.services import self_assessment
from inspect_app.services.answers import answer_from_api, answer_from_form, answer_label
from inspect_app.text import vn_number
from inspect_app.services.errors import Refused
from inspect_app.web import flash
from inspect_app.web.common import checklists_of, clock_now, dom_id, page_context, user_of, wants_fragment
from inspect_app.services.visits import LOCKED, VisitContext

STAFF_ROLES = (ADMIN, LEAD, INSPECTOR)


class CardView(msgspec.Struct):
    """What one item card shows: the saved answer, or the values a refused save carried."""

    item: Item
    answer: Answer
    note: str
    version: int
    points: float | None
    max_points: float
    updated_at: str | None = None
    updated_by: str | None = None
    evidence: list[Evidence] = []
    error: str = ""
    conflict: dict[str, Any] | None = None
    unit: dict[str, Any] | None = None  # the unit's submitted self-assessment of this item


async def load_context(db: Database, request: Request, visit_id: int) -> VisitContext:
    return await visits.load(db, user_of(request), visit_id)


def plain_form_key(kind: str, ctx: VisitContext, item_code: str, base_version: int, form: dict[str, str]) -> str:
    """The idempotency key of a card form posted without JavaScript (the script sends a fresh key with
    every change).

    Made from what the form is based on (user, visit, item, version), it is the same when the browser
    posts the same form again (no double save) and new once the card has a new version. The page need
    not carry it: 66 random-looking keys were 1.3 KB of the visit page that no compression can shrink.
    """
    seed = (kind, ctx.user.id, ctx.visit.id, item_code, base_version, "accept" if form.get("accept") else "")
    return hashlib.sha256(repr(seed).encode()).hexdigest()[:24]


def build_cards(ctx: VisitContext, visit_findings, visit_evidence: list[Evidence]) -> dict[str, CardView]:
    by_code = {f.item_code: f for f in visit_findings}
    files: dict[str, list[Evidence]] = {}
    for ev in visit_evidence:
        files.setdefault(ev.item_code, []).append(ev)
    derived = derive_answers(ctx.checklist, {f.item_code: answers.decode(f.answer_json) for f in visit_findings})
    return {item.code: build_card(ctx, item, by_code.get(item.code), files.get(item.code, []))
            if item.from_sample is None else derived_card(item, derived.get(item.code), files.get(item.code, []))
            for item in ctx.checklist.items()}


def derived_card(item: Item, answer: Answer | None, evidence: list[Evidence]) -> CardView:
    """An item computed from a sample: its answer as the sample's rows give it, never typed (version 0)."""
    answer = answer or Answer()
    score = score_item(item, answer)
    return CardView(item=item, answer=answer, note="", version=0, points=score.points, max_points=score.max_points,
                    evidence=evidence)


def derived_from(ctx: VisitContext, sample: Item, visit_findings: list[Finding]) -> list[CardView]:
    """The cards of the items computed from this sample, as its rows now give them: a save of the sample
    sends their points labels along (the figures themselves follow the rows live, in sample.js)."""
    if sample.type != "sample":
        return []
    derived = derive_answers(ctx.checklist, {f.item_code: answers.decode(f.answer_json) for f in visit_findings})
    return [derived_card(item, derived.get(item.code), []) for item in ctx.checklist.items()
            if item.from_sample is not None and item.from_sample.item == sample.code]


def build_card(ctx: VisitContext, item: Item, finding: Finding | None, evidence: list[Evidence]) -> CardView:
    answer = answers.decode(finding.answer_json) if finding else Answer()
    score = score_item(item, answer)
    return CardView(
        item=item, answer=answer, note=finding.note if finding else "", version=finding.version if finding else 0,
        points=score.points, max_points=score.max_points, updated_at=finding.updated_at if finding else None,
        updated_by=finding.updated_by_name if finding else None, evidence=evidence)


def answer_fields(answer: Answer) -> dict[str, str]:
    """An Answer as the card form's fields, so "accept the unit's answer" is one plain POST."""
    if answer.na:
        return {"na": "1"}
    fields = {"choice": answer.choice, "number": answer.number, "numerator": answer.numerator,
              "denominator": answer.denominator, "text": answer.text}
    return {k: (vn_number(v) if isinstance(v, float) else v) for k, v in fields.items() if v is not None}


async def unit_views(db: Database, ctx: VisitContext) -> tuple[dict[str, dict[str, Any]], Any]:
    """The unit's submitted self-assessment per item (nothing while it is still a draft)."""
    assessment = await self_q.get_for_visit(db, ctx.visit.id)
    if assessment is None or assessment.status != "submitted":
        return {}, assessment
    files: dict[str, list[Evidence]] = {}
    for ev in await evidence_q.list_for_assessment(db, assessment.id):
        files.setdefault(ev.item_code, []).append(ev)
    views = {}
    for row in await self_q.answers(db, assessment.id):
        item = capture.find_item(ctx.checklist, row.item_code)
        answer = answers.decode(row.answer_json)
        views[row.item_code] = {"answer": answer, "label": answer_label(answer, item),
                                "points": score_item(item, answer).points, "note": row.note,
                                "evidence": files.get(row.item_code, []), "fields": answer_fields(answer)}
    return views, assessment


async def page_data(db: Database, ctx: VisitContext) -> dict[str, Any]:
    visit_findings = await findings_q.list_findings(db, ctx.visit.id)
    visit_evidence = await evidence_q.list_for_visit(db, ctx.visit.id)
    counts: dict[str, int] = {}
    for ev in visit_evidence:
        counts[ev.item_code] = counts.get(ev.item_code, 0) + 1
    cards = build_cards(ctx, visit_findings, visit_evidence)
    units, assessment = await unit_views(db, ctx)
    for code, view in units.items():
        card = cards[code]
        view["differs"] = card.version > 0 and not is_blank(card.answer) and card.answer != view["answer"]
        cards[code] = msgspec.structs.replace(card, unit=view)
    appraisal = None
    if assessment is not None and assessment.status == "submitted":
        appraisal = self_assessment.appraisal(ctx.checklist, await self_q.answers(db, assessment.id), visit_findings)
    return {
        "cards": cards,
        "progress": capture.progress(ctx.checklist, visit_findings, counts),
        "assessment": assessment,
        "appraisal": appraisal,
    }


def skip_conditions_json(checklist: Checklist) -> str | None:
    """The conditions the page evaluates live (static/js/skip-view.js), or None without any `when`."""
    if not has_conditions(checklist):
        return None
    # Inside a <script> element: "</" must not close it.
    return msgspec.json.encode(conditions_outline(checklist)).decode().replace("</", "<\\/")


def points_of(item: Item, answer: Answer) -> tuple[float | None, float]:
    """What an answer earns, and out of how much; (None, max) when it cannot be scored."""
    try:
        score = score_item(item, answer)
    except ValueError:
        return None, item.max_points
    return score.points, score.max_points


def conflict_view(item: Item, current: dict[str, Any] | None) -> dict[str, Any]:
    """The other person's saved value, ready to show beside the inspector's own. `saved` is it as a
    card, so the card's points label shows what is stored now, not what the page loaded with."""
    if not current:
        saved = Answer()
        view = {"label": "(đã bị xóa)", "note": "", "updated_by": "", "updated_at": None}
    else:
        try:
            saved = answer_from_api(item, current.get("answer"), bool(current.get("na")))
        except Refused:
            saved = Answer()
        view = {"label": answer_label(saved, item), "note": current.get("note", ""),
                "updated_by": current.get("updated_by") or "", "updated_at": current.get("updated_at")}
    points, max_points = points_of(item, saved)
    version = int((current or {}).get("version") or 0)
    view["saved"] = CardView(item=item, answer=saved, note=view["note"], version=version, points=points,
                             max_points=max_points)
    return view


def refused_card(card: CardView, note: flash.Flash) -> CardView:
    """The card as a refused plain-form save left it: the message, and the values that were sent."""
    try:
        mine = answer_from_form(card.item, note.form)
    except Refused:
        mine = Answer()
    return msgspec.structs.replace(card, answer=mine, note=note.value("note"), points=None, error=note.message,
                                   conflict=conflict_view(card.item, note.extra.get("current"))
                                   if note.extra.get("conflict") else None)


def card_matches(card: CardView, flt: str, missing: list[str]) -> bool:
    if flt == "differs":
        return bool(card.unit) and card.unit["differs"]
    if flt == "no_unit_evidence":
        return bool(card.unit) and not card.unit["evidence"]
    if flt == "unanswered":
        return card.version == 0 or is_blank(card.answer)
    if flt == "missing_evidence":
        return card.item.code in missing
    return True


async def checkin_view(db: Database, ctx: VisitContext, note: flash.Flash | None) -> dict[str, Any]:
    """The visit page's "Ghi nhận có mặt" box (templates/visits/_checkin.html)."""
    latest = await checkin.latest(db, ctx.visit.id)
    return {"checkin": latest, "checkin_place": checkin.place_label(latest) if latest else "",
            "can_check_in": checkin.can_check_in(ctx),
            "checkin_error": note.message if note and note.kind == "error" and note.where == "checkin" else ""}


class CaptureController(Controller):
    path = "/visits/{visit_id:int}"
    include_in_schema = False

    @get("/", name="visits:detail", opt=allow(*ALL_ROLES))
    async def visit_page(self, request: Request, db: NamedDependency[Database], visit_id: FromPath[int],
                         filter: FromQuery[str] = "") -> Template:
        """Staff: the capture page by area. Unit officer: the visit's summary."""
        ctx = await load_context(db, request, visit_id)
        plan = await plans.get_plan(db, ctx.visit.plan_id)
        team = next((t for t in await plans.list_teams(db, ctx.visit.plan_id) if t.id == ctx.visit.team_id), None)
        version = next((v for v in await checklist_q.list_versions(db, ctx.visit.checklist_id)
                        if v.version_hash == ctx.visit.checklist_version), None)
        context = page_context(request, visit=ctx.visit, plan=plan, team=team, version=version)
        if ctx.user.role == UNIT:
            return Template("visits/detail.html", context=context)
        data = await page_data(db, ctx)
        note = flash.flash_of(request)
        if note and note.kind == "error" and note.where in data["cards"]:
            data["cards"][note.where] = refused_card(data["cards"][note.where], note)
        flt = filter if filter in ("unanswered", "missing_evidence", "differs", "no_unit_evidence") else ""
        skipped = set(data["progress"].skipped)
        shown = {code for code, card in data["cards"].items()
                 if card_matches(card, flt, data["progress"].missing_evidence)
                 and not (flt and code in skipped)}  # a filter lists only items that apply
        return Template("visits/capture.html", context=context | data | {
            "checklist": ctx.checklist, "filter": flt, "shown": shown, "skipped": skipped,
            "skip_conditions": skip_conditions_json(ctx.checklist),
            "editable": can_edit_findings(ctx.user, ctx.is_member),
            "can_sign_off": can_sign_off(ctx.user, ctx.is_member),
            "locked": ctx.visit.status in LOCKED,
        } | await checkin_view(db, ctx, note))

    @get("/items/{item_code:str}", name="visits:card", opt=allow(*STAFF_ROLES))
    async def card(self, request: Request, db: NamedDependency[Database], visit_id: FromPath[int],
                   item_code: FromPath[str]) -> Template:
        """One card, fresh from the database (after a conflict the inspector may take the saved value)."""
        ctx = await load_context(db, request, visit_id)
        item = capture.find_item(ctx.checklist, item_code)
        finding = await findings_q.get_finding(db, visit_id, item_code)
        card = build_cards(ctx, [finding] if finding else [],
                           await evidence_q.list_for_item(db, visit_id, item_code))[item.code]
        return Template("visits/_card.html", context=page_context(
            request, visit=ctx.visit, card=card, editable=can_edit_findings(ctx.user, ctx.is_member),
            locked=ctx.visit.status in LOCKED))

    @post("/items/{item_code:str}", name="visits:save", opt=allow(*STAFF_ROLES), status_code=200)
    async def save(self, request: HTMXRequest, db: NamedDependency[Database], visit_id: FromPath[int],
                   item_code: FromPath[str]) -> Response | Template:
        """Autosave one answer: htmx gets the status and header fragments, a plain form a 303."""
        target = await capture.open_item(db, user_of(request), visit_id, item_code, await checklists_of(request))
        ctx, item = target.ctx, target.item
        form = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        key = request.headers.get("idempotency-key") or form.get("idempotency_key", "")
        try:
            base_version = int(form.get("base_version", "0") or 0)
            answer = answer_from_form(item, form)
            await capture.save_finding(
                db, target, answer=answer, note=form.get("note", ""), base_version=base_version,
                idempotency_key=key or plain_form_key("finding", ctx, item_code, base_version, form),
                amend_reason=form.get("amend_reason", ""))
        except (Refused, ValueError) as exc:
            refused = exc if isinstance(exc, Refused) else Refused(422, "invalid_input", "Giá trị không hợp lệ.")
            return await self._refused(request, db, ctx, item, form, refused)
        if not wants_fragment(request):
            return Redirect(f"/visits/{visit_id}#item-{dom_id(item_code)}", status_code=303)
        # The answer to an autosave: this card's status, version and points and the progress header,
        # not the whole page (two reads).
        visit_findings = await findings_q.list_findings(db, visit_id)
        saved = next((f for f in visit_findings if f.item_code == item_code), None)
        progress = capture.progress(target.checklist, visit_findings, await capture.evidence_counts(db, visit_id))
        return Template("visits/_saved.html", context=page_context(
            request, visit=ctx.visit, card=build_card(ctx, item, saved, []), progress=progress,
            derived=derived_from(ctx, item, visit_findings)))

    async def _refused(self, request: HTMXRequest, db: Database, ctx: VisitContext, item: Item,
                       form: dict[str, str], refused: Refused) -> Template | Redirect:
        """Show why a save was refused, keeping the inspector's values (nothing is lost silently)."""
        if refused.status == 403:
            raise refused
        try:
            mine = answer_from_form(item, form)
        except Refused:
            mine = Answer()
        current = await findings_q.get_finding(db, ctx.visit.id, item.code)
        points, max_points = points_of(item, mine)
        card = CardView(
            item=item, answer=mine, note=form.get("note", ""),
            version=current.version if current else 0, points=points, max_points=max_points,
            evidence=await evidence_q.list_for_item(db, ctx.visit.id, item.code),
            error=refused.message,
            conflict=conflict_view(item, refused.extra.get("current")) if refused.code == "version_conflict" else None,
        )
        if wants_fragment(request):
            context = page_context(request, visit=ctx.visit, card=card, editable=True,
                                   locked=ctx.visit.status in LOCKED)
            return Template("visits/_refused.html", context=context, status_code=refused.status
                            if refused.status in (409, 422) else 422)
        # A plain form (no JavaScript): back to the visit page, which shows this card with the
        # message and what was typed (post/redirect/get: a reload does not post again).
        return await flash.redirect(request, f"/visits/{ctx.visit.id}#item-{dom_id(item.code)}", refused.message,
                                    where=item.code, form=form,
                                    # the stored value as JSON: the card is rebuilt from it on the page
                                    extra={"conflict": True, "current": refused.extra.get("current")}
                                    if card.conflict else None)

    @post("/start", name="visits:start", opt=allow(*STAFF_ROLES), status_code=303)
    async def start(self, request: Request, db: NamedDependency[Database], visit_id: FromPath[int]) -> Redirect:
        ctx = await load_context(db, request, visit_id)
        capture.require_editor(ctx)
        await visits.start(db, ctx, await checklists_of(request))
        return Redirect(f"/visits/{visit_id}", status_code=303)

    @post("/submit", name="visits:submit", opt=allow(*STAFF_ROLES), status_code=303)
    async def submit(self, request: Request, db: NamedDependency[Database], visit_id: FromPath[int]) -> Redirect:
        ctx = await load_context(db, request, visit_id)
        capture.require_editor(ctx)
        await visits.submit(db, ctx)
        return Redirect(f"/visits/{visit_id}/sign-off", status_code=303)

    @get("/sign-off", name="visits:sign-off-page", opt=allow(ADMIN, LEAD, INSPECTOR))
    async def sign_off_page(self, request: Request, db: NamedDependency[Database],
                            visit_id: FromPath[int]) -> Template:
        """What is still incomplete, and the sign-off form for the lead: refused up front (the button
        is disabled, with the reason) while items are unanswered; a confirmation with a reason, or a
        refusal, per the plan's missing_evidence_policy while required evidence is missing."""
        ctx = await load_context(db, request, visit_id)
        note = flash.flash_of(request)
        data = await page_data(db, ctx)
        check = await visits.sign_off_check(db, ctx.visit, ctx.checklist)
        cards = data["cards"]
        return Template("visits/sign_off.html", context=page_context(
            request, visit=ctx.visit, progress=data["progress"], check=check,
            unanswered=[cards[code].item for code in check.unanswered],
            missing=[cards[code].item for code in check.missing_evidence],
            can_sign_off=can_sign_off(ctx.user, ctx.is_member),
            error=note.message if note and note.kind == "error" else "",
            form={"remarks": note.value("remarks") if note else "",
                  "unit_representative": note.value("unit_representative") if note else "",
                  "missing_evidence_reason": note.value("missing_evidence_reason") if note else ""},
            editable=can_edit_findings(ctx.user, ctx.is_member)))

    @post("/sign-off", name="visits:sign-off", opt=allow(ADMIN, LEAD), status_code=303)
    async def sign_off(self, request: Request, db: NamedDependency[Database],
                       visit_id: FromPath[int]) -> Redirect:
        """Sign off; a refusal goes back to the sign-off page with its message and what was typed."""
        ctx = await load_context(db, request, visit_id)
        if not can_sign_off(ctx.user, ctx.is_member):
            raise Refused(403, "forbidden", "Chỉ trưởng đoàn của cuộc kiểm tra này được ký duyệt.")
        form = await request.form()
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
        try:
            await visits.sign_off(db, ctx, remarks=fields.get("remarks", ""),
                                  unit_representative=fields.get("unit_representative", ""),
                                  missing_evidence_reason=fields.get("missing_evidence_reason", "")
                                  if fields.get("confirm_missing_evidence") else "")
        except Refused as exc:
            return await flash.redirect(request, f"/visits/{visit_id}/sign-off", exc.message, form=form)
        return await flash.redirect(request, f"/visits/{visit_id}", f"Đã ký duyệt lúc {clock_now()}. Kết quả đã khóa.",
                                    kind="success")
