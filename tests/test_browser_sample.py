"""The dossier sample in Chromium, on the surprise one-stop visit the demo seeds (unit 10573, checklist
mot-cua-dot-xuat): derive.js agrees with derive.py on the shared table of cases; an inspector takes a
10-row sample at 768×1024, online and then offline, and the derived on-time ratio, its score and the
minutes' appendix agree with the rows typed; two inspectors editing the same sample get the conflict view
(online and offline), never a silent merge."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from browser import api_headers, dom, log_in, wait_saved
from test_browser_a11y import axe_violations
from test_browser_offline import take_offline

pytestmark = pytest.mark.browser

CASES = json.loads((Path(__file__).parent / "data" / "derive_cases.json").read_text(encoding="utf-8"))
SAMPLE, DERIVED = "2.1.4", "2.1.1"  # mot-cua-dot-xuat: the dossier sample and the on-time ratio from it
TABLET = {"viewport": {"width": 768, "height": 1024}, "locale": "vi-VN", "timezone_id": "Asia/Ho_Chi_Minh"}


def demo_surprise_visit(page, server) -> dict:
    """The one-stop visit the demo seeds for its team, found as a program would: through the API."""
    visits = page.request.get(server.url + "/api/v1/visits").json()
    return next(v for v in visits if v["checklist_id"] == "mot-cua-dot-xuat" and v["unit_code"] == "10573")


def row_json(row: tuple) -> dict:
    """A row of the test as the API holds it: the cells typed, empty ones left out."""
    code, promised, returned, online = row
    cells = {"ma_ho_so": code, "ngay_hen_tra": promised, "ngay_tra": returned,
             "truc_tuyen": {"yes": True, "no": False}.get(online)}
    return {k: v for k, v in cells.items() if v is not None}


def on_time_ratio(rows: list[tuple]) -> tuple[int, int]:
    """The checklist's rule, written out again for the test: of the dossiers returned, those returned on
    or before the promised day (ISO dates compare as strings)."""
    returned = [r for r in rows if r[2]]
    return sum(1 for r in returned if r[2] <= r[1]), len(returned)


def ratio_label(numerator: int, denominator: int) -> str:
    """The derived card's figure: "7/8 (87,5%)"."""
    percent = f"{round(100 * numerator / denominator, 2):g}".replace(".", ",")
    return f"{numerator}/{denominator} ({percent}%)"


def band_points(item: dict, numerator: int, denominator: int) -> float:
    """The points of a ratio item's band, read from the checklist as the API serves it."""
    percent = 100 * numerator / denominator
    bands = item["bands"]
    for index, band in enumerate(bands):
        upper = band.get("to")
        if percent >= band["from"] and (upper is None or percent < upper or (index == len(bands) - 1 and percent <= 100)):
            return band["points"]
    raise AssertionError(f"no band for {percent}%")


def checklist_item(page, server, visit: dict, code: str) -> dict:
    tree = page.request.get(f"{server.url}/api/v1/checklists/{visit['checklist_id']}",
                            params={"version": visit["checklist_version"]}).json()["checklist"]
    return next(i for a in tree["areas"] for c in a["criteria"] for i in c["items"] if i["code"] == code)


def findings_of(page, server, visit: dict) -> dict[str, dict]:
    listed = page.request.get(f"{server.url}/api/v1/visits/{visit['id']}/findings").json()["findings"]
    return {f["item_code"]: f for f in listed}


def appendix_rows(minutes: str, code: str) -> list[list[str]]:
    """The cells of the minutes' appendix listing the sample of item `code` (the STT column left out)."""
    block = minutes.split(f"(TIÊU CHÍ {code})", 1)[1].split("</table>", 1)[0]
    body = block.split("<tbody>", 1)[1]
    return [[html.unescape(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", tr)[1:]]
            for tr in re.findall(r"<tr>(.*?)</tr>", body, re.S)]


def vn_date(iso: str | None) -> str:
    return "" if not iso else "/".join(reversed(iso.split("-")))


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


def fill_row(table, index: int, row: tuple) -> None:
    code, promised, returned, online = row
    tr = table.locator("tbody tr").nth(index)
    tr.locator("[name$='-ma_ho_so']").fill(code)
    tr.locator("[name$='-ngay_hen_tra']").fill(promised)
    if returned:
        tr.locator("[name$='-ngay_tra']").fill(returned)
    if online:
        tr.locator("[name$='-truc_tuyen']").select_option(online)


def wait_for_answer(page, server, visit: dict, rows: list[tuple]) -> int:
    """Wait until the server holds exactly these rows (the page's autosaves have landed); their version."""
    for _ in range(50):
        sample = findings_of(page, server, visit).get(SAMPLE, {})
        if sample.get("answer") == [row_json(r) for r in rows]:
            return sample["version"]
        page.wait_for_timeout(200)
    raise AssertionError(f"the sample never held {rows}: {sample}")


# (dossier code, promised, returned, received online): three typed online, seven offline.
ONLINE_ROWS = [("HS-001", "2026-11-03", "2026-11-02", "yes"), ("HS-002", "2026-11-03", "2026-11-05", None),
               ("HS-003", "2026-11-03", None, "no")]
OFFLINE_ROWS = [("HS-004", "2026-11-03", "2026-11-03", None), ("HS-005", "2026-11-03", "2026-11-01", "yes"),
                ("HS-006", "2026-11-04", "2026-11-04", None), ("HS-007", "2026-11-03", None, None),
                ("HS-008", "2026-11-05", "2026-11-02", None), ("HS-009", "2026-11-03", "2026-11-03", None),
                ("HS-010", "2026-11-10", "2026-11-06", "yes")]


def test_inspector_takes_a_sample_and_sees_the_derived_ratio(browser, server):
    from playwright.sync_api import expect

    context = browser.new_context(**TABLET)
    page = context.new_page()
    log_in(page, server, "truongdoan")
    visit = demo_surprise_visit(page, server)
    assert visit["status"] == "planned"
    rule = checklist_item(page, server, visit, DERIVED)
    page.goto(f"{server.url}/visits/{visit['id']}")
    card = page.locator(f"[id='item-{dom(SAMPLE)}']")
    table = card.locator(".sample")
    derived = page.locator(f"[id='derived-{dom(DERIVED)}']")
    expect(derived).to_have_text("–")

    fill_row(table, 0, ONLINE_ROWS[0])
    wait_saved(page, SAMPLE)
    expect(derived).to_have_text(ratio_label(*on_time_ratio(ONLINE_ROWS[:1])))
    add = card.get_by_role("button", name="+ Thêm hồ sơ")
    for index, row in enumerate(ONLINE_ROWS[1:], start=1):
        add.click()  # one tap adds a row
        expect(table.locator("tbody tr")).to_have_count(index + 1)
        fill_row(table, index, row)
    expect(derived).to_have_text(ratio_label(*on_time_ratio(ONLINE_ROWS)))  # live, from the rows on the page
    assert ratio_label(*on_time_ratio(ONLINE_ROWS)) == "1/2 (50%)"

    wait_for_answer(page, server, visit, ONLINE_ROWS)
    findings = findings_of(page, server, visit)
    assert findings[SAMPLE]["answer"] == [row_json(r) for r in ONLINE_ROWS]
    assert findings[DERIVED]["answer"] == list(on_time_ratio(ONLINE_ROWS))
    assert findings[DERIVED]["score"] == band_points(rule, *on_time_ratio(ONLINE_ROWS))
    # The sample's save brings the derived item's points label along: it agrees with the figure above it.
    expect(page.locator(f"[id='points-{dom(DERIVED)}']")).to_have_text(
        f"{findings[DERIVED]['score']:g}/{rule['max_points']:g} đ · tỷ lệ 50%")

    # Offline: seven more rows (a 10-row sample) wait in the tablet's queue as one change, the figures follow.
    take_offline(page)
    context.set_offline(True)
    for index, row in enumerate(OFFLINE_ROWS, start=len(ONLINE_ROWS)):
        add.click()
        fill_row(table, index, row)
    rows = ONLINE_ROWS + OFFLINE_ROWS
    numerator, denominator = on_time_ratio(rows)
    assert (numerator, denominator) == (7, 8)  # the rows were chosen to land in a band worth points
    expect(derived).to_have_text(ratio_label(numerator, denominator))
    expect(page.locator("#sync-counter")).to_have_text("1 thay đổi chưa đồng bộ", timeout=15000)
    sent = []
    page.on("request", lambda request: sent.append(request) if request.method == "PUT" else None)
    context.set_offline(False)
    expect(page.locator("#sync-counter")).to_have_text("Đã đồng bộ", timeout=60000)
    assert sent[-1].post_data_json["answer"] == [row_json(r) for r in rows]
    findings = findings_of(page, server, visit)
    assert findings[SAMPLE]["answer"] == [row_json(r) for r in rows]
    points = band_points(rule, numerator, denominator)
    assert points > 0
    assert findings[DERIVED]["answer"] == [numerator, denominator] and findings[DERIVED]["score"] == points
    expect(page.locator(f"[id='points-{dom(SAMPLE)}']")).to_have_text("ghi nhận")

    page.reload()
    expect(page.locator(f"[id='derived-{dom(DERIVED)}']")).to_have_text(ratio_label(numerator, denominator))
    expect(page.locator(f"[id='points-{dom(DERIVED)}']")).to_contain_text(f"{points:g}/{rule['max_points']:g} đ")
    expect(page.locator(f"[id='item-{dom(SAMPLE)}'] tbody tr")).to_have_count(len(rows) + 1)  # and one empty
    # The six columns scroll sideways inside the card; the page itself keeps the tablet's width.
    assert page.evaluate("document.documentElement.scrollWidth") <= 768
    assert page.evaluate("(s => s.scrollWidth > s.clientWidth)(document.querySelector('.sample-scroll'))")
    page.locator(f"[id='item-{dom(SAMPLE)}']").scroll_into_view_if_needed()
    page.screenshot(path="/tmp/sb17-sample-table-768x1024.png")
    minutes = page.request.get(f"{server.url}/visits/{visit['id']}/minutes").text()
    assert appendix_rows(minutes, SAMPLE) == [
        [code, "", vn_date(promised), vn_date(returned), "", {"yes": "Có", "no": "Không"}.get(online, "")]
        for code, promised, returned, online in rows]
    assert f"{numerator}/{denominator}" in minutes
    assert axe_violations(page) == []  # the table and the derived card at 768×1024, WCAG 2.1 AA
    context.close()


# The sample both inspectors start from, saved before either opens the page.
FIRST_ROWS = [("HS-101", "2026-11-03", "2026-11-02", None), ("HS-102", "2026-11-03", None, None)]


def save_rows(page, server, visit: dict, rows: list[tuple], base_version: int) -> dict:
    response = page.request.put(f"{server.url}/api/v1/visits/{visit['id']}/findings/{SAMPLE}",
                                headers=api_headers(page.context),
                                data={"answer": [row_json(r) for r in rows], "base_version": base_version})
    assert response.status in (200, 201), response.text()
    return response.json()


def saved_row_line(row: tuple) -> str:
    """A saved row as the conflict view lists it: the code, then each filled cell with its column."""
    code, promised, returned, online = row
    line = f"{code} · Ngày hẹn trả: {vn_date(promised)}"
    if returned:
        line += f" · Ngày trả kết quả: {vn_date(returned)}"
    if online:
        line += f" · Nộp trực tuyến: {'Có' if online == 'yes' else 'Không'}"
    return line


def open_sample(browser, server, username: str):
    """A tablet with the demo's one-stop visit open on the sample, logged in as `username`."""
    context = browser.new_context(**TABLET)
    page = context.new_page()
    log_in(page, server, username)
    visit = demo_surprise_visit(page, server)
    page.goto(f"{server.url}/visits/{visit['id']}")
    return context, page, visit


def table_rows(page) -> list[dict]:
    """The sample's rows as the page holds them now (what sample.js would send)."""
    return page.evaluate("""async (code) => {
        const { rowsOf } = await import("/static/js/sample.js");
        return rowsOf(document.querySelector(`.sample[data-sample="${code}"]`));
    }""", SAMPLE)


def test_a_conflicting_edit_of_the_same_sample_online_shows_the_conflict_view(browser, server):
    """A adds a row; B, whose page still holds the version before it, dates a return: B's save is refused
    with both values shown and B's rows kept on the card; B takes the saved rows and has exactly A's."""
    from playwright.sync_api import expect

    lead, a, visit = open_sample(browser, server, "truongdoan")
    save_rows(a, server, visit, FIRST_ROWS, base_version=0)
    a.reload()
    inspector, b, _ = open_sample(browser, server, "kiemtravien")
    a_table = a.locator(f"[id='item-{dom(SAMPLE)}'] .sample")
    b_table = b.locator(f"[id='item-{dom(SAMPLE)}'] .sample")
    expect(b_table.locator("tbody tr")).to_have_count(len(FIRST_ROWS) + 1)

    a_rows = FIRST_ROWS + [("HS-103", "2026-11-04", "2026-11-04", "yes")]
    fill_row(a_table, 2, a_rows[2])
    version = wait_for_answer(a, server, visit, a_rows)  # each finished cell was a save: version ≥ 2

    b_rows = [FIRST_ROWS[0], ("HS-102", "2026-11-03", "2026-11-09", None)]
    b_table.locator("tbody tr").nth(1).locator("[name$='-ngay_tra']").fill("2026-11-09")
    status = b.locator(f"[id='status-{dom(SAMPLE)}']")
    expect(status.get_by_role("button", name="Giữ giá trị của tôi")).to_be_visible(timeout=10000)
    expect(status.get_by_role("link", name="Dùng giá trị đã lưu")).to_be_visible()
    expect(status).to_contain_text("Giá trị đã lưu bởi Trần Văn Minh")
    expect(status).to_contain_text(f"{len(a_rows)} hồ sơ")
    expect(status).to_contain_text(f"Giá trị của bạn (đang hiện trên thẻ): {len(b_rows)} hồ sơ")
    saved_rows = status.locator(".conflict-rows")  # the rows themselves: the counts alone may be equal
    saved_rows.locator("summary").click()
    expect(saved_rows.locator("li")).to_have_text([saved_row_line(r) for r in a_rows])
    assert table_rows(b) == [row_json(r) for r in b_rows]  # B's rows stay on the card
    derived = b.locator(f"[id='derived-{dom(DERIVED)}']")
    expect(derived).to_have_text(ratio_label(*on_time_ratio(b_rows)))
    saved = findings_of(b, server, visit)
    assert saved[SAMPLE]["answer"] == [row_json(r) for r in a_rows] and saved[SAMPLE]["version"] == version
    status.scroll_into_view_if_needed()
    b.screenshot(path="/tmp/sb17-conflict-online-768x1024.png")

    status.get_by_role("link", name="Dùng giá trị đã lưu").click()
    expect(b.locator(f"[id='status-{dom(SAMPLE)}']")).to_contain_text("Đã lưu lúc")
    expect(b_table.locator("tbody tr")).to_have_count(len(a_rows) + 1)
    assert table_rows(b) == [row_json(r) for r in a_rows]
    expect(derived).to_have_text(ratio_label(*on_time_ratio(a_rows)))  # the figures follow the rows taken
    saved = findings_of(b, server, visit)
    assert saved[SAMPLE]["answer"] == [row_json(r) for r in a_rows] and saved[SAMPLE]["version"] == version
    assert saved[DERIVED]["answer"] == list(on_time_ratio(a_rows))
    inspector.close()
    lead.close()


def test_a_sample_changed_offline_while_another_saves_it_surfaces_as_a_conflict_after_sync(browser, server):
    """B adds a row with no signal; A saves the sample meanwhile; when B's queue syncs, the sample waits in
    the conflict view (across a reload, with B's rows in the table) until B keeps theirs: then exactly B's
    rows are stored."""
    from playwright.sync_api import expect

    inspector, b, visit = open_sample(browser, server, "kiemtravien")
    save_rows(b, server, visit, FIRST_ROWS, base_version=0)
    b.reload()
    take_offline(b)
    b_table = b.locator(f"[id='item-{dom(SAMPLE)}'] .sample")
    inspector.set_offline(True)
    b_rows = FIRST_ROWS + [("HS-104", "2026-11-05", "2026-11-07", "no")]
    fill_row(b_table, 2, b_rows[2])
    expect(b.locator("#sync-counter")).to_have_text("1 thay đổi chưa đồng bộ", timeout=15000)

    lead = browser.new_context()
    a = lead.new_page()
    log_in(a, server, "truongdoan")
    a_rows = [FIRST_ROWS[0], ("HS-102", "2026-11-03", "2026-11-03", "yes"), ("HS-105", "2026-11-06", None, None)]
    save_rows(a, server, visit, a_rows, base_version=1)

    inspector.set_offline(False)
    status = b.locator(f"[id='status-{dom(SAMPLE)}']")
    expect(status.get_by_role("button", name="Giữ giá trị của tôi")).to_be_visible(timeout=30000)
    expect(status).to_contain_text(f"{len(a_rows)} hồ sơ")
    status.locator(".conflict-rows summary").click()
    expect(status.locator(".conflict-rows li")).to_have_text([saved_row_line(r) for r in a_rows])
    assert table_rows(b) == [row_json(r) for r in b_rows]
    expect(b.locator("#sync-counter")).to_contain_text("1 thay đổi chưa đồng bộ")
    b.locator("#sync-log summary").click()
    expect(b.locator("#sync-log-list")).to_contain_text(f"Xung đột ở tiêu chí {SAMPLE}")
    saved = findings_of(b, server, visit)
    assert saved[SAMPLE]["answer"] == [row_json(r) for r in a_rows] and saved[SAMPLE]["version"] == 2
    status.scroll_into_view_if_needed()
    b.screenshot(path="/tmp/sb17-conflict-offline-768x1024.png")

    # The conflict, and B's rows in the table, stay across a reload until B chooses.
    b.reload()
    status = b.locator(f"[id='status-{dom(SAMPLE)}']")
    expect(status.get_by_role("button", name="Giữ giá trị của tôi")).to_be_visible(timeout=15000)
    assert table_rows(b) == [row_json(r) for r in b_rows]
    expect(b.locator(f"[id='derived-{dom(DERIVED)}']")).to_have_text(ratio_label(*on_time_ratio(b_rows)))

    status.get_by_role("button", name="Giữ giá trị của tôi").click()
    wait_saved(b, SAMPLE)
    expect(b.locator("#sync-counter")).to_have_text("Đã đồng bộ", timeout=30000)
    saved = findings_of(b, server, visit)
    assert saved[SAMPLE]["answer"] == [row_json(r) for r in b_rows] and saved[SAMPLE]["version"] == 3
    assert saved[DERIVED]["answer"] == list(on_time_ratio(b_rows))
    lead.close()
    inspector.close()


def test_the_sample_module_loads_near_the_table_and_is_kept_for_offline_work(browser, server):
    """sample.js is not part of the commune visit page's first load (its table, 3.2.3, is far down the page):
    it is imported when the table nears the view. A visit taken offline before anyone scrolled there still
    has it: reloaded without a network, the table adds a row in one tap and shows the derived figure."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 768, "height": 1024}, locale="vi-VN")
    page = context.new_page()
    log_in(page, server, "kiemtravien")
    visit = next(v for v in page.request.get(server.url + "/api/v1/visits").json()
                 if v["checklist_id"] == "cchc-xa" and v["status"] in ("planned", "in_progress"))
    loaded = []
    page.on("request", lambda request: loaded.append(request.url) if "/static/js/sample.js" in request.url else None)
    page.goto(f"{server.url}/visits/{visit['id']}")
    page.wait_for_load_state("load")
    assert loaded == []  # the top of the page does not need it
    take_offline(page)
    context.set_offline(True)
    page.reload()
    card = page.locator(f"[id='item-{dom('3.2.3')}']")
    card.scroll_into_view_if_needed()
    table = card.locator(".sample tbody tr")
    expect(table).to_have_count(1)
    card.get_by_role("button", name="+ Thêm hồ sơ").click()
    expect(table).to_have_count(2)
    fill_row(card.locator(".sample"), 0, ("HS-1", "2026-11-03", "2026-11-02", None))
    expect(page.locator(f"[id='derived-{dom('3.2.4')}']")).to_contain_text("1/1")
    context.close()
