"""Report test data built through the real app: plans, teams and visits by the Sở Nội vụ's forms,
findings by PUT /api/v1/visits/{id}/findings/{code}, a photo per visit, sign-off by the lead.

Built once per test session (it takes a few hundred API calls) into a data folder that each test
copies. Remediation items are the remediation follow-up's own work (another module): the rows the
reports read are inserted directly, with deadlines relative to today.
"""

from __future__ import annotations

import io
import json
import shutil
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from conftest import csrf_token, login, make_settings, post_form, seeded_copy
import dbchecks
import dbtarget
from fill import SAMPLE_ROWS, typed
from litestar.testing import TestClient
from PIL import Image

from inspect_app.app import create_app
from inspect_app.settings import Settings

EARLIER_PLAN = {"number": "12/KH-UBND", "issued_on": "2025-02-10", "period_start": "2025-03-01",
                "period_end": "2025-06-30", "issuer": "UBND thành phố Hải Phòng", "province_code": "31",
                "title": "Kiểm tra công tác cải cách hành chính năm 2025 trên địa bàn thành phố Hải Phòng"}
CURRENT_PLAN = {"number": "88/KH-UBND", "issued_on": "2026-09-01", "period_start": "2026-10-01",
                "period_end": "2026-12-31", "issuer": "UBND thành phố Hải Phòng", "province_code": "31",
                "title": "Kiểm tra công tác cải cách hành chính năm 2026 trên địa bàn thành phố Hải Phòng",
                "legal_basis": ""}
# unit code → which items fail: a step over the item list and an offset; 0 = only the common ones.
CURRENT_UNITS = {"11560": (9, 0), "11167": (4, 1), "10525": (0, 0), "10606": (2, 1)}
EARLIER_UNITS = {"11560": (3, 0), "11167": (12, 5)}
PLANNED_UNIT, IN_PROGRESS_UNIT = "10507", "10537"
SEARCH_NOTE = "Chưa niêm yết công khai thủ tục hành chính tại Bộ phận Một cửa"
REPRESENTATIVE = "Ông Phạm Văn Hùng, Chủ tịch UBND"


def key() -> str:
    return str(uuid.uuid4())


def jpeg(color=(30, 120, 200)) -> bytes:
    image = Image.new("RGB", (800, 600), color)
    image.paste((240, 240, 240), (0, 0, 400, 300))
    exif = Image.Exif()
    exif.get_ifd(0x8769)[0x9003] = "2026:11:20 09:15:00"
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, quality=85)
    return buffer.getvalue()


def headers(client) -> dict:
    return {"x-csrftoken": csrf_token(client), "Idempotency-Key": key()}


def items_of(tree) -> list[dict]:
    return [i for a in tree["areas"] for c in a["criteria"] for i in c["items"]]


def answer_for(item: dict, fail: bool):
    """An answer that earns the item's maximum, or (fail) less than it."""
    kind = item["type"]
    if kind == "yesno":
        return not fail
    if kind == "levels":
        levels = sorted(item["levels"], key=lambda lv: lv["points"])
        return (levels[0] if fail else levels[-1])["key"]
    if kind == "score":
        return 0 if fail else item["max_points"]
    if kind == "ratio":
        return [1, 10] if fail else [10, 10]
    if kind == "count":
        bands = sorted(item["bands"], key=lambda b: b["points"])
        band = bands[0] if fail else bands[-1]
        return int(band.get("from", band.get("from_", 0)))
    if kind == "deduction":
        return 3 if fail else 0
    if kind == "date":
        return "2026-01-15"
    if kind == "sample":
        return [{**SAMPLE_ROWS[0], "ngay_tra": "2026-01-12"}] if fail else SAMPLE_ROWS
    return "Đã kiểm tra hồ sơ lưu trữ"


def failing(codes: list[str], common: set[str], step: int, offset: int) -> set[str]:
    own = {c for i, c in enumerate(codes) if step and i % step == offset}
    return own | common


def _rows(db: Settings, sql: str, *params) -> list:
    return dbtarget.sql(db, sql, *params)


def create_plan(client, data: dict) -> int:
    response = post_form(client, "/plans/", data)
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def create_team(client, db: Settings, plan_id: int, decision: str, decision_date: str, secretary: bool) -> int:
    assert post_form(client, f"/plans/{plan_id}/teams", {"name": "Đoàn kiểm tra số 1", "decision_number": decision,
                                                         "decision_date": decision_date}).status_code == 303
    team_id = _rows(db, "SELECT id FROM teams WHERE plan_id = ?", plan_id)[0][0]
    for username, role in (("truongdoan", "truong_doan"), ("kiemtravien", "thu_ky" if secretary else "thanh_vien")):
        assert post_form(client, f"/plans/{plan_id}/teams/{team_id}/members",
                         {"username": username, "role": role}).status_code == 303
    return team_id


def schedule(client, plan_id: int, team_id: int, on: str, units: list[str]) -> None:
    response = post_form(client, f"/plans/{plan_id}/visits",
                         {"team_id": str(team_id), "date": on, "checklist_id": "cchc-xa", "units": units})
    assert response.status_code == 303, response.text


def visit_ids(client, plan_id: int) -> dict[str, int]:
    return {v["unit_code"]: v["id"] for v in client.get("/api/v1/visits", params={"plan": plan_id}).json()
            if v["plan_id"] == plan_id}


def answer_visit(client, visit_id: int, tree: dict, fails: set[str], notes: dict[str, str], only: int | None = None):
    for item in typed(items_of(tree))[:only]:
        code = item["code"]
        body = {"answer": answer_for(item, code in fails), "note": notes.get(code, ""), "base_version": 0}
        response = client.put(f"/api/v1/visits/{visit_id}/findings/{code}", json=body, headers=headers(client))
        assert response.status_code == 200, (code, response.text)


def upload_photo(client, visit_id: int, code: str, color) -> None:
    response = client.post(f"/api/v1/visits/{visit_id}/findings/{code}/evidence",
                           files={"file": ("anh-hien-truong.jpg", jpeg(color), "image/jpeg")},
                           data={"caption": "Bảng niêm yết thủ tục hành chính"}, headers=headers(client))
    assert response.status_code == 201, response.text


def sign_off(client, visit_id: int, remarks: str) -> None:
    response = client.post(f"/api/v1/visits/{visit_id}/sign-off", headers={"x-csrftoken": csrf_token(client)},
                           json={"unit_representative": REPRESENTATIVE, "remarks": remarks,
                                 "missing_evidence_reason": "Đoàn đã đối chiếu bản gốc tài liệu tại đơn vị."})
    assert response.status_code == 200, response.text


def run_plan(client, db: Settings, plan: dict, decision: tuple[str, str], on: str, units: dict, common: set[str],
             tree_holder: dict, extra: list[str] = ()) -> dict[str, int]:
    login(client, "sonoivu")
    plan_id = create_plan(client, plan)
    team_id = create_team(client, db, plan_id, *decision, secretary=plan is CURRENT_PLAN)
    schedule(client, plan_id, team_id, on, list(units))
    if extra:
        schedule(client, plan_id, team_id, "2026-12-10", list(extra))
    ids = visit_ids(client, plan_id)
    login(client, "truongdoan")
    if "tree" not in tree_holder:
        any_visit = client.get("/api/v1/visits", params={"plan": plan_id}).json()[0]
        tree_holder["tree"] = client.get(f"/api/v1/checklists/{any_visit['checklist_id']}",
                                         params={"version": any_visit["checklist_version"]}).json()["checklist"]
    tree = tree_holder["tree"]
    codes = [i["code"] for i in items_of(tree)]
    for n, (code, (step, offset)) in enumerate(units.items()):
        fails = failing(codes, common, step, offset)
        notes = {c: SEARCH_NOTE for c in sorted(fails)[:1]} if code == "11167" else {}
        answer_visit(client, ids[code], tree, fails, notes)
        upload_photo(client, ids[code], codes[0], (30 + 40 * n, 120, 200))
        sign_off(client, ids[code], f"Đơn vị chuẩn bị hồ sơ đầy đủ; cần khắc phục {len(fails)} tồn tại.")
    return {"plan_id": plan_id, "team_id": team_id, "visits": ids}


def add_remediation(db: Settings, visit_id: int, unit_code: str, user_id: int) -> None:
    today = date.today()
    rows = [  # (text, deadline, status, closed_at)
        ("Niêm yết đầy đủ thủ tục hành chính tại Bộ phận Một cửa", today - timedelta(days=20), "accepted",
         (today - timedelta(days=25)).isoformat() + "T03:00:00Z"),
        ("Cập nhật hồ sơ lưu trữ cải cách hành chính", today - timedelta(days=30), "accepted",
         (today - timedelta(days=10)).isoformat() + "T03:00:00Z"),
        ("Ban hành kế hoạch tuyên truyền cải cách hành chính", today - timedelta(days=3), "answered", None),
        ("Số hóa kết quả giải quyết thủ tục hành chính", today + timedelta(days=15), "open", None),
    ]
    dbchecks.run_many(db, [("INSERT INTO remediation_items (visit_id, unit_code, item_code, text, deadline, status,"
                            " created_at, created_by, closed_at) VALUES (?, ?, '1.1.1', ?, ?, ?, ?, ?, ?)",
                            (visit_id, unit_code, text, deadline.isoformat(), status, "2026-11-20T03:00:00Z",
                             user_id, closed)) for text, deadline, status, closed in rows])


def build(settings: Settings) -> dict:
    """Both plans, every visit, signed off; returns ids and what the tests expect."""
    db = settings
    tree_holder: dict = {}
    with TestClient(create_app(settings)) as client:
        earlier = run_plan(client, db, EARLIER_PLAN, ("45/QĐ-UBND", "2025-02-20"), "2025-04-15", EARLIER_UNITS,
                           set(), tree_holder)
        codes = [i["code"] for i in items_of(tree_holder["tree"]) if i["type"] in ("yesno", "deduction")]
        common = set(codes[:2])
        current = run_plan(client, db, CURRENT_PLAN, ("301/QĐ-UBND", "2026-09-10"), "2026-11-20", CURRENT_UNITS,
                           common, tree_holder, extra=[PLANNED_UNIT, IN_PROGRESS_UNIT])
        login(client, "truongdoan")
        answer_visit(client, current["visits"][IN_PROGRESS_UNIT], tree_holder["tree"], set(), {}, only=5)
    lead_id = _rows(db, "SELECT id FROM users WHERE username = 'truongdoan'")[0][0]
    add_remediation(db, current["visits"]["11560"], "11560", lead_id)
    return {"earlier": earlier, "current": current, "common": sorted(common),
            "checklist_id": "cchc-xa"}


@pytest.fixture(scope="session")
def reports_seed(tmp_path_factory, seeded_db) -> tuple[Path, dict]:
    """The built data folder, shared by every report test module of the session."""
    base = tmp_path_factory.getbasetemp() / "reports-seed"
    meta_file = base / "meta.json"
    if not meta_file.exists():
        (base / "data").mkdir(parents=True)
        settings = make_settings(base / "data", **seeded_copy(base / "data", seeded_db))
        meta = build(settings)
        if dbtarget.ON_POSTGRES:  # each test clones this database, as it copies the folder
            (base / "database").write_text(dbtarget.name_of(settings.database_url))
        meta_file.write_text(json.dumps(meta))
    return base / "data", json.loads(meta_file.read_text())


@pytest.fixture
def rsettings(tmp_path, reports_seed) -> Settings:
    source, _ = reports_seed
    target = tmp_path / "data"
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("reports"))
    return make_settings(target, **cloned_reports_database(source))


def cloned_reports_database(source: Path) -> dict[str, str]:
    """On PostgreSQL, a new clone of the built reports database (source: reports_seed's data folder) as a
    Settings override; {} on SQLite, where the folder's copy holds the database."""
    if not dbtarget.ON_POSTGRES:
        return {}
    template = (source.parent / "database").read_text()
    return {"database_url": dbtarget.new_database(template=template)}


@pytest.fixture
def meta(reports_seed) -> dict:
    return reports_seed[1]


@pytest.fixture
def rclient(rsettings):
    with TestClient(create_app(rsettings)) as client:
        yield client
