"""Login and logout."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.params import FromQuery, URLEncodedBody
from litestar.response import Redirect, Template

from inspect_app.db import Database
from inspect_app.permissions import ALL_ROLES, PUBLIC, allow
from inspect_app.queries import audit, users
from inspect_app.security import session_cookie_name
from inspect_app.services.auth import new_token, token_hash, verify_password
from inspect_app.settings import Settings
from inspect_app.text import nfc
from inspect_app.web.common import client_ip, safe_next, user_of

REASONS = {
    "expired": "Phiên đăng nhập đã hết hạn hoặc không hợp lệ. Vui lòng đăng nhập lại.",
    "logout": "Bạn đã đăng xuất.",
}


class LoginForm(msgspec.Struct):
    username: str = ""
    password: str = ""
    next: str = "/"


class AuthController(Controller):
    include_in_schema = False

    @get("/login", name="auth:login", opt=PUBLIC)
    async def login_page(
        self, request: Request, next: FromQuery[str] = "/", reason: FromQuery[str] = ""
    ) -> Template | Redirect:
        """The login form; a logged-in user goes straight home."""
        if request.scope.get("user"):
            return Redirect(safe_next(next), status_code=303)
        return Template("login.html", context={"next": safe_next(next), "notice": REASONS.get(reason, "")})

    @post("/login", name="auth:login-post", opt=PUBLIC, status_code=303)
    async def login(
        self, request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings],
        data: URLEncodedBody[LoginForm],
    ) -> Template | Redirect:
        """Check the password (throttled per user and IP) and start a new server-side session."""
        username, ip = nfc(data.username).lower(), client_ip(request)
        throttle = request.app.state.throttle

        def form_error(message: str, status: int) -> Template:
            return Template("login.html", status_code=status,
                            context={"next": safe_next(data.next), "error": message, "username": username})

        if not username or not data.password:
            return form_error("Vui lòng nhập tên đăng nhập và mật khẩu.", 400)
        if wait := await throttle.retry_after(username, ip):
            minutes = max(1, round(wait / 60))
            return form_error(f"Bạn đã nhập sai quá nhiều lần. Vui lòng thử lại sau khoảng {minutes} phút.", 429)
        user = await users.get_user_by_username(db, username)
        password_hash = await users.get_password_hash(db, user.id) if user else None
        if user is None or not verify_password(password_hash, data.password):
            await throttle.failed(username, ip)
            return form_error("Tên đăng nhập hoặc mật khẩu không đúng.", 400)
        if not user.active:
            return form_error("Tài khoản đã bị khóa. Liên hệ Sở Nội vụ.", 403)
        await throttle.succeeded(username, ip)
        token = new_token()  # a fresh session id at every login
        cookie_name = session_cookie_name(settings)
        async with db.transaction() as tx:
            if old := request.cookies.get(cookie_name):
                await users.delete_session(tx, token_hash(old))
            await users.insert_session(tx, token_hash(token), user.id, ip, request.headers.get("user-agent", ""))
            await audit.record(tx, actor_id=user.id, actor=user.username, action="auth.login",
                               subject_type="user", subject_id=user.id, ip=ip)
        return Redirect(
            safe_next(data.next), status_code=303,
            cookies=[Cookie(key=cookie_name, value=token, httponly=True, secure=settings.secure_cookies,
                            samesite="lax", path="/", max_age=settings.session_max_hours * 3600)],
        )

    @post("/logout", name="auth:logout", opt=allow(*ALL_ROLES), status_code=303)
    async def logout(self, request: Request, db: NamedDependency[Database], settings: NamedDependency[Settings]) -> Redirect:
        """End this session on the server, not only in the browser."""
        cookie_name = session_cookie_name(settings)
        user = user_of(request)
        async with db.transaction() as tx:
            if token := request.cookies.get(cookie_name):
                await users.delete_session(tx, token_hash(token))
            await audit.record(tx, actor_id=user.id, actor=user.username, action="auth.logout",
                               subject_type="user", subject_id=user.id, ip=client_ip(request))
        response = Redirect("/login?reason=logout", status_code=303)
        response.delete_cookie(cookie_name, path="/")
        return response
