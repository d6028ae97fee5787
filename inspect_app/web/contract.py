"""The API contract: the OpenAPI document (/schema/openapi.json) says what the server really does.

Litestar writes most of the document from the handlers' signatures. What it cannot know is
finished here, in one pass over the generated document (`refine`), from facts about each route:

- **One error shape.** Every error answer is `ErrorOut` (`{"error", "message"}`); a few add a field
  (`FindingConflictOut.current`, `IncompleteOut.unanswered`). Litestar's default error schema
  (`status_code`, `detail`, `extra`) is never what the server sends, so it is replaced.
- **Every status a route can return.** Derived from the route: 401 unless public; 403 when its
  roles are restricted or its method is unsafe (CSRF, Origin); 404 with a path parameter; 400
  with a query/header parameter or a body; 413 and 415 with a body. Statuses only the route's
  own logic knows (409, 422, an object-level 403, 507) are declared on the route with
  `responses=errors(...)`.
- **Closed objects where the server is closed**: a body Struct with `forbid_unknown_fields`
  has `additionalProperties: false`.
- **Bounds the boundary enforces** (web/boundary.py): integer path parameters are ids
  1 … 2^63−1, integer query parameters fit 64 bits; `Idempotency-Key` is required where the
  service refuses a write without one.
- **Headers as sent**: `Last-Modified` is an HTTP-date (RFC 9110), not an ISO date-time; a file
  download names the media types it can have.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.routes import HTTPRoute

from inspect_app.permissions import ALL_ROLES
from inspect_app.web.boundary import BOUNDARY_OPT, MAX_ID, MIN_INT

if TYPE_CHECKING:
    from litestar import Litestar, Request


class ErrorOut(msgspec.Struct):
    """Every error the API answers: a machine code and a Vietnamese message for people."""

    error: str
    message: str


class ConflictOut(msgspec.Struct):
    """A 409 of an edit: `current` is the value saved by someone else (on `version_conflict`)."""

    error: str
    message: str
    current: dict[str, Any] | None = None


class IncompleteOut(msgspec.Struct):
    """A 409 of a sign-off or submission: `unanswered` lists the item codes still missing; a sign-off
    refused for missing evidence lists them in `missing_evidence`; `count` is how many."""

    error: str
    message: str
    unanswered: list[str] | None = None
    missing_evidence: list[str] | None = None
    count: int | None = None


DESCRIPTIONS = {
    400: "Bad input (a parameter, header or body the server cannot use)",
    401: "Not logged in, session ended, or token invalid",
    403: "This role or person may not do this (or the CSRF/Origin check failed)",
    404: "No such resource, or not visible to the caller",
    409: "Conflicts with the resource's state (stale version, reused key, locked or incomplete visit)",
    413: "Body too large",
    415: "Body sent with an unsupported Content-Type",
    422: "Well-formed but refused by a rule (the message says which)",
    503: "The database does not answer",
    507: "The server could not store the file",
}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
IDEMPOTENCY_KEY_REQUIRED = {"idempotency_key_required": True}
"""Route `opt`: the service refuses this write without an `Idempotency-Key` (documented as required)."""
HTTP_DATE = {"type": "string", "pattern": r"^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$",
             "description": "HTTP-date (RFC 9110 IMF-fixdate), e.g. Mon, 07 Dec 2026 01:00:00 GMT"}


def errors(*statuses: int, conflict: type = ErrorOut) -> dict[int, ResponseSpec]:
    """`responses=` of a route for the statuses only its own logic knows (409 uses `conflict`)."""
    return {status: ResponseSpec(data_container=conflict if status == 409 else ErrorOut, generate_examples=False,
                                 description=DESCRIPTIONS.get(status, "Error"))
            for status in statuses}


def _generic_statuses(handler: Any, method: str, operation: dict) -> set[int]:
    params = operation.get("parameters", [])
    facts = handler.opt.get(BOUNDARY_OPT)
    has_body = "requestBody" in operation
    statuses: set[int] = set()
    if not handler.opt.get("public"):
        statuses.add(401)
        roles = set(handler.opt.get("roles") or ())
        if method in UNSAFE or (roles and roles != set(ALL_ROLES)):
            statuses.add(403)
    if any(p["in"] == "path" for p in params):
        statuses.add(404)
    if has_body or any(p["in"] in ("query", "header") and _can_fail(p) for p in params):
        statuses.add(400)
    if has_body:
        statuses.add(413)
        if facts is not None and facts.media_type:
            statuses.add(415)
    return statuses


def _can_fail(parameter: dict) -> bool:
    """A query or header parameter that some value would make the server refuse."""
    schema = parameter.get("schema", {})
    kinds = {schema.get("type")} | {s.get("type") for s in schema.get("oneOf", [])}
    return parameter.get("required", False) or bool(kinds - {"string", "null", None}) or "enum" in schema \
        or any("enum" in s for s in schema.get("oneOf", []))


def _is_litestar_error(response: dict) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return "status_code" in schema.get("properties", {})


def _json_error(status: int) -> dict:
    return {"description": DESCRIPTIONS.get(status, "Error"),
            "content": {"application/json": {"schema": dict(ERROR_REF)}}}


def _bound_integers(operation: dict) -> None:
    for parameter in operation.get("parameters", []):
        schema = parameter.get("schema", {})
        for variant in [schema, *schema.get("oneOf", [])]:
            if variant.get("type") != "integer":
                continue
            if parameter["in"] == "path":
                variant.setdefault("minimum", 1)
                variant.setdefault("maximum", MAX_ID)
            else:
                variant.setdefault("minimum", MIN_INT)
                variant.setdefault("maximum", MAX_ID)


def _document_idempotency_key(handler: Any, operation: dict) -> None:
    for parameter in operation.get("parameters", []):
        if parameter["in"] == "header" and parameter["name"].lower() == "idempotency-key":
            parameter["schema"] = {"type": "string", "minLength": 1, "maxLength": 100}
            parameter["description"] = "A client-made UUID per change; the same key with the same body replays."
            parameter["required"] = bool(handler.opt.get("idempotency_key_required"))


def _fix_headers(operation: dict, media_types: tuple[str, ...]) -> None:
    """`Last-Modified` as an HTTP-date; a file download's content under the media types it can have
    (route `opt["media_types"]`) instead of Litestar's nameless "" entry."""
    for response in operation.get("responses", {}).values():
        for name, header in response.get("headers", {}).items():
            if name.lower() == "last-modified":
                header["schema"] = dict(HTTP_DATE)
                header["description"] = "When the file last changed (HTTP-date)"
        content = response.get("content", {})
        if "" in content and media_types:
            binary = content.pop("")
            for media_type in media_types:
                content[media_type] = copy.deepcopy(binary)


def _closed_bodies(app: Litestar, components: dict) -> None:
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler, _ in route.route_handler_map.values():
            data = handler.parsed_fn_signature.parameters.get("data")
            struct = getattr(data, "annotation", None) if data else None
            config = getattr(struct, "__struct_config__", None)
            if config is not None and config.forbid_unknown_fields and struct.__name__ in components:
                components[struct.__name__]["additionalProperties"] = False


def refine(schema: dict, app: Litestar) -> None:
    """Finish Litestar's document in place (see the module docstring)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("ErrorOut", {
        "type": "object", "required": ["error", "message"], "title": "ErrorOut",
        "properties": {"error": {"type": "string"}, "message": {"type": "string"}}})
    paths = schema.get("paths", {})
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        path = route.path_format
        if path not in paths:
            continue
        for method, (handler, _) in route.route_handler_map.items():
            operation = paths[path].get(method.lower())
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            # Litestar's own error entries (its 400 for any route with parameters) describe a shape
            # the server never sends, sometimes for a status the route cannot return: dropped.
            for status in [s for s, r in responses.items() if _is_litestar_error(r)]:
                del responses[status]
            for status in _generic_statuses(handler, method, operation):
                responses.setdefault(str(status), _json_error(status))
            _bound_integers(operation)
            _document_idempotency_key(handler, operation)
            _fix_headers(operation, tuple(handler.opt.get("media_types", ())))
    _closed_bodies(app, components)


class ContractRenderPlugin(JsonRenderPlugin):
    """Litestar's JSON rendering of the document, refined once (on the first request for it)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._refined: set[int] = set()

    def render(self, request: Request, openapi_schema: dict[str, Any]) -> bytes:
        if id(openapi_schema) not in self._refined:  # Litestar builds the dict once and keeps it
            refine(openapi_schema, request.app)
            self._refined.add(id(openapi_schema))
        return super().render(request, openapi_schema)
