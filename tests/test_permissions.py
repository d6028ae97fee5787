"""Every per-record permission rule of inspect_app/permissions.py, as the plain function it is.

The people: the Sở Nội vụ, a lead and an inspector each on the visit's team or not, an officer of the
inspected unit and one of another unit. Route-level roles are test_access.py's; what a refusal looks
like over HTTP is test_battery_access.py's.
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from inspect_app import permissions as p
from inspect_app.models import Evidence, User, Visit
from inspect_app.queries.remediation import RemediationRow

UNIT_CODE, OTHER_UNIT = "10532", "11086"


def user(role: str, unit_code: str | None = None) -> User:
    return User(id=7, username=role, full_name=role, title="", role=role, unit_code=unit_code, active=True)


ADMIN, LEAD, INSPECTOR = user("admin"), user("lead"), user("inspector")
OFFICER, STRANGER = user("unit", UNIT_CODE), user("unit", OTHER_UNIT)
EVERYONE = {"admin": ADMIN, "lead": LEAD, "inspector": INSPECTOR, "officer": OFFICER, "stranger": STRANGER}


def visit(status: str = "in_progress") -> Visit:
    return Visit(id=3, plan_id=1, plan_number="33/KH-UBND", unit_code=UNIT_CODE, unit_name="Xã Tân An",
                 unit_kind="xa", team_id=1, team_name="Đoàn 1", scheduled_on="2026-03-02", kind="scheduled",
                 checklist_id="cchc", checklist_version="abc", checklist_title="CCHC", status=status)


def evidence(*, finding_id: int | None) -> Evidence:
    return Evidence(id=5, visit_id=3, finding_id=finding_id, self_answer_id=None, item_code="1.1", sha256="0" * 64,
                    media_type="image/jpeg", kind="photo", original_name="a.jpg", size_bytes=1, width=1, height=1,
                    captured_at=None, metadata_json="{}", caption="", uploaded_by=1, uploaded_at="2026-03-02")


def item(status: str = "open") -> RemediationRow:
    return RemediationRow(id=12, visit_id=3, finding_id=56, unit_code=UNIT_CODE, unit_name="Xã Tân An", plan_id=1,
                          plan_number="33/KH-UBND", team_id=1, item_code="3.2.1", text="Niêm yết", deadline="2026-05-01",
                          status=status, version=1, created_at="2026-03-10", closed_at=None, answered_at=None)


def allowed(rule) -> set[str]:
    """The people `rule(person)` admits."""
    return {name for name, person in EVERYONE.items() if rule(person)}


STAFF = {"admin", "lead", "inspector"}


@pytest.mark.parametrize("is_member, expected", [(True, STAFF | {"officer"}), (False, {"admin", "officer"})])
def test_a_visit_and_an_item_are_seen_by_the_admin_the_team_and_the_unit_only(is_member, expected):
    assert allowed(lambda u: p.can_see_visit(u, visit(), is_member)) == expected
    assert allowed(lambda u: p.can_see_remediation(u, item(), is_member)) == expected
    assert allowed(lambda u: p.sees_unit_record(u, UNIT_CODE, is_member)) == expected


def test_only_the_units_own_officer_speaks_for_it():
    assert allowed(lambda u: p.speaks_for_unit(u, UNIT_CODE)) == {"officer"}
    assert allowed(lambda u: p.speaks_for_unit(u, OTHER_UNIT)) == {"stranger"}
    nobody = user("unit", None)  # an officer without a unit speaks for none
    assert not p.speaks_for_unit(nobody, "") and not p.speaks_for_unit(nobody, UNIT_CODE)


@pytest.mark.parametrize("status, unit_reads", [("planned", False), ("in_progress", False), ("submitted", False),
                                                ("signed_off", True), ("amended", True)])
def test_findings_reach_the_unit_only_after_sign_off(status, unit_reads):
    # Of a visit the caller may see: the visit rule keeps the other unit's officer out first.
    expected = STAFF | ({"officer", "stranger"} if unit_reads else set())
    assert allowed(lambda u: p.can_read_findings(u, visit(status))) == expected


def test_finding_rules_of_the_team():
    assert allowed(lambda u: p.can_edit_findings(u, True)) == STAFF
    assert allowed(lambda u: p.can_edit_findings(u, False)) == {"admin"}
    assert allowed(lambda u: p.can_sign_off(u, True)) == {"admin", "lead"}
    assert allowed(lambda u: p.can_sign_off(u, False)) == {"admin"}
    assert allowed(p.can_amend_findings) == {"admin", "lead"}
    assert allowed(p.can_edit_plan_settings) == {"admin"}
    assert allowed(p.can_issue_documents) == {"admin"}


@pytest.mark.parametrize("status", ["in_progress", "signed_off"])
def test_evidence_of_a_finding_follows_the_findings_other_evidence_the_visit(status):
    of_finding, of_answer = evidence(finding_id=56), evidence(finding_id=None)
    assert allowed(lambda u: p.can_read_evidence(u, visit(status), of_finding)) == allowed(
        lambda u: p.can_read_findings(u, visit(status)))
    assert allowed(lambda u: p.can_read_evidence(u, visit(status), of_answer)) == set(EVERYONE)


def test_only_the_units_officer_self_assesses():
    assert allowed(lambda u: p.can_self_assess(u, visit())) == {"officer"}


@pytest.mark.parametrize("status, expected", [(None, {"officer", "stranger"}), ("draft", {"officer", "stranger"}),
                                              ("submitted", set(EVERYONE))])
def test_a_self_assessment_reaches_the_team_once_submitted(status, expected):
    # Of a visit the caller may see (the visit rule keeps the stranger out before this one is asked).
    assert allowed(lambda u: p.can_read_self_assessment(u, status)) == expected


def test_the_remediation_lists_scope():
    assert p.remediation_scope(ADMIN) == {}
    assert p.remediation_scope(OFFICER) == {"unit_code": UNIT_CODE}
    assert p.remediation_scope(LEAD) == p.remediation_scope(INSPECTOR) == {"member_user_id": 7}
    assert p.remediation_scope(user("unit", None)) == {"unit_code": ""}  # matches no item rather than all


def test_remediation_is_managed_by_the_admin_or_the_visits_lead_and_answered_by_the_unit():
    assert allowed(lambda u: p.can_manage_remediation(u, True)) == {"admin", "lead"}
    assert allowed(lambda u: p.can_manage_remediation(u, False)) == {"admin"}
    for status in ("open", "answered", "returned", "accepted"):  # who, whatever the state (the state is the service's)
        assert allowed(lambda u, s=status: p.can_answer_remediation(u, item(s))) == {"officer"}


def test_every_rule_of_permissions_py_has_a_test_here():
    route_level = {"allow", "role_allowed"}  # the route guard's: test_access.py
    rules = {name for name, f in inspect.getmembers(p, inspect.isfunction) if f.__module__ == p.__name__}
    source = Path(__file__).read_text(encoding="utf-8")
    untested = sorted(r for r in rules - route_level if f"p.{r}(" not in source and f"(p.{r})" not in source)
    assert not untested, f"add a test for: {untested}"
