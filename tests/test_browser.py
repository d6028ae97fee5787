"""Main journeys in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright)."""

from __future__ import annotations

import pytest
from browser import ARTIFACTS, log_in

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 768, "height": 1024}, locale="vi-VN")
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("username, expected", [
    ("kiemtravien", "Hôm nay"),
    ("truongdoan", "Sắp tới"),
    ("sonoivu", "Kế hoạch 33/KH-UBND"),
    ("dv11560", "Phường Thủy Nguyên"),
])
def test_each_role_logs_in_and_sees_their_home(page, server, username, expected):
    log_in(page, server, username)
    assert expected in page.locator("main").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"home-{username}-768x1024.png"), full_page=True)
    # Every visible button and link in the top bar is a comfortable touch target.
    for box in [el.bounding_box() for el in page.locator(".topbar a, .topbar button").all()]:
        assert box is None or box["height"] >= 44


def test_wrong_password_shows_a_message_and_logout_works(page, server):
    page.goto(server.url + "/login")
    page.get_by_label("Tên đăng nhập").fill("kiemtravien")
    page.get_by_label("Mật khẩu").fill("sai-mat-khau")
    page.get_by_role("button", name="Đăng nhập").click()
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in page.locator(".alert-error").inner_text()
    log_in(page, server, "kiemtravien")
    page.get_by_role("button", name="Đăng xuất").click()
    page.wait_for_url("**/login?reason=logout")
    assert "Bạn đã đăng xuất." in page.content()


def test_unit_search_ignores_diacritics_as_you_type(page, server):
    log_in(page, server, "kiemtravien")
    page.goto(server.url + "/units")
    with page.expect_response(lambda r: "/units?" in r.url and r.request.headers.get("hx-request") == "true"):
        page.get_by_placeholder("Tìm tên đơn vị").fill("thuy nguyen")
    rows = page.locator("#unit-rows tbody tr")
    rows.first.wait_for()
    assert "Thủy Nguyên" in rows.first.inner_text() or "Thuỷ Nguyên" in rows.first.inner_text()
    assert "11560" in page.locator("#unit-rows").inner_text()
    assert "q=thuy%20nguyen" in page.url  # the search is in the address bar, so back/refresh keep it
