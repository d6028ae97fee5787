"""Who may use what: every route declares its roles, and each role meets the expected answer."""

from __future__ import annotations

import pytest
from conftest import PERSONAS, login, post_form
import dbtarget

from inspect_app.app import create_app
from inspect_app.permissions import ALL_ROLES

ADMIN_ONLY = {"admin"}
STAFF = {"admin", "lead", "inspector"}
EVERYONE = set(ALL_ROLES)

# Every route path of the app, with the roles that get a 200 on GET (others: 403 or 404).
# A new route must be added here, or test_every_route_is_in_the_matrix fails.
GET_MATRIX = {
    "/": EVERYONE,
    "/plans": EVERYONE,
    "/plans/new": ADMIN_ONLY,
    "/plans/{plan_id:int}": EVERYONE,
    "/visits": EVERYONE,
    "/visits/{visit_id:int}": EVERYONE,
    "/units": STAFF,
    "/users": ADMIN_ONLY,
    "/audit": ADMIN_ONLY,
    "/checklists": EVERYONE,
    "/checklists/{checklist_id:str}/{version:str}": EVERYONE,
    "/checklists/{checklist_id:str}/edit": ADMIN_ONLY,
    "/api/v1/me": EVERYONE,
    "/api/v1/units": STAFF,
    "/api/v1/units/{code:str}": EVERYONE,
    "/api/v1/plans": EVERYONE,
    "/api/v1/visits": EVERYONE,
    "/api/v1/checklists": EVERYONE,
    "/api/v1/checklists/{checklist_id:str}": EVERYONE,
    "/visits/{visit_id:int}/items/{item_code:str}": STAFF,
    "/visits/{visit_id:int}/items/{item_code:str}/gallery": STAFF,
    "/visits/{visit_id:int}/sign-off": STAFF,
    "/api/v1/visits/{visit_id:int}/findings": STAFF,  # the unit: only after sign-off (test_capture)
    "/remediation": EVERYONE,
    "/remediation/reminders": EVERYONE,
    "/api/v1/remediation": EVERYONE,
    "/visits/{visit_id:int}/remediation": STAFF,
    "/visits/{visit_id:int}/self-assessment": {"unit"},
    "/plans/{plan_id:int}/self-assessments": {"admin", "lead"},
    "/reports": ADMIN_ONLY,
    "/reports/periodic": ADMIN_ONLY,
    "/reports/plans/{plan_id:int}": {"admin", "lead"},  # a lead: plans they have a team in
    "/documents": ADMIN_ONLY,  # the register of outgoing documents (test_issuing.py)
    "/documents.xlsx": ADMIN_ONLY,
    "/visits/{visit_id:int}/issue": ADMIN_ONLY,
}
POST_ONLY = {  # route → roles allowed
    "/login": "public",
    "/logout": EVERYONE,
    "/plans": ADMIN_ONLY,
    "/units/departments": ADMIN_ONLY,
    "/users": ADMIN_ONLY,
    "/users/{user_id:int}/password": ADMIN_ONLY,
    "/plans/{plan_id:int}/teams": ADMIN_ONLY,
    "/plans/{plan_id:int}/settings": ADMIN_ONLY,
    "/plans/{plan_id:int}/teams/{team_id:int}/members": ADMIN_ONLY,
    "/plans/{plan_id:int}/visits": ADMIN_ONLY,
    "/plans/{plan_id:int}/surprise": {"lead"},
    "/visits/{visit_id:int}/start": STAFF,
    "/visits/{visit_id:int}/submit": STAFF,
    "/visits/{visit_id:int}/items/{item_code:str}/evidence": STAFF,
    "/api/v1/visits/{visit_id:int}/findings/{item_code:str}": STAFF,
    "/api/v1/visits/{visit_id:int}/findings/{item_code:str}/evidence": STAFF,
    "/api/v1/visits/{visit_id:int}/sign-off": {"admin", "lead"},
    "/api/v1/visits/{visit_id:int}/notice/issue": ADMIN_ONLY,
    "/api/v1/visits/{visit_id:int}/minutes/issue": ADMIN_ONLY,
    "/evidence/{evidence_id:int}/caption": STAFF,
    "/remediation/{item_id:int}/answer": {"unit"},
    "/remediation/{item_id:int}/review": {"admin", "lead"},
    "/remediation/{item_id:int}/edit": {"admin", "lead"},
    "/api/v1/remediation/{item_id:int}/answers": {"unit"},
    "/api/v1/remediation/{item_id:int}/review": {"admin", "lead"},
    "/visits/{visit_id:int}/self-assessment/items/{item_code:str}": {"unit"},
    "/visits/{visit_id:int}/self-assessment/items/{item_code:str}/evidence": {"unit"},
    "/visits/{visit_id:int}/self-assessment/submit": {"unit"},
    "/api/v1/visits/{visit_id:int}/self-assessment/{item_code:str}/evidence": {"unit"},
    "/api/v1/visits/{visit_id:int}/self-assessment/submit": {"unit"},
    "/evidence/{evidence_id:int}/delete": STAFF,
    "/reports/plans/{plan_id:int}/export": {"admin", "lead"},
    "/reports/periodic/export": ADMIN_ONLY,
    "/visits/{visit_id:int}/evidence-package": EVERYONE,
    "/checklists/{checklist_id:str}/drafts": ADMIN_ONLY,
    "/checklists/{checklist_id:str}/drafts/workbook": ADMIN_ONLY,
    "/checklists/{checklist_id:str}/drafts/{draft_id:int}/nodes/{node:str}": ADMIN_ONLY,
    "/checklists/{checklist_id:str}/drafts/{draft_id:int}/structure": ADMIN_ONLY,
    "/checklists/{checklist_id:str}/drafts/{draft_id:int}/publish": ADMIN_ONLY,
    "/checklists/{checklist_id:str}/drafts/{draft_id:int}/delete": ADMIN_ONLY,  # the unit: its own visit only (test_evidence_package)
}
# Routes that need an evidence file or a remediation item of the persona's own unit: their access is
# tested in test_capture.py and test_remediation.py (unit A against unit B included).
EVIDENCE_GETS = {"/evidence/{evidence_id:int}/file", "/api/v1/evidence/{evidence_id:int}",
                 "/api/v1/evidence/{evidence_id:int}/file", "/remediation/{item_id:int}",
                 "/api/v1/remediation/{item_id:int}", "/api/v1/visits/{visit_id:int}/self-assessment",
                 "/api/v1/visits/{visit_id:int}/self-assessment/{item_code:str}"}
# Visit documents (the unit's officer: only after sign-off) and report jobs (only whoever started them):
# their access is tested in test_reports_access.py.
# A draft exists only once the Sở Nội vụ starts one: its pages' access is tested in test_checklist_editor.py.
EVIDENCE_GETS |= {"/checklists/{checklist_id:str}/drafts/{draft_id:int}",
                  "/checklists/{checklist_id:str}/drafts/{draft_id:int}/preview"}
EVIDENCE_GETS |= {"/visits/{visit_id:int}/minutes", "/visits/{visit_id:int}/minutes.docx",
                  "/visits/{visit_id:int}/notice", "/visits/{visit_id:int}/notice.docx",
                  "/visits/{visit_id:int}/minutes.pdf", "/visits/{visit_id:int}/notice.pdf",  # and test_pdf.py
                  "/reports/jobs/{job_id:str}", "/reports/jobs/{job_id:str}/file",
                  "/visits/{visit_id:int}/evidence-package.zip"}  # test_evidence_package.py
PUBLIC_PATHS = {"/login", "/healthz", "/static", "/schema", "/sw.js",
                "/verify", "/api/v1/verify"}  # checking an issued PDF needs no login (test_signing_verify.py)


def test_every_route_declares_who_may_use_it(settings):
    app = create_app(settings)
    undeclared = []
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            if set(getattr(handler, "http_methods", ())) == {"OPTIONS"}:
                continue  # Litestar's automatic OPTIONS answer; the guard still refuses it anonymously
            if not handler.opt.get("public") and not handler.opt.get("roles"):
                undeclared.append(f"{route.path} {sorted(getattr(handler, 'http_methods', []))}")
    assert undeclared == [], f"routes without a role declaration: {undeclared}"


def test_every_route_is_in_the_matrix(settings):
    app = create_app(settings)
    known = set(GET_MATRIX) | set(POST_ONLY) | PUBLIC_PATHS | EVIDENCE_GETS
    missing = sorted(route.path for route in app.routes
                     if not any(route.path == p or route.path.startswith(p + "/") for p in known))
    assert missing == [], f"add these routes to the access matrix: {missing}"


def _concrete(path: str, ids: dict[str, str]) -> str:
    for key, value in ids.items():
        path = path.replace("{" + key + "}", value)
    return path


@pytest.fixture
def ids(client):
    login(client, "sonoivu")
    visits = client.get("/api/v1/visits").json()
    checklists = client.get("/api/v1/checklists").json()
    own = next(v for v in visits if v["unit_code"] == "11560")
    return {"plan_id:int": str(own["plan_id"]), "visit_id:int": str(own["id"]), "code:str": "11560",
            "checklist_id:str": checklists[0]["id"], "version:str": checklists[0]["version"],
            "item_code:str": "1.1.1"}


@pytest.mark.parametrize("role", ALL_ROLES)
def test_get_matrix_per_role(client, ids, role):
    login(client, PERSONAS[role])
    wrong = []
    for template, allowed in GET_MATRIX.items():
        response = client.get(_concrete(template, ids), follow_redirects=False)
        expected_ok = role in allowed
        if expected_ok and response.status_code != 200:
            wrong.append(f"{template}: {response.status_code}, expected 200")
        if not expected_ok and response.status_code not in (403, 404):
            wrong.append(f"{template}: {response.status_code}, expected 403/404")
    assert wrong == []


def test_anonymous_gets_login_redirect_or_401_everywhere(client, ids):
    client.cookies.clear()
    for template in GET_MATRIX:
        response = client.get(_concrete(template, ids), follow_redirects=False)
        if template.startswith("/api/"):
            assert response.status_code == 401, template
        else:
            assert response.status_code == 303 and response.headers["location"].startswith("/login"), template


@pytest.mark.parametrize("role", ["lead", "inspector", "unit"])
def test_non_admins_cannot_use_admin_forms(client, role):
    login(client, PERSONAS[role])
    assert post_form(client, "/plans/", {"number": "1/KH-UBND"}).status_code == 403
    assert post_form(client, "/users/", {"username": "hacker", "role": "admin"}).status_code == 403
    assert post_form(client, "/units/departments", {"code": "H31.99"}).status_code == 403


def test_wrong_role_page_is_a_vietnamese_403(client):
    login(client, "kiemtravien")
    response = client.get("/users")
    assert response.status_code == 403
    assert "Bạn không có quyền truy cập chức năng này." in response.text


def test_unit_officer_sees_only_their_own_unit(client):
    login(client, "sonoivu")
    all_visits = client.get("/api/v1/visits").json()
    other = next(v for v in all_visits if v["unit_code"] != "11560")
    login(client, "dv11560")
    mine = client.get("/api/v1/visits").json()
    assert mine and {v["unit_code"] for v in mine} == {"11560"}
    # Another unit's visit does not exist for them (404, not 403: existence does not leak).
    assert client.get(f"/visits/{other['id']}").status_code == 404
    assert client.get(f"/api/v1/units/{other['unit_code']}").status_code == 404


def test_inspector_sees_only_their_teams_visits(client, settings):
    login(client, "sonoivu")
    visit = client.get("/api/v1/visits").json()[0]
    # Move one visit to a team the inspector is not on: it disappears from their lists.
    team_id = dbtarget.sql(settings, "INSERT INTO teams (plan_id, name, created_at)"
                                     " VALUES (?, 'Đoàn kiểm tra số 2', '2026-01-01') RETURNING id", visit["plan_id"])[0][0]
    dbtarget.sql(settings, "UPDATE visits SET team_id = ? WHERE id = ?", team_id, visit["id"])
    login(client, "kiemtravien")
    assert visit["id"] not in {v["id"] for v in client.get("/api/v1/visits").json()}
    page = client.get(f"/visits/{visit['id']}")
    assert page.status_code == 403 and "không thuộc đoàn kiểm tra" in page.text
    assert client.put(f"/api/v1/visits/{visit['id']}/findings/1.1.1", json={"answer": "x"},
                      headers={"Idempotency-Key": "k1", "x-csrftoken": client.cookies["csrftoken"]}).status_code == 403
