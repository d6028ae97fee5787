"""Field capture as JSON: findings (idempotent, versioned), evidence, sign-off."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, Response, get, post, put
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath, HeaderParameter, JSONBody, MultipartBody, QueryParameter
from litestar.response import File

from inspect_app.db import Database
from inspect_app.permissions import ADMIN, ALL_ROLES, INSPECTOR, LEAD, allow, can_read_findings, can_sign_off
from inspect_app.queries import findings as findings_q
from inspect_app.services import attach, capture, visits
from inspect_app.services.answers import answer_from_api
from inspect_app.services.attach import EvidenceOut
from inspect_app.services.capture import MAX_NOTE, FindingOut, Progress
from inspect_app.services.errors import Refused
from inspect_app.settings import Settings
from inspect_app.web.capture import load_context
from inspect_app.web.common import checklists_of, user_of
from inspect_app.web.boundary import MAX_ID, MIN_INT
from inspect_app.web.contract import IDEMPOTENCY_KEY_REQUIRED, ConflictOut, IncompleteOut, errors
from inspect_app.web.evidence import evidence_for, file_response

STAFF_ROLES = (ADMIN, LEAD, INSPECTOR)
# Optional at the HTTP layer so that a missing key gets our own clear message, not a generic 400.
IdempotencyKey = Annotated[str | None, HeaderParameter(name="Idempotency-Key", required=False,
                                                       description="A client-made UUID per change")]


# The JSON shapes an answer can take (which one fits depends on the item: services/answers.py).
# Integers beyond 64 bits never reach a handler (web/boundary.py).
# A list is [numerator, denominator] (ratio) or the rows of a dossier sample, objects {column key: cell}.
_CELL_SCHEMA = {"type": ["string", "number", "boolean", "null"], "minimum": MIN_INT, "maximum": MAX_ID}
ANSWER_SCHEMA = {"type": ["boolean", "number", "string", "array", "null"], "minimum": MIN_INT, "maximum": MAX_ID,
                 "items": {"type": ["number", "object"], "minimum": MIN_INT, "maximum": MAX_ID,
                           "additionalProperties": _CELL_SCHEMA}}


class FindingIn(msgspec.Struct, forbid_unknown_fields=True):
    """`answer`: true/false (yesno), a level key, a number (score, count, deduction), [numerator, denominator]
    (ratio), a string (text), "YYYY-MM-DD" (date) or a list of rows {column key: cell} (sample); null clears.
    An item derived from a sample is refused (409 `item_derived`). `base_version`: the version this edit
    replaces (0 for a new finding)."""

    answer: Annotated[Any, msgspec.Meta(extra_json_schema={"extra": ANSWER_SCHEMA})] = None
    na: bool = False
    note: Annotated[str, msgspec.Meta(extra_json_schema={"extra": {"maxLength": MAX_NOTE}})] = ""
    base_version: Annotated[int, msgspec.Meta(extra_json_schema={"extra": {"minimum": 0, "maximum": MAX_ID}})] = 0
    amend_reason: str = ""


REPLAYED_UPLOAD = ResponseSpec(data_container=EvidenceOut, generate_examples=False, description="The same key and file again: the stored result")
EVIDENCE_MEDIA_TYPES = ("image/jpeg", "image/png", "image/webp", "application/pdf")
# Checked by file_response with its own Vietnamese message; the document lists the values.
EvidenceSize = Annotated[str, QueryParameter(name="size", schema_extra={"enum": ["thumb", "display", "original"]})]


class EvidenceUpload(msgspec.Struct):
    file: UploadFile
    caption: str = ""


class SignOffIn(msgspec.Struct, forbid_unknown_fields=True):
    """`missing_evidence_reason`: needed when items still lack required evidence and the plan's
    `missing_evidence_policy` is "confirm" (without it: 409 `missing_evidence_reason_required`,
    with `count` and `missing_evidence`); under "refuse" such a sign-off is 409 `missing_evidence`."""

    # Not blank once trimmed as text.nfc trims (Python's whitespace, which counts \x1c-\x1f and \x85 too);
    # the service says so in Vietnamese, the schema tells clients beforehand.
    unit_representative: Annotated[str, msgspec.Meta(extra_json_schema={"extra": {
        "minLength": 1, "pattern": r"[^\s\x1c-\x1f\x85]"}})]
    remarks: str = ""
    missing_evidence_reason: str = ""


class VisitFindings(msgspec.Struct):
    visit_id: int
    status: str
    checklist_id: str
    checklist_version: str
    progress: Progress
    findings: list[FindingOut]


class CaptureApiController(Controller):
    path = "/api/v1"
    tags = ["field capture"]

    @get("/visits/{visit_id:int}/findings", opt=allow(*ALL_ROLES), operation_id="ListFindings",
         responses=errors(403))
    async def list_findings(self, request: Request, db: NamedDependency[Database],
                            visit_id: FromPath[int]) -> VisitFindings:
        """Every saved finding of a visit with its version and computed score, plus the progress; an item
        derived from a dossier sample (`from_sample`) is listed with its computed answer and score, version 0."""
        ctx = await load_context(db, request, visit_id)
        if not can_read_findings(ctx.user, ctx.visit):
            raise Refused(403, "not_published", "Kết quả kiểm tra chỉ được công bố cho đơn vị sau khi trưởng đoàn ký duyệt.")
        rows = await findings_q.list_findings(db, visit_id)
        items = {item.code: item for item in ctx.checklist.items()}
        progress = capture.progress(ctx.checklist, rows, await capture.evidence_counts(db, visit_id))
        skipped = set(progress.skipped)
        return VisitFindings(
            visit_id=visit_id, status=ctx.visit.status, checklist_id=ctx.visit.checklist_id,
            checklist_version=ctx.visit.checklist_version, progress=progress,
            findings=[*(capture.finding_out(items[f.item_code], f, skipped=f.item_code in skipped)
                        for f in rows if f.item_code in items and items[f.item_code].from_sample is None),
                      *capture.derived_outs(ctx.checklist, rows, skipped)])

    @put("/visits/{visit_id:int}/findings/{item_code:str}", opt=allow(*STAFF_ROLES) | IDEMPOTENCY_KEY_REQUIRED,
         operation_id="SaveFinding", responses=errors(409, 422, conflict=ConflictOut))
    async def save_finding(self, request: Request, db: NamedDependency[Database], visit_id: FromPath[int],
                           item_code: FromPath[str], data: JSONBody[FindingIn],
                           idempotency_key: IdempotencyKey = None) -> Response[FindingOut]:
        """Save one answer. Same key + same body → the original result; same key + other body → 409;
        a stale `base_version` → 409 with `current`, the finding as saved by someone else."""
        target = await capture.open_item(db, user_of(request), visit_id, item_code, await checklists_of(request))
        result = await capture.save_finding(
            db, target, answer=answer_from_api(target.item, data.answer, data.na), note=data.note,
            base_version=data.base_version, idempotency_key=idempotency_key or "",
            amend_reason=data.amend_reason)
        return Response(result.finding, status_code=200,
                        headers={"Idempotent-Replayed": "true"} if result.replayed else {})

    @post("/visits/{visit_id:int}/findings/{item_code:str}/evidence", opt=allow(*STAFF_ROLES) | IDEMPOTENCY_KEY_REQUIRED,
          operation_id="UploadEvidence", request_max_body_size=16_000_000, status_code=201,
          responses={200: REPLAYED_UPLOAD, **errors(409, 422, 507)})
    async def upload(self, request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings],
                     visit_id: FromPath[int], item_code: FromPath[str], data: MultipartBody[EvidenceUpload],
                     idempotency_key: IdempotencyKey = None) -> Response[EvidenceOut]:
        """One photo (JPEG/PNG/WebP) or PDF per request, multipart field `file`."""
        ctx = await load_context(db, request, visit_id)
        capture.require_editor(ctx)
        item = capture.find_item(ctx.checklist, item_code)
        out, replayed = await attach.attach(
            db, root=settings.evidence_dir, user=ctx.user, visit=ctx.visit, item=item, data=await data.file.read(),
            filename=data.file.filename or "", caption=data.caption, idempotency_key=idempotency_key or "")
        return Response(out, status_code=200 if replayed else 201,
                        headers={"Idempotent-Replayed": "true"} if replayed else {})

    @get("/evidence/{evidence_id:int}", opt=allow(*ALL_ROLES), operation_id="GetEvidence")
    async def get_evidence(self, request: Request, db: NamedDependency[Database],
                           evidence_id: FromPath[int]) -> EvidenceOut:
        ev, _ = await evidence_for(db, request, evidence_id)
        return attach.evidence_out(ev)

    @get("/evidence/{evidence_id:int}/file", opt=allow(*ALL_ROLES) | {"media_types": EVIDENCE_MEDIA_TYPES},
         operation_id="GetEvidenceFile")
    async def get_evidence_file(self, request: Request, db: NamedDependency[Database],
                                settings: NamedDependency[Settings], evidence_id: FromPath[int],
                                size: EvidenceSize = "display") -> File:
        """`size`: thumb (≤ 320 px), display (≤ 1600 px, upright, no EXIF) or original (the bytes received)."""
        ev, _ = await evidence_for(db, request, evidence_id)
        return file_response(settings, ev, size)

    @post("/visits/{visit_id:int}/sign-off", opt=allow(ADMIN, LEAD), operation_id="SignOffVisit", status_code=200,
          responses=errors(409, 422, conflict=IncompleteOut))
    async def sign_off(self, request: Request, db: NamedDependency[Database], visit_id: FromPath[int],
                       data: JSONBody[SignOffIn]) -> dict[str, str]:
        """The lead signs off: refused (409 `incomplete`, with `unanswered` and `count`) while items are
        unanswered, and per the plan's `missing_evidence_policy` while required evidence is missing;
        findings then lock."""
        ctx = await load_context(db, request, visit_id)
        if not can_sign_off(ctx.user, ctx.is_member):
            raise Refused(403, "forbidden", "Chỉ trưởng đoàn của cuộc kiểm tra này được ký duyệt.")
        await visits.sign_off(db, ctx, remarks=data.remarks, unit_representative=data.unit_representative,
                              missing_evidence_reason=data.missing_evidence_reason)
        return {"status": "signed_off"}
