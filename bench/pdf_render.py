"""PDF benchmark: the demo's minutes (66 items + 20 photos) and a 200-unit plan report, as PDF.

Run by hand from the project root:  .venv/bin/python bench/pdf_render.py [--runs 3] [--units 200]
(also run by `make bench`). It prints figures and asserts nothing; about half a minute.

What it does, in a temporary folder deleted at the end:
- `inspect-app migrate` and `inspect-app demo`, then the demo's signed-off visit with the most findings
  (66 items of the commune checklist) gains 20 photos as the team's evidence (real JPEG thumbnails,
  400 × 300, laid out as the evidence pipeline stores them);
- times, in the same run, the baseline (the print HTML alone, photos embedded: what the PDF is made
  from) and the PDF (that HTML printed by the engine, reports/pdf.py), each `--runs` times; prints the
  median and the slowest, the size and the page count, against the issue's target of ≤ 5 s;
- seeds a plan of `--units` signed-off visits (bench/reports.py's synthetic 60-item checklist) and times
  its consolidated report as HTML and as PDF.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from pypdf import PdfReader  # noqa: E402

import reports as plan_bench  # noqa: E402  (bench/reports.py: the synthetic plan)
from inspect_app.db import Database  # noqa: E402
from inspect_app.reports import render  # noqa: E402
from inspect_app.services.units_import import import_units, shipped_csv  # noqa: E402

PHOTOS = 20
TARGET_SECONDS = 5.0
BIN = Path(sys.executable).parent


def photo(seed: int) -> bytes:
    """A photo-like JPEG thumbnail (gradient and noise compress as a real photo does, unlike a flat colour)."""
    from PIL import Image

    rng = random.Random(seed)
    image = Image.linear_gradient("L").resize((400, 300)).convert("RGB")
    noise = Image.frombytes("RGB", (400, 300), rng.randbytes(400 * 300 * 3))
    buffer = io.BytesIO()
    Image.blend(image, noise, 0.35).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def prepare(data_dir: Path) -> int:
    """Demo data plus 20 photos on the signed-off visit with the most findings; returns its id."""
    env = {**os.environ, "INSPECT_DATA_DIR": str(data_dir)}
    for command in (["migrate"], ["demo"]):
        subprocess.run([str(BIN / "inspect-app"), *command], env=env, check=True, stdout=subprocess.DEVNULL)
    db = sqlite3.connect(data_dir / "inspect.sqlite3")
    visit_id, items = db.execute(
        "SELECT v.id, count(f.id) FROM visits v JOIN findings f ON f.visit_id = v.id WHERE v.status = 'signed_off'"
        " GROUP BY v.id ORDER BY count(f.id) DESC, v.id LIMIT 1").fetchone()
    findings = db.execute("SELECT id, item_code, updated_by FROM findings WHERE visit_id = ? ORDER BY id",
                          (visit_id,)).fetchall()
    root = data_dir / "evidence"
    for n in range(PHOTOS):
        finding_id, code, user = findings[(n * 7) % len(findings)]
        data = photo(n)
        sha = hashlib.sha256(data).hexdigest()
        paths = {}
        for size in ("original", "display", "thumb"):
            relative = f"{size}/{sha[:2]}/{sha[2:4]}/{sha}.jpg"
            (root / relative).parent.mkdir(parents=True, exist_ok=True)
            (root / relative).write_bytes(data)
            paths[f"{size}_path"] = relative
        db.execute("INSERT INTO evidence_files (visit_id, finding_id, item_code, sha256, media_type, kind,"
                   " original_name, size_bytes, width, height, metadata_json, uploaded_by, uploaded_at)"
                   " VALUES (?, ?, ?, ?, 'image/jpeg', 'photo', ?, ?, 400, 300, ?, ?, '2026-12-01T08:00:00Z')",
                   (visit_id, finding_id, code, sha, f"IMG_{n:04d}.jpg", len(data), json.dumps(paths), user))
    db.commit()
    db.close()
    print(f"demo visit {visit_id}: {items} findings, +{PHOTOS} photos")
    return visit_id


async def timed(runs: int, make) -> tuple[list[float], bytes]:
    seconds, data = [], b""
    for _ in range(runs):
        started = time.perf_counter()
        data = await make()
        seconds.append(time.perf_counter() - started)
    return seconds, data


def line(label: str, seconds: list[float], data: bytes, note: str = "") -> None:
    pages = f"{len(PdfReader(io.BytesIO(data)).pages):>3} pages" if data.startswith(b"%PDF") else " " * 9
    print(f"{label:<34} median {statistics.median(seconds):6.2f} s  slowest {max(seconds):6.2f} s  "
          f"{len(data) / 1024:8.0f} KiB {pages} {note}")


async def minutes(data_dir: Path, visit_id: int, runs: int) -> None:
    db = await Database.open(data_dir / "inspect.sqlite3")
    try:
        evidence = data_dir / "evidence"
        html_s, html = await timed(runs, lambda: render.visit_file(db, evidence, visit_id, "minutes", "html"))
        pdf_s, pdf = await timed(runs, lambda: render.visit_file(db, evidence, visit_id, "minutes", "pdf"))
        line("minutes, HTML (baseline)", html_s, html[0])
        verdict = "within" if max(pdf_s) <= TARGET_SECONDS else "OVER"
        line("minutes, PDF", pdf_s, pdf[0], f"({verdict} the {TARGET_SECONDS:g} s target)")
        print(f"{'':<34} PDF − HTML: {statistics.median(pdf_s) - statistics.median(html_s):.2f} s for the engine")
    finally:
        await db.close()


async def plan_report(units: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = await Database.open(Path(tmp) / "bench.sqlite3")
        try:
            await import_units(db, shipped_csv(), actor="bench")
            plan_id = (await plan_bench.seed(db, plan_bench.synthetic_checklist(), [units]))[units]
            html_s, html = await timed(runs, lambda: render.plan_file(db, plan_id, "html"))
            pdf_s, pdf = await timed(runs, lambda: render.plan_file(db, plan_id, "pdf"))
            line(f"plan report {units} units, HTML", html_s, html[0])
            line(f"plan report {units} units, PDF", pdf_s, pdf[0])
        finally:
            await db.close()


async def main(runs: int, units: int) -> None:
    print(f"{os.cpu_count()} cores; each figure over {runs} runs")
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        visit_id = prepare(data_dir)
        os.environ["INSPECT_DATA_DIR"] = str(data_dir)
        await minutes(data_dir, visit_id, runs)
    await plan_report(units, runs)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--units", type=int, default=200)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.runs, arguments.units))
