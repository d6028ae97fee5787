"""What the visit minutes (Biên bản kiểm tra) and the conclusion notice (Thông báo kết luận) say,
assembled from the visit's rows and scored with the visit's pinned checklist."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import msgspec

from inspect_app.checklists import Checklist, Item
from inspect_app.db import Database
from inspect_app.models import MEMBER_ROLE_LABELS, Evidence
from inspect_app.queries import checkins
from inspect_app.queries import evidence as evidence_q
from inspect_app.queries import findings as findings_q
from inspect_app.queries import reports as q
from inspect_app.reports import rules
from inspect_app.reports.scoring import score
from inspect_app.services.answers import decode, decode_all
from inspect_app.services import self_assessment, signatures
from inspect_app.checklists.conditions import SKIPPED_LABEL
from inspect_app.checklists.derive import derive_answers
from inspect_app.services.answers import answer_label, date_label
from inspect_app.text import vn_number
from inspect_app.services.attach import stored_file
from inspect_app.services.checklist_store import checklist_version
from inspect_app.services.errors import Refused

REMEDIATION_STATUS = {"open": "Chưa khắc phục", "answered": "Đơn vị đã báo cáo", "returned": "Yêu cầu bổ sung",
                      "accepted": "Đã khắc phục"}


class Line(msgspec.Struct, frozen=True):
    """One item of the findings table."""

    code: str
    text: str
    answer: str
    points: float | None
    max_points: float
    na: bool
    failed: bool
    note: str
    evidence: int


class AreaBlock(msgspec.Struct, frozen=True):
    code: str
    title: str
    points: float
    max_points: float
    full_items: int  # items at their maximum
    scored_items: int
    lines: list[Line]


class EvidenceLine(msgspec.Struct, frozen=True):
    number: int
    id: int
    item_code: str
    kind: str
    name: str
    caption: str
    captured_at: str | None  # the camera's claim, local time without zone
    uploaded_at: str
    sha256: str
    thumb: str | None  # path of the thumbnail on disk, None for documents or a missing file


class ActionLine(msgspec.Struct, frozen=True):
    item_code: str
    text: str
    deadline: str
    status: str


class SampleBlock(msgspec.Struct, frozen=True):
    """A dossier sample as the minutes' appendix lists it: one row per dossier, cells as people read them."""

    code: str
    text: str
    headers: list[str]
    rows: list[list[str]]


class SignatureImage(msgspec.Struct, frozen=True):
    """A party's signature drawn on the tablet, as a signature block prints it."""

    party: str  # "lead" | "unit"
    name: str
    position: str
    signed_at: str
    current: bool  # False: signed an earlier version of the minutes (amended since)
    image: str | None  # path of the PNG on disk, None when the file is missing


class VisitDoc(msgspec.Struct):
    plan: q.PlanRecord
    visit: q.VisitRecord
    members: list[q.MemberRecord]
    checklist_title: str
    checklist_version: str
    points: float
    max_points: float
    percent: float | None
    rating: str | None
    areas: list[AreaBlock]
    shortcomings: list[Line]
    evidence: list[EvidenceLine]
    actions: list[ActionLine]
    today: date
    signed: bool
    appraisal: Any = None  # services.self_assessment.Appraisal when the unit submitted a self-assessment
    samples: list[SampleBlock] = []  # the dossier samples taken, for the appendix
    checkin: Any = None  # queries.checkins.CheckinRow: where and when the team started (the latest one)
    signatures: dict[str, SignatureImage] = {}  # by party ("lead", "unit"): drawn on the tablet

    @property
    def lead(self) -> q.MemberRecord | None:
        return next((m for m in self.members if m.role == "truong_doan"), None)

    @property
    def secretary(self) -> q.MemberRecord | None:
        return next((m for m in self.members if m.role == "thu_ky"), None)

    @property
    def place(self) -> str:
        return rules.place_name(self.plan.province_name or self.visit.province_name)

    @property
    def earlier_signatures(self) -> list[SignatureImage]:
        """Signatures given before an amendment: the minutes say they belong to an earlier version."""
        return [s for s in self.signatures.values() if not s.current]

    @property
    def visit_day(self) -> date:
        if self.checkin is not None:
            return rules.vietnam_day(self.checkin.recorded_at)
        if self.visit.started_at:
            return rules.vietnam_day(self.visit.started_at)
        return date.fromisoformat(self.visit.scheduled_on)


def member_role(role: str) -> str:
    return MEMBER_ROLE_LABELS.get(role, role)


def lines_for(checklist: Checklist, answers: dict, notes: dict[str, str], counts: dict[str, int]) -> tuple:
    result = score(checklist, answers)
    areas = []
    for area, area_score in zip(checklist.areas, result.areas):
        lines = []
        for item in (i for c in area.criteria for i in c.items):
            lines.append(_line(item, answers, notes, counts, result.items[item.code]))
        scored = [ln for ln in lines if ln.points is not None]
        areas.append(AreaBlock(area.code, area.title, area_score.points, area_score.max_points,
                               sum(1 for ln in scored if ln.points >= ln.max_points), len(scored), lines))
    return result, areas


def _line(item: Item, answers: dict, notes: dict[str, str], counts: dict[str, int], item_score) -> Line:
    answer = answers.get(item.code)
    label = answer_label(answer, item) if answer is not None else "(chưa trả lời)"
    if item_score.skipped:  # an answer stored before the condition turned false does not count
        return Line(item.code, item.text, SKIPPED_LABEL, None, 0.0, True, False, notes.get(item.code, ""),
                    counts.get(item.code, 0))
    if answer is not None and not answer.na and answer.number is not None:
        if item.type == "deduction":  # a bare "3" reads as a score; say what was counted
            label = f"{label} vi phạm"
        elif item.type == "count" and item.count_label:
            label = f"{item.count_label}: {label}"
    return Line(item.code, item.text, label, item_score.points, item_score.max_points, item_score.na,
                rules.is_failed(item_score), notes.get(item.code, ""), counts.get(item.code, 0))


def sample_blocks(checklist: Checklist, answers: dict) -> list[SampleBlock]:
    """Every sample item with rows, its cells as the minutes print them (dates dd/mm/yyyy, Có/Không)."""
    blocks = []
    for item in checklist.items():
        answer = answers.get(item.code)
        if item.type == "sample" and answer is not None and answer.rows:
            rows = [[cell_label(column.type, row.get(column.key)) for column in item.columns] for row in answer.rows]
            blocks.append(SampleBlock(item.code, item.text, [column.label for column in item.columns], rows))
    return blocks


def cell_label(kind: str, value: object) -> str:
    if value is None or value == "":
        return ""
    if kind == "yesno":
        return "Có" if value is True else "Không" if value is False else str(value)
    if kind == "date":
        return date_label(str(value))
    if kind == "number" and isinstance(value, (int, float)):
        return vn_number(value)
    return str(value)


def evidence_lines(root: Path, files: list[Evidence]) -> list[EvidenceLine]:
    lines = []
    for number, ev in enumerate(files, start=1):
        thumb = None
        if ev.kind == "photo":
            try:
                path, _ = stored_file(root, ev, "thumb")
                thumb = str(path) if path.exists() else None
            except (Refused, KeyError):
                thumb = None
        lines.append(EvidenceLine(number, ev.id, ev.item_code, ev.kind, ev.original_name, ev.caption,
                                  ev.captured_at, ev.uploaded_at, ev.sha256, thumb))
    return lines


async def signature_images(db: Database, visit_id: int, root: Path) -> dict[str, SignatureImage]:
    images = {}
    for sig in await signatures.for_visit(db, visit_id):
        try:
            path = signatures.png_file(root, sig)
        except Refused:
            path = None
        images[sig.party] = SignatureImage(sig.party, sig.name, sig.position, sig.signed_at, sig.current,
                                           str(path) if path and path.exists() else None)
    return images


async def build_visit_doc(db: Database, visit_id: int, evidence_root: Path, today: date | None = None) -> VisitDoc | None:
    """Everything the two visit documents print; None when the visit or its checklist is missing."""
    visit = await q.visit_record(db, visit_id)
    if visit is None:
        return None
    plan = await q.plan_record(db, visit.plan_id)
    checklist = await checklist_version(db, visit.checklist_id, visit.checklist_version)
    if plan is None or checklist is None:
        return None
    rows = await findings_q.list_findings(db, visit_id)
    files = await evidence_q.list_for_visit(db, visit_id)
    counts: dict[str, int] = {}
    for ev in files:
        counts[ev.item_code] = counts.get(ev.item_code, 0) + 1
    answers = derive_answers(checklist, {f.item_code: decode(f.answer_json) for f in rows})
    result, areas = lines_for(checklist, answers, {f.item_code: f.note for f in rows}, counts)
    actions = [ActionLine(r.item_code, r.text, r.deadline, REMEDIATION_STATUS.get(r.status, r.status))
               for r in await q.visit_remediation(db, visit_id)]
    unit_json = await q.visit_self_answers(db, visit_id)
    appraisal = self_assessment.appraisal_of_answers(checklist, decode_all(unit_json), answers) if unit_json else None
    return VisitDoc(
        appraisal=appraisal, plan=plan, visit=visit, members=await q.team_members(db, visit.team_id), checklist_title=checklist.title,
        checklist_version=checklist.version, points=result.points, max_points=result.max_points,
        percent=result.percent, rating=result.rating, areas=areas,
        shortcomings=[ln for a in areas for ln in a.lines if ln.failed],
        evidence=evidence_lines(evidence_root, files), actions=actions, samples=sample_blocks(checklist, answers),
        checkin=await checkins.latest(db, visit_id), signatures=await signature_images(db, visit_id, evidence_root),
        today=today or rules.today_in_vietnam(), signed=visit.status in rules.SIGNED)


async def require_visit_doc(db: Database, visit_id: int, evidence_root: Path) -> VisitDoc:
    """`build_visit_doc`, or the 404 every format of the visit's documents answers."""
    doc = await build_visit_doc(db, visit_id, evidence_root)
    if doc is None:
        raise Refused(404, "not_found", "Không tìm thấy cuộc kiểm tra này.")
    return doc


def document_filename(doc: VisitDoc, kind: str, fmt: str) -> str:
    """"bien-ban-kiem-tra-11167-12.pdf": the document, the unit's code and the visit."""
    stem = "bien-ban-kiem-tra" if kind == "minutes" else "thong-bao-ket-luan"
    return f"{stem}-{doc.visit.unit_code}-{doc.visit.id}.{fmt}"


def notice_signature(doc: VisitDoc) -> tuple[list[str], str]:
    """(title lines, signer name) of the notice: the Sở signs it; a deputy director signs "KT. GIÁM ĐỐC"."""
    lead = doc.lead
    name = lead.full_name if lead else ""
    title = (lead.title if lead else "").lower()
    if title.startswith("phó giám đốc"):
        return ["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"], name
    if title.startswith("giám đốc"):
        return ["GIÁM ĐỐC"], name
    return ["TM. ĐOÀN KIỂM TRA", "TRƯỞNG ĐOÀN"], name
