"""Field capture through the API and the pages: idempotent saves, versions, evidence, sign-off."""

from __future__ import annotations

import io
import uuid

import pytest
from conftest import csrf_token, followed, login, post_form, text_of
import dbchecks
import dbtarget
from PIL import Image

from inspect_app.web.common import dom_id
from fill import SAMPLE_ROWS, typed


def key() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def visit(client):
    """The demo visit to Phường Thủy Nguyên, as the inspector sees it."""
    login(client, "kiemtravien")
    return next(v for v in client.get("/api/v1/visits").json() if v["unit_code"] == "11560")


@pytest.fixture
def tree(client, visit):
    data = client.get(f"/api/v1/checklists/{visit['checklist_id']}", params={"version": visit["checklist_version"]})
    return data.json()["checklist"]


def items_of(tree):
    return [i for a in tree["areas"] for c in a["criteria"] for i in c["items"]]


def first(tree, type_):
    return next(i for i in items_of(tree) if i["type"] == type_)


def h(client, k=None, **extra) -> dict:
    """Headers of a browser-made API call: the CSRF token (session cookie) and an idempotency key."""
    return {"x-csrftoken": csrf_token(client), "Idempotency-Key": k or key(), **extra}


def put(client, visit, code, body, k=None):
    return client.put(f"/api/v1/visits/{visit['id']}/findings/{code}", json=body, headers=h(client, k))


def rows(settings, sql, *params):
    return [tuple(r) for r in dbtarget.sql(settings, sql, *params)]


def photo_bytes(orientation: int = 6, size=(1200, 900)) -> bytes:
    """A landscape JPEG whose EXIF says 'rotate 90°' (what a tablet held upright writes)."""
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((30, 30, 200), (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "Samsung"
    exif[0x0110] = "Galaxy Tab A9"
    exif.get_ifd(0x8769)[0x9003] = "2026:11:20 09:15:00"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=90)
    return buffer.getvalue()


def test_save_every_type_and_get_scores(client, visit, tree):
    answers = {
        "yesno": True, "levels": None, "score": None, "ratio": [9, 10], "count": 3, "deduction": 1,
        "text": "Bà Nguyễn Thị Hoa, Trưởng bộ phận", "date": "2026-01-15",
    }
    for type_, answer in answers.items():
        item = first(tree, type_)
        if type_ == "levels":
            answer = item["levels"][0]["key"]
        if type_ == "score":
            answer = item["step"]
        response = put(client, visit, item["code"], {"answer": answer, "note": f"ghi chú {type_}", "base_version": 0})
        assert response.status_code == 200, (type_, response.text)
        body = response.json()
        assert body["version"] == 1 and body["answer"] == answer and body["note"] == f"ghi chú {type_}"
        if type_ in ("text", "date"):
            assert body["score"] is None
        else:
            assert 0 <= body["score"] <= item["max_points"]
    listed = client.get(f"/api/v1/visits/{visit['id']}/findings").json()
    assert listed["status"] == "in_progress"  # the first save started the visit
    assert listed["progress"]["answered"] == len(answers)
    assert {f["item_code"] for f in listed["findings"]} == {first(tree, t)["code"] for t in answers}


def test_same_key_same_body_makes_one_record(client, visit, tree, settings):
    code = first(tree, "yesno")["code"]
    k = key()
    body = {"answer": True, "note": "Có kế hoạch", "base_version": 0}
    one = put(client, visit, code, body, k)
    two = put(client, visit, code, body, k)
    assert one.status_code == two.status_code == 200
    assert one.json() == two.json()
    assert two.headers.get("idempotent-replayed") == "true"
    assert rows(settings, "SELECT count(*) FROM finding_history h JOIN findings f ON f.id = h.finding_id"
                          " WHERE f.item_code = ? AND f.visit_id = ?", code, visit["id"]) == [(1,)]


def test_same_key_different_body_is_409(client, visit, tree):
    code = first(tree, "yesno")["code"]
    k = key()
    assert put(client, visit, code, {"answer": True, "base_version": 0}, k).status_code == 200
    reused = put(client, visit, code, {"answer": False, "base_version": 0}, k)
    assert reused.status_code == 409
    assert reused.json()["error"] == "idempotency_key_reused"


def test_stale_version_is_a_conflict_and_both_values_are_kept(client, visit, tree, settings):
    code = first(tree, "yesno")["code"]
    assert put(client, visit, code, {"answer": True, "note": "kiểm tra viên", "base_version": 0}).status_code == 200
    # The lead, on another tablet, changes the same item.
    login(client, "truongdoan")
    assert put(client, visit, code, {"answer": False, "note": "trưởng đoàn", "base_version": 1}).status_code == 200
    # The inspector still holds version 1.
    login(client, "kiemtravien")
    stale = put(client, visit, code, {"answer": True, "note": "kiểm tra viên sửa", "base_version": 1})
    assert stale.status_code == 409
    body = stale.json()
    assert body["error"] == "version_conflict" and "Trần Văn Minh" in body["message"]
    assert body["current"]["answer"] is False and body["current"]["version"] == 2
    assert body["current"]["updated_by"] == "Trần Văn Minh"
    # Nothing was overwritten; choosing "keep mine" saves on top of version 2, history keeps all.
    keep = put(client, visit, code, {"answer": True, "note": "kiểm tra viên sửa", "base_version": 2})
    assert keep.status_code == 200 and keep.json()["version"] == 3
    history = rows(settings, "SELECT h.version, h.note FROM finding_history h JOIN findings f ON f.id = h.finding_id"
                             " WHERE f.item_code = ? AND f.visit_id = ? ORDER BY h.version", code, visit["id"])
    assert history == [(1, "kiểm tra viên"), (2, "trưởng đoàn"), (3, "kiểm tra viên sửa")]


def test_bad_answers_are_422_with_vietnamese_messages(client, visit, tree, settings):
    ratio = first(tree, "ratio")["code"]
    over = put(client, visit, ratio, {"answer": [12, 10], "base_version": 0})
    assert over.status_code == 422 and "Tử số không được lớn hơn mẫu số" in over.json()["message"]
    negative = put(client, visit, ratio, {"answer": [-1, 10], "base_version": 0})
    assert negative.status_code == 422 and "âm" in negative.json()["message"]
    yesno = first(tree, "yesno")["code"]
    wrong_shape = put(client, visit, yesno, {"answer": "có", "base_version": 0})
    assert wrong_shape.status_code == 422 and "true hoặc false" in wrong_shape.json()["message"]
    levels = first(tree, "levels")["code"]
    assert put(client, visit, levels, {"answer": "khong_co_muc_nay", "base_version": 0}).status_code == 422
    unknown = put(client, visit, "9.9.9", {"answer": True, "base_version": 0})
    assert unknown.status_code == 404 and unknown.json()["error"] == "unknown_item"
    no_key = client.put(f"/api/v1/visits/{visit['id']}/findings/{yesno}", json={"answer": True},
                        headers={"x-csrftoken": csrf_token(client)})
    assert no_key.status_code == 400
    bad_json = client.put(f"/api/v1/visits/{visit['id']}/findings/{yesno}", content=b"{not json",
                          headers=h(client, **{"Content-Type": "application/json"}))
    assert bad_json.status_code == 400 and bad_json.json()["error"] == "invalid_input"
    assert rows(settings, "SELECT count(*) FROM findings WHERE visit_id = ?", visit["id"]) == [(0,)]


def test_plain_form_post_works_without_javascript(client, visit, tree, settings):
    item = first(tree, "ratio")
    response = post_form(client, f"/visits/{visit['id']}/items/{item['code']}",
                         {"numerator": "7", "denominator": "10", "note": "Lấy mẫu 10 hồ sơ", "base_version": "0",
                          "idempotency_key": key()})
    assert response.status_code == 303
    assert response.headers["location"] == f"/visits/{visit['id']}#item-{item['code'].replace('.', '_')}"
    page = text_of(client.get(f"/visits/{visit['id']}").text)
    assert "tỷ lệ 70%" in page and "Lấy mẫu 10 hồ sơ" in client.get(f"/visits/{visit['id']}").text


def test_a_plain_form_saves_once_without_a_key_in_the_page(client, visit, tree, settings):
    """JavaScript off: the page carries no idempotency keys; the card version the form is based on
    stands for one, so the browser sending the same form twice saves once."""
    assert 'name="idempotency_key"' not in client.get(f"/visits/{visit['id']}").text
    item = first(tree, "yesno")
    url = f"/visits/{visit['id']}/items/{item['code']}"
    form = {"choice": "yes", "note": "Có kế hoạch", "base_version": "0"}
    assert post_form(client, url, form).status_code == 303
    assert post_form(client, url, form).status_code == 303
    assert rows(settings, "SELECT version FROM findings WHERE visit_id = ? AND item_code = ?",
                visit["id"], item["code"]) == [(1,)]
    stale = post_form(client, url, {**form, "choice": "no"})  # the old page, another answer: never saved over
    # Back to the visit page, the card showing the refusal (a reload of it posts nothing).
    assert f'class="save-status failed" id="status-{dom_id(item["code"])}"' in followed(client, stale).text
    assert post_form(client, url, {**form, "choice": "no", "base_version": "1"}).status_code == 303
    assert rows(settings, "SELECT version FROM findings WHERE visit_id = ? AND item_code = ?",
                visit["id"], item["code"]) == [(2,)]


def test_htmx_save_returns_status_points_and_progress_fragments(client, visit, tree):
    item = first(tree, "yesno")
    response = client.post(f"/visits/{visit['id']}/items/{item['code']}",
                           data={"choice": "yes", "note": "", "base_version": "0"},
                           headers={"HX-Request": "true", "Idempotency-Key": key(),
                                    "x-csrftoken": client.cookies["csrftoken"]})
    assert response.status_code == 200
    assert "<html" not in response.text
    dom = item["code"].replace(".", "_")
    assert f'id="status-{dom}"' in response.text and "Đã lưu lúc" in response.text
    assert f'id="v-{dom}"' in response.text and 'value="1"' in response.text
    assert 'id="progress" class="progress-bar" hx-swap-oob="true"' in response.text
    stale = client.post(f"/visits/{visit['id']}/items/{item['code']}",
                        data={"choice": "no", "note": "", "base_version": "0"},
                        headers={"HX-Request": "true", "Idempotency-Key": key(),
                                 "x-csrftoken": client.cookies["csrftoken"]})
    assert stale.status_code == 409
    assert "Giữ giá trị của tôi" in stale.text and "Dùng giá trị đã lưu" in stale.text
    assert "Đạt" in text_of(stale.text)  # the saved value is shown beside mine


def test_visit_page_shows_cards_filters_and_guidance(client, visit, tree):
    page = client.get(f"/visits/{visit['id']}")
    assert page.status_code == 200
    html = page.text
    assert html.count('class="item-card') == len(items_of(tree))
    assert "Hướng dẫn kiểm tra" in html and 'capture="environment"' in html
    yesno = first(tree, "yesno")["code"]
    put(client, visit, yesno, {"answer": True, "base_version": 0})
    unanswered = client.get(f"/visits/{visit['id']}", params={"filter": "unanswered"}).text
    assert f'id="item-{yesno.replace(".", "_")}"' not in unanswered
    assert unanswered.count('class="item-card') == len(items_of(tree)) - 1
    missing = client.get(f"/visits/{visit['id']}", params={"filter": "missing_evidence"}).text
    needing = [i for i in items_of(tree) if i.get("evidence", {}).get("min_count", 0) > 0]
    assert missing.count('class="item-card') == len(needing)


def test_guidance_comes_once_per_checklist_version_not_with_every_page(client, visit, tree):
    """The visit page carries the guidance boxes and a link; the texts come from one immutable URL."""
    page = client.get(f"/visits/{visit['id']}").text
    guided = [i for i in items_of(tree) if i.get("guidance")]
    assert guided and guided[0]["guidance"] not in page
    url = f"/checklists/{visit['checklist_id']}/{visit['checklist_version']}/guidance"
    assert f'data-guidance="{url}"' in page
    assert page.count('class="guidance" data-item=') == len(guided)
    texts = client.get(url)
    assert texts.status_code == 200 and "immutable" in texts.headers["cache-control"]
    assert texts.json() == {i["code"]: i["guidance"] for i in guided}
    assert client.get(f"/checklists/{visit['checklist_id']}/0000000000/guidance").status_code == 404


def test_photo_upload_is_upright_with_metadata_and_guarded(client, visit, tree, settings):
    code = first(tree, "yesno")["code"]
    data = photo_bytes()
    k = key()
    response = client.post(f"/api/v1/visits/{visit['id']}/findings/{code}/evidence",
                           files={"file": ("IMG_0001.jpg", data, "image/jpeg")}, headers=h(client, k))
    assert response.status_code == 201, response.text
    ev = response.json()
    import hashlib
    assert ev["sha256"] == hashlib.sha256(data).hexdigest()
    assert (ev["width"], ev["height"]) == (900, 1200)  # turned upright
    assert ev["captured_at"].startswith("2026-11-20T09:15")
    assert "Galaxy Tab A9" in ev["camera"]
    again = client.post(f"/api/v1/visits/{visit['id']}/findings/{code}/evidence",
                        files={"file": ("IMG_0001.jpg", data, "image/jpeg")}, headers=h(client, k))
    assert again.status_code == 200 and again.json()["id"] == ev["id"]
    assert rows(settings, "SELECT count(*) FROM evidence_files WHERE visit_id = ?", visit["id"]) == [(1,)]
    display = client.get(f"/api/v1/evidence/{ev['id']}/file", params={"size": "display"})
    assert display.status_code == 200 and display.headers["content-type"] == "image/jpeg"
    shown = Image.open(io.BytesIO(display.content))
    assert shown.size == (900, 1200) and not shown.getexif()
    original = client.get(f"/evidence/{ev['id']}/file", params={"size": "original"})
    assert original.content == data and "attachment" in original.headers["content-disposition"]
    # The inspected unit sees the inspectors' evidence only after sign-off; another unit never.
    login(client, "dv11560")
    assert client.get(f"/api/v1/evidence/{ev['id']}").status_code == 404
    login(client, "dv10525")
    assert client.get(f"/api/v1/evidence/{ev['id']}/file").status_code == 404
    client.cookies.clear()
    assert client.get(f"/api/v1/evidence/{ev['id']}/file").status_code == 401


@pytest.mark.parametrize("name, content, status, code", [
    ("empty.jpg", b"", 422, "empty"),
    ("notes.jpg", "Đây là văn bản, không phải ảnh".encode(), 422, "not_an_image"),
    ("half.jpg", None, 422, "truncated"),
    ("doc.pdf", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n", 422, "bad_pdf"),
])
def test_bad_uploads_are_refused_and_nothing_is_written(client, visit, tree, settings, name, content, status, code):
    before_files = sorted((settings.evidence_dir / "original").rglob("*.*"))
    if content is None:
        whole = photo_bytes(size=(2000, 1500))
        content = whole[: len(whole) // 2]
    item = first(tree, "yesno")["code"]
    response = client.post(f"/api/v1/visits/{visit['id']}/findings/{item}/evidence",
                           files={"file": (name, content, "image/jpeg")}, headers=h(client))
    assert response.status_code == status, response.text
    assert response.json()["error"] == code and response.json()["message"]
    assert rows(settings, "SELECT count(*) FROM evidence_files WHERE visit_id = ?", visit["id"]) == [(0,)]
    assert sorted((settings.evidence_dir / "original").rglob("*.*")) == before_files


def test_oversized_upload_is_413(client, visit, tree):
    item = first(tree, "yesno")["code"]
    response = client.post(f"/api/v1/visits/{visit['id']}/findings/{item}/evidence",
                           files={"file": ("big.jpg", b"\xff\xd8" + b"0" * 17_000_000, "image/jpeg")},
                           headers=h(client))
    assert response.status_code == 413
    assert "quá lớn" in response.json()["message"]


def test_sign_off_needs_every_item_then_locks_and_amendments_need_a_reason(client, visit, tree, settings):
    login(client, "truongdoan")
    incomplete = client.post(f"/api/v1/visits/{visit['id']}/sign-off", json={"unit_representative": "Ông A"},
                            headers=h(client))
    assert incomplete.status_code == 409 and incomplete.json()["error"] == "incomplete"
    assert len(incomplete.json()["unanswered"]) == len(items_of(tree))
    for item in typed(items_of(tree)):
        answer = {"yesno": True, "levels": (item["levels"] or [{}])[0].get("key"), "score": 0, "ratio": [1, 1],
                  "count": 0, "deduction": 0, "text": "ghi nhận", "date": "2026-01-02",
                  "sample": SAMPLE_ROWS}[item["type"]]
        assert put(client, visit, item["code"], {"answer": answer, "base_version": 0}).status_code == 200
    # An inspector may not sign off.
    login(client, "kiemtravien")
    assert client.post(f"/api/v1/visits/{visit['id']}/sign-off", json={"unit_representative": "A"},
                       headers=h(client)).status_code == 403
    login(client, "truongdoan")
    signed = client.post(f"/api/v1/visits/{visit['id']}/sign-off",
                         json={"unit_representative": "Ông Phạm Văn Hùng, Chủ tịch UBND phường", "remarks": "Tốt",
                               "missing_evidence_reason": "Đơn vị xuất trình bản gốc tại buổi kiểm tra"},
                         headers=h(client))
    assert signed.status_code == 200
    code = first(tree, "yesno")["code"]
    locked = put(client, visit, code, {"answer": False, "base_version": 1})
    assert locked.status_code == 409 and locked.json()["error"] == "visit_locked"
    login(client, "kiemtravien")
    assert put(client, visit, code, {"answer": False, "base_version": 1,
                                     "amend_reason": "x"}).status_code == 409  # inspectors cannot amend
    # The database itself refuses a direct edit of a signed-off finding.
    with pytest.raises(dbchecks.INTEGRITY_ERRORS, match="locked"):
        rows(settings, "UPDATE findings SET note = 'sửa lén' WHERE visit_id = ?", visit["id"])
    login(client, "truongdoan")
    amended = put(client, visit, code, {"answer": False, "base_version": 1,
                                        "amend_reason": "Đơn vị bổ sung hồ sơ sai ngày"})
    assert amended.status_code == 200 and amended.json()["version"] == 2
    assert client.get(f"/api/v1/visits/{visit['id']}/findings").json()["status"] == "amended"
    assert rows(settings, "SELECT reason FROM finding_history h JOIN findings f ON f.id = h.finding_id"
                          " WHERE f.visit_id = ? AND f.item_code = ? AND h.version = 2", visit["id"], code) == \
        [("Đơn vị bổ sung hồ sơ sai ngày",)]
    assert rows(settings, "SELECT count(*) FROM audit_log WHERE action = 'finding.amend'") == [(1,)]  # only ours


def test_deleting_evidence_is_soft_and_audited(client, visit, tree, settings):
    code = first(tree, "yesno")["code"]
    ev = client.post(f"/api/v1/visits/{visit['id']}/findings/{code}/evidence",
                     files={"file": ("a.jpg", photo_bytes(), "image/jpeg")}, headers=h(client)).json()
    gone = post_form(client, f"/evidence/{ev['id']}/delete", {})
    assert gone.status_code == 303
    assert client.get(f"/api/v1/evidence/{ev['id']}").status_code == 404
    assert rows(settings, "SELECT deleted_at IS NOT NULL FROM evidence_files WHERE id = ?", ev["id"]) == [(1,)]
    assert rows(settings, "SELECT count(*) FROM audit_log WHERE action = 'evidence.delete'") == [(1,)]  # only ours


def test_plain_upload_form_without_a_file_is_explained(client, visit, tree):
    code = first(tree, "yesno")["code"]
    response = client.post(f"/visits/{visit['id']}/items/{code}/evidence",
                           data={"_csrf_token": csrf_token(client)}, files={"other": ("x.txt", b"x", "text/plain")})
    assert response.status_code == 422 and "Chưa chọn tệp" in response.text


def test_plain_upload_form_stores_a_pdf_and_returns_to_the_card(client, visit, tree, settings):
    code = first(tree, "yesno")["code"]
    pdf = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    response = client.post(f"/visits/{visit['id']}/items/{code}/evidence",
                           data={"_csrf_token": csrf_token(client), "idempotency_key": key()},
                           files={"file": ("Kế hoạch CCHC 2026.pdf", pdf, "application/pdf")}, follow_redirects=False)
    assert response.status_code == 303
    ev_id = rows(settings, "SELECT id FROM evidence_files WHERE kind = 'document' AND visit_id = ?", visit["id"])[0][0]
    download = client.get(f"/evidence/{ev_id}/file", params={"size": "original"})
    assert download.content == pdf and "attachment" in download.headers["content-disposition"]
    assert "Kế hoạch CCHC 2026.pdf" in client.get(f"/visits/{visit['id']}").text


def test_the_unit_sees_no_findings_before_sign_off(client, visit, tree):
    code = first(tree, "yesno")["code"]
    put(client, visit, code, {"answer": False, "note": "chưa đạt", "base_version": 0})
    ev = client.post(f"/api/v1/visits/{visit['id']}/findings/{code}/evidence",
                     files={"file": ("a.jpg", photo_bytes(), "image/jpeg")}, headers=h(client)).json()
    login(client, "dv11560")
    hidden = client.get(f"/api/v1/visits/{visit['id']}/findings")
    assert hidden.status_code == 403 and "sau khi trưởng đoàn ký duyệt" in hidden.json()["message"]
    assert client.get(f"/evidence/{ev['id']}/file").status_code == 404
    assert "chưa đạt" not in client.get(f"/visits/{visit['id']}").text
