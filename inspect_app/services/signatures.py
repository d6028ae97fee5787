"""Signatures of the minutes drawn on the tablet: the team lead's and the unit representative's.

They follow the sign-off (only while the visit is `signed_off` or `amended`). The PNG is checked by
its content (Pillow, PNG only), re-encoded (nothing of the upload but its pixels is kept) and stored
content-addressed under the evidence root, outside static/ (files before rows). Each signature is
bound to `minutes_content.canonical_sha256` at that moment: after an amendment it reads as a
signature of an earlier version. A party signs once; replacing its signature needs a reason.
"""

from __future__ import annotations

import hashlib
import warnings
from io import BytesIO
from pathlib import Path
from typing import Literal

import anyio
import msgspec
from PIL import Image, PngImagePlugin  # noqa: F401  (registers the one decoder we accept)

from inspect_app.db import Database, utc_now
from inspect_app.models import Visit
from inspect_app.permissions import can_sign_off, speaks_for_unit
from inspect_app.queries import audit
from inspect_app.queries import signatures as q
from inspect_app.queries import visits as visits_q
from inspect_app.queries.signatures import SignatureRow
from inspect_app.services.errors import Refused
from inspect_app.services.evidence import store_file
from inspect_app.services.minutes_content import canonical_sha256
from inspect_app.services.visits import LOCKED, MAX_REASON, VisitContext
from inspect_app.text import nfc

PARTIES = ("lead", "unit")
PARTY_LABELS = {"lead": "Trưởng đoàn kiểm tra", "unit": "Đại diện đơn vị được kiểm tra"}
MAX_PNG_BYTES = 2_000_000  # a drawn signature is 10–60 KB; the route refuses a larger body before reading it
MAX_EDGE = 4000  # pixels per side; a pad on a 4K screen with devicePixelRatio 2 stays well below
MAX_NAME = 200
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


class SignatureOut(msgspec.Struct):
    """A party's latest signature; `current`: bound to the minutes as they are now (False after an
    amendment: a signature of an earlier version). `png_path` is relative to the evidence root."""

    id: int
    party: Literal["lead", "unit"]
    name: str
    position: str
    signed_at: str
    content_sha256: str
    png_sha256: str
    current: bool
    png_path: str
    reason: str = ""


def signature_out(row: SignatureRow, current_sha: str) -> SignatureOut:
    return SignatureOut(id=row.id, party=row.party, name=row.name, position=row.position,  # type: ignore[arg-type]
                        signed_at=row.signed_at, content_sha256=row.content_sha256, png_sha256=row.png_sha256,
                        current=row.content_sha256 == current_sha, png_path=row.png_path, reason=row.reason)


async def for_visit(db: Database, visit_id: int) -> list[SignatureOut]:
    """Each party's latest signature of the visit (lead first), each saying whether it is current."""
    rows = await q.latest_per_party(db, visit_id)
    if not rows:
        return []
    current = await canonical_sha256(db, visit_id)
    return [signature_out(row, current) for row in rows]


def png_file(evidence_root: Path, signature: SignatureOut) -> Path:
    """The stored image of a signature (its path is ours: content-addressed, checked on the way out)."""
    root = Path(evidence_root).resolve()
    path = (root / signature.png_path).resolve()
    if not path.is_relative_to(root / "signatures"):
        raise Refused(404, "file_missing", "Không tìm thấy ảnh chữ ký.")
    return path


def may_sign(user, visit: Visit, is_member: bool, party: str) -> bool:
    """The lead signs for the team (the Sở Nội vụ may, as for the sign-off); the unit's party signs on
    the lead's tablet, or from the unit's own account."""
    if party == "unit" and speaks_for_unit(user, visit.unit_code):
        return True
    return can_sign_off(user, is_member)


def clean_png(data: bytes) -> bytes:
    """The signature's pixels re-encoded as a fresh PNG; refused (4xx) unless the bytes are a PNG with
    something drawn on it. Synchronous: run it in a worker thread."""
    if not data:
        raise Refused(422, "empty", "Tệp chữ ký bị rỗng (0 byte). Hãy ký lại rồi gửi.")
    if len(data) > MAX_PNG_BYTES:
        raise Refused(413, "too_large", "Tệp chữ ký quá lớn (giới hạn 2 MB). Hãy ký lại rồi gửi.")
    if not data.startswith(PNG_MAGIC):
        raise Refused(422, "not_png", "Chữ ký phải là ảnh PNG (vẽ trên khung ký của trang).")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(BytesIO(data), formats=["PNG"]) as im:
                if im.width > MAX_EDGE or im.height > MAX_EDGE or im.width < 8 or im.height < 8:
                    raise Refused(422, "bad_size", f"Ảnh chữ ký phải từ 8 đến {MAX_EDGE} điểm ảnh mỗi chiều.")
                im.load()
                pixels = im.convert("RGBA")
    except Refused:
        raise
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombWarning,
            Image.DecompressionBombError) as exc:
        raise Refused(422, "bad_png", "Tệp chữ ký không phải ảnh PNG hợp lệ (hỏng hoặc không trọn vẹn).") from exc
    if _is_blank(pixels):
        raise Refused(422, "blank_signature", "Khung ký còn trống. Hãy ký rồi gửi lại.")
    out = BytesIO()
    pixels.save(out, "PNG", optimize=True)
    return out.getvalue()


def _is_blank(im: Image.Image) -> bool:
    """Nothing drawn: fully transparent, or one colour all over."""
    if im.getchannel("A").getbbox() is None:
        return True
    low, high = im.convert("L").getextrema()
    alpha_low, alpha_high = im.getchannel("A").getextrema()
    return low == high and alpha_low == alpha_high


async def sign(db: Database, ctx: VisitContext, evidence_root: Path, *, party: str, name: str, position: str,
               reason: str, data: bytes) -> SignatureOut:
    """Store one party's signature of the minutes and its audit row. The one function the form and the
    API call. Refusals: 403 not this person's to sign, 409 visit not signed off or party already signed
    without a reason, 413/415/422 a bad image or bad fields; nothing is stored then."""
    visit = ctx.visit
    if party not in PARTIES:
        raise Refused(422, "bad_party", "Bên ký phải là lead (trưởng đoàn) hoặc unit (đại diện đơn vị).")
    if not may_sign(ctx.user, visit, ctx.is_member, party):
        raise Refused(403, "forbidden", "Bạn không được ký thay cho bên này.")
    name, position, reason = nfc(name), nfc(position), nfc(reason)
    if not name:
        raise Refused(422, "name_required", "Nhập họ tên người ký.")
    if party == "unit" and not position:
        raise Refused(422, "position_required", "Nhập chức vụ của người đại diện đơn vị.")
    if len(name) > MAX_NAME or len(position) > MAX_NAME:
        raise Refused(422, "too_long", f"Họ tên và chức vụ tối đa {MAX_NAME} ký tự.")
    if len(reason) > MAX_REASON:
        raise Refused(422, "reason_too_long", f"Lý do dài quá {MAX_REASON} ký tự.")
    _require_signed_off(visit.status)  # checked before the image work too: a refusal costs nothing
    png = await anyio.to_thread.run_sync(clean_png, data)
    png_sha = hashlib.sha256(png).hexdigest()
    relative = f"signatures/{png_sha[:2]}/{png_sha}.png"
    try:
        await anyio.to_thread.run_sync(store_file, Path(evidence_root), relative, png)
    except OSError as exc:
        raise Refused(507, "storage_failed", "Máy chủ không ghi được ảnh chữ ký (có thể hết dung lượng). "
                      "Hãy báo quản trị viên rồi thử lại.") from exc
    async with db.transaction() as tx:
        status, _ = await visits_q.status_of(tx, visit.id)
        _require_signed_off(status)
        if await q.has_signed(tx, visit.id, party) and not reason:
            raise Refused(409, "already_signed",
                          f"{PARTY_LABELS[party]} đã ký biên bản này. Muốn ký lại, hãy nêu lý do.")
        content_sha = await canonical_sha256(tx, visit.id)
        at = utc_now()
        signature_id = await q.insert(tx, visit_id=visit.id, party=party, name=name, position=position, at=at,
                                      user_id=ctx.user.id, content_sha256=content_sha, png_sha256=png_sha,
                                      png_path=relative, reason=reason)
        after = {"party": party, "name": name, "position": position, "content_sha256": content_sha,
                 "png_sha256": png_sha}
        if reason:
            after["reason"] = reason
        await audit.record(tx, actor_id=ctx.user.id, actor=ctx.user.username, action="visit.signature",
                           subject_type="visit", subject_id=visit.id, after=after)
    return SignatureOut(id=signature_id, party=party, name=name, position=position,  # type: ignore[arg-type]
                        signed_at=at, content_sha256=content_sha, png_sha256=png_sha, current=True,
                        png_path=relative, reason=reason)


def _require_signed_off(status: str) -> None:
    if status not in LOCKED:
        raise Refused(409, "not_signed_off", "Chỉ ký biên bản sau khi trưởng đoàn đã ký duyệt cuộc kiểm tra.")
