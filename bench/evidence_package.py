"""Evidence package benchmark: `inspect-app evidence-package` against simply zipping the same files.

Run by hand from the project root:  .venv/bin/python bench/evidence_package.py
It prints figures and asserts nothing. A throwaway data folder gets the demo, then the demo unit's
submitted self-assessment gains 300 photos and 20 multi-page PDFs spread over its 66 items (≈ 200 MB),
written as the evidence pipeline lays them out. Each measurement is a fresh child process, so its peak
RSS (`ru_maxrss`, imports included) is its own: first the baseline (Python's `zipfile` writing the same
files, nothing else), then the app's command (which also reads the database, hashes every file, counts
PDF pages and writes the XLSX and DOCX lists).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PHOTOS, PDFS = 300, 20
PHOTO_BYTES = 600_000
TARGET_PEAK_MB = 150.0

MEASURE = """
import resource, subprocess, sys, time
started = time.perf_counter()
code = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
elapsed = time.perf_counter() - started
print(code, elapsed, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
"""

BASELINE = """
import json, sys, zipfile
files = json.load(open(sys.argv[1]))
with zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
    for path, name in files:
        archive.write(path, name)
"""


def _store(root: Path, kind: str, data: bytes, ext: str) -> tuple[str, str]:
    sha = hashlib.sha256(data).hexdigest()
    relative = f"{kind}/{sha[:2]}/{sha[2:4]}/{sha}.{ext}"
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return sha, relative


def _pdf(pages: int, seed: int) -> bytes:
    from PIL import Image

    images = [Image.frombytes("L", (700, 990), os.urandom(700 * 990)) for _ in range(pages)]
    buffer = io.BytesIO()
    images[0].save(buffer, "PDF", save_all=True, append_images=images[1:], resolution=90)
    return buffer.getvalue()


def prepare(data_dir: Path) -> tuple[int, list[tuple[str, str]]]:
    env = {**os.environ, "INSPECT_DATA_DIR": str(data_dir)}
    for command in (["migrate"], ["demo"]):
        subprocess.run([str(BIN / "inspect-app"), *command], env=env, check=True, stdout=subprocess.DEVNULL)
    root = data_dir / "evidence"
    db = sqlite3.connect(data_dir / "inspect.sqlite3")
    visit_id, assessment_id = db.execute(
        "SELECT s.visit_id, s.id FROM self_assessments s WHERE s.status = 'submitted' LIMIT 1").fetchone()
    answers = db.execute("SELECT id, item_code FROM self_answers WHERE assessment_id = ? ORDER BY id",
                         (assessment_id,)).fetchall()
    user = db.execute("SELECT updated_by FROM self_answers WHERE assessment_id = ? LIMIT 1", (assessment_id,)).fetchone()[0]
    files: list[tuple[str, str]] = []
    for n in range(PHOTOS + PDFS):
        answer_id, code = answers[n % len(answers)]
        if n < PHOTOS:
            data = b"\xff\xd8\xff\xe0" + os.urandom(PHOTO_BYTES)
            sha, display = _store(root, "display", data, "jpg")
            meta = {"original_path": display.replace("display/", "original/"), "display_path": display,
                    "thumb_path": display.replace("display/", "thumb/")}
            row = ("image/jpeg", "photo", f"IMG_{n:04d}.jpg", len(data), 2048, 1536)
        else:
            data = _pdf(1 + n % 5, n)
            sha, original = _store(root, "original", data, "pdf")
            meta = {"original_path": original}
            display = original
            row = ("application/pdf", "document", f"Văn bản {n}.pdf", len(data), None, None)
        db.execute("INSERT INTO evidence_files (visit_id, self_answer_id, item_code, sha256, media_type, kind,"
                   " original_name, size_bytes, width, height, metadata_json, uploaded_by, uploaded_at)"
                   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '2026-12-01T08:00:00Z')",
                   (visit_id, answer_id, code, sha, *row, json.dumps(meta), user))
        files.append((str(root / display), f"{code.rsplit('.', 1)[0]}/{code}_{n}.{display.rsplit('.', 1)[1]}"))
    db.commit()
    db.close()
    return visit_id, files


def measure(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", MEASURE, *command], env=env, check=True, capture_output=True,
                         text=True).stdout.split()
    if out[0] != "0":
        raise SystemExit(f"{command[0]} failed with exit status {out[0]}")
    return float(out[1]), float(out[2])


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp) / "data"
        print(f"preparing: demo + {PHOTOS} photos and {PDFS} PDFs …", flush=True)
        visit_id, files = prepare(data_dir)
        total = sum(Path(p).stat().st_size for p, _ in files)
        listing = Path(tmp) / "files.json"
        listing.write_text(json.dumps(files))
        env = {**os.environ, "INSPECT_DATA_DIR": str(data_dir)}
        base_s, base_mb = measure([sys.executable, "-c", BASELINE, str(listing), str(Path(tmp) / "base.zip")], env)
        ours_s, ours_mb = measure([str(BIN / "inspect-app"), "evidence-package", str(visit_id), "-o",
                                   str(Path(tmp) / "ours.zip")], env)
        size = (Path(tmp) / "ours.zip").stat().st_size
    print(f"package: {len(files)} files added to the demo unit's own, {total / 1e6:.0f} MB of evidence; "
          f"ZIP {size / 1e6:.0f} MB")
    print(f"zipfile alone        : {base_s:6.2f} s, peak RSS {base_mb:6.1f} MB")
    print(f"inspect-app evidence-package: {ours_s:6.2f} s, peak RSS {ours_mb:6.1f} MB "
          f"(target < {TARGET_PEAK_MB:.0f} MB: {'met' if ours_mb < TARGET_PEAK_MB else 'NOT met'}); "
          f"time ×{ours_s / base_s:.2f}, memory ×{ours_mb / base_mb:.2f} of the baseline")


if __name__ == "__main__":
    main()
