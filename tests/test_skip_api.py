"""Skip logic through the API: 409 item_skipped, progress.skipped, the maximum, sign-off and the
self-assessment submit leaving skipped items out. The visit to Phường Thủy Nguyên is re-pointed at the
test checklist tests/data/checklists/conditional/dieu-kien-xa.toml."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from pathlib import Path

import pytest
from litestar.testing import TestClient

from conftest import csrf_token, login, make_settings, text_of
from inspect_app.app import create_app
from inspect_app.db import open_database
from inspect_app.settings import ROOT

CONDITIONAL = Path(__file__).resolve().parent / "data" / "checklists" / "conditional" / "dieu-kien-xa.toml"
CODES = ["1.1.1", "1.1.2", "1.1.3", "2.1.1", "2.2.1", "2.2.2", "2.2.3"]


def _repoint(settings, version: str) -> int:
    async def work() -> int:
        db = await open_database(settings.database)
        try:
            row = await db.fetch_one("SELECT v.id FROM visits v WHERE v.unit_code = '11560'")
            async with db.transaction() as tx:
                await tx.execute("UPDATE visits SET checklist_id = 'dieu-kien-xa', checklist_version = ?,"
                                 " status = 'in_progress' WHERE id = ?", (version, row["id"]))
                await tx.execute("DELETE FROM findings WHERE visit_id = ?", (row["id"],))
            return row["id"]
        finally:
            await db.close()

    return asyncio.run(work())


@pytest.fixture
def conditional(tmp_path, settings):
    """(client, visit id) with the demo visit of unit 11560 on the conditional checklist, as the inspector."""
    checklists = tmp_path / "checklists"
    shutil.copytree(ROOT / "checklists", checklists)
    shutil.copy(CONDITIONAL, checklists / CONDITIONAL.name)
    settings = make_settings(settings.data_dir, checklists_dir=checklists, database_url=settings.database_url)
    with TestClient(create_app(settings)) as client:
        login(client, "kiemtravien")
        version = next(c["version"] for c in client.get("/api/v1/checklists").json() if c["id"] == "dieu-kien-xa")
        yield client, _repoint(settings, version)


def put(client, visit_id, code, answer, base_version=0):
    return client.put(f"/api/v1/visits/{visit_id}/findings/{code}", json={"answer": answer, "base_version": base_version},
                      headers={"x-csrftoken": csrf_token(client), "Idempotency-Key": str(uuid.uuid4())})


def progress(client, visit_id):
    return client.get(f"/api/v1/visits/{visit_id}/findings").json()["progress"]


def test_skipped_items_are_listed_and_leave_total_and_maximum(conditional):
    client, visit_id = conditional
    start = progress(client, visit_id)
    assert start["skipped"] == ["1.1.2", "1.1.3", "2.2.1", "2.2.2", "2.2.3"]
    assert (start["total"], start["max_points"]) == (2, 3)
    assert put(client, visit_id, "1.1.1", True).status_code == 200
    after = progress(client, visit_id)
    assert after["skipped"] == ["1.1.3", "2.2.1", "2.2.2", "2.2.3"]
    assert (after["total"], after["max_points"], after["points"]) == (3, 5, 2)


def test_answering_a_skipped_item_is_409_and_changes_nothing(conditional):
    client, visit_id = conditional
    refused = put(client, visit_id, "1.1.2", "dat")
    assert refused.status_code == 409
    assert refused.json()["error"] == "item_skipped"
    assert "không áp dụng theo điều kiện" in refused.json()["message"]
    assert client.get(f"/api/v1/visits/{visit_id}/findings").json()["findings"] == []
    # Once the controlling answer makes it apply, the same answer is taken.
    assert put(client, visit_id, "1.1.1", True).status_code == 200
    assert put(client, visit_id, "1.1.2", "dat").status_code == 200


def test_a_finding_saved_before_stays_and_counts_again(conditional):
    client, visit_id = conditional
    assert put(client, visit_id, "1.1.1", True).status_code == 200
    assert put(client, visit_id, "1.1.2", "dat").status_code == 200
    assert progress(client, visit_id)["points"] == 4
    assert put(client, visit_id, "1.1.1", False, base_version=1).status_code == 200
    now = progress(client, visit_id)
    assert "1.1.2" in now["skipped"] and (now["points"], now["max_points"]) == (0, 3)
    kept = {f["item_code"]: f for f in client.get(f"/api/v1/visits/{visit_id}/findings").json()["findings"]}
    assert kept["1.1.2"]["answer"] == "dat"  # the stored answer stays, scoring nothing out of nothing …
    assert (kept["1.1.2"]["score"], kept["1.1.2"]["max_points"]) == (None, 0)
    assert put(client, visit_id, "1.1.1", True, base_version=2).status_code == 200
    assert progress(client, visit_id)["points"] == 4  # … and counts again


def sign_off(client, visit_id):
    login(client, "truongdoan")
    return client.post(f"/api/v1/visits/{visit_id}/sign-off", json={"unit_representative": "Ông A"},
                       headers={"x-csrftoken": csrf_token(client), "Idempotency-Key": str(uuid.uuid4())})


@pytest.mark.parametrize(("plan", "unanswered"), [(False, None), (True, ["1.1.2"])], ids=["no plan", "a plan"])
def test_sign_off_requires_only_items_that_apply(conditional, plan, unanswered):
    client, visit_id = conditional
    for code, answer in (("1.1.1", plan), ("2.1.1", False)):
        assert put(client, visit_id, code, answer).status_code == 200
    response = sign_off(client, visit_id)
    if unanswered is None:
        assert response.status_code == 200, response.text
    else:
        assert response.status_code == 409 and response.json()["unanswered"] == unanswered


def test_self_assessment_submit_does_not_require_skipped_items(conditional):
    client, visit_id = conditional
    login(client, "dv11560")
    base = f"/api/v1/visits/{visit_id}/self-assessment"
    headers = {"x-csrftoken": csrf_token(client)}
    for code, answer in (("1.1.1", False), ("2.1.1", True), ("2.2.1", 0), ("2.2.3", [3, 4])):
        saved = client.put(f"{base}/{code}", json={"answer": answer, "base_version": 0},
                           headers={**headers, "Idempotency-Key": str(uuid.uuid4())})
        assert saved.status_code == 200, saved.text
    submitted = client.post(f"{base}/submit", headers=headers)
    assert submitted.status_code == 200, submitted.text


def test_minutes_plan_report_and_evidence_package_show_skipped_items(conditional, settings):
    client, visit_id = conditional
    # 1.1.2 answered while it applied, then 1.1.1 turned to "no": the answer stays but does not count.
    for code, answer, base in (("1.1.1", True, 0), ("1.1.2", "dat", 0), ("1.1.1", False, 1), ("2.1.1", False, 0)):
        assert put(client, visit_id, code, answer, base).status_code == 200
    signed = sign_off(client, visit_id)
    assert signed.status_code == 200, signed.text
    minutes = text_of(client.get(f"/visits/{visit_id}/minutes").text)
    assert minutes.count("Không áp dụng theo điều kiện") == 5
    assert "Tổng cộng: 0/3 điểm" in minutes
    plan_id = next(v["plan_id"] for v in client.get("/api/v1/visits").json() if v["id"] == visit_id)
    login(client, "sonoivu")
    report = text_of(client.get(f"/reports/plans/{plan_id}").text)
    assert "tính trên điểm tối đa của chính đơn vị đó" in report

    async def package():
        db = await open_database(settings.database)
        try:
            from inspect_app.queries import visits as visits_q
            from inspect_app.reports.evidence_package import gather

            visit = await visits_q.get_visit(db, visit_id)
            return await gather(db, settings.evidence_dir, visit)
        finally:
            await db.close()

    listed = {item.code: item.answer for item in asyncio.run(package()).items}
    assert listed["1.1.2"] == listed["2.2.3"] == "Không áp dụng theo điều kiện"
    assert listed["1.1.1"] == ""  # the unit gave no answer of its own


def test_the_card_form_and_the_offline_replay_get_the_refusal_on_the_card(conditional):
    client, visit_id = conditional
    response = client.post(f"/visits/{visit_id}/items/1.1.2", data={"choice": "dat", "note": "", "base_version": "0"},
                           headers={"HX-Request": "true", "Idempotency-Key": str(uuid.uuid4()),
                                    "x-csrftoken": csrf_token(client)})
    assert response.status_code == 409
    assert "không áp dụng theo điều kiện" in text_of(response.text)
    assert client.get(f"/api/v1/visits/{visit_id}/findings").json()["findings"] == []


def test_the_visit_page_hides_skipped_cards_and_carries_the_conditions(conditional):
    client, visit_id = conditional
    page = client.get(f"/visits/{visit_id}").text
    assert 'id="skip-conditions"' in page and "/static/js/skip-view.js?v=" in page
    assert 'data-code="1.1.2" data-crit="1.1" hidden' in page
    assert 'data-code="1.1.1" data-crit="1.1">' in page
    unanswered = client.get(f"/visits/{visit_id}?filter=unanswered").text
    assert 'data-code="1.1.2"' not in unanswered and 'data-code="1.1.1"' in unanswered


def test_the_self_assessment_page_hides_skipped_items_and_counts_only_those_that_apply(conditional):
    client, visit_id = conditional
    login(client, "dv11560")
    page = client.get(f"/visits/{visit_id}/self-assessment").text
    assert 'data-code="1.1.2" data-crit="1.1" hidden' in page and 'id="skip-conditions"' in page
    assert "<strong>0/2</strong> tiêu chí đã tự đánh giá" in page
