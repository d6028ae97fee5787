"""Use cases on accounts: create users, set passwords, issue API tokens (each audited)."""

from __future__ import annotations

import re

from inspect_app.db import Database
from inspect_app.models import ROLE_LABELS, User
from inspect_app.queries import audit, units, users
from inspect_app.services.auth import hash_password, new_token, password_problem, token_hash
from inspect_app.text import nfc

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,39}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountError(ValueError):
    """A Vietnamese message for a person: bad input, nothing written."""


async def create_user(
    db: Database, *, username: str, role: str, full_name: str = "", title: str = "",
    unit_code: str | None = None, password: str | None = None, actor: User | None = None, ip: str = "",
    email: str = "",
) -> int:
    """Validate and create a user; the audit entry commits with it."""
    username = nfc(username).lower()
    if not USERNAME_RE.match(username):
        raise AccountError("Tên đăng nhập gồm 3–40 ký tự: chữ thường không dấu, số, dấu chấm, gạch ngang.")
    if role not in ROLE_LABELS:
        raise AccountError(f"Vai trò không hợp lệ: {role}. Chọn một trong: {', '.join(ROLE_LABELS)}.")
    unit_code = (unit_code or "").strip() or None
    if role == "unit" and not unit_code:
        raise AccountError("Tài khoản cán bộ đơn vị phải gắn với một đơn vị (mã đơn vị).")
    if role != "unit" and unit_code:
        raise AccountError("Chỉ tài khoản cán bộ đơn vị mới gắn với một đơn vị.")
    if unit_code and await units.get_unit(db, unit_code) is None:
        raise AccountError(f"Không có đơn vị mã {unit_code}. Hãy nhập danh mục đơn vị trước.")
    email = nfc(email).lower()
    if email and not EMAIL_RE.match(email):
        raise AccountError(f"Địa chỉ email không hợp lệ: {email}.")
    if password is not None and (problem := password_problem(password)):
        raise AccountError(problem)
    if await users.get_user_by_username(db, username):
        raise AccountError(f"Tên đăng nhập {username} đã có người dùng.")
    pw_hash = hash_password(password) if password is not None else None
    async with db.transaction() as tx:
        user_id = await users.insert_user(
            tx, username=username, full_name=nfc(full_name) or username, title=nfc(title), role=role,
            unit_code=unit_code, password_hash=pw_hash, email=email,
        )
        await audit.record(
            tx, actor_id=actor.id if actor else None, actor=actor.username if actor else "cli",
            action="user.create", subject_type="user", subject_id=user_id, ip=ip,
            after={"username": username, "role": role, "unit_code": unit_code},
        )
    return user_id


async def set_password(db: Database, username: str, password: str, actor: User | None = None) -> None:
    """Set a new password and end the user's sessions (a changed password logs out everywhere)."""
    if problem := password_problem(password):
        raise AccountError(problem)
    user = await users.get_user_by_username(db, username)
    if user is None:
        raise AccountError(f"Không có người dùng {username}.")
    async with db.transaction() as tx:
        await users.set_password_hash(tx, user.id, hash_password(password))
        await users.delete_user_sessions(tx, user.id)
        await audit.record(tx, actor_id=actor.id if actor else None, actor=actor.username if actor else "cli",
                           action="user.password", subject_type="user", subject_id=user.id)


async def issue_token(db: Database, username: str, label: str = "") -> str:
    """Create a personal API token; only its hash is kept, so it is shown once."""
    user = await users.get_user_by_username(db, username)
    if user is None:
        raise AccountError(f"Không có người dùng {username}.")
    token = new_token()
    async with db.transaction() as tx:
        token_id = await users.insert_token(tx, user.id, token_hash(token), label)
        await audit.record(tx, actor_id=None, actor="cli", action="token.create", subject_type="user",
                           subject_id=user.id, after={"token_id": token_id, "label": label})
    return token
