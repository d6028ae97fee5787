"""The Sở Nội vụ edits a checklist in Chromium at 768×1024: copy the current commune checklist, change a point
value, fix the validation error shown beside the field, publish, schedule a visit on the new version; old
visits keep the old version (issue 17, "Editing in the browser")."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from browser import log_in

pytestmark = pytest.mark.browser

TABLET = {"width": 768, "height": 1024}


def node_form(page, node: str):
    return page.locator(f"form[action$='/nodes/{node}']")


def test_copy_change_a_point_fix_the_error_publish_and_schedule(browser, server):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=TABLET, locale="vi-VN")
    page = context.new_page()
    log_in(page, server, "sonoivu")
    api = page.request
    old = next(c for c in api.get(server.url + "/api/v1/checklists").json() if c["id"] == "cchc-xa" and c["current"])
    started = next(v for v in api.get(server.url + "/api/v1/visits").json()
                   if v["checklist_id"] == "cchc-xa" and v["status"] != "planned")

    # Copy the current commune checklist into a draft.
    page.goto(server.url + "/checklists")
    page.locator("a[href='/checklists/cchc-xa/edit']").click()
    page.get_by_role("button", name="Tạo bản nháp").click()
    expect(page.locator("h1")).to_contain_text("Bản nháp")

    # Change the point value of item 1.1.2 (a "levels" item): the validator objects beside the levels field.
    page.get_by_role("link", name="Sửa 1.1.2").click()
    item = node_form(page, "0.0.1")
    item.locator("input[name='max_points']").fill("2")
    item.get_by_role("button", name="Lưu").click()
    item = node_form(page, "0.0.1")
    expect(item.locator(".alert-success")).to_contain_text("Đã lưu vào bản nháp")
    levels_error = item.locator("[data-field='levels'] .field-error")
    expect(levels_error).to_contain_text("Mức cao nhất chỉ được 1,5 điểm")
    expect(page.get_by_role("button", name="Công bố phiên bản")).to_be_disabled()

    # Fix it where it is shown: the best level is worth 2 now.
    levels = item.locator("textarea[name='levels']")
    lines = levels.input_value().split("\n")
    key, label, _ = (part.strip() for part in lines[0].split("|"))
    levels.fill("\n".join([f"{key} | {label} | 2", *lines[1:]]))
    item.get_by_role("button", name="Lưu").click()
    expect(node_form(page, "0.0.1").locator("[data-field='levels'] .field-error")).to_have_count(0)

    # The area's maximum follows (its message stands beside its own field), then a new version label.
    area = node_form(page, "0")
    expect(area.locator("[data-field='max_points'] .field-error")).to_contain_text("Điểm tối đa của lĩnh vực")
    area_max = area.locator("input[name='max_points']")
    area_max.fill(str(int(area_max.input_value()) + 0.5).replace(".", ","))
    area.get_by_role("button", name="Lưu").click()
    expect(node_form(page, "0").locator(".field-error")).to_have_count(0)
    header = node_form(page, "c")
    header.locator("input[name='version']").fill("2026.3")
    header.locator("input[name='max_points']").fill("")
    header.get_by_role("button", name="Lưu").click()
    expect(page.locator("#problems")).to_have_count(0)

    # Publish: the version page says what changed.
    page.get_by_role("button", name="Công bố phiên bản 2026.3").click()
    expect(page.locator(".alert-success")).to_contain_text("Đã công bố phiên bản 2026.3")
    expect(page.locator("#changes")).to_contain_text("Đổi điểm 1.1.2: 1,5 → 2")
    new = next(c for c in api.get(server.url + "/api/v1/checklists").json() if c["id"] == "cchc-xa" and c["current"])
    assert new["version"] != old["version"] and new["version_label"] == "2026.3"

    # Schedule a visit: it gets the new version.
    plan = api.get(server.url + "/api/v1/plans").json()[0]
    page.goto(f"{server.url}/plans/{plan['id']}")
    page.get_by_text("Lên lịch kiểm tra (một hoặc nhiều đơn vị)").click()
    expect(page.locator("#s-checklist option:checked")).to_contain_text("2026.3")
    page.locator("#s-units .unit-option:visible input").first.check()
    page.locator("#s-date").fill((date.today() + timedelta(days=3)).isoformat())
    page.get_by_role("button", name="Lên lịch", exact=True).click()
    expect(page.locator(".alert-success")).to_contain_text("Đã lên lịch 1 cuộc kiểm tra")
    visits = api.get(server.url + "/api/v1/visits").json()
    newest = max((v for v in visits if v["checklist_id"] == "cchc-xa"), key=lambda v: v["id"])
    assert newest["checklist_version"] == new["version"]

    # A visit started before keeps its version, and its page still shows it.
    again = next(v for v in visits if v["id"] == started["id"])
    assert again["checklist_version"] == started["checklist_version"] == old["version"]
    page.goto(f"{server.url}/visits/{started['id']}")
    expect(page.locator("main")).to_contain_text(old["version"])
    context.close()
