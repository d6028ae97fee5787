"""Post/redirect/get for forms: a form POST always answers with a redirect to a page.

A refused POST keeps its message and what the person typed here for a few minutes and redirects
to the page that holds the form, which shows both; an accepted one may leave a confirmation
("Đã gửi … lúc 09:41"). The redirect names the note by a random token in `?flash=`, so the
address bar holds a GET: reloading repeats the GET (the note shows again while it lasts), never
the POST.

The notes are rows of `flash_notes`, so the GET after the redirect finds its note whichever app
process answers it (issue 20: several nodes over one database). They are short-lived by design: a note
lasts 15 minutes and expired ones are deleted as new ones are written. Each note belongs to the user who
made it; another user's token finds nothing. `load_note` (an app-wide before_request hook) reads the
note of a `?flash=` address once per request, so pages keep reading it synchronously (`flash_of`).
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

import msgspec
from litestar import Request
from litestar.response import Redirect

from inspect_app.db import Database, Tx
from inspect_app.queries import flash_notes, utc_stamp

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
    """Notes by token in the database, the expired and the oldest dropped as new ones are written."""

    def __init__(self, db: Database, ttl: float = TTL_SECONDS, limit: int = MAX_NOTES) -> None:
        self.db, self.ttl, self.limit = db, ttl, limit

    async def put(self, user_id: int, flash: Flash) -> str:
        now = datetime.now(UTC)
        token = secrets.token_urlsafe(12)
        body = msgspec.json.encode(flash).decode()

        async def write(tx: Tx) -> None:
            await flash_notes.put(tx, token, user_id, utc_stamp(now + timedelta(seconds=self.ttl)), body,
                                  now=utc_stamp(now), limit=self.limit, per_user=MAX_NOTES_PER_USER)
        await self.db.atomic(write)
        return token

    async def get(self, user_id: int, token: str) -> Flash | None:
        body = await flash_notes.get(self.db, token, user_id, utc_stamp())
        return msgspec.json.decode(body, type=Flash) if body is not None else None


def store_of(request: Request) -> FlashStore:
    return request.app.state.flash


async def load_note(request: Request) -> None:
    """Before a handler: the note named by `?flash=`, if it is still there and the caller's (one point read;
    nothing at all for an address without a token)."""
    token = request.query_params.get("flash")
    if token and len(token) <= 64:
        user = request.scope.get("user")
        request.scope["flash_note"] = await store_of(request).get(user.id if user else 0, token)


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


async def redirect(request: Request, url: str, message: str, *, kind: Literal["error", "success"] = "error",
             where: str = "", form: Any = None, lists: tuple[str, ...] = (),
             errors: dict[str, str] | None = None, extra: dict[str, Any] | None = None) -> Redirect:
    """303 to `url`, carrying a note (and, for a refusal, what was typed) for the page to show."""
    single, multi = typed(form, lists=lists) if form is not None else ({}, {})
    user = request.scope.get("user")
    token = await store_of(request).put(user.id if user else 0,
                                  Flash(kind=kind, message=message, where=where, form=single, lists=multi,
                                        errors=errors or {}, extra=extra or {}))
    return Redirect(with_token(url, token), status_code=303)


def flash_of(request: Request) -> Flash | None:
    """The note this page was redirected with, if it is still there and the caller's (read by `load_note`)."""
    return request.scope.get("flash_note")
