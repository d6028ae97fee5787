"""The offline code (static/js/offline/, docs/offline.md) is fetched only once a visit is taken offline, and
the queue is replayed through the JSON API (/api/v1) with the session cookie and the CSRF header, never
through the pages' form routes; a save whose first attempt reached the server is not saved twice."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from browser import dom, log_in, wait_saved
from test_browser_offline import card, checklist_items, findings_of, open_visit, photo, take_offline

from inspect_app.text import vn_number


def path_of(url: str) -> str:
    return urlparse(url).path


@pytest.mark.browser
def test_the_offline_code_is_fetched_only_once_the_visit_is_taken_offline(browser, server):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 768, "height": 1024}, locale="vi-VN")
    page = context.new_page()
    fetched: list[str] = []
    page.on("request", lambda request: fetched.append(path_of(request.url)))
    log_in(page, server, "kiemtravien")
    visit = next(v for v in page.request.get(server.url + "/api/v1/visits").json() if v["unit_code"] == "11560")
    page.goto(f"{server.url}/visits/{visit['id']}")
    page.wait_for_load_state("networkidle")
    code = next(i for i in checklist_items(page, server, visit) if i["type"] == "yesno")["code"]
    card(page, code).get_by_text("Đạt", exact=True).click()
    wait_saved(page, code)
    expect(page.locator("#offline-status")).to_have_text("Chưa tải về máy này.")
    expect(page.locator("#sync-bar")).to_be_hidden()
    assert not [p for p in fetched if p.startswith("/static/js/offline/")]
    assert not [p for p in fetched if p == "/static/js/photos.js"]  # no file chosen yet

    take_offline(page)
    assert "/static/js/offline/main.js" in fetched and "/static/js/offline/sync.js" in fetched
    expect(page.locator("#sync-counter")).to_have_text("Đã đồng bộ")
    context.close()


@pytest.mark.browser
def test_queued_changes_are_sent_through_the_json_api(browser, server, tmp_path):
    from playwright.sync_api import expect

    context, page, visit = open_visit(browser, server, "11560")
    items = checklist_items(page, server, visit)
    yesno = next(i for i in items if i["type"] == "yesno")["code"]
    count = next(i for i in items if i["type"] == "count")["code"]
    take_offline(page)
    context.set_offline(True)
    card(page, yesno).get_by_text("Đạt", exact=True).click()
    card(page, yesno).locator("textarea[name=note]").fill("Đã xem sổ theo dõi")
    card(page, yesno).locator("textarea[name=note]").blur()
    card(page, count).locator("input[name=number]").fill("4")
    card(page, count).locator("input[name=number]").blur()
    shot = tmp_path / "IMG_5001.jpg"
    photo(shot, (120, 60, 200))
    card(page, yesno).locator("input[type=file][accept='image/*']").set_input_files(str(shot))
    expect(page.locator("#sync-counter")).to_have_text("3 thay đổi chưa đồng bộ")

    sent = []
    page.on("request", lambda request: sent.append(request) if request.method in ("PUT", "POST") else None)
    context.set_offline(False)
    expect(page.locator("#sync-counter")).to_have_text("Đã đồng bộ", timeout=60000)

    base = f"/api/v1/visits/{visit['id']}/findings"
    puts = {path_of(r.url): r for r in sent if r.method == "PUT"}
    assert set(puts) == {f"{base}/{yesno}", f"{base}/{count}"}
    for request in puts.values():
        assert request.headers["idempotency-key"] and request.headers["x-csrftoken"]
        assert request.headers["content-type"] == "application/json"
    assert puts[f"{base}/{yesno}"].post_data_json == {"answer": True, "na": False, "note": "Đã xem sổ theo dõi",
                                                      "base_version": 0}
    assert puts[f"{base}/{count}"].post_data_json["answer"] == 4
    uploads = [path_of(r.url) for r in sent if r.method == "POST" and "/evidence" in r.url]
    assert uploads == [f"{base}/{yesno}/evidence"]
    assert not [r for r in sent if "/items/" in r.url]  # nothing went through the pages' form routes

    # The cards show what the API answered, as the server's own fragments would.
    saved = findings_of(page, server, visit)
    for code in (yesno, count):
        finding = saved[code]
        assert finding["version"] == 1
        expect(page.locator(f"[id='status-{dom(code)}']")).to_contain_text("Đã lưu lúc")
        expect(page.locator(f"[id='v-{dom(code)}']")).to_have_value("1")
        expect(page.locator(f"[id='points-{dom(code)}']")).to_have_text(
            f"{vn_number(finding['score'])}/{vn_number(finding['max_points'])} đ")
    progress = page.request.get(f"{server.url}{base}").json()["progress"]
    expect(page.locator("#progress")).to_contain_text(f"{progress['answered']}/{progress['total']} đã trả lời")
    expect(card(page, yesno).locator(".gallery img")).to_have_count(1)
    context.close()


@pytest.mark.browser
def test_a_save_that_reached_the_server_before_the_network_failed_is_not_saved_twice(browser, server):
    """The page's own form request got through but its answer was lost; the change then waits in the queue
    with the same key, and the API (which stores requests under the key as it received them) must neither
    save it again nor show the inspector a conflict with themselves."""
    from playwright.sync_api import expect

    context, page, visit = open_visit(browser, server, "11560")
    code = next(i for i in checklist_items(page, server, visit) if i["type"] == "yesno")["code"]
    take_offline(page)

    def answer_lost(route):
        route.fetch()  # the save reaches the server and is stored…
        route.abort()  # …but its answer never reaches the tablet

    page.route(f"**/visits/{visit['id']}/items/{code}", answer_lost)
    card(page, code).get_by_text("Không đạt", exact=True).click()
    expect(page.locator(f"[id='status-{dom(code)}']")).to_contain_text("Chưa lưu được")
    assert findings_of(page, server, visit)[code]["version"] == 1
    context.set_offline(True)  # the retry finds no network: queued with the key it was sent with
    expect(page.locator("#sync-counter")).to_have_text("1 thay đổi chưa đồng bộ", timeout=15000)
    page.unroute(f"**/visits/{visit['id']}/items/{code}")

    context.set_offline(False)
    expect(page.locator("#sync-counter")).to_have_text("Đã đồng bộ", timeout=30000)
    expect(page.locator(f"[id='status-{dom(code)}']")).to_contain_text("Đã lưu lúc")
    finding = findings_of(page, server, visit)[code]
    assert finding["answer"] is False and finding["version"] == 1
    page.locator("#sync-log summary").click()
    expect(page.locator("#sync-log-list")).to_contain_text(f"Đã gửi tiêu chí {code} (Không đạt) — phiên bản 1")
    expect(page.locator("#sync-log-list")).not_to_contain_text("Xung đột")
    context.close()
