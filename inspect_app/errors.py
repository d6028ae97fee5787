"""Errors as people and programs see them: Vietnamese pages for browsers, JSON for the API.

Every error is a 4xx with a clear message, except the truly unexpected (500, logged).
API errors are `{"error": "<code>", "message": "<Vietnamese text>"}`. Everything the app refuses on purpose
is one type, `services.errors.Refused` (status, code, Vietnamese message, extra fields).
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from inspect_app.security import CSRF_FAILED_DETAIL, SESSION_EXPIRED
from inspect_app.services.errors import Refused

log = logging.getLogger("inspect_app")


MESSAGES = {
    "login_required": "Vui lòng đăng nhập để tiếp tục.",
    SESSION_EXPIRED: "Phiên đăng nhập đã hết hạn hoặc không hợp lệ. Vui lòng đăng nhập lại.",
    "invalid_token": "Mã truy cập (token) không hợp lệ hoặc đã bị thu hồi.",
    "inactive": "Tài khoản đã bị khóa. Liên hệ Sở Nội vụ.",
    "forbidden": "Bạn không có quyền truy cập chức năng này.",
    "csrf_failed": "Biểu mẫu đã hết hạn hoặc thiếu mã bảo mật. Hãy tải lại trang rồi thử lại.",
    "not_found": "Không tìm thấy trang hoặc dữ liệu yêu cầu.",
    "invalid_input": "Dữ liệu gửi lên không hợp lệ.",
    "too_large": "Dữ liệu gửi lên quá lớn.",
    "method_not_allowed": "Phương thức không được hỗ trợ cho địa chỉ này.",
    "unsupported_media_type": "Kiểu dữ liệu gửi lên (Content-Type) không được hỗ trợ cho địa chỉ này.",
    "bad_encoding": "Dữ liệu gửi lên có ký tự không hợp lệ (không phải UTF-8); hãy kiểm tra bộ gõ hoặc tệp rồi gửi lại.",
    "server_error": "Đã xảy ra lỗi ngoài dự kiến. Dữ liệu của bạn chưa bị thay đổi; vui lòng thử lại.",
}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.headers.get("x-requested-with") == "fetch" or (
        "application/json" in request.headers.get("accept", "") and "text/html" not in request.headers.get("accept", "")
    )


def error_response(request: Request, status: int, code: str, message: str, extra: dict | None = None,
                   headers: dict[str, str] | None = None) -> Response:
    if wants_json(request):
        return Response({"error": code, "message": message, **(extra or {})}, status_code=status, headers=headers)
    return Template(
        template_name="errors/error.html",
        context={"status": status, "code": code, "message": message},
        status_code=status,
        headers=headers,
    )


def handle_refused(request: Request, exc: Refused) -> Response:
    return error_response(request, exc.status, exc.code, exc.message, exc.extra)


def handle_not_authorized(request: Request, exc: NotAuthorizedException) -> Response:
    code = exc.detail if exc.detail in MESSAGES else "login_required"
    if wants_json(request):
        return error_response(request, 401, code, MESSAGES[code])
    reason = "&reason=expired" if code == SESSION_EXPIRED else ""
    target = f"/login?next={quote(request.url.path)}{reason}"
    if request.headers.get("hx-request"):
        # htmx follows HX-Redirect with a full navigation instead of swapping the login page in.
        return Response("", status_code=401, headers={"HX-Redirect": target})
    return Redirect(target, status_code=303)


def handle_forbidden(request: Request, exc: PermissionDeniedException) -> Response:
    if exc.detail == CSRF_FAILED_DETAIL:
        return error_response(request, 403, "csrf_failed", MESSAGES["csrf_failed"])
    return error_response(request, 403, "forbidden", MESSAGES["forbidden"])


def handle_not_found(request: Request, exc: NotFoundException) -> Response:
    return error_response(request, 404, "not_found", MESSAGES["not_found"])


def handle_validation(request: Request, exc: ValidationException) -> Response:
    details = [str(e.get("message", "")) for e in (exc.extra or []) if isinstance(e, dict)]
    message = MESSAGES["invalid_input"]
    if details:
        message += " (" + "; ".join(details)[:300] + ")"
    return error_response(request, 400, "invalid_input", message)


def handle_http(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if status >= 500:
        return handle_unexpected(request, exc)
    code = {413: "too_large", 405: "method_not_allowed", 404: "not_found",
            415: "unsupported_media_type"}.get(status, "invalid_input")
    # Headers the exception carries stay: a 405 names the methods that work (`Allow`, RFC 9110).
    return error_response(request, status, code, MESSAGES[code], headers=exc.headers)


def handle_bad_encoding(request: Request, exc: UnicodeDecodeError) -> Response:
    """Bytes that are not UTF-8 are an error, never silently replaced (reliability.md)."""
    return error_response(request, 400, "bad_encoding", MESSAGES["bad_encoding"])


def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(request, HTTP_500_INTERNAL_SERVER_ERROR, "server_error", MESSAGES["server_error"])


EXCEPTION_HANDLERS = {
    Refused: handle_refused,
    NotAuthorizedException: handle_not_authorized,
    PermissionDeniedException: handle_forbidden,
    NotFoundException: handle_not_found,
    ValidationException: handle_validation,
    HTTPException: handle_http,
    UnicodeDecodeError: handle_bad_encoding,
    Exception: handle_unexpected,
}
