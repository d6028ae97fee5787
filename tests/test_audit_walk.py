"""Every write that changes a record writes its audit row, in the same transaction (issue 16).

The walk: every non-GET route of the real app has an entry here, either a RECIPE (a realistic,
successful request by a demo persona) or an EXEMPT entry with the reason it changes no record
(with a probe that shows it). A new write route is in neither, and test_every_write_route_is_classified
fails naming it.

Each recipe is checked by two nets:
- per request: a fingerprint of every record table (every table but NOT_RECORDS) before and after the
  request. Changed → the audit log grew and holds the actions the recipe names; unchanged → the recipe
  is wrong (it must show a change).
- per transaction: triggers added to this test's copy of the database note which tables each statement
  touched, and every COMMIT (`Database.transaction()` and `Database.atomic()`, hooked in inspect_app.db)
  checks that a transaction which changed a record also inserted an audit row. This is what catches a
  record written in a transaction of its own beside an audited one.
After each request the hash chain of the log still verifies (`queries.audit.verify_chain`).
"""

from __future__ import annotations

import io
import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import msgspec
import pytest
from conftest import DEMO_PASSWORD, csrf_token, login, run
from litestar.testing import TestClient
from PIL import Image, ImageDraw

from inspect_app import db as db_module
from inspect_app.app import create_app
from inspect_app.db import Database
from inspect_app.queries import audit
from inspect_app.settings import Settings
from fill import SAMPLE_ROWS, typed
from issuing_support import tiny_maker, tiny_pdf

Route = tuple[str, str]  # (method, path as the app declares it)
READ_METHODS = {"GET", "HEAD", "OPTIONS"}
WALK_LOG = "walk_changes"  # this test's own table: which tables the open transaction touched

# Tables that hold no record of the inspection's business; every other table (a new one included) does.
NOT_RECORDS = {
    "audit_log": "the log itself: counted and checked, not fingerprinted",
    "idempotency_keys": "the stored answer to a repeated request, not a record",
    "sessions": "who is logged in: sessions, not records",
    "login_failures": "the login throttle's count of failed attempts, not records",
    "flash_notes": "a form's message for the page it redirects to (15 minutes), not a record",
    "report_jobs": "a report render's progress and file, not a record",
    "schema_migrations": "the schema's own bookkeeping",
    "sqlite_sequence": "SQLite's AUTOINCREMENT counters",
    WALK_LOG: "this test's change log",
}
TODAY = date.today()


# ---------------------------------------------------------------------------------------- the table


@dataclass(frozen=True)
class Call:
    """One request, built by a recipe after its preparation; CSRF (and, for the API, a fresh
    Idempotency-Key) are added when it is sent, as the logged-in persona."""

    method: str
    url: str
    data: dict[str, Any] | None = None  # form fields (or the text parts of an API multipart body)
    json: Any = None
    files: dict[str, Any] | None = None
    api: bool = False


@dataclass(frozen=True)
class Recipe:
    persona: str  # the username that logs in before the recipe prepares and sends
    build: Callable[[Walk], Call]  # prepares what the request needs, returns the request
    status: int
    actions: frozenset[str]  # audit actions the request must write
    name: str = ""  # tells two recipes of one route apart
    settle: Callable[[Walk, httpx.Response], None] | None = None  # waits for work the request started


@dataclass(frozen=True)
class Exempt:
    reason: str
    probe: Recipe | None = None  # a run showing that it changes no record


RECIPES: dict[Route, list[Recipe]] = {}
EXEMPT: dict[Route, Exempt] = {}


def recipe(method: str, path: str, *, persona: str, status: int, actions: set[str], name: str = ""):
    def register(build: Callable[[Walk], Call]) -> Callable[[Walk], Call]:
        RECIPES.setdefault((method, path), []).append(
            Recipe(persona, build, status, frozenset(actions), name or build.__name__))
        return build
    return register


def exempt(method: str, path: str, reason: str, *, persona: str, status: int, settle=None):
    def register(build: Callable[[Walk], Call]) -> Callable[[Walk], Call]:
        EXEMPT[(method, path)] = Exempt(reason, Recipe(persona, build, status, frozenset(), build.__name__, settle))
        return build
    return register


def write_routes(app) -> set[Route]:
    return {(method, route.path) for route in app.routes
            for method in getattr(route, "route_handler_map", {}) if method not in READ_METHODS}


# ---------------------------------------------------------------------------------------- the database


def record_tables(conn: sqlite3.Connection) -> list[str]:
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return [n for n in names if n not in NOT_RECORDS and not n.startswith("sqlite_")]


def instrument(db_path: Path) -> None:
    """Triggers on every record table and on audit_log noting which tables a transaction touched."""
    with sqlite3.connect(db_path) as conn:
        conn.execute(f"CREATE TABLE {WALK_LOG} (tbl TEXT NOT NULL)")
        for table in record_tables(conn):
            for event in ("INSERT", "UPDATE", "DELETE"):
                conn.execute(f'CREATE TRIGGER "walk_{table}_{event.lower()}" AFTER {event} ON "{table}"'
                             f" BEGIN INSERT INTO {WALK_LOG} (tbl) VALUES ('{table}'); END")
        conn.execute(f'CREATE TRIGGER "walk_audit_log_insert" AFTER INSERT ON audit_log'
                     f" BEGIN INSERT INTO {WALK_LOG} (tbl) VALUES ('audit_log'); END")


def unaudited_tables(conn: sqlite3.Connection) -> list[str]:
    """On the writer connection, just before COMMIT: the record tables this transaction changed if it
    wrote no audit row (else []). Clears the log for the next transaction."""
    touched = {r[0] for r in conn.execute(f"SELECT DISTINCT tbl FROM {WALK_LOG}")}
    conn.execute(f"DELETE FROM {WALK_LOG}")
    return [] if "audit_log" in touched else sorted(touched)


class State:
    """A fingerprint of every record table, and the audit log's last id."""

    def __init__(self, db_path: Path) -> None:
        with sqlite3.connect(db_path) as conn:
            self.tables = {t: hash(tuple(sorted(map(repr, conn.execute(f'SELECT * FROM "{t}"')))))
                           for t in record_tables(conn)}
            self.last_audit = conn.execute("SELECT coalesce(max(id), 0) FROM audit_log").fetchone()[0]

    def changed(self, later: State) -> list[str]:
        return sorted(t for t in self.tables.keys() | later.tables.keys()
                      if self.tables.get(t) != later.tables.get(t))


async def _chain_break(db_path: Path) -> int | None:
    db = await Database.open(db_path)
    try:
        return await audit.verify_chain(db)
    finally:
        await db.close()


# ---------------------------------------------------------------------------------------- the walker


def jpeg(colour=(40, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def best(item: dict) -> Any:
    """An answer the item accepts without a note, in the API's shape."""
    return {"yesno": True, "levels": (item["levels"] or [{}])[0].get("key"), "score": item["max_points"],
            "ratio": [10, 10], "count": 0, "deduction": 0, "text": "Đã thực hiện",
            "date": TODAY.isoformat(), "sample": SAMPLE_ROWS}[item["type"]]


@dataclass
class Walk:
    client: TestClient
    settings: Settings
    unaudited: list[list[str]]
    user: str = ""
    _items: dict[int, list[dict]] = field(default_factory=dict)

    # -- the database, read beside the app
    def sql(self, query: str, *params) -> list[tuple]:
        with sqlite3.connect(self.settings.db_path) as conn:
            return conn.execute(query, params).fetchall()

    def one(self, query: str, *params) -> Any:
        rows = self.sql(query, *params)
        assert rows, f"the demo has no row for: {query} {params}"
        return rows[0][0]

    # -- the demo's objects
    def plan(self) -> int:
        return self.one("SELECT id FROM plans ORDER BY id")

    def team(self) -> int:
        return self.one("SELECT id FROM teams WHERE plan_id = ? ORDER BY id", self.plan())

    def planned_visit(self) -> int:
        """The demo's planned visit of unit 11560 (team 1; its officer is dv11560)."""
        return self.one("SELECT id FROM visits WHERE unit_code = '11560' AND status = 'planned'")

    def signed_off_visit(self) -> int:
        return self.one("SELECT id FROM visits WHERE status = 'signed_off' ORDER BY id")

    def remediation_item(self, status: str) -> tuple[int, str]:
        """(item id, username of its unit's officer) of the first item with that status."""
        item_id, unit = self.sql("SELECT id, unit_code FROM remediation_items WHERE status = ? ORDER BY id", status)[0]
        return item_id, self.one("SELECT username FROM users WHERE role = 'unit' AND unit_code = ?", unit)

    def free_unit(self, like_visit: int) -> str:
        """A unit of the visit's kind and province that no visit has yet."""
        return self.one("SELECT code FROM units WHERE (kind, province_code) = (SELECT u.kind, u.province_code"
                        " FROM visits v JOIN units u ON u.code = v.unit_code WHERE v.id = ?)"
                        " AND code NOT IN (SELECT unit_code FROM visits) ORDER BY code", like_visit)

    def checklist_of(self, visit_id: int) -> str:
        return self.one("SELECT checklist_id FROM visits WHERE id = ?", visit_id)

    def items(self, visit_id: int) -> list[dict]:
        if visit_id not in self._items:
            checklist_id, version = self.sql("SELECT checklist_id, checklist_version FROM visits WHERE id = ?",
                                             visit_id)[0]
            tree = self.client.get(f"/api/v1/checklists/{checklist_id}", params={"version": version}).json()
            self._items[visit_id] = [i for a in tree["checklist"]["areas"] for c in a["criteria"] for i in c["items"]]
        return self._items[visit_id]

    def item(self, visit_id: int, kind: str = "yesno") -> str:
        return next(i["code"] for i in self.items(visit_id) if i["type"] == kind)

    # -- requests
    def login(self, username: str) -> None:
        if self.user != username:
            assert login(self.client, username).status_code == 303, username
            self.user = username

    def send(self, call: Call) -> httpx.Response:
        if call.api:  # a program: the CSRF header and a fresh key
            headers, data = {"x-csrftoken": csrf_token(self.client), "Idempotency-Key": str(uuid.uuid4())}, call.data
        else:  # a page form: the CSRF field
            headers, data = {}, {**(call.data or {}), "_csrf_token": csrf_token(self.client)}
        return self.client.request(call.method, call.url, data=data, json=call.json, files=call.files,
                                   headers=headers, follow_redirects=False)

    def ok(self, call: Call, status: int = 0) -> httpx.Response:
        """Send a preparation step and insist that it worked."""
        response = self.send(call)
        assert response.status_code in ((status,) if status else (200, 201, 303)), (call.url, response.text[:300])
        assert self.flash_error(response) is None, (call.url, self.flash_error(response))
        return response

    def flash_error(self, response: httpx.Response) -> str | None:
        """The message of a refused page form (a 303 carrying an error note), else None."""
        token = parse_qs(urlsplit(response.headers.get("location", "")).query).get("flash", [""])[0]
        if response.status_code != 303 or not token:
            return None
        user_id = self.one("SELECT id FROM users WHERE username = ?", self.user)
        rows = self.sql("SELECT body_json FROM flash_notes WHERE token = ? AND user_id = ?", token, user_id)
        note = msgspec.json.decode(rows[0][0]) if rows else None
        return note["message"] if note is not None and note["kind"] == "error" else None

    # -- preparations (each through the app's own routes)
    def answer_every_item(self, visit_id: int) -> None:
        for item in typed(self.items(visit_id)):
            self.ok(Call("PUT", f"/api/v1/visits/{visit_id}/findings/{item['code']}", api=True,
                         json={"answer": best(item), "note": "", "base_version": 0}), 200)

    def self_assess_every_item(self, visit_id: int) -> None:
        for item in typed(self.items(visit_id)):
            self.ok(Call("PUT", f"/api/v1/visits/{visit_id}/self-assessment/{item['code']}", api=True,
                         json={"answer": best(item), "note": "Có văn bản kèm theo", "base_version": 0}), 200)

    def photo(self, visit_id: int) -> int:
        """An inspector's photo on the visit's first yes/no item: its evidence id."""
        code = self.item(visit_id)
        return self.ok(Call("POST", f"/api/v1/visits/{visit_id}/findings/{code}/evidence", api=True,
                            files={"file": ("bang-niem-yet.jpg", jpeg(), "image/jpeg")}), 201).json()["id"]


def wait_for_job(walk: Walk, response: httpx.Response) -> None:
    """A report or package job: follow it until its file is ready (its work may write too)."""
    job = response.headers["location"]
    assert job.startswith("/reports/jobs/"), job
    for _ in range(600):
        if walk.client.get(f"{job}/file").status_code == 200:
            return
        time.sleep(0.05)
    pytest.fail(f"the job {job} did not finish")


# ---------------------------------------------------------------------------------------- recipes: visits

FINDING_API = "/api/v1/visits/{visit_id:int}/findings/{item_code:str}"
REPRESENTATIVE = "Ông Vũ Văn Long, Chủ tịch UBND phường"
MISSING_REASON = "Đã đối chiếu bản gốc tại đơn vị"


@recipe("PUT", FINDING_API, persona="kiemtravien", status=200, actions={"visit.start", "finding.save"},
        name="first save starts the visit")
def save_finding_api(w: Walk) -> Call:
    visit = w.planned_visit()
    return Call("PUT", f"/api/v1/visits/{visit}/findings/{w.item(visit)}", api=True,
                json={"answer": True, "note": "Niêm yết đủ", "base_version": 0})


@recipe("PUT", FINDING_API, persona="truongdoan", status=200, actions={"finding.amend"},
        name="amendment after sign-off")
def amend_finding_api(w: Walk) -> Call:
    visit = w.signed_off_visit()
    code = w.item(visit)
    version = w.one("SELECT version FROM findings WHERE visit_id = ? AND item_code = ?", visit, code)
    current = w.one("SELECT answer_json FROM findings WHERE visit_id = ? AND item_code = ?", visit, code)
    return Call("PUT", f"/api/v1/visits/{visit}/findings/{code}", api=True,
                json={"answer": '"yes"' not in current, "note": "Đối chiếu lại hồ sơ",
                      "base_version": version, "amend_reason": "Đơn vị bổ sung hồ sơ sau buổi kiểm tra"})


@recipe("POST", "/visits/{visit_id:int}/items/{item_code:str}", persona="kiemtravien", status=303,
        actions={"visit.start", "finding.save"})
def save_finding_form(w: Walk) -> Call:
    visit = w.planned_visit()
    return Call("POST", f"/visits/{visit}/items/{w.item(visit)}",
                data={"choice": "yes", "note": "Niêm yết đủ", "base_version": "0"})


@recipe("POST", "/visits/{visit_id:int}/start", persona="kiemtravien", status=303, actions={"visit.start"})
def start_visit(w: Walk) -> Call:
    return Call("POST", f"/visits/{w.planned_visit()}/start")


@recipe("POST", "/visits/{visit_id:int}/submit", persona="kiemtravien", status=303, actions={"visit.submit"})
def submit_visit(w: Walk) -> Call:
    visit = w.planned_visit()
    w.ok(Call("POST", f"/visits/{visit}/start"))
    return Call("POST", f"/visits/{visit}/submit")


@recipe("POST", "/api/v1/visits/{visit_id:int}/sign-off", persona="truongdoan", status=200,
        actions={"visit.sign_off"})
def sign_off_api(w: Walk) -> Call:
    visit = w.planned_visit()
    w.answer_every_item(visit)
    return Call("POST", f"/api/v1/visits/{visit}/sign-off", api=True,
                json={"unit_representative": REPRESENTATIVE, "remarks": "Đơn vị phối hợp tốt",
                      "missing_evidence_reason": MISSING_REASON})


@recipe("POST", "/visits/{visit_id:int}/sign-off", persona="truongdoan", status=303, actions={"visit.sign_off"})
def sign_off_form(w: Walk) -> Call:
    visit = w.planned_visit()
    w.answer_every_item(visit)
    return Call("POST", f"/visits/{visit}/sign-off",
                data={"unit_representative": REPRESENTATIVE, "remarks": "Đơn vị phối hợp tốt",
                      "confirm_missing_evidence": "1", "missing_evidence_reason": MISSING_REASON})


# ---------------------------------------------------------------------------------------- recipes: closing on site


def drawn_signature() -> bytes:
    """A signature as the tablet's pad draws it: strokes on a transparent canvas."""
    image = Image.new("RGBA", (480, 160), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(30, 120), (120, 30), (220, 130), (330, 40), (450, 120)], fill=(11, 31, 102, 255),
                               width=5)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@recipe("POST", "/api/v1/visits/{visit_id:int}/check-in", persona="kiemtravien", status=201,
        actions={"visit.check_in"})
def check_in_api(w: Walk) -> Call:
    return Call("POST", f"/api/v1/visits/{w.planned_visit()}/check-in", api=True,
                json={"lat": 20.86412, "lon": 106.68341, "accuracy_m": 15, "declined": False})


@recipe("POST", "/visits/{visit_id:int}/check-in", persona="kiemtravien", status=303, actions={"visit.check_in"})
def check_in_form(w: Walk) -> Call:
    visit = w.one("SELECT id FROM visits WHERE unit_code = '10525' AND status = 'planned'")
    return Call("POST", f"/visits/{visit}/check-in", data={"declined": "1"})


@recipe("POST", "/api/v1/visits/{visit_id:int}/signatures", persona="truongdoan", status=201,
        actions={"visit.signature"})
def sign_minutes_api(w: Walk) -> Call:
    return Call("POST", f"/api/v1/visits/{w.signed_off_visit()}/signatures", api=True,
                data={"party": "lead", "name": "Trần Văn Minh", "position": "Phó Giám đốc Sở Nội vụ"},
                files={"file": ("chu-ky.png", drawn_signature(), "image/png")})


@recipe("POST", "/visits/{visit_id:int}/sign", persona="truongdoan", status=303, actions={"visit.signature"})
def sign_minutes_form(w: Walk) -> Call:
    return Call("POST", f"/visits/{w.signed_off_visit()}/sign",
                data={"party": "unit", "name": "Phạm Thị Mai", "position": "Chủ tịch UBND"},
                files={"file": ("chu-ky.png", drawn_signature(), "image/png")})


# ---------------------------------------------------------------------------------------- recipes: evidence


@recipe("POST", "/api/v1/visits/{visit_id:int}/findings/{item_code:str}/evidence", persona="kiemtravien",
        status=201, actions={"evidence.add"})
def upload_api(w: Walk) -> Call:
    visit = w.planned_visit()
    return Call("POST", f"/api/v1/visits/{visit}/findings/{w.item(visit)}/evidence", api=True,
                files={"file": ("bang-niem-yet.jpg", jpeg(), "image/jpeg")})


@recipe("POST", "/visits/{visit_id:int}/items/{item_code:str}/evidence", persona="kiemtravien", status=303,
        actions={"evidence.add"})
def upload_form(w: Walk) -> Call:
    visit = w.planned_visit()
    return Call("POST", f"/visits/{visit}/items/{w.item(visit)}/evidence",
                data={"caption": "Bảng niêm yết", "idempotency_key": str(uuid.uuid4())},
                files={"file": ("bang-niem-yet.jpg", jpeg(), "image/jpeg")})


@recipe("POST", "/evidence/{evidence_id:int}/caption", persona="kiemtravien", status=303,
        actions={"evidence.caption"})
def caption(w: Walk) -> Call:
    return Call("POST", f"/evidence/{w.photo(w.planned_visit())}/caption",
                data={"caption": "Bảng niêm yết thủ tục hành chính tại Bộ phận Một cửa"})


@recipe("POST", "/evidence/{evidence_id:int}/delete", persona="kiemtravien", status=303,
        actions={"evidence.delete"})
def delete_evidence(w: Walk) -> Call:
    return Call("POST", f"/evidence/{w.photo(w.planned_visit())}/delete")


# ---------------------------------------------------------------------------------------- recipes: plans


@recipe("POST", "/plans", persona="sonoivu", status=303, actions={"plan.create"})
def create_plan(w: Walk) -> Call:
    return Call("POST", "/plans", data={
        "number": "51/KH-UBND", "issued_on": TODAY.isoformat(), "issuer": "UBND thành phố Hải Phòng",
        "title": "Kế hoạch kiểm tra chuyên đề một cửa", "legal_basis": "",
        "period_start": TODAY.isoformat(), "period_end": (TODAY + timedelta(days=90)).isoformat(),
        "province_code": "31"})


@recipe("POST", "/plans/{plan_id:int}/settings", persona="sonoivu", status=303, actions={"plan.settings"})
def plan_settings(w: Walk) -> Call:
    return Call("POST", f"/plans/{w.plan()}/settings",
                data={"missing_evidence_policy": "refuse", "base_missing_evidence_policy": "0"})


@recipe("POST", "/plans/{plan_id:int}/teams", persona="sonoivu", status=303, actions={"team.create"})
def add_team(w: Walk) -> Call:
    return Call("POST", f"/plans/{w.plan()}/teams", data={
        "name": "Đoàn kiểm tra số 2", "decision_number": "315/QĐ-UBND", "decision_date": TODAY.isoformat()})


@recipe("POST", "/plans/{plan_id:int}/teams/{team_id:int}/members", persona="sonoivu", status=303,
        actions={"team.member"})
def add_member(w: Walk) -> Call:
    w.ok(create_user(w))
    return Call("POST", f"/plans/{w.plan()}/teams/{w.team()}/members",
                data={"username": "kiemtravien2", "role": "thanh_vien"})


@recipe("POST", "/plans/{plan_id:int}/visits", persona="sonoivu", status=303, actions={"visit.create"})
def schedule(w: Walk) -> Call:
    visit = w.planned_visit()
    return Call("POST", f"/plans/{w.plan()}/visits", data={
        "team_id": str(w.team()), "date": (TODAY + timedelta(days=7)).isoformat(),
        "checklist_id": w.checklist_of(visit), "units": [w.free_unit(visit)]})


@recipe("POST", "/plans/{plan_id:int}/surprise", persona="truongdoan", status=303, actions={"visit.create"})
def surprise(w: Walk) -> Call:
    visit = w.planned_visit()
    return Call("POST", f"/plans/{w.plan()}/surprise",
                data={"checklist_id": w.checklist_of(visit), "unit_code": w.free_unit(visit)})


@recipe("POST", "/plans/{plan_id:int}/self-assessments", persona="sonoivu", status=303,
        actions={"self_assessment.open"})
def open_self_assessments(w: Walk) -> Call:
    return Call("POST", f"/plans/{w.plan()}/self-assessments",
                data={"visit_id": [str(w.planned_visit())], "deadline": (TODAY + timedelta(days=14)).isoformat()})


# ---------------------------------------------------------------------------------------- recipes: remediation

ANSWER_TEXT = "Đã niêm yết lại đầy đủ 125 thủ tục, gỡ bỏ 6 thủ tục hết hiệu lực."


@recipe("POST", "/visits/{visit_id:int}/remediation", persona="sonoivu", status=303,
        actions={"remediation.create"})
def create_remediation(w: Walk) -> Call:
    return Call("POST", f"/visits/{w.signed_off_visit()}/remediation", data={
        "text": "Tổ chức tập huấn nghiệp vụ một cửa cho công chức.",
        "deadline": (TODAY + timedelta(days=30)).isoformat()})


@recipe("POST", "/remediation/{item_id:int}/edit", persona="sonoivu", status=303, actions={"remediation.edit"})
def edit_remediation(w: Walk) -> Call:
    item_id, _ = w.remediation_item("open")
    deadline = w.one("SELECT deadline FROM remediation_items WHERE id = ?", item_id)
    return Call("POST", f"/remediation/{item_id}/edit",
                data={"text": "Niêm yết đầy đủ, đúng quy định các thủ tục hành chính.",
                      "deadline": deadline})


@recipe("POST", "/remediation/{item_id:int}/answer", persona="dv10532", status=303,
        actions={"remediation.draft", "evidence.add", "remediation.answer"})
def answer_remediation_form(w: Walk) -> Call:
    item_id, officer = w.remediation_item("open")
    assert officer == w.user, "the recipe's persona is the officer of the demo's first open item"
    return Call("POST", f"/remediation/{item_id}/answer",
                data={"text": ANSWER_TEXT, "action": "submit", "idempotency_key": str(uuid.uuid4())},
                files={"file": ("niem-yet.jpg", jpeg(), "image/jpeg")})


@recipe("POST", "/api/v1/remediation/{item_id:int}/answers", persona="dv10532", status=201,
        actions={"remediation.draft", "evidence.add", "remediation.answer"})
def answer_remediation_api(w: Walk) -> Call:
    item_id, officer = w.remediation_item("open")
    assert officer == w.user, "the recipe's persona is the officer of the demo's first open item"
    return Call("POST", f"/api/v1/remediation/{item_id}/answers", api=True, data={"text": ANSWER_TEXT},
                files={"file": ("niem-yet.jpg", jpeg(), "image/jpeg")})


@recipe("POST", "/remediation/{item_id:int}/review", persona="sonoivu", status=303, actions={"remediation.return"})
def review_form(w: Walk) -> Call:
    item_id, _ = w.remediation_item("answered")
    return Call("POST", f"/remediation/{item_id}/review",
                data={"decision": "return", "comment": "Bổ sung ảnh toàn cảnh bảng niêm yết."})


@recipe("POST", "/api/v1/remediation/{item_id:int}/review", persona="sonoivu", status=200,
        actions={"remediation.accept"})
def review_api(w: Walk) -> Call:
    item_id, _ = w.remediation_item("answered")
    return Call("POST", f"/api/v1/remediation/{item_id}/review", api=True,
                json={"decision": "accept", "comment": "Đạt."})


# ---------------------------------------------------------------------------------------- recipes: self-assessment


@recipe("PUT", "/api/v1/visits/{visit_id:int}/self-assessment/{item_code:str}", persona="dv11560", status=200,
        actions={"self_assessment.start", "self_assessment.save"})
def self_save_api(w: Walk) -> Call:
    visit = w.planned_visit()
    return Call("PUT", f"/api/v1/visits/{visit}/self-assessment/{w.item(visit)}", api=True,
                json={"answer": True, "note": "Kế hoạch số 05/KH-UBND", "base_version": 0})


@recipe("POST", "/visits/{visit_id:int}/self-assessment/items/{item_code:str}", persona="dv11560", status=303,
        actions={"self_assessment.start", "self_assessment.save"})
def self_save_form(w: Walk) -> Call:
    visit = w.planned_visit()
    return Call("POST", f"/visits/{visit}/self-assessment/items/{w.item(visit)}",
                data={"choice": "yes", "note": "Kế hoạch số 05/KH-UBND", "base_version": "0"})


@recipe("POST", "/api/v1/visits/{visit_id:int}/self-assessment/{item_code:str}/evidence", persona="dv11560",
        status=201, actions={"evidence.add"})
def self_upload_api(w: Walk) -> Call:
    visit = w.planned_visit()
    code = w.item(visit)
    w.ok(Call("PUT", f"/api/v1/visits/{visit}/self-assessment/{code}", api=True,
              json={"answer": True, "note": "", "base_version": 0}), 200)
    return Call("POST", f"/api/v1/visits/{visit}/self-assessment/{code}/evidence", api=True,
                files={"file": ("ke-hoach.jpg", jpeg(), "image/jpeg")})


@recipe("POST", "/visits/{visit_id:int}/self-assessment/items/{item_code:str}/evidence", persona="dv11560",
        status=303, actions={"self_assessment.start", "self_assessment.save", "evidence.add"},
        name="evidence before an answer")
def self_upload_form(w: Walk) -> Call:
    visit = w.planned_visit()
    return Call("POST", f"/visits/{visit}/self-assessment/items/{w.item(visit)}/evidence",
                data={"idempotency_key": str(uuid.uuid4())}, files={"file": ("ke-hoach.jpg", jpeg(), "image/jpeg")})


@recipe("POST", "/api/v1/visits/{visit_id:int}/self-assessment/submit", persona="dv11560", status=200,
        actions={"self_assessment.submit"})
def self_submit_api(w: Walk) -> Call:
    visit = w.planned_visit()
    w.self_assess_every_item(visit)
    return Call("POST", f"/api/v1/visits/{visit}/self-assessment/submit", api=True)


@recipe("POST", "/visits/{visit_id:int}/self-assessment/submit", persona="dv11560", status=303,
        actions={"self_assessment.submit"})
def self_submit_form(w: Walk) -> Call:
    visit = w.planned_visit()
    w.self_assess_every_item(visit)
    return Call("POST", f"/visits/{visit}/self-assessment/submit")


# ---------------------------------------------------------------------------------------- recipes: checklist editor

EDITOR = "/checklists/{checklist_id:str}"


def current_version(w: Walk, checklist_id: str = "cchc-xa") -> str:
    return w.one("SELECT version_hash FROM checklist_versions WHERE checklist_id = ? ORDER BY id DESC LIMIT 1",
                 checklist_id)


def a_draft(w: Walk) -> tuple[int, int]:
    """(id, version) of a fresh draft of cchc-xa, started through the editor's own form."""
    w.ok(Call("POST", "/checklists/cchc-xa/drafts", data={"from_version": current_version(w)}))
    return w.sql("SELECT id, version FROM checklist_drafts ORDER BY id DESC LIMIT 1")[0]


@recipe("POST", EDITOR + "/drafts", persona="sonoivu", status=303, actions={"checklist.draft_create"})
def start_draft(w: Walk) -> Call:
    return Call("POST", "/checklists/cchc-xa/drafts", data={"from_version": current_version(w)})


@recipe("POST", EDITOR + "/drafts/workbook", persona="sonoivu", status=303, actions={"checklist.draft_create"})
def draft_from_workbook(w: Walk) -> Call:
    from inspect_app.checklists import export_xlsx, load_checklist_file
    from inspect_app.settings import ROOT

    path = w.settings.data_dir / "cchc-xa.xlsx"
    export_xlsx(load_checklist_file(ROOT / "checklists" / "cchc-xa.toml").checklist, path)
    return Call("POST", "/checklists/cchc-xa/drafts/workbook",
                files={"file": ("cchc-xa.xlsx", path.read_bytes(),
                                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")})


@recipe("POST", EDITOR + "/drafts/{draft_id:int}/nodes/{node:str}", persona="sonoivu", status=303,
        actions={"checklist.draft_edit"})
def edit_draft_node(w: Walk) -> Call:
    draft_id, version = a_draft(w)
    return Call("POST", f"/checklists/cchc-xa/drafts/{draft_id}/nodes/c",
                data={"draft_version": str(version), "fields": "version", "version": "2026.9"})


@recipe("POST", EDITOR + "/drafts/{draft_id:int}/structure", persona="sonoivu", status=303,
        actions={"checklist.draft_edit"})
def reorder_draft(w: Walk) -> Call:
    draft_id, version = a_draft(w)
    return Call("POST", f"/checklists/cchc-xa/drafts/{draft_id}/structure",
                data={"draft_version": str(version), "node": "0.0.1", "op": "up"})


@recipe("POST", EDITOR + "/drafts/{draft_id:int}/publish", persona="sonoivu", status=303,
        actions={"checklist.publish"})
def publish_draft(w: Walk) -> Call:
    draft_id, version = a_draft(w)
    edited = w.ok(Call("POST", f"/checklists/cchc-xa/drafts/{draft_id}/nodes/c",
                       data={"draft_version": str(version), "fields": "version,description",
                             "version": "2026.9", "description": "Bản sửa trên trình duyệt"}))
    assert edited.status_code == 303
    return Call("POST", f"/checklists/cchc-xa/drafts/{draft_id}/publish", data={"draft_version": str(version + 1)})


@recipe("POST", EDITOR + "/drafts/{draft_id:int}/delete", persona="sonoivu", status=303,
        actions={"checklist.draft_delete"})
def delete_draft(w: Walk) -> Call:
    draft_id, version = a_draft(w)
    return Call("POST", f"/checklists/cchc-xa/drafts/{draft_id}/delete", data={"draft_version": str(version)})


# ---------------------------------------------------------------------------------------- recipes: people and units


@recipe("POST", "/users", persona="sonoivu", status=303, actions={"user.create"})
def create_user(w: Walk) -> Call:
    return Call("POST", "/users", data={
        "username": "kiemtravien2", "full_name": "Đỗ Minh Tâm", "title": "Chuyên viên Sở Nội vụ",
        "role": "inspector", "unit_code": "", "password": "mat-khau-doan-2-2026", "email": ""})


@recipe("POST", "/users/{user_id:int}/password", persona="sonoivu", status=303, actions={"user.password"})
def reset_password(w: Walk) -> Call:
    user_id = w.one("SELECT id FROM users WHERE username = 'kiemtravien'")
    return Call("POST", f"/users/{user_id}/password", data={"password": "mat-khau-moi-2026"})


@recipe("POST", "/units/departments", persona="sonoivu", status=303, actions={"unit.create"})
def add_department(w: Walk) -> Call:
    assert not w.sql("SELECT 1 FROM units WHERE code = 'H31.99'")
    return Call("POST", "/units/departments",
                data={"code": "H31.99", "name": "Sở Khoa học và Công nghệ", "province_code": "31"})


# ---------------------------------------------------------------------------------------- exempt


@exempt("POST", "/login", "starts a session (sessions are not records); the login is audited",
        persona="sonoivu", status=303)
def log_in(w: Walk) -> Call:
    return Call("POST", "/login", data={"username": "truongdoan", "password": DEMO_PASSWORD, "next": "/"})


@exempt("POST", "/logout", "ends a session (sessions are not records); the logout is audited",
        persona="sonoivu", status=303)
def log_out(w: Walk) -> Call:
    return Call("POST", "/logout")


@exempt("POST", "/reports/plans/{plan_id:int}/export", "starts a report job that writes a file, not a record",
        persona="sonoivu", status=303, settle=wait_for_job)
def export_plan(w: Walk) -> Call:
    return Call("POST", f"/reports/plans/{w.plan()}/export", data={"format": "xlsx"})


@exempt("POST", "/reports/periodic/export", "starts a report job that writes a file, not a record",
        persona="sonoivu", status=303, settle=wait_for_job)
def export_periodic(w: Walk) -> Call:
    year = w.one("SELECT substr(period_start, 1, 4) FROM plans WHERE id = ?", w.plan())
    return Call("POST", "/reports/periodic/export", data={"year": year, "quarter": "", "format": "xlsx"})


@exempt("POST", "/visits/{visit_id:int}/evidence-package", "starts a job that writes a ZIP file, not a record",
        persona="sonoivu", status=303, settle=wait_for_job)
def evidence_package(w: Walk) -> Call:
    return Call("POST", f"/visits/{w.signed_off_visit()}/evidence-package")


@recipe("POST", "/visits/{visit_id:int}/issue", persona="sonoivu", status=303, actions={"document.issue"})
def issue_notice_form(w: Walk) -> Call:
    return Call("POST", f"/visits/{w.signed_off_visit()}/issue", data={"kind": "notice"})


@recipe("POST", "/api/v1/visits/{visit_id:int}/notice/issue", persona="sonoivu", status=200,
        actions={"document.issue"})
def issue_notice(w: Walk) -> Call:
    return Call("POST", f"/api/v1/visits/{w.signed_off_visit()}/notice/issue", api=True)


@recipe("POST", "/api/v1/visits/{visit_id:int}/minutes/issue", persona="sonoivu", status=200,
        actions={"document.issue"})
def issue_minutes(w: Walk) -> Call:
    w.ok(Call("POST", f"/plans/{w.plan()}/settings", data={"minutes_issuer": "department",
                                                           "base_minutes_issuer": "0"}))
    return Call("POST", f"/api/v1/visits/{w.signed_off_visit()}/minutes/issue", api=True)


@exempt("POST", "/verify", "reads an uploaded PDF and answers; stores nothing", persona="sonoivu", status=200)
def verify_page(w: Walk) -> Call:
    return Call("POST", "/verify", files={"file": ("van-ban.pdf", tiny_pdf(), "application/pdf")})


@exempt("POST", "/api/v1/verify", "reads an uploaded PDF and answers; stores nothing", persona="sonoivu",
        status=200)
def verify_api(w: Walk) -> Call:
    return Call("POST", "/api/v1/verify", files={"file": ("van-ban.pdf", tiny_pdf(), "application/pdf")}, api=True)


# ---------------------------------------------------------------------------------------- the tests


@pytest.fixture
def walk(settings, monkeypatch):
    """The app on an instrumented copy of the demo: every COMMIT checks its transaction's audit row.

    The hooks wrap inspect_app.db's `_execute` (the COMMIT of `transaction()`) and `_drive` (the body of
    `atomic()`, run inside its group's transaction); monkeypatch fails loudly if either is renamed."""
    instrument(settings.db_path)
    unaudited: list[list[str]] = []
    real_execute, real_drive = db_module._execute, db_module._drive

    def note(conn: sqlite3.Connection) -> None:
        if tables := unaudited_tables(conn):
            unaudited.append(tables)

    def execute(conn: sqlite3.Connection, sql: str, params) -> int:
        if sql == "COMMIT":  # Database.transaction(): still inside the transaction
            note(conn)
        return real_execute(conn, sql, params)

    def drive(conn: sqlite3.Connection, body):
        async def checked(tx):  # Database.atomic(): after the body, before its group's COMMIT
            result = await body(tx)
            note(conn)
            return result
        return real_drive(conn, checked)

    monkeypatch.setattr(db_module, "_execute", execute)
    monkeypatch.setattr(db_module, "_drive", drive)
    app = create_app(settings)
    app.state.pdf_maker = tiny_maker  # issuing: a small PDF in place of the report engine
    with TestClient(app) as client:
        yield Walk(client, settings, unaudited)


def run_recipe(walk: Walk, route: Route, r: Recipe) -> tuple[list[str], list[str]]:
    """Prepare and send one recipe; return (record tables it changed, audit actions it wrote)."""
    label = f"{route[0]} {route[1]} ({r.name})"
    walk.login(r.persona)
    call = r.build(walk)
    assert walk.unaudited == [], (f"{label}: while preparing, a transaction changed {walk.unaudited}"
                                  " without an audit row")
    walk.login(r.persona)  # a preparation may have needed someone else
    before = State(walk.settings.db_path)
    response = walk.send(call)
    assert response.status_code == r.status, f"{label}: {response.status_code} {response.text[:300]}"
    assert (refusal := walk.flash_error(response)) is None, f"{label}: the form was refused: {refusal}"
    if r.settle:
        r.settle(walk, response)
    after = State(walk.settings.db_path)
    actions = [a for (a,) in walk.sql("SELECT action FROM audit_log WHERE id > ? ORDER BY id", before.last_audit)]
    assert walk.unaudited == [], f"{label}: a transaction changed {walk.unaudited} without an audit row"
    assert run(_chain_break(walk.settings.db_path)) is None, f"{label}: the audit chain no longer verifies"
    return before.changed(after), actions


def route_id(route: Route) -> str:
    return f"{route[0]} {route[1]}"


def test_every_write_route_is_classified(settings):
    routes = write_routes(create_app(settings))
    assert len(routes) >= 30  # the walk found the route table
    unclassified = sorted(map(route_id, routes - RECIPES.keys() - EXEMPT.keys()))
    assert not unclassified, ("give each write route a RECIPE (a request that changes a record) or an EXEMPT "
                              f"entry with its reason in tests/test_audit_walk.py: {unclassified}")
    stale = sorted(map(route_id, (RECIPES.keys() | EXEMPT.keys()) - routes))
    assert not stale, f"these entries name no route of the app: {stale}"
    assert not RECIPES.keys() & EXEMPT.keys()


@pytest.mark.parametrize(("route", "index"), [pytest.param(route, n, id=f"{route_id(route)} [{r.name}]")
                                               for route, rs in sorted(RECIPES.items()) for n, r in enumerate(rs)])
def test_a_write_route_audits_every_record_it_changes(walk, route, index):
    r = RECIPES[route][index]
    changed, actions = run_recipe(walk, route, r)
    label = f"{route_id(route)} ({r.name})"
    assert changed, f"{label}: the recipe changed no record; make it a request that does"
    assert actions, f"{label} changed {changed} and wrote no audit row"
    missing = sorted(r.actions - set(actions))
    assert not missing, f"{label} changed {changed}: audit actions {missing} missing from {actions}"


@pytest.mark.parametrize("route", sorted(r for r, e in EXEMPT.items() if e.probe), ids=route_id)
def test_an_exempt_write_route_changes_no_record(walk, route):
    changed, _ = run_recipe(walk, route, EXEMPT[route].probe)
    assert not changed, f"{route_id(route)} is exempt ({EXEMPT[route].reason}) but changed {changed}"
