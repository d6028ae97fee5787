"""Battery 6: the access matrix with the own/other dimension, for every route with an id in its path.

tests/test_access.py checks role × route for one persona each. Here every route whose path carries an
id (plans, teams, visits, items, evidence, remediation, users, units, checklists) is tried by six
personas on objects of their own team or unit and on objects of another: an inspector of a second team
(`kiemtravien2`, created with `inspect-app user add`, password on stdin, and put on "Đoàn kiểm tra số 2"
through the admin forms) and a unit officer of another unit. Ids come from the API as the Sở Nội vụ
(evidence and team ids, which the API does not list, from upload answers and the database).

Another's object: 403 or 404 (a unit officer always 404: existence does not leak), a body without any
of its data, and not one row or file changed. One's own object: the expected status, and no other
object's data in the body. A route with an id that this table does not know fails
test_every_route_with_an_id_is_in_the_table.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import csrf_token, login, make_settings, post_form
from fill import SAMPLE_ROWS, typed
from issuing_support import tiny_maker
from litestar.testing import TestClient
from PIL import Image

from inspect_app.app import create_app

# ---------------------------------------------------------------------------------------------- helpers

PASSWORD2 = "mat-khau-doan-2-2026"
STAFF = {"admin", "lead", "inspector"}
ALL = STAFF | {"unit"}
TODAY = date.today()


def jpeg(colour=(40, 120, 200)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), colour).save(buffer, "JPEG", quality=85)
    return buffer.getvalue()


def api_headers(client) -> dict:
    return {"x-csrftoken": csrf_token(client), "Idempotency-Key": str(uuid.uuid4())}


def dump(db_path: Path) -> dict[str, list]:
    with sqlite3.connect(db_path) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'"
                                             " AND name NOT IN ('sessions', 'sqlite_sequence', 'flash_notes')")]
        return {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@dataclass
class Obj:
    """Something an id in a path names, with who it belongs to and strings only its viewers may see."""

    kind: str  # plan | visit | evidence | remediation | user | unit | checklist | draft (a checklist's)
    id: str
    plan: int = 0
    team: int = 0
    unit: str = ""
    state: str = ""  # visit: planned/in_progress/signed_off; remediation: its status
    visit: int = 0  # for evidence and remediation: the visit they hang on
    owner: str = ""  # report jobs: who started it (only they may follow it)
    self_submitted: bool = False  # visits: the unit submitted its self-assessment (the team may read it)
    item: str = "1.7.1"  # visits: an item of the visit's checklist (a yes/no one)
    secrets: set[str] = field(default_factory=set)


@dataclass
class Persona:
    username: str
    role: str
    team: int = 0  # lead and inspectors: the one team they are on
    unit: str = ""  # unit officers
    plans: frozenset = frozenset()  # plans they may see

    def sees(self, obj: Obj) -> bool:
        if obj.kind == "job":
            return obj.owner == self.username  # a report job is its starter's, the Sở Nội vụ's included
        if self.role == "admin" or obj.kind == "checklist":
            return True
        if obj.kind == "plan":
            return int(obj.id) in self.plans
        if obj.kind == "unit":
            return self.role != "unit" or obj.id == self.unit
        if obj.kind == "user":
            return False  # only the Sở Nội vụ manages accounts
        if self.role == "unit":
            return obj.unit == self.unit
        return obj.team == self.team


@dataclass
class World:
    """The demo plus a second team with its own visits, evidence and remediation item, and a second plan."""

    db: Path
    evidence: Path
    objects: list[Obj]
    personas: dict[str, Persona]
    team1: int
    team2: int
    plan1: int
    plan2: int
    team_of_plan: dict[int, int]
    free_units: list[str]
    checklist: tuple[str, str]
    planned_visit: int  # a planned visit of the demo plan (a self-assessment campaign may open on it)

    def of(self, kind: str) -> list[Obj]:
        return [o for o in self.objects if o.kind == kind]


def _choose_free_units(client, taken: set[str], n: int) -> list[str]:
    units = client.get("/api/v1/units", params={"province": "31", "limit": 1000}).json()
    return sorted(u["code"] for u in units if u["kind"] in ("xa", "phuong") and u["code"] not in taken)[:n]


def _answer_everything(client, visit_id: int, tree: dict, note: str) -> None:
    items = typed([i for a in tree["areas"] for c in a["criteria"] for i in c["items"]])
    versions = {f["item_code"]: f["version"]
                for f in client.get(f"/api/v1/visits/{visit_id}/findings").json()["findings"]}
    for n, item in enumerate(items):
        answer = {"yesno": n % 2 == 0, "levels": (item["levels"] or [{}])[-1].get("key"), "score": 0,
                  "ratio": [3, 10], "count": 0, "deduction": 1, "text": "ghi nhận", "date": "2026-01-02",
                  "sample": SAMPLE_ROWS}[item["type"]]
        response = client.put(f"/api/v1/visits/{visit_id}/findings/{item['code']}", headers=api_headers(client),
                              json={"answer": answer, "note": note if n == 0 else "",
                                    "base_version": versions.get(item["code"], 0)})
        assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def world(tmp_path_factory, seeded_db) -> World:
    settings = make_settings(tmp_path_factory.mktemp("access-world") / "data")
    settings.data_dir.mkdir(parents=True)
    shutil.copy(seeded_db, settings.db_path)
    shutil.copytree(seeded_db.parent / "evidence", settings.evidence_dir)
    # The second team's inspector, through the command line (password on stdin).
    added = subprocess.run(
        [sys.executable, "-m", "inspect_app", "user", "add", "--username", "kiemtravien2", "--role", "inspector",
         "--full-name", "Đỗ Minh Tâm", "--title", "Chuyên viên Sở Nội vụ"],
        input=PASSWORD2 + "\n", text=True, capture_output=True, timeout=60,
        env={**os.environ, "INSPECT_DATA_DIR": str(settings.data_dir)})
    assert added.returncode == 0, added.stderr

    with TestClient(create_app(settings)) as client:
        login(client, "sonoivu")
        visits = client.get("/api/v1/visits").json()
        plan1 = visits[0]["plan_id"]
        checklist = (visits[0]["checklist_id"], visits[0]["checklist_version"])
        free = _choose_free_units(client, {v["unit_code"] for v in visits}, 6)
        # "Đoàn kiểm tra số 2" in the same plan, with kiemtravien2, and two visits of its own.
        assert post_form(client, f"/plans/{plan1}/teams", {"name": "Đoàn kiểm tra số 2", "decision_number": "315/QĐ-UBND",
                                                           "decision_date": TODAY.isoformat()}).status_code == 303
        with sqlite3.connect(settings.db_path) as conn:
            team1, team2 = [r[0] for r in conn.execute("SELECT id FROM teams WHERE plan_id = ? ORDER BY id", (plan1,))]
        assert post_form(client, f"/plans/{plan1}/teams/{team2}/members",
                         {"username": "kiemtravien2", "role": "thanh_vien"}).status_code == 303
        assert post_form(client, f"/plans/{plan1}/visits", {"team_id": str(team2), "date": TODAY.isoformat(),
                                                            "checklist_id": checklist[0],
                                                            "units": free[:2]}).status_code == 303
        # A second plan none of the personas works on, with a team of its own.
        assert post_form(client, "/plans", {
            "number": "51/KH-UBND", "issued_on": TODAY.isoformat(), "issuer": "UBND thành phố Hải Phòng",
            "title": "Kế hoạch kiểm tra chuyên đề một cửa (kế hoạch thứ hai)", "legal_basis": "",
            "period_start": TODAY.isoformat(), "period_end": (TODAY + timedelta(days=90)).isoformat(),
            "province_code": "31"}).status_code == 303
        plan2 = next(p["id"] for p in client.get("/api/v1/plans").json() if p["number"] == "51/KH-UBND")
        assert post_form(client, f"/plans/{plan2}/teams", {"name": "Đoàn kiểm tra số 3", "decision_number": "",
                                                           "decision_date": ""}).status_code == 303
        with sqlite3.connect(settings.db_path) as conn:
            team3 = conn.execute("SELECT id FROM teams WHERE plan_id = ?", (plan2,)).fetchone()[0]
        visits = client.get("/api/v1/visits").json()
        t2a, t2b = sorted((v for v in visits if v["unit_code"] in free[:2]), key=lambda v: v["unit_code"])
        tree = client.get(f"/api/v1/checklists/{checklist[0]}", params={"version": checklist[1]}).json()["checklist"]

        uploads: dict[str, dict] = {}
        # The first team's inspector leaves a photo on today's visit.
        login(client, "kiemtravien")
        t1p = next(v for v in visits if v["unit_code"] == "11560")
        response = client.post(f"/api/v1/visits/{t1p['id']}/findings/1.7.1/evidence", headers=api_headers(client),
                               files={"file": ("DOAN1-quyet-dinh-khen-thuong.jpg", jpeg((200, 40, 40)), "image/jpeg")})
        assert response.status_code == 201, response.text
        uploads["t1p"] = response.json()
        # The second team works on its visits: a note and a photo on one, everything answered on the other.
        login(client, "kiemtravien2", PASSWORD2)
        assert client.put(f"/api/v1/visits/{t2a['id']}/findings/1.7.1", headers=api_headers(client),
                          json={"answer": False, "note": "GHI-CHU-DOAN-2-A chưa có quyết định khen thưởng",
                                "base_version": 0}).status_code == 200
        for key, visit in (("t2a", t2a), ("t2b", t2b)):
            response = client.post(f"/api/v1/visits/{visit['id']}/findings/1.7.1/evidence", headers=api_headers(client),
                                   files={"file": (f"DOAN2-{key}-bang-niem-yet.jpg", jpeg((20, 160, 60)), "image/jpeg")})
            assert response.status_code == 201, response.text
            uploads[key] = response.json()
        _answer_everything(client, t2b["id"], tree, "GHI-CHU-DOAN-2-B thiếu sổ theo dõi")
        login(client, "sonoivu")
        assert client.post(f"/api/v1/visits/{t2b['id']}/sign-off", headers=api_headers(client),
                           json={"unit_representative": "Bà Phạm Thị Mai, Chủ tịch UBND",
                                 "missing_evidence_reason": "Đã đối chiếu bản gốc tại đơn vị"}).status_code == 200
        assert post_form(client, f"/visits/{t2b['id']}/remediation", {
            "text": "KIEN-NGHI-DOAN-2: bổ sung sổ theo dõi hồ sơ tại Bộ phận Một cửa.",
            "deadline": (TODAY + timedelta(days=30)).isoformat()}).status_code == 303
        # A unit officer answers one of their items with a photo: evidence hanging on a remediation answer.
        login(client, "dv10532")
        open_item = next(i for i in client.get("/api/v1/remediation").json() if i["status"] in ("open", "returned"))
        response = client.post(f"/api/v1/remediation/{open_item['id']}/answers", headers=api_headers(client),
                               data={"text": "TRA-LOI-10532: đã bổ sung hồ sơ, gửi kèm ảnh."},
                               files={"file": ("DV10532-anh-khac-phuc.jpg", jpeg((90, 90, 20)), "image/jpeg")})
        assert response.status_code == 201, response.text
        answer_files = response.json()["files"]

        # Ids as the Sở Nội vụ sees them.
        login(client, "sonoivu")
        visits = {v["id"]: v for v in client.get("/api/v1/visits").json()}
        items = client.get("/api/v1/remediation").json()
        plans = {p["id"]: p for p in client.get("/api/v1/plans").json()}
        objects: list[Obj] = []
        team_of_visit = {}
        with sqlite3.connect(settings.db_path) as conn:
            for vid, team in conn.execute("SELECT id, team_id FROM visits"):
                team_of_visit[vid] = team
            evidence_rows = conn.execute("SELECT id, visit_id, sha256, original_name FROM evidence_files").fetchall()
            users = conn.execute("SELECT id, username FROM users").fetchall()
            submitted = {r[0] for r in conn.execute("SELECT visit_id FROM self_assessments WHERE status = 'submitted'")}
        for pid, plan in plans.items():
            objects.append(Obj("plan", str(pid), plan=pid, team=team1 if pid == plan1 else team3,
                               state="demo" if pid == plan1 else "second",
                               secrets={plan["title"], plan["number"]} if pid == plan2 else set()))
        for vid, v in visits.items():
            notes = {f["note"] for f in client.get(f"/api/v1/visits/{vid}/findings").json()["findings"]
                     if f["note"].startswith("GHI-CHU-")}
            state = "signed_off" if v["status"] in ("signed_off", "amended") else v["status"]
            objects.append(Obj("visit", str(vid), plan=v["plan_id"], team=team_of_visit[vid], unit=v["unit_code"],
                               state=state, visit=vid, secrets=notes | {f'/visits/{vid}"', f'/visits/{vid}#'},
                               self_submitted=vid in submitted,
                               item="1.2.1" if v["checklist_id"] == "mot-cua-dot-xuat" else "1.7.1"))
        for eid, vid, sha, name in evidence_rows:
            v = visits[vid]
            objects.append(Obj("evidence", str(eid), plan=v["plan_id"], team=team_of_visit[vid], unit=v["unit_code"],
                               state=v["status"], visit=vid, secrets={sha, name}))
        for item in items:
            text = item["text"]
            secrets = {text} if text.startswith("KIEN-NGHI-") else set()
            objects.append(Obj("remediation", str(item["id"]), plan=item["plan_id"], team=team_of_visit[item["visit_id"]],
                               unit=item["unit_code"], state=item["status"], visit=item["visit_id"], secrets=secrets))
        for uid, username in users:
            objects.append(Obj("user", str(uid), secrets=set()))
        for code in ("10532", "11086", "11560", free[0]):
            objects.append(Obj("unit", code, unit=code))
        objects.append(Obj("checklist", checklist[0]))
        # A draft of the checklist, being edited by the Sở Nội vụ (only they may see or touch it).
        started = post_form(client, f"/checklists/{checklist[0]}/drafts", {"from_version": checklist[1]})
        assert started.status_code == 303, started.text[:300]
        objects.append(Obj("draft", started.headers["location"].rsplit("/", 1)[1]))

    assert {f["name"] for f in answer_files} == {"DV10532-anh-khac-phuc.jpg"}
    plans_of_unit = {o.unit: o.plan for o in objects if o.kind == "visit"}
    personas = {
        "admin": Persona("sonoivu", "admin"),
        "lead": Persona("truongdoan", "lead", team=team1, plans=frozenset({plan1})),
        "inspector": Persona("kiemtravien", "inspector", team=team1, plans=frozenset({plan1})),
        "inspector-other-team": Persona("kiemtravien2", "inspector", team=team2, plans=frozenset({plan1})),
        "unit": Persona("dv10532", "unit", unit="10532", plans=frozenset({plans_of_unit["10532"]})),
        "unit-other-unit": Persona("dv11086", "unit", unit="11086", plans=frozenset({plans_of_unit["11086"]})),
    }
    planned = next(int(o.id) for o in objects if o.kind == "visit" and o.unit == "10525")
    return World(settings.db_path, settings.evidence_dir, objects, personas, team1, team2, plan1, plan2,
                 {plan1: team1, plan2: team3}, free[2:], checklist, planned)


# ---------------------------------------------------------------------------------------------- the table


@dataclass
class Route:
    """How to call one route on an object, who may use it, and what the owner gets."""

    subject: str  # the kind of object whose ownership decides
    allowed: set[str]  # roles the route admits at all (others: 403 whoever owns what)
    call: Callable[[TestClient, Obj, World], list]  # → responses (file routes: one per size)
    own: Callable[[str, Obj], int] | None = None  # expected status for the owner, by role and object
    pick: Callable[[Obj], bool] = lambda o: True  # which own object a write uses (its state decides)
    write: bool = False


def _get(path: str) -> Callable:
    def call(client, obj, world):
        return [client.get(_path(path, obj, world), follow_redirects=False)]
    return call


def _files(path: str) -> Callable:
    def call(client, obj, world):
        return [client.get(_path(path, obj, world), params={"size": s}, follow_redirects=False)
                for s in ("original", "display", "thumb")]
    return call


def _form(path: str, fields: Callable[[Obj, World], dict], files: bool = False) -> Callable:
    def call(client, obj, world):
        kwargs = {"files": {"file": ("bang-niem-yet.jpg", jpeg(), "image/jpeg")}} if files else {}
        return [post_form(client, _path(path, obj, world), fields(obj, world), **kwargs)]
    return call


def _api(method: str, path: str, body: Callable[[Obj, World], dict] | None = None, files: bool = False,
         multipart: dict | None = None) -> Callable:
    def call(client, obj, world):
        kwargs: dict = {"headers": api_headers(client)}
        if files:
            kwargs["files"] = {"file": ("bang-niem-yet.jpg", jpeg(), "image/jpeg")}
            kwargs["data"] = multipart or {}
        elif body is not None:
            kwargs["json"] = body(obj, world)
        return [client.request(method, _path(path, obj, world), **kwargs)]
    return call


def _path(template: str, obj: Obj, world: World) -> str:
    values = {
        "plan_id": str(obj.plan), "team_id": str(world.team_of_plan.get(obj.plan, 0)),
        "visit_id": str(obj.visit or obj.id), "item_code": obj.item, "evidence_id": obj.id, "item_id": obj.id,
        "user_id": obj.id, "code": obj.id, "checklist_id": world.checklist[0], "version": world.checklist[1],
        "job_id": obj.id, "draft_id": obj.id, "node": "c",
    }
    return re.sub(r"\{(\w+):\w+\}", lambda m: values[m.group(1)], template)


def ok_for(allowed: set[str], status: int = 200) -> Callable[[str, Obj], int]:
    return lambda role, obj: status if role in allowed else 403


def by_state(allowed: set[str], **states: int) -> Callable[[str, Obj], int]:
    return lambda role, obj: states[obj.state] if role in allowed else 403


DEADLINE = (TODAY + timedelta(days=20)).isoformat()
EDITABLE = ("planned", "in_progress")

ROUTES: dict[tuple[str, str], Route] = {
    # -- reading
    ("GET", "/plans/{plan_id:int}"): Route("plan", ALL, _get("/plans/{plan_id:int}"), ok_for(ALL)),
    ("GET", "/visits/{visit_id:int}"): Route("visit", ALL, _get("/visits/{visit_id:int}"), ok_for(ALL)),
    ("GET", "/visits/{visit_id:int}/items/{item_code:str}"): Route(
        "visit", STAFF, _get("/visits/{visit_id:int}/items/{item_code:str}"), ok_for(STAFF)),
    ("GET", "/visits/{visit_id:int}/items/{item_code:str}/gallery"): Route(
        "visit", STAFF, _get("/visits/{visit_id:int}/items/{item_code:str}/gallery"), ok_for(STAFF)),
    ("GET", "/visits/{visit_id:int}/sign-off"): Route(
        "visit", STAFF, _get("/visits/{visit_id:int}/sign-off"), ok_for(STAFF)),
    ("GET", "/visits/{visit_id:int}/remediation"): Route(
        "visit", STAFF, _get("/visits/{visit_id:int}/remediation"), ok_for(STAFF)),
    ("GET", "/api/v1/visits/{visit_id:int}/findings"): Route(
        "visit", ALL, _get("/api/v1/visits/{visit_id:int}/findings"), ok_for(ALL)),
    ("GET", "/evidence/{evidence_id:int}/file"): Route("evidence", ALL, _files("/evidence/{evidence_id:int}/file"),
                                                        ok_for(ALL)),
    ("GET", "/api/v1/evidence/{evidence_id:int}"): Route("evidence", ALL, _get("/api/v1/evidence/{evidence_id:int}"),
                                                          ok_for(ALL)),
    ("GET", "/api/v1/evidence/{evidence_id:int}/file"): Route(
        "evidence", ALL, _files("/api/v1/evidence/{evidence_id:int}/file"), ok_for(ALL)),
    ("GET", "/remediation/{item_id:int}"): Route("remediation", ALL, _get("/remediation/{item_id:int}"), ok_for(ALL)),
    ("GET", "/api/v1/remediation/{item_id:int}"): Route("remediation", ALL, _get("/api/v1/remediation/{item_id:int}"),
                                                         ok_for(ALL)),
    ("GET", "/api/v1/units/{code:str}"): Route("unit", ALL, _get("/api/v1/units/{code:str}"), ok_for(ALL)),
    ("GET", "/api/v1/checklists/{checklist_id:str}"): Route(
        "checklist", ALL, _get("/api/v1/checklists/{checklist_id:str}"), ok_for(ALL)),
    ("GET", "/checklists/{checklist_id:str}/{version:str}"): Route(
        "checklist", ALL, _get("/checklists/{checklist_id:str}/{version:str}"), ok_for(ALL)),
    ("GET", "/checklists/{checklist_id:str}/{version:str}/guidance"): Route(
        "checklist", ALL, _get("/checklists/{checklist_id:str}/{version:str}/guidance"), ok_for(ALL)),
    # -- the checklist editor: the Sở Nội vụ only (a draft is no one else's)
    ("GET", "/checklists/{checklist_id:str}/edit"): Route(
        "checklist", {"admin"}, _get("/checklists/{checklist_id:str}/edit"), ok_for({"admin"})),
    ("GET", "/checklists/{checklist_id:str}/drafts/{draft_id:int}"): Route(
        "draft", {"admin"}, _get("/checklists/{checklist_id:str}/drafts/{draft_id:int}"), ok_for({"admin"})),
    ("GET", "/checklists/{checklist_id:str}/drafts/{draft_id:int}/preview"): Route(
        "draft", {"admin"}, _get("/checklists/{checklist_id:str}/drafts/{draft_id:int}/preview"), ok_for({"admin"})),
    ("POST", "/checklists/{checklist_id:str}/drafts"): Route(
        "checklist", {"admin"}, _form("/checklists/{checklist_id:str}/drafts",
                                      lambda o, w: {"from_version": w.checklist[1]}),
        ok_for({"admin"}, 303), write=True),
    ("POST", "/checklists/{checklist_id:str}/drafts/workbook"): Route(  # a photo is no workbook: refused (PRG)
        "checklist", {"admin"}, _form("/checklists/{checklist_id:str}/drafts/workbook", lambda o, w: {}, files=True),
        ok_for({"admin"}, 303), write=True),
    ("POST", "/checklists/{checklist_id:str}/drafts/{draft_id:int}/nodes/{node:str}"): Route(
        "draft", {"admin"}, _form("/checklists/{checklist_id:str}/drafts/{draft_id:int}/nodes/{node:str}",
                                  lambda o, w: {"draft_version": "1", "fields": "description",
                                                "description": "Bản sửa của Sở Nội vụ"}),
        ok_for({"admin"}, 303), write=True),
    ("POST", "/checklists/{checklist_id:str}/drafts/{draft_id:int}/structure"): Route(
        "draft", {"admin"}, _form("/checklists/{checklist_id:str}/drafts/{draft_id:int}/structure",
                                  lambda o, w: {"draft_version": "2", "node": "c", "op": "add"}),
        ok_for({"admin"}, 303), write=True),
    ("POST", "/checklists/{checklist_id:str}/drafts/{draft_id:int}/publish"): Route(  # refused: a new area is empty
        "draft", {"admin"}, _form("/checklists/{checklist_id:str}/drafts/{draft_id:int}/publish",
                                  lambda o, w: {"draft_version": "3"}),
        ok_for({"admin"}, 303), write=True),
    ("POST", "/checklists/{checklist_id:str}/drafts/{draft_id:int}/delete"): Route(  # last: the draft goes
        "draft", {"admin"}, _form("/checklists/{checklist_id:str}/drafts/{draft_id:int}/delete",
                                  lambda o, w: {"draft_version": "3"}),
        ok_for({"admin"}, 303), write=True),
    # -- writing: plans, teams, accounts (the Sở Nội vụ; a lead's surprise visit)
    ("POST", "/plans/{plan_id:int}/settings"): Route(
        "plan", {"admin"}, _form("/plans/{plan_id:int}/settings",
                                 lambda o, w: {"missing_evidence_policy": "refuse", "base_missing_evidence_policy": "0"}),
        ok_for({"admin"}, 303), write=True),
    ("POST", "/plans/{plan_id:int}/teams"): Route(
        "plan", {"admin"}, _form("/plans/{plan_id:int}/teams",
                                 lambda o, w: {"name": f"Đoàn kiểm tra bổ sung {o.id}", "decision_number": "",
                                               "decision_date": ""}), ok_for({"admin"}, 303), write=True),
    ("POST", "/plans/{plan_id:int}/teams/{team_id:int}/members"): Route(
        "plan", {"admin"}, _form("/plans/{plan_id:int}/teams/{team_id:int}/members",
                                 lambda o, w: {"username": "kiemtravien", "role": "thu_ky"}),
        ok_for({"admin"}, 303), pick=lambda o: o.state == "second", write=True),  # a team kiemtravien is not on
    ("POST", "/plans/{plan_id:int}/visits"): Route(
        "plan", {"admin"}, _form("/plans/{plan_id:int}/visits",
                                 lambda o, w: {"team_id": str(w.team_of_plan[o.plan]), "date": TODAY.isoformat(),
                                               "checklist_id": w.checklist[0], "units": w.free_units[0]}),
        ok_for({"admin"}, 303), write=True),
    ("POST", "/plans/{plan_id:int}/surprise"): Route(
        "plan", {"lead"}, _form("/plans/{plan_id:int}/surprise",
                                lambda o, w: {"unit_code": w.free_units[1], "checklist_id": w.checklist[0]}),
        ok_for({"lead"}, 303), write=True),
    ("POST", "/users/{user_id:int}/password"): Route(
        "user", {"admin"}, _form("/users/{user_id:int}/password", lambda o, w: {"password": "mat-khau-moi-2026-abc"}),
        ok_for({"admin"}, 303), pick=lambda o: o.id != "1", write=True),
    # -- writing: field capture (pages)
    ("POST", "/visits/{visit_id:int}/items/{item_code:str}"): Route(
        "visit", STAFF, _form("/visits/{visit_id:int}/items/2.3.3",  # an item nobody has answered
                              lambda o, w: {"choice": "yes", "note": "", "base_version": "0",
                                            "idempotency_key": str(uuid.uuid4())}),
        by_state(STAFF, planned=303, in_progress=303), pick=lambda o: o.state in EDITABLE, write=True),
    ("POST", "/visits/{visit_id:int}/items/{item_code:str}/evidence"): Route(
        "visit", STAFF, _form("/visits/{visit_id:int}/items/{item_code:str}/evidence",
                              lambda o, w: {"idempotency_key": str(uuid.uuid4())}, files=True),
        by_state(STAFF, planned=303, in_progress=303), pick=lambda o: o.state in EDITABLE, write=True),
    ("POST", "/visits/{visit_id:int}/start"): Route(
        "visit", STAFF, _form("/visits/{visit_id:int}/start", lambda o, w: {}),
        by_state(STAFF, planned=303, in_progress=303), pick=lambda o: o.state in EDITABLE, write=True),
    ("POST", "/visits/{visit_id:int}/submit"): Route(
        "visit", STAFF, _form("/visits/{visit_id:int}/submit", lambda o, w: {}),
        by_state(STAFF, signed_off=409), pick=lambda o: o.state == "signed_off", write=True),
    ("POST", "/visits/{visit_id:int}/sign-off"): Route(
        "visit", {"admin", "lead"}, _form("/visits/{visit_id:int}/sign-off",
                                          lambda o, w: {"unit_representative": "Ông Nguyễn Văn Bình", "remarks": ""}),
        # refused (items unanswered): back to the sign-off page with the message (post/redirect/get)
        by_state({"admin", "lead"}, planned=303, in_progress=303), pick=lambda o: o.state in EDITABLE, write=True),
    ("POST", "/visits/{visit_id:int}/remediation"): Route(
        "visit", {"admin", "lead"}, _form("/visits/{visit_id:int}/remediation",
                                          lambda o, w: {"text": "Kiến nghị bổ sung: niêm yết lại thủ tục.",
                                                        "deadline": DEADLINE}),
        by_state({"admin", "lead"}, signed_off=303), pick=lambda o: o.state == "signed_off", write=True),
    ("POST", "/evidence/{evidence_id:int}/caption"): Route(
        "evidence", STAFF, _form("/evidence/{evidence_id:int}/caption", lambda o, w: {"caption": "Ảnh bảng niêm yết"}),
        ok_for(STAFF, 303), pick=lambda o: o.state in EDITABLE, write=True),
    ("POST", "/evidence/{evidence_id:int}/delete"): Route(
        "evidence", STAFF, _form("/evidence/{evidence_id:int}/delete", lambda o, w: {}),
        ok_for(STAFF, 409), pick=lambda o: o.state in ("signed_off", "amended"), write=True),
    # -- writing: field capture (API)
    ("PUT", "/api/v1/visits/{visit_id:int}/findings/{item_code:str}"): Route(
        "visit", STAFF, _api("PUT", "/api/v1/visits/{visit_id:int}/findings/{item_code:str}",
                             lambda o, w: {"answer": True, "note": "", "base_version": 99}),
        by_state(STAFF, planned=409, in_progress=409, signed_off=409), write=True),
    ("POST", "/api/v1/visits/{visit_id:int}/findings/{item_code:str}/evidence"): Route(
        "visit", STAFF, _api("POST", "/api/v1/visits/{visit_id:int}/findings/{item_code:str}/evidence", files=True),
        by_state(STAFF, planned=201, in_progress=201), pick=lambda o: o.state in EDITABLE, write=True),
    ("POST", "/api/v1/visits/{visit_id:int}/sign-off"): Route(
        "visit", {"admin", "lead"}, _api("POST", "/api/v1/visits/{visit_id:int}/sign-off",
                                         lambda o, w: {"unit_representative": "Ông Nguyễn Văn Bình"}),
        by_state({"admin", "lead"}, planned=409, in_progress=409), pick=lambda o: o.state in EDITABLE, write=True),
    # -- closing the visit on site: check-in and signatures (issue 18)
    ("GET", "/visits/{visit_id:int}/sign"): Route(
        "visit", ALL, _get("/visits/{visit_id:int}/sign"),
        lambda role, obj: 403 if role == "unit" and obj.state != "signed_off" else 200),
    ("POST", "/visits/{visit_id:int}/check-in"): Route(  # refused (latitude 95): back to the page (PRG)
        "visit", STAFF, _form("/visits/{visit_id:int}/check-in", lambda o, w: {"lat": "95", "lon": "106.68"}),
        by_state(STAFF, planned=303, in_progress=303), pick=lambda o: o.state in EDITABLE, write=True),
    ("POST", "/api/v1/visits/{visit_id:int}/check-in"): Route(
        "visit", STAFF, _api("POST", "/api/v1/visits/{visit_id:int}/check-in",
                             lambda o, w: {"lat": 20.86412, "lon": 106.68341, "accuracy_m": 15}),
        by_state(STAFF, planned=201, in_progress=201), pick=lambda o: o.state in EDITABLE, write=True),
    ("POST", "/visits/{visit_id:int}/sign"): Route(  # a photo is no PNG signature: refused (PRG)
        "visit", {"admin", "lead", "unit"}, _form("/visits/{visit_id:int}/sign",
                                                  lambda o, w: {"party": "unit", "name": "Phạm Thị Mai",
                                                                "position": "Chủ tịch UBND"}, files=True),
        ok_for({"admin", "lead", "unit"}, 303), pick=lambda o: o.state == "signed_off", write=True),
    ("POST", "/api/v1/visits/{visit_id:int}/signatures"): Route(  # a photo is no PNG signature: 422
        "visit", {"admin", "lead", "unit"}, _api("POST", "/api/v1/visits/{visit_id:int}/signatures", files=True,
                                                 multipart={"party": "unit", "name": "Phạm Thị Mai",
                                                            "position": "Chủ tịch UBND"}),
        ok_for({"admin", "lead", "unit"}, 422), pick=lambda o: o.state == "signed_off", write=True),
    # -- writing: remediation
    ("POST", "/remediation/{item_id:int}/answer"): Route(
        "remediation", {"unit"}, _form("/remediation/{item_id:int}/answer",
                                       lambda o, w: {"text": "Đơn vị đã khắc phục xong.", "action": "draft"}),
        ok_for({"unit"}, 303), pick=lambda o: o.state in ("open", "returned"), write=True),
    ("POST", "/remediation/{item_id:int}/review"): Route(
        "remediation", {"admin", "lead"}, _form("/remediation/{item_id:int}/review",
                                                lambda o, w: {"decision": "return", "comment": "Bổ sung ảnh."}),
        ok_for({"admin", "lead"}, 303), pick=lambda o: o.state == "answered", write=True),
    ("POST", "/remediation/{item_id:int}/edit"): Route(
        "remediation", {"admin", "lead"}, _form("/remediation/{item_id:int}/edit",
                                                lambda o, w: {"text": "Nội dung kiến nghị đã chỉnh sửa.",
                                                              "deadline": DEADLINE}),
        ok_for({"admin", "lead"}, 303), pick=lambda o: o.state in ("open", "returned"), write=True),
    ("POST", "/api/v1/remediation/{item_id:int}/answers"): Route(
        "remediation", {"unit"}, _api("POST", "/api/v1/remediation/{item_id:int}/answers", files=True,
                                      multipart={"text": "Đơn vị đã khắc phục, gửi ảnh kèm theo."}),
        ok_for({"unit"}, 201), pick=lambda o: o.state in ("open", "returned"), write=True),
    ("POST", "/api/v1/remediation/{item_id:int}/review"): Route(
        "remediation", {"admin", "lead"}, _api("POST", "/api/v1/remediation/{item_id:int}/review",
                                               lambda o, w: {"decision": "accept", "comment": "Đạt."}),
        ok_for({"admin", "lead"}, 409), pick=lambda o: o.state == "accepted", write=True),
    # -- the unit's self-assessment (its own visits are signed off: nothing may be added any more)
    ("GET", "/visits/{visit_id:int}/self-assessment"): Route(
        "visit", {"unit"}, _get("/visits/{visit_id:int}/self-assessment"), ok_for({"unit"})),
    ("POST", "/visits/{visit_id:int}/self-assessment/items/{item_code:str}"): Route(
        "visit", {"unit"}, _form("/visits/{visit_id:int}/self-assessment/items/{item_code:str}",
                                 lambda o, w: {"choice": "yes", "note": "", "base_version": "0",
                                               "idempotency_key": str(uuid.uuid4())}),
        by_state({"unit"}, signed_off=303), write=True),  # refused: back to the page with why (PRG)
    ("POST", "/visits/{visit_id:int}/self-assessment/items/{item_code:str}/evidence"): Route(
        "visit", {"unit"}, _form("/visits/{visit_id:int}/self-assessment/items/{item_code:str}/evidence",
                                 lambda o, w: {"idempotency_key": str(uuid.uuid4())}, files=True),
        by_state({"unit"}, signed_off=409), write=True),
    ("POST", "/visits/{visit_id:int}/self-assessment/submit"): Route(
        "visit", {"unit"}, _form("/visits/{visit_id:int}/self-assessment/submit", lambda o, w: {}),
        by_state({"unit"}, signed_off=303), write=True),  # refused: back to the page with why (PRG)
    ("GET", "/api/v1/visits/{visit_id:int}/self-assessment"): Route(
        "visit", ALL, _get("/api/v1/visits/{visit_id:int}/self-assessment"),
        lambda role, obj: 200 if role == "unit" or obj.self_submitted else 404),  # the team: once submitted
    ("GET", "/api/v1/visits/{visit_id:int}/self-assessment/{item_code:str}"): Route(
        "visit", ALL, _get("/api/v1/visits/{visit_id:int}/self-assessment/{item_code:str}"),
        lambda role, obj: 200 if role == "unit" or obj.self_submitted else 404),
    ("PUT", "/api/v1/visits/{visit_id:int}/self-assessment/{item_code:str}"): Route(
        "visit", {"unit"}, _api("PUT", "/api/v1/visits/{visit_id:int}/self-assessment/{item_code:str}",
                                lambda o, w: {"answer": True, "note": "Đơn vị tự đánh giá đạt.", "base_version": 0}),
        by_state({"unit"}, signed_off=409), write=True),
    ("POST", "/api/v1/visits/{visit_id:int}/self-assessment/{item_code:str}/evidence"): Route(
        "visit", {"unit"}, _api("POST", "/api/v1/visits/{visit_id:int}/self-assessment/{item_code:str}/evidence",
                                files=True),
        by_state({"unit"}, signed_off=409), write=True),
    ("POST", "/api/v1/visits/{visit_id:int}/self-assessment/submit"): Route(
        "visit", {"unit"}, _api("POST", "/api/v1/visits/{visit_id:int}/self-assessment/submit"),
        by_state({"unit"}, signed_off=409), write=True),
    ("GET", "/plans/{plan_id:int}/self-assessments"): Route(
        "plan", {"admin", "lead"}, _get("/plans/{plan_id:int}/self-assessments"), ok_for({"admin", "lead"})),
    ("POST", "/plans/{plan_id:int}/self-assessments"): Route(
        "plan", {"admin"}, _form("/plans/{plan_id:int}/self-assessments",
                                 lambda o, w: {"visit_id": str(w.planned_visit), "deadline": DEADLINE}),
        ok_for({"admin"}, 303), pick=lambda o: o.state == "demo", write=True),
    # -- documents and reports
    ("GET", "/visits/{visit_id:int}/minutes"): Route(
        "visit", ALL, _get("/visits/{visit_id:int}/minutes"),
        lambda role, obj: 403 if role == "unit" and obj.state != "signed_off" else 200),
    ("GET", "/visits/{visit_id:int}/minutes.docx"): Route(
        "visit", ALL, _get("/visits/{visit_id:int}/minutes.docx"),
        lambda role, obj: 403 if role == "unit" and obj.state != "signed_off" else 200),
    ("GET", "/visits/{visit_id:int}/minutes.pdf"): Route(
        "visit", ALL, _get("/visits/{visit_id:int}/minutes.pdf"),
        lambda role, obj: 403 if role == "unit" and obj.state != "signed_off" else 200),
    ("GET", "/visits/{visit_id:int}/notice"): Route(
        "visit", ALL, _get("/visits/{visit_id:int}/notice"),
        lambda role, obj: 403 if role == "unit" and obj.state != "signed_off" else 200),
    ("GET", "/visits/{visit_id:int}/notice.docx"): Route(
        "visit", ALL, _get("/visits/{visit_id:int}/notice.docx"),
        lambda role, obj: 403 if role == "unit" and obj.state != "signed_off" else 200),
    ("GET", "/visits/{visit_id:int}/notice.pdf"): Route(
        "visit", ALL, _get("/visits/{visit_id:int}/notice.pdf"),
        lambda role, obj: 403 if role == "unit" and obj.state != "signed_off" else 200),
    # -- issuing (issue 18): the Sở Nội vụ only; a signed-off visit's notice gets its number
    ("GET", "/visits/{visit_id:int}/issue"): Route(
        "visit", {"admin"}, _get("/visits/{visit_id:int}/issue"), ok_for({"admin"})),
    ("POST", "/visits/{visit_id:int}/issue"): Route(
        "visit", {"admin"}, _form("/visits/{visit_id:int}/issue", lambda o, w: {"kind": "notice"}),
        by_state({"admin"}, signed_off=303), pick=lambda o: o.state == "signed_off", write=True),
    ("POST", "/api/v1/visits/{visit_id:int}/notice/issue"): Route(
        "visit", {"admin"}, _api("POST", "/api/v1/visits/{visit_id:int}/notice/issue"),
        by_state({"admin"}, signed_off=200), pick=lambda o: o.state == "signed_off", write=True),
    ("POST", "/api/v1/visits/{visit_id:int}/minutes/issue"): Route(  # the plan's default: the team issues them
        "visit", {"admin"}, _api("POST", "/api/v1/visits/{visit_id:int}/minutes/issue"),
        by_state({"admin"}, signed_off=409), pick=lambda o: o.state == "signed_off", write=True),
    ("GET", "/reports/plans/{plan_id:int}"): Route(
        "plan", {"admin", "lead"}, _get("/reports/plans/{plan_id:int}"), ok_for({"admin", "lead"})),
    ("POST", "/reports/plans/{plan_id:int}/export"): Route(
        "plan", {"admin", "lead"}, _form("/reports/plans/{plan_id:int}/export",
                                         lambda o, w: {"format": "xlsx", "threshold": ""}),
        ok_for({"admin", "lead"}, 303), write=True),
    # Every role may follow a job, but only the one it started (a unit: its evidence package).
    ("GET", "/reports/jobs/{job_id:str}"): Route(
        "job", ALL, _get("/reports/jobs/{job_id:str}"), ok_for(ALL)),
    ("GET", "/reports/jobs/{job_id:str}/file"): Route(
        "job", ALL, _get("/reports/jobs/{job_id:str}/file"), ok_for(ALL)),
    # -- the evidence package: the unit's officers, the team, the Sở Nội vụ
    ("GET", "/visits/{visit_id:int}/evidence-package"): Route(
        "visit", ALL, _get("/visits/{visit_id:int}/evidence-package"), ok_for(ALL)),
    ("GET", "/visits/{visit_id:int}/evidence-package.zip"): Route(  # none built yet (test_evidence_package: 200)
        "visit", ALL, _get("/visits/{visit_id:int}/evidence-package.zip"), lambda role, obj: 404),
    ("POST", "/visits/{visit_id:int}/evidence-package"): Route(
        "visit", ALL, _form("/visits/{visit_id:int}/evidence-package", lambda o, w: {}), ok_for(ALL, 303),
        write=True),
}
# Public routes with a parameter that names no object: the API schema and static files.
PUBLIC_WITH_PARAMS = {"/schema/{path:str}", "/static/{file_path:path}"}


def test_every_route_with_an_id_is_in_the_table(settings):
    app = create_app(settings)
    missing = []
    for route in app.routes:
        if "{" not in route.path or route.path in PUBLIC_WITH_PARAMS:
            continue
        for handler in getattr(route, "route_handlers", []):
            for method in sorted(set(handler.http_methods) - {"OPTIONS", "HEAD"}):
                if (method, route.path) not in ROUTES:
                    missing.append(f"{method} {route.path}")
    assert missing == [], f"routes with an id and no own/other rule in test_battery_access.ROUTES: {missing}"


def test_every_route_without_an_id_has_an_exact_rule_in_test_access(settings):
    """Routes without an id have no own/other dimension; tests/test_access.py's role matrix covers them.
    Its own completeness check accepts any path under a known prefix, so a new /plans/… or /reports/…
    page could slip through: here each one must be named exactly (GET in GET_MATRIX, others in POST_ONLY)."""
    from test_access import GET_MATRIX, POST_ONLY

    app = create_app(settings)
    missing = []
    for route in app.routes:
        if "{" in route.path:
            continue
        for handler in getattr(route, "route_handlers", []):
            if handler.opt.get("public"):
                continue
            for method in sorted(set(handler.http_methods) - {"OPTIONS", "HEAD"}):
                if route.path not in (GET_MATRIX if method == "GET" else POST_ONLY):
                    missing.append(f"{method} {route.path}")
    assert missing == [], f"routes without a rule in tests/test_access.py: {missing}"


def test_the_table_matches_the_roles_the_app_declares(settings):
    """Our expectations are written down independently; a route whose declared roles drift fails here."""
    app = create_app(settings)
    declared = {}
    for route in app.routes:
        for handler in getattr(route, "route_handlers", []):
            for method in set(handler.http_methods) - {"OPTIONS", "HEAD"}:
                declared[(method, route.path)] = set(handler.opt.get("roles") or ())
    wrong = {key: (sorted(rule.allowed), sorted(declared.get(key, set())))
             for key, rule in ROUTES.items() if declared.get(key) != rule.allowed}
    assert wrong == {}


# ---------------------------------------------------------------------------------------------- the sweep


@pytest.fixture
def world_client(world, tmp_path):
    """A fresh copy of the world for one persona's sweep."""
    settings = make_settings(tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    for suffix in ("", "-wal", "-shm"):
        source = Path(str(world.db) + suffix)
        if source.exists():
            shutil.copy(source, Path(str(settings.db_path) + suffix))
    shutil.copytree(world.evidence, settings.evidence_dir)
    app = create_app(settings)
    app.state.pdf_maker = tiny_maker  # issuing: a small PDF in place of the report engine
    with TestClient(app) as client:
        # Report jobs live in the server's memory: one started by the Sở Nội vụ, one by the lead.
        jobs = []
        for username, fmt in (("sonoivu", "docx"), ("truongdoan", "xlsx")):
            login(client, username)
            started = post_form(client, f"/reports/plans/{world.plan1}/export", {"format": fmt, "threshold": ""})
            assert started.status_code == 303, started.text[:300]
            job_id = started.headers["location"].rsplit("/", 1)[1]
            for _ in range(200):
                if client.get(f"/reports/jobs/{job_id}/file").status_code != 409:
                    break
                time.sleep(0.05)
            jobs.append(Obj("job", job_id, owner=username, secrets={f"33/KH-UBND ({fmt.upper()})"}))
        yield client, settings, world.objects + jobs


def _leaks(response, secrets: set[str]) -> list[str]:
    body = response.content.decode("utf-8", "replace")
    found = [s for s in secrets if s and s in body]
    kind = response.headers.get("content-type", "")
    if kind.startswith(("image/", "application/pdf", "application/octet-stream")) or response.content[:3] == b"\xff\xd8\xff":
        found.append(f"a file ({kind})")
    if kind.startswith("application/json") and response.status_code >= 400:
        extra = set(response.json()) - {"error", "message"}
        if extra:
            found.append(f"JSON fields {sorted(extra)}")
    return found


@pytest.mark.parametrize("persona_name", ["admin", "lead", "inspector", "inspector-other-team", "unit",
                                          "unit-other-unit"])
def test_own_and_other_objects_for_every_route_with_an_id(world, world_client, persona_name):
    client, settings, objects = world_client
    me = world.personas[persona_name]
    password = PASSWORD2 if me.username == "kiemtravien2" else None
    response = login(client, me.username, password) if password else login(client, me.username)
    assert response.status_code == 303
    mine = [o for o in objects if me.sees(o)]
    theirs = [o for o in objects if not me.sees(o)]
    my_secrets = set().union(*(o.secrets for o in mine)) if mine else set()
    if me.role != "admin":
        assert {o.kind for o in theirs} >= {"plan", "user"}
    if me.role in ("inspector", "unit"):  # the personas of another team or unit meet every kind of object
        assert {o.kind for o in theirs} >= {"plan", "visit", "evidence", "remediation", "user"}, persona_name

    # 1. Another's objects: refused, nothing of them in the answer, nothing changed.
    wrong = []
    counts = {"other": 0, "own reads": 0, "own writes": 0}
    before_db, before_files = dump(settings.db_path), listing(settings.evidence_dir)
    watch = sqlite3.connect(settings.db_path)  # its data_version moves when any other connection commits
    seen = watch.execute("PRAGMA data_version").fetchone()[0]
    for (method, path), rule in ROUTES.items():
        for obj in (o for o in theirs if o.kind == rule.subject):
            for response in rule.call(client, obj, world):
                counts["other"] += 1
                where = f"{method} {path} [{obj.kind} {obj.id}]"
                expected = {403} if me.role not in rule.allowed else ({404} if me.role == "unit" else {403, 404})
                if response.status_code not in expected:
                    wrong.append(f"{where}: {response.status_code}, expected {sorted(expected)}")
                if leaks := _leaks(response, obj.secrets - my_secrets):
                    wrong.append(f"{where}: the answer shows {leaks}")
            version = watch.execute("PRAGMA data_version").fetchone()[0]
            if version != seen:  # something was committed: compare every table (sessions aside)
                seen, after_db = version, dump(settings.db_path)
                if after_db != before_db:
                    changed = sorted(t for t in after_db if after_db[t] != before_db.get(t))
                    wrong.append(f"{method} {path} [{obj.kind} {obj.id}] changed {changed}")
                    before_db = after_db
    if dump(settings.db_path) != before_db:
        wrong.append("the data changed during the sweep of another's objects")
    watch.close()
    if listing(settings.evidence_dir) != before_files:
        wrong.append("files were added to or removed from the evidence folder")

    # 2. One's own objects: readable by the roles the route admits, nothing of anyone else in the page.
    others_secrets = set().union(*(o.secrets for o in theirs)) - my_secrets if theirs else set()
    for (method, path), rule in ROUTES.items():
        if rule.write:
            continue
        for obj in (o for o in mine if o.kind == rule.subject):
            for response in rule.call(client, obj, world):
                counts["own reads"] += 1
                where = f"{method} {path} [{obj.kind} {obj.id}]"
                if response.status_code != rule.own(me.role, obj):
                    wrong.append(f"{where}: {response.status_code}, expected {rule.own(me.role, obj)}")
                    continue
                if response.headers.get("content-type", "").startswith(("image/", "application/pdf")):
                    continue  # one's own photo or document
                if leaks := _leaks(response, others_secrets):
                    wrong.append(f"{where}: the answer shows another's {leaks}")

    # 3. One's own objects, writing: one object in a known state per route, the expected answer.
    for (method, path), rule in ROUTES.items():
        if not rule.write:
            continue
        candidates = [o for o in mine if o.kind == rule.subject and rule.pick(o)]
        if not candidates:
            assert me.role not in rule.allowed or rule.subject == "user", f"no own object for {method} {path}"
            continue
        obj = candidates[0]
        response = rule.call(client, obj, world)[0]
        counts["own writes"] += 1
        if response.status_code != rule.own(me.role, obj):
            wrong.append(f"{method} {path} [{obj.kind} {obj.id}, {obj.state}]: {response.status_code}, "
                         f"expected {rule.own(me.role, obj)}: {response.text[:200]}")
    assert wrong == [], "\n".join(wrong)
    print(f"{persona_name} ({me.username}): {counts}")
