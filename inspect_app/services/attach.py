"""Attaching evidence to a finding, a self-assessed item or a remediation answer: ingest off the event
loop (files before rows), then the rows in one transaction."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from collections.abc import Awaitable, Callable
from typing import Any

import anyio.to_thread
import msgspec

from inspect_app.checklists import Item
from inspect_app.db import Database, Tx
from inspect_app.models import Evidence, User, Visit
from inspect_app.queries import audit, findings
from inspect_app.queries import evidence as evidence_q
from inspect_app.services import idempotency
from inspect_app.services.visits import LOCKED
from inspect_app.services.errors import Refused
from inspect_app.services.evidence import StoredEvidence, evidence_path, ingest
from inspect_app.text import display_filename, nfc

# Decoding a 12 MP photo costs ~0.1 s of CPU: at most two at a time on two cores, so saves and
# page loads keep flowing while photos arrive.
_image_slots = asyncio.Semaphore(2)
MAX_UPLOAD_BYTES = 15_000_000


class EvidenceOut(msgspec.Struct):
    id: int
    item_code: str
    kind: str
    media_type: str
    sha256: str
    size_bytes: int
    width: int | None
    height: int | None
    captured_at: str | None
    gps: dict[str, float] | None
    camera: str | None
    caption: str
    original_name: str
    uploaded_at: str


def evidence_out(ev: Evidence) -> EvidenceOut:
    meta = msgspec.json.decode(ev.metadata_json)
    return EvidenceOut(id=ev.id, item_code=ev.item_code, kind=ev.kind, media_type=ev.media_type, sha256=ev.sha256,
                       size_bytes=ev.size_bytes, width=ev.width, height=ev.height, captured_at=ev.captured_at,
                       gps=meta.get("gps"), camera=meta.get("camera"), caption=ev.caption,
                       original_name=ev.original_name, uploaded_at=ev.uploaded_at)


def stored_file(root: Path, ev: Evidence, size: str) -> tuple[Path, str]:
    """(path, media type) of the requested rendition; documents have only the original."""
    meta = msgspec.json.decode(ev.metadata_json)
    if size == "original" or ev.kind == "document":
        return evidence_path(root, meta["original_path"]), ev.media_type
    key = "display_path" if size == "display" else "thumb_path"
    return evidence_path(root, meta[key]), "image/jpeg"


async def attach(
    db: Database, *, root: Path, user: User, visit: Visit, item: Item, data: bytes, filename: str,
    caption: str, idempotency_key: str,
) -> tuple[EvidenceOut, bool]:
    """Store one file as evidence of a finding; returns (evidence, replayed). One file per request,
    so a retry after a timeout costs at most one photo."""
    if visit.status in LOCKED:
        raise Refused(409, "visit_locked", "Cuộc kiểm tra đã ký duyệt: không thêm minh chứng được nữa.")

    async def insert_row(tx: Tx, stored: StoredEvidence, meta_json: str) -> int:
        finding = await findings.get_finding(tx, visit.id, item.code)
        finding_id = finding.id if finding else await findings.insert_finding(
            tx, visit_id=visit.id, item_code=item.code, answer_json="{}", points=None, note="", user_id=user.id)
        return await evidence_q.insert_evidence(
            tx, visit_id=visit.id, finding_id=finding_id, item_code=item.code, sha256=stored.sha256,
            media_type=stored.media_type, kind=stored.kind, original_name=display_filename(filename),
            size_bytes=stored.size_bytes, width=stored.width, height=stored.height, captured_at=stored.captured_at,
            metadata_json=meta_json, caption=nfc(caption)[:200], user_id=user.id)

    return await _store(db, root=root, user=user, visit_id=visit.id, scope=f"finding:{item.code}", data=data,
                        filename=filename, idempotency_key=idempotency_key, insert_row=insert_row)


async def add_to_response(tx: Tx, *, user: User, visit_id: int, item_id: int, response_id: int,
                          uploads: list[tuple[StoredEvidence, str]]) -> list[int]:
    """Rows for files already ingested (files before rows) that join a unit's remediation answer: one
    evidence row and one audit entry each, inside the answer's own transaction."""
    evidence_ids = []
    for stored, filename in uploads:
        evidence_id = await evidence_q.insert_response_evidence(
            tx, visit_id=visit_id, response_id=response_id, sha256=stored.sha256, media_type=stored.media_type,
            kind=stored.kind, original_name=display_filename(filename), size_bytes=stored.size_bytes,
            width=stored.width, height=stored.height, captured_at=stored.captured_at, metadata_json=_meta_json(stored),
            user_id=user.id)
        await _record_added(tx, user, f"remediation:{item_id}", visit_id, evidence_id, stored)
        evidence_ids.append(evidence_id)
    return evidence_ids


async def attach_to_self_answer(
    db: Database, *, root: Path, user: User, visit_id: int, self_answer_id: int, item_code: str, data: bytes,
    filename: str, idempotency_key: str,
) -> tuple[EvidenceOut, bool]:
    """Store one file as the unit's own evidence for a self-assessed item."""

    async def insert_row(tx: Tx, stored: StoredEvidence, meta_json: str) -> int:
        return await evidence_q.insert_self_evidence(
            tx, visit_id=visit_id, self_answer_id=self_answer_id, item_code=item_code, sha256=stored.sha256,
            media_type=stored.media_type, kind=stored.kind, original_name=display_filename(filename),
            size_bytes=stored.size_bytes, width=stored.width, height=stored.height, captured_at=stored.captured_at,
            metadata_json=meta_json, user_id=user.id)

    return await _store(db, root=root, user=user, visit_id=visit_id, scope=f"self:{item_code}", data=data,
                        filename=filename, idempotency_key=idempotency_key, insert_row=insert_row)


async def ingest_upload(root: Path, data: bytes, filename: str) -> StoredEvidence:
    """Validate and store the file's bytes (content-addressed, so doing it twice writes nothing new).

    Callers that must refuse a whole request when one file is bad run this first, before any row.
    """
    try:
        async with _image_slots:
            return await anyio.to_thread.run_sync(
                lambda: ingest(data, root, declared_name=filename, max_bytes=MAX_UPLOAD_BYTES))
    except OSError as exc:  # disk full, permissions: say so rather than a bare 500
        raise Refused(507, "storage_failed", "Máy chủ không ghi được tệp minh chứng (có thể hết dung lượng). "
                      "Ảnh vẫn còn trên máy tính bảng; hãy báo quản trị viên rồi thử lại.") from exc


async def _store(
    db: Database, *, root: Path, user: User, visit_id: int, scope: str, data: bytes, filename: str,
    idempotency_key: str, insert_row: Callable[[Tx, StoredEvidence, str], Awaitable[int]],
) -> tuple[EvidenceOut, bool]:
    """Files before rows: ingest (off the event loop), then one transaction for row, audit and key."""
    idempotency.require_key(idempotency_key)
    payload = idempotency.request_hash("evidence", visit_id, scope, len(data), sha256_of(data))
    # Checked before the (costly) decode too: a repeated upload never decodes its image again.
    if (prior := await idempotency.replay(db, user.id, idempotency_key, payload, EvidenceOut)) is not None:
        return prior, True
    stored = await ingest_upload(root, data, filename)
    async with db.transaction() as tx:
        if (again := await idempotency.replay(tx, user.id, idempotency_key, payload, EvidenceOut)) is not None:
            return again, True  # a parallel repeat won the race
        evidence_id = await insert_row(tx, stored, _meta_json(stored))
        await _record_added(tx, user, scope, visit_id, evidence_id, stored)
        out = evidence_out(await evidence_q.get_evidence(tx, evidence_id))
        await idempotency.remember(tx, user.id, idempotency_key, payload, out)
    return out, False


def _meta_json(stored: StoredEvidence) -> str:
    meta: dict[str, Any] = {"camera": stored.camera, "gps": stored.gps, "original_path": stored.original_path,
                            "display_path": stored.display_path, "thumb_path": stored.thumb_path, **stored.meta}
    return msgspec.json.encode(meta).decode()


async def _record_added(tx: Tx, user: User, scope: str, visit_id: int, evidence_id: int,
                        stored: StoredEvidence) -> None:
    await audit.record(tx, actor_id=user.id, actor=user.username, action="evidence.add", subject_type=scope,
                       subject_id=visit_id, after={"evidence_id": evidence_id, "sha256": stored.sha256,
                                                   "kind": stored.kind})


def sha256_of(data: bytes) -> str:
    """The upload's fingerprint in an idempotency hash: a repeat is recognised without decoding it."""
    return hashlib.sha256(data).hexdigest()


async def set_caption(db: Database, user: User, ev: Evidence, caption: str) -> None:
    caption = nfc(caption)[:200]
    async with db.transaction() as tx:
        await evidence_q.set_caption(tx, ev.id, caption)
        await audit.record(tx, actor_id=user.id, actor=user.username, action="evidence.caption",
                           subject_type="evidence", subject_id=ev.id, before={"caption": ev.caption},
                           after={"caption": caption})


async def remove(db: Database, user: User, ev: Evidence, visit: Visit) -> None:
    """Soft delete: the row and files stay (evidence integrity); the audit log says who and when."""
    if visit.status in LOCKED:
        raise Refused(409, "visit_locked", "Cuộc kiểm tra đã ký duyệt: không xóa minh chứng được nữa.")
    async with db.transaction() as tx:
        await evidence_q.soft_delete(tx, ev.id)
        await audit.record(tx, actor_id=user.id, actor=user.username, action="evidence.delete",
                           subject_type="evidence", subject_id=ev.id,
                           before={"item": ev.item_code, "sha256": ev.sha256, "visit_id": visit.id})
