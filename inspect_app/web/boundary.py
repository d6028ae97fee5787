"""The HTTP boundary: what a request must look like before any handler or query sees it.

One guard and one request class, applied app-wide, so no route has to remember these rules:

- **Integers from the URL fit SQLite's INTEGER** (signed 64 bits). An id in the path outside
  1 … 2^63−1 names nothing: 404, like any unknown id. An integer query parameter outside the
  signed 64-bit range is bad input: 400. (Routes still check their own narrower ranges.)
- **A JSON body is sent as `application/json`** on routes that read JSON, and as
  `multipart/form-data` on routes that read files; anything else is 415.
- **A JSON body decodes to something the app can hold**: nesting at most `MAX_JSON_DEPTH` deep and
  integers within the signed 64-bit range; otherwise 400 with the usual `{"error", "message"}`.

`annotate(app)` records, once at start-up, what each route reads (its body's media type and its
integer query parameters) in the route's `opt`, where the guard finds it.
"""

from __future__ import annotations

import types
from typing import TYPE_CHECKING, Any, Union, get_args, get_origin

import msgspec
from litestar.datastructures import MutableScopeHeaders
from litestar.enums import ParamType, RequestEncodingType
from litestar.exceptions import NotFoundException, SerializationException
from litestar.plugins.htmx import HTMXRequest
from litestar.routes import HTTPRoute

from inspect_app.services.errors import Refused

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.connection import ASGIConnection
    from litestar.handlers.base import BaseRouteHandler
    from litestar.types import Message, Scope

MAX_ID = 2**63 - 1  # SQLite's largest INTEGER
MIN_INT = -(2**63)
MAX_JSON_DEPTH = 32  # the deepest real body (a ratio answer inside a finding) is 2

BOUNDARY_OPT = "boundary"  # the key of a route's `opt` holding its BodyFacts

MEDIA_TYPES = {RequestEncodingType.JSON: "application/json", RequestEncodingType.MULTI_PART: "multipart/form-data"}
MEDIA_MESSAGES = {
    "application/json": "Dữ liệu phải gửi dạng JSON (Content-Type: application/json).",
    "multipart/form-data": "Tệp phải gửi dạng biểu mẫu nhiều phần (Content-Type: multipart/form-data).",
}


class RouteFacts(msgspec.Struct, frozen=True):
    """What one route reads from a request, as far as the boundary rules care."""

    media_type: str | None = None  # the Content-Type its body must have; None: not checked
    int_query: tuple[str, ...] = ()  # names of its integer query parameters


def _is_int(annotation: Any) -> bool:
    """`int`, `int | None`, `Optional[int]` (never `bool`, a subclass of int)."""
    if annotation is int:
        return True
    if get_origin(annotation) in (Union, types.UnionType):
        return any(a is int for a in get_args(annotation))
    return False


def route_facts(handler: Any, kwargs_model: Any) -> RouteFacts:
    media_type = None
    if kwargs_model.expected_form_data:
        media_type = MEDIA_TYPES.get(kwargs_model.expected_form_data[0])
    elif "data" in kwargs_model.expected_reserved_kwargs and not kwargs_model.expected_msgpack_data:
        media_type = "application/json"
    parameters = handler.parsed_fn_signature.parameters
    int_query = tuple(
        p.field_alias for p in kwargs_model.expected_query_params
        if p.param_type == ParamType.QUERY and p.field_name in parameters
        and _is_int(parameters[p.field_name].annotation))
    return RouteFacts(media_type=media_type, int_query=int_query)


def annotate(app: Litestar) -> None:
    """Record each route's facts in its `opt` (called once by create_app)."""
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for handler, kwargs_model in route.route_handler_map.values():
                handler.opt[BOUNDARY_OPT] = route_facts(handler, kwargs_model)
                if "create_options_handler" in getattr(handler.fn, "__qualname__", ""):
                    # Litestar's own OPTIONS answer (204 + Allow) tells nothing a 405 would not. Its
                    # Allow comes from the first handler registered on the path, so it is set here
                    # from the route's complete method list (allow_header_hook).
                    handler.opt["public"] = True
                    handler.opt["allow"] = ", ".join(sorted(route.methods))


async def allow_header_hook(message: Message, scope: Scope) -> None:
    """A `before_send` hook: an OPTIONS answer lists every method of its path."""
    if message["type"] == "http.response.start" and scope.get("method") == "OPTIONS":
        handler = scope.get("route_handler")
        if handler is not None and (allow := handler.opt.get("allow")):
            MutableScopeHeaders.from_message(message)["allow"] = allow


def _query_int(raw: str) -> int | None:
    """The integer a query value would become (as Litestar's lax conversion reads it), or None."""
    try:
        return msgspec.convert(raw, int, strict=False)
    except msgspec.ValidationError:
        return None


async def boundary_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Runs after the role guard: who may call is settled before what they sent is judged."""
    for value in connection.path_params.values():
        if isinstance(value, int) and not 1 <= value <= MAX_ID:
            raise NotFoundException()
    facts: RouteFacts | None = handler.opt.get(BOUNDARY_OPT)
    if facts is None:
        return
    for name in facts.int_query:
        for raw in connection.query_params.getall(name, ()):
            number = _query_int(raw)
            if number is not None and not MIN_INT <= number <= MAX_ID:
                raise Refused(400, "number_out_of_range", f"Tham số {name} quá lớn hoặc quá nhỏ.")
    if facts.media_type and connection.scope["method"] in ("POST", "PUT", "PATCH"):
        sent = connection.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if sent != facts.media_type:
            raise Refused(415, "unsupported_media_type", MEDIA_MESSAGES[facts.media_type])


def check_json(value: Any) -> None:
    """Refuse what SQLite and the scoring cannot hold: deep nesting and integers beyond 64 bits.

    Walks with an explicit stack, so a deep body cannot exhaust Python's own recursion.
    """
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, bool):
            continue
        if isinstance(item, int):
            if not MIN_INT <= item <= MAX_ID:
                raise Refused(400, "invalid_input", "Dữ liệu gửi lên không hợp lệ: có số nguyên quá lớn.")
        elif isinstance(item, (list, dict)):
            if depth >= MAX_JSON_DEPTH:
                raise Refused(400, "invalid_input", "Dữ liệu gửi lên không hợp lệ: JSON lồng nhau quá sâu.")
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))


class AppRequest(HTMXRequest):
    """The htmx-aware request, with a JSON body held to `check_json`'s limits."""

    async def json(self) -> Any:
        try:
            value = await super().json()
        except RecursionError:  # msgspec's own depth limit: far past MAX_JSON_DEPTH
            raise Refused(400, "invalid_input", "Dữ liệu gửi lên không hợp lệ: JSON lồng nhau quá sâu.") from None
        except SerializationException:
            raise Refused(400, "invalid_input", "Dữ liệu gửi lên không hợp lệ: không đọc được JSON.") from None
        check_json(value)
        return value
