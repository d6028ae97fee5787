"""Closing the visit on site in Chromium at 768×1024 (issue 18, "Must show"): the lead checks in (the
browser's geolocation, granted), the visit is signed off, both parties sign with the pointer on the
signature pads, the minutes show both images in their signature blocks; an amendment afterwards flags
them as signatures of an earlier version. (The minutes PDF is the PDF part's; this test checks the
print HTML the PDF is made from.)"""

from __future__ import annotations

import pytest
from browser import ARTIFACTS, api_headers, log_in
from fill import SAMPLE_ROWS, typed
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

TABLET = {"width": 768, "height": 1024}
HAI_PHONG = {"latitude": 20.86412, "longitude": 106.68341, "accuracy": 12}
REPRESENTATIVE = "Bà Phạm Thị Mai, Chủ tịch UBND phường"


def answer_everything(page, server, visit: dict) -> None:
    """The team's findings, through the API the tablet's offline queue uses (the capture UI has its own tests)."""
    tree = page.request.get(f"{server.url}/api/v1/checklists/{visit['checklist_id']}",
                            params={"version": visit["checklist_version"]}).json()["checklist"]
    items = [i for a in tree["areas"] for c in a["criteria"] for i in c["items"]]
    for item in typed(items):
        value = {"yesno": True, "levels": (item["levels"] or [{}])[0].get("key"), "score": item["max_points"],
                 "ratio": [10, 10], "count": 0, "deduction": 0, "text": "Đã thực hiện", "date": "2026-01-02",
                 "sample": SAMPLE_ROWS}[item["type"]]
        response = page.request.put(f"{server.url}/api/v1/visits/{visit['id']}/findings/{item['code']}",
                                    headers=api_headers(page.context), data={"answer": value, "base_version": 0})
        assert response.ok, response.text()


def draw(page, canvas, shape: int) -> None:
    """A signature with the pointer: press, a zigzag of moves, release."""
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x0, y0 = box["x"] + 30, box["y"] + box["height"] * 0.6
    page.mouse.move(x0, y0)
    page.mouse.down()
    for step in range(1, 13):
        page.mouse.move(x0 + step * (box["width"] - 60) / 12,
                        y0 + (-1) ** (step + shape) * box["height"] * (0.15 + 0.05 * shape), steps=4)
    page.mouse.up()


def save(page, party: str) -> None:
    """"Lưu chữ ký": the form posts, and the page it leads to confirms (a refusal would show its message)."""
    with page.expect_navigation():
        page.locator(f"#sign-{party}").get_by_role("button", name="Lưu chữ ký").click()
    expect(page.locator(".alert-error")).to_have_count(0)
    expect(page.locator(".alert-success")).to_contain_text("Đã lưu chữ ký")


def minutes_pdf_has_both_signatures(page, base: str) -> None:
    """The hook for the PDF part (issue 18's "PDF"): once `/visits/{id}/minutes.pdf` exists, the downloaded
    minutes carry the two signature images (this visit has no photos, so they are its only images)."""
    response = page.request.get(base + "/minutes.pdf")
    if response.status == 404:
        return  # the PDF engine is not merged yet
    assert response.ok and response.headers["content-type"].startswith("application/pdf"), response.status
    from io import BytesIO

    from pypdf import PdfReader

    reader = PdfReader(BytesIO(response.body()))
    assert sum(len(p.images) for p in reader.pages) == 2
    assert "Bà Phạm Thị Mai" in "".join(p.extract_text() for p in reader.pages)


def test_check_in_sign_on_the_tablet_and_an_amendment_flags_the_signatures(browser, server):
    context = browser.new_context(viewport=TABLET, locale="vi-VN", geolocation=HAI_PHONG,
                                  permissions=["geolocation"])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    log_in(page, server, "truongdoan")
    visit = next(v for v in page.request.get(server.url + "/api/v1/visits").json() if v["unit_code"] == "10525")
    base = f"{server.url}/visits/{visit['id']}"

    # 1. Check-in: the page says why it asks for the position; the browser's answer is recorded. (The visit is
    # started first: a planned one offers the check-in on its day in Vietnam only, and the demo's "today" is
    # the machine's date.)
    page.goto(base)
    page.get_by_role("button", name="Bắt đầu kiểm tra").click()
    page.wait_for_url(base)
    form = page.locator("#checkin-form")
    expect(form).to_contain_text("vị trí chỉ dùng cho việc này")
    page.wait_for_selector("#checkin-form[data-ready]")
    page.get_by_role("button", name="Ghi nhận có mặt").click()
    page.wait_for_url(f"{base}?flash=*")
    expect(page.locator("#checkin-done")).to_contain_text("20.86412, 106.68341")
    expect(page.locator("#checkin-done")).to_contain_text("sai số khoảng 12 m")

    # 2. The findings and the lead's sign-off (their own tests drive them through the UI).
    answer_everything(page, server, visit)
    signed_off = page.request.post(f"{server.url}/api/v1/visits/{visit['id']}/sign-off", headers=api_headers(context),
                                   data={"unit_representative": REPRESENTATIVE,
                                         "missing_evidence_reason": "Đã đối chiếu bản gốc tại đơn vị"})
    assert signed_off.ok, signed_off.text()

    # 3. Both parties sign on the pads, with the pointer; the unit's fields come from the sign-off.
    page.goto(base + "/sign")
    expect(page.locator("#minutes-preview")).to_contain_text("BIÊN BẢN")
    expect(page.locator("#minutes-preview")).to_contain_text("ghi nhận có mặt: tọa độ 20.86412, 106.68341")
    assert page.locator("#name-unit").input_value() == "Bà Phạm Thị Mai"
    assert page.locator("#position-unit").input_value() == "Chủ tịch UBND phường"
    pad = page.locator("#sign-lead canvas")
    box = pad.bounding_box()
    assert box["width"] >= 560 and box["height"] >= 200, box  # room for a finger at 768 px
    page.locator("#sign-lead").get_by_role("button", name="Lưu chữ ký").click()  # empty: refused in place
    expect(page.locator("#sign-lead [data-pad-status]")).to_contain_text("Khung ký còn trống")
    draw(page, pad, 0)
    save(page, "lead")
    expect(page.locator("#signed-lead")).to_contain_text("đã ký lúc")
    draw(page, page.locator("#sign-unit canvas"), 1)
    save(page, "unit")
    expect(page.locator("#signed-unit")).to_contain_text("Bà Phạm Thị Mai, Chủ tịch UBND phường")
    assert page.locator("li.signed-current").count() == 2
    page.screenshot(path=str(ARTIFACTS / "signing-768.png"), full_page=False)

    # 4. The minutes as printed: both images in the signature blocks, no pen placeholder there.
    page.goto(base + "/minutes")
    images = page.locator("table.signatures .signature-image img")
    expect(images).to_have_count(2)
    for index in range(2):
        assert images.nth(index).evaluate("img => img.complete && img.naturalWidth > 100")
    page.locator("table.signatures").screenshot(path=str(ARTIFACTS / "signing-minutes-blocks.png"))
    signed_cells = page.locator("table.signatures td.signer", has=page.locator(".signature-image"))
    expect(signed_cells).to_have_count(2)
    for index in range(2):
        assert "(Ký, ghi rõ họ tên)" not in signed_cells.nth(index).inner_text()
    expect(page.locator("body")).to_contain_text("ghi nhận có mặt: tọa độ 20.86412, 106.68341")
    minutes_pdf_has_both_signatures(page, base)

    # 5. An amendment after signing: both signatures now belong to an earlier version, and say so.
    finding = page.request.get(f"{server.url}/api/v1/visits/{visit['id']}/findings").json()["findings"][0]
    amended = page.request.put(f"{server.url}/api/v1/visits/{visit['id']}/findings/{finding['item_code']}",
                               headers=api_headers(context),
                               data={"answer": finding["answer"], "na": finding["na"], "note": "Đối chiếu lại hồ sơ",
                                     "base_version": finding["version"], "amend_reason": "Đơn vị bổ sung hồ sơ"})
    assert amended.ok, amended.text()
    page.goto(base + "/sign")
    expect(page.locator("li.signed-earlier")).to_have_count(2)
    expect(page.locator("#signed-lead")).to_contain_text("phiên bản trước")
    page.goto(base + "/minutes")
    expect(page.locator("table.signatures .signature-earlier")).to_have_count(2)
    expect(page.locator("body")).to_contain_text("Biên bản đã được sửa đổi sau khi ký")
    assert errors == []
    context.close()
