"""Remediation as JSON: the caller's items, one item with its thread, answers (with files), review."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, HeaderParameter, JSONBody, MultipartBody

from inspect_app.db import Database
from inspect_app.permissions import ADMIN, ALL_ROLES, LEAD, allow
from inspect_app.queries import remediation as q
from inspect_app.services import deadlines, remediation
from inspect_app.settings import Settings
from inspect_app.web.common import user_of
from inspect_app.web.contract import errors
from inspect_app.web.remediation import item_for, read_uploads, require_manager, scoped_items

OptionalKey = Annotated[str | None, HeaderParameter(name="Idempotency-Key", required=False)]


class RemediationOut(msgspec.Struct):
    id: int
    unit_code: str
    unit_name: str
    visit_id: int
    plan_id: int
    item_code: str
    text: str
    deadline: str
    status: Literal["open", "answered", "returned", "accepted"]
    overdue: bool
    days_left: int


class ResponseOut(msgspec.Struct):
    id: int
    kind: str
    text: str
    author: str
    submitted_at: str | None


class FileOut(msgspec.Struct):
    id: int
    response_id: int
    kind: str
    name: str
    sha256: str


class RemediationDetail(msgspec.Struct):
    item: RemediationOut
    thread: list[ResponseOut]
    files: list[FileOut]


class AnswerIn(msgspec.Struct):
    text: str
    file: list[UploadFile] = []


class ReviewIn(msgspec.Struct, forbid_unknown_fields=True):
    decision: Literal["accept", "return"]
    comment: str = ""


def item_out(row) -> RemediationOut:
    today = deadlines.today_in_vietnam()
    return RemediationOut(id=row.id, unit_code=row.unit_code, unit_name=row.unit_name, visit_id=row.visit_id,
                          plan_id=row.plan_id, item_code=row.item_code, text=row.text, deadline=row.deadline,
                          status=row.status, overdue=deadlines.is_overdue(row.status, row.deadline, today),
                          days_left=deadlines.days_left(row.deadline, today))


async def detail_out(db: Database, row) -> RemediationDetail:
    thread = [ResponseOut(id=r.id, kind=r.kind, text=r.text, author=r.author_name, submitted_at=r.submitted_at)
              for r in await q.responses(db, row.id) if r.state == "submitted"]
    submitted = {t.id for t in thread}
    files = [FileOut(id=f["id"], response_id=f["response_id"], kind=f["kind"], name=f["original_name"],
                     sha256=f["sha256"]) for f in await q.response_files(db, row.id) if f["response_id"] in submitted]
    return RemediationDetail(item=item_out(row), thread=thread, files=files)


class RemediationApiController(Controller):
    path = "/api/v1/remediation"
    tags = ["remediation"]

    @get("/", opt=allow(*ALL_ROLES), operation_id="ListRemediation")
    async def list_items(self, request: Request, db: NamedDependency[Database],
                         status: FromQuery[str | None] = None) -> list[RemediationOut]:
        """The caller's scope: a unit officer sees only their unit's items."""
        return [item_out(r) for r in await scoped_items(db, user_of(request), status=status or None)]

    @get("/{item_id:int}", opt=allow(*ALL_ROLES), operation_id="GetRemediation")
    async def get_item(self, request: Request, db: NamedDependency[Database],
                       item_id: FromPath[int]) -> RemediationDetail:
        row, _ = await item_for(db, request, item_id)
        return await detail_out(db, row)

    @post("/{item_id:int}/answers", opt=allow("unit"), operation_id="AnswerRemediation",
          request_max_body_size=64_000_000, status_code=201, responses=errors(409, 422, 507))
    async def answer(self, request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings],
                     item_id: FromPath[int], data: MultipartBody[AnswerIn],
                     idempotency_key: OptionalKey = None) -> Response[RemediationDetail]:
        """Submit the unit's answer: `text` and zero or more `file` parts (photos, PDFs). With an
        `Idempotency-Key`, a repeat answers as the first did and adds nothing."""
        row, _ = await item_for(db, request, item_id)
        await remediation.answer(db, user_of(request), row, text=data.text, submit=True,
                                 files=await read_uploads(data.file), root=settings.evidence_dir,
                                 idempotency_key=idempotency_key)
        return Response(await detail_out(db, await q.get_item(db, item_id)), status_code=201)

    @post("/{item_id:int}/review", opt=allow(ADMIN, LEAD), operation_id="ReviewRemediation", status_code=200,
          responses=errors(409, 422))
    async def review(self, request: Request, db: NamedDependency[Database], item_id: FromPath[int],
                     data: JSONBody[ReviewIn]) -> RemediationDetail:
        """`{"decision": "accept"|"return", "comment": "…"}`: accept closes the item; return sends it back."""
        row, is_member = await item_for(db, request, item_id)
        require_manager(user_of(request), is_member, "được xem xét")
        await remediation.review(db, user_of(request), row, decision=data.decision, comment=data.comment)
        return await detail_out(db, await q.get_item(db, item_id))
