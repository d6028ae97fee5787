"""Who may do what: plain functions, easy to unit-test, used by guards and handlers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from inspect_app.models import Evidence, User, Visit

if TYPE_CHECKING:  # the row type only: permissions sit below queries/ and import nothing from them
    from inspect_app.queries.remediation import RemediationRow

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


def sees_unit_record(user: User, unit_code: str, is_member: bool) -> bool:
    """Admin sees all; lead and inspector what their teams inspect; a unit officer only their unit's."""
    if user.role == ADMIN:
        return True
    if user.role == UNIT:
        return unit_code == user.unit_code
    return is_member


def can_see_visit(user: User, visit: Visit, is_member: bool) -> bool:
    return sees_unit_record(user, visit.unit_code, is_member)


def speaks_for_unit(user: User, unit_code: str) -> bool:
    """An officer of this very unit: the only one who answers for it (self-assessment, remediation)."""
    return user.role == UNIT and user.unit_code == unit_code


def can_read_findings(user: User, visit: Visit) -> bool:
    """Inspectors' findings reach the inspected unit only once the lead has signed off."""
    return user.role != UNIT or visit.status in ("signed_off", "amended")


def can_edit_plan_settings(user: User) -> bool:
    """A plan's settings (thiết lập) are the Sở Nội vụ's: they bind every team of the plan."""
    return user.role == ADMIN


def can_issue_documents(user: User) -> bool:
    """Issuing (a number in the register of outgoing documents, the signed PDF) is the Sở Nội vụ's văn thư's."""
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


# ---------------------------------------------------------------- evidence


def can_read_evidence(user: User, visit: Visit, evidence: Evidence) -> bool:
    """Of a visit the caller may see: a finding's evidence follows the findings (a unit waits for the
    sign-off); evidence of the unit's own answers (self-assessment, remediation) needs nothing more."""
    return evidence.finding_id is None or can_read_findings(user, visit)


# ---------------------------------------------------------------- self-assessment


def can_self_assess(user: User, visit: Visit) -> bool:
    """Only the inspected unit's officers answer, and submit, its self-assessment."""
    return speaks_for_unit(user, visit.unit_code)


def can_read_self_assessment(user: User, status: str | None) -> bool:
    """Of a visit the caller may see: the unit reads its own at any time, the team once it is submitted
    (a draft is the unit's own business)."""
    return user.role == UNIT or status == "submitted"


# ---------------------------------------------------------------- remediation


def remediation_scope(user: User) -> dict[str, str | int]:
    """The filter of the items a user's lists show: admin all, a unit officer their unit's, lead and
    inspector their teams' visits' (the keywords of `queries.remediation.list_items`)."""
    if user.role == ADMIN:
        return {}
    if user.role == UNIT:
        return {"unit_code": user.unit_code or ""}
    return {"member_user_id": user.id}


def can_see_remediation(user: User, row: RemediationRow, is_member: bool) -> bool:
    return sees_unit_record(user, row.unit_code, is_member)


def can_manage_remediation(user: User, is_member: bool) -> bool:
    """Confirm, edit, merge, add items and review answers: the Sở Nội vụ or the visit's lead."""
    return user.role == ADMIN or (user.role == LEAD and is_member)


def can_answer_remediation(user: User, row: RemediationRow) -> bool:
    """Only the unit's officers answer its items, and only they see an answer still in draft."""
    return speaks_for_unit(user, row.unit_code)
