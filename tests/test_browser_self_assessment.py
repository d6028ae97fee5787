"""Self-assessment in Chromium: the unit submits with a document and a photo; the team appraises."""

from __future__ import annotations

import io

import pytest
from fill import SAMPLE_ROWS, typed
from browser import ARTIFACTS, api_headers, dom, log_in, wait_saved
from PIL import Image

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def best(item):
    return {"yesno": True, "levels": (item["levels"] or [{}])[0].get("key"), "score": item["max_points"],
            "ratio": [10, 10], "count": 99, "deduction": 0, "text": "Đã thực hiện", "date": "2026-01-10",
            "sample": SAMPLE_ROWS}[item["type"]]


def test_unit_submits_and_the_inspector_appraises(browser, server, tmp_path):
    from playwright.sync_api import expect

    photo, document = tmp_path / "niem-yet.jpg", tmp_path / "ke-hoach.pdf"
    buffer = io.BytesIO()
    Image.new("RGB", (1200, 900), (30, 140, 90)).save(buffer, "JPEG")
    photo.write_bytes(buffer.getvalue())
    document.write_bytes(PDF)

    unit = browser.new_context(viewport={"width": 768, "height": 1024})
    page = unit.new_page()
    log_in(page, server, "dv11560")
    visit = next(v for v in page.request.get(server.url + "/api/v1/visits").json() if v["unit_code"] == "11560")
    tree = page.request.get(f"{server.url}/api/v1/checklists/{visit['checklist_id']}",
                            params={"version": visit["checklist_version"]}).json()["checklist"]
    items = typed([i for a in tree["areas"] for c in a["criteria"] for i in c["items"]])
    yesno = [i for i in items if i["type"] == "yesno"][:2]
    # Most items through the API (a tablet's sync would do the same); two by hand, with files.
    for item in items:
        if item in yesno or item.get("from_sample"):
            continue  # by hand below; derived from the sample's rows, never typed
        r = page.request.put(f"{server.url}/api/v1/visits/{visit['id']}/self-assessment/{item['code']}",
                             headers=api_headers(unit), data={"answer": best(item), "base_version": 0})
        assert r.ok, r.text()
    page.goto(f"{server.url}/visits/{visit['id']}/self-assessment")
    for item in yesno:
        card = page.locator(f"[id='item-{dom(item['code'])}']")
        card.get_by_text("Đạt", exact=True).click()
        wait_saved(page, item["code"])
    first = page.locator(f"[id='item-{dom(yesno[0]['code'])}']")
    first.locator("textarea[name=note]").fill("Kế hoạch số 05/KH-UBND ngày 10/01/2026")
    first.locator("textarea[name=note]").blur()
    wait_saved(page, yesno[0]["code"])
    first.locator("input[type=file][accept='image/*']").set_input_files(str(photo))
    expect(first.locator(".gallery img")).to_have_count(1, timeout=20000)
    first.locator("input[type=file][accept*='pdf']").set_input_files(str(document))
    expect(first.locator(".gallery .doc")).to_have_count(1, timeout=20000)
    page.get_by_role("button", name="Nộp kết quả tự đánh giá").click()
    expect(page.locator(".alert-success")).to_contain_text("đã nộp kết quả tự đánh giá")
    unit.close()

    team = browser.new_context(viewport={"width": 1280, "height": 800})
    page = team.new_page()
    log_in(page, server, "kiemtravien")
    page.goto(f"{server.url}/visits/{visit['id']}")
    first = page.locator(f"[id='item-{dom(yesno[0]['code'])}']")
    expect(first.locator(".unit-answer")).to_contain_text("Đơn vị tự đánh giá: Đạt")
    expect(first.locator(".unit-answer img")).to_have_count(1)
    expect(first.locator(".unit-answer .doc")).to_have_count(1)
    first.get_by_role("button", name="Chấp nhận kết quả của đơn vị").click()
    page.wait_for_url(f"**/visits/{visit['id']}#item-*")
    expect(page.locator(f"[id='item-{dom(yesno[0]['code'])}'] input[type=radio][value=yes]")).to_be_checked()
    second = page.locator(f"[id='item-{dom(yesno[1]['code'])}']")
    second.get_by_text("Không đạt", exact=True).click()
    expect(page.locator(f"[id='status-{dom(yesno[1]['code'])}']")).to_contain_text("ghi chú lý do")
    second.locator("textarea[name=note]").fill("Không có biên bản họp chuyên đề về CCHC")
    second.locator("textarea[name=note]").blur()
    wait_saved(page, yesno[1]["code"])
    page.goto(f"{server.url}/visits/{visit['id']}?filter=differs")
    expect(page.locator(".item-card")).to_have_count(1)
    expect(page.locator(".appraisal summary")).to_contain_text("chênh lệch")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "appraisal-1280x800.png"), full_page=False)
    team.close()
