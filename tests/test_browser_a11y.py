"""Accessibility in Chromium at 768×1024: axe-core (WCAG 2.1 AA) on the pages each role works in.

axe-core is vendored (tests/vendor/axe.min.js, MPL-2.0) so that CI needs no npm; it is injected into
the page by Playwright and never served by the app.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, live_data_dir, LiveServer, log_in, require_chromium

pytestmark = pytest.mark.browser

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TABLET = {"width": 768, "height": 1024}
AXE_SOURCE = AXE.read_text(encoding="utf-8")


def axe_violations(page) -> list[dict]:
    """Run axe-core's WCAG 2.1 A/AA rules on the page as it is now; the violations, summarised."""
    if not page.evaluate("() => !!window.axe"):
        # Evaluated through the DevTools protocol: the app's CSP (script-src 'self') stays in force.
        page.evaluate(AXE_SOURCE + "\n;!!window.axe")
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_21_AA)
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]} for v in result["violations"]]


@pytest.fixture(scope="module")
def live(tmp_path_factory, seeded_db):
    """One server for the module: every check here only reads, except the answers in the visit check."""
    require_chromium()
    server = LiveServer(live_data_dir(tmp_path_factory.mktemp("a11y"), seeded_db), {})
    yield server
    server.stop()


@pytest.fixture(scope="module")
def chromium():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


def open_as(chromium, live, username: str | None):
    context = chromium.new_context(viewport=TABLET, locale="vi-VN")
    page = context.new_page()
    if username:
        log_in(page, live, username)
    return context, page


def visit_of(page, live, unit_code: str) -> dict:
    return next(v for v in page.request.get(live.url + "/api/v1/visits").json() if v["unit_code"] == unit_code)


def checklist_draft(page, live) -> str:
    """A fresh draft of the commune checklist, one item's form open (made through the editor's own form)."""
    token = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    current = next(c for c in page.request.get(live.url + "/api/v1/checklists").json()
                   if c["id"] == "cchc-xa" and c["current"])
    made = page.request.post(live.url + "/checklists/cchc-xa/drafts", form={"from_version": current["version"]},
                             headers={"x-csrftoken": token}, max_redirects=0)
    return made.headers["location"] + "?open=0.0.1"


# (who, what, path or a function of the page giving it)
PAGES = [
    (None, "đăng nhập", "/login"),
    ("sonoivu", "trang chủ Sở Nội vụ", "/"),
    ("truongdoan", "trang chủ trưởng đoàn", "/"),
    ("kiemtravien", "trang chủ kiểm tra viên", "/"),
    ("dv11560", "trang chủ đơn vị", "/"),
    ("kiemtravien", "cuộc kiểm tra đang mở", lambda page, live: f"/visits/{visit_of(page, live, '11560')['id']}"),
    ("truongdoan", "ký duyệt", lambda page, live: f"/visits/{visit_of(page, live, '11560')['id']}/sign-off"),
    ("truongdoan", "cuộc kiểm tra đã ký duyệt", lambda page, live: f"/visits/{visit_of(page, live, '10532')['id']}"),
    ("truongdoan", "ký biên bản", lambda page, live: f"/visits/{visit_of(page, live, '10532')['id']}/sign"),
    ("sonoivu", "kế hoạch", "/plans/1"),
    ("sonoivu", "bảng điều khiển", "/reports"),
    ("sonoivu", "danh sách kiến nghị", "/remediation"),
    ("sonoivu", "một kiến nghị", "/remediation/7"),
    ("dv11560", "tự đánh giá", lambda page, live: f"/visits/{visit_of(page, live, '11560')['id']}/self-assessment"),
    ("sonoivu", "sửa bộ tiêu chí", "/checklists/cchc-xa/edit"),
    ("sonoivu", "bản nháp bộ tiêu chí", checklist_draft),
    ("sonoivu", "phát hành văn bản", lambda page, live: f"/visits/{visit_of(page, live, '10532')['id']}/issue"),
    ("sonoivu", "sổ đăng ký văn bản đi", "/documents"),
    (None, "kiểm tra văn bản", "/verify"),
]


def test_axe_is_really_looking(chromium, live):
    """The check is live: a page with an unlabelled image and an unnamed button fails it."""
    context, page = open_as(chromium, live, None)
    try:
        page.goto(live.url + "/login")
        page.evaluate("""() => { document.querySelector('main').insertAdjacentHTML('beforeend',
            '<img src="/static/img/icon.svg"><button type="button"></button>'); }""")
        found = {v["id"] for v in axe_violations(page)}
        assert {"image-alt", "button-name"} <= found
    finally:
        context.close()


def test_an_open_visit_with_answers_a_refusal_and_a_photo_has_no_violations(chromium, live, tmp_path):
    """The visit page in the states an inspector sees after working: saved, refused, with a photo."""
    from browser import dom, wait_saved
    from PIL import Image
    from playwright.sync_api import expect

    context, page = open_as(chromium, live, "kiemtravien")
    try:
        visit = visit_of(page, live, "11560")
        tree = page.request.get(f"{live.url}/api/v1/checklists/{visit['checklist_id']}",
                                params={"version": visit["checklist_version"]}).json()["checklist"]
        items = [i for a in tree["areas"] for c in a["criteria"] for i in c["items"]]
        page.goto(f"{live.url}/visits/{visit['id']}")
        yes = next(i for i in items if i["type"] == "yesno")["code"]
        card = page.locator(f"[id='item-{dom(yes)}']")
        card.get_by_text("Đạt", exact=True).click()
        wait_saved(page, yes)
        score = next(i for i in items if i["type"] == "score")["code"]
        page.locator(f"[id='item-{dom(score)}'] input[name=number]").fill("999")
        page.locator(f"[id='item-{dom(score)}'] input[name=number]").blur()
        expect(page.locator(f"[id='status-{dom(score)}']")).to_have_class("save-status failed", timeout=10000)
        photo = tmp_path / "a.jpg"
        Image.new("RGB", (640, 480), (90, 90, 160)).save(photo, "JPEG")
        card.locator("input[type=file][accept='image/*']").set_input_files(str(photo))
        expect(card.locator(".gallery img")).to_have_count(1, timeout=20000)
        assert axe_violations(page) == []
    finally:
        context.close()


@pytest.mark.parametrize("username, what, path", PAGES, ids=[p[1] for p in PAGES])
def test_no_axe_violations_at_768(chromium, live, username, what, path):
    context, page = open_as(chromium, live, username)
    try:
        url = path(page, live) if callable(path) else path
        response = page.goto(live.url + url)
        assert response.ok, (what, response.status)
        assert page.evaluate("() => innerWidth") == 768
        assert axe_violations(page) == [], what
    finally:
        context.close()
