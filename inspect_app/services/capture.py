"""Field capture: saving a finding (idempotent, versioned) and what a visit's findings add up to.

`save_finding` is the one way an answer is saved: the form handler (web/capture.py) and the JSON
handler (web/capture_api.py) call it with parsed input and differ only in parsing and rendering.
The contract for writes a flaky network may repeat (../shared/reliability.md, services/idempotency.py):
same key + same content → the original result, same key + other content → 409. An edit names the
version it replaces; a stale one → 409 with the current finding. A visit's status changes and its
context live in services/visits.py.
"""

from __future__ import annotations

from typing import Any

import msgspec

from inspect_app.checklists import Answer, Checklist, Item, ItemScore, is_blank, score_checklist, score_item, validate_answer
from inspect_app.checklists.conditions import is_conditional, skipped_codes
from inspect_app.db import Database, Tx, utc_now
from inspect_app.models import Finding, User
from inspect_app.permissions import can_amend_findings, can_edit_findings
from inspect_app.queries import audit, evidence, findings
from inspect_app.services import answers, idempotency, visits
from inspect_app.services.answers import answer_to_api
from inspect_app.services.errors import Refused
from inspect_app.services.visits import LOCKED, VisitContext, missing_evidence
from inspect_app.text import nfc

MAX_NOTE = 4000


class FindingOut(msgspec.Struct):
    """A finding as the API and the pages return it."""

    item_code: str
    answer: Any
    na: bool
    note: str
    version: int
    score: float | None
    max_points: float
    updated_at: str | None
    updated_by: str | None


class Progress(msgspec.Struct):
    """The sticky header of the visit page."""

    answered: int
    total: int
    missing_evidence: list[str]
    points: float
    max_points: float
    percent: float | None
    rating: str | None
    skipped: list[str] = []  # "không áp dụng theo điều kiện": out of total and max_points


def score_state(answered: int, visit_status: str) -> str:
    """What the score beside the progress is: "none" before any answer (0/100 would read as a verdict),
    "provisional" while the visit is open, "final" once it is signed off (locked)."""
    if visit_status in LOCKED:
        return "final"
    return "none" if answered == 0 else "provisional"


def finding_out(item: Item, finding: Finding | None, *, skipped: bool = False) -> FindingOut:
    """The finding as returned; a `skipped` one (its condition is false) keeps its answer but scores nothing
    out of nothing, as in the progress."""
    if finding is None:
        return FindingOut(item.code, None, False, "", 0, None, item.max_points, None, None)
    answer = answers.decode(finding.answer_json)
    score = ItemScore(item.code, None, 0.0, skipped=True) if skipped else score_item(item, answer)
    return FindingOut(item_code=item.code, answer=answer_to_api(item, answer), na=answer.na, note=finding.note,
                      version=finding.version, score=score.points, max_points=score.max_points,
                      updated_at=finding.updated_at, updated_by=finding.updated_by_name)


def find_item(checklist: Checklist, item_code: str) -> Item:
    for item in checklist.items():
        if item.code == item_code:
            return item
    raise Refused(404, "unknown_item", f"Bộ tiêu chí của cuộc kiểm tra không có tiêu chí {item_code}.")


def progress(checklist: Checklist, visit_findings: list[Finding], counts: dict[str, int]) -> Progress:
    stored = {f.item_code: answers.decode(f.answer_json) for f in visit_findings}
    score = score_checklist(checklist, stored)
    return Progress(answered=score.answered, total=score.total,
                    missing_evidence=missing_evidence(checklist, stored, counts), points=score.points,
                    max_points=score.max_points, percent=score.percent, rating=score.rating,
                    skipped=score.skipped)


def check_input(item: Item, answer: Answer, note: str) -> str:
    """Refuse a bad answer or note before anything is written (nor a planned visit started);
    return the note normalised to NFC."""
    if problem := validate_answer(item, answer):
        raise Refused(422, "invalid_answer", problem)
    note = nfc(note)
    if len(note) > MAX_NOTE:
        raise Refused(422, "note_too_long", f"Ghi chú dài quá {MAX_NOTE} ký tự.")
    return note


class SaveTarget(msgspec.Struct):
    """The item a save is about, as the save will check it: for a planned visit, in the checklist version
    the save is about to pin (the current one); otherwise in the version the visit is pinned to."""

    ctx: VisitContext
    version: str
    checklist: Checklist
    item: Item


async def open_item(db: Database, user: User, visit_id: int, item_code: str, loaded: dict) -> SaveTarget:
    """The visit (404/403 as visits.load), refused unless `user` may write its findings, and the item."""
    ctx = await visits.load(db, user, visit_id)
    require_editor(ctx)
    version, checklist = await visits.checklist_for_next_save(db, ctx, loaded)
    return SaveTarget(ctx, version, checklist, find_item(checklist, item_code))


def require_editor(ctx: VisitContext) -> None:
    if not can_edit_findings(ctx.user, ctx.is_member):
        raise Refused(403, "forbidden", "Chỉ thành viên đoàn kiểm tra được ghi kết quả cuộc kiểm tra này.")


class SaveResult(msgspec.Struct):
    finding: FindingOut
    replayed: bool = False


async def save_finding(
    db: Database, target: SaveTarget, *, answer: Answer, note: str, base_version: int, idempotency_key: str,
    amend_reason: str = "",
) -> SaveResult:
    """Save one answer, at most once per idempotency key, never over someone else's newer version.

    A planned visit starts with its first accepted save, in the save's own transaction (pinning the
    version the answer was checked against, with the start's audit row). A signed-off visit takes only
    an amendment with a reason, by its lead or the Sở. When the unit has submitted a self-assessment,
    appraising an item differently from the unit's answer needs a note saying why.
    """
    user, visit, item = target.ctx.user, target.ctx.visit, target.item
    note = check_input(item, answer, note)
    amend_reason = nfc(amend_reason)
    idempotency.require_key(idempotency_key)
    # What a repeat must match: the change itself, whichever route carried it (the page's form or the API,
    # which the offline queue uses), so a save that reached the server is recognised through either.
    payload_hash = idempotency.request_hash("finding", visit.id, item.code, msgspec.to_builtins(answer), note,
                                            base_version, amend_reason)
    answer_json = answers.encode(answer)
    points = score_item(item, answer).points

    async def in_transaction(tx: Tx) -> SaveResult:
        if (prior := await idempotency.replay(tx, user.id, idempotency_key, payload_hash, FindingOut)) is not None:
            return SaveResult(prior, replayed=True)
        state = await findings.save_state(tx, visit.id, item.code)
        status, current = state.status, state.current
        if status != "planned" and state.checklist_version != target.version:  # started meanwhile, newer checklist
            raise Refused(409, "visit_changed", "Cuộc kiểm tra vừa được bắt đầu với phiên bản bộ tiêu chí mới. "
                          "Hãy tải lại trang rồi nhập lại.")
        # A locked visit is refused as locked first: no other complaint matters until it is amended.
        if status in LOCKED:
            if not can_amend_findings(user):
                raise Refused(409, "visit_locked",
                              "Cuộc kiểm tra đã ký duyệt; chỉ trưởng đoàn hoặc Sở Nội vụ được điều chỉnh.")
            if not amend_reason:
                raise Refused(409, "visit_locked",
                              "Cuộc kiểm tra đã ký duyệt: muốn sửa phải nhập lý do điều chỉnh.")
        if is_conditional(target.checklist, item.code) and not is_blank(answer):
            await _refuse_if_skipped(tx, visit.id, target.checklist, item)
        unit_json = state.unit_answer_json
        if unit_json is not None and not note and not is_blank(answer) and answer != answers.decode(unit_json):
            raise Refused(422, "note_required", "Kết quả thẩm định khác kết quả tự đánh giá của đơn vị: "
                          "hãy ghi chú lý do trước khi lưu.")
        current_version = current.version if current else 0
        if base_version != current_version:
            raise Refused(409, "version_conflict",
                          f"{current.updated_by_name if current else 'Người khác'} đã lưu tiêu chí {item.code} "
                          "sau khi bạn mở trang. Hãy xem hai giá trị và chọn giá trị giữ lại.",
                          {"current": msgspec.to_builtins(finding_out(item, current))})
        if current is not None and current.answer_json == answer_json and current.note == note:
            saved = current  # nothing changed: no new version
        else:
            if status == "planned":
                await visits.start_in(tx, user, visit.id, target.version)
            saved = await _write(tx, user, visit.id, item, current, answer_json, points, note,
                                 amend_reason if status in LOCKED else "")
            await visits.mark_amended(tx, visit.id, status)
        out = finding_out(item, saved)
        await idempotency.remember(tx, user.id, idempotency_key, payload_hash, out)
        return SaveResult(out)

    # One hop to the writer thread for the ~10 statements of a save (the hottest write).
    return await db.atomic(in_transaction)


async def _refuse_if_skipped(tx: Tx, visit_id: int, checklist: Checklist, item: Item) -> None:
    """409 when the item's condition is false for the answers stored now (read in the save's transaction,
    so a controlling answer saved a moment earlier by a teammate counts). Clearing an answer stays allowed."""
    stored = {f.item_code: answers.decode(f.answer_json) for f in await findings.list_findings(tx, visit_id)}
    if item.code in skipped_codes(checklist, stored):
        raise Refused(409, "item_skipped",
                      f"Tiêu chí {item.code} không áp dụng theo điều kiện với các câu trả lời hiện có, nên không "
                      "nhận câu trả lời. Hãy tải lại trang để xem các tiêu chí đang áp dụng.")


async def _write(tx: Tx, user: User, visit_id: int, item: Item, current: Finding | None, answer_json: str,
                 points: float | None, note: str, reason: str) -> Finding:
    """The new version, its history row and its audit row; returns the finding as saved (not read back)."""
    before = None if current is None else {"answer": current.answer_json, "note": current.note,
                                           "version": current.version}
    now = utc_now()
    values = {"answer_json": answer_json, "points": points, "note": note, "user_id": user.id, "now": now}
    if current is not None:
        finding_id, version = current.id, current.version + 1
        await findings.update_finding(tx, finding_id=finding_id, new_version=version, reason=reason, **values)
    elif reason:  # signed off: the database admits only an empty placeholder, then the amendment
        finding_id, version = await findings.insert_finding(
            tx, visit_id=visit_id, item_code=item.code, answer_json="{}", points=None, note="", user_id=user.id,
            now=now), 2
        await findings.update_finding(tx, finding_id=finding_id, new_version=version, reason=reason, **values)
    else:
        finding_id, version = await findings.insert_finding(tx, visit_id=visit_id, item_code=item.code,
                                                            **values), 1
    saved = Finding(id=finding_id, visit_id=visit_id, item_code=item.code, answer_json=answer_json, points=points,
                    note=note, version=version, updated_at=now, updated_by=user.id, updated_by_name=user.full_name)
    await audit.record(tx, actor_id=user.id, actor=user.username,
                       action="finding.amend" if reason else "finding.save", subject_type="visit",
                       subject_id=visit_id, before=before,
                       after={"item": item.code, "answer": answer_json, "note": note, "version": version,
                              **({"reason": reason} if reason else {})})
    return saved


async def evidence_counts(db: Database | Tx, visit_id: int) -> dict[str, int]:
    return await evidence.count_by_item(db, visit_id)
