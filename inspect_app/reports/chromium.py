"""Headless Chromium as the PDF engine: `chromium --headless --print-to-pdf` on a print-ready HTML file.

Chosen over WeasyPrint and LibreOffice by measurement (docs/reports.md). Each render is a fresh browser
process with its own throwaway profile, in its own process group, so a hung or crashed browser is
killed whole at the timeout and nothing is left behind. The page is offline by construction: every host
name resolves to nothing, so a document can only show what its HTML embeds (or a file under the base
folder it names). Scripts stay on: headless printing needs them (with Blink's scripts off Chromium
exits 0 without writing the PDF), and our print templates carry none.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
TIMEOUT_SECONDS = 90.0  # the 200-unit plan report takes a few seconds; 90 s means the engine is stuck


class EngineError(Exception):
    """The browser is missing, failed, or took too long; the message says which (for the log)."""


def executable() -> str | None:
    """The browser to run: INSPECT_CHROMIUM if set, else the first of CANDIDATES on PATH."""
    configured = os.environ.get("INSPECT_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() or shutil.which(configured) else None
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


def command(browser: str, page: Path, output: Path, profile: Path) -> list[str]:
    flags = [
        "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
        "--disable-sync", "--disable-background-networking", "--disable-component-update", "--mute-audio",
        "--disable-dev-shm-usage",  # containers often give /dev/shm 64 MB; a photo-heavy page needs more
        "--host-resolver-rules=MAP * ~NOTFOUND",
        "--allow-file-access-from-files", f"--user-data-dir={profile}",
        "--no-pdf-header-footer", f"--print-to-pdf={output}",
    ]
    if os.geteuid() == 0:  # Chromium refuses to run as root with its sandbox (a machine set up by `make run`)
        flags.append("--no-sandbox")
    return [browser, *flags, page.as_uri()]


def print_to_pdf(html: str, base_dir: Path | str | None, timeout: float = TIMEOUT_SECONDS) -> bytes:
    """The PDF Chromium prints from `html` (page size and margins from its @page rules).

    Relative addresses in the HTML resolve against `base_dir` (a <base> element is added).
    """
    browser = executable()
    if browser is None:
        raise EngineError("Chromium not found (install Debian's chromium or set INSPECT_CHROMIUM)")
    if base_dir is not None:
        html = html.replace("<head>", f'<head><base href="{Path(base_dir).resolve().as_uri()}/">', 1)
    with tempfile.TemporaryDirectory(prefix="inspect-pdf-") as tmp:
        folder = Path(tmp)
        page, output = folder / "document.html", folder / "document.pdf"
        page.write_text(html, encoding="utf-8")
        process = subprocess.Popen(command(browser, page, output, folder / "profile"), stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        try:
            _, errors = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            raise EngineError(f"Chromium did not finish within {timeout:g} s") from None
        finally:
            _kill_group(process)  # the browser's helpers (zygote, renderer) outlive the main process otherwise
        data = output.read_bytes() if output.exists() else b""
        if not data.startswith(b"%PDF-"):
            tail = errors.decode("utf-8", "replace").strip().splitlines()[-3:]
            raise EngineError(f"Chromium exited with {process.returncode} and no PDF: {' | '.join(tail)}")
        return data


def _kill_group(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if process.poll() is None:
        process.wait()
