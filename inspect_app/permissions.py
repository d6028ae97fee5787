"""Who may do what: plain functions, easy to unit-test, used by guards and handlers."""

from __future__ import annotations

from inspect_app.models import User, Visit

ADMIN, LEAD, INSPECTOR, UNIT = "admin", "lead", "inspector", "unit"
ALL_ROLES = (ADMIN, LEAD, INSPECTOR, UNIT)
STAFF = (ADMIN, LEAD, INSPECTOR)  # the Sở Nội vụ side, as opposed to inspected units


def allow(*roles: str) -> dict:
    """Route `opt` declaring the roles that may use it: `@get(..., opt=allow(ADMIN))`."""
    unknown = set(roles) - set(ALL_ROLES)
    if unknown or not roles:
        raise ValueError(f"unknown roles: {unknown}")
    return {"roles": frozenset(roles)}


PUBLIC = {"public": True}
"""Route `opt` for the few routes anyone may use (login, health, static files)."""


def role_allowed(opt: dict, role: str | None) -> bool:
    """Does this route admit this role? A route that declares nothing admits nobody."""
    if opt.get("public"):
        return True
    roles = opt.get("roles")
    return bool(roles) and role in roles


def can_see_visit(user: User, visit: Visit, is_member: bool) -> bool:
    """Admin sees all; lead and inspector their teams' visits; a unit officer only their unit's."""
    if user.role == ADMIN:
        return True
    if user.role == UNIT:
        return visit.unit_code == user.unit_code
    return is_member


def can_read_findings(user: User, visit: Visit) -> bool:
    """Inspectors' findings reach the inspected unit only once the lead has signed off."""
    return user.role != UNIT or visit.status in ("signed_off", "amended")


def can_edit_plan_settings(user: User) -> bool:
    """A plan's settings (thiết lập) are the Sở Nội vụ's: they bind every team of the plan."""
    return user.role == ADMIN


def can_edit_findings(user: User, is_member: bool) -> bool:
    """Team members write findings; the Sở Nội vụ may correct them."""
    return user.role == ADMIN or (user.role in (LEAD, INSPECTOR) and is_member)


def can_sign_off(user: User, is_member: bool) -> bool:
    """The team's lead signs its visit off; the Sở Nội vụ may too."""
    return user.role == ADMIN or (user.role == LEAD and is_member)


def can_amend_findings(user: User) -> bool:
    """After sign-off only a lead or the Sở Nội vụ may amend a finding (with a reason)."""
    return user.role in (LEAD, ADMIN)
