"""A visit's context and every change of its status, each with its audit row in the same transaction.

    planned ──start (or its first accepted save)──▶ in_progress ──submit──▶ submitted
    in_progress / submitted ──sign off──▶ signed_off ──a lead's or the Sở's amendment──▶ amended

Starting pins the checklist version current at that moment; signing off locks the findings (the
database refuses later edits except an amendment with a reason, services/capture.py).
"""

from __future__ import annotations

import msgspec

from inspect_app.checklists import Answer, Checklist, is_blank
from inspect_app.checklists.conditions import skipped_codes
from inspect_app.checklists.derive import derive_answers
from inspect_app.checklists.sample import too_few_rows
from inspect_app.db import Database, Tx
from inspect_app.models import User, Visit
from inspect_app.permissions import UNIT, can_see_visit
from inspect_app.queries import audit, evidence, findings
from inspect_app.queries import checklists as checklist_q
from inspect_app.queries import visits as q
from inspect_app.services import plan_settings
from inspect_app.services.answers import decode
from inspect_app.services.checklist_store import checklist_version
from inspect_app.services.errors import Refused
from inspect_app.text import nfc

LOCKED = ("signed_off", "amended")
MAX_REASON = 2000


class VisitContext(msgspec.Struct):
    """Who asks about which visit, with the checklist version the visit is pinned to."""

    user: User
    visit: Visit
    checklist: Checklist
    is_member: bool


async def load(db: Database, user: User, visit_id: int) -> VisitContext:
    """The visit if `user` may see it: 404 for a unit officer asking about another unit's visit (ids do
    not leak), 403 for staff outside its team."""
    found = await q.get_visit_for_member(db, visit_id, user.id)
    if found is None or (user.role == UNIT and found[0].unit_code != user.unit_code):
        raise Refused(404, "not_found", "Không tìm thấy cuộc kiểm tra này.")
    visit, is_member = found
    if not can_see_visit(user, visit, is_member):
        raise Refused(403, "not_team_member", "Bạn không thuộc đoàn kiểm tra của cuộc kiểm tra này.")
    return VisitContext(user, visit, await checklist_version(db, visit.checklist_id, visit.checklist_version),
                        is_member)


async def current_version_of(db: Database, checklist_id: str, loaded: dict) -> str | None:
    """The version new work should use: the latest published (`loaded`: `web/common.checklists_of`, which sees
    a publish made by any app process), else the newest known."""
    if checklist_id in loaded:
        return loaded[checklist_id].version_hash
    latest = await checklist_q.latest_version(db, checklist_id)
    return latest.version_hash if latest else None


async def checklist_for_next_save(db: Database, ctx: VisitContext, loaded: dict) -> tuple[str, Checklist]:
    """The version (hash, content) a save is checked against: a planned visit will pin the current one."""
    if ctx.visit.status == "planned":
        current = await current_version_of(db, ctx.visit.checklist_id, loaded)
        if current and current != ctx.visit.checklist_version:
            return current, await checklist_version(db, ctx.visit.checklist_id, current)
    return ctx.visit.checklist_version, ctx.checklist


async def start(db: Database, ctx: VisitContext, loaded: dict) -> bool:
    """planned → in_progress by the "Bắt đầu" button; False if it had already started."""
    version = await current_version_of(db, ctx.visit.checklist_id, loaded)
    async with db.transaction() as tx:
        return await start_in(tx, ctx.user, ctx.visit.id, version)


async def start_in(tx: Tx, user: User, visit_id: int, version: str | None) -> bool:
    """Start inside the caller's transaction (a first save starts its visit in the save's own transaction),
    pinning `version` (or keeping the planned one)."""
    status, planned_version = await q.status_of(tx, visit_id)
    if status != "planned":
        return False
    version = version or planned_version
    await q.set_started(tx, visit_id, version)
    await audit.record(tx, actor_id=user.id, actor=user.username, action="visit.start", subject_type="visit",
                       subject_id=visit_id, before={"status": "planned", "checklist_version": planned_version},
                       after={"status": "in_progress", "checklist_version": version})
    return True


async def submit(db: Database, ctx: VisitContext) -> None:
    """in_progress → submitted: the team hands the findings to its lead."""
    async with db.transaction() as tx:
        status, _ = await q.status_of(tx, ctx.visit.id)
        if status != "in_progress":
            raise Refused(409, "bad_status", "Chỉ nộp được cuộc kiểm tra đang thực hiện.")
        await q.set_submitted(tx, ctx.visit.id, ctx.user.id)
        await audit.record(tx, actor_id=ctx.user.id, actor=ctx.user.username, action="visit.submit",
                           subject_type="visit", subject_id=ctx.visit.id, before={"status": status},
                           after={"status": "submitted"})


async def mark_amended(tx: Tx, visit_id: int, status: str) -> None:
    """signed_off → amended, by the first amendment (the amendment's own audit row says who and why)."""
    if status == "signed_off":
        await q.set_amended(tx, visit_id)


# -- sign-off


def code_list(codes: list[str], limit: int = 12) -> str:
    """Item codes for a message: the first `limit`, then how many more ("… và 48 tiêu chí khác")."""
    shown = ", ".join(codes[:limit])
    return f"{shown} và {len(codes) - limit} tiêu chí khác" if len(codes) > limit else shown


def missing_evidence(checklist: Checklist, answers: dict[str, Answer], counts: dict[str, int]) -> list[str]:
    """Codes of items whose required evidence (min_count) is not attached; N/A items and items skipped by
    their condition need none."""
    missing = []
    skipped = skipped_codes(checklist, answers)
    for item in checklist.items():
        answer = answers.get(item.code)
        if item.code in skipped:
            continue
        if item.evidence.min_count and not (answer and answer.na) and counts.get(item.code, 0) < item.evidence.min_count:
            missing.append(item.code)
    return missing


class SignOffCheck(msgspec.Struct):
    """What stands between a visit and its sign-off, as the page shows it before anyone submits."""

    unanswered: list[str]
    missing_evidence: list[str]
    policy: str  # the plan's missing_evidence_policy: "confirm" or "refuse"

    @property
    def blocked(self) -> bool:
        """No sign-off possible now, whatever the lead types."""
        return bool(self.unanswered) or (self.policy == "refuse" and bool(self.missing_evidence))

    @property
    def needs_reason(self) -> bool:
        return self.policy != "refuse" and bool(self.missing_evidence)


async def sign_off_check(db: Database | Tx, visit: Visit, checklist: Checklist) -> SignOffCheck:
    answers = derive_answers(checklist, {f.item_code: decode(f.answer_json)
                                         for f in await findings.list_findings(db, visit.id)})
    skipped = skipped_codes(checklist, answers)  # not required while their condition is false
    unanswered = [item.code for item in checklist.items() if item.code not in skipped
                  and (item.code not in answers or is_blank(answers[item.code]) or too_few_rows(item, answers[item.code]))]
    missing = missing_evidence(checklist, answers, await evidence.count_by_item(db, visit.id))
    policy = await plan_settings.value_of(db, visit.plan_id, plan_settings.MISSING_EVIDENCE_POLICY)
    return SignOffCheck(unanswered=unanswered, missing_evidence=missing, policy=policy)


async def sign_off(db: Database, ctx: VisitContext, *, remarks: str, unit_representative: str,
                   missing_evidence_reason: str = "") -> None:
    """The lead signs off: every item answered (or N/A); findings then lock in the database.

    Items still missing their required evidence follow the plan's `missing_evidence_policy`:
    "refuse" refuses the sign-off; "confirm" (the default) needs the lead's reason, which the
    audit entry of the sign-off keeps together with the items' codes.
    """
    remarks, unit_representative = nfc(remarks), nfc(unit_representative)
    reason = nfc(missing_evidence_reason)
    if not unit_representative:
        raise Refused(422, "representative_required", "Nhập họ tên, chức vụ người đại diện đơn vị được kiểm tra.")
    if len(reason) > MAX_REASON:
        raise Refused(422, "reason_too_long", f"Lý do dài quá {MAX_REASON} ký tự.")
    visit, user = ctx.visit, ctx.user
    # Checked once before the transaction (a refusal costs no writer time) and again inside it: an answer
    # cleared, a photo deleted or the policy changed meanwhile must not slip through.
    _refuse_sign_off(await sign_off_check(db, visit, ctx.checklist), reason)
    async with db.transaction() as tx:
        status, _ = await q.status_of(tx, visit.id)
        if status not in ("in_progress", "submitted"):
            raise Refused(409, "bad_status", "Cuộc kiểm tra này không ở trạng thái có thể ký duyệt.")
        missing = _refuse_sign_off(await sign_off_check(tx, visit, ctx.checklist), reason)
        await q.set_signed_off(tx, visit.id, user.id, remarks, unit_representative)
        after = {"status": "signed_off", "remarks": remarks, "unit_representative": unit_representative}
        if missing:
            after |= {"missing_evidence": missing, "missing_evidence_reason": reason}
        await audit.record(tx, actor_id=user.id, actor=user.username, action="visit.sign_off",
                           subject_type="visit", subject_id=visit.id, before={"status": status}, after=after)


def _refuse_sign_off(check: SignOffCheck, reason: str) -> list[str]:
    """Raise the refusal a sign-off meets under `check`; else the items it signs off without evidence."""
    if check.unanswered:
        raise Refused(409, "incomplete",
                      f"Còn {len(check.unanswered)} tiêu chí chưa trả lời: {code_list(check.unanswered)}. "
                      "Hãy trả lời (hoặc đánh dấu không áp dụng) trước khi ký duyệt.",
                      {"unanswered": check.unanswered, "count": len(check.unanswered)})
    missing = check.missing_evidence
    if missing and check.policy == "refuse":
        raise Refused(409, "missing_evidence",
                      f"Còn {len(missing)} tiêu chí thiếu minh chứng bắt buộc: {code_list(missing)}. "
                      "Kế hoạch này không cho ký duyệt khi chưa đủ minh chứng.",
                      {"missing_evidence": missing, "count": len(missing)})
    if missing and not reason:
        raise Refused(409, "missing_evidence_reason_required",
                      f"Còn {len(missing)} tiêu chí thiếu minh chứng bắt buộc: {code_list(missing)}. "
                      "Muốn ký duyệt, hãy xác nhận và nêu lý do.",
                      {"missing_evidence": missing, "count": len(missing)})
    return missing
