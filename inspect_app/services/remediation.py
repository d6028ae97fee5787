"""Remediation follow-up: proposals from a signed-off visit, the unit's answers, review, figures.

Statuses: open → answered → accepted | returned → answered → …; "overdue" is computed from the
deadline (services/deadlines.py), never stored.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import msgspec

from inspect_app.checklists import Checklist, Item, score_item
from inspect_app.db import Database, Tx
from inspect_app.models import Finding, User, Visit
from inspect_app.permissions import can_answer_remediation
from inspect_app.queries import audit
from inspect_app.queries import findings as findings_q
from inspect_app.queries import remediation as q
from inspect_app.queries.remediation import RemediationRow
from inspect_app.services import attach, deadlines, idempotency
from inspect_app.services.answers import decode
from inspect_app.services.visits import LOCKED
from inspect_app.services.errors import Refused
from inspect_app.services.evidence import StoredEvidence
from inspect_app.text import nfc, vn_number

MAX_TEXT = 4000
MAX_FILES = 4  # × 15 MB per file: the answer routes' body limit
ANSWERABLE = ("open", "returned")


class Answered(msgspec.Struct, frozen=True):
    """What an answer wrote; stored under its Idempotency-Key, so a repeat gets the same back."""

    response_id: int
    submitted: bool
    evidence_ids: list[int] = []


class Proposal(msgspec.Struct):
    """A failed or partial finding that no item covers yet: what the lead confirms, edits or merges."""

    item_code: str
    finding_id: int
    text: str
    points: float
    max_points: float


class ItemView(msgspec.Struct):
    row: RemediationRow
    overdue: bool
    due_soon: bool
    days_left: int
    label: str


class Figures(msgspec.Struct):
    total: int = 0
    open: int = 0
    answered: int = 0
    returned: int = 0
    accepted: int = 0
    closed_on_time: int = 0
    closed_late: int = 0
    overdue: int = 0
    due_soon: int = 0


# ---------------------------------------------------------------- rules (pure)


def proposal_text(item: Item, points: float, note: str) -> str:
    text = (f"Tiêu chí {item.code} ({vn_number(points)}/{vn_number(item.max_points)} điểm): {item.text.rstrip('.')}."
            f"{' Đoàn ghi nhận: ' + note.strip() if note.strip() else ''}"
            " Đề nghị đơn vị khắc phục và báo cáo kết quả kèm tài liệu kiểm chứng.")
    return text


def proposals(checklist: Checklist, visit_findings: list[Finding], covered: set[int]) -> list[Proposal]:
    """Every scored, answered, applicable item below its maximum, not already covered by an item."""
    by_code = {f.item_code: f for f in visit_findings}
    result = []
    for item in checklist.items():
        finding = by_code.get(item.code)
        if finding is None or finding.id in covered:
            continue
        score = score_item(item, decode(finding.answer_json))
        if score.points is None or score.na or score.points >= score.max_points:
            continue
        result.append(Proposal(item.code, finding.id, proposal_text(item, score.points, finding.note),
                               score.points, score.max_points))
    return result


def view(row: RemediationRow, today: date) -> ItemView:
    return ItemView(row=row, overdue=deadlines.is_overdue(row.status, row.deadline, today),
                    due_soon=deadlines.is_due_soon(row.status, row.deadline, today),
                    days_left=deadlines.days_left(row.deadline, today),
                    label=deadlines.deadline_label(row.status, row.deadline, today))


def figures(rows: list[RemediationRow], today: date) -> Figures:
    """Counts by status plus on-time / late / overdue / due soon."""
    fig = Figures(total=len(rows))
    counts = Counter(r.status for r in rows)
    fig.open, fig.answered = counts["open"], counts["answered"]
    fig.returned, fig.accepted = counts["returned"], counts["accepted"]
    for row in rows:
        if row.status == "accepted":
            if deadlines.closed_on_time(row.deadline, row.closed_at):
                fig.closed_on_time += 1
            else:
                fig.closed_late += 1
        elif deadlines.is_overdue(row.status, row.deadline, today):
            fig.overdue += 1
        elif deadlines.is_due_soon(row.status, row.deadline, today):
            fig.due_soon += 1
    return fig


def figures_by(rows: list[RemediationRow], today: date, key) -> dict[str, Figures]:
    groups: dict[str, list[RemediationRow]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return {name: figures(group, today) for name, group in sorted(groups.items())}


def area_of(row: RemediationRow) -> str:
    return f"Lĩnh vực {row.item_code.split('.')[0]}" if row.item_code else "Kiến nghị khác"


def awaits_answer(row: RemediationRow) -> bool:
    """Open or returned: the unit may (again) answer; answered or accepted it waits on the Sở Nội vụ."""
    return row.status in ANSWERABLE


# ---------------------------------------------------------------- use cases


def _clean_text(text: str) -> str:
    text = nfc(text)
    if len(text) < 10:
        raise Refused(422, "text_required", "Nội dung kiến nghị quá ngắn: nêu rõ tồn tại và yêu cầu khắc phục.")
    if len(text) > MAX_TEXT:
        raise Refused(422, "text_too_long", f"Nội dung dài quá {MAX_TEXT} ký tự.")
    return text


def _clean_deadline(deadline: str, today: date) -> str:
    try:
        day = date.fromisoformat(deadline)
    except ValueError:
        raise Refused(422, "bad_deadline", "Hạn khắc phục không hợp lệ (ngày/tháng/năm).") from None
    if day < today:
        raise Refused(422, "bad_deadline", "Hạn khắc phục không được trước hôm nay.")
    return day.isoformat()


async def create_item(db: Database, user: User, visit: Visit, *, finding_ids: list[int], text: str,
                      deadline: str) -> int:
    """Confirm a proposal, a merge of several, or a new item: one transaction, audited."""
    if visit.status not in LOCKED:
        raise Refused(409, "not_signed_off", "Chỉ lập kiến nghị khắc phục sau khi cuộc kiểm tra đã ký duyệt.")
    text, deadline = _clean_text(text), _clean_deadline(deadline, deadlines.today_in_vietnam())
    codes = []
    async with db.transaction() as tx:
        for finding_id in finding_ids:
            finding = await findings_q.get_finding_by_id(tx, finding_id)
            if finding is None or finding.visit_id != visit.id:
                raise Refused(422, "unknown_finding", "Kết quả kiểm tra được chọn không thuộc cuộc kiểm tra này.")
            if taken := await q.item_covering(tx, finding_id):
                raise Refused(409, "already_covered", f"Tồn tại {finding.item_code} đã có kiến nghị #{taken}.")
            codes.append(finding.item_code)
        item_code = ", ".join(codes)
        item_id = await q.insert_item(tx, visit_id=visit.id, unit_code=visit.unit_code, finding_ids=finding_ids,
                                      item_code=item_code, text=text, deadline=deadline, user_id=user.id)
        await audit.record(tx, actor_id=user.id, actor=user.username, action="remediation.create",
                           subject_type="remediation", subject_id=item_id,
                           after={"visit_id": visit.id, "findings": finding_ids, "deadline": deadline, "text": text})
    return item_id


async def edit_item(db: Database, user: User, row: RemediationRow, *, text: str, deadline: str) -> None:
    if row.status == "accepted":
        raise Refused(409, "closed", "Kiến nghị đã đóng, không sửa được.")
    text = _clean_text(text)
    deadline = row.deadline if deadline == row.deadline else _clean_deadline(deadline, deadlines.today_in_vietnam())
    async with db.transaction() as tx:
        await q.update_item(tx, row.id, text=text, deadline=deadline)
        await audit.record(tx, actor_id=user.id, actor=user.username, action="remediation.edit",
                           subject_type="remediation", subject_id=row.id,
                           before={"text": row.text, "deadline": row.deadline}, after={"text": text, "deadline": deadline})


def _check_awaits_answer(row: RemediationRow) -> None:
    if not awaits_answer(row):
        raise Refused(409, "bad_status", "Kiến nghị đang chờ xem xét hoặc đã đóng: chưa trả lời thêm được.")


def _clean_answer_text(text: str, submit: bool) -> str:
    text = nfc(text)
    if submit and len(text) < 10:
        raise Refused(422, "text_required", "Nêu kết quả khắc phục (ít nhất một câu) trước khi gửi.")
    if len(text) > MAX_TEXT:
        raise Refused(422, "text_too_long", f"Nội dung dài quá {MAX_TEXT} ký tự.")
    return text


async def answer(
    db: Database, user: User, row: RemediationRow, *, text: str, submit: bool,
    files: Sequence[tuple[bytes, str]] = (), root: Path | None = None, idempotency_key: str | None = None,
) -> tuple[Answered, bool]:
    """The unit's answer, kept as a draft until submitted (the item is then 'answered'), with up to
    MAX_FILES files (bytes, file name) stored under `root`; returns (what was written, replayed).

    Every file is checked and stored first, each decoded once (files before rows); then one transaction
    writes the answer, its file rows, the submission and their audit entries (the text as saved,
    `remediation.draft`; each file, `evidence.add`; when sent, `remediation.answer`). So a bad file
    refuses the whole answer and nothing is written. With an Idempotency-Key, a repeat gets the first
    answer back and writes nothing; without one (a form that sent none) each request is new.
    """
    if len(files) > MAX_FILES:
        raise Refused(422, "too_many_files", f"Mỗi lần gửi tối đa {MAX_FILES} tệp.")
    if not can_answer_remediation(user, row):
        raise Refused(403, "forbidden", "Chỉ cán bộ của đơn vị được kiểm tra mới trả lời kiến nghị này.")
    key = idempotency.require_key(idempotency_key) if idempotency_key else None
    payload = idempotency.request_hash("remediation.answer", row.id, text, submit,
                                       [(attach.sha256_of(data), name) for data, name in files]) if key else ""
    # Before the status check and the decodes: a repeat finds the item answered and its files stored.
    if key and (prior := await idempotency.replay(db, user.id, key, payload, Answered)) is not None:
        return prior, True
    _check_awaits_answer(row)
    text = _clean_answer_text(text, submit)
    if files and root is None:
        raise ValueError("answer(): files need the evidence root")
    stored = [(await attach.ingest_upload(root, data, name), name) for data, name in files]
    async with db.transaction() as tx:
        if key and (again := await idempotency.replay(tx, user.id, key, payload, Answered)) is not None:
            return again, True  # a parallel repeat won the race
        result = await _write_answer(tx, user, await q.get_item(tx, row.id), text, submit, stored)
        if key:
            await idempotency.remember(tx, user.id, key, payload, result)
    return result, False


async def _write_answer(tx: Tx, user: User, row: RemediationRow, text: str, submit: bool,
                        uploads: list[tuple[StoredEvidence, str]]) -> Answered:
    """The rows of an answer, in the caller's transaction; `row` is read inside it, so an item reviewed
    or answered elsewhere since the page was read refuses here."""
    _check_awaits_answer(row)
    response_id = await _save_text(tx, row.id, text, user.id)
    await audit.record(tx, actor_id=user.id, actor=user.username, action="remediation.draft",
                       subject_type="remediation", subject_id=row.id, before={"status": row.status},
                       after={"status": row.status, "response_id": response_id, "text": text})
    evidence_ids = await attach.add_to_response(tx, user=user, visit_id=row.visit_id, item_id=row.id,
                                                response_id=response_id, uploads=uploads)
    if submit:
        await q.submit_draft(tx, response_id, text)
        await q.set_status(tx, row.id, "answered")
        await audit.record(tx, actor_id=user.id, actor=user.username, action="remediation.answer",
                           subject_type="remediation", subject_id=row.id, before={"status": row.status},
                           after={"status": "answered", "response_id": response_id, "text": text})
    return Answered(response_id=response_id, submitted=submit, evidence_ids=evidence_ids)


async def _save_text(tx: Tx, item_id: int, text: str, user_id: int) -> int:
    """The item's one draft answer, created or rewritten: the response the files and the submission join."""
    draft = await q.draft_of(tx, item_id)
    if draft is None:
        return await q.insert_response(tx, item_id=item_id, kind="answer", state="draft", text=text, user_id=user_id)
    await q.update_draft(tx, draft.id, text)
    return draft.id


async def review(db: Database, user: User, row: RemediationRow, *, decision: str, comment: str) -> None:
    """Accept (close) or return an answered item; the comment joins the thread."""
    if decision not in ("accept", "return"):
        raise Refused(422, "bad_decision", "Quyết định phải là chấp nhận (accept) hoặc trả lại (return).")
    if row.status != "answered":
        raise Refused(409, "bad_status", "Chỉ xem xét được kiến nghị đơn vị đã trả lời.")
    comment = nfc(comment)
    if decision == "return" and len(comment) < 5:
        raise Refused(422, "comment_required", "Khi trả lại, hãy ghi rõ đơn vị cần bổ sung gì.")
    status = "accepted" if decision == "accept" else "returned"
    async with db.transaction() as tx:
        await q.insert_response(tx, item_id=row.id, kind=decision, state="submitted", text=comment, user_id=user.id)
        await q.set_status(tx, row.id, status, closed=decision == "accept")
        await audit.record(tx, actor_id=user.id, actor=user.username, action=f"remediation.{decision}",
                           subject_type="remediation", subject_id=row.id, before={"status": row.status},
                           after={"status": status, "comment": comment})
