"""Checklist versions in the running app: a visit keeps the version it was started with, for ever."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys

from conftest import _seed, login, make_settings, text_of
import dbtarget
from litestar.testing import TestClient

from inspect_app.app import create_app
from inspect_app.db import open_database
from inspect_app.checklists import load_checklist_file
from inspect_app.queries import visits
from inspect_app.settings import ROOT

OLD_TEXT = "Ban hành Kế hoạch cải cách hành chính năm"


def _pin_visit_to_current(settings, version_hash: str) -> int:
    async def work():
        db = await open_database(settings.database)
        try:
            visit = (await visits.list_visits(db))[0]
            async with db.transaction() as tx:
                await tx.execute("UPDATE visits SET checklist_version = ?, status = 'in_progress' WHERE id = ?",
                                 (version_hash, visit.id))
            return visit.id
        finally:
            await db.close()

    return asyncio.run(work())


def test_a_started_visit_keeps_version_1_after_the_file_changes(tmp_path, settings):
    checklists = tmp_path / "checklists"
    shutil.copytree(ROOT / "checklists", checklists)
    settings = make_settings(settings.data_dir, checklists_dir=checklists, database_url=settings.database_url)
    source = (checklists / "cchc-xa.toml").read_text(encoding="utf-8")

    with TestClient(create_app(settings)) as client:
        login(client, "sonoivu")
        v1 = next(c for c in client.get("/api/v1/checklists").json() if c["id"] == "cchc-xa" and c["current"])
        tree_v1 = client.get("/api/v1/checklists/cchc-xa", params={"version": v1["version"]}).json()
        first_item = tree_v1["checklist"]["areas"][0]["criteria"][0]["items"][0]
    visit_id = _pin_visit_to_current(settings, v1["version"])

    # Sở Nội vụ edits the file: the first item's text changes.
    changed = source.replace(f'text = "{first_item["text"]}"', 'text = "Nội dung mới của tiêu chí đầu tiên"', 1)
    assert changed != source
    (checklists / "cchc-xa.toml").write_text(changed, encoding="utf-8")

    with TestClient(create_app(settings)) as client:
        login(client, "kiemtravien")
        listed = [c for c in client.get("/api/v1/checklists").json() if c["id"] == "cchc-xa"]
        assert len(listed) == 2
        v2 = next(c for c in listed if c["current"])
        assert v2["version"] != v1["version"]
        # The visit still names version 1 …
        visit = next(v for v in client.get("/api/v1/visits").json() if v["id"] == visit_id)
        assert visit["checklist_version"] == v1["version"]
        page = text_of(client.get(f"/visits/{visit_id}").text)
        assert v1["version"] in page
        # … and version 1 still renders with version 1's items.
        old = client.get("/api/v1/checklists/cchc-xa", params={"version": v1["version"]}).json()
        assert old["checklist"]["areas"][0]["criteria"][0]["items"][0]["text"] == first_item["text"]
        preview = text_of(client.get(f"/checklists/cchc-xa/{v1['version']}").text)
        assert first_item["text"] in preview and "Nội dung mới của tiêu chí đầu tiên" not in preview
        current = text_of(client.get(f"/checklists/cchc-xa/{v2['version']}").text)
        assert "Nội dung mới của tiêu chí đầu tiên" in current
        versions_page = text_of(client.get("/checklists").text)
        assert "hiện hành" in versions_page and v1["version"] in versions_page


def test_whitespace_and_comments_do_not_make_a_new_version(tmp_path, settings):
    checklists = tmp_path / "checklists"
    shutil.copytree(ROOT / "checklists", checklists)
    settings = make_settings(settings.data_dir, checklists_dir=checklists, database_url=settings.database_url)
    path = checklists / "mot-cua-dot-xuat.toml"
    path.write_text("# a comment added by an editor\n\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    with TestClient(create_app(settings)) as client:
        login(client, "sonoivu")
        assert len([c for c in client.get("/api/v1/checklists").json() if c["id"] == "mot-cua-dot-xuat"]) == 1


def test_api_gives_the_whole_tree_and_unknown_ids_are_404(client):
    login(client, "kiemtravien")
    listed = client.get("/api/v1/checklists").json()
    assert {c["id"] for c in listed} >= {"cchc-xa", "cchc-so-nganh", "mot-cua-dot-xuat"}
    xa = next(c for c in listed if c["id"] == "cchc-xa")
    assert xa["max_points"] == 100 and xa["item_count"] >= 40
    tree = client.get("/api/v1/checklists/cchc-xa").json()
    items = [i for a in tree["checklist"]["areas"] for c in a["criteria"] for i in c["items"]]
    assert len(items) == xa["item_count"]
    assert all({"code", "type", "max_points"} <= set(i) for i in items)
    assert any(i["type"] == "ratio" and i.get("bands") for i in items)
    missing = client.get("/api/v1/checklists/khong-co")
    assert missing.status_code == 404 and missing.json()["error"] == "unknown_checklist"
    bad_version = client.get("/api/v1/checklists/cchc-xa", params={"version": "000000000000"})
    assert bad_version.status_code == 404 and "không có phiên bản" in bad_version.json()["message"]


def test_server_refuses_to_start_on_an_invalid_checklist_and_says_why(tmp_path):
    checklists = tmp_path / "checklists"
    checklists.mkdir()
    source = (ROOT / "checklists" / "mot-cua-dot-xuat.toml").read_text(encoding="utf-8")
    (checklists / "broken.toml").write_text(source.replace('type = "yesno"', 'type = "co_khong"', 1),
                                            encoding="utf-8")
    env = {**os.environ, "INSPECT_DATA_DIR": str(tmp_path / "data"), "INSPECT_CHECKLISTS_DIR": str(checklists)}
    if dbtarget.ON_POSTGRES:  # an empty database of its own, as the data folder is new
        env["INSPECT_DATABASE_URL"] = dbtarget.new_database()
    result = subprocess.run([sys.executable, "-m", "inspect_app", "serve", "--port", "1"], env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 1
    assert "Không nạp được bộ tiêu chí" in result.stderr
    assert "broken.toml:" in result.stderr and "co_khong" in result.stderr


PREVIOUS = ROOT / "tests" / "data" / "checklists" / "v2026.1"  # the shipped files as they were in 2026.1


def _scores(client, visit_id: int) -> tuple[list, dict]:
    listed = client.get(f"/api/v1/visits/{visit_id}/findings").json()
    return ([(f["item_code"], f["answer"], f["na"], f["score"], f["max_points"]) for f in listed["findings"]],
            listed["progress"])


def test_visits_pinned_to_2026_1_still_render_after_the_files_move_on(tmp_path, client):
    """The demo seeded on the 2026.1 files, then the server starts on today's files: nothing pinned moves."""
    today = {path.stem: load_checklist_file(path).checklist.version for path in (ROOT / "checklists").glob("*.toml")}
    assert today["cchc-xa"] == "2026.3" and today["mot-cua-dot-xuat"] == "2026.2"
    settings = make_settings(tmp_path / "pinned", checklists_dir=PREVIOUS)
    asyncio.run(_seed(settings))
    settings = make_settings(settings.data_dir, database_url=settings.database_url)  # today's checklists/

    with TestClient(create_app(settings)) as old_client:
        login(old_client, "sonoivu")
        listed = old_client.get("/api/v1/checklists").json()
        for checklist_id in ("cchc-xa", "cchc-so-nganh", "mot-cua-dot-xuat"):
            labels = {c["version_label"]: c for c in listed if c["id"] == checklist_id}
            assert set(labels) == {"2026.1", today[checklist_id]} and labels[today[checklist_id]]["current"]
        pinned = {c["version_label"]: c["version"] for c in listed if c["id"] == "cchc-xa"}
        signed = [v for v in old_client.get("/api/v1/visits").json() if v["status"] == "signed_off"]
        assert signed and all(v["checklist_version"] == pinned["2026.1"] for v in signed)
        visit_id = signed[0]["id"]

        page = text_of(old_client.get(f"/visits/{visit_id}").text)
        assert "phiên bản 2026.1" in page and pinned["2026.1"] in page
        # 2026.1's own wording (its legal basis then) is what the pinned visit shows …
        assert "Thông tư 01/2018/TT-VPCP" in page and "Thông tư 03/2025/TT-VPCP" not in page
        minutes = old_client.get(f"/visits/{visit_id}/minutes")
        assert minutes.status_code == 200
        assert "Bộ phận Một cửa" in text_of(minutes.text)
        assert old_client.get(f"/visits/{visit_id}/minutes.docx").status_code == 200
        preview = text_of(old_client.get(f"/checklists/cchc-xa/{pinned['2026.1']}").text)
        assert "Quyết định số 892/QĐ-BNV" in preview
        # … while the current version carries the confirmed sources.
        current = text_of(old_client.get(f"/checklists/cchc-xa/{pinned['2026.3']}").text)
        assert "Nghị định số 118/2025/NĐ-CP" in current and "892/QĐ-BNV" not in current
        assert "61/2018" not in current
        old_scores = _scores(old_client, visit_id)

    # Only wording changed between the versions: the same demo visit scores the same on either.
    login(client, "sonoivu")
    new_visit = next(v for v in client.get("/api/v1/visits").json() if v["id"] == visit_id)
    assert new_visit["checklist_version"] == pinned["2026.3"]
    new_scores = _scores(client, visit_id)
    # 2026.3 adds the dossier sample 3.2.3 and its cross-check 3.2.4, which carry no points: every other item
    # scores the same, and so does the whole.
    added = {"3.2.3", "3.2.4"}
    assert old_scores[0] == [f for f in new_scores[0] if f[0] not in added]
    assert {k: v for k, v in old_scores[1].items() if k not in ("missing_evidence", "answered", "total")} == \
        {k: v for k, v in new_scores[1].items() if k not in ("missing_evidence", "answered", "total")}
    assert new_scores[1]["total"] == old_scores[1]["total"] + 2
