"""Closing the visit on site (issue 18): the check-in and the minutes signed on the tablet.

API and form alike: every bad input the issue lists for this part is a clear 4xx with nothing stored
(coordinates out of range, an empty / 20 MB / non-PNG signature, a signature before the sign-off, a
party's second signature without a reason); a unit officer of another unit gets 404; each write has
its audit row; the minutes (HTML and DOCX) state the check-in and show the signatures, and an
amendment after signing flags them as signatures of an earlier version.
"""

from __future__ import annotations

import io
import uuid
import zipfile

import pytest
from conftest import csrf_token, followed, login, post_form, run, text_of
import dbtarget
from PIL import Image, ImageDraw

from inspect_app.db import open_database
from inspect_app.services.minutes_content import canonical_sha256

SIGNED_OFF_UNIT = "10532"  # the demo's signed-off visit of truongdoan's team
TODAY_UNIT = "10525"  # planned for today


def h(client) -> dict:
    return {"x-csrftoken": csrf_token(client)}


def visit_id(client, unit_code: str) -> int:
    return next(v["id"] for v in client.get("/api/v1/visits").json() if v["unit_code"] == unit_code)


def drawn_png(colour=(11, 31, 102, 255), size=(600, 200)) -> bytes:
    """A signature as the pad makes it: strokes on a transparent canvas."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.line([(40, 150), (120, 40), (200, 160), (300, 60), (420, 150), (540, 70)], fill=colour, width=5)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def blank_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (600, 200), (0, 0, 0, 0)).save(buffer, "PNG")
    return buffer.getvalue()


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (600, 200), (200, 200, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def sign(client, visit: int, party: str, data: bytes, *, name="Trần Văn Minh", position="Trưởng đoàn",
         reason="", filename="chu-ky.png", media_type="image/png"):
    return client.post(f"/api/v1/visits/{visit}/signatures", headers=h(client),
                       data={"party": party, "name": name, "position": position, "reason": reason},
                       files={"file": (filename, data, media_type)})


def count(settings, sql: str, *params) -> int:
    return dbtarget.sql(settings, sql, *params)[0][0]


def stored_signature_files(settings) -> list:
    folder = settings.evidence_dir / "signatures"
    return sorted(folder.rglob("*.png")) if folder.exists() else []


def audit_actions(settings, action: str) -> int:
    return count(settings, "SELECT COUNT(*) FROM audit_log WHERE action = ?", action)


# ------------------------------------------------------------------------------------------------ check-in


def test_check_in_records_server_time_and_place_once_unless_a_lead_gives_a_reason(client, settings):
    login(client, "kiemtravien")
    visit = visit_id(client, TODAY_UNIT)
    # Started: offered whatever the date (a planned visit only on its day in Vietnam, which the demo's
    # "today", the machine's date, is not between 17:00 and 24:00 UTC).
    assert post_form(client, f"/visits/{visit}/start", {}).status_code == 303
    page = client.get(f"/visits/{visit}").text
    assert "Ghi nhận có mặt" in page and "không chia sẻ" in page  # offered, with the reason it asks
    response = client.post(f"/api/v1/visits/{visit}/check-in", headers=h(client),
                           json={"lat": 20.86412, "lon": 106.68341, "accuracy_m": 15.0, "declined": False, "reason": ""})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["lat"] == 20.86412 and body["declined"] is False and body["recorded_at"].endswith("Z")
    assert audit_actions(settings, "visit.check_in") == 1
    again = client.post(f"/api/v1/visits/{visit}/check-in", headers=h(client),
                        json={"lat": 20.9, "lon": 106.7, "declined": False, "reason": "nhầm"})
    assert again.status_code == 409 and again.json()["error"] == "already_checked_in"
    login(client, "truongdoan")
    no_reason = client.post(f"/api/v1/visits/{visit}/check-in", headers=h(client), json={"declined": True})
    assert no_reason.status_code == 409 and "lý do" in no_reason.json()["message"]
    assert count(settings, "SELECT COUNT(*) FROM visit_checkins") == 1
    second = client.post(f"/api/v1/visits/{visit}/check-in", headers=h(client),
                         json={"declined": True, "reason": "Máy tính bảng thứ nhất đặt sai vị trí"})
    assert second.status_code == 201 and second.json()["lat"] is None
    assert audit_actions(settings, "visit.check_in") == 2
    minutes = text_of(client.get(f"/visits/{visit}/minutes").text)
    assert "ghi nhận có mặt: không chia sẻ vị trí" in minutes


@pytest.mark.parametrize("body", [
    {"lat": 90.5, "lon": 106.0}, {"lat": -91, "lon": 0}, {"lat": 20.0, "lon": 180.01}, {"lat": 20.0, "lon": -181},
    {"lat": 20.0, "lon": None}, {"lat": 20.0, "lon": 106.0, "accuracy_m": -1},
])
def test_check_in_refuses_coordinates_out_of_range_and_stores_nothing(client, settings, body):
    login(client, "kiemtravien")
    visit = visit_id(client, TODAY_UNIT)
    response = client.post(f"/api/v1/visits/{visit}/check-in", headers=h(client), json=body)
    assert response.status_code == 422, response.text
    assert response.json()["message"]  # Vietnamese, for the person holding the tablet
    assert count(settings, "SELECT COUNT(*) FROM visit_checkins") == 0
    assert audit_actions(settings, "visit.check_in") == 0


def test_check_in_form_posts_the_position_and_refuses_a_bad_one_with_a_note(client, settings):
    login(client, "kiemtravien")
    visit = visit_id(client, TODAY_UNIT)
    refused = followed(client, post_form(client, f"/visits/{visit}/check-in", {"lat": "95", "lon": "106.6"}))
    assert "Vĩ độ (lat) phải nằm trong khoảng" in refused.text
    assert count(settings, "SELECT COUNT(*) FROM visit_checkins") == 0
    page = followed(client, post_form(client, f"/visits/{visit}/check-in",
                                      {"lat": "20.86412", "lon": "106.68341", "accuracy_m": "12"}))
    assert "Đã ghi nhận có mặt" in page.text
    assert 'id="checkin-done"' in page.text and "20.86412, 106.68341" in page.text
    # The inspector's second try: refused, the lead alone records another (with a reason).
    assert 'id="checkin-form"' not in page.text


def test_a_signed_off_visit_takes_no_check_in(client, settings):
    login(client, "truongdoan")
    visit = visit_id(client, SIGNED_OFF_UNIT)
    response = client.post(f"/api/v1/visits/{visit}/check-in", headers=h(client), json={"declined": True})
    assert response.status_code == 409 and response.json()["error"] == "visit_closed"


# ------------------------------------------------------------------------------------------------ signatures


def test_both_parties_sign_and_the_minutes_show_the_images(client, settings):
    login(client, "truongdoan")
    visit = visit_id(client, SIGNED_OFF_UNIT)
    page = client.get(f"/visits/{visit}/sign").text
    assert 'id="sign-lead"' in page and 'id="sign-unit"' in page and 'id="minutes-preview"' in page
    assert "BIÊN BẢN" in page  # the minutes as printed, inline
    lead = sign(client, visit, "lead", drawn_png())
    assert lead.status_code == 201, lead.text
    unit = sign(client, visit, "unit", drawn_png((0, 0, 0, 255)), name="Phạm Thị Mai", position="Chủ tịch UBND")
    assert unit.status_code == 201, unit.text
    assert lead.json()["current"] and lead.json()["content_sha256"] == unit.json()["content_sha256"]
    assert lead.json()["content_sha256"] == run(_sha(settings, visit))
    assert audit_actions(settings, "visit.signature") == 2
    assert len(stored_signature_files(settings)) == 2
    assert not any("static" in str(p) for p in stored_signature_files(settings))
    minutes = client.get(f"/visits/{visit}/minutes").text
    blocks = minutes.split('class="signatures"')[1].split("</table>")[0]
    assert blocks.count('src="data:image/png;base64,') == 2
    assert "Chữ ký của Phạm Thị Mai" in blocks and "Chữ ký của Trần Văn Minh" in blocks
    signed_cells = [cell for cell in blocks.split('<td class="signer">')[1:] if "data:image/png" in cell]
    assert len(signed_cells) == 2 and not any("(Ký, ghi rõ họ tên)" in cell for cell in signed_cells)
    docx = client.get(f"/visits/{visit}/minutes.docx")
    with zipfile.ZipFile(io.BytesIO(docx.content)) as archive:
        assert sum(1 for n in archive.namelist() if n.startswith("word/media/") and n.endswith(".png")) >= 1
        xml = archive.read("word/document.xml").decode()
    tail = xml.split("ĐƯỢC KIỂM TRA")[-1]
    assert tail.count("<pic:pic") >= 2 and "Phạm Thị Mai" in tail


def test_a_second_signature_of_a_party_needs_a_reason(client, settings):
    login(client, "truongdoan")
    visit = visit_id(client, SIGNED_OFF_UNIT)
    assert sign(client, visit, "lead", drawn_png()).status_code == 201
    again = sign(client, visit, "lead", drawn_png((200, 0, 0, 255)))
    assert again.status_code == 409 and again.json()["error"] == "already_signed"
    assert count(settings, "SELECT COUNT(*) FROM visit_signatures") == 1
    replaced = sign(client, visit, "lead", drawn_png((200, 0, 0, 255)), reason="Chữ ký đầu bị lệnh khung")
    assert replaced.status_code == 201
    assert audit_actions(settings, "visit.signature") == 2


@pytest.mark.parametrize("case", ["empty", "jpeg", "fake_png", "blank", "twenty_mb"])
def test_a_bad_signature_image_is_refused_and_nothing_is_stored(client, settings, case):
    login(client, "truongdoan")
    visit = visit_id(client, SIGNED_OFF_UNIT)
    data, expected = {
        "empty": (b"", {422}), "jpeg": (jpeg(), {422}), "fake_png": (b"\x89PNG\r\n\x1a\n" + b"\0" * 200, {422}),
        "blank": (blank_png(), {422}), "twenty_mb": (b"\x89PNG\r\n\x1a\n" + b"\0" * 20_000_000, {413}),
    }[case]
    response = sign(client, visit, "lead", data)
    assert response.status_code in expected, (response.status_code, response.text[:200])
    assert response.json()["message"]
    assert count(settings, "SELECT COUNT(*) FROM visit_signatures") == 0
    assert stored_signature_files(settings) == []
    assert audit_actions(settings, "visit.signature") == 0


def test_no_signature_before_the_sign_off(client, settings):
    login(client, "truongdoan")
    visit = visit_id(client, TODAY_UNIT)
    response = sign(client, visit, "lead", drawn_png())
    assert response.status_code == 409 and response.json()["error"] == "not_signed_off"
    page = client.get(f"/visits/{visit}/sign").text
    assert "chỉ được ký sau khi trưởng đoàn ký duyệt" in page and 'id="sign-lead"' not in page
    assert stored_signature_files(settings) == [] and count(settings, "SELECT COUNT(*) FROM visit_signatures") == 0


def test_unit_officers_sign_only_for_their_own_unit(client, settings):
    login(client, "truongdoan")
    visit = visit_id(client, SIGNED_OFF_UNIT)
    login(client, "dv11086")  # another unit's officer: the visit does not exist for them
    assert sign(client, visit, "unit", drawn_png(), name="Người lạ", position="Chủ tịch").status_code == 404
    assert client.get(f"/visits/{visit}/sign").status_code == 404
    login(client, "dv10532")  # the unit's own officer signs for the unit, never for the team
    assert sign(client, visit, "lead", drawn_png()).status_code == 403
    own = sign(client, visit, "unit", drawn_png(), name="Phạm Thị Mai", position="Chủ tịch UBND")
    assert own.status_code == 201, own.text
    page = client.get(f"/visits/{visit}/sign").text
    assert 'id="sign-lead"' not in page  # the unit's form only, now to sign again with a reason
    assert "Đại diện đơn vị được kiểm tra – ký lại" in page and 'id="reason-unit"' in page
    assert count(settings, "SELECT COUNT(*) FROM visit_signatures") == 1
    login(client, "kiemtravien")  # an inspector reads the page but signs for nobody
    assert 'data-sign-form' not in client.get(f"/visits/{visit}/sign").text
    assert sign(client, visit, "lead", drawn_png()).status_code == 403


def test_the_sign_form_posts_the_pad_as_a_file_and_a_refusal_comes_back_with_a_note(client, settings):
    login(client, "truongdoan")
    visit = visit_id(client, SIGNED_OFF_UNIT)
    page = followed(client, post_form(client, f"/visits/{visit}/sign", {"party": "unit", "name": "Phạm Thị Mai",
                                                                       "position": ""},
                                      files={"file": ("chu-ky.png", drawn_png(), "image/png")}))
    assert "Nhập chức vụ" in page.text and 'value="Phạm Thị Mai"' in page.text
    page = followed(client, post_form(client, f"/visits/{visit}/sign", {"party": "unit", "name": "Phạm Thị Mai",
                                                                       "position": "Chủ tịch UBND"},
                                      files={"file": ("chu-ky.png", drawn_png(), "image/png")}))
    assert "Đã lưu chữ ký" in page.text and 'id="signed-unit" class="signed-current"' in page.text
    assert audit_actions(settings, "visit.signature") == 1


def test_an_amendment_after_signing_flags_the_signatures_as_of_an_earlier_version(client, settings):
    login(client, "truongdoan")
    visit = visit_id(client, SIGNED_OFF_UNIT)
    before = run(_sha(settings, visit))
    assert run(_sha(settings, visit)) == before  # canonical: the same content, the same hash
    assert sign(client, visit, "lead", drawn_png()).status_code == 201
    assert sign(client, visit, "unit", drawn_png(), name="Phạm Thị Mai", position="Chủ tịch UBND").status_code == 201
    finding = client.get(f"/api/v1/visits/{visit}/findings").json()["findings"][0]
    amended = client.put(f"/api/v1/visits/{visit}/findings/{finding['item_code']}",
                         headers={**h(client), "Idempotency-Key": str(uuid.uuid4())},
                         json={"answer": finding["answer"], "note": "Đối chiếu lại hồ sơ", "na": finding["na"],
                               "base_version": finding["version"], "amend_reason": "Đơn vị bổ sung hồ sơ"})
    assert amended.status_code == 200, amended.text
    assert run(_sha(settings, visit)) != before
    page = client.get(f"/visits/{visit}/sign").text
    assert page.count("Chữ ký trên phiên bản trước của biên bản") == 2
    minutes = text_of(client.get(f"/visits/{visit}/minutes").text)
    assert "Biên bản đã được sửa đổi sau khi ký" in minutes
    assert minutes.count("(chữ ký trên phiên bản trước của biên bản)") == 2
    resigned = sign(client, visit, "lead", drawn_png(), reason="Ký lại biên bản đã sửa đổi")
    assert resigned.status_code == 201 and resigned.json()["current"]
    page = client.get(f"/visits/{visit}/sign").text
    assert page.count("Chữ ký trên phiên bản trước của biên bản") == 1


async def _sha(settings, visit: int) -> str:
    db = await open_database(settings.database)
    try:
        return await canonical_sha256(db, visit)
    finally:
        await db.close()
