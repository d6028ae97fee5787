"""Work without signal (docs/offline.md): take a visit offline in Chromium, answer and photograph with the
network off, reload, come back online, and check on the server — through the API — that every change
arrived exactly once; a change based on an old version must surface as the conflict view."""

from __future__ import annotations

import re

import pytest
from browser import ARTIFACTS, api_headers, dom, log_in, wait_saved
from PIL import Image

from inspect_app.web.offline import worker_script


def photo(path, colour) -> None:
    image = Image.new("RGB", (1600, 1200), colour)
    image.paste((30, 30, 30), (0, 0, 400, 300))
    image.save(path, "JPEG", quality=88)


def card(page, code):
    return page.locator(f"[id='item-{dom(code)}']")


def checklist_items(page, server, visit) -> list[dict]:
    tree = page.request.get(f"{server.url}/api/v1/checklists/{visit['checklist_id']}",
                            params={"version": visit["checklist_version"]}).json()["checklist"]
    return [i for a in tree["areas"] for c in a["criteria"] for i in c["items"]]


def open_visit(browser, server, unit_code: str, username: str = "kiemtravien"):
    context = browser.new_context(viewport={"width": 768, "height": 1024}, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    log_in(page, server, username)
    visit = next(v for v in page.request.get(server.url + "/api/v1/visits").json() if v["unit_code"] == unit_code)
    page.goto(f"{server.url}/visits/{visit['id']}")
    return context, page, visit


def take_offline(page):
    from playwright.sync_api import expect

    page.get_by_role("button", name="Tải về để làm ngoại tuyến").click()
    expect(page.locator("#offline-status")).to_contain_text("Sẵn sàng ngoại tuyến", timeout=30000)
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=10000)
    return page.locator("#offline-status").inner_text()


def findings_of(page, server, visit) -> dict[str, dict]:
    data = page.request.get(f"{server.url}/api/v1/visits/{visit['id']}/findings").json()
    return {f["item_code"]: f for f in data["findings"]}


def evidence_of(page, server, visit, code) -> list[dict]:
    """The item's evidence rows as the server has them: ids from its gallery, each read through the API."""
    html = page.request.get(f"{server.url}/visits/{visit['id']}/items/{code}/gallery").text()
    ids = sorted({int(i) for i in re.findall(r'id="evidence-(\d+)"', html)})
    return [page.request.get(f"{server.url}/api/v1/evidence/{i}").json() for i in ids]


def test_sw_is_served_from_the_root_with_its_version(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["service-worker-allowed"] == "/"
    assert "__SW_VERSION__" not in response.text
    assert re.search(r'var VERSION = "[0-9a-f]{12}"', response.text)
    assert response.content == worker_script()


@pytest.mark.browser
def test_offline_visit_survives_a_reload_and_syncs_every_change_once(browser, server, tmp_path):
    from playwright.sync_api import expect

    context, page, visit = open_visit(browser, server, "11560")
    items = checklist_items(page, server, visit)
    yesno = [i for i in items if i["type"] == "yesno"]
    counts = [i for i in items if i["type"] == "count"]
    levels = [i for i in items if i["type"] == "levels"]
    chosen = yesno[:7] + counts[:2] + levels[:1]
    assert len(chosen) == 10
    stored = take_offline(page)
    assert re.search(r"Sẵn sàng ngoại tuyến · \d+ KB", stored), stored
    (ARTIFACTS / "offline-size.txt").parent.mkdir(exist_ok=True)
    (ARTIFACTS / "offline-size.txt").write_text(stored + "\n")

    context.set_offline(True)
    expect(page.locator("#sync-state")).to_contain_text("Mất kết nối")
    for item in chosen:
        c = card(page, item["code"])
        if item["type"] == "yesno":
            c.get_by_text("Đạt", exact=True).click()
        elif item["type"] == "count":
            c.locator("input[name=number]").fill("3")
            c.locator("input[name=number]").blur()
        else:
            c.locator("label").filter(has_text=item["levels"][0]["label"]).first.click()
        expect(page.locator(f"[id='status-{dom(item['code'])}']")).to_contain_text("chờ đồng bộ")
    # A note on an answered item is the same pending change, not an eleventh one.
    first = chosen[0]["code"]
    card(page, first).locator("textarea[name=note]").fill("Ghi khi mất sóng tại bộ phận Một cửa")
    card(page, first).locator("textarea[name=note]").blur()
    expect(page.locator("#sync-counter")).to_have_text("10 thay đổi chưa đồng bộ")

    photos = [tmp_path / "IMG_3001.jpg", tmp_path / "IMG_3002.jpg"]
    photo(photos[0], (200, 40, 40))
    photo(photos[1], (40, 120, 200))
    with_photo = [chosen[0]["code"], chosen[1]["code"]]
    for code, path in zip(with_photo, photos):
        card(page, code).locator("input[type=file][accept='image/*']").set_input_files(str(path))
        expect(card(page, code).locator(".thumb.pending img")).to_have_count(1, timeout=15000)
    expect(page.locator("#sync-counter")).to_have_text("12 thay đổi chưa đồng bộ")
    # Nothing reached the server yet.
    assert not any(code in findings_of(page, server, visit) for code in (i["code"] for i in chosen))

    page.reload()  # offline: the service worker answers from its cache
    expect(page.locator("#sync-counter")).to_have_text("12 thay đổi chưa đồng bộ")
    expect(page.locator("h1")).to_have_text(visit["unit_name"])
    for item in chosen:
        c = card(page, item["code"])
        if item["type"] == "yesno":
            expect(c.locator("input[value=yes]")).to_be_checked()
        elif item["type"] == "count":
            expect(c.locator("input[name=number]")).to_have_value("3")
        else:
            expect(c.locator(f"input[value='{item['levels'][0]['key']}']")).to_be_checked()
        expect(page.locator(f"[id='status-{dom(item['code'])}']")).to_contain_text("chờ đồng bộ")
    expect(card(page, first).locator("textarea[name=note]")).to_have_value("Ghi khi mất sóng tại bộ phận Một cửa")
    for code in with_photo:
        expect(card(page, code).locator(".thumb.pending img")).to_have_count(1)
    page.screenshot(path=str(ARTIFACTS / "offline-reloaded-768x1024.png"))
    # The guidance texts come on the first open of a box; the downloaded visit has them offline too.
    guided = next(i for i in items if i.get("guidance"))
    card(page, guided["code"]).locator("details.guidance summary").click()
    expect(card(page, guided["code"]).locator("details.guidance p")).to_have_text(guided["guidance"])

    context.set_offline(False)
    expect(page.locator("#sync-counter")).to_have_text("Đã đồng bộ", timeout=60000)
    for code in with_photo:
        expect(card(page, code).locator(".gallery img")).to_have_count(1)
        expect(card(page, code).locator(".thumb.pending")).to_have_count(0)
    page.locator("#sync-log summary").click()
    expect(page.locator("#sync-log-list")).to_contain_text("Đã gửi ảnh “IMG_3001.jpg”")
    expect(page.locator("#sync-log-list")).to_contain_text(
        f"Đã gửi tiêu chí {first} (Đạt; ghi chú “Ghi khi mất sóng tại bộ phận Một cửa”) — phiên bản 1")
    page.screenshot(path=str(ARTIFACTS / "offline-synced-768x1024.png"))

    # The server, through the API: ten findings saved once each, two photos once each.
    saved = findings_of(page, server, visit)
    for item in chosen:
        finding = saved[item["code"]]
        assert finding["version"] == 1, finding
        assert finding["updated_by"]
    assert saved[first]["note"] == "Ghi khi mất sóng tại bộ phận Một cửa"
    assert saved[chosen[0]["code"]]["answer"] is True
    assert saved[chosen[7]["code"]]["answer"] == 3
    assert saved[chosen[9]["code"]]["answer"] == chosen[9]["levels"][0]["key"]
    shas = set()
    for code, name in zip(with_photo, ("IMG_3001.jpg", "IMG_3002.jpg")):
        rows = evidence_of(page, server, visit, code)
        assert len(rows) == 1, rows
        assert rows[0]["item_code"] == code and rows[0]["original_name"] == name
        shas.add(rows[0]["sha256"])
    assert len(shas) == 2

    # Online again and reloaded: the page comes from the network, nothing is queued twice.
    page.reload()
    expect(page.locator("#sync-counter")).to_have_text("Đã đồng bộ")
    assert all(findings_of(page, server, visit)[i["code"]]["version"] == 1 for i in chosen)
    context.close()


@pytest.mark.browser
def test_a_change_made_on_the_server_meanwhile_surfaces_as_a_conflict_after_sync(browser, server):
    from playwright.sync_api import expect

    context, page, visit = open_visit(browser, server, "10525")
    items = checklist_items(page, server, visit)
    yesno = [i for i in items if i["type"] == "yesno"]
    kept, dropped, plain = yesno[0]["code"], yesno[1]["code"], yesno[2]["code"]
    # Answered online first, so the offline change is based on version 1.
    card(page, kept).get_by_text("Đạt", exact=True).click()
    wait_saved(page, kept)
    take_offline(page)

    context.set_offline(True)
    card(page, kept).get_by_text("Không đạt", exact=True).click()
    card(page, dropped).get_by_text("Không đạt", exact=True).click()
    card(page, plain).get_by_text("Đạt", exact=True).click()
    expect(page.locator("#sync-counter")).to_have_text("3 thay đổi chưa đồng bộ")

    # Meanwhile the lead changes the same two items on the server.
    lead = browser.new_context()
    lead_page = lead.new_page()
    log_in(lead_page, server, "truongdoan")
    for code, base in ((kept, 1), (dropped, 0)):
        response = lead_page.request.put(
            f"{server.url}/api/v1/visits/{visit['id']}/findings/{code}", headers=api_headers(lead),
            data={"answer": True, "note": "Trưởng đoàn đối chiếu hồ sơ gốc", "base_version": base})
        assert response.status in (200, 201), response.text()

    context.set_offline(False)
    for code in (kept, dropped):
        status = page.locator(f"[id='status-{dom(code)}']")
        expect(status.get_by_role("button", name="Giữ giá trị của tôi")).to_be_visible(timeout=30000)
        expect(status.get_by_role("link", name="Dùng giá trị đã lưu")).to_be_visible()
        expect(status).to_contain_text("Trưởng đoàn đối chiếu hồ sơ gốc")
        expect(card(page, code).locator("input[value=no]")).to_be_checked()  # the inspector's value stays
    wait_saved(page, plain)
    expect(page.locator("#sync-counter")).to_contain_text("2 thay đổi chưa đồng bộ")
    page.locator("#sync-log summary").click()
    expect(page.locator("#sync-log-list")).to_contain_text(f"Xung đột ở tiêu chí {kept}")
    page.screenshot(path=str(ARTIFACTS / "offline-conflict-768x1024.png"))
    # Nothing was overwritten silently.
    saved = findings_of(page, server, visit)
    assert saved[kept]["answer"] is True and saved[kept]["version"] == 2
    assert saved[dropped]["answer"] is True and saved[dropped]["version"] == 1
    assert saved[plain]["answer"] is True and saved[plain]["version"] == 1

    # The conflict stays queued across a reload until the inspector chooses.
    page.reload()
    expect(page.locator(f"[id='status-{dom(kept)}']").get_by_role("button", name="Giữ giá trị của tôi")).to_be_visible()
    expect(card(page, kept).locator("input[value=no]")).to_be_checked()

    page.locator(f"[id='status-{dom(kept)}']").get_by_role("button", name="Giữ giá trị của tôi").click()
    wait_saved(page, kept)
    page.locator(f"[id='status-{dom(dropped)}']").get_by_role("link", name="Dùng giá trị đã lưu").click()
    expect(card(page, dropped).locator("input[value=yes]")).to_be_checked()
    expect(page.locator("#sync-counter")).to_have_text("Đã đồng bộ")
    saved = findings_of(page, server, visit)
    assert saved[kept]["answer"] is False and saved[kept]["version"] == 3
    assert saved[dropped]["answer"] is True and saved[dropped]["version"] == 1
    expect(page.locator("#sync-log-list")).to_contain_text(f"Tiêu chí {kept}: giữ giá trị của tôi")
    expect(page.locator("#sync-log-list")).to_contain_text(f"Tiêu chí {dropped}: dùng giá trị đã lưu")
    lead.close()
    context.close()


@pytest.mark.browser
def test_an_expired_session_stops_the_sync_and_keeps_the_queue(browser, server):
    from playwright.sync_api import expect

    context, page, visit = open_visit(browser, server, "10507")
    code = next(i for i in checklist_items(page, server, visit) if i["type"] == "yesno")["code"]
    take_offline(page)
    context.set_offline(True)
    card(page, code).get_by_text("Đạt", exact=True).click()
    expect(page.locator("#sync-counter")).to_have_text("1 thay đổi chưa đồng bộ")
    session = next(c for c in context.cookies() if c["name"] == "sid")
    context.clear_cookies(name="sid")
    context.set_offline(False)
    expect(page.locator("#sync-state")).to_contain_text("Phiên đăng nhập đã hết hạn — đăng nhập lại để đồng bộ",
                                                        timeout=30000)
    expect(page.locator("#sync-counter")).to_have_text("1 thay đổi chưa đồng bộ")
    # Logged in again (the same session cookie back), the queue drains.
    context.add_cookies([session])
    page.reload()
    expect(page.locator("#sync-counter")).to_have_text("Đã đồng bộ", timeout=30000)
    assert findings_of(page, server, visit)[code]["version"] == 1
    context.close()


@pytest.mark.browser
def test_a_save_made_online_after_the_download_is_no_conflict_offline(browser, server):
    """The stored page is older than an online save made after it; an offline change of that item must
    be based on the newer version (remembered in IndexedDB), not raise a conflict with oneself."""
    from playwright.sync_api import expect

    context, page, visit = open_visit(browser, server, "11755")
    code = next(i for i in checklist_items(page, server, visit) if i["type"] == "yesno")["code"]
    take_offline(page)
    card(page, code).get_by_text("Đạt", exact=True).click()
    wait_saved(page, code)
    context.set_offline(True)
    page.reload()
    expect(card(page, code).locator("input[value=yes]")).to_be_checked()
    expect(page.locator(f"[id='v-{dom(code)}']")).to_have_value("1")
    card(page, code).get_by_text("Không đạt", exact=True).click()
    expect(page.locator("#sync-counter")).to_have_text("1 thay đổi chưa đồng bộ")
    context.set_offline(False)
    expect(page.locator("#sync-counter")).to_have_text("Đã đồng bộ", timeout=30000)
    wait_saved(page, code)
    finding = findings_of(page, server, visit)[code]
    assert finding["answer"] is False and finding["version"] == 2
    context.close()


@pytest.mark.browser
def test_the_queue_survives_a_browser_restart(browser, server, tmp_path):
    """A real restart: a persistent profile closed with changes queued and opened again without network
    (session cookies such as the CSRF cookie are gone; the sync gets a new one)."""
    from browser import CHROMIUM, CHROMIUM_ARGS
    from playwright.sync_api import expect

    def launch(**options):
        return browser.browser_type.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
            viewport={"width": 768, "height": 1024}, locale="vi-VN", **options)

    context = launch()
    page = context.new_page()
    log_in(page, server, "kiemtravien")
    visit = next(v for v in page.request.get(server.url + "/api/v1/visits").json() if v["unit_code"] == "11824")
    page.goto(f"{server.url}/visits/{visit['id']}")
    codes = [i["code"] for i in checklist_items(page, server, visit) if i["type"] == "yesno"][:2]
    take_offline(page)
    context.set_offline(True)
    for code in codes:
        card(page, code).get_by_text("Không đạt", exact=True).click()
    shot = tmp_path / "IMG_4001.jpg"
    photo(shot, (90, 160, 90))
    card(page, codes[0]).locator("input[type=file][accept='image/*']").set_input_files(str(shot))
    expect(page.locator("#sync-counter")).to_have_text("3 thay đổi chưa đồng bộ")
    context.close()

    context = launch(offline=True)
    page = context.new_page()
    page.goto(f"{server.url}/visits/{visit['id']}")
    expect(page.locator("#sync-counter")).to_have_text("3 thay đổi chưa đồng bộ")
    for code in codes:
        expect(card(page, code).locator("input[value=no]")).to_be_checked()
    expect(card(page, codes[0]).locator(".thumb.pending img")).to_have_count(1)
    context.set_offline(False)
    expect(page.locator("#sync-counter")).to_have_text("Đã đồng bộ", timeout=60000)
    saved = findings_of(page, server, visit)
    assert all(saved[code]["answer"] is False and saved[code]["version"] == 1 for code in codes)
    assert len(evidence_of(page, server, visit, codes[0])) == 1
    context.close()
