"""Sign-off says up front what stops it, and the plan's settings decide what missing evidence means.

Issue 15, "What users tripped on" 4, 8 and 10: "Ký duyệt" was active with 60 items unanswered and
refused only after submitting, with a doubled "…."; 62 items without their required evidence
signed off with no warning; the settings live in the plan page's "Thiết lập" section.
"""

from __future__ import annotations

import json
import re
import uuid

from conftest import csrf_token, followed, login, post_form, text_of
import dbtarget
from fill import SAMPLE_ROWS, typed


def h(client) -> dict:
    return {"x-csrftoken": csrf_token(client), "Idempotency-Key": str(uuid.uuid4())}


def visit_of(client, unit_code: str = "10525") -> dict:
    return next(v for v in client.get("/api/v1/visits").json() if v["unit_code"] == unit_code)


def items_of(client, visit) -> list[dict]:
    tree = client.get(f"/api/v1/checklists/{visit['checklist_id']}", params={"version": visit["checklist_version"]})
    return [i for a in tree.json()["checklist"]["areas"] for c in a["criteria"] for i in c["items"]]


def answer(client, visit, items) -> None:
    for item in typed(items):
        value = {"yesno": True, "levels": (item["levels"] or [{}])[0].get("key"), "score": 0, "ratio": [1, 1],
                 "count": 0, "deduction": 0, "text": "ghi nhận", "date": "2026-01-02",
                 "sample": SAMPLE_ROWS}[item["type"]]
        response = client.put(f"/api/v1/visits/{visit['id']}/findings/{item['code']}", headers=h(client),
                              json={"answer": value, "base_version": 0})
        assert response.status_code == 200, response.text


def rows(settings, sql, *params):
    return [tuple(r) for r in dbtarget.sql(settings, sql, *params)]


def sign_off_form(html: str) -> str:
    return html.split('id="sign-off"')[1].split("</form>")[0]


def test_sign_off_is_disabled_and_explained_while_items_are_unanswered(client):
    login(client, "truongdoan")
    visit = visit_of(client)
    items = items_of(client, visit)
    answer(client, visit, items[:6])
    page = client.get(f"/visits/{visit['id']}/sign-off").text
    form = sign_off_form(page)
    button = re.search(r"<button[^>]*>Ký duyệt</button>", form).group(0)
    assert "disabled" in button and 'aria-describedby="sign-off-blocked"' in button
    assert f"còn {len(items) - 6} tiêu chí chưa trả lời" in text_of(form)
    # Said at the top too: the lead need not scroll past the list to learn why the button is off.
    top = text_of(page.split('<section class="card">')[0])
    assert f"Chưa ký duyệt được: còn {len(items) - 6} tiêu chí chưa trả lời." in top
    # A forced submit (an old page, a script) is still refused, and the page says why, once.
    refused = post_form(client, f"/visits/{visit['id']}/sign-off", {"unit_representative": "Ông A"})
    assert refused.status_code == 303 and "flash=" in refused.headers["location"]
    message = text_of(followed(client, refused).text.split('class="alert alert-error" role="alert">')[1].split("</p>")[0])
    assert message.startswith(f"Còn {len(items) - 6} tiêu chí chưa trả lời:")
    assert "…." not in message and ".." not in message and message.endswith("trước khi ký duyệt.")
    assert f"và {len(items) - 6 - 12} tiêu chí khác" in message


def test_missing_evidence_needs_a_confirmed_reason_which_the_audit_keeps(client, settings):
    login(client, "truongdoan")
    visit = visit_of(client)
    answer(client, visit, items_of(client, visit))
    page = client.get(f"/visits/{visit['id']}/sign-off").text
    missing = int(re.search(r"Thiếu minh chứng \((\d+)\)", page).group(1))
    assert missing > 50
    form = sign_off_form(page)
    assert f"Còn {missing} tiêu chí thiếu minh chứng bắt buộc" in form
    assert 'name="confirm_missing_evidence"' in form and 'name="missing_evidence_reason"' in form
    assert "disabled" not in re.search(r"<button[^>]*>Ký duyệt</button>", form).group(0)
    # Without the confirmation and a reason: refused, the count said, what was typed kept.
    refused = post_form(client, f"/visits/{visit['id']}/sign-off",
                        {"unit_representative": "Ông Vũ Văn Long", "remarks": "Nhận xét của Đoàn"})
    shown = followed(client, refused).text
    assert f"Còn {missing} tiêu chí thiếu minh chứng bắt buộc" in text_of(shown) and "nêu lý do" in shown
    assert 'value="Ông Vũ Văn Long"' in shown and "Nhận xét của Đoàn</textarea>" in shown
    assert visit_of(client)["status"] == "in_progress"
    # Confirmed with a reason: signed off, and the audit entry keeps the reason and the items.
    reason = "Đơn vị xuất trình bản gốc tại buổi kiểm tra; bản chụp gửi bổ sung sau."
    signed = post_form(client, f"/visits/{visit['id']}/sign-off", {
        "unit_representative": "Ông Vũ Văn Long", "confirm_missing_evidence": "1", "missing_evidence_reason": reason})
    assert signed.status_code == 303 and "Đã ký duyệt lúc" in followed(client, signed).text
    assert visit_of(client)["status"] == "signed_off"
    after = json.loads(rows(settings, "SELECT after_json FROM audit_log WHERE action = 'visit.sign_off'"
                                      " AND subject_id = ?", str(visit["id"]))[0][0])
    assert after["missing_evidence_reason"] == reason and len(after["missing_evidence"]) == missing


def test_the_api_applies_the_same_policy_with_a_code_and_the_count(client):
    login(client, "truongdoan")
    visit = visit_of(client)
    answer(client, visit, items_of(client, visit))
    url = f"/api/v1/visits/{visit['id']}/sign-off"
    refused = client.post(url, headers=h(client), json={"unit_representative": "Ông A"})
    body = refused.json()
    assert refused.status_code == 409 and body["error"] == "missing_evidence_reason_required"
    assert body["count"] == len(body["missing_evidence"]) > 50 and str(body["count"]) in body["message"]
    ok = client.post(url, headers=h(client), json={"unit_representative": "Ông A", "missing_evidence_reason": "Lý do"})
    assert ok.status_code == 200


def test_the_refuse_policy_set_by_the_admin_blocks_sign_off_until_evidence_is_complete(client, settings):
    login(client, "sonoivu")
    plan_id = client.get("/api/v1/plans").json()[0]["id"]
    page = client.get(f"/plans/{plan_id}").text
    section = page.split('id="settings"')[1].split("</section>")[0]
    assert "Thiết lập" in page and 'name="missing_evidence_policy" value="confirm" checked' in section
    saved = post_form(client, f"/plans/{plan_id}/settings",
                      {"missing_evidence_policy": "refuse", "base_missing_evidence_policy": "0"})
    assert "Đã lưu thiết lập" in followed(client, saved).text
    assert rows(settings, "SELECT value, version FROM plan_settings WHERE plan_id = ?", plan_id) == [("refuse", 1)]
    audit = rows(settings, "SELECT actor, before_json, after_json FROM audit_log WHERE action = 'plan.settings'")
    assert audit[-1][0] == "sonoivu" and json.loads(audit[-1][2])["value"] == "refuse"
    # The form of a page opened before that change names version 0: refused, nothing changed.
    stale = post_form(client, f"/plans/{plan_id}/settings",
                      {"missing_evidence_policy": "confirm", "base_missing_evidence_policy": "0"})
    assert "Người khác vừa thay đổi" in followed(client, stale).text
    assert rows(settings, "SELECT value FROM plan_settings WHERE plan_id = ?", plan_id) == [("refuse",)]
    bad = post_form(client, f"/plans/{plan_id}/settings",
                    {"missing_evidence_policy": "tuy-y", "base_missing_evidence_policy": "1"})
    assert "Giá trị không hợp lệ" in followed(client, bad).text

    login(client, "truongdoan")
    # The lead sees the setting, cannot change it.
    assert "Không cho ký duyệt cho đến khi đủ minh chứng" in client.get(f"/plans/{plan_id}").text
    assert post_form(client, f"/plans/{plan_id}/settings", {"missing_evidence_policy": "confirm",
                                                            "base_missing_evidence_policy": "1"}).status_code == 403
    visit = visit_of(client)
    answer(client, visit, items_of(client, visit))
    form = sign_off_form(client.get(f"/visits/{visit['id']}/sign-off").text)
    assert "disabled" in re.search(r"<button[^>]*>Ký duyệt</button>", form).group(0)
    assert "không cho ký duyệt khi chưa đủ minh chứng" in text_of(form)
    api = client.post(f"/api/v1/visits/{visit['id']}/sign-off", headers=h(client),
                      json={"unit_representative": "Ông A", "missing_evidence_reason": "Lý do"})
    assert api.status_code == 409 and api.json()["error"] == "missing_evidence" and api.json()["count"] > 50
    assert visit_of(client)["status"] == "in_progress"


def test_the_checks_run_again_inside_the_sign_off_transaction(client, settings, monkeypatch):
    """An answer cleared between the page's check and the write must still stop the sign-off."""
    from inspect_app.services import visits

    login(client, "truongdoan")
    visit = visit_of(client)
    answer(client, visit, items_of(client, visit)[:3])  # started, 63 items still unanswered
    real, calls = visits.sign_off_check, []

    async def clean_then_real(db, v, checklist):
        calls.append(db)
        check = await real(db, v, checklist)
        return check if len(calls) > 1 else visits.SignOffCheck(unanswered=[], missing_evidence=[], policy="confirm")

    monkeypatch.setattr(visits, "sign_off_check", clean_then_real)
    refused = client.post(f"/api/v1/visits/{visit['id']}/sign-off", headers=h(client),
                          json={"unit_representative": "Ông Nguyễn Văn A"})
    assert refused.status_code == 409 and refused.json()["error"] == "incomplete", refused.text
    assert len(calls) == 2
    assert rows(settings, "SELECT status FROM visits WHERE id = ?", visit["id"]) == [("in_progress",)]
