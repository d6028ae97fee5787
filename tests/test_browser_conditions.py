"""Skip logic on the tablet (Chromium, 768×1024): an item disappears and reappears as its controlling
answer changes, before any save; the browser evaluator agrees with the shared case table."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import msgspec
import pytest
import dbchecks
import dbtarget
from browser import LiveServer, dom, live_data_dir, log_in, wait_saved
from playwright.sync_api import expect

from inspect_app.checklists import load_checklist_file
from inspect_app.settings import ROOT

pytestmark = pytest.mark.browser

DATA = Path(__file__).resolve().parent / "data"
CONDITIONAL = DATA / "checklists" / "conditional" / "dieu-kien-xa.toml"


@pytest.fixture
def conditional_server(tmp_path, seeded_db):
    """A live server whose checklists include the conditional test checklist, with the demo visit of
    unit 11560 re-pointed at it (and its findings cleared)."""
    checklists = tmp_path / "checklists"
    shutil.copytree(ROOT / "checklists", checklists)
    shutil.copy(CONDITIONAL, checklists / CONDITIONAL.name)
    data_dir = live_data_dir(tmp_path, seeded_db)
    live = LiveServer(data_dir, {"INSPECT_CHECKLISTS_DIR": str(checklists)})
    version = load_checklist_file(CONDITIONAL).version_hash
    database = live.database_url or data_dir / "inspect.sqlite3"  # the server's own clone on PostgreSQL
    visit_id = dbtarget.sql(database, "SELECT id FROM visits WHERE unit_code = '11560'")[0][0]
    dbchecks.run_many(database, [
        ("DELETE FROM findings WHERE visit_id = ?", (visit_id,)),
        ("UPDATE visits SET checklist_id = 'dieu-kien-xa', checklist_version = ?, status = 'in_progress'"
         " WHERE id = ?", (version, visit_id))])
    yield live, visit_id
    live.stop()


def card(page, code: str):
    return page.locator(f"[id='item-{dom(code)}']")


def test_an_item_disappears_and_reappears_as_its_controlling_answer_changes(browser, conditional_server):
    server, visit_id = conditional_server
    page = browser.new_page(viewport={"width": 768, "height": 1024})
    log_in(page, server, "kiemtravien")
    page.goto(f"{server.url}/visits/{visit_id}")
    expect(card(page, "1.1.1")).to_be_visible()
    for code in ("1.1.2", "1.1.3", "2.2.1", "2.2.2", "2.2.3"):
        expect(card(page, code)).to_be_hidden()
    expect(page.locator("h3.crit[data-crit='2.2']")).to_be_hidden()

    page.locator(f"label[for='c-{dom('1.1.1')}-yes']").click()
    expect(card(page, "1.1.2")).to_be_visible()  # at once, before the save comes back
    expect(card(page, "1.1.3")).to_be_hidden()
    wait_saved(page, "1.1.1")
    page.locator(f"label[for='c-{dom('1.1.2')}-dat']").click()
    expect(card(page, "1.1.3")).to_be_visible()
    wait_saved(page, "1.1.2")

    page.locator(f"label[for='c-{dom('1.1.1')}-no']").click()
    expect(card(page, "1.1.2")).to_be_hidden()
    expect(card(page, "1.1.3")).to_be_hidden()  # a chain follows its skipped controller
    wait_saved(page, "1.1.1")
    progress = page.request.get(f"{server.url}/api/v1/visits/{visit_id}/findings").json()["progress"]
    assert progress["skipped"] == ["1.1.2", "1.1.3", "2.2.1", "2.2.2", "2.2.3"]

    page.locator(f"label[for='c-{dom('1.1.1')}-yes']").click()
    expect(card(page, "1.1.2")).to_be_visible()
    expect(card(page, "1.1.3")).to_be_visible()  # the answer saved before is still there and counts again
    expect(page.locator(f"[id='c-{dom('1.1.2')}-dat']")).to_be_checked()

    # The whole criterion 2.2 follows 2.1.1; the number of overdue dossiers opens the apology ratio.
    page.locator(f"label[for='c-{dom('2.1.1')}-yes']").click()
    expect(page.locator("h3.crit[data-crit='2.2']")).to_be_visible()
    expect(card(page, "2.2.1")).to_be_visible()
    expect(card(page, "2.2.2")).to_be_hidden()
    page.locator(f"[id='n-{dom('2.2.1')}']").fill("2")
    expect(card(page, "2.2.2")).to_be_visible()
    page.locator(f"[id='n-{dom('2.2.1')}']").fill("0")
    expect(card(page, "2.2.2")).to_be_hidden()
    page.close()


def test_the_browser_evaluator_agrees_with_the_shared_cases(browser, conditional_server):
    server, visit_id = conditional_server
    cases = json.loads((DATA / "conditions_cases.json").read_text(encoding="utf-8"))
    checklist = msgspec.to_builtins(load_checklist_file(CONDITIONAL).checklist)
    page = browser.new_page()
    log_in(page, server, "kiemtravien")
    page.goto(f"{server.url}/visits/{visit_id}")
    src = page.locator("script[src*='/js/skip-view.js']").get_attribute("src").replace("skip-view.js", "conditions.js")
    got = page.evaluate("""async ([src, checklist, cases]) => {
        const { skippedCodes, conditionHolds } = await import(src);
        const ratio = { code: "r", type: "ratio" };
        return {
          skipped: cases.cases.map((c) => [...skippedCodes(checklist, c.answers)].sort()),
          holds: cases.ratio_cases.map((c) => conditionHolds({ item: "r", min: c.min }, ratio, c.answer)),
        };
    }""", [src, checklist, cases])
    assert got["skipped"] == [case["skipped"] for case in cases["cases"]]
    assert got["holds"] == [case["holds"] for case in cases["ratio_cases"]]
    page.close()


def test_items_hide_and_show_offline_and_the_replay_keeps_their_order(browser, conditional_server):
    server, visit_id = conditional_server
    context = browser.new_context(viewport={"width": 768, "height": 1024}, locale="vi-VN",
                                  timezone_id="Asia/Ho_Chi_Minh")
    page = context.new_page()
    log_in(page, server, "kiemtravien")
    page.goto(f"{server.url}/visits/{visit_id}")
    page.get_by_role("button", name="Tải về để làm ngoại tuyến").click()
    expect(page.locator("#offline-status")).to_contain_text("Sẵn sàng ngoại tuyến", timeout=30000)
    page.wait_for_function("navigator.serviceWorker.controller !== null", timeout=10000)

    context.set_offline(True)
    page.reload()  # the stored page, with its conditions and both modules from the cache
    expect(card(page, "1.1.2")).to_be_hidden()
    page.locator(f"label[for='c-{dom('1.1.1')}-yes']").click()
    expect(card(page, "1.1.2")).to_be_visible()
    page.locator(f"label[for='c-{dom('1.1.2')}-dat']").click()
    expect(card(page, "1.1.3")).to_be_visible()
    page.locator(f"label[for='c-{dom('1.1.1')}-no']").click()
    expect(card(page, "1.1.2")).to_be_hidden()
    page.locator(f"label[for='c-{dom('1.1.1')}-yes']").click()
    expect(card(page, "1.1.2")).to_be_visible()

    # Back online: the queue replays oldest first, so the controlling answer lands before its dependant.
    context.set_offline(False)
    expect(page.locator("#sync-counter")).to_have_text("Đã đồng bộ", timeout=30000)
    saved = page.request.get(f"{server.url}/api/v1/visits/{visit_id}/findings").json()
    answers = {f["item_code"]: f["answer"] for f in saved["findings"]}
    assert answers == {"1.1.1": True, "1.1.2": "dat"}
    assert "1.1.3" not in saved["progress"]["skipped"] and "1.1.2" not in saved["progress"]["skipped"]
    context.close()
