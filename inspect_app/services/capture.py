"""Field capture: starting a visit, saving findings (idempotent, versioned), progress, sign-off.

The contract for writes a flaky network may repeat (../shared/reliability.md): the client sends an
idempotency key per change; same key + same content → the original result, same key + other
content → 409. An edit names the version it replaces; a stale one → 409 with the current finding.
"""

from __future__ import annotations

from typing import Any

import msgspec

from inspect_app.checklists import Answer, Checklist, Item, is_blank, score_checklist, score_item, validate_answer
from inspect_app.db import Database, Tx, utc_now
from inspect_app.models import Finding, User, Visit
from inspect_app.permissions import ADMIN, LEAD
from inspect_app.queries import audit, evidence, findings
from inspect_app.queries import self_assessment as self_assessments
from inspect_app.queries import checklists as checklist_q
from inspect_app.services import idempotency, plan_settings
from inspect_app.services.answers import answer_to_api
from inspect_app.services.errors import Refused
from inspect_app.text import nfc

LOCKED = ("signed_off", "amended")
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


def score_state(answered: int, visit_status: str) -> str:
    """What the score beside the progress is: "none" before any answer (0/100 would read as a verdict),
    "provisional" while the visit is open, "final" once it is signed off (locked)."""
    if visit_status in LOCKED:
        return "final"
    return "none" if answered == 0 else "provisional"


def decode_answer(answer_json: str) -> Answer:
    return msgspec.json.decode(answer_json, type=Answer)


def finding_out(item: Item, finding: Finding | None) -> FindingOut:
    if finding is None:
        return FindingOut(item.code, None, False, "", 0, None, item.max_points, None, None)
    answer = decode_answer(finding.answer_json)
    score = score_item(item, answer)
    return FindingOut(item_code=item.code, answer=answer_to_api(item, answer), na=answer.na, note=finding.note,
                      version=finding.version, score=score.points, max_points=score.max_points,
                      updated_at=finding.updated_at, updated_by=finding.updated_by_name)


def find_item(checklist: Checklist, item_code: str) -> Item:
    for item in checklist.items():
        if item.code == item_code:
            return item
    raise Refused(404, "unknown_item", f"Bộ tiêu chí của cuộc kiểm tra không có tiêu chí {item_code}.")


def can_edit_findings(user: User, is_member: bool) -> bool:
    """Team members write findings; the Sở Nội vụ may correct them."""
    return user.role == ADMIN or (user.role in (LEAD, "inspector") and is_member)


def can_sign_off(user: User, is_member: bool) -> bool:
    return user.role == ADMIN or (user.role == LEAD and is_member)


def missing_evidence(checklist: Checklist, answers: dict[str, Answer], counts: dict[str, int]) -> list[str]:
    """Codes of items whose required evidence (min_count) is not attached; N/A items need none."""
    missing = []
    for item in checklist.items():
        answer = answers.get(item.code)
        if item.evidence.min_count and not (answer and answer.na) and counts.get(item.code, 0) < item.evidence.min_count:
            missing.append(item.code)
    return missing


def progress(checklist: Checklist, visit_findings: list[Finding], counts: dict[str, int]) -> Progress:
    answers = {f.item_code: decode_answer(f.answer_json) for f in visit_findings}
    score = score_checklist(checklist, answers)
    return Progress(answered=score.answered, total=score.total,
                    missing_evidence=missing_evidence(checklist, answers, counts), points=score.points,
                    max_points=score.max_points, percent=score.percent, rating=score.rating)


async def start_visit(db: Database, user: User, visit: Visit, current_version: str | None) -> bool:
    """planned → in_progress, pinning the checklist version current at this moment."""
    async with db.transaction() as tx:
        row = await tx.fetch_one("SELECT status, checklist_version FROM visits WHERE id = ?", (visit.id,))
        if row["status"] != "planned":
            return False
        version = current_version or row["checklist_version"]
        await tx.execute("UPDATE visits SET status = 'in_progress', started_at = ?, checklist_version = ?,"
                         " version = version + 1 WHERE id = ?", (utc_now(), version, visit.id))
        await audit.record(tx, actor_id=user.id, actor=user.username, action="visit.start", subject_type="visit",
                           subject_id=visit.id, before={"status": "planned", "checklist_version": row[1]},
                           after={"status": "in_progress", "checklist_version": version})
    return True


def check_input(item: Item, answer: Answer, note: str) -> str:
    """Refuse a bad answer or note before anything is written (nor a planned visit started);
    return the note normalised to NFC."""
    if problem := validate_answer(item, answer):
        raise Refused(422, "invalid_answer", problem)
    note = nfc(note)
    if len(note) > MAX_NOTE:
        raise Refused(422, "note_too_long", f"Ghi chú dài quá {MAX_NOTE} ký tự.")
    return note


async def checklist_for_next_save(db: Database, visit: Visit, pinned: Checklist, loaded: dict) -> Checklist:
    """The checklist a save is checked against: a planned visit will pin the current version."""
    if visit.status != "planned":
        return pinned
    from inspect_app.services.checklist_store import checklist_version

    current = await current_version_of(db, visit.checklist_id, loaded)
    return (await checklist_version(db, visit.checklist_id, current)) if current else pinned


class SaveResult(msgspec.Struct):
    status_code: int
    finding: FindingOut
    replayed: bool = False


async def save_finding(
    db: Database, *, user: User, visit: Visit, checklist: Checklist, item: Item, answer: Answer, note: str,
    base_version: int, idempotency_key: str, payload_hash: str, amend_reason: str = "",
) -> SaveResult:
    """Save one answer, at most once per idempotency key, never over someone else's newer version.

    When the unit has submitted a self-assessment, appraising an item differently from the unit's
    answer needs a note saying why.
    """
    note = check_input(item, answer, note)
    amend_reason = nfc(amend_reason)
    idempotency.require_key(idempotency_key)

    async def in_transaction(tx: Tx) -> SaveResult:
        if (prior := await idempotency.replay(tx, user.id, idempotency_key, payload_hash, FindingOut)) is not None:
            return SaveResult(200, prior, replayed=True)
        # A locked visit is refused as locked first: no other complaint matters until it is amended.
        status = (await tx.fetch_one("SELECT status FROM visits WHERE id = ?", (visit.id,)))["status"]
        if status in LOCKED:
            if user.role not in (LEAD, ADMIN):
                raise Refused(409, "visit_locked",
                              "Cuộc kiểm tra đã ký duyệt; chỉ trưởng đoàn hoặc Sở Nội vụ được điều chỉnh.")
            if not amend_reason:
                raise Refused(409, "visit_locked",
                              "Cuộc kiểm tra đã ký duyệt: muốn sửa phải nhập lý do điều chỉnh.")
        unit_json = await self_assessments.submitted_answer_json(tx, visit.id, item.code)
        if unit_json is not None and not note and not is_blank(answer) and answer != decode_answer(unit_json):
            raise Refused(422, "note_required", "Kết quả thẩm định khác kết quả tự đánh giá của đơn vị: "
                          "hãy ghi chú lý do trước khi lưu.")
        current = await findings.get_finding(tx, visit.id, item.code)
        current_version = current.version if current else 0
        if base_version != current_version:
            raise Refused(409, "version_conflict",
                          f"{current.updated_by_name if current else 'Người khác'} đã lưu tiêu chí {item.code} "
                          "sau khi bạn mở trang. Hãy xem hai giá trị và chọn giá trị giữ lại.",
                          {"current": msgspec.to_builtins(finding_out(item, current))})
        answer_json = msgspec.json.encode(answer).decode()
        points = score_item(item, answer).points
        if current is not None and current.answer_json == answer_json and current.note == note:
            saved = current  # nothing changed: no new version
        else:
            saved = await _write(tx, user, visit, item, current, answer_json, points, note,
                                 amend_reason if status in LOCKED else "")
            if status == "planned":
                await tx.execute("UPDATE visits SET status = 'in_progress', started_at = ? WHERE id = ?",
                                 (utc_now(), visit.id))
            elif status == "signed_off":
                await tx.execute("UPDATE visits SET status = 'amended', version = version + 1 WHERE id = ?",
                                 (visit.id,))
        out = finding_out(item, saved)
        await idempotency.remember(tx, user.id, idempotency_key, payload_hash, out)
        return SaveResult(200, out)

    # One hop to the writer thread for the ~10 statements of a save (the hottest write).
    return await db.atomic(in_transaction)


async def _write(tx: Tx, user: User, visit: Visit, item: Item, current: Finding | None, answer_json: str,
                 points: float | None, note: str, reason: str) -> Finding:
    before = None if current is None else {"answer": current.answer_json, "note": current.note,
                                           "version": current.version}
    if current is None:
        if reason:  # signed off: the database admits only an empty placeholder, then the amendment
            finding_id = await findings.insert_finding(tx, visit_id=visit.id, item_code=item.code, answer_json="{}",
                                                       points=None, note="", user_id=user.id)
            await findings.update_finding(tx, finding_id=finding_id, new_version=2, answer_json=answer_json,
                                          points=points, note=note, user_id=user.id, reason=reason)
        else:
            await findings.insert_finding(tx, visit_id=visit.id, item_code=item.code, answer_json=answer_json,
                                          points=points, note=note, user_id=user.id)
    else:
        await findings.update_finding(tx, finding_id=current.id, new_version=current.version + 1,
                                      answer_json=answer_json, points=points, note=note, user_id=user.id,
                                      reason=reason)
    saved = await findings.get_finding(tx, visit.id, item.code)
    await audit.record(tx, actor_id=user.id, actor=user.username,
                       action="finding.amend" if reason else "finding.save", subject_type="visit",
                       subject_id=visit.id, before=before,
                       after={"item": item.code, "answer": answer_json, "note": note, "version": saved.version,
                              **({"reason": reason} if reason else {})})
    return saved


async def submit_visit(db: Database, user: User, visit: Visit) -> None:
    """in_progress → submitted: the team hands the findings to its lead."""
    async with db.transaction() as tx:
        status = (await tx.fetch_one("SELECT status FROM visits WHERE id = ?", (visit.id,)))["status"]
        if status != "in_progress":
            raise Refused(409, "bad_status", "Chỉ nộp được cuộc kiểm tra đang thực hiện.")
        await tx.execute("UPDATE visits SET status = 'submitted', submitted_at = ?, submitted_by = ?,"
                         " version = version + 1 WHERE id = ?", (utc_now(), user.id, visit.id))
        await audit.record(tx, actor_id=user.id, actor=user.username, action="visit.submit", subject_type="visit",
                           subject_id=visit.id, before={"status": status}, after={"status": "submitted"})


def code_list(codes: list[str], limit: int = 12) -> str:
    """Item codes for a message: the first `limit`, then how many more ("… và 48 tiêu chí khác")."""
    shown = ", ".join(codes[:limit])
    return f"{shown} và {len(codes) - limit} tiêu chí khác" if len(codes) > limit else shown


MAX_REASON = 2000


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
    visit_findings = await findings.list_findings(db, visit.id)
    answers = {f.item_code: decode_answer(f.answer_json) for f in visit_findings}
    unanswered = [item.code for item in checklist.items()
                  if item.code not in answers or is_blank(answers[item.code])]
    missing = missing_evidence(checklist, answers, await evidence_counts(db, visit.id))
    policy = await plan_settings.value_of(db, visit.plan_id, plan_settings.MISSING_EVIDENCE_POLICY)
    return SignOffCheck(unanswered=unanswered, missing_evidence=missing, policy=policy)


async def sign_off(db: Database, user: User, visit: Visit, checklist: Checklist, *, remarks: str,
                   unit_representative: str, missing_evidence_reason: str = "") -> None:
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
    # Checked once before the transaction (a refusal costs no writer time) and again inside it: an answer
    # cleared, a photo deleted or the policy changed meanwhile must not slip through.
    _refuse_sign_off(await sign_off_check(db, visit, checklist), reason)
    async with db.transaction() as tx:
        status = (await tx.fetch_one("SELECT status FROM visits WHERE id = ?", (visit.id,)))["status"]
        if status not in ("in_progress", "submitted"):
            raise Refused(409, "bad_status", "Cuộc kiểm tra này không ở trạng thái có thể ký duyệt.")
        missing = _refuse_sign_off(await sign_off_check(tx, visit, checklist), reason)
        await tx.execute(
            "UPDATE visits SET status = 'signed_off', signed_off_at = ?, signed_off_by = ?, remarks = ?,"
            " unit_representative = ?, version = version + 1 WHERE id = ?",
            (utc_now(), user.id, remarks, unit_representative, visit.id))
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


async def evidence_counts(db: Database | Tx, visit_id: int) -> dict[str, int]:
    return await evidence.count_by_item(db, visit_id)


async def current_version_of(db: Database, checklist_id: str, loaded: dict) -> str | None:
    """The version new work should use: what the files hold now, else the newest known."""
    if checklist_id in loaded:
        return loaded[checklist_id].version_hash
    latest = await checklist_q.latest_version(db, checklist_id)
    return latest.version_hash if latest else None
