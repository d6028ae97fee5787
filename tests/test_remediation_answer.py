"""The unit's remediation answer is one use case (services/remediation.answer): every file checked and
stored first, each decoded once, then ONE transaction for the answer, its files, the submission and
their audit rows. The form and the JSON route differ only in parsing and rendering."""

from __future__ import annotations

import io
import uuid

from conftest import csrf_token, followed, login, post_form, run, text_of
import dbchecks
import dbtarget
from PIL import Image

from inspect_app.db import open_database
from inspect_app.queries import remediation as remediation_q
from inspect_app.queries import users as users_q
from inspect_app.services import attach, remediation

UNIT = "11086"  # its officer dv11086 has open items in the demo
NOT_AN_IMAGE = ("bien-ban.jpg", "Đây là văn bản, không phải ảnh".encode(), "image/jpeg")


def jpeg(shade: int = 0) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (30 + shade, 120, 60)).save(buffer, "JPEG")
    return buffer.getvalue()


def photos(n: int) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [("file", (f"anh-{i}.jpg", jpeg(i), "image/jpeg")) for i in range(n)]


def written(settings) -> dict[str, list]:
    """What an answer may write: responses, file rows, item states, audit rows, stored keys."""
    tables = ("remediation_responses", "evidence_files", "remediation_items", "audit_log", "idempotency_keys")
    results = dbchecks.run_many(settings, [(f"SELECT * FROM {table} ORDER BY 1", ()) for table in tables])
    return {table: [tuple(r) for r in rows] for table, rows in zip(tables, results, strict=True)}


def open_item(client) -> dict:
    return next(i for i in client.get("/api/v1/remediation").json() if i["status"] == "open")


def headers(client, key: str | None = None) -> dict:
    return {"x-csrftoken": csrf_token(client), **({"Idempotency-Key": key} if key else {})}


def count_decodes(monkeypatch) -> list[str]:
    """The file names the evidence pipeline decodes (services/evidence.ingest, as attach calls it)."""
    decoded: list[str] = []
    real = attach.ingest

    def counting(data, root, *, declared_name, max_bytes):
        decoded.append(declared_name)
        return real(data, root, declared_name=declared_name, max_bytes=max_bytes)

    monkeypatch.setattr(attach, "ingest", counting)
    return decoded


def test_a_bad_third_file_refuses_the_whole_api_answer_and_writes_nothing(client, settings):
    login(client, f"dv{UNIT}")
    item = open_item(client)
    before = written(settings)
    response = client.post(f"/api/v1/remediation/{item['id']}/answers", headers=headers(client, str(uuid.uuid4())),
                           data={"text": "Đơn vị đã niêm yết lại đầy đủ thủ tục hành chính."},
                           files=[*photos(2), ("file", NOT_AN_IMAGE)])
    assert response.status_code == 422 and "không phải ảnh" in response.json()["message"]
    assert written(settings) == before  # no response row, no file row, no audit row, no key


def test_a_bad_third_file_refuses_the_whole_form_answer_and_keeps_the_text(client, settings):
    login(client, f"dv{UNIT}")
    item = open_item(client)
    before = written(settings)
    text = "Đơn vị đã niêm yết lại đầy đủ thủ tục hành chính."
    response = post_form(client, f"/remediation/{item['id']}/answer",
                         {"text": text, "action": "submit", "idempotency_key": str(uuid.uuid4())},
                         files=[*photos(2), ("file", NOT_AN_IMAGE)])
    page = followed(client, response).text
    assert "không phải ảnh" in text_of(page) and "Các tệp đã chọn chưa được lưu" in text_of(page)
    assert text in page.split('id="a-text"')[1].split("</textarea>")[0]
    assert written(settings) == before


def test_more_than_four_files_are_refused_before_any_is_decoded(client, settings, monkeypatch):
    login(client, f"dv{UNIT}")
    item = open_item(client)
    decoded = count_decodes(monkeypatch)
    before = written(settings)
    response = client.post(f"/api/v1/remediation/{item['id']}/answers", headers=headers(client),
                           data={"text": "Đơn vị đã khắc phục xong."}, files=photos(5))
    assert response.status_code == 422 and response.json()["error"] == "too_many_files"
    assert decoded == [] and written(settings) == before


def test_each_upload_is_decoded_once_by_the_api_and_by_the_form(client, settings, monkeypatch):
    login(client, f"dv{UNIT}")
    first, second = [i for i in client.get("/api/v1/remediation").json() if i["status"] == "open"][:2]
    decoded = count_decodes(monkeypatch)
    response = client.post(f"/api/v1/remediation/{first['id']}/answers", headers=headers(client, str(uuid.uuid4())),
                           data={"text": "Đơn vị đã khắc phục, gửi kèm ảnh."}, files=photos(3))
    assert response.status_code == 201 and len(response.json()["files"]) == 3
    assert decoded == ["anh-0.jpg", "anh-1.jpg", "anh-2.jpg"]
    decoded.clear()
    form = post_form(client, f"/remediation/{second['id']}/answer",
                     {"text": "Đang thực hiện, gửi trước hai ảnh.", "action": "draft"}, files=photos(2))
    assert "Đã lưu nháp" in text_of(followed(client, form).text)
    assert decoded == ["anh-0.jpg", "anh-1.jpg"]


def test_a_repeated_key_answers_as_the_first_time_and_adds_nothing(client, settings, monkeypatch):
    login(client, f"dv{UNIT}")
    item = open_item(client)
    key = str(uuid.uuid4())
    body = {"text": "Đơn vị đã khắc phục, gửi kèm hai ảnh niêm yết."}
    first = client.post(f"/api/v1/remediation/{item['id']}/answers", headers=headers(client, key), data=body,
                        files=photos(2))
    assert first.status_code == 201 and first.json()["item"]["status"] == "answered"
    after_first = written(settings)
    decoded = count_decodes(monkeypatch)
    again = client.post(f"/api/v1/remediation/{item['id']}/answers", headers=headers(client, key), data=body,
                        files=photos(2))
    assert again.status_code == 201 and again.json() == first.json()
    assert written(settings) == after_first and decoded == []  # not even decoded again
    other = client.post(f"/api/v1/remediation/{item['id']}/answers", headers=headers(client, key),
                        data={"text": "Một nội dung khác hẳn lần đầu."}, files=photos(1))
    assert other.status_code == 409 and other.json()["error"] == "idempotency_key_reused"
    # Without a key (as before): a new request, refused because the item now waits on the Sở Nội vụ.
    unkeyed = client.post(f"/api/v1/remediation/{item['id']}/answers", headers=headers(client), data=body,
                          files=photos(1))
    assert unkeyed.status_code == 409 and unkeyed.json()["error"] == "bad_status"
    assert written(settings) == after_first


def test_an_answer_without_a_key_is_still_taken(client):
    login(client, f"dv{UNIT}")
    item = open_item(client)
    response = client.post(f"/api/v1/remediation/{item['id']}/answers", headers=headers(client),
                           data={"text": "Đơn vị đã khắc phục xong tồn tại."}, files=photos(1))
    assert response.status_code == 201 and len(response.json()["files"]) == 1


def test_the_answer_is_one_transaction_with_every_row(settings, monkeypatch):
    """Service level: one `db.transaction()` holds the response, the files, the submission and the audit."""

    async def scenario():
        db = await open_database(settings.database)
        try:
            officer = await users_q.get_user_by_username(db, f"dv{UNIT}")
            row = next(r for r in await remediation_q.list_items(db, unit_code=UNIT) if r.status == "open")
            opened: list[int] = []
            backend = type(db)  # db.Database or db_postgres.PgDatabase
            real = backend.transaction

            def counting(self):
                opened.append(1)
                return real(self)

            monkeypatch.setattr(backend, "transaction", counting)
            result, replayed = await remediation.answer(
                db, officer, row, text="Đơn vị đã khắc phục, gửi kèm ba ảnh.", submit=True,
                files=[(jpeg(i), f"anh-{i}.jpg") for i in range(3)], root=settings.evidence_dir,
                idempotency_key="one-transaction")
            return opened, result, replayed, await remediation_q.get_item(db, row.id)
        finally:
            await db.close()

    opened, result, replayed, row = run(scenario())
    assert opened == [1] and not replayed
    assert row.status == "answered" and result.submitted and len(result.evidence_ids) == 3
    files = dbtarget.sql(settings, "SELECT count(*) FROM evidence_files WHERE response_id = ?", result.response_id)
    assert files[0][0] == 3
    actions = [r[0] for r in dbtarget.sql(
        settings, "SELECT action FROM audit_log WHERE id > (SELECT max(id) - 5 FROM audit_log) ORDER BY id")]
    assert actions == ["remediation.draft", "evidence.add", "evidence.add", "evidence.add", "remediation.answer"]
