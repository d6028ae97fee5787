"""The comparison behind the choice of PDF engine (docs/reports.md): the same demo minutes (66 items +
20 photos, as bench/pdf_render.py prepares them) through each candidate installed on this machine.

Run by hand from the project root:  .venv/bin/python bench/pdf_engines.py [--runs 3] [--weasyprint PYTHON]
It prints figures and asserts nothing; an engine that is not installed is reported as such.
- headless Chromium on the print HTML (the app's engine, reports/chromium.py);
- WeasyPrint on the same HTML (not a dependency: pass the Python of a venv that has it, `--weasyprint`);
- LibreOffice headless (`soffice --convert-to pdf`, Debian's libreoffice-writer-nogui) on the DOCX.
Each row: median and slowest seconds, size, pages, and whether every font is embedded.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import shutil
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

from pdf_render import prepare  # noqa: E402
from inspect_app.db import Database  # noqa: E402
from inspect_app.reports import chromium, render  # noqa: E402

WEASYPRINT = "import sys, weasyprint; weasyprint.HTML(filename=sys.argv[1]).write_pdf(sys.argv[2])"


def fonts_embedded(data: bytes) -> bool:
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in ((page.get("/Resources") or {}).get("/Font") or {}).values():
            font = font.get_object()
            if "/DescendantFonts" in font:
                font = font["/DescendantFonts"][0].get_object()
            descriptor = font.get("/FontDescriptor")
            if descriptor is None or not any(k in descriptor.get_object() for k in ("/FontFile", "/FontFile2",
                                                                                  "/FontFile3")):
                return False
    return True


def run(label: str, runs: int, convert) -> None:
    seconds, data = [], b""
    for _ in range(runs):
        started = time.perf_counter()
        data = convert()
        seconds.append(time.perf_counter() - started)
    pages = len(PdfReader(io.BytesIO(data)).pages)
    print(f"{label:<40} median {statistics.median(seconds):6.2f} s  slowest {max(seconds):6.2f} s  "
          f"{len(data) / 1024:7.0f} KiB {pages:>3} pages  fonts embedded: {'yes' if fonts_embedded(data) else 'NO'}")


def command_pdf(args: list[str], output: Path) -> bytes:
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=300)
    return output.read_bytes()


async def documents(data_dir: Path, visit_id: int) -> tuple[str, bytes]:
    db = await Database.open(data_dir / "inspect.sqlite3")
    try:
        html, _ = await render.visit_file(db, data_dir / "evidence", visit_id, "minutes", "html")
        docx, _ = await render.visit_file(db, data_dir / "evidence", visit_id, "minutes", "docx")
        return html.decode(), docx
    finally:
        await db.close()


def main(runs: int, weasyprint: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        visit_id = prepare(folder / "data")
        html, docx = asyncio.run(documents(folder / "data", visit_id))
        (folder / "minutes.html").write_text(html, encoding="utf-8")
        (folder / "minutes.docx").write_bytes(docx)
        if chromium.executable():
            run("Chromium --print-to-pdf (HTML)", runs, lambda: chromium.print_to_pdf(html, None))
        else:
            print("Chromium: not installed")
        if weasyprint:
            run("WeasyPrint (HTML)", runs, lambda: command_pdf(
                [weasyprint, "-c", WEASYPRINT, str(folder / "minutes.html"), str(folder / "w.pdf")], folder / "w.pdf"))
        else:
            print("WeasyPrint: not measured (pass --weasyprint PYTHON, a venv with `pip install weasyprint`)")
        soffice = shutil.which("soffice")
        if soffice:
            profile = (folder / "lo-profile").as_uri()
            run("LibreOffice --convert-to pdf (DOCX)", runs, lambda: command_pdf(
                [soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf", "--outdir",
                 str(folder), str(folder / "minutes.docx")], folder / "minutes.pdf"))
        else:
            print("LibreOffice: not installed (Debian: libreoffice-writer-nogui)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--weasyprint", metavar="PYTHON", help="a Python that can import weasyprint")
    arguments = parser.parse_args()
    main(arguments.runs, arguments.weasyprint)
