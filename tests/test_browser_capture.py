"""The inspector's journey in Chromium: answer every type, attach a photo, reload, find it all saved."""

from __future__ import annotations

import pytest
from browser import ARTIFACTS, dom, log_in, wait_saved
from PIL import Image

pytestmark = pytest.mark.browser


def sideways_photo(path) -> None:
    """A 1600×1200 camera JPEG stored sideways, with EXIF orientation 6 (rotate 90° to view)."""
    image = Image.new("RGB", (1600, 1200), (220, 220, 220))
    image.paste((200, 40, 40), (0, 0, 800, 1200))
    exif = Image.Exif()
    exif[0x0112] = 6
    exif.get_ifd(0x8769)[0x9003] = "2026:11:20 09:15:00"
    image.save(path, "JPEG", exif=exif, quality=88)


def first_of_each_type(page, server, visit):
    tree = page.request.get(f"{server.url}/api/v1/checklists/{visit['checklist_id']}",
                            params={"version": visit["checklist_version"]}).json()["checklist"]
    items = [i for a in tree["areas"] for c in a["criteria"] for i in c["items"]]
    chosen = {}
    for item in items:
        if item["type"] != "sample" and not item.get("from_sample"):  # the sample's journey: test_browser_sample.py
            chosen.setdefault(item["type"], item)
    return chosen


@pytest.mark.parametrize("viewport", [{"width": 768, "height": 1024}, {"width": 1280, "height": 800}],
                         ids=["tablet-768x1024", "desktop-1280x800"])
def test_inspector_answers_every_type_with_a_photo_and_reloads(browser, server, tmp_path, viewport):
    from playwright.sync_api import expect

    context = browser.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()
    log_in(page, server, "kiemtravien")
    visit = next(v for v in page.request.get(server.url + "/api/v1/visits").json() if v["unit_code"] == "11560")
    page.get_by_role("link", name="Phường Thủy Nguyên").first.click()
    page.wait_for_url(f"**/visits/{visit['id']}")
    items = first_of_each_type(page, server, visit)
    card = lambda code: page.locator(f"[id='item-{dom(code)}']")  # noqa: E731 - codes contain dots

    yes = items["yesno"]["code"]
    card(yes).get_by_text("Đạt", exact=True).click()
    wait_saved(page, yes)
    levels = items["levels"]
    card(levels["code"]).locator("label").filter(has_text=levels["levels"][0]["label"]).first.click()
    wait_saved(page, levels["code"])
    score = items["score"]
    card(score["code"]).locator("input[name=number]").fill(str(score["step"]).replace(".", ","))
    card(score["code"]).locator("input[name=number]").blur()
    wait_saved(page, score["code"])
    ratio = items["ratio"]["code"]
    card(ratio).locator("input[name=numerator]").fill("9")
    card(ratio).locator("input[name=denominator]").fill("10")
    card(ratio).locator("input[name=denominator]").blur()
    wait_saved(page, ratio)
    expect(page.locator(f"[id='points-{dom(ratio)}']")).to_contain_text("tỷ lệ 90%")
    for type_, value in (("count", "2"), ("deduction", "1")):
        code = items[type_]["code"]
        card(code).locator("input[name=number]").fill(value)
        card(code).locator("input[name=number]").blur()
        wait_saved(page, code)
    text = items["text"]["code"]
    card(text).locator("textarea[name=text]").fill("Bà Nguyễn Thị Hoa, Trưởng Bộ phận Một cửa")
    card(text).locator("textarea[name=text]").blur()
    wait_saved(page, text)
    day = items["date"]["code"]
    card(day).locator("input[name=text]").fill("2026-01-15")
    card(day).locator("input[name=text]").blur()
    wait_saved(page, day)
    card(yes).locator("textarea[name=note]").fill("Kế hoạch số 12/KH-UBND ngày 20/12/2025")
    card(yes).locator("textarea[name=note]").blur()
    wait_saved(page, yes)

    photo = tmp_path / "IMG_2001.jpg"
    sideways_photo(photo)
    card(yes).locator("input[type=file][accept='image/*']").set_input_files(str(photo))
    thumb = card(yes).locator(".gallery img")
    expect(thumb).to_have_count(1, timeout=20000)
    thumb.evaluate("img => img.decode()")
    width, height = thumb.evaluate("img => [img.naturalWidth, img.naturalHeight]")
    assert height > width  # shown upright, not sideways
    expect(page.locator("#progress")).to_contain_text("8/")
    ARTIFACTS.mkdir(exist_ok=True)
    card(yes).scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"visit-{viewport['width']}x{viewport['height']}.png"))

    page.reload()
    assert card(yes).locator("input[value=yes]").is_checked()
    assert card(ratio).locator("input[name=numerator]").input_value() == "9"
    assert card(text).locator("textarea[name=text]").input_value() == "Bà Nguyễn Thị Hoa, Trưởng Bộ phận Một cửa"
    assert card(day).locator("input[name=text]").input_value() == "2026-01-15"
    assert "12/KH-UBND" in card(yes).locator("textarea[name=note]").input_value()
    expect(card(yes).locator(".gallery img")).to_have_count(1)
    saved = page.request.get(f"{server.url}/api/v1/visits/{visit['id']}/findings").json()
    answered = {f["item_code"] for f in saved["findings"] if f["version"] > 0 and (f["answer"] is not None or f["na"])}
    assert answered == {i["code"] for i in items.values()}
    # One save per change: no conflict with itself, no duplicate versions from retries.
    assert all(f["version"] <= 3 for f in saved["findings"])
    page.screenshot(path=str(ARTIFACTS / f"visit-reloaded-{viewport['width']}x{viewport['height']}.png"),
                    full_page=False)
    context.close()


def test_the_visit_page_works_with_javascript_off(browser, server):
    context = browser.new_context(viewport={"width": 768, "height": 1024}, java_script_enabled=False)
    page = context.new_page()
    log_in(page, server, "kiemtravien")
    visit = next(v for v in page.request.get(server.url + "/api/v1/visits").json() if v["unit_code"] == "10525")
    page.goto(f"{server.url}/visits/{visit['id']}")
    first_card = page.locator(".item-card").first
    code = first_card.get_attribute("id").removeprefix("item-")  # already a DOM id (dots → _)
    first_card.locator("textarea[name=note]").fill("Ghi chú khi tắt JavaScript")
    first_card.get_by_role("button", name="Lưu").click()
    page.wait_for_url(f"**/visits/{visit['id']}*")
    assert "Ghi chú khi tắt JavaScript" in page.locator(f"[id='item-{code}'] textarea[name=note]").input_value()
    context.close()
