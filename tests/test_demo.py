"""The demo seed: real data, idempotent, and what README promises."""

from __future__ import annotations

import os
import subprocess
import sys

from conftest import DEMO_PASSWORD


def run_cli(data_dir, *args, stdin: str | None = None):
    env = {**os.environ, "INSPECT_DATA_DIR": str(data_dir), "INSPECT_DEMO_PASSWORD": DEMO_PASSWORD}
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
