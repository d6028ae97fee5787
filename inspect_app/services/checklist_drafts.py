"""Checklists edited in the browser by the Sở Nội vụ: drafts, their edits, and publishing a new version.

A draft is a whole checklist being edited, started from any published version (or from an uploaded
workbook); it is never offered to a visit. Every edit names the draft version it replaces: the second of
two people saving from the same version is refused (409) instead of silently undoing the first. Publishing
checks the whole checklist with the validator (the same rules as a file), stores it as a new version
(content-hashed like a file: `checklist_store.record_version`) and removes the draft, audited
`checklist.publish`, in one transaction. The new version is current from then on, and stays current
across restarts (a file is imported only when its content hash is new).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import msgspec

from inspect_app.checklists import editing
from inspect_app.checklists.loader import LoadedChecklist, checklist_from_json, checklist_to_json, version_hash
from inspect_app.checklists.model import Checklist
from inspect_app.checklists.problems import Node, Problem
from inspect_app.checklists.validate import validate_checklist
from inspect_app.checklists.xlsx import import_xlsx
from inspect_app.db import Database
from inspect_app.models import User
from inspect_app.queries import audit
from inspect_app.queries import checklists as q
from inspect_app.queries.checklists import DraftRow
from inspect_app.services.checklist_store import checklist_version, record_version
from inspect_app.services.errors import Refused

PUBLISHED_IN_BROWSER = "trình duyệt"  # checklist_versions.source_path of a version published here


class Draft(msgspec.Struct):
    """A draft as the editor shows it: the stored row and its content decoded."""

    row: DraftRow
    checklist: Checklist

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def version(self) -> int:
        return self.row.version


async def get(db: Database, checklist_id: str, draft_id: int) -> Draft:
    row = await q.get_draft(db, draft_id)
    if row is None or row.checklist_id != checklist_id:
        raise Refused(404, "unknown_draft", "Không tìm thấy bản nháp này (có thể đã được công bố hoặc xóa).")
    return Draft(row, checklist_from_json(row.content_json))


async def start(db: Database, user: User, checklist_id: str, from_version: str) -> int:
    """A new draft holding a copy of a published version."""
    checklist = await checklist_version(db, checklist_id, from_version)
    if checklist is None:
        raise Refused(404, "unknown_version", f"Bộ tiêu chí {checklist_id} không có phiên bản {from_version}.")
    return await _insert(db, user, checklist, from_version, origin={"from": from_version})


async def start_from_workbook(db: Database, user: User, checklist_id: str, content: bytes,
                              filename: str) -> int:
    """A new draft from an Excel workbook, as `inspect-app checklist import-xlsx` reads one: the same size and
    decompressed-size limits (workbook_limits.py), the same rules; a workbook with problems makes no draft."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / safe_workbook_name(filename)
        path.write_bytes(content)
        checklist, problems = import_xlsx(path)
    if checklist is None:
        raise Refused(422, "invalid_workbook", f"Tệp {Path(filename).name} có {len(problems)} lỗi; chưa tạo bản nháp.",
                      {"problems": [str(p) for p in problems[:50]]})
    if checklist.id != checklist_id:
        raise Refused(422, "other_checklist", f'Tệp này là bộ tiêu chí "{checklist.id}", không phải "{checklist_id}".')
    latest = await q.latest_version(db, checklist_id)
    return await _insert(db, user, checklist, latest.version_hash if latest else "",
                         origin={"workbook": Path(filename).name})


def safe_workbook_name(filename: str) -> str:
    """The uploaded file's name as the problems will cite it, safe to write in a folder of our own."""
    name = re.sub(r"[^\w.\- ]", "_", Path(filename.replace("\\", "/")).name).strip(" .")
    return name if name.lower().endswith(".xlsx") and len(name) > 5 else "bo-tieu-chi.xlsx"


async def _insert(db: Database, user: User, checklist: Checklist, base: str, origin: dict) -> int:
    async with db.transaction() as tx:
        draft_id = await q.insert_draft(tx, checklist_id=checklist.id, base_version=base,
                                        content_json=checklist_to_json(checklist), user_id=user.id)
        await audit.record(tx, actor_id=user.id, actor=user.username, action="checklist.draft_create",
                           subject_type="checklist", subject_id=checklist.id, after={"draft": draft_id, **origin})
    return draft_id


async def edit(db: Database, user: User, draft: Draft, base: int, change: Callable[[Checklist], Checklist],
               what: str) -> Checklist:
    """Apply `change` (a pure function of editing.py) to the draft saved at version `base`."""
    if base != draft.version:
        raise _stale()
    try:
        changed = change(draft.checklist)
    except KeyError:
        raise Refused(404, "unknown_node", "Không tìm thấy mục này trong bản nháp (có thể vừa bị xóa).") from None
    async with db.transaction() as tx:
        if not await q.update_draft(tx, draft.id, base, checklist_to_json(changed), user.id):
            raise _stale()
        await audit.record(tx, actor_id=user.id, actor=user.username, action="checklist.draft_edit",
                           subject_type="checklist", subject_id=draft.row.checklist_id,
                           after={"draft": draft.id, "change": what, "version": base + 1})
    return changed


def _stale() -> Refused:
    return Refused(409, "draft_conflict", "Bản nháp vừa được người khác sửa sau khi anh/chị mở trang: trang đã "
                   "được tải lại với nội dung mới nhất, hãy xem lại rồi sửa tiếp.")


def node_label(checklist: Checklist, node: Node) -> str:
    """How the audit log names a node: "thông tin chung" or its kind and code ("tiêu chí thành phần 1.1.2")."""
    if not node:
        return "thông tin chung"
    try:
        value = editing.node_at(checklist, node)
    except KeyError:
        return editing.node_id(node)
    kind = {1: "lĩnh vực", 2: "tiêu chí", 3: "tiêu chí thành phần"}[len(node)]
    return f"{kind} {value.code}"


def save_fields(node: Node, form: Mapping[str, str]) -> Callable[[Checklist], Checklist]:
    return lambda checklist: editing.apply_fields(checklist, node, form)


async def discard(db: Database, user: User, draft: Draft, base: int) -> None:
    if base != draft.version:
        raise _stale()
    async with db.transaction() as tx:
        await q.delete_draft(tx, draft.id)
        await audit.record(tx, actor_id=user.id, actor=user.username, action="checklist.draft_delete",
                           subject_type="checklist", subject_id=draft.row.checklist_id,
                           before={"draft": draft.id, "version": draft.version})


def publish_problems(checklist: Checklist, known_labels: set[str]) -> list[Problem]:
    """What stops a draft from being published: the validator's problems, and a version label already used."""
    problems = validate_checklist(checklist, "bản nháp")
    if checklist.version in known_labels:
        problems.append(Problem("bản nháp", None, None, f'Nhãn phiên bản "{checklist.version}" đã được dùng: '
                                "hãy đặt nhãn mới ở phần thông tin chung (ví dụ 2027.1)."))
    return problems


async def publish(db: Database, user: User, draft: Draft, base: int, ip: str = "") -> LoadedChecklist:
    """Store the draft as the checklist's new current version; the draft is removed."""
    if base != draft.version:
        raise _stale()
    checklist = draft.checklist
    versions = await q.list_versions(db, checklist.id)
    problems = publish_problems(checklist, {v.version_label for v in versions})
    if problems:
        raise Refused(422, "invalid_draft", f"Bản nháp còn {len(problems)} lỗi: hãy sửa các mục được đánh dấu "
                      "rồi công bố lại.", {"problems": [p.message for p in problems[:50]]})
    content_hash = version_hash(checklist)
    if any(v.version_hash == content_hash for v in versions):
        raise Refused(409, "unchanged", "Nội dung bản nháp giống hệt một phiên bản đã có: không có gì để công bố.")
    async with db.transaction() as tx:
        if await q.get_draft(tx, draft.id) is None or not await q.update_draft(
                tx, draft.id, base, draft.row.content_json, user.id):
            raise _stale()
        await record_version(tx, checklist, content_hash, source_path=PUBLISHED_IN_BROWSER, published_by=user.id)
        await q.delete_draft(tx, draft.id)
        await audit.record(tx, actor_id=user.id, actor=user.username, action="checklist.publish",
                           subject_type="checklist", subject_id=checklist.id, ip=ip,
                           before={"hash": draft.row.base_version},
                           after={"version": checklist.version, "hash": content_hash, "draft": draft.id})
    return LoadedChecklist(checklist, content_hash, "", Path(f"{checklist.id}.toml"))
