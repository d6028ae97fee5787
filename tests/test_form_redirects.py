"""Forms post, then redirect (post/redirect/get), and a unit officer sees that a sending worked.

Issue 15, "What users tripped on" 8 and 10: after a validation error the address bar stayed on the
POST URL (/remediation/7/review, /visits/3/self-assessment/submit, /plans/1/visits), so a reload
posted again; after "Gửi Sở Nội vụ" only a badge changed.
"""

from __future__ import annotations

import re
import uuid

from conftest import csrf_token, followed, login, post_form, run, text_of
from fill import SAMPLE_ROWS, typed


def h(client) -> dict:
    return {"x-csrftoken": csrf_token(client), "Idempotency-Key": str(uuid.uuid4())}


def item_in(client, *states: str) -> dict:
    return next(i for i in client.get("/api/v1/remediation").json() if i["status"] in states)


def alert(html: str) -> str:
    return text_of(html.split('class="alert alert-error" role="alert">')[1].split("</p>")[0])


def test_a_refused_review_redirects_to_the_item_and_a_reload_posts_nothing(client, settings):
    login(client, "sonoivu")
    item = item_in(client, "answered")
    response = post_form(client, f"/remediation/{item['id']}/review", {"decision": "return", "comment": ""})
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith(f"/remediation/{item['id']}?flash=") and location.endswith("#review")
    for _ in range(2):  # the page, then a reload of it: a GET each time, the message each time
        page = client.get(location)
        assert page.status_code == 200 and alert(page.text)
    assert client.get(f"/api/v1/remediation/{item['id']}").json()["item"]["status"] == "answered"


def test_a_refused_answer_keeps_what_the_unit_typed(client):
    login(client, "dv11086")
    item = item_in(client, "open")
    text = "Đơn vị đã bổ sung. " * 300  # over the 4,000 characters an answer may have
    response = post_form(client, f"/remediation/{item['id']}/answer", {"text": text, "action": "submit"})
    page = followed(client, response).text
    assert "dài quá" in alert(page)
    assert text.strip() in page.split('id="a-text"')[1].split("</textarea>")[0]
    assert client.get(f"/api/v1/remediation/{item['id']}").json()["item"]["status"] == "open"


def test_sending_a_remediation_answer_says_it_was_sent_and_when(client):
    login(client, "dv11086")
    item = item_in(client, "open")
    response = post_form(client, f"/remediation/{item['id']}/answer",
                         {"text": "Đơn vị đã khắc phục, gửi kèm văn bản số 12/BC-UBND.", "action": "submit",
                          "idempotency_key": str(uuid.uuid4())})
    page = text_of(followed(client, response).text)
    assert re.search(r"Đã gửi kết quả khắc phục cho Sở Nội vụ lúc \d\d:\d\d", page), page[:800]
    draft = post_form(client, f"/remediation/{item_in(client, 'open', 'returned')['id']}/answer",
                      {"text": "Đang thực hiện", "action": "draft"})
    assert re.search(r"Đã lưu nháp lúc \d\d:\d\d", text_of(followed(client, draft).text))


def test_submitting_the_self_assessment_redirects_with_a_message_either_way(client):
    login(client, "dv11560")
    visit = next(v for v in client.get("/api/v1/visits").json() if v["unit_code"] == "11560")
    url = f"/visits/{visit['id']}/self-assessment/submit"
    refused = post_form(client, url, {})
    assert refused.status_code == 303 and refused.headers["location"].startswith(
        f"/visits/{visit['id']}/self-assessment?flash=")
    assert "chưa" in alert(followed(client, refused).text).lower()
    tree = client.get(f"/api/v1/checklists/{visit['checklist_id']}", params={"version": visit["checklist_version"]})
    for item in typed([i for a in tree.json()["checklist"]["areas"] for c in a["criteria"] for i in c["items"]]):
        value = {"yesno": True, "levels": (item["levels"] or [{}])[0].get("key"), "score": item["max_points"],
                 "ratio": [10, 10], "count": 9, "deduction": 0, "text": "Đã thực hiện", "date": "2026-01-10",
                 "sample": SAMPLE_ROWS}
        assert client.put(f"/api/v1/visits/{visit['id']}/self-assessment/{item['code']}", headers=h(client),
                          json={"answer": value[item["type"]], "base_version": 0}).status_code == 200
    sent = post_form(client, url, {})
    page = text_of(followed(client, sent).text)
    assert re.search(r"Đơn vị đã nộp kết quả tự đánh giá cho Sở Nội vụ lúc \d\d:\d\d;", page), page[:800]


def test_a_refused_new_plan_comes_back_with_each_field_marked(client):
    login(client, "sonoivu")
    response = post_form(client, "/plans/", {"number": "45", "issued_on": "2026-03-01", "issuer": "UBND",
                                             "title": "Kiểm tra", "period_start": "2026-04-01",
                                             "period_end": "2026-03-01"})
    assert response.status_code == 303 and response.headers["location"].startswith("/plans/new?flash=")
    page = followed(client, response).text
    assert "Nhập số, ký hiệu dạng 33/KH-UBND." in page and "Ngày kết thúc phải sau ngày bắt đầu." in page
    assert 'value="Kiểm tra"' in page or ">Kiểm tra</textarea>" in page


def test_a_refused_new_remediation_item_keeps_its_text(client):
    login(client, "truongdoan")
    visit = next(v for v in client.get("/api/v1/visits").json() if v["status"] == "signed_off")
    response = post_form(client, f"/visits/{visit['id']}/remediation",
                         {"form": "new", "text": "Bổ sung sổ theo dõi hồ sơ", "deadline": "2020-01-01"})
    page = followed(client, response).text
    assert "không được trước hôm nay" in alert(page)
    assert "Bổ sung sổ theo dõi hồ sơ</textarea>" in page.split('id="n-text"')[1][:200]
    assert 'value="2020-01-01"' in page.split('id="n-deadline"')[1][:200]


def test_a_refused_forms_note_is_bounded_whatever_is_posted(empty_settings):
    """Padding a refused form with fields must not fill the server's memory (review finding)."""
    from litestar.datastructures import FormMultiDict

    from inspect_app.db import Database
    from inspect_app.web import flash

    huge = FormMultiDict([(f"f{n}", "x" * 20_000) for n in range(1000)])
    single, multi = flash.typed(huge)
    assert sum(len(k) + len(v) for k, v in single.items()) <= flash.MAX_TYPED
    ticks = FormMultiDict([("unit", str(10000 + n)) for n in range(200)])
    assert len(flash.typed(ticks, lists=("unit",))[1]["unit"]) == 200  # a real schedule keeps every tick

    async def notes() -> None:
        db = await Database.open(empty_settings.db_path)
        try:
            store = flash.FlashStore(db)
            tokens = [await store.put(7, flash.Flash("error", f"lần {n}")) for n in range(100)]
            assert sum([await store.get(7, t) is not None for t in tokens]) == flash.MAX_NOTES_PER_USER
            assert (await store.get(7, tokens[-1])).message == "lần 99" and await store.get(8, tokens[-1]) is None
            big = await store.put(7, flash.Flash("error", "to", form=single, lists=multi))
            assert (await store.get(7, big)).form == single  # kept whole: bounded by `typed`, not cut again
        finally:
            await db.close()
    run(notes())
