"""Accounts, managed by the Sở Nội vụ."""

from __future__ import annotations

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, URLEncodedBody
from litestar.response import Redirect, Template

from inspect_app.db import Database
from inspect_app.services.errors import Refused
from inspect_app.permissions import ADMIN, allow
from inspect_app.queries import users
from inspect_app.services.accounts import AccountError, create_user, set_password
from inspect_app.web import flash
from inspect_app.web.common import client_ip, page_context, user_of
from inspect_app.web.flash import flash_of


class UserForm(msgspec.Struct):
    username: str = ""
    full_name: str = ""
    title: str = ""
    role: str = "inspector"
    unit_code: str = ""
    password: str = ""
    email: str = ""


class PasswordForm(msgspec.Struct):
    password: str = ""


class UserController(Controller):
    path = "/users"
    include_in_schema = False
    opt = allow(ADMIN)

    @get("/", name="users:list")
    async def list_users(self, request: Request, db: NamedDependency[Database]) -> Template:
        note = flash_of(request)
        return Template("users/list.html", context=page_context(
            request, users=await users.list_users(db),
            form=flash.refill(note, UserForm, leave_out=("password",)) or UserForm(),
            error=note.message if note and note.kind == "error" else ""))

    @post("/", name="users:create", status_code=303)
    async def create(self, request: Request, db: NamedDependency[Database],
                     data: URLEncodedBody[UserForm]) -> Redirect:
        try:
            await create_user(db, username=data.username, full_name=data.full_name, title=data.title,
                              role=data.role, unit_code=data.unit_code, password=data.password, email=data.email,
                              actor=user_of(request), ip=client_ip(request))
        except AccountError as exc:  # back to the page with the message and what was typed (never the password)
            return await flash.redirect(request, "/users", str(exc),
                                        form={**msgspec.structs.asdict(data), "password": ""})
        return Redirect("/users", status_code=303)

    @post("/{user_id:int}/password", name="users:password", status_code=303)
    async def reset_password(self, request: Request, db: NamedDependency[Database], user_id: FromPath[int],
                             data: URLEncodedBody[PasswordForm]) -> Redirect:
        """Set a new password; the user's open sessions end."""
        target = await users.get_user(db, user_id)
        if target is None:
            raise Refused(404, "not_found", "Không tìm thấy người dùng.")
        try:
            await set_password(db, target.username, data.password, actor=user_of(request))
        except AccountError as exc:
            return await flash.redirect(request, "/users", f"{target.username}: {exc}")
        return Redirect("/users", status_code=303)
