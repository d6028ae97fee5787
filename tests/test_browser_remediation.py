"""Remediation in Chromium: sign off, confirm an item, the unit answers with a photo, return, accept."""

from __future__ import annotations

import io

import pytest
from fill import SAMPLE_ROWS, typed
from browser import ARTIFACTS, api_headers, log_in
from PIL import Image

pytestmark = pytest.mark.browser


def answer_all(page, context, server, visit) -> None:
    tree = page.request.get(f"{server.url}/api/v1/checklists/{visit['checklist_id']}",
                            params={"version": visit["checklist_version"]}).json()["checklist"]
    for n, item in enumerate(typed([i for a in tree["areas"] for c in a["criteria"] for i in c["items"]])):
        answer = {"yesno": n % 4 != 0, "levels": (item["levels"] or [{}])[0].get("key"), "score": 0,
                  "ratio": [9, 10], "count": 1, "deduction": 0, "text": "ghi nhận", "date": "2026-01-02",
                  "sample": SAMPLE_ROWS}[item["type"]]
        response = page.request.put(f"{server.url}/api/v1/visits/{visit['id']}/findings/{item['code']}",
                                    headers=api_headers(context), data={"answer": answer, "base_version": 0})
        assert response.ok, response.text()


def figure(page, label: str) -> int:
    text = page.locator(".figures").inner_text()
    return int(next(line.split()[0] for line in text.split("\n") if label in line))


def test_from_sign_off_to_a_closed_item(browser, server, tmp_path):
    from playwright.sync_api import expect

    photo = tmp_path / "khac-phuc.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (40, 120, 200)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())
    viewport = {"width": 768, "height": 1024}

    lead = browser.new_context(viewport=viewport)
    page = lead.new_page()
    log_in(page, server, "truongdoan")
    visit = next(v for v in page.request.get(server.url + "/api/v1/visits").json() if v["unit_code"] == "10525")
    answer_all(page, lead, server, visit)
    page.goto(f"{server.url}/visits/{visit['id']}/sign-off")
    page.get_by_label("Đại diện đơn vị được kiểm tra").fill("Bà Trần Thị Mai, Phó Chủ tịch UBND phường")
    page.get_by_label("Nhận xét chung của Đoàn").fill("Đơn vị thực hiện tương đối tốt; còn một số tồn tại.")
    page.get_by_label("Tôi xác nhận ký duyệt khi còn").check()  # items still lack their required evidence
    page.get_by_label("Lý do").fill("Đơn vị xuất trình bản gốc tại buổi kiểm tra.")
    page.get_by_role("button", name="Ký duyệt").click()
    expect(page.locator(".alert-info")).to_contain_text("đã ký duyệt")
    page.goto(f"{server.url}/visits/{visit['id']}/remediation")
    page.locator("form.proposal").first.get_by_role("button", name="Xác nhận kiến nghị").click()
    expect(page.locator("section").first).to_contain_text("Đã lập (1)")
    item_url = page.locator("section").first.locator("a").first.get_attribute("href")
    lead.close()

    officer = browser.new_context(viewport=viewport)
    unit_page = officer.new_page()
    log_in(unit_page, server, "dv10525")
    unit_page.goto(server.url + "/remediation")
    unit_page.locator(f"a[href='{item_url}']").click()
    unit_page.get_by_label("Biện pháp và kết quả khắc phục").fill("Đã ban hành kế hoạch bổ sung số 15/KH-UBND.")
    unit_page.locator("input[type=file]").set_input_files(str(photo))
    unit_page.get_by_role("button", name="Gửi Sở Nội vụ").click()
    expect(unit_page.locator("body")).to_contain_text("Chờ xem xét")
    expect(unit_page.locator(".thread-answer img")).to_have_count(1)

    admin = browser.new_context(viewport=viewport)
    admin_page = admin.new_page()
    log_in(admin_page, server, "sonoivu")
    admin_page.goto(server.url + "/remediation")
    closed_before = figure(admin_page, "đóng đúng hạn")
    admin_page.goto(server.url + item_url)
    admin_page.get_by_label("Nhận xét").fill("Đề nghị gửi kèm bản scan kế hoạch có chữ ký.")
    admin_page.get_by_role("button", name="Trả lại").click()
    expect(admin_page.locator("body")).to_contain_text("Bị trả lại")

    unit_page.reload()
    unit_page.get_by_label("Biện pháp và kết quả khắc phục").fill("Gửi bổ sung bản scan kế hoạch 15/KH-UBND.")
    unit_page.get_by_role("button", name="Gửi Sở Nội vụ").click()
    expect(unit_page.locator("body")).to_contain_text("Chờ xem xét")

    admin_page.reload()
    admin_page.get_by_role("button", name="Chấp nhận, đóng kiến nghị").click()
    expect(admin_page.locator("body")).to_contain_text("Đã đóng")
    ARTIFACTS.mkdir(exist_ok=True)
    admin_page.screenshot(path=str(ARTIFACTS / "remediation-closed-768x1024.png"), full_page=True)
    admin_page.goto(server.url + "/remediation")
    assert figure(admin_page, "đóng đúng hạn") == closed_before + 1
    for context in (officer, admin):
        context.close()
