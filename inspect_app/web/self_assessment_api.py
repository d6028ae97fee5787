"""Self-assessment as JSON: the same answer shapes, keys and versions as findings."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, MultipartBody

from inspect_app.db import Database
from inspect_app.permissions import ALL_ROLES, UNIT, allow, can_read_self_assessment
from inspect_app.queries import self_assessment as q
from inspect_app.services import capture, idempotency, self_assessment
from inspect_app.services.answers import answer_from_api
from inspect_app.services.attach import EvidenceOut, attach_to_self_answer
from inspect_app.services.errors import Refused
from inspect_app.services.self_assessment import SelfAnswerOut
from inspect_app.settings import Settings
from inspect_app.web.capture import VisitContext, load_context
from inspect_app.web.capture_api import REPLAYED_UPLOAD, EvidenceUpload, FindingIn, IdempotencyKey
from inspect_app.web.contract import IDEMPOTENCY_KEY_REQUIRED, ConflictOut, IncompleteOut, errors


class SelfAssessmentOut(msgspec.Struct):
    visit_id: int
    status: str
    deadline: str | None
    submitted_at: str | None
    answers: list[SelfAnswerOut]


async def readable(db: Database, request: Request, visit_id: int) -> tuple[VisitContext, object]:
    """The unit reads its own at any time; the team reads it once submitted (a draft is the unit's)."""
    ctx = await load_context(db, request, visit_id)
    assessment = await q.get_for_visit(db, visit_id)
    if not can_read_self_assessment(ctx.user, assessment.status if assessment else None):
        raise Refused(404, "not_submitted", "Đơn vị chưa nộp kết quả tự đánh giá cho cuộc kiểm tra này.")
    return ctx, assessment


class SelfAssessmentApiController(Controller):
    path = "/api/v1/visits/{visit_id:int}/self-assessment"
    tags = ["self-assessment"]

    @get("/", opt=allow(*ALL_ROLES), operation_id="GetSelfAssessment")
    async def get_all(self, request: Request, db: NamedDependency[Database], visit_id: FromPath[int]) -> SelfAssessmentOut:
        ctx, assessment = await readable(db, request, visit_id)
        rows = {r.item_code: r for r in await q.answers(db, assessment.id)} if assessment else {}
        status = assessment.status if assessment else "none"
        return SelfAssessmentOut(visit_id=visit_id, status=status, deadline=getattr(assessment, "deadline", None),
                                 submitted_at=getattr(assessment, "submitted_at", None),
                                 answers=[self_assessment.out(item, rows[item.code], status)
                                          for item in ctx.checklist.items() if item.code in rows])

    @get("/{item_code:str}", opt=allow(*ALL_ROLES), operation_id="GetSelfAnswer")
    async def get_one(self, request: Request, db: NamedDependency[Database], visit_id: FromPath[int],
                      item_code: FromPath[str]) -> SelfAnswerOut:
        ctx, assessment = await readable(db, request, visit_id)
        item = capture.find_item(ctx.checklist, item_code)
        row = await q.get_answer(db, assessment.id, item_code) if assessment else None
        return self_assessment.out(item, row, assessment.status if assessment else "none")

    @put("/{item_code:str}", opt=allow(UNIT) | IDEMPOTENCY_KEY_REQUIRED, operation_id="SaveSelfAnswer",
         responses=errors(409, 422, conflict=ConflictOut))
    async def save(self, request: Request, db: NamedDependency[Database], visit_id: FromPath[int],
                   item_code: FromPath[str], data: JSONBody[FindingIn],
                   idempotency_key: IdempotencyKey = None) -> Response[SelfAnswerOut]:
        """The unit's answer: same body as findings (`answer`, `na`, `note` = explanation, `base_version`)."""
        ctx = await load_context(db, request, visit_id)
        item = capture.find_item(ctx.checklist, item_code)
        result, replayed = await self_assessment.save_answer(
            db, user=ctx.user, visit=ctx.visit, item=item, answer=answer_from_api(item, data.answer, data.na),
            note=data.note, base_version=data.base_version, idempotency_key=idempotency_key or "",
            payload_hash=idempotency.request_hash("self-api", visit_id, item_code, msgspec.to_builtins(data)))
        return Response(result, headers={"Idempotent-Replayed": "true"} if replayed else {})

    @post("/{item_code:str}/evidence", opt=allow(UNIT) | IDEMPOTENCY_KEY_REQUIRED, operation_id="UploadSelfEvidence",
          status_code=201, request_max_body_size=16_000_000, responses={200: REPLAYED_UPLOAD, **errors(409, 422, 507)})
    async def upload(self, request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings],
                     visit_id: FromPath[int], item_code: FromPath[str], data: MultipartBody[EvidenceUpload],
                     idempotency_key: IdempotencyKey = None) -> Response[EvidenceOut]:
        ctx = await load_context(db, request, visit_id)
        item = capture.find_item(ctx.checklist, item_code)
        row = await self_assessment.answer_for_evidence(db, ctx.user, ctx.visit, item, create=False)
        out, replayed = await attach_to_self_answer(
            db, root=settings.evidence_dir, user=ctx.user, visit_id=visit_id, self_answer_id=row.id,
            item_code=item_code, data=await data.file.read(), filename=data.file.filename or "",
            idempotency_key=idempotency_key or "")
        return Response(out, status_code=200 if replayed else 201)

    @post("/submit", opt=allow(UNIT), operation_id="SubmitSelfAssessment", status_code=200,
          responses=errors(409, conflict=IncompleteOut))
    async def submit(self, request: Request, db: NamedDependency[Database], visit_id: FromPath[int]) -> dict[str, str]:
        """Every item answered, then read-only and timestamped."""
        ctx = await load_context(db, request, visit_id)
        await self_assessment.submit(db, ctx.user, ctx.visit, ctx.checklist)
        return {"status": "submitted"}
