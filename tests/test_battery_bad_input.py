"""Battery 5: bad input. Every refusal is a 4xx with a clear Vietnamese message and changes nothing.

Each refused case compares a dump of every table (sessions aside: a session's last-seen time is
not data; and the flash notes: a refused form's message for the page it redirects to) and a listing of the evidence folder before and after the request. The valid-but-unusual
inputs (alpha, CMYK, 16-bit, EXIF orientation, odd file names, NFD text, an empty ratio, injection
strings) are accepted and checked for what a person would see.
"""

from __future__ import annotations

import io
import re
import sqlite3
import struct
import unicodedata
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import csrf_token, login, post_form, text_of
from PIL import Image

# ---------------------------------------------------------------------------------------------- helpers

VISIT_UNIT = "11560"  # planned demo visit of the demo team (started in the fixture)
SIGNED_UNIT = "10532"  # signed-off demo visit with remediation items and photos
YESNO, SCORE, COUNT, DEDUCTION, DATE, TEXT, LEVELS = "1.7.1", "2.1.2", "1.4.1", "1.3.1", "1.1.1", "3.3.1", "1.1.2"
RATIO_ZERO, RATIO_MAX, RATIO_NA = "1.1.3", "1.2.2", "8.1.2"  # ratio items with if_empty zero / max / na
VIETNAMESE = re.compile(r"[àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ]")


def key() -> str:
    return str(uuid.uuid4())


def api_headers(client, k: str | None = None, **extra) -> dict:
    """What the page's script sends on an API write: the CSRF header and an idempotency key."""
    return {"x-csrftoken": csrf_token(client), "Idempotency-Key": k or key(), **extra}


def dump(db_path: Path) -> dict[str, list]:
    """Every row of every table except sessions (touching a session is not a data change) and the notes a
    refused form leaves for its page (web/flash.py)."""
    with sqlite3.connect(db_path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                             " AND name NOT IN ('sessions', 'sqlite_sequence', 'flash_notes')")]
        return {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}


def listing(folder: Path) -> list[tuple[str, int]]:
    return sorted((str(p.relative_to(folder)), p.stat().st_size) for p in folder.rglob("*") if p.is_file())


def changed_tables(before: dict, after: dict) -> list[str]:
    return sorted(t for t in set(before) | set(after) if before.get(t) != after.get(t))


def jpeg(size=(800, 600), colour=(30, 120, 60), orientation: int | None = None, quality: int = 90) -> bytes:
    image = Image.new("RGB", size, colour)
    buffer = io.BytesIO()
    if orientation is None:
        image.save(buffer, "JPEG", quality=quality)
    else:
        exif = Image.Exif()
        exif[0x0112] = orientation
        image.save(buffer, "JPEG", quality=quality, exif=exif)
    return buffer.getvalue()


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload) & 0xFFFFFFFF)


def png_16bit_rgb(width: int, height: int, rgb16: tuple[int, int, int]) -> bytes:
    """A 48-bit colour PNG (16 bits per channel), written by hand: Pillow cannot save one."""
    row = b"\x00" + struct.pack(">HHH", *rgb16) * width  # filter type 0, then big-endian samples
    header = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", header) + png_chunk(b"IDAT", zlib.compress(row * height))
            + png_chunk(b"IEND", b""))


def decompression_bomb() -> bytes:
    """A tiny valid PNG whose IHDR claims 100000×100000 pixels (width/height patched, CRC redone)."""
    data = bytearray(png_bytes(Image.new("L", (10, 10))))
    assert data[12:16] == b"IHDR"
    struct.pack_into(">II", data, 16, 100_000, 100_000)
    struct.pack_into(">I", data, 29, zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    return bytes(data)


def heic_from_ipad() -> bytes:
    """The start of an iPad's HEIC: an ISO-BMFF `ftyp` box with major brand `heic`."""
    ftyp = struct.pack(">I", 24) + b"ftyp" + b"heic" + struct.pack(">I", 0) + b"mif1heic"
    meta = struct.pack(">I", 40) + b"meta" + b"\x00" * 32
    return ftyp + meta + b"\x00" * 512


def multipart(parts: list[tuple[str, bytes, str | None]], boundary: str = "SoKiemTraBoundary7") -> tuple[bytes, str]:
    """Hand-made multipart body, so names and values can carry bytes no client library would send."""
    body = b""
    for name, value, filename in parts:
        disposition = f'form-data; name="{name}"'.encode()
        if filename is not None:
            disposition += b'; filename="' + filename.encode("utf-8", "surrogateescape") + b'"'
        body += b"--" + boundary.encode() + b"\r\nContent-Disposition: " + disposition + b"\r\n"
        if filename is not None:
            body += b"Content-Type: application/octet-stream\r\n"
        body += b"\r\n" + value + b"\r\n"
    body += b"--" + boundary.encode() + b"--\r\n"
    return body, f"multipart/form-data; boundary={boundary}"


def vietnamese_message(response) -> str:
    """The message a person reads: the JSON `message`, or the page's visible text."""
    if response.headers.get("content-type", "").startswith("application/json"):
        body = response.json()
        assert set(body) >= {"error", "message"}, body
        return body["message"]
    return text_of(response.text)


@dataclass
class Env:
    client: object
    settings: object
    visit: int  # in progress, editable by the inspector
    signed: int  # signed off
    tree: dict
    item: int = 0  # a remediation item, chosen by a case's preparation


@pytest.fixture
def env(client, settings) -> Env:
    login(client, "kiemtravien")
    visits = client.get("/api/v1/visits").json()
    visit = next(v for v in visits if v["unit_code"] == VISIT_UNIT)
    signed = next(v for v in visits if v["unit_code"] == SIGNED_UNIT)
    # Started on purpose, so each case below tests its own refusal (a refused save on a *planned*
    # visit has its own test: test_a_refused_save_does_not_start_a_planned_visit).
    assert post_form(client, f"/visits/{visit['id']}/start", {}).status_code == 303
    tree = client.get(f"/api/v1/checklists/{visit['checklist_id']}", params={"version": visit["checklist_version"]})
    return Env(client, settings, visit["id"], signed["id"], tree.json()["checklist"])


def put_finding(env: Env, code: str, body, k: str | None = None, visit: int | None = None, headers=None):
    url = f"/api/v1/visits/{env.visit if visit is None else visit}/findings/{code}"
    h = headers if headers is not None else api_headers(env.client, k)
    if isinstance(body, bytes):
        return env.client.put(url, content=body, headers={**h, "Content-Type": "application/json"})
    return env.client.put(url, json=body, headers=h)


def upload(env: Env, content: bytes, name: str = "anh.jpg", code: str = YESNO, k: str | None = None,
           visit: int | None = None, data: dict | None = None):
    return env.client.post(f"/api/v1/visits/{visit or env.visit}/findings/{code}/evidence",
                           files={"file": (name, content, "image/jpeg")}, data=data or {},
                           headers=api_headers(env.client, k))


def form_save(env: Env, code: str, fields: dict, visit: int | None = None):
    return post_form(env.client, f"/visits/{visit or env.visit}/items/{code}",
                     {"base_version": "0", "idempotency_key": key(), **fields})


# ---------------------------------------------------------------------------------------------- refusals


@dataclass
class Case:
    id: str
    send: Callable[[Env], object]
    status: int
    says: str  # a fragment of the Vietnamese message the person reads
    prepare: Callable[[Env], None] | None = None  # runs before the "before" dump (logins write the audit log)


def as_user(username: str, item_status: tuple[str, ...] = ()) -> Callable[[Env], None]:
    """Preparation: log in as someone else, and pick one of their remediation items in this state."""

    def prepare(env: Env) -> None:
        login(env.client, username)
        if item_status:
            env.item = next(i["id"] for i in env.client.get("/api/v1/remediation").json()
                            if i["status"] in item_status)

    return prepare


def _reuse_key_prepare(env: Env) -> None:
    assert put_finding(env, YESNO, {"answer": True, "note": "Có quyết định khen thưởng", "base_version": 0},
                       k="reused-key-1").status_code == 200


def _reuse_upload_prepare(env: Env) -> None:
    assert upload(env, jpeg(colour=(10, 10, 200)), "lan-1.jpg", k="reused-upload-1").status_code == 201


def _expire_session(env: Env) -> None:
    with sqlite3.connect(env.settings.db_path) as conn:
        conn.execute("UPDATE sessions SET last_seen_at = '2020-01-01T00:00:00Z'")


def _truncated_jpeg() -> bytes:
    whole = jpeg(size=(2000, 1500), colour=(180, 40, 40), quality=95)
    return whole[: len(whole) // 2]


def _bad_utf8_form(env: Env):
    body = (b"choice=yes&note=Ghi+ch%FA+sai+m%C3&base_version=0&idempotency_key=" + key().encode()
            + b"&_csrf_token=" + csrf_token(env.client).encode())
    return env.client.post(f"/visits/{env.visit}/items/{YESNO}", content=body, follow_redirects=False,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})


def _bad_utf8_user_form(env: Env):
    body = (b"username=nguoimoi&full_name=Nguy%E1%BB%85n+V%FFn+A&role=inspector&password=mat-khau-2026-du-dai"
            + b"&_csrf_token=" + csrf_token(env.client).encode())
    return env.client.post("/users", content=body, follow_redirects=False,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})


def _bad_utf8_multipart_caption(env: Env):
    body, content_type = multipart([("caption", b"Bi\xe1\xbb\x83n b\xff\xfeng", None), ("file", jpeg(), "bang.jpg")])
    return env.client.post(f"/api/v1/visits/{env.visit}/findings/{YESNO}/evidence", content=body,
                           headers=api_headers(env.client, **{"Content-Type": content_type}))


def _bad_utf8_page_upload(env: Env):
    body, content_type = multipart([("_csrf_token", csrf_token(env.client).encode(), None),
                                    ("caption", b"\xc0\xafetc", None), ("file", jpeg(), "bang.jpg")])
    return env.client.post(f"/visits/{env.visit}/items/{YESNO}/evidence", content=body, follow_redirects=False,
                           headers={"Content-Type": content_type})


def _remediation_answer_bad_file(env: Env):
    return env.client.post(f"/api/v1/remediation/{env.item}/answers", headers=api_headers(env.client),
                           data={"text": "Đơn vị đã niêm yết lại đầy đủ thủ tục hành chính."},
                           files={"file": ("niem-yet.jpg", "Đây là văn bản, không phải ảnh".encode(), "image/jpeg")})


def _remediation_answer_too_long(env: Env):
    return env.client.post(f"/api/v1/remediation/{env.item}/answers", headers=api_headers(env.client),
                           data={"text": "Đã khắc phục. " * 400}, files={"file": ("a.jpg", jpeg(), "image/jpeg")})


def _review_bad_decision(env: Env):
    return env.client.post(f"/api/v1/remediation/{env.item}/review", json={"decision": "có lẽ"},
                           headers=api_headers(env.client))


def _plan_without_title(env: Env):
    return post_form(env.client, "/plans", {"number": "12/KH-UBND", "issued_on": "2026-02-01", "issuer": "UBND",
                                            "title": "", "period_start": "2026-02-01", "period_end": "2026-12-31"})


def _user_bad_username(env: Env):
    return post_form(env.client, "/users", {"username": "Nguyễn Văn A", "full_name": "Nguyễn Văn A",
                                            "role": "inspector", "password": "mat-khau-2026-du-dai"})


def _sign_off_incomplete(env: Env):
    return env.client.post(f"/api/v1/visits/{env.visit}/sign-off", json={"unit_representative": "Ông Vũ Văn Long"},
                           headers=api_headers(env.client))


CASES = [
    # -- uploads
    Case("upload-over-route-limit", lambda e: upload(e, b"\xff\xd8\xff" + b"0" * 17_000_000), 413, "quá lớn"),
    Case("upload-over-file-limit", lambda e: upload(e, jpeg() + b"\x00" * 15_200_000), 413, "quá lớn"),
    Case("upload-empty", lambda e: upload(e, b""), 422, "rỗng"),
    Case("upload-text-named-jpg", lambda e: upload(e, "Biên bản kiểm tra, không phải ảnh".encode(), "bien-ban.jpg"),
         422, "không phải ảnh"),
    Case("upload-truncated-jpeg", lambda e: upload(e, _truncated_jpeg()), 422, "chưa được tải lên trọn vẹn"),
    Case("upload-decompression-bomb", lambda e: upload(e, decompression_bomb(), "bom.png"), 422, "Ảnh quá lớn"),
    Case("upload-heic-from-ipad", lambda e: upload(e, heic_from_ipad(), "IMG_0042.HEIC"), 415, "HEIC"),
    Case("upload-gif", lambda e: upload(e, b"GIF89a" + b"\x00" * 64, "a.gif"), 415, "GIF"),
    Case("upload-cut-off-pdf", lambda e: upload(e, b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", "ke-hoach.pdf"), 422, "PDF"),
    Case("upload-without-file-part", lambda e: e.client.post(
        f"/api/v1/visits/{e.visit}/findings/{YESNO}/evidence", files={"anh": ("a.jpg", jpeg(), "image/jpeg")},
        headers=api_headers(e.client)), 400, "không hợp lệ"),
    Case("upload-unknown-item", lambda e: upload(e, jpeg(), code="9.9.9"), 404, "không có tiêu chí 9.9.9"),
    Case("upload-to-signed-off-visit", lambda e: upload(e, jpeg(), visit=e.signed), 409, "đã ký duyệt"),
    Case("upload-replayed-key-other-file", lambda e: upload(e, jpeg(colour=(200, 200, 10)), "lan-2.jpg",
                                                            k="reused-upload-1"),
         409, "đã được dùng", _reuse_upload_prepare),
    Case("upload-invalid-utf8-caption", _bad_utf8_multipart_caption, 400, "không hợp lệ"),
    Case("page-upload-invalid-utf8-caption", _bad_utf8_page_upload, 400, "không hợp lệ"),
    # -- finding saves (API)
    Case("json-invalid-utf8", lambda e: put_finding(
        e, YESNO, b'{"answer": true, "note": "ghi ch\xfa \xff\xfe", "base_version": 0}'), 400, "không hợp lệ"),
    Case("json-nan-token", lambda e: put_finding(e, SCORE, b'{"answer": NaN, "base_version": 0}'), 400, "không hợp lệ"),
    Case("json-nan-string", lambda e: put_finding(e, SCORE, {"answer": "NaN", "base_version": 0}), 422, "phải là một số"),
    Case("json-infinity-token", lambda e: put_finding(e, SCORE, b'{"answer": Infinity, "base_version": 0}'),
         400, "không hợp lệ"),
    Case("json-not-json", lambda e: put_finding(e, YESNO, b"{answer: yes"), 400, "không hợp lệ"),
    Case("json-unknown-field", lambda e: put_finding(e, YESNO, {"answer": True, "diem": 10, "base_version": 0}),
         400, "không hợp lệ"),
    Case("score-negative", lambda e: put_finding(e, SCORE, {"answer": -0.25, "base_version": 0}), 422, "không được âm"),
    Case("score-above-maximum", lambda e: put_finding(e, SCORE, {"answer": 5, "base_version": 0}), 422,
         "vượt điểm tối đa"),
    Case("score-off-step", lambda e: put_finding(e, SCORE, {"answer": 0.3, "base_version": 0}), 422, "bội số"),
    Case("count-negative", lambda e: put_finding(e, COUNT, {"answer": -1, "base_version": 0}), 422, "không được âm"),
    Case("deduction-fractional", lambda e: put_finding(e, DEDUCTION, {"answer": 1.5, "base_version": 0}), 422,
         "số nguyên"),
    Case("ratio-negative-denominator", lambda e: put_finding(e, RATIO_MAX, {"answer": [0, -5], "base_version": 0}),
         422, "Mẫu số không được âm"),
    Case("ratio-numerator-over-zero", lambda e: put_finding(e, RATIO_MAX, {"answer": [3, 0], "base_version": 0}),
         422, "Tử số không được lớn hơn mẫu số"),
    Case("ratio-one-number", lambda e: put_finding(e, RATIO_MAX, {"answer": [3], "base_version": 0}), 422,
         "tử số, mẫu số"),
    Case("yesno-as-text", lambda e: put_finding(e, YESNO, {"answer": "có", "base_version": 0}), 422, "true hoặc false"),
    Case("level-unknown", lambda e: put_finding(e, LEVELS, {"answer": "xuat_sac", "base_version": 0}), 422,
         "không có trong tiêu chí"),
    Case("date-not-in-calendar", lambda e: put_finding(e, DATE, {"answer": "2026-02-30", "base_version": 0}), 422,
         "không tồn tại"),
    # -- numbers without an upper bound: counts, violations and ratio parts are whole numbers ≤ 1,000,000
    Case("count-over-default-limit", lambda e: put_finding(e, COUNT, {"answer": 1_000_001, "base_version": 0}), 422,
         "vượt quá giới hạn 1.000.000"),
    Case("count-1e308", lambda e: put_finding(e, COUNT, {"answer": 1e308, "base_version": 0}), 422, "quá lớn"),
    Case("deduction-1e9-violations", lambda e: put_finding(e, DEDUCTION, {"answer": 1e9, "base_version": 0}), 422,
         "vượt quá giới hạn 1.000.000"),
    Case("ratio-over-default-limit", lambda e: put_finding(e, RATIO_MAX, {"answer": [5, 2_000_000],
                                                                         "base_version": 0}), 422, "vượt quá giới hạn"),
    Case("ratio-fractional-numerator", lambda e: put_finding(e, RATIO_MAX, {"answer": [1.5, 3], "base_version": 0}),
         422, "số nguyên"),
    Case("form-count-infinite", lambda e: form_save(e, COUNT, {"number": "1e999"}), 303, "hữu hạn"),
    Case("form-count-over-limit", lambda e: form_save(e, COUNT, {"number": "5000000"}), 303,
         "vượt quá giới hạn 1.000.000"),
    Case("note-one-megabyte", lambda e: put_finding(e, YESNO, {"answer": True, "note": "Ghi chú. " * 125_000,
                                                              "base_version": 0}), 413, "quá lớn"),
    Case("note-over-4000-chars", lambda e: put_finding(e, YESNO, {"answer": True, "note": "ư" * 4001,
                                                                 "base_version": 0}), 422, "Ghi chú dài quá"),
    Case("unknown-item-code", lambda e: put_finding(e, "9.9.9", {"answer": True, "base_version": 0}), 404,
         "không có tiêu chí 9.9.9"),
    Case("unknown-visit", lambda e: put_finding(e, YESNO, {"answer": True, "base_version": 0}, visit=999_999), 404,
         "Không tìm thấy"),
    Case("finding-on-signed-off-visit", lambda e: put_finding(e, YESNO, {"answer": False, "base_version": 1},
                                                              visit=e.signed), 409, "đã ký duyệt"),
    Case("stale-base-version", lambda e: put_finding(e, YESNO, {"answer": True, "base_version": 3}), 409,
         "sau khi bạn mở trang"),
    Case("replayed-key-other-body", lambda e: put_finding(e, YESNO, {"answer": False, "note": "Không có",
                                                                     "base_version": 0}, k="reused-key-1"),
         409, "đã được dùng cho một nội dung khác", _reuse_key_prepare),
    Case("missing-idempotency-key", lambda e: put_finding(e, YESNO, {"answer": True, "base_version": 0},
                                                          headers={"x-csrftoken": csrf_token(e.client)}),
         400, "Idempotency-Key"),
    Case("idempotency-key-too-long", lambda e: put_finding(e, YESNO, {"answer": True, "base_version": 0},
                                                           k="k" * 101), 400, "Idempotency-Key"),
    Case("forged-csrf-token", lambda e: put_finding(e, YESNO, {"answer": True, "base_version": 0},
                                                    headers={"x-csrftoken": "0" * 128, "Idempotency-Key": key()}),
         403, "mã bảo mật"),
    Case("missing-csrf-token", lambda e: put_finding(e, YESNO, {"answer": True, "base_version": 0},
                                                     headers={"Idempotency-Key": key()}), 403, "mã bảo mật"),
    Case("cross-site-origin", lambda e: put_finding(e, YESNO, {"answer": True, "base_version": 0},
                                                    headers=api_headers(e.client, Origin="https://evil.example")),
         403, "mã bảo mật"),
    Case("expired-session-api", lambda e: put_finding(e, YESNO, {"answer": True, "base_version": 0}), 401,
         "hết hạn", _expire_session),
    # -- pages (forms without JavaScript)
    Case("form-invalid-utf8", _bad_utf8_form, 400, "không hợp lệ"),
    Case("form-number-not-a-number", lambda e: form_save(e, SCORE, {"number": "mười"}), 303, "không phải là số"),
    Case("form-forged-csrf-token", lambda e: e.client.post(
        f"/visits/{e.visit}/items/{YESNO}", data={"choice": "yes", "base_version": "0", "_csrf_token": "0" * 128},
        follow_redirects=False), 403, "mã bảo mật"),
    Case("form-expired-session", lambda e: form_save(e, YESNO, {"choice": "yes"}), 303, "Phiên đăng nhập đã hết hạn",
         _expire_session),
    Case("user-form-invalid-utf8", _bad_utf8_user_form, 400, "không hợp lệ", as_user("sonoivu")),
    Case("user-form-bad-username", _user_bad_username, 303, "Tên đăng nhập gồm", as_user("sonoivu")),
    Case("plan-form-without-title", _plan_without_title, 303, "Nhập trích yếu", as_user("sonoivu")),
    # -- remediation and sign-off
    Case("remediation-answer-with-a-non-image", _remediation_answer_bad_file, 422, "không phải ảnh",
         as_user(f"dv{SIGNED_UNIT}", ("open", "returned"))),
    Case("remediation-answer-over-4000-chars", _remediation_answer_too_long, 422, "dài quá",
         as_user(f"dv{SIGNED_UNIT}", ("open", "returned"))),
    Case("review-unknown-decision", _review_bad_decision, 400, "không hợp lệ", as_user("sonoivu", ("answered",))),
    Case("sign-off-incomplete", _sign_off_incomplete, 409, "chưa trả lời", as_user("truongdoan")),
]


# -- the HTTP boundary: ids beyond SQLite's 64 bits, JSON that no handler could hold, wrong media types
BEYOND_64_BITS = 2**63


def _finding_as(env: Env, content_type: str, body: bytes = b'{"answer": true, "base_version": 0}'):
    return env.client.put(f"/api/v1/visits/{env.visit}/findings/{YESNO}", content=body,
                          headers=api_headers(env.client, **{"Content-Type": content_type}))


def _photo_of_signed_visit(env: Env) -> int:
    with sqlite3.connect(env.settings.db_path) as conn:
        return conn.execute("SELECT id FROM evidence_files WHERE visit_id = ? AND kind = 'photo' LIMIT 1",
                            (env.signed,)).fetchone()[0]


CASES += [
    Case("evidence-file-unknown-size", lambda e: e.client.get(f"/api/v1/evidence/{_photo_of_signed_visit(e)}/file",
                                                              params={"size": "rất lớn"}), 400, "thumb, display hoặc original"),
    Case("path-id-beyond-64-bits", lambda e: put_finding(e, YESNO, {"answer": True, "base_version": 0},
                                                         visit=BEYOND_64_BITS), 404, "Không tìm thấy"),
    Case("path-id-zero", lambda e: put_finding(e, YESNO, {"answer": True, "base_version": 0}, visit=0), 404,
         "Không tìm thấy"),
    Case("upload-path-id-beyond-64-bits", lambda e: upload(e, jpeg(), visit=BEYOND_64_BITS), 404, "Không tìm thấy"),
    Case("query-id-beyond-64-bits", lambda e: e.client.get("/api/v1/visits", params={"plan": str(BEYOND_64_BITS)}),
         400, "quá lớn"),
    Case("query-offset-beyond-64-bits", lambda e: e.client.get("/api/v1/units", params={"offset": "9" * 30}),
         400, "quá lớn"),
    Case("json-number-of-400-digits", lambda e: put_finding(
        e, SCORE, b'{"answer": ' + b"9" * 400 + b', "base_version": 0}'), 400, "số nguyên quá lớn"),
    Case("json-base-version-of-400-digits", lambda e: put_finding(
        e, YESNO, b'{"answer": true, "base_version": ' + b"9" * 400 + b"}"), 400, "số nguyên quá lớn"),
    Case("json-array-nested-100000-deep", lambda e: put_finding(
        e, RATIO_MAX, b'{"answer": ' + b"[" * 100_000 + b"]" * 100_000 + b', "base_version": 0}'), 400, "quá sâu"),
    Case("json-bare-array-nested-100000-deep", lambda e: put_finding(e, YESNO, b"[" * 100_000 + b"]" * 100_000),
         400, "quá sâu"),
    Case("json-sent-as-text-plain", lambda e: _finding_as(e, "text/plain"), 415, "application/json"),
    Case("json-sent-as-form", lambda e: _finding_as(e, "application/x-www-form-urlencoded"), 415, "application/json"),
    Case("json-sent-without-content-type", lambda e: _finding_as(e, ""), 415, "application/json"),
    Case("upload-sent-as-json", lambda e: e.client.post(
        f"/api/v1/visits/{e.visit}/findings/{YESNO}/evidence", content=b'{"file": "anh.jpg"}',
        headers=api_headers(e.client, **{"Content-Type": "application/json"})), 415, "multipart/form-data"),
    Case("review-sent-as-text-plain", lambda e: e.client.post(
        f"/api/v1/remediation/{e.item}/review", content=b'{"decision": "accept"}',
        headers=api_headers(e.client, **{"Content-Type": "text/plain"})), 415, "application/json",
         as_user("sonoivu", ("answered",))),
]

@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input_is_refused_clearly_and_changes_nothing(env, case):
    if case.prepare:
        case.prepare(env)
    before_db, before_files = dump(env.settings.db_path), listing(env.settings.evidence_dir)
    response = case.send(env)
    assert response.status_code == case.status, (response.status_code, response.text[:500])
    if case.status == 303:
        # A page form: back to a page that says why (post/redirect/get), or, when the session
        # ended, to the login page, which says so.
        location = response.headers["location"]
        assert (location.startswith("/login?") and "reason=expired" in location) or "flash=" in location, location
        response = env.client.get(location)
    message = vietnamese_message(response)
    assert case.says in message, message[:500]
    assert VIETNAMESE.search(message), message[:500]
    assert changed_tables(before_db, dump(env.settings.db_path)) == []
    assert listing(env.settings.evidence_dir) == before_files


def test_replayed_key_with_other_body_merges_nothing(env):
    first = put_finding(env, YESNO, {"answer": True, "note": "Có quyết định khen thưởng", "base_version": 0}, k="k-1")
    assert first.status_code == 200
    second = put_finding(env, YESNO, {"answer": False, "note": "Không có", "base_version": 0}, k="k-1")
    assert second.status_code == 409
    saved = {f["item_code"]: f for f in env.client.get(f"/api/v1/visits/{env.visit}/findings").json()["findings"]}
    assert saved[YESNO]["answer"] is True and saved[YESNO]["note"] == "Có quyết định khen thưởng"
    assert saved[YESNO]["version"] == 1
    # The original body with the same key is still the original answer (a replay, not a new version).
    again = put_finding(env, YESNO, {"answer": True, "note": "Có quyết định khen thưởng", "base_version": 0}, k="k-1")
    assert again.status_code == 200 and again.json() == first.json()


def test_a_refused_save_does_not_start_a_planned_visit(client, settings):
    """Opening a visit's first card and saving nonsense must leave the visit 'planned' (no audit entry)."""
    login(client, "kiemtravien")
    visit = next(v for v in client.get("/api/v1/visits").json() if v["unit_code"] == "10525")
    assert visit["status"] == "planned"
    before = dump(settings.db_path)
    for response in (
        client.put(f"/api/v1/visits/{visit['id']}/findings/9.9.9", json={"answer": True, "base_version": 0},
                   headers=api_headers(client)),
        client.put(f"/api/v1/visits/{visit['id']}/findings/{SCORE}", json={"answer": -1, "base_version": 0},
                   headers=api_headers(client)),
        post_form(client, f"/visits/{visit['id']}/items/{SCORE}",
                  {"number": "mười", "base_version": "0", "idempotency_key": key()}),
    ):  # the API refuses with a 4xx; the page form goes back to the page with the message
        assert 400 <= response.status_code < 500 or (
            response.status_code == 303 and "flash=" in response.headers["location"]), response.status_code
    assert changed_tables(before, dump(settings.db_path)) == []
    assert next(v for v in client.get("/api/v1/visits").json() if v["id"] == visit["id"])["status"] == "planned"


# ---------------------------------------------------------------------------------------------- valid but unusual


def display_of(env: Env, evidence_id: int) -> Image.Image:
    response = env.client.get(f"/api/v1/evidence/{evidence_id}/file", params={"size": "display"})
    assert response.status_code == 200 and response.headers["content-type"] == "image/jpeg"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "JPEG"
    return image


def close(pixel, expected, tolerance: int = 24) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, expected))


@pytest.mark.parametrize("kind, content, expected", [
    ("png-with-alpha", lambda: png_bytes(Image.new("RGBA", (300, 200), (200, 30, 30, 0))), (255, 255, 255)),
    ("png-half-transparent", lambda: png_bytes(Image.new("RGBA", (300, 200), (0, 0, 0, 128))), (127, 127, 127)),
    ("cmyk-jpeg", lambda: _cmyk_jpeg(), (255, 0, 0)),
    ("png-16-bit-rgb", lambda: png_16bit_rgb(300, 200, (50_000, 10_000, 10_000)), (195, 39, 39)),
])
def test_unusual_but_valid_images_are_accepted_as_rgb_jpegs(env, kind, content, expected):
    response = upload(env, content(), f"{kind}.png")
    assert response.status_code == 201, response.text
    shown = display_of(env, response.json()["id"])
    assert shown.mode == "RGB" and shown.size == (300, 200)
    assert close(shown.getpixel((150, 100)), expected), shown.getpixel((150, 100))
    assert not shown.getexif() and "icc_profile" not in shown.info


def _cmyk_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("CMYK", (300, 200), (0, 255, 255, 0)).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def test_16_bit_greyscale_png_keeps_its_tones(env):
    """A scanner's 16-bit grey PNG: accepted, shown as an 8-bit JPEG with its grey scaled, not clipped to white."""
    response = upload(env, png_bytes(Image.new("I;16", (300, 200), 40_000)), "scan-16bit.png")
    assert response.status_code == 201, response.text
    shown = display_of(env, response.json()["id"])
    grey = shown.getpixel((150, 100))
    grey = grey if isinstance(grey, int) else grey[0]
    assert shown.mode in ("L", "RGB") and abs(grey - 40_000 // 256) <= 3


@pytest.mark.parametrize("orientation, size, red_corner", [
    (3, (400, 300), "bottom-right"),
    (6, (300, 400), "top-right"),
    (8, (300, 400), "bottom-left"),
])
def test_exif_orientation_is_applied_so_the_photo_stands_upright(env, orientation, size, red_corner):
    """A 400×300 photo with a red top-left corner (as stored), taken with the tablet turned."""
    image = Image.new("RGB", (400, 300), (250, 250, 250))
    image.paste((230, 0, 0), (0, 0, 100, 75))
    exif = Image.Exif()
    exif[0x0112] = orientation
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=95, exif=exif)
    response = upload(env, buffer.getvalue(), f"xoay-{orientation}.jpg")
    assert response.status_code == 201, response.text
    assert (response.json()["width"], response.json()["height"]) == size
    shown = display_of(env, response.json()["id"])
    assert shown.size == size and not shown.getexif()
    w, h = size
    corners = {"top-left": (12, 12), "top-right": (w - 13, 12), "bottom-left": (12, h - 13),
               "bottom-right": (w - 13, h - 13)}
    red = [name for name, xy in corners.items() if close(shown.getpixel(xy), (230, 0, 0), 40)]
    assert red == [red_corner]


FILE_NAMES = [
    ("dot-dot-slash", "../../../../etc/cron.d/anh.jpg"),
    ("backslashes", "..\\..\\..\\Windows\\System32\\anh.jpg"),
    ("absolute", "/var/lib/inspect/evidence/anh.jpg"),
    ("nul-byte", "anh\x00.php.jpg"),
    ("control-characters", "anh\t\x1b[31mdo\x07.jpg"),
    ("long-vietnamese", "Ảnh bảng niêm yết thủ tục hành chính " * 12 + ".jpg"),
    ("very-long", "a" * 5000 + ".jpg"),
]


def files_outside_evidence(env: Env, tmp_path: Path) -> set[Path]:
    """Every file under this test's folder except the evidence folder and the database files, plus the
    entries of the folders above it (where a ../ name would land)."""
    evidence = env.settings.evidence_dir
    found = {p for p in tmp_path.rglob("*")
             if p != evidence and evidence not in p.parents and not p.name.startswith("inspect.sqlite3")}
    for folder in (tmp_path.parent, tmp_path.parent.parent):
        found |= set(folder.iterdir())
    return found


@pytest.mark.parametrize("name", [n for _, n in FILE_NAMES], ids=[i for i, _ in FILE_NAMES])
def test_a_file_name_is_never_used_as_a_path(env, tmp_path, name):
    before = files_outside_evidence(env, tmp_path)
    data = jpeg(colour=(10, 90, 160))
    if any(unicodedata.category(ch) == "Cc" for ch in name):  # client libraries escape these; send them raw
        body, content_type = multipart([("file", data, name)])
        response = env.client.post(f"/api/v1/visits/{env.visit}/findings/{YESNO}/evidence", content=body,
                                   headers=api_headers(env.client, **{"Content-Type": content_type}))
    else:
        response = upload(env, data, name)
    assert response.status_code in (201, 400, 413, 422), response.text[:300]
    if response.status_code == 201:
        stored = response.json()["original_name"]
        assert "/" not in stored and "\\" not in stored, stored
        assert not any(unicodedata.category(ch).startswith("C") for ch in stored), repr(stored)
        assert 0 < len(stored) <= 255 and stored == unicodedata.normalize("NFC", stored)
        download = env.client.get(f"/api/v1/evidence/{response.json()['id']}/file", params={"size": "original"})
        assert download.status_code == 200 and download.content == data
        disposition = download.headers["content-disposition"]
        assert disposition.startswith("attachment")
        offered = disposition.split("=", 1)[1].replace("%2F", "/").replace("%5C", "\\")
        assert "/" not in offered and "\\" not in offered, disposition
    else:
        assert VIETNAMESE.search(vietnamese_message(response))
    # Nothing appeared anywhere but in the evidence folder, and there only under content-hash names.
    assert files_outside_evidence(env, tmp_path) - before == set()
    for candidate in (env.settings.evidence_dir / "original" / "ab" / "cd" / name.replace("\\", "/"),
                      Path.cwd() / name.replace("\\", "/")):
        if "\x00" not in name and len(name) < 250:
            assert not candidate.resolve().exists() or candidate.resolve() in before
    for path in env.settings.evidence_dir.rglob("*"):
        if path.is_file():
            assert re.fullmatch(r"(original|display|thumb)/[0-9a-f]{2}/[0-9a-f]{2}/[0-9a-f]{64}\.\w+",
                                str(path.relative_to(env.settings.evidence_dir))), path


NFD_NOTE = unicodedata.normalize("NFD", "Bà Nguyễn Thị Hoà, Trưởng bộ phận Một cửa, đã xuất trình sổ theo dõi")
NFD_TEXT = unicodedata.normalize("NFD", "Ông Đặng Quốc Việt, công chức Tư pháp – Hộ tịch")


def test_nfd_text_is_stored_and_returned_as_nfc(env):
    assert NFD_NOTE != unicodedata.normalize("NFC", NFD_NOTE)
    note = put_finding(env, YESNO, {"answer": True, "note": NFD_NOTE, "base_version": 0})
    text = put_finding(env, TEXT, {"answer": NFD_TEXT, "base_version": 0})
    assert note.status_code == 200 and text.status_code == 200
    saved = {f["item_code"]: f for f in env.client.get(f"/api/v1/visits/{env.visit}/findings").json()["findings"]}
    assert saved[YESNO]["note"] == unicodedata.normalize("NFC", NFD_NOTE)
    assert saved[TEXT]["answer"] == unicodedata.normalize("NFC", NFD_TEXT)
    with sqlite3.connect(env.settings.db_path) as conn:
        stored = conn.execute("SELECT note FROM findings WHERE visit_id = ? AND item_code = ?",
                              (env.visit, YESNO)).fetchone()[0]
    assert stored == unicodedata.normalize("NFC", NFD_NOTE)
    # What the inspector typed in NFD is found again when the page shows it.
    assert unicodedata.normalize("NFC", NFD_NOTE) in env.client.get(f"/visits/{env.visit}").text


@pytest.mark.parametrize("code, body", [
    (COUNT, b'{"answer": ' + b"1" * 400 + b', "base_version": 0}'),  # a JSON number of 400 digits
    (COUNT, b'{"answer": 1180591620717411303424, "base_version": 0}'),  # 2**70
    (RATIO_MAX, b'{"answer": [18446744073709551616, 36893488147419103232], "base_version": 0}'),  # [2**64, 2**65]
])
def test_numbers_no_item_could_accept_are_refused_and_store_nothing(env, code, body):
    before = dump(env.settings.db_path)
    response = put_finding(env, code, body)
    # The decoder may refuse it (400) or the answer's check (422): a clear message either way, never a 500.
    assert response.status_code in (400, 422), (response.status_code, response.text[:300])
    assert VIETNAMESE.search(vietnamese_message(response))
    assert changed_tables(before, dump(env.settings.db_path)) == []


WORD_PASTE = "Dòng một\x0bdòng hai\r\nDòng ba\x00\x1b[0m\u2028hết"


def test_control_characters_become_line_breaks_or_are_dropped(env):
    """A paste from Word (vertical tab = manual line break) is stored with plain line breaks."""
    assert put_finding(env, YESNO, {"answer": True, "note": WORD_PASTE, "base_version": 0}).status_code == 200
    assert put_finding(env, TEXT, {"answer": WORD_PASTE, "base_version": 0}).status_code == 200
    assert form_save(env, "2.3.3", {"choice": "yes", "note": WORD_PASTE}).status_code in (200, 303)
    expected = "Dòng một\ndòng hai\nDòng ba[0m\nhết"
    saved = {f["item_code"]: f for f in env.client.get(f"/api/v1/visits/{env.visit}/findings").json()["findings"]}
    assert saved[YESNO]["note"] == expected and saved[TEXT]["answer"] == expected
    assert saved["2.3.3"]["note"] == expected


def test_minutes_are_produced_from_text_stored_before_the_control_character_rule(env):
    """Text saved before the rule existed (a raw vertical tab, a NUL) must not stop the official minutes."""
    assert put_finding(env, YESNO, {"answer": False, "note": "tạm", "base_version": 0}).status_code == 200
    assert put_finding(env, TEXT, {"answer": "tạm", "base_version": 0}).status_code == 200
    with sqlite3.connect(env.settings.db_path) as conn:
        conn.execute("UPDATE findings SET note = ? WHERE visit_id = ? AND item_code = ?",
                     ("Chưa có quyết định\x0bsố 15\x00/QĐ", env.visit, YESNO))
        conn.execute("UPDATE findings SET answer_json = ? WHERE visit_id = ? AND item_code = ?",
                     ('{"text":"Có quyết định\\u000bsố 15\\u0000/QĐ"}', env.visit, TEXT))
    login(env.client, "truongdoan")
    for url in (f"/visits/{env.visit}/minutes.docx", f"/visits/{env.visit}/minutes"):
        response = env.client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    from docx import Document

    doc = Document(io.BytesIO(env.client.get(f"/visits/{env.visit}/minutes.docx").content))
    cells = " ".join(cell.text for table in doc.tables for row in table.rows for cell in row.cells)
    assert "Có quyết định\nsố 15/QĐ" in cells


@pytest.mark.parametrize("code, rule, score", [(RATIO_ZERO, "zero", 0.0), (RATIO_MAX, "max", 1.0),
                                               (RATIO_NA, "na", None)])
def test_zero_denominator_scores_by_the_items_if_empty_rule(env, code, rule, score):
    item = next(i for a in env.tree["areas"] for c in a["criteria"] for i in c["items"] if i["code"] == code)
    assert item["type"] == "ratio" and item["if_empty"] == rule
    maximum_before = env.client.get(f"/api/v1/visits/{env.visit}/findings").json()["progress"]["max_points"]
    response = put_finding(env, code, {"answer": [0, 0], "base_version": 0})
    assert response.status_code == 200, response.text
    assert response.json()["score"] == score
    if rule == "max":
        assert response.json()["score"] == item["max_points"]
    listed = env.client.get(f"/api/v1/visits/{env.visit}/findings").json()
    assert next(f for f in listed["findings"] if f["item_code"] == code)["score"] == score
    # N/A takes the item out of the visit's maximum; zero and max keep it in.
    assert listed["progress"]["max_points"] == pytest.approx(maximum_before - (item["max_points"] if rule == "na" else 0))


# ---------------------------------------------------------------------------------------------- injection

INJECTION = ("<script>alert(\"skt-xss\")</script><img src=x onerror=alert(1)> \" onmouseover=\"alert(2)\" "
             "Robert'); DROP TABLE findings; -- ' OR '1'='1")


def _assert_escaped(html: str, where: str) -> None:
    assert "<script>alert(" not in html, f"live script tag on {where}"
    assert "<img src=x" not in html, f"live img tag on {where}"
    assert 'onmouseover="alert' not in html, f"attribute broken out on {where}"
    assert "&lt;script&gt;alert(" in html, f"the text is not shown (escaped) on {where}"


def _note(env: Env):
    assert put_finding(env, YESNO, {"answer": True, "note": INJECTION, "base_version": 0}).status_code == 200
    read = {f["item_code"]: f for f in env.client.get(f"/api/v1/visits/{env.visit}/findings").json()["findings"]}
    return read[YESNO]["note"], [f"/visits/{env.visit}", f"/visits/{env.visit}/items/{YESNO}"]


def _text_answer(env: Env):
    assert put_finding(env, TEXT, {"answer": INJECTION, "base_version": 0}).status_code == 200
    read = {f["item_code"]: f for f in env.client.get(f"/api/v1/visits/{env.visit}/findings").json()["findings"]}
    return read[TEXT]["answer"], [f"/visits/{env.visit}", f"/visits/{env.visit}/items/{TEXT}"]


def _caption(env: Env):
    response = upload(env, jpeg(), "bang.jpg")
    assert response.status_code == 201
    evidence_id = response.json()["id"]
    assert post_form(env.client, f"/evidence/{evidence_id}/caption", {"caption": INJECTION[:200]}).status_code == 303
    read = env.client.get(f"/api/v1/evidence/{evidence_id}").json()["caption"]
    return read, [f"/visits/{env.visit}", f"/visits/{env.visit}/items/{YESNO}/gallery"]


def _remediation_answer(env: Env):
    login(env.client, f"dv{SIGNED_UNIT}")
    item = next(i for i in env.client.get("/api/v1/remediation").json() if i["status"] in ("open", "returned"))
    response = env.client.post(f"/api/v1/remediation/{item['id']}/answers", headers=api_headers(env.client),
                               data={"text": INJECTION}, files={"file": ("a.jpg", jpeg(), "image/jpeg")})
    assert response.status_code == 201, response.text
    read = env.client.get(f"/api/v1/remediation/{item['id']}").json()["thread"][-1]["text"]
    pages = [f"/remediation/{item['id']}"]
    for page in pages:
        _assert_escaped(env.client.get(page).text, page + " (unit)")
    login(env.client, "sonoivu")
    return read, [f"/remediation/{item['id']}", "/audit"]


def _plan_title(env: Env):
    login(env.client, "sonoivu")
    response = post_form(env.client, "/plans", {
        "number": "45/KH-UBND", "issued_on": "2026-03-01", "issuer": "UBND thành phố Hải Phòng", "title": INJECTION,
        "legal_basis": INJECTION, "period_start": "2026-03-01", "period_end": "2026-12-31", "province_code": "31"})
    assert response.status_code == 303, response.text[:300]
    plan = next(p for p in env.client.get("/api/v1/plans").json() if p["number"] == "45/KH-UBND")
    return plan["title"], ["/plans", f"/plans/{plan['id']}", "/", "/audit"]


def _full_name(env: Env):
    login(env.client, "sonoivu")
    response = post_form(env.client, "/users", {"username": "nguoimoi", "full_name": INJECTION, "title": INJECTION,
                                                "role": "inspector", "password": "mat-khau-2026-du-dai"})
    assert response.status_code == 303, response.text[:300]
    _assert_escaped(env.client.get("/users").text, "/users")
    login(env.client, "nguoimoi", "mat-khau-2026-du-dai")
    return env.client.get("/api/v1/me").json()["full_name"], ["/", "/plans"]


@pytest.mark.parametrize("store", [_note, _text_answer, _caption, _remediation_answer, _plan_title, _full_name],
                         ids=["finding-note", "text-answer", "caption", "remediation-answer", "plan-title",
                              "user-full-name"])
def test_injection_strings_are_stored_verbatim_and_shown_escaped(env, store):
    read_back, pages = store(env)
    expected = INJECTION[:200] if store is _caption else INJECTION
    assert read_back == expected
    for page in pages:
        response = env.client.get(page)
        assert response.status_code == 200, page
        _assert_escaped(response.text, page)
    with sqlite3.connect(env.settings.db_path) as conn:  # the SQL in the text was never run
        assert conn.execute("SELECT count(*) FROM findings").fetchone()[0] > 0
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _integer_path_routes(app) -> list[tuple[str, str]]:
    from litestar.routes import HTTPRoute

    return sorted((method, route.path) for route in app.routes if isinstance(route, HTTPRoute) and ":int}" in route.path
                  for method in route.methods - {"OPTIONS", "HEAD"})


@pytest.mark.parametrize("number", [BEYOND_64_BITS, 2**64, 10**30, 0, -1])
def test_every_integer_in_a_path_outside_sqlite_range_is_not_found(client, number):
    """Every route with an id in its path, page or API, answers an id SQLite cannot hold as it answers an
    unknown id (404), never 500; a route the role may not use still says 403 first."""
    login(client, "sonoivu")
    routes = _integer_path_routes(client.app)
    assert len(routes) >= 30
    for method, path in routes:
        url = re.sub(r"\{\w+:int\}", str(number), path.replace(":str}", "}")).replace("{item_code}", YESNO)
        url = re.sub(r"\{\w+\}", "x", url)
        response = client.request(method, url, headers={"x-csrftoken": csrf_token(client)}, follow_redirects=False)
        assert response.status_code in (403, 404), (method, url, response.status_code, response.text[:200])
        if url.startswith("/api/"):
            assert set(response.json()) >= {"error", "message"}


@pytest.mark.parametrize("page", [2**62, 2**63 - 1, 2**63, -(2**63), 0])
def test_a_page_number_past_the_end_shows_an_empty_page(client, page):
    login(client, "sonoivu")
    for url in ("/audit", "/units"):
        response = client.get(url, params={"page": str(page)})
        assert response.status_code in (200, 400), (url, page, response.status_code)
        if page < 2**63 and page >= -(2**63):
            assert response.status_code == 200, (url, page)
