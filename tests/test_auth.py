"""Login, logout, sessions, CSRF, tokens and throttling, as a person or a program meets them."""

from __future__ import annotations

import re


from conftest import DEMO_PASSWORD, csrf_token, login, post_form, text_of
import dbchecks
import dbtarget

from inspect_app.cli import main as cli


def test_login_then_home_shows_the_persons_name(client):
    response = login(client, "kiemtravien")
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = response.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("samesite", "SameSite")
    home = client.get("/")
    assert home.status_code == 200
    assert "Lê Thị Hồng Nhung" in home.text


def test_wrong_password_is_a_clear_vietnamese_400(client):
    response = login(client, "kiemtravien", "sai-mat-khau")
    assert response.status_code == 400
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.text
    assert "sid" not in client.cookies


def test_unknown_user_gets_the_same_message_as_a_wrong_password(client):
    response = login(client, "khongtontai", "whatever-123")
    assert response.status_code == 400
    assert "Tên đăng nhập hoặc mật khẩu không đúng." in response.text


def test_no_session_redirects_pages_to_login_and_api_gets_401_json(client):
    page = client.get("/plans", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/login?next=/plans")
    api = client.get("/api/v1/me")
    assert api.status_code == 401
    assert api.json() == {"error": "login_required", "message": "Vui lòng đăng nhập để tiếp tục."}


def test_htmx_request_without_session_gets_hx_redirect(client):
    response = client.get("/units?q=a", headers={"HX-Request": "true"}, follow_redirects=False)
    assert response.status_code == 401
    assert response.headers["hx-redirect"].startswith("/login")


def test_logout_ends_the_session_on_the_server(client):
    login(client, "sonoivu")
    old_cookie = client.cookies["sid"]
    response = post_form(client, "/logout", {})
    assert response.status_code == 303
    assert response.headers["location"] == "/login?reason=logout"
    # Replaying the old cookie (as a thief would) no longer works.
    client.cookies.set("sid", old_cookie)
    again = client.get("/", follow_redirects=False)
    assert again.status_code == 303
    assert "reason=expired" in again.headers["location"]
    page = client.get(again.headers["location"])
    assert "Phiên đăng nhập đã hết hạn" in page.text


def test_tampered_cookie_is_treated_as_an_ended_session(client):
    login(client, "sonoivu")
    client.cookies.set("sid", client.cookies["sid"][:-2] + "xx")
    response = client.get("/", follow_redirects=False)
    assert response.status_code == 303 and "reason=expired" in response.headers["location"]
    api = client.get("/api/v1/me")
    assert api.status_code == 401
    assert api.json()["error"] == "session_expired"
    assert "hết hạn" in api.json()["message"]


def test_idle_session_expires(client, settings):
    login(client, "sonoivu")
    dbtarget.sql(settings, "UPDATE sessions SET last_seen_at = '2020-01-01T00:00:00Z'")
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"] == "session_expired"


def test_login_form_without_csrf_token_is_refused_in_vietnamese(client):
    client.get("/login")
    response = client.post("/login", data={"username": "sonoivu", "password": DEMO_PASSWORD},
                           follow_redirects=False)
    assert response.status_code == 403
    assert "thiếu mã bảo mật" in response.text
    assert "sid" not in client.cookies


def test_post_with_a_forged_csrf_token_is_refused(client):
    login(client, "sonoivu")
    response = client.post("/logout", data={"_csrf_token": "0" * 128}, follow_redirects=False)
    assert response.status_code == 403
    assert client.get("/api/v1/me").status_code == 200  # still logged in: nothing happened


def test_htmx_style_header_token_is_accepted(client):
    login(client, "sonoivu")
    response = client.post("/logout", headers={"x-csrftoken": csrf_token(client)}, follow_redirects=False)
    assert response.status_code == 303


def test_cross_site_origin_is_refused_even_with_a_token(client):
    login(client, "sonoivu")
    response = post_form(client, "/logout", {}, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403


def test_api_error_for_csrf_is_json(client):
    login(client, "sonoivu")
    response = client.post("/api/v1/me")
    assert response.status_code in (403, 405)
    assert response.headers["content-type"].startswith("application/json")


def test_login_is_throttled_after_five_failures_with_a_clear_message(client):
    for _ in range(5):
        assert login(client, "truongdoan", "wrong-password").status_code == 400
    response = login(client, "truongdoan", DEMO_PASSWORD)
    assert response.status_code == 429
    assert "quá nhiều lần" in response.text
    # Another account from the same address is not locked out.
    assert login(client, "kiemtravien").status_code == 303


def test_open_redirect_after_login_is_refused(client):
    client.get("/login")
    response = client.post("/login", data={"username": "sonoivu", "password": DEMO_PASSWORD,
                                           "next": "//evil.example/", "_csrf_token": csrf_token(client)},
                           follow_redirects=False)
    assert response.headers["location"] == "/"


def test_bearer_token_reaches_the_api_and_a_bad_one_gets_401(client, settings, monkeypatch, capsys):
    dbchecks.point_cli_at(monkeypatch, settings)
    assert cli(["user", "token", "kiemtravien"]) == 0
    token = capsys.readouterr().out.strip()
    client.cookies.clear()
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json()["username"] == "kiemtravien" and me.json()["role"] == "inspector"
    bad = client.get("/api/v1/me", headers={"Authorization": "Bearer not-a-token"})
    assert bad.status_code == 401 and bad.json()["error"] == "invalid_token"


def test_password_change_ends_existing_sessions(client, settings, monkeypatch):
    login(client, "kiemtravien")
    dbchecks.point_cli_at(monkeypatch, settings)
    import io
    monkeypatch.setattr("sys.stdin", io.StringIO("mat-khau-moi-2026\n"))
    assert cli(["user", "passwd", "kiemtravien"]) == 0
    assert client.get("/api/v1/me").status_code == 401
    assert login(client, "kiemtravien", "mat-khau-moi-2026").status_code == 303


def test_security_headers_on_pages_and_errors(client):
    for path in ("/login", "/does-not-exist"):
        response = client.get(path)
        assert "object-src 'none'" in response.headers["content-security-policy"]
        assert response.headers["x-content-type-options"] == "nosniff"


def test_scripts_and_styles_carry_only_the_headers_that_apply_to_them(client):
    assets = re.findall(r'(?:src|href)="(/static/[^"]+\.(?:js|css)\?v=[^"]+)"', client.get("/login").text)
    assert len(assets) >= 2  # the style sheet and htmx
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200
        assert response.headers["x-content-type-options"] == "nosniff", asset
        assert "content-security-policy" not in response.headers and "x-frame-options" not in response.headers
    icon = re.search(r'href="(/static/img/[^"]+\.svg\?v=[^"]+)"', client.get("/login").text)
    assert icon and client.get(icon.group(1)).headers["content-security-policy"] == "default-src 'none'"


def test_login_page_text_is_vietnamese(client):
    page = text_of(client.get("/login").text)
    assert "Đăng nhập" in page and "Tên đăng nhập" in page and "Mật khẩu" in page
