"""`inspect-app report`, `minutes`, `notice` and `periodic`: files written, a progress bar, clear errors."""

from __future__ import annotations

import io

import pytest
import dbchecks
from docx import Document
from openpyxl import load_workbook
from reports_fixtures import meta, reports_seed, rsettings  # noqa: F401 (fixtures)

from inspect_app.cli import main


@pytest.fixture
def env(rsettings, monkeypatch):
    dbchecks.point_cli_at(monkeypatch, rsettings)
    return rsettings


def test_report_in_every_format_with_a_progress_bar(env, meta, tmp_path, capsys):
    plan_id = str(meta["current"]["plan_id"])
    for fmt in ("docx", "xlsx", "html"):
        out = tmp_path / f"bao-cao.{fmt}"
        assert main(["report", plan_id, "--format", fmt, "-o", str(out)]) == 0
        err = capsys.readouterr().err
        assert "[##############################] 100%" in err and "Đang tạo tệp" in err
        assert f"Đã ghi {out}" in err
    assert "Phường Hải Dương" in "\n".join(p.text for t in Document(tmp_path / "bao-cao.docx").tables
                                           for r in t.rows for p in r.cells[1].paragraphs)
    assert load_workbook(tmp_path / "bao-cao.xlsx")["Kết quả"].freeze_panes == "A2"
    html = (tmp_path / "bao-cao.html").read_text(encoding="utf-8")
    assert "<style>" in html and "@page" in html and "Báo cáo kết quả kiểm tra" in html  # self-contained


def test_minutes_and_notice(env, meta, tmp_path, capsys):
    visit_id = str(meta["current"]["visits"]["11167"])
    assert main(["minutes", visit_id, "--format", "docx", "-o", str(tmp_path / "bb.docx")]) == 0
    assert main(["minutes", visit_id, "--format", "html", "-o", str(tmp_path / "bb.html")]) == 0
    assert main(["notice", visit_id, "-o", str(tmp_path / "tb.docx")]) == 0
    html = (tmp_path / "bb.html").read_text(encoding="utf-8")
    assert "data:image/jpeg;base64," in html and "Xã Tân An" in html  # thumbnails travel with the file
    doc = Document(io.BytesIO((tmp_path / "tb.docx").read_bytes()))
    assert any("THÔNG BÁO" == p.text for p in doc.paragraphs)


def test_periodic(env, tmp_path):
    assert main(["periodic", "--year", "2026", "--quarter", "4", "--format", "xlsx", "-o", str(tmp_path / "q4.xlsx")]) == 0
    assert "Tồn tại lặp lại" in load_workbook(tmp_path / "q4.xlsx").sheetnames


def test_errors_are_vietnamese_and_exit_1(env, tmp_path, capsys):
    assert main(["report", "999999", "--format", "xlsx", "-o", str(tmp_path / "x.xlsx")]) == 1
    assert "Không tìm thấy kế hoạch này." in capsys.readouterr().err
    assert main(["minutes", "999999", "-o", str(tmp_path / "x.docx")]) == 1
    assert "Không tìm thấy cuộc kiểm tra này." in capsys.readouterr().err
    assert not (tmp_path / "x.xlsx").exists()
    with pytest.raises(SystemExit):
        main(["report", "1", "--format", "odt", "-o", str(tmp_path / "x.odt")])
