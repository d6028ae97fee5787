"""Scheduling and sign-off in Chromium at 768×1024 (issue 15, "What users tripped on" 1 and 4)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from fill import SAMPLE_ROWS, typed
from browser import ARTIFACTS, api_headers, log_in

pytestmark = pytest.mark.browser

TABLET = {"width": 768, "height": 1024}
SHOTS = Path("/work/shots")


def shoot(page, name: str) -> None:
    """Keep a screenshot with the test artifacts (and in /work/shots when that folder exists)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=False)
    if SHOTS.is_dir():
        page.screenshot(path=str(SHOTS / name), full_page=False)


def test_scheduling_search_without_diacritics_select_all_and_the_fitting_checklist(browser, server):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=TABLET, locale="vi-VN")
    page = context.new_page()
    log_in(page, server, "sonoivu")
    plan = page.request.get(server.url + "/api/v1/plans").json()[0]
    page.goto(f"{server.url}/plans/{plan['id']}#settings")
    shoot(page, "plan-settings.png")
    page.get_by_text("Lên lịch kiểm tra (một hoặc nhiều đơn vị)").click()
    checklist = page.locator("#s-checklist")
    expect(checklist).to_have_value("cchc-xa")  # the list shows communes: the commune checklist
    units = page.locator("#s-units .unit-option")
    total = units.count()
    assert total == 104  # the demo's surprise one-stop visit took one ward

    page.locator("#s-q").fill("vinh")  # không dấu: finds Vĩnh …
    shown = page.locator("#s-units .unit-option:visible")
    expect(shown).not_to_have_count(total)
    names = shown.all_inner_texts()
    assert names and all("Vĩnh" in n or "Vinh" in n for n in names), names
    expect(page.locator("#s-count")).to_contain_text(f"{len(names)} đơn vị khớp")
    page.locator("#s-all").focus()
    page.keyboard.press("Space")  # a button to assistive technology, so Space works as well as a click
    expect(page.locator("#s-units input:checked")).to_have_count(len(names))
    expect(page.locator("#s-all")).to_contain_text("Bỏ chọn tất cả")
    assert page.locator("#s-units .unit-option:visible input:not(:checked)").count() == 0

    # A checklist that does not fit the ticked units switches back to one that does, and says so.
    checklist.select_option("cchc-so-nganh")
    page.locator("#s-units .unit-option:visible input").first.uncheck()
    expect(checklist).to_have_value("cchc-xa")
    expect(page.locator("#s-checklist-note")).to_contain_text("phù hợp với loại đơn vị")
    page.locator("#s-units .unit-option:visible input").first.check()
    page.locator("#s-date").fill((date.today() + timedelta(days=3)).isoformat())
    page.locator("#s-q").focus()
    shoot(page, "plan-scheduling.png")
    page.get_by_role("button", name="Lên lịch", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text(f"Đã lên lịch {len(names)} cuộc kiểm tra")
    assert "/visits" not in page.url.split("#")[0].rsplit("/", 1)[-1]  # back on the plan page, by a GET
    context.close()


def test_sign_off_shows_what_blocks_it_and_asks_a_reason_for_missing_evidence(browser, server):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=TABLET, locale="vi-VN")
    page = context.new_page()
    log_in(page, server, "truongdoan")
    visit = next(v for v in page.request.get(server.url + "/api/v1/visits").json() if v["unit_code"] == "10525")
    tree = page.request.get(f"{server.url}/api/v1/checklists/{visit['checklist_id']}",
                            params={"version": visit["checklist_version"]}).json()["checklist"]
    items = [i for a in tree["areas"] for c in a["criteria"] for i in c["items"]]

    def answer(subset):
        for item in typed(subset):  # an item derived from the sample is not typed, and counts as unanswered
            value = {"yesno": True, "levels": (item["levels"] or [{}])[0].get("key"), "score": 0, "ratio": [9, 10],
                     "count": 1, "deduction": 0, "text": "ghi nhận", "date": "2026-01-02",
                     "sample": SAMPLE_ROWS}[item["type"]]
            response = page.request.put(f"{server.url}/api/v1/visits/{visit['id']}/findings/{item['code']}",
                                        headers=api_headers(context), data={"answer": value, "base_version": 0})
            assert response.ok, response.text()

    answer(items[:6])
    page.goto(f"{server.url}/visits/{visit['id']}/sign-off")
    button = page.get_by_role("button", name="Ký duyệt")
    expect(button).to_be_disabled()
    expect(page.locator("#sign-off-blocked")).to_contain_text(f"còn {len(items) - 6} tiêu chí chưa trả lời")
    page.locator("#sign-off-blocked").scroll_into_view_if_needed()
    shoot(page, "plan-sign-off-blocked.png")

    answer(items[6:])
    page.reload()
    expect(button).to_be_enabled()
    legend = page.locator(".confirm-missing legend")
    expect(legend).to_contain_text("tiêu chí thiếu minh chứng bắt buộc")
    page.get_by_label("Đại diện đơn vị được kiểm tra").fill("Bà Trần Thị Mai, Phó Chủ tịch UBND phường")
    page.get_by_label("Nhận xét chung của Đoàn").fill("Đơn vị thực hiện tương đối tốt.")
    # The browser itself asks for the confirmation before anything is sent.
    button.click()
    assert "/sign-off" in page.url and page.locator(".confirm-missing input[type=checkbox]").evaluate(
        "el => !el.validity.valid")
    page.get_by_label("Tôi xác nhận ký duyệt khi còn").check()
    page.get_by_label("Lý do").fill("Đơn vị xuất trình bản gốc tại buổi kiểm tra; bản chụp gửi bổ sung sau.")
    page.locator(".confirm-missing").scroll_into_view_if_needed()
    shoot(page, "plan-sign-off.png")
    button.click()
    expect(page.locator(".alert-success").first).to_contain_text("Đã ký duyệt lúc")
    status = next(v for v in page.request.get(server.url + "/api/v1/visits").json() if v["id"] == visit["id"])
    assert status["status"] == "signed_off"
    context.close()
