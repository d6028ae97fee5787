"""The visit page at 768×1024 in Chromium: a compact sticky header that never hides what it jumps to,
who is logged in, touch targets, ratio pairs, "next unanswered", and a keyboard journey with visible focus."""

from __future__ import annotations

import pytest
from browser import ARTIFACTS, dom, log_in, wait_saved
from PIL import Image

pytestmark = pytest.mark.browser

TABLET = {"width": 768, "height": 1024}

# Where the focus is shown: the label of a visually hidden radio or file input, else the element.
FOCUS_JS = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const shown = el.matches('.seg input, .file-btn input') && el.labels && el.labels[0] ? el.labels[0] : el;
  const r = shown.getBoundingClientRect();
  const head = document.getElementById('sticky-head');
  const style = getComputedStyle(shown);
  return {tag: el.tagName, id: el.id, name: el.getAttribute('name'), text: (shown.innerText || '').slice(0, 60),
          card: el.closest('.item-card') ? el.closest('.item-card').id : null,
          top: r.top, bottom: r.bottom, height: r.height, viewport: innerHeight,
          inHead: !!(head && head.contains(el)), headBottom: head ? head.getBoundingClientRect().bottom : 0,
          headTop: head ? head.getBoundingClientRect().top : 0, onBlue: !!el.closest('.topbar'),
          outlineStyle: style.outlineStyle, outlineWidth: parseFloat(style.outlineWidth),
          outlineColor: style.outlineColor,
          boxShadow: style.boxShadow};
}"""


def luminance(rgb: str) -> float:
    parts = [float(p) / 255 for p in rgb[rgb.index("(") + 1:rgb.index(")")].split(",")[:3]]
    lin = [p / 12.92 if p <= 0.03928 else ((p + 0.055) / 1.055) ** 2.4 for p in parts]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_on_white(rgb: str) -> float:
    return 1.05 / (luminance(rgb) + 0.05)


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def focus(page) -> dict:
    """The focused element, asserted visible: not <body>, on screen, clear of the sticky header, ringed."""
    page.wait_for_timeout(60)  # one frame: the header check runs after the browser's own scroll
    f = page.evaluate(FOCUS_JS)
    assert f is not None, "focus fell to <body>"
    assert f["top"] >= 0 and f["bottom"] <= f["viewport"], f
    if not f["inHead"]:
        assert not (f["top"] < f["headBottom"] - 1 and f["bottom"] > f["headTop"]), ("under the sticky header", f)
    assert (f["outlineStyle"] != "none" and f["outlineWidth"] >= 2) or f["boxShadow"] != "none", ("no focus ring", f)
    if f["outlineStyle"] != "none":  # ≥ 3:1 against what is around it (WCAG 1.4.11)
        ground = "rgb(11, 83, 148)" if f["onBlue"] else "rgb(255, 255, 255)"
        assert contrast(f["outlineColor"], ground) >= 3, f
    return f


def press(page, key: str) -> dict:
    page.keyboard.press(key)
    return focus(page)


def photo(path) -> None:
    Image.new("RGB", (800, 600), (30, 120, 60)).save(path, "JPEG")


@pytest.fixture
def inspector(browser, server):
    context = browser.new_context(viewport=TABLET, locale="vi-VN")
    page = context.new_page()
    log_in(page, server, "kiemtravien")
    visit = next(v for v in page.request.get(server.url + "/api/v1/visits").json() if v["unit_code"] == "11560")
    tree = page.request.get(f"{server.url}/api/v1/checklists/{visit['checklist_id']}",
                            params={"version": visit["checklist_version"]}).json()["checklist"]
    yield page, visit, tree
    context.close()


def test_header_is_compact_shows_who_and_keeps_one_menu_row(browser, server):
    context = browser.new_context(viewport=TABLET, locale="vi-VN")
    page = context.new_page()
    log_in(page, server, "sonoivu")  # the longest menu
    visit = next(v for v in page.request.get(server.url + "/api/v1/visits").json() if v["unit_code"] == "11560")
    page.goto(f"{server.url}/visits/{visit['id']}")
    who = page.locator(".who-name")
    assert who.is_visible() and "Nguyễn Thị Thu Hà" in who.inner_text() and "Sở Nội vụ" in who.inner_text()
    nav_links = page.locator(".nav a")
    tops = {round(nav_links.nth(i).bounding_box()["y"]) for i in range(nav_links.count())}
    assert len(tops) == 1, "the menu wraps"
    assert page.locator(".topbar").bounding_box()["height"] <= 100  # brand and who, then the menu
    head = page.locator("#sticky-head").bounding_box()["height"]
    assert head <= 1024 / 8, head  # was 203 px with a self-assessment, 172 without
    context.close()


def test_jumping_to_an_area_shows_its_title_below_the_header(inspector, server):
    page, visit, _ = inspector
    page.goto(f"{server.url}/visits/{visit['id']}")
    page.locator("#area-nav a[href='#area-2']").click()
    title = page.locator("#area-2 h2")
    page.wait_for_timeout(100)
    head_bottom = page.locator("#sticky-head").bounding_box()
    box = title.bounding_box()
    assert box["y"] >= head_bottom["y"] + head_bottom["height"] - 1
    assert page.evaluate("document.activeElement === document.querySelector('#area-2 h2')")
    # Reloading on the address (#area-2) lands the same way (scroll-padding, not a script).
    page.reload()
    page.wait_for_timeout(200)
    head = page.locator("#sticky-head").bounding_box()
    assert page.locator("#area-2 h2").bounding_box()["y"] >= head["y"] + head["height"] - 1


def test_touch_targets_are_at_least_44_px(inspector, server, tmp_path):
    from playwright.sync_api import expect

    page, visit, tree = inspector
    page.goto(f"{server.url}/visits/{visit['id']}")
    first = tree["areas"][0]["criteria"][0]["items"][0]["code"]
    card = page.locator(f"[id='item-{dom(first)}']")
    image = tmp_path / "a.jpg"
    photo(image)
    card.locator("input[type=file][accept='image/*']").set_input_files(str(image))
    expect(card.locator(".gallery img")).to_have_count(1, timeout=20000)
    small = page.evaluate("""() => [...document.querySelectorAll(
        'main .btn, main button, main select, main textarea, main summary, .seg label, ' +
        'main input:not([type=hidden]):not([type=radio]):not([type=checkbox]):not(.file-input)')]
      .filter(el => el.offsetParent !== null)
      .map(el => [el.className || el.tagName, el.innerText || el.name || el.placeholder,
                  el.getBoundingClientRect().height])
      .filter(([, , h]) => h < 44)""")
    assert small == []
    assert card.get_by_role("button", name="Xóa").bounding_box()["height"] >= 44
    assert card.get_by_placeholder("Chú thích").bounding_box()["height"] >= 44


def test_control_edges_are_at_least_3_to_1(inspector, server):
    page, visit, tree = inspector
    page.goto(f"{server.url}/visits/{visit['id']}")
    edges = page.evaluate("""() => ['.item-card textarea', '.capture-nav .btn', '.item-card', '.seg label']
      .map(sel => [sel, getComputedStyle(document.querySelector(sel)).borderTopColor])""")
    for selector, color in edges:
        assert contrast_on_white(color) >= 3, (selector, color)


def test_a_ratio_saves_as_a_pair(inspector, server):
    from playwright.sync_api import expect

    page, visit, tree = inspector
    page.goto(f"{server.url}/visits/{visit['id']}")
    item = next(i for a in tree["areas"] for c in a["criteria"] for i in c["items"] if i["type"] == "ratio")
    code = item["code"]
    card = page.locator(f"[id='item-{dom(code)}']")
    status = page.locator(f"[id='status-{dom(code)}']")
    posts = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" and f"/items/{code}" in r.url else None)
    card.locator("input[name=numerator]").fill("9")
    card.locator("input[name=numerator]").press("Tab")  # to the denominator: still inside the pair
    page.wait_for_timeout(1500)
    assert posts == []  # nothing saved, no red error before the denominator could be typed
    assert "failed" not in (status.get_attribute("class") or "")
    expect(status).to_contain_text("nhập cả tử số và mẫu số")
    page.keyboard.type("10")
    wait_saved(page, code)
    expect(page.locator(f"[id='points-{dom(code)}']")).to_contain_text("tỷ lệ 90%")
    assert len(posts) == 1
    # Leaving the pair with one half missing: now the server says what is wrong.
    card.locator("input[name=denominator]").fill("")
    page.wait_for_timeout(1200)
    assert len(posts) == 1
    card.locator("textarea[name=note]").focus()
    expect(status).to_have_class("save-status failed", timeout=10000)
    assert len(posts) == 2


def test_next_unanswered_moves_to_and_focuses_the_next_open_item(inspector, server):
    page, visit, tree = inspector
    page.goto(f"{server.url}/visits/{visit['id']}")
    codes = [i["code"] for a in tree["areas"] for c in a["criteria"] for i in c["items"]]
    first = page.locator(f"[id='item-{dom(codes[0])}'] fieldset.answer :is(input, textarea)").first
    page.get_by_role("link", name="Tiêu chí chưa trả lời tiếp theo").click()
    f = focus(page)
    assert f["card"] == f"item-{dom(codes[0])}"
    first.fill("2026-01-10") if first.get_attribute("type") == "date" else first.fill("1")
    first.blur()
    wait_saved(page, codes[0])
    page.get_by_role("link", name="Tiêu chí chưa trả lời tiếp theo").click()
    assert focus(page)["card"] == f"item-{dom(codes[1])}"
    # From inside a card, Alt+N goes on from there.
    f = press(page, "Alt+n")
    assert f["card"] == f"item-{dom(codes[2])}"


def test_keyboard_answers_jumps_and_uploads_with_visible_focus(inspector, server, tmp_path):
    from playwright.sync_api import expect

    page, visit, tree = inspector
    page.goto(f"{server.url}/visits/{visit['id']}")
    # From the top of the page to the second area: skip link, then the area jumps.
    presses = 0
    f = press(page, "Tab")
    presses += 1
    assert f["text"] == "Bỏ qua menu"
    f = press(page, "Tab")
    presses += 1
    assert f["text"] == "Đến các lĩnh vực"
    page.keyboard.press("Enter")
    while f["text"] != "LV2":
        f = press(page, "Tab")
        presses += 1
        assert presses <= 6, f
    f = press(page, "Enter")
    assert f["tag"] == "H2" and f["text"].startswith("2.")
    # Into the first item of area 2 and answer it.
    area2 = tree["areas"][1]["criteria"][0]["items"]
    item, other = area2[0], area2[1]
    while f["card"] != f"item-{dom(item['code'])}" or f["tag"] not in ("INPUT", "TEXTAREA"):
        f = press(page, "Tab")
    assert f["name"] in ("number", "choice", "numerator", "text"), f
    if f["name"] == "choice":
        f = press(page, "Space")
    else:
        page.keyboard.type("1")
    wait_saved(page, item["code"])
    focus(page)
    # One Tab stop per control: from the answer to the next item's answer.
    stops = 0
    while f["card"] != f"item-{dom(other['code'])}" or f["tag"] not in ("INPUT", "TEXTAREA"):
        f = press(page, "Tab")
        stops += 1
        if f["name"] == "file" and "ảnh" in f["text"]:
            photo_at = stops
        assert stops <= 5, f
    assert stops <= 4  # note, the evidence toolbar (one stop for both buttons), the guidance, the answer
    # Back to the photo button of the first item and upload through the keyboard.
    for _ in range(stops - photo_at):
        f = press(page, "Shift+Tab")
    assert f["name"] == "file" and "ảnh" in f["text"] and f["card"] == f"item-{dom(item['code'])}"
    f = press(page, "ArrowRight")
    assert "PDF" in f["text"]
    f = press(page, "ArrowLeft")
    assert "ảnh" in f["text"]
    image = tmp_path / "bien-ban.jpg"
    photo(image)
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(image))
    card = page.locator(f"[id='item-{dom(item['code'])}']")
    expect(card.locator(".gallery img")).to_have_count(1, timeout=20000)
    expect(card.locator(".upload-status")).to_contain_text("Đã tải lên 1 tệp")
    f = focus(page)  # back on the photo button of the same item, not on <body>
    assert f["name"] == "file" and "ảnh" in f["text"] and f["card"] == f"item-{dom(item['code'])}"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "visit-keyboard-768x1024.png"))


def test_plain_links_and_the_top_bar_show_a_strong_focus_ring(inspector, server):
    page, visit, _ = inspector
    page.goto(f"{server.url}/visits/{visit['id']}")
    page.keyboard.press("Tab")
    f = press(page, "Tab")
    f = press(page, "Tab")  # the brand, on the blue top bar: an amber ring
    assert f["text"] == "Sổ Kiểm Tra" and f["outlineWidth"] >= 3
    assert f["outlineColor"] == "rgb(255, 213, 79)"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")  # "Bỏ qua menu"
    f = press(page, "Tab")
    assert f["tag"] == "A" and f["text"] == "Cuộc kiểm tra" and "btn" not in page.evaluate(
        "document.activeElement.className")
    assert f["outlineWidth"] >= 3  # not Chromium's 1 px default


def test_deleting_a_photo_keeps_the_focus_on_the_item(inspector, server, tmp_path):
    from playwright.sync_api import expect

    page, visit, tree = inspector
    page.goto(f"{server.url}/visits/{visit['id']}")
    code = tree["areas"][0]["criteria"][0]["items"][0]["code"]
    card = page.locator(f"[id='item-{dom(code)}']")
    image = tmp_path / "a.jpg"
    photo(image)
    card.locator("input[type=file][accept='image/*']").set_input_files(str(image))
    expect(card.locator(".gallery img")).to_have_count(1, timeout=20000)
    page.on("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Xóa").focus()
    page.keyboard.press("Enter")
    expect(card.locator(".gallery img")).to_have_count(0, timeout=10000)
    f = focus(page)
    assert f["card"] == f"item-{dom(code)}" and f["name"] == "file"
