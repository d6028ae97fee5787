"""The dossier sample in Chromium: derive.js agrees with derive.py on the shared table of cases, and an
inspector takes rows at 768×1024, online and then offline, and sees the derived on-time ratio live, after
the queued rows are sent through the API, and after a reload."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from browser import api_headers, dom, log_in, wait_saved
from test_browser_a11y import axe_violations
from test_browser_offline import take_offline

pytestmark = pytest.mark.browser

CASES = json.loads((Path(__file__).parent / "data" / "derive_cases.json").read_text(encoding="utf-8"))


def open_surprise_visit(page, server) -> int:
    """The demo lead opens a surprise one-stop visit today (as the plan page's form does)."""
    plan = page.request.get(server.url + "/api/v1/plans").json()[0]
    headers = api_headers(page.context)
    token = headers["x-csrftoken"]
    response = page.request.post(f"{server.url}/plans/{plan['id']}/surprise", max_redirects=0,
                                 form={"unit_code": "10525", "checklist_id": "mot-cua-dot-xuat",
                                       "_csrf_token": token})
    assert response.status == 303, response.text()
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_derive_js_agrees_with_the_shared_cases(browser, server):
    page = browser.new_context().new_page()
    page.goto(server.url + "/login")
    got = page.evaluate("""async (cases) => {
        const derive = await import("/static/js/derive.js");
        return cases.map((c) => {
            const v = derive.derivedValue(c.type, c.from_sample, c.rows);
            return c.type === "count" ? v.number : [v.numerator, v.denominator];
        });
    }""", CASES["cases"])
    assert got == [case["expect"] for case in CASES["cases"]]


def fill_row(table, index: int, code: str, promised: str, returned: str | None) -> None:
    row = table.locator("tbody tr").nth(index)
    row.locator("[name$='-ma_ho_so']").fill(code)
    row.locator("[name$='-ngay_hen_tra']").fill(promised)
    if returned:
        row.locator("[name$='-ngay_tra']").fill(returned)


def test_inspector_takes_a_sample_and_sees_the_derived_ratio(browser, server):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 768, "height": 1024}, locale="vi-VN")
    page = context.new_page()
    log_in(page, server, "truongdoan")
    visit_id = open_surprise_visit(page, server)
    page.goto(f"{server.url}/visits/{visit_id}")
    card = page.locator(f"[id='item-{dom('2.1.4')}']")
    table = card.locator(".sample")
    derived = page.locator(f"[id='derived-{dom('2.1.1')}']")
    expect(derived).to_have_text("–")

    fill_row(table, 0, "HS-001", "2026-11-03", "2026-11-02")
    wait_saved(page, "2.1.4")
    expect(derived).to_have_text("1/1 (100%)")
    add = card.get_by_role("button", name="+ Thêm hồ sơ")
    add.click()  # one tap adds a row
    expect(table.locator("tbody tr")).to_have_count(2)
    fill_row(table, 1, "HS-002", "2026-11-03", "2026-11-05")
    add.click()
    fill_row(table, 2, "HS-003", "2026-11-03", None)
    expect(derived).to_have_text("1/2 (50%)")  # live, from the rows on the page

    def saved() -> dict:
        listed = page.request.get(f"{server.url}/api/v1/visits/{visit_id}/findings").json()["findings"]
        return {f["item_code"]: f for f in listed}

    for _ in range(50):
        findings = saved()
        if len(findings.get("2.1.4", {}).get("answer") or []) == 3:
            break
        page.wait_for_timeout(200)
    assert [r["ma_ho_so"] for r in findings["2.1.4"]["answer"]] == ["HS-001", "HS-002", "HS-003"]
    assert findings["2.1.1"]["answer"] == [1, 2] and findings["2.1.1"]["score"] == 0

    # Offline: seven more rows (a 10-row sample) wait in the tablet's queue as one change, the figures follow.
    take_offline(page)
    context.set_offline(True)
    offline_rows = [("HS-004", "2026-11-03"), ("HS-005", "2026-11-01"), ("HS-006", "2026-11-04"), ("HS-007", None),
                    ("HS-008", "2026-11-02"), ("HS-009", "2026-11-03"), ("HS-010", "2026-11-06")]
    for index, (code, returned) in enumerate(offline_rows, start=3):
        add.click()
        fill_row(table, index, code, "2026-11-03", returned)
    expect(derived).to_have_text("5/8 (62,5%)")
    expect(page.locator("#sync-counter")).to_have_text("1 thay đổi chưa đồng bộ", timeout=15000)
    sent = []
    page.on("request", lambda request: sent.append(request) if request.method == "PUT" else None)
    context.set_offline(False)
    expect(page.locator("#sync-counter")).to_have_text("Đã đồng bộ", timeout=60000)
    body = sent[-1].post_data_json
    assert [r["ma_ho_so"] for r in body["answer"]] == [f"HS-{n:03}" for n in range(1, 11)]
    assert body["answer"][3] == {"ma_ho_so": "HS-004", "ngay_hen_tra": "2026-11-03", "ngay_tra": "2026-11-03"}
    findings = saved()
    assert findings["2.1.1"]["answer"] == [5, 8] and findings["2.1.1"]["score"] == 0
    expect(page.locator(f"[id='points-{dom('2.1.4')}']")).to_have_text("ghi nhận")

    page.reload()
    expect(page.locator(f"[id='derived-{dom('2.1.1')}']")).to_have_text("5/8 (62,5%)")
    expect(page.locator(f"[id='item-{dom('2.1.4')}'] tbody tr")).to_have_count(11)
    minutes = page.request.get(f"{server.url}/visits/{visit_id}/minutes").text()
    assert "HS-010" in minutes and "06/11/2026" in minutes and "5/8" in minutes
    assert axe_violations(page) == []  # the table and the derived card at 768×1024, WCAG 2.1 AA
    context.close()
