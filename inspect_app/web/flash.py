"""Post/redirect/get for forms: a form POST always answers with a redirect to a page.

A refused POST keeps its message and what the person typed here for a few minutes and redirects
to the page that holds the form, which shows both; an accepted one may leave a confirmation
("Đã gửi … lúc 09:41"). The redirect names the note by a random token in `?flash=`, so the
address bar holds a GET: reloading repeats the GET (the note shows again while it lasts), never
the POST.

The notes live in the memory of the one server process (docs/architecture.md: one process):
they are short-lived by design and lost on a restart, which costs a message, never data. Each
note belongs to the user who made it; another user's token finds nothing.
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from typing import Any, Literal, TypeVar

import msgspec
from litestar import Request
from litestar.response import Redirect

TTL_SECONDS = 15 * 60
MAX_NOTES = 2000
MAX_VALUE = 20_000  # characters kept of one typed value (the forms' own limits are lower)
MAX_TYPED = 64_000  # characters kept of one whole form: padding a refused form cannot fill the memory
MAX_FIELDS = 300  # values kept of one form (a schedule ticks up to a few hundred units)
MAX_NOTES_PER_USER = 20  # one person's older notes make room for their newer ones

F = TypeVar("F", bound=msgspec.Struct)


class Flash(msgspec.Struct):
    kind: Literal["error", "success"]
    message: str
    where: str = ""  # which form of the page it is about (e.g. "schedule", "team-3"); "" = the page
    form: dict[str, str] = {}  # what was typed, by field name (the first value of each)
    lists: dict[str, list[str]] = {}  # repeated fields (ticked checkboxes)
    errors: dict[str, str] = {}  # messages by field, for forms that mark each field
    extra: dict[str, Any] = {}  # what else the page needs to explain the refusal (e.g. the other version)

    def value(self, name: str, default: str = "") -> str:
        return self.form.get(name, default)

    def chosen(self, name: str) -> list[str]:
        return self.lists.get(name, [])


class FlashStore:
    """Notes by token, oldest dropped first when full or expired."""

    def __init__(self, ttl: float = TTL_SECONDS, limit: int = MAX_NOTES) -> None:
        self.ttl, self.limit = ttl, limit
        self._notes: OrderedDict[str, tuple[float, int, Flash]] = OrderedDict()

    def put(self, user_id: int, flash: Flash) -> str:
        now = time.monotonic()
        self._expire(now)
        while len(self._notes) >= self.limit:
            self._notes.popitem(last=False)
        mine = [token for token, (_, owner, _) in self._notes.items() if owner == user_id]
        for token in mine[: max(0, len(mine) - MAX_NOTES_PER_USER + 1)]:
            del self._notes[token]
        token = secrets.token_urlsafe(12)
        self._notes[token] = (now + self.ttl, user_id, flash)
        return token

    def get(self, user_id: int, token: str) -> Flash | None:
        self._expire(time.monotonic())
        found = self._notes.get(token)
        if found is None or found[1] != user_id:
            return None
        return found[2]

    def _expire(self, now: float) -> None:
        while self._notes:
            token, (expires, _, _) = next(iter(self._notes.items()))
            if expires > now:
                break
            del self._notes[token]


def store_of(request: Request) -> FlashStore:
    state = request.app.state
    if "flash" not in state:
        state["flash"] = FlashStore()
    return state["flash"]


def typed(form: Any, *, lists: tuple[str, ...] = (), skip: tuple[str, ...] = ("_csrf_token",)) -> tuple[
        dict[str, str], dict[str, list[str]]]:
    """What the person typed in a submitted form: text fields, and the repeated fields named in `lists`.
    Files and the CSRF token are not kept, nor anything past MAX_FIELDS values or MAX_TYPED characters."""
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    budget, count = MAX_TYPED, 0
    items = form.multi_items() if hasattr(form, "multi_items") else list(form.items())
    for name, value in items:
        if name in skip or not isinstance(value, str):
            continue
        kept = value[:min(MAX_VALUE, budget)]
        budget, count = budget - len(kept) - len(name), count + 1
        if budget < 0 or count > MAX_FIELDS:
            break
        if name in lists:
            multi.setdefault(name, []).append(kept)
        else:
            single.setdefault(name, kept)
    return single, multi


def refill(note: Flash | None, form_type: type[F], *, leave_out: tuple[str, ...] = ()) -> F | None:
    """The form as the person typed it before its refusal, to show it again (fields the form does not
    have, and `leave_out` such as a password, dropped); None when the note kept nothing of it."""
    kept = note.form.items() if note else ()
    typed = {k: v for k, v in kept if k in form_type.__struct_fields__ and k not in leave_out}
    return msgspec.convert(typed, form_type) if typed else None


def with_token(url: str, token: str) -> str:
    path, hash_, fragment = url.partition("#")
    joiner = "&" if "?" in path else "?"
    return f"{path}{joiner}flash={token}{hash_}{fragment}"


def redirect(request: Request, url: str, message: str, *, kind: Literal["error", "success"] = "error",
             where: str = "", form: Any = None, lists: tuple[str, ...] = (),
             errors: dict[str, str] | None = None, extra: dict[str, Any] | None = None) -> Redirect:
    """303 to `url`, carrying a note (and, for a refusal, what was typed) for the page to show."""
    single, multi = typed(form, lists=lists) if form is not None else ({}, {})
    user = request.scope.get("user")
    token = store_of(request).put(user.id if user else 0,
                                  Flash(kind=kind, message=message, where=where, form=single, lists=multi,
                                        errors=errors or {}, extra=extra or {}))
    return Redirect(with_token(url, token), status_code=303)


def flash_of(request: Request) -> Flash | None:
    """The note this page was redirected with, if it is still there and the caller's."""
    token = request.query_params.get("flash")
    if not token:
        return None
    user = request.scope.get("user")
    return store_of(request).get(user.id if user else 0, token)
