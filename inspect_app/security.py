"""Who is calling: session cookie or Bearer token → `request.user`; the role guard; CSRF; headers.

Every route declares who may use it (`opt=allow(...)` or `opt=PUBLIC`). One app-wide guard
reads that declaration, so a route that forgets it is closed to everybody rather than open.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_to_bytes

import brotli
from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.datastructures import MutableScopeHeaders
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.middleware.csrf import CSRFMiddleware

from inspect_app.permissions import role_allowed
from inspect_app.queries import users
from inspect_app.services.auth import needs_touch, session_expired, token_hash

if TYPE_CHECKING:
    from litestar.handlers.base import BaseRouteHandler
    from litestar.types import ASGIApp, Message, Receive, Scope, Send

    from inspect_app.settings import Settings

SESSION_EXPIRED = "session_expired"
CSRF_FAILED_DETAIL = "CSRF token verification failed"  # Litestar's own text, mapped to Vietnamese


def session_cookie_name(settings: Settings) -> str:
    # __Host- binds the cookie to this exact host over HTTPS; it needs Secure, so only in production.
    return "__Host-sid" if settings.secure_cookies else "sid"


def csrf_config(settings: Settings) -> CSRFConfig:
    return CSRFConfig(
        secret=settings.secret_key,
        cookie_name="__Host-csrftoken" if settings.secure_cookies else "csrftoken",
        cookie_secure=settings.secure_cookies,
        cookie_samesite="strict",
        header_name="x-csrftoken",
    )


class AuthMiddleware:
    """Resolve the caller into `scope["user"]` (a User or None); never rejects by itself.

    A personal token (`Authorization: Bearer …`) wins over the session cookie. A cookie that
    names no live session (expired, logged out, tampered) marks the request so the guard can
    say "your session has ended" rather than just "log in".
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings
        self.cookie_name = session_cookie_name(settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        db = scope["app"].state.db
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
        user = None
        auth_kind = None
        problem = None
        authorization = connection.headers.get("authorization", "")
        if authorization.lower().startswith("bearer "):
            user = await users.get_token_user(db, token_hash(authorization[7:].strip()))
            auth_kind = "token"
            if user is None:
                problem = "invalid_token"
        elif cookie := connection.cookies.get(self.cookie_name):
            auth_kind = "session"
            digest = token_hash(cookie)
            session = await users.get_session_user(db, digest)  # one read: session and user together
            if session is None or session_expired(
                session[1], session[2],
                idle_minutes=self.settings.session_idle_minutes, max_hours=self.settings.session_max_hours,
            ):
                problem = SESSION_EXPIRED
            else:
                user = session[0]
                if needs_touch(session[2]):
                    async with db.transaction() as tx:
                        await users.touch_session(tx, digest)
        if user is not None and not user.active:
            user, problem = None, "inactive"
        scope["user"] = user
        scope["auth"] = auth_kind
        scope.setdefault("state", {})["auth_problem"] = problem
        await self.app(scope, receive, send)


async def role_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """The app-wide guard: no user → 401 (login redirect for pages); wrong role → 403.

    `async` on purpose: Litestar runs a plain `def` guard in a worker thread, a hop per request.
    """
    if handler.opt.get("public"):
        return
    user = connection.scope.get("user")
    if user is None:
        problem = connection.scope.get("state", {}).get("auth_problem")
        raise NotAuthorizedException(detail=problem or "login_required")
    if not role_allowed(handler.opt, user.role):
        raise PermissionDeniedException(detail="forbidden")


class StrictFormEncodingMiddleware:
    """Refuse URL-encoded bodies whose values are not UTF-8.

    Litestar decodes forms with `parse_qsl`, which replaces bad bytes with U+FFFD: a note would be
    stored damaged without anyone knowing. The body read here is cached for the handler.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in ("POST", "PUT", "PATCH"):
            request = scope["app"].request_class(scope=scope, receive=receive)
            if request.content_type[0] == "application/x-www-form-urlencoded":
                body = await request.body()
                for pair in body.split(b"&"):
                    for part in pair.split(b"=", 1):
                        unquote_to_bytes(part.replace(b"+", b" ")).decode("utf-8")  # raises → 400
        await self.app(scope, receive, send)


class AppCSRFMiddleware(CSRFMiddleware):
    """Litestar's signed double-submit CSRF check, plus two rules of ours.

    - A request authenticated only by a Bearer token carries no ambient credential (no cookie
      is sent automatically), so it cannot be forged cross-site and skips the token check.
    - On unsafe methods an `Origin` (or `Sec-Fetch-Site`) that is not this site is refused.
    """

    def __init__(self, app: ASGIApp, config: CSRFConfig, session_cookie: str) -> None:
        super().__init__(app, config)
        self.session_cookie = session_cookie

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in self.config.safe_methods:
            headers = ASGIConnection(scope).headers
            fetch_site = headers.get("sec-fetch-site")
            origin = headers.get("origin")
            host = headers.get("host", "")
            if fetch_site == "cross-site" or (origin and origin.split("://", 1)[-1] != host):
                raise PermissionDeniedException(CSRF_FAILED_DETAIL)
            has_cookie = self.session_cookie in ASGIConnection(scope).cookies
            if headers.get("authorization", "").lower().startswith("bearer ") and not has_cookie:
                await self.app(scope, receive, send)
                return
        await super().__call__(scope, receive, send)


SECURITY_HEADERS = [
    (b"content-security-policy",
     b"default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
     b"object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"x-frame-options", b"DENY"),
    (b"permissions-policy", b"geolocation=(self), camera=(self), microphone=()"),
]


ASSET_HEADERS = {b"x-content-type-options", b"strict-transport-security"}

INLINE_STYLES = ("css/app.css",)
"""Style sheets a page may carry in a `<style>` (the visit page: templates/visits/capture.html); the CSP allows
each by the hash of its text as served, and nothing else inline."""


def style_sources() -> bytes:
    """The CSP's `style-src`: our files, and the inline copies of INLINE_STYLES by their hashes."""
    from inspect_app.web.static import static_file  # inspect_app.web imports this module: not at the top

    hashes = [b"'sha256-" + base64.b64encode(hashlib.sha256(static_file(name).data).digest()) + b"'"
              for name in INLINE_STYLES]
    return b" ".join([b"style-src 'self'", *hashes])


def security_headers_hook(settings: Settings):
    """A `before_send` hook adding CSP and friends to every response, 404s for unknown paths included."""
    headers = [(name, value.replace(b"style-src 'self'", style_sources())) for name, value in SECURITY_HEADERS]
    if settings.secure_cookies:
        headers.append((b"strict-transport-security", b"max-age=31536000"))

    # A script or a style sheet is never a document: the headers that govern documents (CSP, framing,
    # referrer, permissions) do nothing on it, and ~330 bytes each on the visit page's first load over 3G.
    asset_headers = [(name, value) for name, value in headers if name in ASSET_HEADERS]
    svg_headers = [*asset_headers, (b"content-security-policy", b"default-src 'none'")]

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] == "http.response.start":
            present = MutableScopeHeaders.from_message(message)
            chosen = headers
            if scope.get("path", "").startswith("/static/"):
                kind = present.get("content-type", "")
                if kind.startswith(("text/css", "text/javascript", "application/javascript")):
                    chosen = asset_headers
                elif kind.startswith("image/svg+xml"):  # opened on its own it is a document: nothing may run
                    chosen = svg_headers
            for name, value in chosen:
                if name.decode() not in present:
                    present.add(name.decode(), value.decode())

    return add_headers


DECODERS = {"": bytes, "gzip": gzip.decompress, "br": brotli.decompress}
"""The content codings the app's compression produces, and how to read them back."""


class ConditionalPageMiddleware:
    """ETag and 304 for full HTML pages: a tablet reloading an unchanged visit page on 3G gets a
    few hundred bytes instead of the whole page. Fragments, errors and responses that set cookies
    pass through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET" or ASGIConnection(scope).headers.get("hx-request"):
            await self.app(scope, receive, send)
            return
        start: dict[str, Any] = {}
        chunks: list[bytes] = []
        passthrough = False

        async def buffered(message: Message) -> None:
            nonlocal passthrough
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                cacheable = (message["status"] == 200 and headers.get("content-type", "").startswith("text/html")
                             and "set-cookie" not in headers
                             and headers.get("content-encoding", "") in DECODERS)
                if not cacheable:
                    passthrough = True
                    await send(message)
                    return
                start.update(message)
                return
            if passthrough:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            headers = MutableScopeHeaders.from_message(start)
            # Hash what the page says, not its compressed bytes (gzip's carry a timestamp, and the
            # same page may go out as gzip or brotli).
            plain = DECODERS[headers.get("content-encoding", "")](body)
            etag = 'W/"' + hashlib.sha256(plain).hexdigest()[:20] + '"'
            headers["etag"] = etag
            headers["cache-control"] = "private, no-cache"  # always revalidate, never stale
            if etag in ASGIConnection(scope).headers.get("if-none-match", ""):
                del headers["content-length"]
                start["status"] = 304
                await send(start)
                await send({"type": "http.response.body", "body": b""})
                return
            headers["content-length"] = str(len(body))
            await send(start)
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, buffered)
