"""Checklists: the versions known to the app and a preview of any of them (page and JSON)."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Template

from inspect_app.checklists.diff import diff_checklists
from inspect_app.checklists.model import Checklist
from inspect_app.db import Database
from inspect_app.services.errors import Refused
from inspect_app.models import ChecklistVersion
from inspect_app.permissions import ALL_ROLES, allow
from inspect_app.queries import checklists as checklist_q
from inspect_app.services.checklist_store import checklist_version
from inspect_app.web.common import checklists_of, page_context

TYPE_LABELS = {
    "yesno": "Đạt / không đạt", "levels": "Theo mức", "score": "Chấm điểm", "ratio": "Tỷ lệ",
    "count": "Số lượng", "deduction": "Trừ điểm", "text": "Ghi chép", "date": "Ngày", "sample": "Mẫu hồ sơ",
}
EVIDENCE_LABELS = {"none": "", "photo": "ảnh chụp", "document": "tài liệu", "any": "ảnh hoặc tài liệu"}


async def version_or_404(db: Database, checklist_id: str, version: str | None,
                         current: dict) -> tuple[ChecklistVersion, Checklist]:
    """The requested version, or the current one when none is named."""
    versions = await checklist_q.list_versions(db, checklist_id)
    if not versions:
        raise Refused(404, "unknown_checklist", f"Không có bộ tiêu chí {checklist_id}.")
    if version is None:
        loaded = current.get(checklist_id)
        version = loaded.version_hash if loaded else versions[0].version_hash
    meta = next((v for v in versions if v.version_hash == version), None)
    if meta is None:
        raise Refused(404, "unknown_version", f"Bộ tiêu chí {checklist_id} không có phiên bản {version}.")
    return meta, await checklist_version(db, checklist_id, version)


class ChecklistSummary(msgspec.Struct):
    id: str
    version: str
    version_label: str
    title: str
    item_count: int
    max_points: float
    current: bool


class ChecklistDetail(msgspec.Struct):
    id: str
    version: str
    version_label: str
    checklist: dict[str, Any]  # the Checklist tree with every field spelled out (see explicit())


def explicit(value: Any) -> Any:
    """A Struct tree as plain data with every field, defaults included.

    The format Structs omit defaults (so written TOML stays short); API clients should not
    have to know the defaults to read an item's points or mode.
    """
    if isinstance(value, msgspec.Struct):
        return {f.encode_name: explicit(getattr(value, f.name)) for f in msgspec.structs.fields(value)}
    if isinstance(value, list):
        return [explicit(v) for v in value]
    return value


class ChecklistController(Controller):
    include_in_schema = False
    path = "/checklists"
    opt = allow(*ALL_ROLES)

    @get("/", name="checklists:list")
    async def list_checklists(self, request: Request, db: NamedDependency[Database]) -> Template:
        """Every checklist with all its versions; the current one is what new visits get."""
        current = {cid: item.version_hash for cid, item in (await checklists_of(request)).items()}
        grouped: dict[str, list[ChecklistVersion]] = {}
        for version in await checklist_q.list_versions(db):
            grouped.setdefault(version.checklist_id, []).append(version)
        return Template("checklists/list.html", context=page_context(
            request, grouped=grouped, current=current, usage=await checklist_q.visits_per_version(db)))

    @get("/{checklist_id:str}/{version:str}", name="checklists:preview")
    async def preview(self, request: Request, db: NamedDependency[Database], checklist_id: FromPath[str],
                      version: FromPath[str], against: FromQuery[str | None] = None) -> Template:
        """The whole tree of one version, as inspectors will see it, and what changed against another version
        (`?against=<hash>`; by default the version before it)."""
        meta, checklist = await version_or_404(db, checklist_id, version, await checklists_of(request))
        versions = await checklist_q.list_versions(db, checklist_id)
        others = [v for v in versions if v.version_hash != meta.version_hash]
        if against is None:  # the version published just before this one (versions are newest first)
            older = versions[[v.version_hash for v in versions].index(meta.version_hash) + 1:]
            against = older[0].version_hash if older else None
        diff = other = None
        if against:
            other, old = await version_or_404(db, checklist_id, against, await checklists_of(request))
            diff = diff_checklists(old, checklist)
        return Template("checklists/preview.html", context=page_context(
            request, meta=meta, checklist=checklist, TYPE_LABELS=TYPE_LABELS, EVIDENCE_LABELS=EVIDENCE_LABELS,
            others=others, other=other, diff=diff))

    @get("/{checklist_id:str}/{version:str}/guidance", name="checklists:guidance")
    async def guidance(self, request: Request, db: NamedDependency[Database], checklist_id: FromPath[str],
                       version: FromPath[str]) -> Response[dict[str, str]]:
        """{item code: guidance} of one version, for the visit page's "Hướng dẫn kiểm tra" boxes, filled on
        first open: the guidance is a third of a 66-item visit page's bytes, and the same for every visit of
        the version, so it is sent once and kept (the URL names a content-hashed version: immutable)."""
        _, checklist = await version_or_404(db, checklist_id, version, await checklists_of(request))
        return Response({item.code: item.guidance for item in checklist.items() if item.guidance},
                        headers={"Cache-Control": "private, max-age=31536000, immutable"})


class ChecklistApiController(Controller):
    path = "/api/v1/checklists"
    tags = ["api"]
    opt = allow(*ALL_ROLES)

    @get("/", operation_id="ListChecklists")
    async def list_checklists(self, request: Request, db: NamedDependency[Database]) -> list[ChecklistSummary]:
        """Every known version (`version` is the content hash); `current` marks what new visits get."""
        current = {cid: item.version_hash for cid, item in (await checklists_of(request)).items()}
        return [ChecklistSummary(id=v.checklist_id, version=v.version_hash, version_label=v.version_label,
                                 title=v.title, item_count=v.item_count, max_points=v.max_points,
                                 current=current.get(v.checklist_id) == v.version_hash)
                for v in await checklist_q.list_versions(db)]

    @get("/{checklist_id:str}", operation_id="GetChecklist")
    async def get_checklist(self, request: Request, db: NamedDependency[Database], checklist_id: FromPath[str],
                            version: FromQuery[str | None] = None) -> ChecklistDetail:
        """The whole tree of a version (default: the current one): every item's code, type, points, bands."""
        meta, checklist = await version_or_404(db, checklist_id, version, await checklists_of(request))
        return ChecklistDetail(id=meta.checklist_id, version=meta.version_hash, version_label=meta.version_label,
                               checklist=explicit(checklist))
