"""The demo seed: real data, idempotent, and what README promises."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import DEMO_PASSWORD
import dbtarget


def database_for(data_dir) -> dict:
    """On the PostgreSQL pass, a new empty database for the commands run on `data_dir` (one per folder)."""
    if not dbtarget.ON_POSTGRES:
        return {}
    if str(data_dir) not in _DATABASES:
        _DATABASES[str(data_dir)] = dbtarget.new_database()
    return {"INSPECT_DATABASE_URL": _DATABASES[str(data_dir)]}


_DATABASES: dict[str, str] = {}


def run_cli(data_dir, *args, stdin: str | None = None):
    env = {**os.environ, "INSPECT_DATA_DIR": str(data_dir), "INSPECT_DEMO_PASSWORD": DEMO_PASSWORD,
           **database_for(data_dir)}
    return subprocess.run([sys.executable, "-m", "inspect_app", *args], env=env, capture_output=True, text=True,
                          input=stdin, timeout=120)


def test_demo_is_idempotent_and_creates_every_account(tmp_path):
    first = run_cli(tmp_path, "demo")
    assert first.returncode == 0, first.stderr
    for name in ("sonoivu", "truongdoan", "kiemtravien", "dv11560", "kế hoạch 33/KH-UBND", "Đoàn kiểm tra số 1",
                 "114 đơn vị"):
        assert name in first.stdout
    second = run_cli(tmp_path, "demo")
    assert second.returncode == 0
    assert "không tạo thêm gì" in second.stdout


def test_cli_help_explains_each_command():
    top = subprocess.run([sys.executable, "-m", "inspect_app", "--help"], capture_output=True, text=True)
    for word in ("serve", "migrate", "demo", "units", "user", "backup", "checklist", "INSPECT_DATA_DIR"):
        assert word in top.stdout
    serve = subprocess.run([sys.executable, "-m", "inspect_app", "serve", "--help"], capture_output=True, text=True)
    assert "--host" in serve.stdout and "--port" in serve.stdout


def test_user_add_reads_the_password_from_stdin(tmp_path):
    run_cli(tmp_path, "migrate")
    ok = run_cli(tmp_path, "user", "add", "--username", "chuyenvien", "--role", "inspector", stdin="mot-mat-khau\n")
    assert ok.returncode == 0, ok.stderr
    dup = run_cli(tmp_path, "user", "add", "--username", "chuyenvien", "--role", "inspector", stdin="mot-mat-khau\n")
    assert dup.returncode == 1 and "đã có người dùng" in dup.stderr
    unit_without_code = run_cli(tmp_path, "user", "add", "--username", "dvx", "--role", "unit", stdin="mot-mat-khau\n")
    assert unit_without_code.returncode == 1 and "gắn với một đơn vị" in unit_without_code.stderr


def test_demo_content_matches_the_criterion_it_is_about(settings):
    """Issue 15: remediation item #7 was for criterion 3.3.4 (the one-stop shop's facilities) but
    quoted a finding about posting procedures. Every finding note, item, answer, review and photo
    caption of the demo must speak of its own criterion."""
    from inspect_app.checklists.loader import load_checklist_file
    from inspect_app.settings import ROOT

    items = {i.code: i for i in load_checklist_file(ROOT / "checklists" / "cchc-xa.toml").checklist.items()}

    def own_words(code: str) -> list[str]:
        item = items[code]
        return [w for w in [item.text.rstrip("."), item.numerator_label, item.count_label,
                            item.violation_label.removeprefix("Mỗi "), *(level.label for level in item.levels),
                            *(column.label for column in item.columns)] if w]

    def speaks_of(text: str, code: str) -> bool:
        lowered = text.lower()
        return any(w.lower() in lowered for w in own_words(code))

    rows = dbtarget.sql(settings, "SELECT r.id, r.item_code, r.text, f.note FROM remediation_items r"
                                  " JOIN findings f ON f.id = r.finding_id")
    assert len(rows) >= 12
    for item_id, code, text, note in rows:
        assert text.startswith(f"Tiêu chí {code} "), (item_id, text)
        assert f"Đoàn ghi nhận: {note}" in text and speaks_of(note, code), (item_id, code, note)
    seven = next(r for r in rows if r[0] == 7)
    assert "niêm yết" not in seven[3].lower() or "niêm yết" in items[seven[1]].text.lower()
    notes = dbtarget.sql(settings, "SELECT f.item_code, f.note FROM findings f JOIN visits v ON v.id = f.visit_id"
                                   " WHERE v.status = 'signed_off' AND f.note != ''")
    assert len(notes) > 100
    for code, note in notes:
        if note not in ("Đã kiểm tra văn bản gốc, đầy đủ.", "Đạt yêu cầu.",
                        "Đối chiếu hồ sơ lưu, thực hiện đúng quy định."):
            assert speaks_of(note, code), (code, note)
    answers = dbtarget.sql(settings, "SELECT r.item_code, s.text, s.kind FROM remediation_responses s"
                                     " JOIN remediation_items r ON r.id = s.item_id")
    for code, text, kind in answers:
        if kind in ("answer", "return"):
            assert f"tiêu chí {code}" in text, (code, kind, text)
    for code, caption in dbtarget.sql(settings, "SELECT item_code, caption FROM evidence_files WHERE caption != ''"):
        hint = items[code].evidence.hint.lower() + " " + items[code].text.lower()
        assert any(word in hint for word in ("niêm yết", "bảng công khai")), (code, caption)
