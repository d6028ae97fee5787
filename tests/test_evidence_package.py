"""The evidence package (hồ sơ tài liệu kiểm chứng): ZIP layout, list and hashes, access, safe names, verify."""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import time
import unicodedata
import zipfile

import openpyxl
import pytest
from conftest import csrf_token, login, text_of
import dbtarget
import dbchecks
from docx import Document

from inspect_app.cli import main as cli
from inspect_app.reports.evidence_package import LIST_NAME, entry_name, read_list, short_title
from inspect_app.services import reminders

SUBMITTED_UNIT = "10532"  # the demo unit that submitted its self-assessment with evidence; visit signed off
OTHER_UNIT = "11560"  # a demo unit whose visit is planned (not signed off)
ENTRY = re.compile(r"\d+\.\d+/\d+\.\d+\.\d+_\d+_[a-z0-9-]{1,40}\.(jpg|png|webp|pdf)")


def visit_of(client, unit_code: str) -> int:
    login(client, "sonoivu")
    return next(v["id"] for v in client.get("/api/v1/visits").json() if v["unit_code"] == unit_code)


def start(client, visit_id: int):
    return client.post(f"/visits/{visit_id}/evidence-package", headers={"Accept": "application/json",
                                                                         "x-csrftoken": csrf_token(client)})


def build(client, visit_id: int) -> bytes:
    """Start the build as a program would (202 {"job_id"}), follow the job, download its file."""
    response = start(client, visit_id)
    assert response.status_code == 202, response.text
    job = response.json()["job_id"]
    for _ in range(300):
        if f"/reports/jobs/{job}/file" in client.get(f"/reports/jobs/{job}").text:
            break
        time.sleep(0.1)
    file = client.get(f"/reports/jobs/{job}/file")
    assert file.status_code == 200 and file.headers["content-type"] == "application/zip"
    return file.content


def test_the_units_package_holds_its_evidence_by_criterion_with_a_list_of_hashes(client, tmp_path):
    visit = visit_of(client, SUBMITTED_UNIT)
    login(client, f"dv{SUBMITTED_UNIT}")
    assert client.get(f"/visits/{visit}/evidence-package.zip").status_code == 404  # nothing built yet
    data = build(client, visit)
    latest = client.get(f"/visits/{visit}/evidence-package.zip")
    assert latest.status_code == 200 and latest.content == data
    assert "attachment" in latest.headers["content-disposition"]
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    names = archive.namelist()
    files = [n for n in names if "/" in n]
    assert {f"{LIST_NAME}.xlsx", f"{LIST_NAME}.docx"} <= set(names)
    assert len(files) >= 60 and all(ENTRY.fullmatch(n) for n in files), [n for n in files if not ENTRY.fullmatch(n)]
    # Each file sits in its criterion's folder and is named after its item.
    assert all(n.split("/")[1].startswith(n.split("/")[0] + ".") for n in files)
    # The team's photos are there too once signed off; PDFs as received, photos as display JPEGs.
    assert any(n.endswith(".pdf") for n in files) and any(n.endswith(".jpg") for n in files)

    archive.extractall(tmp_path / "pkg")
    listed = read_list(tmp_path / "pkg" / f"{LIST_NAME}.xlsx")
    assert set(listed) == set(files)
    for name, digest in listed.items():
        assert hashlib.sha256(archive.read(name)).hexdigest() == digest

    sheet = openpyxl.load_workbook(tmp_path / "pkg" / f"{LIST_NAME}.xlsx").active
    cells = [str(c) for row in sheet.iter_rows(values_only=True) for c in row if c]
    assert cells[0] == "Danh mục tài liệu kiểm chứng"
    assert all(unicodedata.is_normalized("NFC", c) for c in cells)
    text = " ".join(cells)
    assert "Thiếu tài liệu kiểm chứng" in text  # the demo leaves two items short on purpose
    assert "trang" in text and " px" in text  # page counts of PDFs, pixel sizes of photos
    doc = Document(tmp_path / "pkg" / f"{LIST_NAME}.docx")
    body = " ".join(p.text for p in doc.paragraphs) + " ".join(
        cell.text for table in doc.tables for row in table.rows for cell in row.cells)
    assert "DANH MỤC" in body and unicodedata.is_normalized("NFC", body)
    assert next(iter(listed.values())) in body  # hashes in the Word list too

    # Debian's unzip (installed by .ci/run): every entry OK and not a single warning.
    if shutil.which("unzip") or os.environ.get("CI") == "true":
        (tmp_path / "p.zip").write_bytes(data)
        result = subprocess.run(["unzip", "-t", str(tmp_path / "p.zip")], capture_output=True, text=True)
        assert result.returncode == 0 and "No errors detected" in result.stdout, result.stdout + result.stderr
        assert "warning" not in (result.stdout + result.stderr).lower()


def test_another_unit_can_neither_build_nor_download_the_package(client):
    visit = visit_of(client, SUBMITTED_UNIT)
    login(client, f"dv{SUBMITTED_UNIT}")
    job = start(client, visit).json()["job_id"]
    login(client, f"dv{OTHER_UNIT}")
    assert start(client, visit).status_code == 404
    assert client.get(f"/visits/{visit}/evidence-package.zip").status_code == 404
    assert client.get(f"/visits/{visit}/evidence-package").status_code == 404
    # Nor follow the job the first unit started.
    assert client.get(f"/reports/jobs/{job}").status_code == 404
    assert client.get(f"/reports/jobs/{job}/file").status_code == 404


def test_before_sign_off_the_package_holds_only_what_the_unit_gave(client, settings):
    from test_battery_bad_input import jpeg  # noqa: PLC0415 - the battery's JPEG maker

    visit = visit_of(client, OTHER_UNIT)
    login(client, "kiemtravien")
    headers = {"x-csrftoken": csrf_token(client)}
    saved = client.put(f"/api/v1/visits/{visit}/findings/1.7.1", json={"answer": True, "base_version": 0},
                       headers={**headers, "Idempotency-Key": "pkg-team-1"})
    assert saved.status_code == 200
    team = client.post(f"/api/v1/visits/{visit}/findings/1.7.1/evidence", files={"file": ("doan.jpg", jpeg(), "image/jpeg")},
                       headers={**headers, "Idempotency-Key": "pkg-team-2"})
    assert team.status_code == 201, team.text
    login(client, f"dv{OTHER_UNIT}")
    headers = {"x-csrftoken": csrf_token(client)}
    assert client.put(f"/api/v1/visits/{visit}/self-assessment/1.7.1", json={"answer": True, "base_version": 0},
                      headers={**headers, "Idempotency-Key": "pkg-unit-1"}).status_code == 200
    own = client.post(f"/api/v1/visits/{visit}/self-assessment/1.7.1/evidence",
                      files={"file": ("quyet-dinh-khen-thuong.jpg", jpeg(colour=(200, 30, 30)), "image/jpeg")},
                      headers={**headers, "Idempotency-Key": "pkg-unit-2"})
    assert own.status_code == 201, own.text
    archive = zipfile.ZipFile(io.BytesIO(build(client, visit)))
    files = [n for n in archive.namelist() if "/" in n]
    assert files == ["1.7/1.7.1_1_quyet-dinh-khen-thuong.jpg"]
    listing = openpyxl.load_workbook(io.BytesIO(archive.read(f"{LIST_NAME}.xlsx"))).active
    text = " ".join(str(c) for row in listing.iter_rows(values_only=True) for c in row if c)
    assert "Đoàn kiểm tra" not in text.replace("Thẩm định của Đoàn kiểm tra", "")
    assert "chưa ký duyệt" in text


@pytest.mark.parametrize("caption, name", [
    ("../../etc/passwd", "a.jpg"), ("C:\\Windows\\system32", "b.jpg"), ("Ảnh: bảng niêm yết 😀🏛️", "c.jpg"),
    ("", "Đ" * 300 + ".jpg"), ("", "..."), ("😀", "😀.jpg"),
])
def test_hostile_titles_become_safe_entry_names(caption, name):
    title = short_title(caption, name, "Niêm yết công khai thủ tục hành chính")
    entry = entry_name("3.1.2", 4, title, "image/jpeg")
    assert ENTRY.fullmatch(entry), entry
    assert len(title) <= 40 and ".." not in entry and "\\" not in entry and ":" not in entry


def test_two_files_with_the_same_title_do_not_overwrite_each_other():
    same = short_title("Bảng niêm yết", "x.jpg", "")
    assert entry_name("3.1.2", 1, same, "image/jpeg") != entry_name("3.1.2", 2, same, "image/jpeg")


def test_hostile_upload_names_yield_valid_unique_entries(client):
    from test_battery_bad_input import jpeg  # noqa: PLC0415

    visit = visit_of(client, OTHER_UNIT)
    login(client, f"dv{OTHER_UNIT}")
    headers = {"x-csrftoken": csrf_token(client)}
    assert client.put(f"/api/v1/visits/{visit}/self-assessment/1.7.1", json={"answer": True, "base_version": 0},
                      headers={**headers, "Idempotency-Key": "pkg-h-0"}).status_code == 200
    for n, name in enumerate(["../../x.jpg", "a:b\\c.jpg", "😀.jpg", "ư" * 300 + ".jpg", "../../x.jpg"]):
        response = client.post(f"/api/v1/visits/{visit}/self-assessment/1.7.1/evidence",
                               files={"file": (name, jpeg(colour=(n * 40, 90, 90)), "image/jpeg")},
                               headers={**headers, "Idempotency-Key": f"pkg-h-{n + 1}"})
        assert response.status_code == 201, response.text
    files = [n for n in zipfile.ZipFile(io.BytesIO(build(client, visit))).namelist() if "/" in n]
    assert len(files) == len(set(files)) == 5
    assert all(ENTRY.fullmatch(n) for n in files), files


def test_verify_package_reports_changed_missing_and_added_files(client, settings, tmp_path, monkeypatch, capsys):
    visit = visit_of(client, SUBMITTED_UNIT)
    login(client, f"dv{SUBMITTED_UNIT}")
    folder = tmp_path / "pkg"
    zipfile.ZipFile(io.BytesIO(build(client, visit))).extractall(folder)
    dbchecks.point_cli_at(monkeypatch, settings)
    assert cli(["verify-package", str(folder)]) == 0
    assert "nguyên vẹn" in capsys.readouterr().out
    files = sorted(p for p in folder.rglob("*") if p.is_file() and p.parent != folder)
    files[0].write_bytes(files[0].read_bytes() + b"x")
    files[1].unlink()
    (folder / "1.1" / "them.txt").write_text("thêm")
    assert cli(["verify-package", str(folder)]) == 1
    out = capsys.readouterr().out
    rel = lambda p: p.relative_to(folder).as_posix()  # noqa: E731
    assert f"Đã bị thay đổi: {rel(files[0])}" in out and f"Bị thiếu: {rel(files[1])}" in out
    assert "Không có trong danh mục: 1.1/them.txt" in out


def test_cli_builds_the_package_to_a_file(client, settings, tmp_path, monkeypatch, capsys):
    visit = visit_of(client, SUBMITTED_UNIT)
    dbchecks.point_cli_at(monkeypatch, settings)
    target = tmp_path / "hs.zip"
    assert cli(["evidence-package", str(visit), "-o", str(target)]) == 0
    assert zipfile.ZipFile(target).testzip() is None
    assert "tiêu chí thiếu tài liệu kiểm chứng" in capsys.readouterr().err
    assert cli(["evidence-package", "999999", "-o", str(tmp_path / "x.zip")]) == 1
    assert not (tmp_path / "x.zip").exists()


def test_the_campaign_page_shows_evidence_completeness_gaps_first(client):
    visit = visit_of(client, SUBMITTED_UNIT)
    plan = next(v["plan_id"] for v in client.get("/api/v1/visits").json() if v["id"] == visit)
    page = client.get(f"/plans/{plan}/self-assessments")
    assert page.status_code == 200
    rows = re.findall(r"<tr>(.*?)</tr>", page.text, flags=re.S)
    unit_row = text_of(next(r for r in rows if f"/visits/{visit}\"" in r))
    assert "66/68 tiêu chí" in unit_row and "Tạo hồ sơ" in unit_row
    build(client, visit)
    unit_row = text_of(next(r for r in re.findall(r"<tr>(.*?)</tr>", client.get(f"/plans/{plan}/self-assessments").text,
                                                    flags=re.S) if f"/visits/{visit}\"" in r))
    assert re.search(r"ZIP, \d+,\d MB", unit_row)


def test_the_reminder_names_items_still_lacking_evidence():
    from datetime import date

    pending = [{"visit_id": 3, "deadline": "2026-12-09", "unit_code": "11560", "unit_name": "Xã Vĩnh Bảo",
                "lacking": ["1.1.1", "3.2.4"]}]
    digest = reminders.build_digests([], date(2026, 12, 7), pending)[0]
    body = reminders.render(digest, date(2026, 12, 7))
    assert "Còn 2 tiêu chí thiếu tài liệu kiểm chứng: 1.1.1, 3.2.4." in body


def test_package_needs_a_visit_the_user_may_see(client):
    visit = visit_of(client, OTHER_UNIT)
    login(client, f"dv{SUBMITTED_UNIT}")
    assert start(client, visit).status_code == 404
    login(client, "sonoivu")
    assert client.get(f"/visits/{visit}/evidence-package").status_code == 200
    assert "Tạo hồ sơ" in text_of(client.get(f"/visits/{visit}/evidence-package").text)


def test_the_package_page_builds_with_a_plain_form(client):
    visit = visit_of(client, SUBMITTED_UNIT)
    login(client, f"dv{SUBMITTED_UNIT}")
    page = text_of(client.get(f"/visits/{visit}/evidence-package").text)
    assert "66/68 tiêu chí đủ tài liệu kiểm chứng" in page
    response = client.post(f"/visits/{visit}/evidence-package", data={"_csrf_token": csrf_token(client)},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/reports/jobs/")


def test_a_draft_self_assessment_stays_the_units_until_it_submits(client):
    """The review found it: the team could read the unit's draft through the package. Not any more."""
    from test_battery_bad_input import jpeg  # noqa: PLC0415

    visit = visit_of(client, OTHER_UNIT)
    login(client, f"dv{OTHER_UNIT}")
    headers = {"x-csrftoken": csrf_token(client)}
    assert client.put(f"/api/v1/visits/{visit}/self-assessment/1.1.1",
                      json={"answer": "2026-01-05", "note": "BẢN NHÁP CỦA ĐƠN VỊ", "base_version": 0},
                      headers={**headers, "Idempotency-Key": "draft-1"}).status_code == 200
    assert client.post(f"/api/v1/visits/{visit}/self-assessment/1.1.1/evidence",
                       files={"file": ("nhap.jpg", jpeg(), "image/jpeg")},
                       headers={**headers, "Idempotency-Key": "draft-2"}).status_code == 201
    own = zipfile.ZipFile(io.BytesIO(build(client, visit)))
    assert [n for n in own.namelist() if "/" in n] == ["1.1/1.1.1_1_nhap.jpg"]  # the unit sees its draft
    login(client, "kiemtravien")
    assert client.get(f"/visits/{visit}/evidence-package.zip").status_code == 404  # not the unit's latest
    assert "BẢN NHÁP" not in client.get(f"/visits/{visit}/evidence-package").text
    team = zipfile.ZipFile(io.BytesIO(build(client, visit)))
    assert [n for n in team.namelist() if "/" in n] == []
    listing = " ".join(str(c) for row in openpyxl.load_workbook(io.BytesIO(team.read(f"{LIST_NAME}.xlsx")))
                       .active.iter_rows(values_only=True) for c in row if c)
    assert "BẢN NHÁP" not in listing and "đơn vị chưa nộp tự đánh giá" in listing


def test_a_file_missing_on_disk_is_listed_not_fatal(client, settings):
    visit = visit_of(client, SUBMITTED_UNIT)
    meta = dbtarget.sql(settings, "SELECT metadata_json FROM evidence_files WHERE self_answer_id IS NOT NULL"
                                  " AND kind = 'document' ORDER BY id LIMIT 1")[0][0]
    import json

    (settings.evidence_dir / json.loads(meta)["original_path"]).unlink()
    login(client, f"dv{SUBMITTED_UNIT}")
    archive = zipfile.ZipFile(io.BytesIO(build(client, visit)))
    assert archive.testzip() is None
    listing = " ".join(str(c) for row in openpyxl.load_workbook(io.BytesIO(archive.read(f"{LIST_NAME}.xlsx")))
                       .active.iter_rows(values_only=True) for c in row if c)
    assert "Tệp không còn trên máy chủ" in listing


def test_verify_package_refuses_a_broken_list(tmp_path, capsys):
    folder = tmp_path / "pkg"
    folder.mkdir()
    (folder / f"{LIST_NAME}.xlsx").write_bytes(b"not a workbook")
    assert cli(["verify-package", str(folder)]) == 2
    assert "Không mở được tệp Excel" in capsys.readouterr().err
    openpyxl.Workbook().save(folder / f"{LIST_NAME}.xlsx")  # a workbook, but not our list
    assert cli(["verify-package", str(folder)]) == 2
    assert "không phải danh mục do Sổ Kiểm Tra lập" in capsys.readouterr().err


def test_a_units_job_page_links_where_the_unit_may_go(client):
    visit = visit_of(client, SUBMITTED_UNIT)
    login(client, f"dv{SUBMITTED_UNIT}")
    response = client.post(f"/visits/{visit}/evidence-package", data={"_csrf_token": csrf_token(client)},
                           follow_redirects=False)
    page = client.get(response.headers["location"])
    assert page.status_code == 200 and 'href="/reports"' not in page.text
