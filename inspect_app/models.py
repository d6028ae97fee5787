"""Records as the app passes them around: frozen msgspec Structs built from query rows.

This is the one home of every record more than one resource uses. A query module defines only the
shapes of its own reads, and one that extends a record here derives from it (reports' `PlanRecord` is a
`Plan` with its province's name; `SelfAnswer` is an `ItemAnswer` like `Finding`), never copies it.
"""

from __future__ import annotations

from typing import Literal

import msgspec

Role = Literal["admin", "lead", "inspector", "unit"]
UnitKind = Literal["xa", "phuong", "dac_khu", "so_nganh"]
VisitStatus = Literal["planned", "in_progress", "submitted", "signed_off", "amended"]
MemberRole = Literal["truong_doan", "pho_doan", "thanh_vien", "thu_ky"]

ROLE_LABELS: dict[str, str] = {
    "admin": "Sở Nội vụ",
    "lead": "Trưởng đoàn",
    "inspector": "Kiểm tra viên",
    "unit": "Cán bộ đơn vị",
}
UNIT_KIND_LABELS: dict[str, str] = {"xa": "Xã", "phuong": "Phường", "dac_khu": "Đặc khu", "so_nganh": "Sở, ngành"}
VISIT_STATUS_LABELS: dict[str, str] = {
    "planned": "Đã lên lịch",
    "in_progress": "Đang kiểm tra",
    "submitted": "Đã nộp",
    "signed_off": "Đã ký duyệt",
    "amended": "Đã điều chỉnh",
}
MEMBER_ROLE_LABELS: dict[str, str] = {
    "truong_doan": "Trưởng đoàn",
    "pho_doan": "Phó trưởng đoàn",
    "thanh_vien": "Thành viên",
    "thu_ky": "Thư ký",
}


class User(msgspec.Struct, frozen=True):
    """An account: Sở Nội vụ staff, a team member or a unit's officer (`unit_code` set only for role unit)."""

    id: int
    username: str
    full_name: str
    title: str
    role: Role
    unit_code: str | None
    active: bool
    email: str = ""


class Unit(msgspec.Struct, frozen=True):
    """A unit inspected: a commune-level unit (QĐ 19/2025/QĐ-TTg) or a provincial department."""

    code: str
    name: str
    kind: UnitKind
    province_code: str
    province_name: str = ""


class Plan(msgspec.Struct, frozen=True):
    """An inspection plan (kế hoạch kiểm tra) as issued: number, dates, issuer, title and legal basis."""

    id: int
    number: str
    issued_on: str
    issuer: str
    title: str
    legal_basis: str
    period_start: str
    period_end: str
    province_code: str | None = None


class TeamMember(msgspec.Struct, frozen=True):
    """A person on a team, with their role in it (trưởng đoàn, thành viên…)."""

    user_id: int
    username: str
    full_name: str
    title: str
    role: MemberRole


class Team(msgspec.Struct, frozen=True):
    """An inspection team (đoàn kiểm tra) of a plan, set up by a decision, with its members."""

    id: int
    plan_id: int
    name: str
    decision_number: str
    decision_date: str | None
    members: list[TeamMember] = []


class Visit(msgspec.Struct, frozen=True):
    """One visit of a team to a unit, with the names the pages show and the checklist version it pins."""

    id: int
    plan_id: int
    plan_number: str
    unit_code: str
    unit_name: str
    unit_kind: UnitKind
    team_id: int
    team_name: str
    scheduled_on: str
    kind: Literal["scheduled", "surprise"]
    checklist_id: str
    checklist_version: str
    checklist_title: str
    status: VisitStatus


class AuditEntry(msgspec.Struct, frozen=True):
    """One entry of the append-only audit log (before and after as JSON text)."""

    id: int
    at: str
    actor: str
    action: str
    subject_type: str
    subject_id: str
    before_json: str | None
    after_json: str | None
    ip: str
    actor_id: int | None = None
    actor_name: str = ""  # the person's full name today (users.full_name); "" for cli, demo, system


class ChecklistVersion(msgspec.Struct, frozen=True):
    """A checklist version recorded by its content hash, as the checklist pages list it."""

    checklist_id: str
    version_hash: str
    version_label: str
    title: str
    item_count: int
    max_points: float
    first_loaded_at: str


class ItemAnswer(msgspec.Struct, frozen=True, kw_only=True):
    """The current answer to one checklist item (answer_json holds an Answer), versioned for edits: the
    team's `Finding` or the unit's self-assessment answer (`queries.self_assessment.SelfAnswer`)."""

    id: int
    item_code: str
    answer_json: str
    points: float | None
    note: str
    version: int
    updated_at: str
    updated_by_name: str = ""


class Finding(ItemAnswer, frozen=True, kw_only=True):
    """An inspector's current answer to one item of a visit."""

    visit_id: int
    updated_by: int


class Evidence(msgspec.Struct, frozen=True):
    """A stored evidence file (photo or PDF) and the item it documents; the file itself lives
    content-addressed on disk."""

    id: int
    visit_id: int | None
    finding_id: int | None
    self_answer_id: int | None
    item_code: str
    sha256: str
    media_type: str
    kind: Literal["photo", "document"]
    original_name: str
    size_bytes: int
    width: int | None
    height: int | None
    captured_at: str | None
    metadata_json: str
    caption: str
    uploaded_by: int
    uploaded_at: str
    deleted_at: str | None = None
