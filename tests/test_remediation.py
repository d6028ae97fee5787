"""Remediation follow-up: items from a signed-off visit, the unit's answers, review, reminders, access."""

from __future__ import annotations

import email
import io
import socket
import uuid

from conftest import csrf_token, followed, login, post_form, text_of
import dbtarget
import dbchecks
from PIL import Image

from inspect_app.cli import main as cli
from fill import SAMPLE_ROWS, typed


def h(client) -> dict:
    return {"x-csrftoken": csrf_token(client), "Idempotency-Key": str(uuid.uuid4())}


def jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (800, 600), (30, 120, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


def dump(settings) -> list:
    tables = ("remediation_items", "remediation_responses", "evidence_files")
    return [[tuple(r) for r in rows]
            for rows in dbchecks.run_many(settings, [(f"SELECT * FROM {t} ORDER BY 1", ()) for t in tables])]


def test_api_lists_only_the_callers_scope_with_the_contract_fields(client):
    login(client, "dv10532")
    mine = client.get("/api/v1/remediation").json()
    assert len(mine) == 5 and {i["unit_code"] for i in mine} == {"10532"}
    assert set(mine[0]) >= {"id", "unit_code", "visit_id", "item_code", "text", "deadline", "status", "overdue"}
    assert {i["status"] for i in mine} == {"accepted", "returned", "open"}
    login(client, "sonoivu")
    everything = client.get("/api/v1/remediation").json()
    assert len(everything) == 12
    assert any(i["overdue"] for i in everything)
    assert {i["status"] for i in everything} == {"open", "answered", "returned", "accepted"}


def test_unit_a_cannot_see_or_touch_anything_of_unit_b(client, settings):
    login(client, "sonoivu")
    theirs = [i for i in client.get("/api/v1/remediation").json() if i["unit_code"] == "10532"]
    their_files = [r[0] for r in dbtarget.sql(settings, "SELECT id FROM evidence_files WHERE visit_id = ?",
                                              theirs[0]["visit_id"])]
    before = dump(settings)
    login(client, "dv11086")
    listed = client.get("/api/v1/remediation").json()
    assert listed and all(i["unit_code"] == "11086" for i in listed)
    assert "Lê Thanh Nghị" not in client.get("/remediation").text
    for item in theirs:
        assert client.get(f"/remediation/{item['id']}").status_code == 404
        assert client.get(f"/api/v1/remediation/{item['id']}").status_code == 404
        assert post_form(client, f"/remediation/{item['id']}/answer", {"text": "Chúng tôi đã khắc phục xong",
                                                                        "action": "submit"}).status_code == 404
        answer = client.post(f"/api/v1/remediation/{item['id']}/answers", data={"text": "đã khắc phục xong rồi"},
                             files={"file": ("x.jpg", jpeg(), "image/jpeg")}, headers=h(client))
        assert answer.status_code == 404
        assert client.post(f"/api/v1/remediation/{item['id']}/review", json={"decision": "accept"},
                           headers=h(client)).status_code == 403
    for file_id in their_files:
        assert client.get(f"/evidence/{file_id}/file").status_code == 404
        assert client.get(f"/api/v1/evidence/{file_id}").status_code == 404
    assert client.get(f"/visits/{theirs[0]['visit_id']}").status_code == 404
    for guess in range(1, 40):  # guessed ids: nothing of another unit answers 200
        response = client.get(f"/api/v1/remediation/{guess}")
        assert response.status_code == 404 or response.json()["item"]["unit_code"] == "11086"
    assert dump(settings) == before


def answer_every_item(client, visit):
    tree = client.get(f"/api/v1/checklists/{visit['checklist_id']}", params={"version": visit["checklist_version"]})
    items = typed([i for a in tree.json()["checklist"]["areas"] for c in a["criteria"] for i in c["items"]])
    for n, item in enumerate(items):
        answer = {"yesno": n % 3 != 0, "levels": (item["levels"] or [{}])[-1].get("key"), "score": 0,
                  "ratio": [5, 10], "count": 0, "deduction": 1, "text": "ghi nhận", "date": "2026-01-02",
                  "sample": SAMPLE_ROWS}[item["type"]]
        response = client.put(f"/api/v1/visits/{visit['id']}/findings/{item['code']}", headers=h(client),
                              json={"answer": answer, "note": "Chưa đạt yêu cầu" if n % 3 == 0 else "",
                                    "base_version": 0})
        assert response.status_code == 200, response.text


def test_lead_confirms_merges_and_adds_items_then_the_unit_answers_and_admin_reviews(client, settings):
    login(client, "truongdoan")
    visit = next(v for v in client.get("/api/v1/visits").json() if v["unit_code"] == "11560")
    answer_every_item(client, visit)
    assert client.post(f"/api/v1/visits/{visit['id']}/sign-off", headers=h(client),
                       json={"unit_representative": "Ông Vũ Văn Long, Chủ tịch UBND phường",
                             "missing_evidence_reason": "Đã đối chiếu bản gốc tại đơn vị"}).status_code == 200
    page = client.get(f"/visits/{visit['id']}/remediation")
    assert "Đề xuất từ các tiêu chí chưa đạt" in page.text
    finding_ids = [int(x.split('"')[0]) for x in page.text.split('name="finding_id" value="')[1:]]
    proposals = sorted(set(finding_ids))
    assert len(proposals) >= 3
    deadline = page.text.split('name="deadline" type="date" value="')[1].split('"')[0]
    one = post_form(client, f"/visits/{visit['id']}/remediation",
                    {"finding_id": str(proposals[0]), "text": "Bổ sung kế hoạch tự kiểm tra, niêm yết đầy đủ.",
                     "deadline": deadline})
    assert one.status_code == 303
    merged = client.post(f"/visits/{visit['id']}/remediation", follow_redirects=False, data={
        "finding_id": [str(proposals[1]), str(proposals[2])], "text": "Khắc phục hai tồn tại về thủ tục hành chính.",
        "deadline": deadline, "_csrf_token": csrf_token(client)})
    assert merged.status_code == 303
    again = post_form(client, f"/visits/{visit['id']}/remediation",
                      {"finding_id": str(proposals[0]), "text": "Trùng lặp kiến nghị đã lập", "deadline": deadline})
    assert "đã có kiến nghị" in followed(client, again).text
    past = post_form(client, f"/visits/{visit['id']}/remediation",
                     {"text": "Kiến nghị với hạn đã qua", "deadline": "2020-01-01"})
    assert "không được trước hôm nay" in followed(client, past).text
    extra = post_form(client, f"/visits/{visit['id']}/remediation",
                      {"text": "Tổ chức tập huấn nghiệp vụ một cửa cho công chức.", "deadline": deadline})
    assert extra.status_code == 303
    items = [i for i in client.get("/api/v1/remediation").json() if i["visit_id"] == visit["id"]]
    assert len(items) == 3 and all(i["status"] == "open" for i in items)
    merged_item = next(i for i in items if "hai tồn tại" in i["text"])
    assert merged_item["item_code"].count(",") == 1

    # The unit officer answers: a draft first, then submitted with a photo.
    login(client, "dv11560")
    draft = client.post(f"/remediation/{merged_item['id']}/answer", follow_redirects=False, data={
        "text": "Đang thực hiện", "action": "draft", "_csrf_token": csrf_token(client)})
    assert draft.status_code == 303
    assert client.get(f"/api/v1/remediation/{merged_item['id']}").json()["item"]["status"] == "open"
    submitted = client.post(f"/remediation/{merged_item['id']}/answer", follow_redirects=False, data={
        "text": "Đã niêm yết lại đầy đủ 125 thủ tục, gỡ bỏ 6 thủ tục hết hiệu lực.", "action": "submit",
        "idempotency_key": str(uuid.uuid4()), "_csrf_token": csrf_token(client)},
        files={"file": ("niem-yet.jpg", jpeg(), "image/jpeg")})
    assert submitted.status_code == 303
    detail = client.get(f"/api/v1/remediation/{merged_item['id']}").json()
    assert detail["item"]["status"] == "answered" and len(detail["files"]) == 1
    assert detail["thread"][-1]["text"].startswith("Đã niêm yết lại")
    assert client.get(f"/evidence/{detail['files'][0]['id']}/file").status_code == 200

    # The Sở Nội vụ returns it (a comment is required), the unit answers again, it is accepted.
    login(client, "sonoivu")
    bare = client.post(f"/api/v1/remediation/{merged_item['id']}/review", json={"decision": "return"},
                       headers=h(client))
    assert bare.status_code == 422 and "ghi rõ" in bare.json()["message"]
    returned = client.post(f"/api/v1/remediation/{merged_item['id']}/review", headers=h(client),
                           json={"decision": "return", "comment": "Bổ sung ảnh toàn cảnh bảng niêm yết."})
    assert returned.status_code == 200 and returned.json()["item"]["status"] == "returned"
    login(client, "dv11560")
    second = client.post(f"/api/v1/remediation/{merged_item['id']}/answers", headers=h(client),
                         data={"text": "Gửi bổ sung ảnh toàn cảnh."}, files={"file": ("toan-canh.jpg", jpeg(), "image/jpeg")})
    assert second.status_code == 201 and second.json()["item"]["status"] == "answered"
    login(client, "sonoivu")
    before = client.get("/remediation").text
    accepted = client.post(f"/api/v1/remediation/{merged_item['id']}/review", headers=h(client),
                           json={"decision": "accept", "comment": "Đạt."})
    assert accepted.json()["item"]["status"] == "accepted"
    kinds = [t["kind"] for t in accepted.json()["thread"]]
    assert kinds == ["answer", "return", "answer", "accept"]
    after = client.get("/remediation").text
    assert text_of(before) != text_of(after)
    late = client.post(f"/api/v1/remediation/{merged_item['id']}/review", headers=h(client),
                       json={"decision": "accept"})
    assert late.status_code == 409
    actions = [r[0] for r in dbtarget.sql(settings, "SELECT action FROM audit_log WHERE subject_type = 'remediation'"
                                          " AND subject_id = ? ORDER BY id", str(merged_item["id"]))]
    assert actions == ["remediation.create", "remediation.draft", "remediation.draft", "remediation.answer",
                       "remediation.return", "remediation.draft", "remediation.answer", "remediation.accept"]


def test_items_only_after_sign_off(client):
    login(client, "truongdoan")
    visit = next(v for v in client.get("/api/v1/visits").json() if v["unit_code"] == "10525")
    response = post_form(client, f"/visits/{visit['id']}/remediation", {"text": "Kiến nghị quá sớm", "deadline": "2030-01-01"})
    assert "sau khi cuộc kiểm tra đã ký duyệt" in followed(client, response).text


def test_reminders_page_and_home_badge(client):
    login(client, "dv11086")
    page = text_of(client.get("/remediation/reminders").text)
    assert "quá hạn 4 ngày" in page and "Xã Đại Sơn" in page
    home = client.get("/").text
    assert 'class="home-badge"' in home


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_reminders_command_prints_and_emails_the_digest_per_unit(settings, monkeypatch, capsys):
    from aiosmtpd.controller import Controller

    received: list[email.message.Message] = []

    class Sink:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's hook name
            received.append(email.message_from_bytes(envelope.content))
            return "250 OK"

    port = free_port()
    smtp = Controller(Sink(), hostname="127.0.0.1", port=port)
    smtp.start()
    try:
        dbchecks.point_cli_at(monkeypatch, settings)
        monkeypatch.setenv("INSPECT_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("INSPECT_SMTP_PORT", str(port))
        assert cli(["reminders"]) == 0
    finally:
        smtp.stop()
    out = capsys.readouterr().out
    assert "Xã Đại Sơn (11086)" in out and "QUÁ HẠN: 1 kiến nghị" in out
    recipients = sorted(m["To"] for m in received)
    assert recipients == ["dv11086@demo.sokiemtra.invalid", "dv11848@demo.sokiemtra.invalid"]
    body = next(m for m in received if m["To"].startswith("dv11086")).get_payload(decode=True).decode()
    assert "quá hạn 4 ngày" in body
    subject = str(email.header.make_header(email.header.decode_header(received[0]["Subject"])))
    assert subject.startswith("[Sổ Kiểm Tra] Nhắc việc khắc phục")


def test_reminders_without_smtp_only_print(settings, monkeypatch, capsys):
    dbchecks.point_cli_at(monkeypatch, settings)
    monkeypatch.delenv("INSPECT_SMTP_HOST", raising=False)
    assert cli(["reminders", "--date", "2000-01-01"]) == 0
    assert "không có kiến nghị nào quá hạn" in capsys.readouterr().out
