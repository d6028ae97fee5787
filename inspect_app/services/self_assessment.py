"""The unit's self-assessment and the team's appraisal of it (điểm tự đánh giá / điểm thẩm định).

The unit answers the visit's pinned checklist version with explanations and evidence, as a draft,
then submits (read-only from then on, enforced by triggers). Inspectors see it beside their own
input; the figures compare the two scores by area and find the items most often over-claimed.
"""

from __future__ import annotations

import secrets
from collections import Counter
from datetime import date

import msgspec

from inspect_app.checklists import Answer, Checklist, Item, is_blank, score_checklist, score_item, validate_answer
from inspect_app.checklists.conditions import skipped_codes
from inspect_app.checklists.derive import derive_answers
from inspect_app.db import Database
from inspect_app.models import Finding, User, Visit
from inspect_app.permissions import can_self_assess
from inspect_app.queries import audit
from inspect_app.queries import self_assessment as q
from inspect_app.queries import visits as visits_q
from inspect_app.queries.self_assessment import Assessment, SelfAnswer
from inspect_app.services import deadlines, idempotency
from inspect_app.services.answers import answer_to_api, decode, encode, require_typed
from inspect_app.services.capture import MAX_NOTE
from inspect_app.services.visits import LOCKED
from inspect_app.services.checklist_store import checklist_version
from inspect_app.services.errors import Refused
from inspect_app.text import nfc


class SelfAnswerOut(msgspec.Struct):
    item_code: str
    answer: object
    na: bool
    note: str
    version: int
    score: float | None
    max_points: float
    status: str


class AreaAppraisal(msgspec.Struct):
    code: str
    title: str
    self_points: float
    appraised_points: float
    max_points: float

    @property
    def difference(self) -> float:
        return round(self.appraised_points - self.self_points, 2)


class Appraisal(msgspec.Struct):
    self_points: float
    appraised_points: float
    max_points: float
    areas: list[AreaAppraisal]
    differing: list[str]        # items where the appraisal differs from the unit's answer
    over_claimed: list[str]     # items the unit scored higher than the team

    @property
    def difference(self) -> float:
        return round(self.appraised_points - self.self_points, 2)


# ---------------------------------------------------------------- rules (pure)


def answers_of(rows: list[SelfAnswer] | list[Finding]) -> dict[str, Answer]:
    return {r.item_code: decode(r.answer_json) for r in rows}


def appraisal(checklist: Checklist, self_rows: list[SelfAnswer], findings: list[Finding]) -> Appraisal:
    """Self-score against appraised score, overall and by area (the scoring engine does the sums)."""
    return appraisal_of_answers(checklist, answers_of(self_rows), answers_of(findings))


def appraisal_of_answers(checklist: Checklist, mine: dict[str, Answer], theirs: dict[str, Answer]) -> Appraisal:
    """The same comparison from {item code: answer} maps (the reports read answers so)."""
    own, team = score_checklist(checklist, mine), score_checklist(checklist, theirs)
    areas = [AreaAppraisal(a.code, area.title, a.points, b.points, b.max_points)
             for area, a, b in zip(checklist.areas, own.areas, team.areas, strict=True)]
    differing, over = [], []
    for item in checklist.items():
        unit_answer, team_answer = mine.get(item.code), theirs.get(item.code)
        if is_blank(unit_answer) or is_blank(team_answer):
            continue
        if unit_answer != team_answer:
            differing.append(item.code)
        unit_points, team_points = own.items[item.code].points, team.items[item.code].points
        if unit_points is not None and team_points is not None and unit_points > team_points:
            over.append(item.code)
    return Appraisal(own.points, team.points, team.max_points, areas, differing, over)


class Completeness(msgspec.Struct, frozen=True):
    """How far a unit's evidence meets the checklist: items with at least `min_count` files, of all items."""

    enough: int
    total: int
    lacking: list[str]  # item codes short of evidence, in checklist order


def evidence_completeness(checklist: Checklist, counts: dict[str, int]) -> Completeness:
    """Items whose unit evidence reaches the checklist's `min_count` (an item asking for none always does)."""
    items = checklist.items()
    lacking = [item.code for item in items if counts.get(item.code, 0) < item.evidence.min_count]
    return Completeness(len(items) - len(lacking), len(items), lacking)


async def lacking_evidence(db: Database, visit_id: int) -> list[str]:
    """The items of a visit's self-assessment still short of evidence (for reminders)."""
    visit = await visits_q.get_visit(db, visit_id)
    assessment = await q.get_for_visit(db, visit_id)
    if visit is None or assessment is None:
        return []
    checklist = await checklist_version(db, visit.checklist_id, visit.checklist_version)
    return evidence_completeness(checklist, await q.evidence_counts(db, assessment.id)).lacking


def most_over_claimed(appraisals: list[Appraisal], top: int = 10) -> list[tuple[str, int]]:
    """Items over-claimed by the most units of a plan: (item code, number of units)."""
    counts = Counter(code for a in appraisals for code in a.over_claimed)
    return sorted(counts.items(), key=lambda pair: (-pair[1], pair[0]))[:top]


def campaign_state(status: str | None, deadline: str | None, today: date) -> str:
    """none | draft | late | submitted: what the Sở Nội vụ sees per unit."""
    if status is None:
        return "none"
    if status == "submitted":
        return "submitted"
    if deadline and deadlines.days_left(deadline, today) < 0:
        return "late"
    return "draft"


def out(item: Item, row: SelfAnswer | None, status: str) -> SelfAnswerOut:
    if row is None:
        return SelfAnswerOut(item.code, None, False, "", 0, None, item.max_points, status)
    answer = decode(row.answer_json)
    score = score_item(item, answer)
    return SelfAnswerOut(item.code, answer_to_api(item, answer), answer.na, row.note, row.version, score.points,
                         score.max_points, status)


# ---------------------------------------------------------------- use cases


def _require_unit(user: User, visit: Visit) -> None:
    if not can_self_assess(user, visit):
        raise Refused(403, "forbidden", "Chỉ cán bộ của đơn vị được kiểm tra mới tự đánh giá cuộc kiểm tra này.")


async def open_for(db: Database, user: User, visits: list[Visit], deadline: str | None) -> int:
    """The Sở Nội vụ opens (or re-dates) self-assessments for several visits at once."""
    if deadline:
        try:
            date.fromisoformat(deadline)
        except ValueError:
            raise Refused(422, "bad_deadline", "Hạn tự đánh giá không hợp lệ.") from None
    opened = 0
    async with db.transaction() as tx:
        for visit in visits:
            if visit.status in LOCKED:
                continue
            existing = await q.get_for_visit(tx, visit.id)
            if existing is None:
                assessment_id = await q.insert(tx, visit.id, deadline or None, user.id)
                opened += 1
            elif existing.status == "draft" and deadline:
                assessment_id = existing.id
                await q.set_deadline(tx, existing.id, deadline)
            else:
                continue
            await audit.record(tx, actor_id=user.id, actor=user.username, action="self_assessment.open",
                               subject_type="visit", subject_id=visit.id,
                               after={"assessment_id": assessment_id, "deadline": deadline})
    return opened


async def ensure(db: Database, user: User, visit: Visit) -> Assessment:
    """The visit's self-assessment, started by the unit itself when nobody opened one."""
    existing = await q.get_for_visit(db, visit.id)
    if existing:
        return existing
    _require_unit(user, visit)
    if visit.status in LOCKED:
        raise Refused(409, "visit_locked", "Cuộc kiểm tra đã ký duyệt: không tự đánh giá được nữa.")
    async with db.transaction() as tx:
        if await q.get_for_visit(tx, visit.id) is None:
            assessment_id = await q.insert(tx, visit.id, None, user.id)
            await audit.record(tx, actor_id=user.id, actor=user.username, action="self_assessment.start",
                               subject_type="visit", subject_id=visit.id,
                               after={"assessment_id": assessment_id, "deadline": None})
    return await q.get_for_visit(db, visit.id)


async def save_answer(
    db: Database, *, user: User, visit: Visit, item: Item, answer: Answer, note: str, base_version: int,
    idempotency_key: str, payload_hash: str,
) -> tuple[SelfAnswerOut, bool]:
    """Same contract as findings: idempotency key, base_version, 409 on conflict; draft only."""
    _require_unit(user, visit)
    require_typed(item)
    if problem := validate_answer(item, answer):
        raise Refused(422, "invalid_answer", problem)
    note = nfc(note)
    if len(note) > MAX_NOTE:
        raise Refused(422, "note_too_long", f"Giải trình dài quá {MAX_NOTE} ký tự.")
    idempotency.require_key(idempotency_key)
    assessment = await ensure(db, user, visit)
    async with db.transaction() as tx:
        if (prior := await idempotency.replay(tx, user.id, idempotency_key, payload_hash, SelfAnswerOut)) is not None:
            return prior, True
        if (await q.get_for_visit(tx, visit.id)).status == "submitted":
            raise Refused(409, "submitted", "Đơn vị đã nộp kết quả tự đánh giá; không sửa được nữa.")
        current = await q.get_answer(tx, assessment.id, item.code)
        if base_version != (current.version if current else 0):
            raise Refused(409, "version_conflict", f"Tiêu chí {item.code} vừa được {current.updated_by_name if current else 'người khác'} "
                          "lưu ở nơi khác; tải lại trang để xem giá trị mới.",
                          {"current": msgspec.to_builtins(out(item, current, "draft"))})
        answer_json = encode(answer)
        points = score_item(item, answer).points
        changed = current is None or (current.answer_json, current.note) != (answer_json, note)
        if current is None:
            await q.insert_answer(tx, assessment.id, item.code, answer_json, points, note, user.id)
        elif changed:
            await q.update_answer(tx, current.id, current.version + 1, answer_json, points, note, user.id)
        saved = await q.get_answer(tx, assessment.id, item.code)
        if changed:
            await audit.record(tx, actor_id=user.id, actor=user.username, action="self_assessment.save",
                               subject_type="visit", subject_id=visit.id,
                               before=None if current is None else {"answer": current.answer_json,
                                                                    "note": current.note, "version": current.version},
                               after={"item": item.code, "answer": answer_json, "note": note,
                                      "version": saved.version})
        result = out(item, saved, "draft")
        await idempotency.remember(tx, user.id, idempotency_key, payload_hash, result)
    return result, False


async def answer_for_evidence(db: Database, user: User, visit: Visit, item: Item, *, create: bool) -> SelfAnswer:
    """The unit's answer a new document hangs on. Refused once submitted; before any answer, a page
    upload (`create`) keeps an empty answer to hang it on, while the API asks for the answer first."""
    assessment = await ensure(db, user, visit)
    if assessment.status == "submitted":
        raise Refused(409, "submitted", "Đơn vị đã nộp kết quả tự đánh giá; không thêm tài liệu được nữa.")
    row = await q.get_answer(db, assessment.id, item.code)
    if row is None and not create:
        raise Refused(409, "answer_first", f"Hãy tự đánh giá tiêu chí {item.code} trước khi gửi tài liệu.")
    if row is None:
        await save_answer(db, user=user, visit=visit, item=item, answer=Answer(), note="", base_version=0,
                          idempotency_key=secrets.token_urlsafe(16), payload_hash=secrets.token_hex(8))
        row = await q.get_answer(db, assessment.id, item.code)
    return row


async def submit(db: Database, user: User, visit: Visit, checklist: Checklist) -> None:
    """Every item answered (or N/A), then read-only and timestamped."""
    _require_unit(user, visit)
    assessment = await ensure(db, user, visit)
    if assessment.status == "submitted":
        raise Refused(409, "submitted", "Kết quả tự đánh giá đã được nộp trước đó.")
    # an item derived from the sample is answered once the rows give it a figure, as at the team's sign-off
    given = derive_answers(checklist, answers_of(await q.answers(db, assessment.id)))
    answered = {code for code, a in given.items() if not is_blank(a)}
    skipped = skipped_codes(checklist, given)  # not required while their condition is false
    missing = [item.code for item in checklist.items() if item.code not in answered | skipped]
    if missing:
        raise Refused(409, "incomplete", f"Còn {len(missing)} tiêu chí chưa tự đánh giá: {', '.join(missing[:12])}"
                      f"{'…' if len(missing) > 12 else ''}.", {"unanswered": missing})
    async with db.transaction() as tx:
        await q.submit(tx, assessment.id, user.id)
        await audit.record(tx, actor_id=user.id, actor=user.username, action="self_assessment.submit",
                           subject_type="visit", subject_id=visit.id, after={"assessment_id": assessment.id})
