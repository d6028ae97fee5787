"""Small helpers shared by the controllers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Request
from litestar.plugins.htmx import HTMXRequest

from inspect_app.models import User
from inspect_app.services.deadlines import VIETNAM
from inspect_app.web.flash import flash_of


def user_of(request: Request) -> User:
    """The authenticated user (the role guard has already refused anonymous callers)."""
    return request.scope["user"]


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""


def wants_fragment(request: HTMXRequest) -> bool:
    """An htmx swap wants the partial; a boosted link or a history restore needs the page."""
    htmx = request.htmx
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def safe_next(target: str | None) -> str:
    """Only local paths after login: an open redirect would hand the session to another site."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


MAX_PAGE = 1_000_000
"""Past any real listing; keeps `(page - 1) * page_size` inside SQLite's 64-bit OFFSET."""


def page_number(page: int) -> int:
    """A `?page=` value as a listing can use it: 1 … MAX_PAGE (a page past the end is just empty)."""
    return min(max(1, page), MAX_PAGE)


async def checklists_of(request: Request) -> dict[str, Any]:
    """The current version of every checklist (id → LoadedChecklist), including one another app process
    has just published (services/checklist_store.Current: one point read per call)."""
    state = request.app.state
    return await state.checklists.of(state.db)


def page_context(request: Request, **values: Any) -> dict[str, Any]:
    """The context every page gets: the user and the note a form's redirect carried (web/flash.py)."""
    return {"user": request.scope.get("user"), "flash": flash_of(request), **values}


def clock_now() -> str:
    """Vietnam time now, "HH:MM", for confirmations ("Đã gửi … lúc 09:41")."""
    return f"{datetime.now(VIETNAM):%H:%M}"


def form_values(form: Any, key: str) -> list[Any]:
    """Every value of a repeated form field (checkboxes, files); [] when absent."""
    return [value for name, value in form.multi_items() if name == key]


def dom_id(code: str) -> str:
    """An item code as a DOM id fragment: "3.2.1" → "3_2_1" (dots would read as CSS classes)."""
    return code.replace(".", "_")
